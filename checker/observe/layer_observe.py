"""Run a learner's layer class and write down what it did, as plain data: it judges nothing.

`observe_layer_class(cls, exercise_id, inputs) -> dict` creates the layer, builds it, sets
its weights to known values (SimpleDense), calls it on the given batches, asks for its
config and re-creates it from that config, and (SimpleDense) uses it in a tiny functional
model. Every step that raises is recorded as `{"method", "error", "line"}`. The judge
(`checker.judge.layer_judge`) turns these observations into a report.

This module runs learner code: in class grading it runs only in the sandboxed probe
(`checker.observe.layer_probe`). The observations of one check look like this (SimpleDense)::

    {"exercise": "simple_dense",
     "subject": {"kind": "layer_class", "name": "SimpleDense"},
     "failure": None,                                     # or {"method": "__init__", ...}
     "weights": [{"attribute": "w", "path": "simple_dense/variable", "shape": [3, 2],
                  "trainable": True, "initial": [[...]], "value": [[...]]}, ...],
     "calls": [{"output": [[...]], "error": None}],
     "config": {"value": {"units": 2, ...}, "error": None},
     "round_trip": {"value": {"units": 2, ...}, "error": None},
     "in_model": {"output_shape": [None, 2], "error": None}}
"""

from __future__ import annotations

import json
import re
import traceback
from pathlib import Path

import numpy as np

from checker.observe.layer_setup import SETUPS, known_weight_values
from checker.observe.quiet import quiet


def observe_layer_class(subject, exercise_id: str, inputs: dict) -> dict:
    """Run the learner's class and record what happened, as plain data. Never raises."""
    observations = {"exercise": exercise_id, "subject": _describe_subject(subject), "failure": None}
    if observations["subject"]["kind"] != "layer_class":
        return observations
    with quiet():
        _observe_layer(subject, exercise_id, inputs, observations)
    return json.loads(json.dumps(observations, default=repr))


def _observe_layer(cls, exercise_id: str, inputs: dict, observations: dict) -> None:
    setup = SETUPS[exercise_id]
    ((argument, value),) = inputs["argument"].items()
    try:
        layer = cls(value)
    except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything
        observations["failure"] = _raised("__init__", exc)
        return
    if setup["config"]:
        observations["config"], observations["round_trip"] = _observe_config(cls, layer)
    try:
        layer.build((None, inputs["input_dim"]))
    except Exception as exc:  # noqa: BLE001
        observations["failure"] = _raised("build", exc)
        return
    observations["weights"] = _observe_weights(layer, inputs["weight_seed"] if setup["set_weights"] else None)
    observations["untracked"] = _untracked_variables(layer)
    observations["calls"] = [_observe_call(layer, batch) for batch in inputs["batches"]]
    if setup["in_model"]:  # the built layer again: creating weights is what costs time
        observations["in_model"] = _observe_in_model(layer, inputs["input_dim"])


def _observe_weights(layer, seed: int | None) -> list[dict]:
    """Shape, trainability and value of every weight; with a seed, first set each to known values."""
    attributes = {id(value): name for name, value in vars(layer).items()}
    variables = list(layer.weights)
    initial = [np.array(variable.numpy(), dtype=float).tolist() for variable in variables]
    if seed is not None:
        for variable, value in zip(variables, known_weight_values(seed, [v.shape for v in variables])):
            variable.assign(value)
    return [
        {
            "attribute": attributes.get(id(variable)),
            "path": variable.path,
            "shape": [int(d) for d in variable.shape],
            "trainable": bool(variable.trainable),
            "initial": start,
            "value": np.array(variable.numpy(), dtype=float).tolist(),
        }
        for variable, start in zip(variables, initial)
    ]


def _untracked_variables(layer) -> list[str]:
    """Attributes holding a backend variable (a tf.Variable) that the layer does not list among its
    weights: Keras 3 tracks only the variables add_weight makes."""
    tracked = {id(v) for v in layer.weights}
    return [
        name
        for name, value in vars(layer).items()
        if type(value).__name__.endswith("Variable")
        and type(value).__module__.startswith("tensorflow")
        and id(value) not in tracked
    ]


def _observe_call(layer, batch: list) -> dict:
    try:
        output = layer(np.array(batch, dtype="float32"))
    except Exception as exc:  # noqa: BLE001
        return {"output": None, "error": _raised("call", exc)}
    if output is None:
        return {"output": None, "returned": "None", "error": None}
    try:  # copy now: a layer that returns its own variable would change the value later
        return {"output": np.array(output, dtype=float).tolist(), "error": None}
    except Exception as exc:  # noqa: BLE001 - e.g. a tuple of tensors
        return {"output": None, "returned": type(output).__name__, "error": _raised("call", exc)}


def _observe_config(cls, layer) -> tuple[dict, dict]:
    try:
        config = layer.get_config()
    except Exception as exc:  # noqa: BLE001
        return {"value": None, "error": _raised("get_config", exc)}, {"value": None, "error": None}
    try:
        again = cls.from_config(config).get_config()
    except Exception as exc:  # noqa: BLE001
        return {"value": config, "error": None}, {"value": None, "error": _raised("from_config", exc)}
    return {"value": config, "error": None}, {"value": again, "error": None}


def _observe_in_model(layer, input_dim: int) -> dict:
    import keras

    try:
        inputs = keras.Input((input_dim,))
        model = keras.Model(inputs, layer(inputs))
        return {"output_shape": list(model.output_shape), "error": None}
    except Exception as exc:  # noqa: BLE001
        return {"output_shape": None, "error": _raised("call", exc)}


def _describe_subject(subject) -> dict:
    import keras

    if subject is None:
        return {"kind": "none"}
    if isinstance(subject, str):
        return {"kind": "string", "text": subject[:60]}
    if isinstance(subject, keras.layers.Layer):
        arguments = {
            k: getattr(subject, k)
            for k in ("units", "input_dim")
            if isinstance(getattr(subject, k, None), int)
        }
        return {"kind": "layer_instance", "name": type(subject).__name__, "arguments": arguments}
    if isinstance(subject, type):
        if not issubclass(subject, keras.layers.Layer):
            return {"kind": "class", "name": subject.__name__}
        return {"kind": "layer_class", "name": subject.__name__, "overrides": _overridden(subject, keras)}
    if callable(subject):
        return {"kind": "function", "name": getattr(subject, "__name__", repr(subject)[:60])}
    return {"kind": "other", "type": type(subject).__name__, "repr": repr(subject)[:60]}


def _overridden(cls, keras) -> list[str]:
    """Methods of keras' Layer that the learner's class replaces but should leave alone."""
    own = [k for k in cls.__mro__ if k not in keras.layers.Layer.__mro__]
    return [name for name in ("__call__",) if any(name in vars(k) for k in own)]


def _raised(method: str, exc: Exception) -> dict:
    return {
        "method": method,
        "error": f"{type(exc).__name__}: {_error_text(exc)}",
        "line": _learner_line(exc),
    }


def _error_text(exc: Exception) -> str:
    """The message without Keras' wrapper ("Exception encountered when calling ...") and colours."""
    text = str(exc)
    bold = re.search(r"\x1b\[1m(.*?)\x1b\[0m", text, re.S)
    if bold:
        text = bold.group(1)
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\].*", "", text)  # TensorFlow's op noise
    lines = _unwrapped(text)
    if len(lines) > 1 and lines[0].endswith("Error encountered:"):  # Keras' shape inference wrapper
        lines = [lines[1]]
    cause = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Exception encountered:")]
    if cause and cause[0]:  # Keras' deserialisation wrapper: the learner's own error is the cause
        lines = cause
    return lines[0][:300].rstrip(".!") if lines else "(no message)"


def _unwrapped(text: str) -> list[str]:
    r"""The message's lines, a sentence Keras hard-wrapped over several lines joined into one.

    >>> _unwrapped("\nObject L was created by passing\nnon-serializable values.\n\nExample:\n")
    ['Object L was created by passing non-serializable values.', 'Example:']
    """
    lines: list[str] = []
    joining = False
    for line in text.splitlines():
        line = line.strip()
        if line and joining:
            lines[-1] += " " + line
        elif line:
            lines.append(line)
        joining = bool(line) and not line.endswith((".", ":", "!", "?"))
    return lines


LIBRARY_PARTS = ("site-packages", "dist-packages", f"{Path(__file__).parent.parent.name}/")


def _learner_line(exc: Exception) -> str | None:
    """The last line of the learner's own code in the traceback (a notebook cell, a file of theirs)."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not any(part in f.filename for part in LIBRARY_PARTS) and "/lib/python" not in f.filename
    ]
    return frames[-1].line if frames and frames[-1].line else None
