"""Everything below a folder learner code could write, walked without following a link.

Both the disk guard (sizes, while a kernel runs) and `defuse` (after it ends) walk a kernel's
folders; a link there may point anywhere, so neither may follow one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def below(folder: Path, limit: int | None = None) -> Iterator[tuple[Path, os.stat_result]]:
    """(path, lstat) of each file, folder, link, FIFO... below `folder`, at most `limit` of them.

    A folder is entered only after it has been yielded, so a caller may first make it readable.
    Entries that vanish or cannot be read are skipped.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "inner").mkdir()
    >>> (folder / "inner" / "link").symlink_to("/")
    >>> sorted(str(path.relative_to(folder)) for path, _ in below(folder))
    ['inner', 'inner/link']
    """
    pending, seen = [Path(folder)], 0
    while pending:
        with contextlib.suppress(OSError), os.scandir(pending.pop()) as scan:
            for entry in scan:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(Path(entry.path))
                    yield Path(entry.path), info
