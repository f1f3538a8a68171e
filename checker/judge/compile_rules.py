"""Compare `model.compile(...)` settings with an exercise's: optimizer, losses, loss weights, metrics.

Works on `model.get_compile_config()` as saved in the description: strings stay strings,
objects (`keras.optimizers.RMSprop()`, `keras.losses.MeanSquaredError()`) are serialised
dicts, and per-output settings come as a dict by output name or a list in output order.
"""

from __future__ import annotations

from checker.judge.graph import ModelGraph
from checker.report import CheckResult

LOSS_NAMES = {
    "mse": "mse",
    "meansquarederror": "mse",
    "mae": "mae",
    "meanabsoluteerror": "mae",
    "categoricalcrossentropy": "categorical_crossentropy",
    "binarycrossentropy": "binary_crossentropy",
    "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
}
# What "acc" / "accuracy" means depends on the loss (Keras picks the accuracy that fits it).
ACCURACY_FOR_LOSS = {
    "categorical_crossentropy": "categorical_accuracy",
    "binary_crossentropy": "binary_accuracy",
    "sparse_categorical_crossentropy": "sparse_categorical_accuracy",
}


def check_compile(description: dict, student: ModelGraph, spec: dict) -> CheckResult:
    points = spec["points"]["compile"]
    expected = spec["compile"]
    config = description.get("compile")
    if not config:
        return not_compiled(points, _compile_call(expected))
    output_names = student.loss_order()
    problems = []
    if "optimizer" in expected:
        problems.append(_optimizer_problem(config.get("optimizer"), expected["optimizer"]))
    problems.append(_loss_problem(config.get("loss"), expected["loss"], output_names))
    if "loss_weights" in expected:
        problems.append(
            _loss_weight_problem(config.get("loss_weights"), expected["loss_weights"], output_names)
        )
    if "metrics" in expected:
        loss = loss_name(expected["loss"]) if isinstance(expected["loss"], str) else None
        problems.append(_metric_problem(config.get("metrics"), expected["metrics"], loss))
    messages = [p for p in problems if p]
    earned = points * (len(problems) - len(messages)) / len(problems)
    if _right_in_written_order(description, config, expected, output_names):
        messages.append(_sorted_outputs_note(output_names))
    return CheckResult("compile", points, round(earned, 2), messages)


def _right_in_written_order(description: dict, config: dict, expected: dict, output_names: list[str]) -> bool:
    """A list of losses or loss weights that is wrong only because the outputs are a dict: paired
    with the outputs in the order they were written, it would be right."""
    outputs = (description.get("config") or {}).get("output_layers")
    written = list(outputs) if isinstance(outputs, dict) else None
    if not written or written == output_names:
        return False
    checks = [("loss", _loss_problem, expected["loss"])]
    if "loss_weights" in expected:
        checks.append(("loss_weights", _loss_weight_problem, expected["loss_weights"]))
    return any(
        isinstance(config.get(key), list)
        and problem(config.get(key), wanted, output_names)
        and not problem(config.get(key), wanted, written)
        for key, problem, wanted in checks
    )


def _sorted_outputs_note(output_names: list[str]) -> str:
    """Why a list that follows the written order pairs the wrong outputs: Keras sorts a dict's keys."""
    order = ", ".join(f"'{name}'" for name in output_names)
    return (
        "The model's outputs are a dict, so Keras pairs a list of losses or loss weights with the "
        f"outputs in sorted name order ({order}), not in the order they were written. Key them by "
        "output name instead."
    )


def loss_name(value) -> str | None:
    """'mse' for 'mse', 'mean_squared_error' and a serialised MeanSquaredError(); else the name as given.

    >>> loss_name({"class_name": "MeanSquaredError", "config": {}})
    'mse'
    >>> loss_name({"class_name": "function", "config": "mean_squared_error"})
    'mse'
    """
    if value is None:
        return None
    if isinstance(value, dict) and value.get("class_name") == "function":
        value = value.get("config")  # a loss function object, e.g. keras.losses.mean_squared_error
    elif isinstance(value, dict):
        value = value.get("class_name") or value.get("config", {}).get("name", "custom")
    text = str(value)
    return LOSS_NAMES.get(text.lower().replace("_", ""), text)


def losses_by_output(value, output_names: list[str]) -> dict[str, str | None]:
    """The loss of each output, whatever form compile() was given.

    `output_names` must be in the order Keras matches a list of losses (ModelGraph.loss_order).
    """
    if isinstance(value, dict) and "class_name" not in value:
        return {name: loss_name(value.get(name)) for name in output_names}
    if isinstance(value, list):
        padded = list(value) + [None] * len(output_names)
        return {name: loss_name(padded[i]) for i, name in enumerate(output_names)}
    return {name: loss_name(value) for name in output_names}


def _optimizer_problem(found, expected: str) -> str:
    name = found.get("class_name") if isinstance(found, dict) else found
    if str(name).lower() == expected.lower():
        return ""
    return (
        f"The optimizer is {name}; the exercise asks for {expected}: "
        f'compile(optimizer="{expected}", ...) (or keras.optimizers.RMSprop()).'
    )


def _loss_problem(found, expected, output_names: list[str]) -> str:
    if isinstance(expected, str):
        got = losses_by_output(found, output_names)
        wrong = {n: g for n, g in got.items() if g != loss_name(expected)}
        if not wrong:
            return ""
        return (
            f'The loss is {", ".join(sorted({str(g) for g in wrong.values()}))}; expected loss="{expected}".'
        )
    got = losses_by_output(found, output_names)
    wrong = [
        f"'{name}' has {got.get(name) or 'no loss'} (expected {loss})"
        for name, loss in expected.items()
        if got.get(name) != loss_name(loss)
    ]
    if not wrong:
        return ""
    return "Losses by output: " + "; ".join(wrong) + f". Give one loss per output by name: loss={expected!r}."


def _loss_weight_problem(found, expected: dict, output_names: list[str]) -> str:
    if found is None:
        return (
            f"No loss_weights. The three losses have very different sizes, so without weights the "
            f"largest one dominates training: pass loss_weights={expected!r}."
        )
    if isinstance(found, list):
        found = dict(zip(output_names, found))
    if not isinstance(found, dict):
        return f"loss_weights should be one number per output: loss_weights={expected!r}."
    wrong = [
        f"'{name}' has {found.get(name)} (expected {weight})"
        for name, weight in expected.items()
        if not _close(found.get(name), weight)
    ]
    return "" if not wrong else "Loss weights: " + "; ".join(wrong) + f". Use loss_weights={expected!r}."


def metric_meaning(metric, loss: str | None) -> str:
    """The metric a name or serialised metric stands for, under a given loss.

    >>> metric_meaning("acc", "categorical_crossentropy") == metric_meaning("CategoricalAccuracy", None)
    True
    >>> metric_meaning("accuracy", "binary_crossentropy")
    'binary_accuracy'
    """
    by_name = not isinstance(metric, dict) or metric.get("class_name") == "function"
    if isinstance(metric, dict):  # a metric object: keras.metrics.Accuracy() is exact equality, not this
        metric = metric.get("config") if metric.get("class_name") == "function" else metric.get("class_name")
    text = str(metric).lower().replace("_", "")
    if by_name and text in ("acc", "accuracy"):
        return ACCURACY_FOR_LOSS.get(loss or "", "accuracy")
    known = {name.replace("_", ""): name for name in ACCURACY_FOR_LOSS.values()}
    return known.get(text, text)


def _metric_problem(found, expected: list[str], loss: str | None) -> str:
    have = {metric_meaning(m, loss) for m in _flatten(found)}
    missing = [m for m in expected if metric_meaning(m, loss) not in have]
    if not missing:
        return ""
    same = ", ".join(f'"{n}"' for n in _same_metric_names(missing[0], loss))
    return (
        f'Metrics should include {missing[0]!r} (or another name for it: {same}): metrics=["{missing[0]}"].'
    )


def _same_metric_names(metric: str, loss: str | None) -> list[str]:
    meaning = metric_meaning(metric, loss)
    return [n for n in ("acc", "accuracy", meaning) if n != metric and metric_meaning(n, loss) == meaning]


def _flatten(value) -> list:
    """Metrics come as a name, a list, or a dict by output name of names or lists."""
    if value is None:
        return []
    if isinstance(value, dict) and "class_name" in value:
        return [value]
    if isinstance(value, dict):
        return [m for item in value.values() for m in _flatten(item)]
    if isinstance(value, (list, tuple)):
        return [m for item in value for m in _flatten(item)]
    return [value]


def _close(value, target: float) -> bool:
    try:
        return abs(float(value) - target) < 1e-6
    except (TypeError, ValueError):
        return False


def not_compiled(points: float, call: str) -> CheckResult:
    """No points for compile settings, and the call that would give them.

    >>> not_compiled(2, "model.compile(loss='mse')").messages[0][:28]
    'The model is not compiled. C'
    """
    message = f"The model is not compiled. Call {call} in your function, before `return model`."
    return CheckResult("compile", points, 0.0, [message])


def _compile_call(expected: dict) -> str:
    parts = [f"{key}={value!r}" for key, value in expected.items()]
    return f"model.compile({', '.join(parts)})"
