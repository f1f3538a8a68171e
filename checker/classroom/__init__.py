"""Classroom autograding with nbgrader: `python -m checker classroom init|autograde`.

How a submission is graded, and what runs where:

1. nbgrader sanitizes it as usual: outputs cleared, locked cells restored from the
   gradebook by checksum, deleted test cells put back (`OverwriteCells.add_missing_cells`).
2. `GuardedExecute` (nbgrader's `Execute`, same timeout and interrupts) runs it in a fresh
   kernel in fast mode. Each autograded test cell calls `checker.autograde.grade`, which
   writes the model's description into a private folder; nbgrader's process deletes any such
   file right before the cell and takes it away right after, so the evidence was written by
   that cell's run. A kernel that dies ends the run, not the grading.
3. `CleanVerdicts`, in nbgrader's own process (the learner's kernel has shut down), replaces
   the output of every checker test cell with a verdict computed from that evidence in a
   fresh process that imports no learner code: the saved description for model exercises;
   for the custom-layer exercises, observations of the class (its code taken from the
   submitted notebook) made by a throw-away process on inputs the grader chose, checked and
   judged by the clean process. No trustworthy evidence, 0 points.
4. nbgrader's `SaveAutoGrades` reads the number in that output as the cell's partial credit.

`classroom autograde` runs steps 1-3 on a Dask cluster (`--jobs N` local worker processes,
or `--scheduler ADDRESS`), each task on a private copy of the course (its own gradebook) built
from bytes it carries, and writes every result into the real gradebook from one process by
replaying the executed notebooks through nbgrader's own steps (`replay.py`). Plain
`nbgrader autograde` in the course folder runs the same steps.

Limits (what this does not stop):

- The kernel runs the learner's code as the user who autogrades, with that user's access to
  files and processes: it can read the course's source/ (the solutions; the repository's
  solutions/ too), edit gradebook.db or the checker's own files, kill the grader, or leave a
  process behind that tampers with later work. For graded exams, autograde in a container
  or as a user that can write nothing but the course's autograded/ folder.
- A learner can hand-write the description of a right model (or copy a classmate's code);
  that takes as much as doing the exercise. For the custom layers, a learner who studies the
  checker could make the class's code report consistent fake observations computed with
  numpy (weights and inputs are the grader's, so the arithmetic itself must be right).
- A loop that ignores interrupts ends that notebook's run after one timeout: the cells after
  it are not run and score 0 (the cells before keep their points).

Modules: layout (where things are), config (nbgrader_config.py), create (init),
execute and verdicts (the two preprocessors), evidence (what a verdict may trust),
clean_grading, layer_grading and layer_probe (the clean processes), nbgrader_run,
replay, pool (class grading on Dask) with payload, grading_task, deadline, leftovers,
cluster, interrupts and undo, results (class table, CSV, feedback),
simulate (simulated submissions and a small course for trying it).
"""
