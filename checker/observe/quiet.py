"""Keep Keras' warnings and progress off stderr while learner code runs (nbgrader scores stderr as 0)."""

from __future__ import annotations

import contextlib
import io
import warnings


@contextlib.contextmanager
def quiet():
    """Keras warnings go to stderr, which nbgrader scores as 0 points."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield
