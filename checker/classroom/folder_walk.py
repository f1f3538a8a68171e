"""Everything below a folder learner code could write, walked without following a link.

Both the disk guard (sizes, while a kernel runs) and `defuse` (after it ends) walk a kernel's
folders; a link there may point anywhere, so neither may follow one.

Learner code can also nest folders deeper than any path the grader could open (a chain of
255-character names passes PATH_MAX, 4096, in 17 steps, through relative paths): a walk by
path would not see what lies below, and Python's recursive `shutil.rmtree` fails on it. So the
walk never goes below MAX_DEPTH folders or MAX_RELATIVE_CHARS characters: such a folder is
yielded as `too_deep` (its own path is still short enough to use) and not entered, for the
caller to treat as a limit reached (the disk guard) or to remove whole (`remove_tree`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

MAX_DEPTH = 32  # folders below the walked one; a notebook's logs and checkpoints need a handful
MAX_RELATIVE_CHARS = 1024  # of a path below the walked folder: with a 255-character name, far from PATH_MAX


class Entry(NamedTuple):
    path: Path
    info: os.stat_result
    too_deep: bool = False  # a folder the walk did not enter: it nests too deep


def below(folder: Path, limit: int | None = None) -> Iterator[Entry]:
    """(path, lstat, too_deep) of each file, folder, link, FIFO... below `folder`, at most `limit`.

    A folder is entered only after it has been yielded, so a caller may first make it readable.
    Entries that vanish or cannot be read are skipped.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "inner").mkdir()
    >>> (folder / "inner" / "link").symlink_to("/")
    >>> sorted(str(path.relative_to(folder)) for path, _, _ in below(folder))
    ['inner', 'inner/link']
    """
    root = str(folder)
    pending, seen = [(Path(folder), 0)], 0
    while pending:
        current, depth = pending.pop()
        with contextlib.suppress(OSError), os.scandir(current) as scan:
            for entry in scan:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    is_folder = entry.is_dir(follow_symlinks=False)
                    too_deep = is_folder and (
                        depth + 1 >= MAX_DEPTH or len(entry.path) - len(root) > MAX_RELATIVE_CHARS
                    )
                    if is_folder and not too_deep:
                        pending.append((Path(entry.path), depth + 1))
                    yield Entry(Path(entry.path), info, too_deep)


def remove_tree(path: Path) -> None:
    """Remove `path` and all below it, however deep: coreutils' `chmod -R` (the owner may enter
    and empty every folder) and `rm -rf` walk by descriptor without a recursion limit, follow no
    link and, here, do not cross into another file system.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "a" / "b").mkdir(parents=True)
    >>> (folder / "a").chmod(0)
    >>> remove_tree(folder), folder.exists()
    (None, False)
    """
    for command in (["chmod", "-R", "u+rwX"], ["rm", "-rf", "--one-file-system"]):
        subprocess.run(
            [*command, "--", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=600,
        )


def stat_or_none(path: Path, follow_symlinks: bool = True) -> os.stat_result | None:
    """`os.stat`, or None for a path that is gone (or that this process may not look at).

    >>> stat_or_none(Path("/no/such/path")) is None
    True
    """
    try:
        return os.stat(path, follow_symlinks=follow_symlinks)
    except OSError:
        return None
