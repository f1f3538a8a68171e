"""Judge the custom-layer exercises from observations of the learner's class: data in, report out.

`judge_layer_observations(observations, exercise_id, inputs) -> Report` computes what a right
`SimpleDense` / `ComputeSum` returns for the grader's `inputs` (from
`checker.observe.layer_setup.make_inputs`) with numpy and compares it with what the class did
(`checker.observe.layer_observe.observe_layer_class`). It never runs learner code, so a grader
can observe in a throw-away process and judge here (`checker.check` does both in-process).
"""

from __future__ import annotations

import re

import numpy as np

from checker.judge.exercises import get_exercise
from checker.judge.feedback import whole_exercise_failed
from checker.observe.layer_setup import SETUPS
from checker.report import CheckResult, Report, scored

TOLERANCE = 1e-4
BASE_CONFIG_KEYS = {"name", "trainable", "dtype"}


def judge_layer_observations(observations: dict, exercise_id: str, inputs: dict) -> Report:
    """Turn observations (see the module docstring) into a report; pure data in, report out."""
    spec = get_exercise(exercise_id)
    setup = {
        **SETUPS[exercise_id],
        "yours": observations["subject"].get("name") or SETUPS[exercise_id]["class"],
        "overrides_call": "__call__" in observations["subject"].get("overrides", []),
    }
    problem = _subject_problem(observations["subject"], setup, exercise_id)
    if problem:
        return whole_exercise_failed(exercise_id, spec, problem)
    failure = observations.get("failure")
    if failure and failure["method"] == "__init__":
        return whole_exercise_failed(exercise_id, spec, _init_failed(failure, setup, inputs))
    judges = {
        "construct": _judge_construct,
        "weights": _judge_weights,
        "output": _judge_output,
        "config": _judge_config,
        "in a model": _judge_in_model,
    }
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
        return (
            f"Got None instead of the class {name}. Pass the class itself: {call}. "
            "(If you passed the result of a function, that function forgot `return`.)"
        )
    if kind == "string":
        return (
            f"Got the text {subject['text']!r}, not the class. Pass the class itself, without quotes: {call}."
        )
    if kind == "layer_instance":
        arguments = ", ".join(str(v) for v in subject["arguments"].values())
        made = f"{subject['name']}({arguments})"
        return (
            f"Got a layer object, {made}, not the class. Pass the class {subject['name']}, "
            f"not {made}: {call}. The checker creates and builds the layer itself."
        )
    if kind == "class":
        return (
            f"{subject['name']} is a class but not a Keras layer. Subclass Layer: "
            f"class {name}(keras.layers.Layer): ... and call super().__init__(**kwargs) in __init__."
        )
    if kind == "function":
        return f"Got the function {subject['name']}, not a layer class. Pass the class: {call}."
    return f"Expected the class {name} (a keras.layers.Layer subclass), got {subject.get('type')}: {call}."


def _init_failed(failure: dict, setup: dict, inputs: dict) -> str:
    ((argument, value),) = inputs["argument"].items()
    said = f"{setup['yours']}({value}) raised in __init__: {_failure_text(failure)}."
    if not _rejects_its_arguments(failure, setup):  # the signature is fine: the body raised
        return f"{said}{_hint(failure)}"
    return (
        f"{said} The exercise creates the layer as {setup['class']}({argument}); "
        f"__init__ should be def __init__(self, {argument}, **kwargs).{_hint(failure)}"
    )


def _rejects_its_arguments(failure: dict, setup: dict) -> bool:
    """True when the learner's own __init__ refused the arguments it was called with (a TypeError
    naming Yours.__init__()), not when a line in its body raised."""
    yours = re.escape(setup["yours"])
    return re.match(rf"TypeError: (\S*\.)?{yours}\.__init__\(\)", failure["error"]) is not None


def _failure_text(failure: dict) -> str:
    line = f" (at your line `{failure['line'].strip()}`)" if failure.get("line") else ""
    return f"{failure['error']}{line}"


def _hint(failure: dict, setup: dict | None = None) -> str:
    error = failure["error"]
    if setup and setup.get("overrides_call"):
        return " " + _overridden_call(setup)
    if "unexpected keyword argument" in error:
        return (
            " Keras passes name, trainable and dtype as keyword arguments: accept **kwargs and "
            "pass them on with super().__init__(**kwargs)."
        )
    if re.match(r"AttributeError: .* attribute '_", error) or "super().__init__" in error:
        return " Does __init__ start with super().__init__(**kwargs)? Keras sets up the layer there."
    if "has no attribute 'as_list'" in error:
        return (
            " Keras 3 gives shapes as plain tuples, without .as_list() (a TensorFlow TensorShape "
            "method): write e.g. tuple(input_shape[:-1]) + (self.units,), or leave compute_output_shape "
            "out, since Keras works the output shape out from call."
        )
    if "outputs=None" in error:
        return " Does call end with return ...?"
    if "numpy" in error.lower() or "symbolic" in error.lower():
        return (
            " In call, use keras.ops (ops.matmul, ops.sum, ...) or the @ operator, not numpy: "
            "in a model the layer is called on symbolic tensors that numpy cannot read."
        )
    return ""


def _overridden_call(setup: dict) -> str:
    return (
        f"{setup['yours']} defines __call__; a Keras layer defines call (no underscores) and leaves "
        "__call__ to Keras, which builds the layer on its first input, handles symbolic tensors in a "
        "model and tracks the weights there. Rename __call__ to call."
    )


def _judge_construct(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    if setup.get("overrides_call"):
        return CheckResult("construct", points, 0.0, [_overridden_call(setup)])
    failure = observations.get("failure")
    if failure and failure["method"] == "build":
        return CheckResult(
            "construct",
            points,
            0.0,
            [
                f"{setup['yours']}.build raised: {_failure_text(failure)}. Keras calls build(input_shape) "
                f"once with input_shape = (None, {inputs['input_dim']}); create the weights there "
                f"with self.add_weight(...).{_hint(failure, setup)}"
            ],
        )
    return CheckResult("construct", points, points)


# ------------------------------------------------------------------ weights


def _expected_weights(setup: dict) -> list[dict]:
    """The weights the contract asks for, with the words feedback uses for them."""
    if setup["class"] == "SimpleDense":
        units, input_dim = setup["value"], setup["input_dim"]
        return [
            {
                "name": "w",
                "shape": [input_dim, units],
                "trainable": True,
                "formula": "(input_dim, units)",
                "code": 'self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")',
            },
            {
                "name": "b",
                "shape": [units],
                "trainable": True,
                "formula": "(units,)",
                "code": 'self.b = self.add_weight(shape=(self.units,), initializer="zeros")',
            },
        ]
    return [
        {
            "name": "total",
            "shape": [setup["input_dim"]],
            "trainable": False,
            "formula": "(input_dim,)",
            "zero_start": True,
            "code": 'self.total = self.add_weight(shape=(input_dim,), initializer="zeros", trainable=False)',
        }
    ]


def _untracked(observations: dict) -> str:
    names = observations.get("untracked") or []
    if not names:
        return ""
    made = " and ".join(f"self.{name}" for name in names)
    one = len(names) == 1
    return (
        f" {made} {'is a tf.Variable' if one else 'are tf.Variable objects'}, which a Keras 3 layer does "
        f"not track: {'it is' if one else 'they are'} not in layer.weights, so Keras neither trains nor "
        f"saves {'it' if one else 'them'}."
    )


def _identify(weights: list[dict], expected: list[dict]) -> dict[str, dict]:
    """Pair expected weights with the learner's: by attribute name first, then by shape."""
    free = list(weights)
    pairs = {}
    for rule in ("attribute", "shape"):
        for want in expected:
            if want["name"] in pairs:
                continue
            for weight in free:
                same = (
                    weight["attribute"] == want["name"] and weight["shape"] == want["shape"]
                    if rule == "attribute"
                    else weight["shape"] == want["shape"]
                )
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
        return CheckResult(
            "weights",
            points,
            0.0,
            [
                f"{setup['class']} has no weights after build.{_untracked(observations)} Create them in {where}: {code}."
            ],
        )
    pairs = _identify(weights, expected)
    unpaired = [w for w in weights if all(w is not p for p in pairs.values())]
    results = []
    for want in expected:
        results += _weight_requirements(want, pairs.get(want["name"]), unpaired)
    # with a weight missing, the others are its failed attempts (its message lists their shapes)
    extras = unpaired if len(pairs) == len(expected) else []
    for extra in extras:
        results.append(
            (
                False,
                f"Extra weight {_weight_label(extra)} of shape {_shape(extra['shape'])}: "
                f"{setup['class']} needs only {_names(expected)}; remove it.",
            )
        )
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
            message = (
                f"{_weight_label(swapped[0])} has shape {_shape(swapped[0]['shape'])}; {name} needs "
                f"{_shape(want['shape'])} = {want['formula']} so that x·{name} works on a batch x of "
                f"shape (batch, input_dim). Swap the two numbers: {want['code']}."
            )
        elif any(w.get("attribute") == name for w in unpaired):  # the right weight, the wrong shape
            same_name = next(w for w in unpaired if w.get("attribute") == name)
            message = (
                f"{_weight_label(same_name)} has shape {_shape(same_name['shape'])}; it should have "
                f"shape {_shape(want['shape'])} = {want['formula']}: {want['code']}."
            )
        else:
            others = ", ".join(_shape(w["shape"]) for w in unpaired)
            others = f" (found instead: {others})" if others else ""
            message = (
                f"No weight {name} of shape {_shape(want['shape'])} = {want['formula']}{others}. "
                f"Add it: {want['code']}."
            )
        return [(False, message)] + [(False, "")] * (1 + want.get("zero_start", False))
    label = _weight_label(found)
    results = [(True, "")]
    if found["trainable"] != want["trainable"]:
        if want["trainable"]:
            results.append(
                (
                    False,
                    f"{label} is not trainable, so training would never change it. Leave "
                    "trainable at its default (True) in add_weight.",
                )
            )
        else:
            results.append(
                (
                    False,
                    f"{label} is trainable, so the optimizer would change it during training. "
                    "A running total is not learned: add_weight(..., trainable=False).",
                )
            )
    else:
        results.append((True, ""))
    if want.get("zero_start"):
        start = np.array(found["initial"])
        if np.allclose(start, 0.0):
            results.append((True, ""))
        else:
            results.append(
                (
                    False,
                    f"{label} starts at {_numbers(start)}, not at zero. add_weight uses a random "
                    'initializer unless told otherwise: initializer="zeros".',
                )
            )
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
        return (
            f"{setup['yours']}.call returned {call.get('returned')}, not a tensor. "
            "End call with return ... (the result)."
        )
    return f"{setup['yours']}.call raised: {_failure_text(call['error'])}.{_hint(call['error'], setup)}"


def _judge_dense_output(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    pairs = _identify(observations["weights"], _expected_weights(setup))
    if set(pairs) != {"w", "b"}:
        return CheckResult(
            "output",
            points,
            0.0,
            [
                "The output cannot be compared with x·w + b until w and b exist with the right shapes "
                "(see weights)."
            ],
        )
    x = np.array(inputs["batches"][0])
    w, b = np.array(pairs["w"]["value"]), np.array(pairs["b"]["value"])
    expected, found = x @ w + b, np.array(observations["calls"][0]["output"])
    if found.shape != expected.shape:
        return CheckResult(
            "output",
            points,
            0.0,
            [
                f"The output has shape {_shape(found.shape)}; for a batch of shape {_shape(x.shape)} "
                f"it should be {_shape(expected.shape)} = (batch, units)."
            ],
        )
    error = float(np.max(np.abs(found - expected)))
    if error <= TOLERANCE:
        return CheckResult("output", points, points)
    example = (
        f"For example, with x = {_numbers(x[:1])}, w = {_numbers(w)} and b = {_numbers(b)}, "
        f"x·w + b = {_numbers(expected[:1])}, but your layer returned {_numbers(found[:1])}"
    )
    return CheckResult(
        "output",
        points,
        0.0,
        [
            f"The output differs from x·w + b (largest difference {error:.3g}). {example}."
            f"{_dense_mistake(x, w, b, found)}"
        ],
    )


def _dense_mistake(x, w, b, found) -> str:
    z = x @ w + b
    activations = {
        "relu": np.maximum(z, 0),
        "sigmoid": 1 / (1 + np.exp(-z)),
        "tanh": np.tanh(z),
        "softmax": np.exp(z - z.max(-1, keepdims=True))
        / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True),
    }
    guesses = [(x @ w, " It matches x·w: add the bias, return ops.matmul(inputs, self.w) + self.b.")] + [
        (
            value,
            f" It matches {name}(x·w + b): SimpleDense(units) has no activation; return x·w + b "
            "(an activation argument, if you keep one, defaults to None).",
        )
        for name, value in activations.items()
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
        hint = (
            " Sum over the batch axis: ops.sum(inputs, axis=0)."
            if found.shape == (batch.shape[0],) or found.shape == ()
            else ""
        )
        return (
            False,
            f"{intro}, shape {_shape(expected.shape)}; yours returned shape {_shape(found.shape)}.{hint}",
        )
    hint = (
        " That is the column mean: use ops.sum, not ops.mean."
        if np.allclose(found, batch.mean(axis=0))
        else ""
    )
    return False, f"{intro}; yours returned {_numbers(found)}.{hint}"


def _sum_second_call(second, out2, expected, start) -> tuple[bool, str]:
    if out2.shape == expected.shape and np.allclose(out2, expected, atol=TOLERANCE):
        return True, ""
    intro = (
        f"After a second batch, the total should hold the sums of both batches, {_numbers(expected)}; "
        f"yours returned {_numbers(out2)}."
    )
    if out2.shape == expected.shape and np.allclose(out2, start + second.sum(axis=0), atol=TOLERANCE):
        return False, (
            f"{intro} That is the second batch alone: the total does not accumulate. Add to the "
            "total instead of replacing it: self.total.assign_add(ops.sum(inputs, axis=0))."
        )
    return False, intro


# ------------------------------------------------------------------ config and model


def _judge_config(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    config, again = observations.get("config"), observations.get("round_trip")
    ((argument, value),) = inputs["argument"].items()
    name = setup["yours"]
    if config is None:
        return CheckResult(
            "config", points, 0.0, ["The config cannot be checked until the layer is created."]
        )
    if config["error"]:
        return CheckResult(
            "config",
            points,
            0.0,
            [
                f"{name}.get_config raised: {_failure_text(config['error'])}. Start from the base config: "
                f'config = super().get_config(); config["{argument}"] = self.{argument}; return config.'
            ],
        )
    found = config["value"] if isinstance(config["value"], dict) else {}
    results = []
    if not isinstance(config["value"], dict):
        results.append(
            (
                False,
                f"get_config() returned {config['value']!r}, not a dict. End it with: "
                f'config = super().get_config(); config["{argument}"] = self.{argument}; '
                "return config.",
            )
        )
    elif argument not in found and _renamed_argument(found, value):
        renamed = _renamed_argument(found, value)
        results.append(
            (
                False,
                f"get_config() returns no '{argument}': your layer calls its argument {renamed} "
                f"(it has: {', '.join(found)}). The exercise creates the layer as "
                f"{setup['class']}({argument}=...): name the argument {argument} "
                f"(def __init__(self, {argument}, **kwargs), self.{argument} = {argument}), "
                f"and the config carries {argument}.",
            )
        )
    elif argument not in found:
        results.append(
            (
                False,
                f"get_config() returns no '{argument}' (it has: {', '.join(found) or 'nothing'}). "
                f"Keras calls get_config when saving; add {argument} to the dict returned by "
                f"super().get_config(): config = super().get_config(); "
                f'config["{argument}"] = self.{argument}; return config.',
            )
        )
    elif found[argument] != value:
        results.append(
            (
                False,
                f"For {name}({value}), get_config() gives {argument}={found[argument]!r}; "
                f"it should give back the argument: store it in __init__ "
                f"(self.{argument} = {argument}) and return it.",
            )
        )
    else:
        results.append((True, ""))
    results.append(_round_trip_result(again, name, argument, value, argument not in found))
    return _scored("config", points, results)


def _renamed_argument(found: dict, value) -> str | None:
    """The one config key that holds the argument the layer was created with, under another
    name (Keras 3 records __init__'s arguments by their names: output_units for units)."""
    keys = [
        k for k, v in found.items() if k not in BASE_CONFIG_KEYS and v == value and not isinstance(v, bool)
    ]
    return keys[0] if len(keys) == 1 else None


def _round_trip_result(again: dict, name: str, argument: str, value, explained: bool) -> tuple[bool, str]:
    if again["error"]:
        if explained:
            return False, ""
        return False, (
            f"{name}.from_config(layer.get_config()) raised: {_failure_text(again['error'])}. "
            f"This is how Keras re-creates the layer when it loads a saved model.{_hint(again['error'])}"
        )
    found = again["value"] if isinstance(again["value"], dict) else {}
    if found.get(argument) != value:
        return False, "" if explained else (
            f"A layer re-created with {name}.from_config(config) has {argument}={found.get(argument)!r}, "
            f"not {value}: __init__ must store the {argument} it is given."
        )
    return True, ""


def _judge_in_model(observations: dict, setup: dict, inputs: dict, points: float) -> CheckResult:
    used = observations.get("in_model")
    value, input_dim = setup["value"], inputs["input_dim"]
    where = f"In a functional model (keras.Input(({input_dim},)) → {setup['yours']}({value}))"
    if used is None:
        return CheckResult("in a model", points, 0.0, ["This cannot be checked until the layer builds."])
    if used["error"]:
        return CheckResult(
            "in a model",
            points,
            0.0,
            [f"{where}, the layer raised: {_failure_text(used['error'])}.{_hint(used['error'], setup)}"],
        )
    expected = [None, value]
    if used["output_shape"] != expected:
        return CheckResult(
            "in a model",
            points,
            0.0,
            [f"{where}, the output shape is {_shape(used['output_shape'])}; expected {_shape(expected)}."],
        )
    return CheckResult("in a model", points, points)


def _summary(report: Report, observations: dict, setup: dict) -> str:
    if report.passed:
        return f"{setup['class']} behaves as the exercise asks: well done."
    name = observations["subject"].get("name")
    others = [s["class"] for s in SETUPS.values() if s["class"] != setup["class"]]
    if name in others:
        return (
            f"You passed {name}, but this exercise is about {setup['class']}. Did you pass the wrong class?"
        )
    return "Fix the first item marked ✗, then run the check again."


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
