"""Environment variables set for a while: what child processes (kernels, workers) inherit."""

from __future__ import annotations

import contextlib
import os


@contextlib.contextmanager
def environment(values: dict[str, str | None]):
    """Set (or, for None, remove) these variables inside the block; put them back after it.

    >>> with environment({"CHECKER_EXAMPLE": "1"}):
    ...     os.environ["CHECKER_EXAMPLE"]
    '1'
    >>> "CHECKER_EXAMPLE" in os.environ
    False
    """
    saved = {key: os.environ.get(key) for key in values}
    try:
        _apply(values)
        yield
    finally:
        _apply(saved)


def _apply(values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
