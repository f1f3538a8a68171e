"""What learner code left in its writable folders, made harmless before the grader goes there.

Once a kernel has ended, nbgrader writes the graded notebook into the notebook's folder, and a
class worker reads every notebook there back. Both follow symbolic links, and both wait on a FIFO.
So learner code could leave a link where the graded notebook goes (nbgrader then overwrites what
it points to: the checker's source, the gradebook), a FIFO (a read that never returns), a link to
`/dev/zero` (a read that never ends), a set-user-ID program (owned by the grading user: a way
in for anyone on the machine), or folders nested past what a path can name (the recursive
`shutil.rmtree` of nbgrader and of tempfile then fails). `defuse`, called once no process of the
sandbox is left, removes every link, FIFO, socket and device node and every folder nested
deeper than `folder_walk` goes, clears set-user-ID and set-group-ID bits, and gives the
owner back read and write access, so the grader can read and remove what is left.
`read_regular` reads one such file without following a link or waiting on a FIFO.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from checker.classroom import folder_walk

OWNER_NEEDS = {True: stat.S_IRWXU, False: stat.S_IRUSR | stat.S_IWUSR}  # by "is a folder"


def defuse(folder: Path) -> list[str]:
    """Make everything below `folder` safe to read, write and remove; what was changed, in words.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "01.ipynb").symlink_to("/etc/passwd")
    >>> os.mkfifo(folder / "waits")
    >>> defuse(folder)
    ['removed the symbolic link 01.ipynb', 'removed the FIFO waits']
    """
    changes: list[tuple[Path, str]] = []
    _restore_owner_access(folder, folder_walk.stat_or_none(folder, follow_symlinks=False), changes, folder)
    for path, info, too_deep in folder_walk.below(folder):
        if too_deep:  # nbgrader's and tempfile's rmtree recurse: a deep chain would make them fail
            folder_walk.remove_tree(path)
            where = str(path.relative_to(folder))
            where = where if len(where) <= 80 else f"{where[:40]}...{where[-37:]}"
            changes.append((path, f"removed the folder {where}, nested too deep, with all below it"))
            continue
        if stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode):
            _restore_owner_access(path, info, changes, folder)
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            changes.append((path, f"removed the {_kind(info.st_mode)} {path.relative_to(folder)}"))
    return [change for _, change in sorted(changes, key=lambda pair: (len(pair[0].parts), pair[0]))]


def read_regular(path: Path, max_bytes: int) -> bytes | None:
    """The bytes of `path` if it is a regular file (not a link to one) of at most `max_bytes`, else None.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.json").write_text("{}")
    >>> (folder / "b.json").symlink_to(folder / "a.json")
    >>> read_regular(folder / "a.json", 100), read_regular(folder / "b.json", 100), read_regular(folder / "a.json", 1)
    (b'{}', None, None)
    """
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        content = file.read(max_bytes + 1)
    return content if len(content) <= max_bytes else None


def _restore_owner_access(
    path: Path, info: os.stat_result | None, changes: list[tuple[Path, str]], root: Path
) -> None:
    if info is None:
        return
    mode = stat.S_IMODE(info.st_mode)
    wanted = (mode | OWNER_NEEDS[stat.S_ISDIR(info.st_mode)]) & ~(stat.S_ISUID | stat.S_ISGID)
    if wanted != mode:
        with contextlib.suppress(OSError):
            os.chmod(path, wanted)  # not a link: checked, and nothing is left to swap it
            if mode & (stat.S_ISUID | stat.S_ISGID):
                changes.append(
                    (path, f"cleared set-user-ID and set-group-ID on {path.relative_to(root) or '.'}")
                )


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device node"
