"""A sandbox's PID namespace, known by name, so the grader can wait until nothing in it is left.

bwrap's first child is the sandbox's PID 1; when it dies the kernel kills everything else in the
namespace, but not at once, and a process in the middle of a system call finishes that call. When
the sandbox ends by a signal (a limit, a time-out, a kill at shutdown), the grader cannot tell
from bwrap's exit that learner code has stopped touching the notebook's folder. `end` can: it
kills and waits for every process still in the namespace. (Where the sandbox has a cgroup, its
removal does the same for the cgroup's processes.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")


def of_first_child(pid: int, wait_seconds: float = 5.0) -> str | None:
    """The PID namespace of `pid`'s first child (bwrap's sandbox), e.g. 'pid:[4026532101]', or None.

    >>> import subprocess, sys
    >>> parent = subprocess.Popen(["sh", "-c", "sleep 5 & wait"])
    >>> of_first_child(parent.pid) == of(os.getpid())  # no namespace of its own here
    True
    >>> parent.kill(); _ = parent.wait()
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        child = _first_child(pid)
        if child is not None:
            return of(child)
        if time.monotonic() > deadline:
            return None
        time.sleep(0.005)


def of(pid: int) -> str | None:
    try:
        return os.readlink(PROC / str(pid) / "ns" / "pid")
    except OSError:
        return None


def end(namespace: str, wait_seconds: float = 5.0) -> bool:
    """Kill every process in `namespace` until none runs; False if some outlived `wait_seconds`.

    A zombie has ended: it only waits for its parent to collect its exit status, and an orphan's
    parent is the machine's init, which may take seconds to do so (1.6 s per notebook on a VM
    whose init is not a real one).
    """
    if namespace == of(os.getpid()):
        raise ValueError("refusing to end the grader's own PID namespace")
    deadline = time.monotonic() + wait_seconds
    while True:
        found = [pid for pid in members(namespace) if still_running(pid)]
        if not found:
            return True
        if time.monotonic() > deadline:
            return False
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def still_running(pid: int) -> bool:
    """False once every thread of `pid` has exited (a zombie, or gone).

    A process whose main thread alone exited also shows as a zombie, while its other threads
    still run: every thread is looked at.

    >>> import subprocess
    >>> child = subprocess.Popen(["true"]); _ = os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    >>> still_running(child.pid), still_running(os.getpid())
    (False, True)
    >>> _ = child.wait()
    """
    try:
        threads = os.listdir(PROC / str(pid) / "task")
    except OSError:
        return False
    return any(_state(PROC / str(pid) / "task" / thread) not in ("Z", "X", None) for thread in threads)


def _state(task: Path) -> str | None:
    return _stat_field(task, 0)


def _stat_field(task: Path, index: int) -> str | None:
    """Field `index` after the command name in `task`'s stat (0: its state, 1: its parent)."""
    try:
        return (task / "stat").read_text().rpartition(")")[2].split()[index]
    except (OSError, IndexError):
        return None


def members(namespace: str) -> list[int]:
    """The processes in `namespace` now."""
    return [pid for pid in _pids() if of(pid) == namespace]


def _first_child(pid: int) -> int | None:
    try:
        children = (PROC / str(pid) / "task" / str(pid) / "children").read_text().split()
    except OSError:
        children = [str(p) for p in _pids() if _parent(p) == pid]
    return int(children[0]) if children else None


def _parent(pid: int) -> int | None:
    parent = _stat_field(PROC / str(pid), 1)
    return int(parent) if parent and parent.isdigit() else None


def _pids() -> list[int]:
    return [int(name) for name in os.listdir(PROC) if name.isdigit()]
