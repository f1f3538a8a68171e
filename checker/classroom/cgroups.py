"""Limits on one sandbox as a whole (all its processes together), where the grader may make cgroups.

`prlimit` limits each process on its own, and Linux exempts root's uid from RLIMIT_NPROC, so a
learner graded by root could fork until the machine has no process ids left, or start many
processes that each stay under the memory limit. A cgroup counts them together: `pids.max`
processes and threads, and `memory.max` bytes of memory, tmpfs pages included.

Making a cgroup needs write access to the cgroup filesystem: root on a machine or VM, not most
containers nor an ordinary user (whose RLIMIT_NPROC does hold). Where it is refused, `create`
returns None and the sandbox keeps its per-process limits.

The sandboxed process enters its cgroup through a `sh` prefix (`enter_command`) that writes its
own pid there and execs bwrap, before any learner code exists; inside the sandbox the cgroup
filesystem is read-only and the process has no capabilities, so it cannot leave.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "checker-sandbox-"
STALE_SECONDS = 3600
# Writes $$ to each cgroup.procs file given, then execs the rest: `sh -c SCRIPT sh N file... argv...`
# A cgroup that was made but cannot be entered stops the start (status 125): never unlimited by surprise.
ENTER_SCRIPT = (
    'n=$1; shift; while [ "$n" -gt 0 ]; do '
    'echo $$ > "$1" || { echo "checker: cannot enter the sandbox cgroup $1" >&2; exit 125; }; '
    'shift; n=$((n-1)); done; exec "$@"'
)


@dataclass(frozen=True)
class Cgroup:
    """One sandbox's cgroup: a folder per hierarchy (cgroup v2: one; v1: pids, memory and cpu)."""

    folders: tuple[Path, ...]

    def enter_command(self, argv: list[str]) -> list[str]:
        """`argv`, run inside this cgroup.

        >>> Cgroup((Path("/sys/fs/cgroup/x"),)).enter_command(["bwrap"])[-3:]
        ['1', '/sys/fs/cgroup/x/cgroup.procs', 'bwrap']
        """
        procs = [str(folder / "cgroup.procs") for folder in self.folders]
        return ["sh", "-c", ENTER_SCRIPT, "sh", str(len(procs)), *procs, *argv]

    def remove(self, wait_seconds: float = 5.0) -> None:
        """Remove the folders once their processes are gone (killed ones take a moment)."""
        deadline = time.monotonic() + wait_seconds
        for folder in self.folders:
            while folder.exists():
                try:
                    folder.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    _kill_all(folder)
                    time.sleep(0.05)


def create(processes: int | None, memory_bytes: int | None) -> Cgroup | None:
    """A new cgroup with these limits, or None where cgroups cannot be made here.

    >>> group = create(processes=64, memory_bytes=None)
    >>> group is None or all(f.name.startswith(PREFIX) for f in group.folders)
    True
    >>> group is None or group.remove() is None
    True
    """
    layout = _layout()
    if not (processes or memory_bytes) or layout is None:
        return None
    _remove_stale(layout)
    name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
    made: list[Path] = []
    try:
        for parent, settings in _settings(layout, processes, memory_bytes):
            folder = parent / name
            folder.mkdir()
            made.append(folder)
            for file, value in settings.items():
                (folder / file).write_text(str(value))
    except OSError:
        Cgroup(tuple(made)).remove(wait_seconds=0)
        return None
    return Cgroup(tuple(made))


@functools.cache
def available() -> bool:
    """Whether this process can make cgroups with both limits here (tried once)."""
    group = create(processes=64, memory_bytes=256 * 1024**2)
    if group is None:
        return False
    group.remove(wait_seconds=0)
    return True


def _settings(layout: str, processes: int | None, memory: int | None) -> list[tuple[Path, dict]]:
    """(parent folder, limits) per hierarchy; the cpu one has no limit, only its fair share."""
    if layout == "v2":
        return [(ROOT, {"pids.max": processes or "max", "memory.max": memory or "max"})]
    return [
        (ROOT / "pids", {"pids.max": processes or "max"}),
        (ROOT / "memory", {"memory.limit_in_bytes": memory or -1}),
        *([(ROOT / "cpu", {})] if (ROOT / "cpu" / "cgroup.procs").is_file() else []),
    ]


@functools.cache
def _layout() -> str | None:
    """ "v2" (unified, with pids and memory enabled for children), "v1", or None."""
    if os.geteuid() != 0:
        return None
    controllers = ROOT / "cgroup.subtree_control"
    if controllers.is_file():
        with contextlib.suppress(OSError):
            for controller in ("pids", "memory", "cpu"):  # cpu: best effort (fair shares)
                if controller not in controllers.read_text().split():
                    with contextlib.suppress(OSError):
                        controllers.write_text(f"+{controller}")
            if {"pids", "memory"} <= set(controllers.read_text().split()):
                return "v2"
        return None
    if (ROOT / "pids" / "cgroup.procs").is_file() and (ROOT / "memory" / "cgroup.procs").is_file():
        return "v1"
    return None


@functools.cache  # once per process: a sweep, not a cost of every kernel start
def _remove_stale(layout: str) -> None:
    """Empty cgroups left by graders that were killed (no exit handler ran): an hour old, unused."""
    for parent, _ in _settings(layout, None, None):
        for folder in parent.glob(f"{PREFIX}*"):
            with contextlib.suppress(OSError):
                if time.time() - folder.stat().st_mtime > STALE_SECONDS:
                    folder.rmdir()  # refused while any process is still inside


def _kill_all(folder: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        for pid in (folder / "cgroup.procs").read_text().split():
            with contextlib.suppress(OSError):
                os.kill(int(pid), 9)
