"""How long one submission's grading may take, and the watchdog that holds a task to it.

nbgrader already bounds each cell (`Execute.timeout`) and the clean verdicts bound their own
processes, so a task normally ends well within the sum. The deadline is the backstop for what
those bounds do not cover (a kernel that will not shut down, a hang inside nbgrader): it is
generous on purpose, and reaching it means something is wrong, never that a notebook is slow.

When a task passes its deadline, its kernels and other processes are ended; nbgrader then sees
a dead kernel and finishes the notebook (the cells not run score 0), and the submission is
listed as needing attention. If the task still has not returned some time later, the worker
process ends itself: Dask then retries the task on another worker once, and after that reports
it as failed. Nothing waits forever.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from checker.classroom.leftovers import end_marked_processes, is_cancelled

START_SECONDS = 300.0  # kernel start, imports, nbgrader's own steps
CELL_MARGIN = 2.0  # each cell's timeout counts this many times (a busy machine)
CLEAN_GRADING_SECONDS = 240.0  # per checker test cell (the clean process has 180 s)
GRACE_SECONDS = 120.0  # after the kernels are ended, before the worker ends itself


def task_deadline(cell_timeout: float, code_cells: int, checker_cells: int) -> float:
    """Seconds one submission may take: generous, computed from the course's cell timeout.

    >>> task_deadline(120, 10, 2)
    3180.0
    """
    return START_SECONDS + code_cells * cell_timeout * CELL_MARGIN + checker_cells * CLEAN_GRADING_SECONDS


def cell_timeout(config) -> float:
    """The course's `Execute.timeout` (nbgrader's default: 30 s); None or 0 in the config means 30."""
    value = config.Execute.get("timeout", None) if "Execute" in config else None
    return float(value) if isinstance(value, (int, float)) and value > 0 else 30.0


class Watchdog:
    """Ends the task's processes at its deadline or when its run is cancelled; later, the worker.

    with Watchdog("run:ann/01", deadline=600) as watchdog:
        ... grade ...
    watchdog.stopped  # the reason it intervened, or ""
    """

    def __init__(self, marker: str, deadline: float, grace: float = GRACE_SECONDS, on_stuck=None):
        self.marker, self.deadline, self.grace = marker, deadline, grace
        self.on_stuck = on_stuck or end_this_worker
        self.stopped = ""
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="checker-watchdog", daemon=True)

    def __enter__(self):
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(1.0):
            elapsed = time.monotonic() - self._started
            if is_cancelled(self.marker):
                self.stopped = self.stopped or "grading was cancelled"
            elif elapsed > self.deadline:
                self.stopped = self.stopped or (
                    f"grading ran past its deadline of {self.deadline:.0f} s and its kernel was stopped"
                )
            if self.stopped:
                end_marked_processes(self.marker)
            if elapsed > self.deadline + self.grace and not self._done.is_set():
                self.on_stuck()
                return


def end_this_worker() -> None:
    """A task stuck past its deadline cannot be interrupted from inside: end the worker process.

    Only inside a Dask worker (its nanny starts a fresh one and the scheduler retries or reports
    the task); anywhere else nothing happens.
    """
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return
    os.kill(os.getpid(), signal.SIGKILL)


def submission_deadline(notebooks: dict[str, bytes], timeout: float) -> float:
    """The deadline of a submission's notebooks (file name -> bytes), counted from their cells.

    A notebook that is not valid JSON counts as empty: nbgrader fails it at once.
    """
    import json

    from checker.classroom.evidence import checker_exercise

    code_cells = checker_cells = 0
    for content in notebooks.values():
        try:
            cells = json.loads(content).get("cells", [])
        except (ValueError, AttributeError):
            continue
        code = [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]
        code_cells += len(code)
        checker_cells += sum(1 for c in code if checker_exercise(c))
    return task_deadline(timeout, code_cells, checker_cells)
