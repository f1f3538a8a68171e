"""The task a Dask worker runs: nbgrader's Autograde on one submission, in a private course copy.

The task gets everything as bytes (payload.py), rebuilds a private course in a temporary
folder, runs nbgrader's Autograde there in this process (the course's own steps: the guarded
execution and the clean verdicts; nbgrader is imported once per worker process), and returns
the executed notebooks as bytes. It writes only its own gradebook copy, which is thrown away
with the folder; the head writes the real gradebook from the returned notebooks (replay.py).

Every process the task starts carries its marker (leftovers.py) and is ended when the task
ends, so kernels never outlive their task, and a watchdog holds it to its deadline
(deadline.py). While it grades, the process's standard output and error (which the kernels
inherit) go to a log in the task's folder. Tasks in one process run one at a time (nbgrader and the kernel environment
are per process), so a worker started with more threads is safe, only not faster.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from checker.classroom.deadline import Watchdog
from checker.classroom.layout import Submission
from checker.classroom.leftovers import end_marked_processes, marked
from checker.classroom.payload import CourseFiles, SubmissionFiles, notebook_bytes, unpack
from checker.classroom.sanitize import REFUSED

NEEDS_ATTENTION = "checker error: needs attention"  # how a checker bug fails a submission
STARTED_TOPIC = "checker-grading-started"

_one_at_a_time = threading.Lock()


@dataclass
class TaskResult:
    submission: Submission
    success: bool
    error: str = ""  # why it failed, or what went wrong on the way ("" when all went well)
    seconds: float = 0.0
    worker: str = ""
    notebooks: dict[str, bytes] = field(default_factory=dict)  # executed, by file name


def grade_submission(
    course_files: CourseFiles, submission_files: SubmissionFiles, marker: str, deadline: float
) -> TaskResult:
    """Autograde one submission in a private copy of the course; the executed notebooks back.

    `marker` ("<run id>:<student>/<assignment>") tags every process the task starts.

    >>> result = grade_submission(course_files, submission_files, "run1:ann/01", 900)  # doctest: +SKIP
    >>> result.success, sorted(result.notebooks)  # doctest: +SKIP
    (True, ['01.ipynb'])
    """
    submission = submission_files.submission
    with _one_at_a_time, tempfile.TemporaryDirectory(prefix="checker-grading-") as scratch:
        started = time.perf_counter()
        announce_start(marker)
        course = unpack(course_files, submission_files, Path(scratch))
        try:
            with (
                _output_to(Path(scratch) / "grading.log"),
                marked(marker),
                Watchdog(marker, deadline) as watchdog,
            ):
                outcome = _autograde(course, submission)
        finally:
            end_marked_processes(marker)
        done = course.folder("autograded", submission.student, submission.assignment)
        return TaskResult(
            submission,
            outcome.success and not watchdog.stopped,
            watchdog.stopped or ("" if outcome.success else failure_reason(outcome)),
            round(time.perf_counter() - started, 3),
            worker_name(),
            notebook_bytes(done),
        )


def _autograde(course, submission: Submission):
    from checker.classroom.config import load_config
    from checker.classroom.nbgrader_run import run_converter

    return run_converter(
        "autograde",
        load_config(course),
        submission.assignment,
        submission.student,
        force=True,
        create_student=True,
    )


@contextlib.contextmanager
def _output_to(log: Path):
    """Descriptors 1 and 2 of this process into `log` while grading: the kernels inherit them,
    and their start-up noise (TensorFlow, ipykernel) belongs in no one's terminal."""
    with open(log, "ab") as target:
        saved = [os.dup(1), os.dup(2)]
        try:
            os.dup2(target.fileno(), 1)
            os.dup2(target.fileno(), 2)
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for descriptor in saved:
                os.close(descriptor)


def failure_reason(outcome) -> str:
    """The line that says why nbgrader failed: a checker error first, else nbgrader's last error.

    >>> from checker.classroom.nbgrader_run import Outcome
    >>> failure_reason(Outcome(False, log="[ERROR] x\\nValueError: checker error: needs attention: bug"))
    'checker error: needs attention: bug'
    """
    for marker in (NEEDS_ATTENTION, REFUSED):
        for line in (outcome.error or "").splitlines() + (outcome.log or "").splitlines():
            if marker in line:
                return line[line.index(marker) :].strip()[:300]
    return outcome.last_error_line()


def announce_start(marker: str) -> None:
    """Tell the scheduler this task really started here (event topic STARTED_TOPIC).

    Dask counts a worker's death against every task the worker held, also those only waiting
    there; the head counts real starts to retry a task whose own run was cut short only once.
    """
    try:
        from distributed import get_worker

        get_worker().log_event(STARTED_TOPIC, marker)
    except (ImportError, ValueError):
        pass


def worker_name() -> str:
    """The Dask worker running this task (its address), or "local" outside Dask."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"
