"""Ctrl-C during class grading: never in the middle of a gradebook write, always noticed.

nbgrader's converters catch every exception, KeyboardInterrupt included (`capture_log` has a
bare except), so a Ctrl-C during a replay would turn into one failed submission and the run
would go on. While `writing()` is active, SIGINT is only recorded; when the write is over it
is raised as KeyboardInterrupt. Outside writes it is raised at once, as usual.
"""

from __future__ import annotations

import contextlib
import signal
import threading


class Interrupts:
    """Install with `with Interrupts() as interrupts:`; wrap each gradebook write in `interrupts.writing()`."""

    def __init__(self):
        self.requested = False
        self._writing = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def ignore(self) -> None:
        """From now on SIGINT is only recorded (the run is already being stopped)."""
        self._writing = True

    @contextlib.contextmanager
    def writing(self):
        self._writing = True
        try:
            yield
        finally:
            self._writing = False
        if self.requested:
            raise KeyboardInterrupt

    def _on_sigint(self, signum, frame) -> None:
        self.requested = True
        if not self._writing:
            raise KeyboardInterrupt
