"""Processes a grading task started, found again by a marker in their environment, and ended.

nbgrader's kernels run in sessions of their own (jupyter_client starts them that way), and a
learner's code can start more; so when a worker dies, or the instructor presses Ctrl-C, they
are not in the worker's process tree any more. Every process a task starts inherits the
task's environment, which holds CHECKER_GRADING_TASK=<run id>:<task>. Ending a task's (or a
whole run's) leftovers means ending every process of this user whose environment has a marker
starting with that prefix. The marker is random per run, so nothing else is ever touched.
"""

from __future__ import annotations

import contextlib
import os
import threading

from checker.classroom.environment import environment

MARKER_VARIABLE = "CHECKER_GRADING_TASK"

_cancelled_runs: set[str] = set()
_cancelled_lock = threading.Lock()


@contextlib.contextmanager
def marked(marker: str):
    """Processes started inside this block carry `marker` in their environment.

    >>> with marked("run1:ann/01"):
    ...     os.environ[MARKER_VARIABLE]
    'run1:ann/01'
    """
    with environment({MARKER_VARIABLE: marker}):
        yield


def end_marked_processes(prefix: str) -> int:
    """Kill every process whose marker starts with `prefix`; how many were killed.

    Never this process nor its ancestors. Runs on whichever machine calls it (the head calls
    it on every worker through Dask).

    >>> end_marked_processes("no-such-run:")
    0
    """
    import psutil  # an ipykernel dependency

    if not prefix:
        raise ValueError("an empty prefix would match every grading process")
    spared = {os.getpid(), *(p.pid for p in psutil.Process().parents())}
    killed = 0
    for process in psutil.process_iter():
        if process.pid in spared:
            continue
        with contextlib.suppress(psutil.Error):
            if process.environ().get(MARKER_VARIABLE, "").startswith(prefix):
                process.kill()
                killed += 1
    return killed


def cancel_run(run_id: str) -> int:
    """Stop this run's work in this process: later checks see it cancelled; its processes end.

    Called on every worker (Client.run) when the head is interrupted: a task already running
    cannot be stopped by Dask, but without its kernels nbgrader finishes it at once.
    """
    with _cancelled_lock:
        _cancelled_runs.add(run_id)
    return end_marked_processes(f"{run_id}:")


def is_cancelled(marker: str) -> bool:
    """Whether the run this task marker belongs to was cancelled in this process."""
    with _cancelled_lock:
        return marker.split(":", 1)[0] in _cancelled_runs
