"""Helpers the course notebooks call: seeds, epoch counts, model pictures, curves, results.

    from checker.course import set_seed, fresh_seed, epochs, show_model, plot_history, report_metric

Environment variables (set by `python -m checker solutions` and the tests, never needed
by a learner):

- CHECKER_FAST=1: `epochs(n)` returns max(1, n // 4), so an instructor can execute every
  notebook quickly to see that it runs. Validation metrics are then lower than in class.
- CHECKER_RESULTS_DIR=<dir>: `report_metric` also writes <dir>/metrics.json, which the
  `solutions` command reads to print its table.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from checker.course.model_drawing import show_model  # noqa: F401 - part of this module's interface
from checker.course.skim import SKIPPED_DRAWING, skimming
from checker.paths import results_dir

FAST_ENV = "CHECKER_FAST"
METRICS_FILE = "metrics.json"


_last_seed = {"seed": 42, "deterministic_ops": True}


def set_seed(seed: int = 42, deterministic_ops: bool = True) -> None:
    """Seed Python, NumPy and the Keras backend so a rerun gives the same numbers.

    With `deterministic_ops` (TensorFlow backend only) TensorFlow also picks deterministic
    kernels, so even the last digits of the curves repeat on the same machine with the same
    library versions. Another CPU, a GPU or other versions round differently: the curves
    then tell the same story, but the last digits differ.

    >>> set_seed(42)
    """
    import keras

    _last_seed.update(seed=seed, deterministic_ops=deterministic_ops)
    keras.utils.set_random_seed(seed)
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def fresh_seed() -> None:
    """Seed again with the notebook's seed, right before building a model you will train.

    Keras draws every new layer's initial weights from the random generator, so without
    this the weights (and the curves) would depend on how many models earlier cells built,
    or how often you reran them.

    >>> fresh_seed()
    """
    set_seed(**_last_seed)


def epochs(n: int) -> int:
    """The number of epochs to train: `n`, or max(1, n // 4) when CHECKER_FAST=1."""
    return max(1, n // 4) if fast_mode() else n


def fast_mode() -> bool:
    return os.environ.get(FAST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _display_figure(figure) -> None:
    """Inline in a notebook; in a plain script, whatever the matplotlib backend does."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(figure)
    else:
        import matplotlib.pyplot as plt

        plt.show()


# ---------------------------------------------------------------- plot_history


def plot_history(history, metric: str | None = None, chance=None) -> None:
    """Plot loss and `metric` per epoch, training (solid) against validation (dashed).

    `history` is what `model.fit(...)` returned. With several outputs every recorded
    metric ending in `metric` is drawn, e.g. "income_accuracy" for metric="accuracy",
    and the left panel is the weighted total loss. `chance` draws what guessing scores as a
    dotted line: a number, or {curve name: number} for several outputs.

    >>> plot_history({"loss": [1.0, 0.5], "accuracy": [0.4, 0.8]}, "accuracy", chance=0.1)
    """
    if skimming():
        print(SKIPPED_DRAWING)
        return
    import matplotlib.pyplot as plt

    from checker.course.plotting import history_figure

    figure = history_figure(history, metric, chance)
    _display_figure(figure)
    plt.close(figure)


# ---------------------------------------------------------------- report_metric


def report_metric(
    name: str,
    value,
    chance,
    lower_is_better: bool = False,
    quiet: bool = False,
    demonstration: bool = False,
) -> None:
    """Print a trained model's validation metric next to what guessing would score.

    Prints e.g. "validation accuracy: 0.93 (chance level: 0.10)". When CHECKER_RESULTS_DIR
    is set the value is also merged into <dir>/metrics.json (the last value per name
    wins) for the instructor's table. Use `lower_is_better=True` for errors such as mae.
    `quiet=True` prints nothing and only records: for a value a table in the notebook
    already shows, so the learner does not read it twice. `demonstration=True` marks a model
    that is there to fall short (03's equal loss weights, 08's questionnaire-only model): the
    instructor's table still lists it, without a note when it is no better than chance.

    >>> report_metric("accuracy", 0.93, chance=0.1)
    validation accuracy: 0.93 (chance level: 0.10)
    >>> report_metric("accuracy, steps=2", 0.88, chance=1 / 3, quiet=True)  # the table shows it
    """
    value, chance = float(value), float(chance)
    if not quiet:
        print(f"validation {name}: {_format_number(value)} (chance level: {_format_number(chance)})")
    folder = results_dir()
    if folder:
        record_metric(folder, name, value, chance, lower_is_better, demonstration)


def record_metric(
    folder: Path,
    name: str,
    value: float,
    chance: float,
    lower_is_better: bool = False,
    demonstration: bool = False,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / METRICS_FILE
    metrics = read_metrics(folder)
    metrics.pop(name, None)  # re-insert so the last reported metric is last in the file
    metrics[name] = {"value": value, "chance": chance, "lower_is_better": lower_is_better}
    if demonstration:
        metrics[name]["demonstration"] = True
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(metrics, indent=1))
    temporary.replace(path)


def read_metrics(folder) -> dict:
    """{name: {"value", "chance", "lower_is_better"[, "demonstration"]}} in reporting order; {} if none."""
    try:
        data = json.loads((Path(folder) / METRICS_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _format_number(x: float) -> str:
    """0.9312 -> 0.93, 0.0123 -> 0.0123, 1234.5 -> 1234.50."""
    return f"{x:.2f}" if x == 0 or abs(x) >= 0.1 else f"{x:.3g}"
