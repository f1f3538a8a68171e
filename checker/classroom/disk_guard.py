"""DiskGuard: a limit on what a learner's notebook writes to disk, checked while it runs.

The sandbox bounds each file (RLIMIT_FSIZE) and its in-memory scratch space, but the folders a
kernel must write on the grading machine's disk (its notebook's folder, its socket folder) have
no size of their own: Linux has no per-folder limit short of quotas, so a loop of 1 GB files
could fill the disk under the gradebook and every classmate's grading. A thread of nbgrader's
process adds up what those folders hold every POLL_SECONDS, and the files the kernel's processes
removed but still hold open or mapped (their space stays taken, yet no walk finds them). Past
`limit_bytes` more than at the start, past MAX_ENTRIES files and folders, or with folders
nested deeper than the walk goes (folder_walk: a deep chain would hide what lies below it), it
calls `on_exceeded` once (GuardedExecute ends the kernel); `remove_new_files` then deletes what
the run created, so nothing of it stays.

What gets past it: about POLL_SECONDS of writing (a disk takes about 1 GB/s) before the kernel
ends, never a single file over the sandbox's file-size limit.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from checker.classroom import folder_walk

POLL_SECONDS = 0.25
MAX_ENTRIES = 20_000  # files and folders: a million tiny files fill a disk's inodes, and slow every scan


class DiskGuard:
    """Watch `folders` for more than `limit_bytes` of growth (or too many entries).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> guard = DiskGuard([folder], limit_bytes=1000, on_exceeded=print)
    >>> _ = (folder / "big").write_bytes(bytes(8192))
    >>> guard.check()
    'more than 0.001 MB'
    >>> guard.remove_new_files(), sorted(folder.iterdir())
    (1, [])
    >>> folder.rmdir()
    """

    def __init__(self, folders: list[Path], limit_bytes: int, on_exceeded: Callable[[str], None]):
        self.limit_bytes = limit_bytes
        self.exceeded: str | None = None  # why, once it has been
        self._on_exceeded = on_exceeded
        self._folders: list[Path] = []
        self._existing: set[Path] = set()  # what was there before the run: the submission's files
        self._baseline = 0
        self._process_sources: list[Callable[[], Iterable[int]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="checker-disk-guard", daemon=True)
        for folder in folders:
            self.watch(folder)

    def watch(self, folder: Path) -> None:
        """Also watch this folder (e.g. the kernel's socket folder, made after the guard)."""
        folder = Path(folder)
        entries = list(_entries(folder, MAX_ENTRIES))
        with self._lock:
            self._folders.append(folder)
            self._existing |= {path for path, _, _ in entries}
            self._baseline += sum(size for _, size, _ in entries)

    def watch_processes(self, pids: Callable[[], Iterable[int]]) -> None:
        """Also count the files these processes (`pids()` at each check) hold open or mapped after
        removing them: such a file keeps its disk space, yet no walk of a folder finds it."""
        with self._lock:
            self._process_sources.append(pids)

    def start(self) -> DiskGuard:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def check(self) -> str | None:
        """Why the folders are over the limit now, or None."""
        with self._lock:
            folders, baseline, sources = list(self._folders), self._baseline, list(self._process_sources)
        used = _removed_but_held(folders, [pid for pids in sources for pid in pids()])
        count, too_deep = 0, False
        for folder in folders:
            for _, size, deep in _entries(folder, MAX_ENTRIES + 1 - count):
                used, count, too_deep = used + size, count + 1, too_deep or deep
        if too_deep:  # what lies below is out of the walk's sight, so it cannot be measured
            return f"folders nested more than {folder_walk.MAX_DEPTH} deep (or paths that long)"
        if count > MAX_ENTRIES:
            return f"more than {MAX_ENTRIES:,} files and folders"
        if used - baseline > self.limit_bytes:
            return f"more than {self.limit_bytes / 1e6:g} MB"
        return None

    def remove_new_files(self) -> int:
        """Delete every file and folder the run added (call it once the kernel has ended)."""
        with self._lock:
            folders, existing = list(self._folders), set(self._existing)
        removed = 0
        for folder in folders:
            for path, _, _ in list(_entries(folder, None)):
                if path not in existing and (path.is_symlink() or path.exists()):
                    _remove(path)
                    removed += 1
        return removed

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            problem = self.check()
            if problem:
                self.exceeded = problem
                self._on_exceeded(problem)
                return


def _entries(folder: Path, limit: int | None) -> Iterator[tuple[Path, int, bool]]:
    """(path, bytes on disk, nests too deep) of everything below `folder`, links not followed,
    at most `limit`."""
    return (
        (path, info.st_blocks * 512, too_deep) for path, info, too_deep in folder_walk.below(folder, limit)
    )


def _removed_but_held(folders: list[Path], pids: list[int]) -> int:
    """Bytes, on the file systems of `folders`, of the removed files that `pids` hold open or mapped."""
    devices = {info.st_dev for info in map(folder_walk.stat_or_none, folders) if info}
    held: dict[tuple[int, int], int] = {}
    for pid in pids:
        for kind in ("fd", "map_files"):  # map_files: readable by root only (CAP_SYS_ADMIN)
            links = Path("/proc") / str(pid) / kind
            with contextlib.suppress(OSError):
                for name in os.listdir(links):
                    info = folder_walk.stat_or_none(links / name)  # follows the link to the open file itself
                    if info and stat.S_ISREG(info.st_mode) and info.st_nlink == 0 and info.st_dev in devices:
                        held[(info.st_dev, info.st_ino)] = info.st_blocks * 512
    return sum(held.values())


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            folder_walk.remove_tree(path)  # shutil.rmtree recurses, and fails on a deep chain
        else:
            path.unlink()
