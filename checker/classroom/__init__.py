"""Classroom autograding with nbgrader: `python -m checker classroom init|autograde`.

How a submission is graded, and what runs where:

1. nbgrader sanitizes it as usual: outputs cleared, locked cells restored from the
   gradebook by checksum, deleted test cells put back (`OverwriteCells.add_missing_cells`).
2. `GuardedExecute` (nbgrader's `Execute`, same timeout and interrupts) runs it in a fresh
   kernel in fast mode. Each autograded test cell calls `checker.autograde.grade`, which writes
   the model's description to a private folder that this step created for this notebook only.
   A kernel that dies ends the run, not the grading.
3. `CleanVerdicts`, in nbgrader's own process (the learner's kernel cannot reach it), replaces
   the output of every checker test cell by a verdict computed from evidence in a fresh
   process that imports no learner code: the saved description for model exercises, or, for
   the custom-layer exercises, observations of the class (taken from the submitted notebook)
   made by a throw-away process on inputs the grader chose. No trustworthy evidence, 0 points.
4. nbgrader's `SaveAutoGrades` reads the number in that output as the cell's partial credit.

`classroom autograde --jobs N` runs steps 1-3 for several students at once, each worker on
a private copy of the course (its own gradebook), and writes every result into the real
gradebook from one process by replaying the executed notebooks through nbgrader's own
steps (`replay.py`). Plain `nbgrader autograde` in the course folder runs the same steps.

Modules: layout (where things are), config (nbgrader_config.py), create (init),
execute and verdicts (the two preprocessors), evidence (what a verdict may trust),
clean_grading and layer_grading / layer_probe (the clean processes), replay, pool and
worker (parallel autograde), results (class table, CSV, feedback), simulate (test classes).
"""
