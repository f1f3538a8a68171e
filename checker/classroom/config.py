"""The course's nbgrader_config.py, loading it in-process, and the environment nbgrader needs."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from checker.classroom.layout import Course
from checker.paths import repository_root

COURSE_ID = "keras-functional-api"
DEFAULT_CELL_TIMEOUT = 120  # seconds per cell; training is skimmed while grading (course/skim.py)
DEFAULT_NOTEBOOK_TIMEOUT = 600  # seconds of wall time per notebook, all cells together
DEFAULT_MAX_OUTPUT_BYTES = 2_000_000  # bytes of output per notebook, all cells together
DEFAULT_MAX_DISK_BYTES = 1_000_000_000  # bytes a notebook may add to its folders on disk while it runs

# nbgrader's default Autograde.autograde_preprocessors, with Execute replaced by ours and the
# clean verdicts inserted right after it (before anything reads the outputs).
AUTOGRADE_STEPS = [
    "checker.classroom.execute.GuardedExecute",
    "checker.classroom.verdicts.CleanVerdicts",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# nbgrader's default Autograde.sanitize_preprocessors, with PlainCopies after DeduplicateIds.
SANITIZE_STEPS = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "checker.classroom.sanitize.PlainCopies",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
REFUSE_LINKS_HOOK = "checker.classroom.sanitize.refuse_linked_submissions"
EXECUTION_STEPS = {"checker.classroom.execute.GuardedExecute", "checker.classroom.verdicts.CleanVerdicts"}

CONFIG_TEMPLATE = '''\
"""nbgrader configuration of the course, written by `python -m checker classroom init`.

`nbgrader autograde ASSIGNMENT` and `python -m checker classroom autograde .` both use it.
"""
import sys

# The checker package (this course's grader). Not needed when it is pip-installed.
CHECKER_REPOSITORY = {repository!r}
if CHECKER_REPOSITORY not in sys.path:
    sys.path.insert(0, CHECKER_REPOSITORY)

c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.course_id = {course_id!r}

# Seconds each cell may run before nbgrader interrupts it (the cell then scores 0).
# Training is skimmed while grading (one batch per fit; no grade depends on training);
# c.GuardedExecute.skim_training = False trains in full (CHECKER_FAST=1: a quarter of the epochs).
c.Execute.timeout = {timeout!r}
# Threads each kernel's TensorFlow may use; 0: every core. `classroom autograde --jobs N` gives
# each of its N workers' kernels cores // N, so that kernels running side by side do not fight.
# c.GuardedExecute.kernel_threads = 0

# Each learner's kernel runs in a bubblewrap sandbox: it sees the machine read-only, not this
# course (solutions, gradebook, classmates' work), the checker's repository or its judge; it
# writes only its notebook's folder; no network; no process outlives it; {memory} of data memory.
# Where bwrap cannot run (`python -m checker doctor` says why), autograde refuses to start.
# WARNING: without the sandbox a learner's code runs with your access: it can read the solutions,
# change the checker or the gradebook, and tamper with classmates' grading. Only for trusted work:
# c.GuardedExecute.sandbox = False
# c.GuardedExecute.memory_limit = {memory_bytes}  # bytes (RLIMIT_DATA); None: no limit
# c.GuardedExecute.hidden_folders = []  # folders in /usr, /etc or the virtualenv to hide too

# Limits per notebook, all cells together (GuardedExecute). A notebook that reaches one is
# graded up to that point, and nbgrader's log names the limit:
# - wall time in seconds: the cell running then is interrupted, the cells after it are not
#   run (0 points for their test cells), the cells before keep their points;
# - output in bytes: later output is dropped as it arrives, with one note saying so;
# - disk in bytes, what it adds to its folders while it runs: past it the kernel is ended (the
#   cells from there on score 0) and what it wrote is deleted.
# 0 turns a limit off.
c.GuardedExecute.notebook_timeout = {notebook_timeout!r}
c.GuardedExecute.max_output_bytes = {max_output_bytes!r}
c.GuardedExecute.max_disk_bytes = {max_disk_bytes!r}

# A submission with a symbolic link in it is not graded: nbgrader would read what the link
# names (the solutions, the gradebook) as you, and hand it to the learner's code.
c.Autograde.pre_convert_hook = {refuse_links!r}

# A learner who deletes a locked test cell gets it back, and it is graded.
# (nbgrader restores edited locked cells from their checksums in any case.)
c.OverwriteCells.add_missing_cells = True

# nbgrader's sanitizing steps, with one of ours: PlainCopies turns a learner's copy of an
# nbgrader cell into an ordinary cell (nbgrader itself would fail the whole submission).
c.Autograde.sanitize_preprocessors = [
{sanitize_steps}
]

# nbgrader's autograde steps, with two of ours:
# GuardedExecute: nbgrader's Execute, plus a private channel that takes each test cell's
#   evidence while the cell runs, and the limits above; a kernel that dies (os._exit) ends
#   the run, and the cells it did not run score 0.
# CleanVerdicts: in nbgrader's own process, re-grades each checker test cell from that
#   evidence in a clean process that imports no learner code, and writes the points as the
#   cell's output (nbgrader reads a number as partial credit). Nothing the learner's kernel
#   prints or patches reaches the grade.
c.Autograde.autograde_preprocessors = [
{steps}
]
'''


def config_text(
    timeout: int = DEFAULT_CELL_TIMEOUT,
    course_id: str = COURSE_ID,
    notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
) -> str:
    from checker.classroom.sandbox import DEFAULT_MEMORY_LIMIT

    steps = "\n".join(f"    {step!r}," for step in AUTOGRADE_STEPS)
    sanitize_steps = "\n".join(f"    {step!r}," for step in SANITIZE_STEPS)
    return CONFIG_TEMPLATE.format(
        sanitize_steps=sanitize_steps,
        repository=str(repository_root()),
        course_id=course_id,
        timeout=timeout,
        notebook_timeout=notebook_timeout,
        max_output_bytes=max_output_bytes,
        max_disk_bytes=DEFAULT_MAX_DISK_BYTES,
        steps=steps,
        memory=f"{DEFAULT_MEMORY_LIMIT / 1024**3:g} GiB",
        memory_bytes=DEFAULT_MEMORY_LIMIT,
        refuse_links=REFUSE_LINKS_HOOK,
    )


def load_config(course: Course):
    """The course's nbgrader_config.py as a traitlets Config, pinned to this course folder.

    Root and gradebook are set explicitly, so a config file that names another root cannot
    send a worker's writes to the real course; so is the hook that refuses linked submissions.
    """
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    from checker.classroom.nbgrader_run import nbgrader_logger
    from checker.classroom.sanitize import refuse_linked_submissions

    prepare_environment()
    config = PyFileConfigLoader(course.config_file.name, path=str(course.root)).load_config()
    pinned = Config()
    pinned.CourseDirectory.root = str(course.root)
    pinned.CourseDirectory.db_url = course.db_url
    # Also for a course whose config file predates the hook; in-process, nbgrader's log is ours.
    pinned.Autograde.pre_convert_hook = functools.partial(refuse_linked_submissions, log=nbgrader_logger())
    config.merge(pinned)
    return config


def replay_config(course: Course, executed_dir: Path):
    """The course config with execution replaced by reading notebooks executed elsewhere."""
    config = load_config(course)
    steps = list(config.Autograde.get("autograde_preprocessors", AUTOGRADE_STEPS))
    names = [_step_name(step) for step in steps]
    first = next(
        (i for i, name in enumerate(names) if name in EXECUTION_STEPS or name.endswith(".Execute")), None
    )
    if first is None:
        raise ValueError(f"{course.config_file} runs no Execute step; nothing to replay.")
    kept = [
        step
        for step, name in zip(steps, names)
        if name not in EXECUTION_STEPS and not name.endswith(".Execute")
    ]
    kept.insert(first, "checker.classroom.replay.ReplayExecution")
    config.Autograde.autograde_preprocessors = kept
    config.ReplayExecution.executed_directory = str(executed_dir)
    return config


def _step_name(step) -> str:
    return step if isinstance(step, str) else f"{step.__module__}.{step.__qualname__}"


def prepare_environment() -> None:
    """nbgrader runs `alembic` from PATH: put this interpreter's bin/ first. Quiet TensorFlow."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join(p for p in (bin_dir, path) if p)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def subprocess_environment(**extra: str) -> dict:
    """The environment for our own child processes: this interpreter first, the checker importable."""
    prepare_environment()
    env = dict(os.environ)
    env.update({"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repository_root()), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env
