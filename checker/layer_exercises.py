"""Grade the custom-layer exercises: a `SimpleDense` and a `ComputeSum` class written by the learner.

Grading happens in two steps that share nothing but plain data:

1. **Observation** runs the learner's class and writes down what it did, judging nothing:
   `observe_layer_class(cls, exercise_id, inputs) -> dict`. It creates the layer, builds it,
   sets its weights to known values (SimpleDense), calls it on the given batches, asks for
   its config and re-creates it from that config, and (SimpleDense) uses it in a tiny
   functional model. Every step that raises is recorded as `{"method", "error", "line"}`.
2. **Judgement** turns the observations into a report, computing the expected values with
   numpy: `judge_layer_observations(observations, exercise_id, inputs) -> Report`.

`inputs` (from `make_inputs(exercise_id, seed)`) and the observations are JSON-safe, so a
grader can run step 1 in a separate, throw-away process that imports the learner's code
and step 2 wherever it likes; `check_layer_class` simply runs both in the current process.
The weight values observation sets are `known_weight_values(inputs["weight_seed"], shapes)`,
so such a grader can verify them instead of trusting the observing process.

The observations of one check look like this (SimpleDense)::

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

import contextlib
import io
import json
import re
import traceback
import warnings
from pathlib import Path

import numpy as np

from checker.exercises import get_exercise
from checker.report import CheckResult, Report, scored
from checker.verdicts import whole_exercise_failed

TOLERANCE = 1e-4
WEIGHT_CHOICES = (-2.0, -1.0, 1.0, 2.0)

# How each exercise creates and feeds its layer; the numbers are part of the course contract.
SETUPS = {
    "simple_dense": {"class": "SimpleDense", "argument": "units", "value": 2, "input_dim": 3,
                     "batch": 4, "calls": 1, "set_weights": True, "in_model": True},
    "compute_sum": {"class": "ComputeSum", "argument": "input_dim", "value": 3, "input_dim": 3,
                    "batch": 4, "calls": 2, "set_weights": False, "in_model": False},
}


def check_layer_class(subject, exercise_id: str, seed: int | None = None) -> Report:
    """Observe the learner's layer class on fresh random data and judge it. Never raises for bad input.

    >>> check_layer_class(None, "simple_dense").passed
    False
    """
    inputs = make_inputs(exercise_id, seed)
    observations = observe_layer_class(subject, exercise_id, inputs)
    return judge_layer_observations(observations, exercise_id, inputs)


def make_inputs(exercise_id: str, seed: int | None = None) -> dict:
    """The data of one check: small integer batches (exact in float32, readable in feedback).

    >>> make_inputs("compute_sum", seed=0)["argument"]
    {'input_dim': 3}
    """
    setup = SETUPS[exercise_id]
    rng = np.random.default_rng(seed)
    shape = (setup["batch"], setup["input_dim"])
    return {
        "exercise": exercise_id,
        "argument": {setup["argument"]: setup["value"]},
        "input_dim": setup["input_dim"],
        "batches": [rng.integers(-3, 4, size=shape).astype(float).tolist() for _ in range(setup["calls"])],
        "weight_seed": int(rng.integers(0, 2**31)),
    }


# --------------------------------------------------------------------------- observation


def observe_layer_class(subject, exercise_id: str, inputs: dict) -> dict:
    """Run the learner's class and record what happened, as plain data. Never raises."""
    observations = {"exercise": exercise_id, "subject": _describe_subject(subject), "failure": None}
    if observations["subject"]["kind"] != "layer_class":
        return observations
    with _quiet():
        _observe_layer(subject, exercise_id, inputs, observations)
    return json.loads(json.dumps(observations, default=repr))


def _observe_layer(cls, exercise_id: str, inputs: dict, observations: dict) -> None:
    setup = SETUPS[exercise_id]
    (argument, value), = inputs["argument"].items()
    try:
        layer = cls(value)
    except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything
        observations["failure"] = _raised("__init__", exc)
        return
    observations["config"], observations["round_trip"] = _observe_config(cls, layer)
    try:
        layer.build((None, inputs["input_dim"]))
    except Exception as exc:  # noqa: BLE001
        observations["failure"] = _raised("build", exc)
        return
    observations["weights"] = _observe_weights(layer, inputs["weight_seed"] if setup["set_weights"] else None)
    observations["calls"] = [_observe_call(layer, batch) for batch in inputs["batches"]]
    if setup["in_model"]:  # the built layer again: creating weights is what costs time
        observations["in_model"] = _observe_in_model(layer, inputs["input_dim"])


def known_weight_values(seed: int, shapes: list) -> list[np.ndarray]:
    """The values observation gives the weights, in `layer.weights` order: small non-zero integers
    (so a forgotten bias shows), drawn from one generator seeded with `inputs["weight_seed"]`.
    A grader that does not trust the observing process can recompute them.

    >>> [v.tolist() for v in known_weight_values(0, [(2,)])]
    [[2.0, 1.0]]
    """
    rng = np.random.default_rng(seed)
    return [rng.choice(WEIGHT_CHOICES, size=tuple(int(d) for d in shape)) for shape in shapes]


def _observe_weights(layer, seed: int | None) -> list[dict]:
    """Shape, trainability and value of every weight; with a seed, first set each to known values."""
    attributes = {id(value): name for name, value in vars(layer).items()}
    variables = list(layer.weights)
    initial = [np.array(variable.numpy(), dtype=float).tolist() for variable in variables]
    if seed is not None:
        for variable, value in zip(variables, known_weight_values(seed, [v.shape for v in variables])):
            variable.assign(value)
    return [{"attribute": attributes.get(id(variable)), "path": variable.path,
             "shape": [int(d) for d in variable.shape], "trainable": bool(variable.trainable),
             "initial": start, "value": np.array(variable.numpy(), dtype=float).tolist()}
            for variable, start in zip(variables, initial)]


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
        arguments = {k: getattr(subject, k) for k in ("units", "input_dim")
                     if isinstance(getattr(subject, k, None), int)}
        return {"kind": "layer_instance", "name": type(subject).__name__, "arguments": arguments}
    if isinstance(subject, type):
        kind = "layer_class" if issubclass(subject, keras.layers.Layer) else "class"
        return {"kind": kind, "name": subject.__name__}
    if callable(subject):
        return {"kind": "function", "name": getattr(subject, "__name__", repr(subject)[:60])}
    return {"kind": "other", "type": type(subject).__name__, "repr": repr(subject)[:60]}


def _raised(method: str, exc: Exception) -> dict:
    return {"method": method, "error": f"{type(exc).__name__}: {_error_text(exc)}",
            "line": _learner_line(exc)}


def _error_text(exc: Exception) -> str:
    """The message without Keras' wrapper ("Exception encountered when calling ...") and colours."""
    text = str(exc)
    bold = re.search(r"\x1b\[1m(.*?)\x1b\[0m", text, re.S)
    if bold:
        text = bold.group(1)
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:\w+\].*", "", text)  # TensorFlow's op noise
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith("Error encountered:"):  # Keras' shape inference wrapper
        lines = [lines[1]]
    cause = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Exception encountered:")]
    if cause and cause[0]:  # Keras' deserialisation wrapper: the learner's own error is the cause
        lines = cause
    return lines[0][:300].rstrip(".!") if lines else "(no message)"


LIBRARY_PARTS = ("site-packages", "dist-packages", f"{Path(__file__).parent.name}/")


def _learner_line(exc: Exception) -> str | None:
    """The last line of the learner's own code in the traceback (a notebook cell, a file of theirs)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not any(part in f.filename for part in LIBRARY_PARTS) and "/lib/python" not in f.filename]
    return frames[-1].line if frames and frames[-1].line else None


@contextlib.contextmanager
def _quiet():
    """Keras warnings go to stderr, which nbgrader scores as 0 points."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


# --------------------------------------------------------------------------- judgement


def judge_layer_observations(observations: dict, exercise_id: str, inputs: dict) -> Report:
    """Turn observations (see the module docstring) into a report; pure data in, report out."""
    spec = get_exercise(exercise_id)
    setup = {**SETUPS[exercise_id], "yours": observations["subject"].get("name") or SETUPS[exercise_id]["class"]}
    problem = _subject_problem(observations["subject"], setup, exercise_id)
    if problem:
        return whole_exercise_failed(exercise_id, spec, problem)
    failure = observations.get("failure")
    if failure and failure["method"] == "__init__":
        return whole_exercise_failed(exercise_id, spec, _init_failed(failure, setup, inputs))
    judges = {"construct": _judge_construct, "weights": _judge_weights, "output": _judge_output,
              "config": _judge_config, "in a model": _judge_in_model}
    checks = [judges[name](observations, setup, inputs, points) for name, points in spec["points"].items()]
    report = Report(exercise_id, checks)
    report.summary = _summary(report, observations, setup)
    return report


def _subject_problem(subject: dict, setup: dict, exercise_id: str) -> str | None:
    name, kind = setup["class"], subject["kind"]
    call = f'check({name}, "{exercise_id}")'
    if kind == "layer_class":
        return None
    if kind == "none":
        return (f"Got None instead of the class {name}. Pass the class itself: {call}. "
                "(If you passed the result of a function, that function forgot `return`.)")
    if kind == "string":
        return f"Got the text {subject['text']!r}, not the class. Pass the class itself, without quotes: {call}."
    if kind == "layer_instance":
        arguments = ", ".join(str(v) for v in subject["arguments"].values())
        made = f"{subject['name']}({arguments})"
        return (f"Got a layer object, {made}, not the class. Pass the class {subject['name']}, "
                f"not {made}: {call}. The checker creates and builds the layer itself.")
    if kind == "class":
        return (f"{subject['name']} is a class but not a Keras layer. Subclass Layer: "
                f"class {name}(keras.layers.Layer): ... and call super().__init__(**kwargs) in __init__.")
    if kind == "function":
        return f"Got the function {subject['name']}, not a layer class. Pass the class: {call}."
    return f"Expected the class {name} (a keras.layers.Layer subclass), got {subject.get('type')}: {call}."


def _init_failed(failure: dict, setup: dict, inputs: dict) -> str:
    (argument, value), = inputs["argument"].items()
    return (f"{setup['yours']}({value}) raised in __init__: {_failure_text(failure)}. The exercise "
            f"creates the layer as {setup['class']}({argument}); "
            f"__init__ should be def __init__(self, {argument}, **kwargs).{_hint(failure)}")


def _failure_text(failure: dict) -> str:
    line = f" (at your line `{failure['line'].strip()}`)" if failure.get("line") else ""
    return f"{failure['error']}{line}"


def _hint(failure: dict) -> str:
    error = failure["error"]
    if "unexpected keyword argument" in error:
        return (" Keras passes name, trainable and dtype as keyword arguments: accept **kwargs and "
                "pass them on with super().__init__(**kwargs).")
    if re.match(r"AttributeError: .* attribute '_", error) or "super().__init__" in error:
        return " Does __init__ start with super().__init__(**kwargs)? Keras sets up the layer there."
    if "outputs=None" in error:
        return " Does call end with return ...?"
    if "numpy" in error.lower() or "symbolic" in error.lower():
        return (" In call, use keras.ops (ops.matmul, ops.sum, ...) or the @ operator, not numpy: "
                "in a model the layer is called on symbolic tensors that numpy cannot read.")
    return ""


def _judge_construct(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    failure = observations.get("failure")
    if failure and failure["method"] == "build":
        return CheckResult("construct", points, 0.0, [
            f"{setup['yours']}.build raised: {_failure_text(failure)}. Keras calls build(input_shape) "
            f"once with input_shape = (None, {inputs['input_dim']}); create the weights there "
            f"with self.add_weight(...).{_hint(failure)}"])
    return CheckResult("construct", points, points)


# ------------------------------------------------------------------ weights


def _expected_weights(setup: dict) -> list[dict]:
    """The weights the contract asks for, with the words feedback uses for them."""
    if setup["class"] == "SimpleDense":
        units, input_dim = setup["value"], setup["input_dim"]
        return [
            {"name": "w", "shape": [input_dim, units], "trainable": True, "formula": "(input_dim, units)",
             "code": "self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer=\"random_normal\")"},
            {"name": "b", "shape": [units], "trainable": True, "formula": "(units,)",
             "code": "self.b = self.add_weight(shape=(self.units,), initializer=\"zeros\")"},
        ]
    return [{"name": "total", "shape": [setup["input_dim"]], "trainable": False, "formula": "(input_dim,)",
             "zero_start": True,
             "code": "self.total = self.add_weight(shape=(input_dim,), initializer=\"zeros\", trainable=False)"}]


def _identify(weights: list[dict], expected: list[dict]) -> dict[str, dict]:
    """Pair expected weights with the learner's: by attribute name first, then by shape."""
    free = list(weights)
    pairs = {}
    for rule in ("attribute", "shape"):
        for want in expected:
            if want["name"] in pairs:
                continue
            for weight in free:
                same = (weight["attribute"] == want["name"] and weight["shape"] == want["shape"]
                        if rule == "attribute" else weight["shape"] == want["shape"])
                if same:
                    pairs[want["name"]] = weight
                    free.remove(weight)
                    break
    return pairs


def _weight_label(weight: dict) -> str:
    return f"self.{weight['attribute']}" if weight.get("attribute") else f"the weight '{weight['path']}'"


def _judge_weights(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    if "weights" not in observations:
        return CheckResult("weights", points, 0.0, ["The weights cannot be checked until the layer builds."])
    weights, expected = observations["weights"], _expected_weights(setup)
    if not weights:
        code = "; ".join(w["code"] for w in expected)
        where = "build(self, input_shape)" if setup["class"] == "SimpleDense" else "__init__ or build"
        return CheckResult("weights", points, 0.0, [
            f"{setup['class']} has no weights after build. Create them in {where}: {code}."])
    pairs = _identify(weights, expected)
    unpaired = [w for w in weights if all(w is not p for p in pairs.values())]
    results = []
    for want in expected:
        results += _weight_requirements(want, pairs.get(want["name"]), unpaired)
    # with a weight missing, the others are its failed attempts (its message lists their shapes)
    extras = unpaired if len(pairs) == len(expected) else []
    for extra in extras:
        results.append((False, f"Extra weight {_weight_label(extra)} of shape {_shape(extra['shape'])}: "
                               f"{setup['class']} needs only {_names(expected)}; remove it."))
    if not extras:
        results.append((True, ""))
    return _scored("weights", points, results)


def _is_swapped(weight: dict, expected: list[dict]) -> bool:
    """A matrix created with its two dimensions the wrong way round."""
    return any(len(w["shape"]) > 1 and weight["shape"] == w["shape"][::-1] for w in expected)


def _weight_requirements(want: dict, found: dict | None, unpaired: list[dict]) -> list[tuple]:
    """(passed, message) for: exists with the right shape, trainability, and (total) starting at zero."""
    name = want["name"]
    if found is None:
        swapped = [w for w in unpaired if _is_swapped(w, [want])]
        if swapped:
            message = (f"{_weight_label(swapped[0])} has shape {_shape(swapped[0]['shape'])}; {name} needs "
                       f"{_shape(want['shape'])} = {want['formula']} so that x·{name} works on a batch x of "
                       f"shape (batch, input_dim). Swap the two numbers: {want['code']}.")
        else:
            others = ", ".join(_shape(w["shape"]) for w in unpaired)
            others = f" (found instead: {others})" if others else ""
            message = (f"No weight {name} of shape {_shape(want['shape'])} = {want['formula']}{others}. "
                       f"Add it: {want['code']}.")
        return [(False, message)] + [(False, "")] * (1 + want.get("zero_start", False))
    label = _weight_label(found)
    results = [(True, "")]
    if found["trainable"] != want["trainable"]:
        if want["trainable"]:
            results.append((False, f"{label} is not trainable, so training would never change it. Leave "
                                   "trainable at its default (True) in add_weight."))
        else:
            results.append((False, f"{label} is trainable, so the optimizer would change it during training. "
                                   "A running total is not learned: add_weight(..., trainable=False)."))
    else:
        results.append((True, ""))
    if want.get("zero_start"):
        start = np.array(found["initial"])
        if np.allclose(start, 0.0):
            results.append((True, ""))
        else:
            results.append((False, f"{label} starts at {_numbers(start)}, not at zero. add_weight uses a random "
                                   "initializer unless told otherwise: initializer=\"zeros\"."))
    return results


# ------------------------------------------------------------------ output


def _judge_output(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    calls = observations.get("calls")
    if not calls:
        return CheckResult("output", points, 0.0, ["The output cannot be checked until the layer builds."])
    failed = next((c for c in calls if c["error"] or c["output"] is None), None)
    if failed:
        return CheckResult("output", points, 0.0, [_call_failed(failed, setup)])
    if setup["class"] == "SimpleDense":
        return _judge_dense_output(observations, setup, inputs, points)
    return _judge_sum_output(observations, setup, inputs, points)


def _call_failed(call: dict, setup: dict) -> str:
    if call["error"] is None:
        return (f"{setup['yours']}.call returned {call.get('returned')}, not a tensor. "
                "End call with return ... (the result).")
    return f"{setup['yours']}.call raised: {_failure_text(call['error'])}.{_hint(call['error'])}"


def _judge_dense_output(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    pairs = _identify(observations["weights"], _expected_weights(setup))
    if set(pairs) != {"w", "b"}:
        return CheckResult("output", points, 0.0, [
            "The output cannot be compared with x·w + b until w and b exist with the right shapes "
            "(see weights)."])
    x = np.array(inputs["batches"][0])
    w, b = np.array(pairs["w"]["value"]), np.array(pairs["b"]["value"])
    expected, found = x @ w + b, np.array(observations["calls"][0]["output"])
    if found.shape != expected.shape:
        return CheckResult("output", points, 0.0, [
            f"The output has shape {_shape(found.shape)}; for a batch of shape {_shape(x.shape)} "
            f"it should be {_shape(expected.shape)} = (batch, units)."])
    error = float(np.max(np.abs(found - expected)))
    if error <= TOLERANCE:
        return CheckResult("output", points, points)
    example = (f"For example, with x = {_numbers(x[:1])}, w = {_numbers(w)} and b = {_numbers(b)}, "
               f"x·w + b = {_numbers(expected[:1])}, but your layer returned {_numbers(found[:1])}")
    return CheckResult("output", points, 0.0, [
        f"The output differs from x·w + b (largest difference {error:.3g}). {example}."
        f"{_dense_mistake(x, w, b, found)}"])


def _dense_mistake(x, w, b, found) -> str:
    guesses = [
        (x @ w, " It matches x·w: add the bias, return ops.matmul(inputs, self.w) + self.b."),
        (np.maximum(x @ w + b, 0), " It matches relu(x·w + b): SimpleDense has no activation; return x·w + b."),
    ]
    for value, hint in guesses:
        if value.shape == found.shape and np.allclose(value, found, atol=TOLERANCE):
            return hint
    return ""


def _judge_sum_output(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    pairs = _identify(observations.get("weights", []), _expected_weights(setup))
    start = np.array(pairs["total"]["initial"]) if "total" in pairs else np.zeros(setup["input_dim"])
    first, second = (np.array(b) for b in inputs["batches"])
    out1, out2 = (np.array(c["output"]) for c in observations["calls"])
    want1, want2 = start + first.sum(axis=0), start + first.sum(axis=0) + second.sum(axis=0)
    results = [_sum_first_call(first, out1, want1)]
    if out1.shape != want1.shape:  # the second call would repeat the same mistake
        results.append((False, ""))
    else:
        results.append(_sum_second_call(second, out2, want2, start))
    return _scored("output", points, results)


def _sum_first_call(batch, found, expected) -> tuple[bool, str]:
    if found.shape == expected.shape and np.allclose(found, expected, atol=TOLERANCE):
        return True, ""
    intro = f"After the first batch x = {_numbers(batch)}, the total should be its column sums, {_numbers(expected)}"
    if found.shape != expected.shape:
        hint = (" Sum over the batch axis: ops.sum(inputs, axis=0)." if found.shape == (batch.shape[0],)
                or found.shape == () else "")
        return False, f"{intro}, shape {_shape(expected.shape)}; yours returned shape {_shape(found.shape)}.{hint}"
    hint = " That is the column mean: use ops.sum, not ops.mean." if np.allclose(found, batch.mean(axis=0)) else ""
    return False, f"{intro}; yours returned {_numbers(found)}.{hint}"


def _sum_second_call(second, out2, expected, start) -> tuple[bool, str]:
    if out2.shape == expected.shape and np.allclose(out2, expected, atol=TOLERANCE):
        return True, ""
    intro = (f"After a second batch, the total should hold the sums of both batches, {_numbers(expected)}; "
             f"yours returned {_numbers(out2)}.")
    if out2.shape == expected.shape and np.allclose(out2, start + second.sum(axis=0), atol=TOLERANCE):
        return False, (f"{intro} That is the second batch alone: the total does not accumulate. Add to the "
                       "total instead of replacing it: self.total.assign_add(ops.sum(inputs, axis=0)).")
    return False, intro


# ------------------------------------------------------------------ config and model


def _judge_config(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    config, again = observations.get("config"), observations.get("round_trip")
    (argument, value), = inputs["argument"].items()
    name = setup["yours"]
    if config is None:
        return CheckResult("config", points, 0.0, ["The config cannot be checked until the layer is created."])
    if config["error"]:
        return CheckResult("config", points, 0.0, [
            f"{name}.get_config raised: {_failure_text(config['error'])}. Start from the base config: "
            f"config = super().get_config(); config[\"{argument}\"] = self.{argument}; return config."])
    found = config["value"] if isinstance(config["value"], dict) else {}
    results = []
    if not isinstance(config["value"], dict):
        results.append((False, f"get_config() returned {config['value']!r}, not a dict. End it with: "
                               f"config = super().get_config(); config[\"{argument}\"] = self.{argument}; "
                               "return config."))
    elif argument not in found:
        results.append((False, f"get_config() returns no '{argument}' (it has: {', '.join(found) or 'nothing'}). "
                               f"Keras calls get_config when saving; add {argument} to the dict returned by "
                               f"super().get_config(): config = super().get_config(); "
                               f"config[\"{argument}\"] = self.{argument}; return config."))
    elif found[argument] != value:
        results.append((False, f"For {name}({value}), get_config() gives {argument}={found[argument]!r}; "
                               f"it should give back the argument: store it in __init__ "
                               f"(self.{argument} = {argument}) and return it."))
    else:
        results.append((True, ""))
    results.append(_round_trip_result(again, name, argument, value, argument not in found))
    return _scored("config", points, results)


def _round_trip_result(again: dict, name: str, argument: str, value, explained: bool) -> tuple[bool, str]:
    if again["error"]:
        if explained:
            return False, ""
        return False, (f"{name}.from_config(layer.get_config()) raised: {_failure_text(again['error'])}. "
                       f"This is how Keras re-creates the layer when it loads a saved model.{_hint(again['error'])}")
    found = again["value"] if isinstance(again["value"], dict) else {}
    if found.get(argument) != value:
        return False, "" if explained else (
            f"A layer re-created with {name}.from_config(config) has {argument}={found.get(argument)!r}, "
            f"not {value}: __init__ must store the {argument} it is given.")
    return True, ""


def _judge_in_model(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    used = observations.get("in_model")
    value, input_dim = setup["value"], inputs["input_dim"]
    where = f"In a functional model (keras.Input(({input_dim},)) → {setup['yours']}({value}))"
    if used is None:
        return CheckResult("in a model", points, 0.0, ["This cannot be checked until the layer builds."])
    if used["error"]:
        return CheckResult("in a model", points, 0.0, [
            f"{where}, the layer raised: {_failure_text(used['error'])}.{_hint(used['error'])}"])
    expected = [None, value]
    if used["output_shape"] != expected:
        return CheckResult("in a model", points, 0.0, [
            f"{where}, the output shape is {_shape(used['output_shape'])}; expected {_shape(expected)}."])
    return CheckResult("in a model", points, points)


def _summary(report: Report, observations: dict, setup: dict) -> str:
    if report.passed:
        return f"{setup['class']} behaves as the exercise asks: well done."
    name = observations["subject"].get("name")
    others = [s["class"] for s in SETUPS.values() if s["class"] != setup["class"]]
    if name in others:
        return f"You passed {name}, but this exercise is about {setup['class']}. Did you pass the wrong class?"
    return "Fix the first item marked FIX, then run the check again."


# ------------------------------------------------------------------ helpers


def _scored(name: str, points: float, results: list[tuple[bool, str]]) -> CheckResult:
    """The share of passed requirements earns its share of the points; messages of the failed ones."""
    passed = sum(ok for ok, _ in results)
    messages = [m for ok, m in results if not ok and m]
    if passed < len(results) and not messages:
        messages = ["Not all requirements are met."]
    return scored(name, points, messages, passed / len(results))


def _names(expected: list[dict]) -> str:
    return " and ".join(w["name"] for w in expected)


def _shape(shape) -> str:
    dims = ["None" if d is None else str(int(d)) for d in shape]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


def _numbers(values) -> str:
    """[[1, -2], [3, 0.5]] with integers shown without decimals."""
    array = np.asarray(values, dtype=float)
    text = np.array2string(array, separator=", ", formatter={"float_kind": lambda v: f"{v:.4g}"})
    return re.sub(r"\s+", " ", text)
