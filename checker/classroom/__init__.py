"""Classroom autograding with nbgrader: `python -m checker classroom init|autograde`.

How a submission is graded, and what runs where:

1. nbgrader sanitizes it as usual: outputs cleared, locked cells restored from the
   gradebook by checksum, deleted test cells put back (`OverwriteCells.add_missing_cells`).
   A learner's copy of an nbgrader cell becomes an ordinary cell (`sanitize.PlainCopies`).
   A notebook that is not valid JSON, or whose test cell was made a solution cell, fails with
   nbgrader's reason (NotJSONError, "Inconsistent checksums for cell ...").
2. `GuardedExecute` (nbgrader's `Execute`, same timeout and interrupts) runs it in a fresh
   kernel in fast mode, within limits per notebook (total wall time, total output bytes).
   nbgrader's process serves a private Unix socket (`evidence_channel`) for that run; each
   autograded test cell calls `checker.autograde.grade`, which builds the model, describes it
   and sends the description there, waiting for the acknowledgement. Only what arrives while
   a test cell runs is kept, by cell. A kernel that dies ends the run, not the grading.
3. `CleanVerdicts`, in nbgrader's own process (the learner's kernel has shut down), replaces
   the output of every checker test cell with a verdict computed from that evidence in a
   fresh process that imports no learner code: every description received during the cell
   (the lowest score counts) for model exercises; for the custom-layer exercises,
   observations of the class (its code taken from the submitted notebook) made by a
   throw-away process on inputs the grader chose, checked and judged by the clean process.
   No trustworthy evidence, 0 points. A failure of the checker itself fails the submission
   ("checker error: needs attention") instead of scoring it.
4. nbgrader's `SaveAutoGrades` reads the number in that output as the cell's partial credit.

`classroom autograde` runs steps 1-3 on a Dask cluster (`--jobs N` local worker processes,
or `--scheduler ADDRESS`), each task on a private copy of the course (its own gradebook) built
from bytes it carries, and writes every result into the real gradebook from one process by
replaying the executed notebooks through nbgrader's own steps (`replay.py`). Plain
`nbgrader autograde` in the course folder runs the same steps.

Limits (what this does not stop):

- The kernel (and the layer probe) run the learner's code in a bubblewrap sandbox (sandbox.py):
  no course, repository, judge or network in reach, writes only to its notebook's folder, no
  process outliving it. It still reads the rest of the machine (read-only) and runs as the user
  who autogrades; with `--no-sandbox` (or where bwrap cannot run) it has that user's full
  access. For graded exams, also autograde in a container.
- Whatever code of the learner's runs while a test cell runs (a thread, an IPython hook, a
  process left behind, a classmate's kernel as the same user) can send descriptions too. They
  are graded and the lowest score counts, so adding a right model's description to a wrong
  build function earns exactly what the wrong one earns. But a learner who also replaces
  `grade()` (so that the cell's own description is never sent) and sends only a right
  model's description gets its points: they must have built that right model in the notebook,
  or hand-written its description. A learner who can build the right model can of course
  submit it; copying a classmate's code is not detected.
- Sending more than a few messages during one test cell scores it 0 as tampering; a message
  that does not finish within a few seconds is dropped. Outside a sandbox, a classmate's
  kernel running at the same time as the same user can find the socket and do that to
  another student's notebook, lowering (never raising) its scores; the sandbox, which shows
  each kernel only its own socket folder, prevents it.
- For the custom layers, a learner who studies the checker could make the class's code report
  consistent fake observations computed with numpy (weights and inputs are the grader's, so
  the arithmetic itself must be right).
- A loop that ignores interrupts ends that notebook's run after one timeout: the cells after
  it are not run and score 0 (the cells before keep their points). The notebook's wall-time
  limit ends it the same way. Memory is not limited here (the sandbox limits it).
- One output message up to 64 MB (or twice `max_output_bytes`, if larger) is held whole in
  nbgrader's memory before the output limit drops it (the kernel sends printed text in chunks;
  one `display` is one message). A larger one is refused unread; the cell says so, and the rest
  of the notebook is graded.

Modules: layout (where things are), config (nbgrader_config.py), create (init),
sandbox (bwrap around learner code), execute and verdicts (the two preprocessors),
evidence (what a verdict may trust), sanitize (PlainCopies), clean_grading, layer_grading
(the clean processes; the probe is observe.layer_probe), nbgrader_run, replay, pool (class
grading on Dask) with payload, grading_task, deadline, leftovers, cluster, interrupts and
undo, results (class table, CSV, feedback),
simulate (simulated submissions and a small course for trying it).
"""

from checker.quick_imports import skip_unused_optional_imports

skip_unused_optional_imports()  # nbgrader in Dask workers and the head: 2.5 s less per process
