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
        keras.Model.fit = _one_batch_fit(keras.Model.fit)
        keras.Model.evaluate = _one_batch_evaluate(keras.Model.evaluate)
    return True


def _one_batch_fit(fit):
    signature = inspect.signature(fit)

    @functools.wraps(fit)
    def one_batch_fit(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        given = bound.arguments
        given["epochs"] = given.get("initial_epoch", 0) + 1
        given["steps_per_epoch"] = 1
        if given.get("validation_data") is not None or given.get("validation_split"):
            given["validation_steps"] = 1
            given["validation_freq"] = 1  # every key of a full run's history, in one epoch
        _eagerly(given["self"])
        return fit(*bound.args, **bound.kwargs)

    one_batch_fit.skimmed = True
    return one_batch_fit


def _one_batch_evaluate(evaluate):
    signature = inspect.signature(evaluate)

    @functools.wraps(evaluate)
    def one_batch_evaluate(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.arguments["steps"] = 1
        _eagerly(bound.arguments["self"])
        return evaluate(*bound.args, **bound.kwargs)

    return one_batch_evaluate


def _eagerly(model) -> None:
    """One batch runs faster eagerly than TensorFlow can trace a graph for it (2 s instead of 8 in 02)."""
    try:
        model.run_eagerly = True
    except AttributeError:  # a model class that made run_eagerly read-only: it traces, slower but right
        pass
