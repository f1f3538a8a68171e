"""While a class is graded, a notebook does only the work a grade can depend on.

No grade depends on training: the graded cells judge how a model is built, and a custom layer
is tried in a process of its own. So in a kernel that grades a class (CHECKER_SKIM=1, which
GuardedExecute sets in class grading and plain `nbgrader autograde` alike), importing
`checker.course` calls `skim_when_grading()`, which makes training and drawing cheap without
changing what later cells can use:

- `fit` runs one epoch of one batch (one validation batch, when there is validation data),
  eagerly (tracing a graph for one batch costs more than the batch), and returns a real History
  with every key a full run records, one value per key;
- `evaluate` looks at one batch; `predict` is left whole, since its rows may be indexed;
- `show_model` and `plot_history` draw nothing (each says so in one line).

The learner's own notebook at home is untouched: none of this happens without CHECKER_SKIM=1.
A learner who undoes it in grading only makes their own notebook slower, never scores differently.
"""

from __future__ import annotations

import functools
import inspect
import os

SKIM_ENV = "CHECKER_SKIM"  # "1" in a kernel that grades a class (GuardedExecute sets it; "0": train in full)
SKIPPED_DRAWING = "(drawing skipped while the class is graded)"


def skimming() -> bool:
    """True in a kernel that grades a class with training skimmed (CHECKER_SKIM=1).

    >>> skimming() == (os.environ.get(SKIM_ENV) == "1")
    True
    """
    return os.environ.get(SKIM_ENV) == "1"


def skim_when_grading() -> bool:
    """Make Keras' fit and evaluate take one batch, when skimming; True if they now do.

    Safe to call more than once.

    >>> skim_when_grading() == skimming()
    True
    """
    if not skimming():
        return False
    from checker.course.startup import start_quietly

    start_quietly()  # imports Keras without TensorFlow's start-up lines
    import keras

    if not getattr(keras.Model.fit, "skimmed", False):
        keras.Model.fit = _one_batch(keras.Model.fit, _one_training_batch)
        keras.Model.evaluate = _one_batch(keras.Model.evaluate, _one_evaluation_batch)
    return True


def _one_batch(method, limit):
    """`method` (fit or evaluate) with its arguments limited by `limit`, run eagerly."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def skimmed(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        limit(bound.arguments)
        _eagerly(bound.arguments["self"])
        return method(*bound.args, **bound.kwargs)

    skimmed.skimmed = True
    return skimmed


def _one_training_batch(given: dict) -> None:
    given["epochs"] = given.get("initial_epoch", 0) + 1
    given["steps_per_epoch"] = 1
    if given.get("validation_data") is not None or given.get("validation_split"):
        given["validation_steps"] = 1
        given["validation_freq"] = 1  # every key of a full run's history, in one epoch


def _one_evaluation_batch(given: dict) -> None:
    given["steps"] = 1


def _eagerly(model) -> None:
    """One batch runs faster eagerly than TensorFlow can trace a graph for it (2 s instead of 8 in 02)."""
    try:
        model.run_eagerly = True
    except AttributeError:  # a model class that made run_eagerly read-only: it traces, slower but right
        pass
