"""Grade the capstone trend model: a free design judged by rules, not by one reference graph.

The rules (exercise `trend_model`, docs/exercises.md):

- inputs `questionnaire` (20,), `review` (None,) int32 and `photo` (64, 64, 3), each of
  which reaches the outputs;
- each input has a layer of its family on its own branch, i.e. before it joins another
  input: questionnaire a Dense layer, review a recurrent one (LSTM, GRU, SimpleRNN or a
  Bidirectional wrapper), photo a convolution;
- the photo branch has at least one Inception-style or residual merge: a Concatenate or Add
  of two or more different tensors that all come from the photo (on the photo's own branch
  every tensor does, so such a merge always joins parallel paths from one tensor);
- outputs `trend` (None, 12) with a sigmoid and `price` (None, 1) without activation;
- compiled with binary_crossentropy for trend and mse or mae for price.

Works on the description only (`checker.observe.describe`), parsed by `checker.judge.graph` (activation
layers folded into the layer before them). Nested models (a photo encoder built as its own
Model, a Sequential branch) count with the layers inside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from checker.judge import graph as graphs
from checker.judge import signature
from checker.judge.compile_rules import loss_name, losses_by_output, not_compiled
from checker.judge.exercises import cap_for_named_mistakes
from checker.judge.feedback import not_a_functional_model, whole_exercise_failed
from checker.judge.graph import Call, Key, ModelGraph, batch_shape_text, shape_text
from checker.report import CheckResult, Report, scored

FAMILIES = {
    "dense": {
        "classes": {"Dense", "EinsumDense"},
        "words": "a Dense layer",
        "example": 'layers.Dense(32, activation="relu")',
    },
    "recurrent": {
        "classes": {"LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional"},
        "words": "a recurrent layer (LSTM, GRU, SimpleRNN, or one wrapped in Bidirectional)",
        "example": "layers.LSTM(32) after layers.Embedding(VOCABULARY_SIZE, 32) (the notebook's 300 word ids)",
    },
    "convolutional": {
        "classes": {"Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose"},
        "words": "a convolutional layer (Conv2D or SeparableConv2D)",
        "example": 'layers.Conv2D(32, 3, activation="relu", padding="same")',
    },
}
MERGES = {"Concatenate", "Add"}
NESTED_MODELS = {"Functional", "Sequential", "Model"}
OUTPUT_REASONS = {
    "sigmoid": "the 12 trend elements are independent yes/no labels, so each needs its own probability "
    "(softmax would make them compete for one)",
    "linear": "a price is a number to predict (regression), so the layer has no activation",
}
LOSS_REASONS = {
    "trend": "the 12 trend elements are independent yes/no labels",
    "price": "the price is a number to predict (regression)",
}


@dataclass
class Learner:
    """The learner's model, parsed, with each spec input and output paired with theirs."""

    graph: ModelGraph
    inputs: dict[str, Key | None] = field(default_factory=dict)  # spec input name -> input key
    outputs: dict[str, Key | None] = field(default_factory=dict)  # spec output name -> output key
    branches: dict[str, list[Key]] = field(default_factory=dict)  # spec input name -> its own calls

    @property
    def output_names(self) -> dict[Key, str]:
        return dict(self.graph.outputs)

    def classes(self, key: Key) -> set[str]:
        """The layer classes of a call, including those inside a model kept whole or a wrapper."""
        call = self.graph.calls[key]
        return {call.class_name} | _inner_classes(call.config or {})

    def label(self, key: Key) -> str:
        call = self.graph.calls[key]
        if call.class_name in NESTED_MODELS:
            return f"model {call.shown}"
        return call.class_name


def grade_trend(description: dict, spec: dict, exercise_id: str) -> Report:
    """Grade a description of the learner's trend model against the exercise's rules."""
    problem = not_a_functional_model(exercise_id, spec, description)
    if problem:
        return whole_exercise_failed(exercise_id, spec, problem)
    learner = parse(description, spec)
    judges = {
        "inputs": check_inputs,
        "outputs": check_outputs,
        "layer families": check_families,
        "photo merge": check_photo_merge,
        "compile": check_compile,
    }
    checks = [judges[name](learner, spec, points, description) for name, points in spec["points"].items()]
    report = Report(exercise_id, checks)
    cap_for_named_mistakes(report, named_mistakes(learner, spec))
    report.summary = _summary(report, learner)
    return report


def named_mistakes(learner: Learner, spec: dict) -> list[str]:
    """A softmax where the outputs are independent yes/no labels (exercises.NAMED_MISTAKES)."""
    for want in spec["outputs"]:
        key = learner.outputs[want["name"]]
        if want["activation"] == "sigmoid" and key is not None and _activation(learner, key) == "softmax":
            return ["softmax_multilabel"]
    return []


def _summary(report: Report, learner: Learner) -> str:
    if report.passed:
        return "A trend model that follows every rule: well done."
    if report.score < report.max_score / 2:
        from checker.judge.graph_exercises import looks_like_other_exercise

        other = looks_like_other_exercise(learner.graph, report.exercise)
        if other:
            return (
                f"This looks like the model of exercise '{other}', not '{report.exercise}'. "
                "Did you pass the wrong function?"
            )
    return "Fix the first item marked ✗, then run the check again."


def parse(description: dict, spec: dict) -> Learner:
    learner = Learner(graphs.from_description(description))
    learner.inputs = _pair_inputs(learner.graph, spec["inputs"])
    learner.outputs = _pair_outputs(learner.graph, spec["outputs"])
    learner.branches = _own_branches(learner.graph, learner.inputs)
    return learner


def _pair_inputs(graph: ModelGraph, expected: list[dict]) -> dict[str, Key | None]:
    """By name, then by shape, then whatever input is left, in order."""
    free = list(graph.inputs)
    pairs: dict[str, Key | None] = {}
    rules = [
        lambda call, want: call.name == want["name"],
        lambda call, want: call.shape == tuple(want["shape"]),
        lambda call, want: True,
    ]
    for rule in rules:
        for want in expected:
            if want["name"] in pairs:
                continue
            match = next((key for key in free if rule(graph.calls[key], want)), None)
            if match:
                pairs[want["name"]] = match
                free.remove(match)
    return {want["name"]: pairs.get(want["name"]) for want in expected}


def _pair_outputs(graph: ModelGraph, expected: list[dict]) -> dict[str, Key | None]:
    """By name, then by shape, then whatever output is left, in order."""
    free = [key for key, _ in graph.outputs]
    names = dict(graph.outputs)
    pairs: dict[str, Key | None] = {}
    rules = [
        lambda key, want: names[key] == want["name"],
        lambda key, want: graph.output_shapes.get(key) == tuple(want["shape"]),
        lambda key, want: True,
    ]
    for rule in rules:
        for want in expected:
            if want["name"] in pairs:
                continue
            match = next((key for key in free if rule(key, want)), None)
            if match:
                pairs[want["name"]] = match
                free.remove(match)
    return {want["name"]: pairs.get(want["name"]) for want in expected}


def _own_branches(graph: ModelGraph, inputs: dict[str, Key | None]) -> dict[str, list[Key]]:
    """The calls that depend on one input only (before it meets another), in topological order."""
    network = graph.to_networkx(with_instances=False)
    order = {key: i for i, key in enumerate(nx.topological_sort(network))}
    reach = {key: nx.descendants(network, key) for key in graph.inputs}
    branches = {}
    for name, key in inputs.items():
        if key is None:
            branches[name] = []
            continue
        others = set().union(*(reach[k] for k in graph.inputs if k != key))
        branches[name] = sorted(reach[key] - others, key=order.get)
    return branches


def _inner_classes(config: dict) -> set[str]:
    """Layer classes inside a nested model (`layers`) or a wrapper such as Bidirectional (`layer`)."""
    found = set()
    inner = list(config.get("layers", []) if isinstance(config.get("layers"), list) else [])
    if isinstance(config.get("layer"), dict):
        inner.append(config["layer"])
    for entry in inner:
        if isinstance(entry, dict) and "class_name" in entry:
            found.add(entry["class_name"])
            found |= _inner_classes(entry.get("config", {}))
    return found


# --------------------------------------------------------------------------- inputs


def check_inputs(learner: Learner, spec: dict, points: float, description: dict) -> CheckResult:
    messages, wrong = [], 0
    for want in spec["inputs"]:
        problems = _input_problems(learner, want)
        messages += problems
        wrong += bool(problems)
    for key in [k for k in learner.graph.inputs if k not in learner.inputs.values()]:
        call = learner.graph.calls[key]
        messages.append(
            f"{graphs.input_shown(call)} {shape_text(call.shape)} is not one of the exercise's three "
            "inputs (questionnaire, review, photo); remove it."
        )
        wrong += 1
    return scored("inputs", points, messages, 1 - wrong / len(spec["inputs"]))


def _input_problems(learner: Learner, want: dict) -> list[str]:
    name, shape, dtype = want["name"], tuple(want["shape"]), want.get("dtype", "float32")
    create = (
        f"keras.Input(shape={shape_text(shape)}"
        + (f', dtype="{dtype}"' if dtype != "float32" else "")
        + f', name="{name}")'
    )
    key = learner.inputs[name]
    if key is None:
        return [
            f"The {name} input is not used: the model has no input named '{name}'. Create it with "
            f"{create}, feed it into {FAMILIES[want['family']]['words'].split(' (')[0]}, and list it in "
            "keras.Model(inputs=..., ...)."
        ]
    call = learner.graph.calls[key]
    problems = []
    if call.name != name:
        problems.append(
            f"{graphs.input_shown(call)} should be named '{name}': {create}. Data is fed to the model "
            "by these names."
        )
    if call.shape != shape:
        problems.append(
            f"{graphs.input_shown(call)} has shape {shape_text(call.shape)}; expected {shape_text(shape)} "
            "(without the batch axis)."
        )
    if not graphs.dtype_fits(dtype, call.dtype):
        reason = " (word ids are integers)" if dtype.startswith("int") else ""
        problems.append(
            f"{graphs.input_shown(call)} has dtype {call.dtype}; expected {dtype}{reason}: {create}."
        )
    if not _reaches_outputs(learner, key):
        problems.append(
            f"The {name} input is not used: nothing from it reaches the outputs, so it cannot "
            f"change the predictions. Feed it into its own branch ({_family_example(want)}) and "
            "merge that branch with the others."
        )
    return problems


def _reaches_outputs(learner: Learner, key: Key) -> bool:
    network = learner.graph.to_networkx(with_instances=False)
    ends = {k for k, _ in learner.graph.outputs}
    return bool(ends & (nx.descendants(network, key) | {key}))


def _family_example(want: dict) -> str:
    return FAMILIES[want["family"]]["example"]


# --------------------------------------------------------------------------- layer families


def check_families(learner: Learner, spec: dict, points: float, description: dict) -> CheckResult:
    messages, good = [], 0
    for want in spec["inputs"]:
        family = FAMILIES[want["family"]]
        name = want["name"]
        if learner.inputs[name] is None:
            messages.append(f"The {name} branch cannot be checked without a '{name}' input (see inputs).")
            continue
        branch = learner.branches[name]
        if any(learner.classes(key) & family["classes"] for key in branch):
            good += 1
            continue
        messages.append(
            f"Rule: the {name} input needs {family['words']} on its own branch, before it joins "
            f"the other inputs; {_route(learner, name, 'without one')}. Add one, e.g. "
            f"{family['example']}."
        )
    return scored("layer families", points, messages, good / len(spec["inputs"]))


def _route(learner: Learner, name: str, missing: str, limit: int = 8) -> str:
    """'yours goes Conv2D → MaxPooling2D → Flatten without any merge': an input's own branch, in order."""
    labels = [learner.label(key) for key in learner.branches[name]]
    if not labels:
        joined = [learner.label(k) for k in learner.graph.consumers(learner.inputs[name])]
        if not joined:
            return f"your {name} input is not connected to any layer"
        return f"yours goes straight into {' and '.join(joined)} {missing}"
    if len(labels) > limit:
        labels = labels[: limit - 1] + [f"… ({len(labels) - limit + 1} more)"]
    return f"yours goes {' → '.join(labels)} {missing}"


# --------------------------------------------------------------------------- photo merge


def check_photo_merge(learner: Learner, spec: dict, points: float, description: dict) -> CheckResult:
    photo = next(want["name"] for want in spec["inputs"] if want["family"] == "convolutional")
    if learner.inputs[photo] is None:
        return CheckResult(
            "photo merge",
            points,
            0.0,
            [f"The {photo} path cannot be checked without a '{photo}' input (see inputs)."],
        )
    if any(_is_branch_merge(learner, key) for key in learner.branches[photo]):
        return CheckResult("photo merge", points, points)
    return CheckResult(
        "photo merge",
        points,
        0.0,
        [
            f"Rule: the {photo} path needs at least one Inception-style or residual merge; "
            f"{_route(learner, photo, 'without any merge')}. Split the path and join it again: "
            "layers.concatenate([branch_a, branch_b]) of two branches that start from the same tensor "
            '(Inception), or layers.add([x, block(x)]) (residual; padding="same" keeps the shapes equal).'
        ],
    )


def _is_branch_merge(learner: Learner, key: Key) -> bool:
    """A merge of two or more different tensors, or a nested model that contains one."""
    call = learner.graph.calls[key]
    if call.class_name in MERGES:
        return len(set(call.sources)) >= 2
    if call.class_name in NESTED_MODELS:  # a model kept whole (Xception): its own merges count
        return _has_branch_merge(call.nested_config or {})
    return False


def _has_branch_merge(config: dict) -> bool:
    try:
        inner = graphs.from_description({"kind": "functional", "config": config})
    except (KeyError, TypeError, ValueError, IndexError):
        return False
    nested = Learner(inner)
    return any(_is_branch_merge(nested, call.key) for call in inner.layer_calls())


# --------------------------------------------------------------------------- outputs


def check_outputs(learner: Learner, spec: dict, points: float, description: dict) -> CheckResult:
    messages, good = [], 0
    for want in spec["outputs"]:
        problems = _output_problems(learner, want)
        messages += problems
        good += not problems
    extra = [
        graphs.output_shown(learner.graph, key, name)
        for key, name in learner.graph.outputs
        if key not in learner.outputs.values()
    ]
    if extra:
        messages.append(
            f"The model has {len(learner.graph.outputs)} outputs; the exercise has "
            f"{len(spec['outputs'])} (trend and price). Remove: {'; '.join(extra)}."
        )
        good -= len(extra)
    return scored("outputs", points, messages, good / len(spec["outputs"]))


def _output_problems(learner: Learner, want: dict) -> list[str]:
    name, shape, activation = want["name"], tuple(want["shape"]), want["activation"]
    layer = _output_layer_code(want)
    key = learner.outputs[name]
    if key is None:
        return [
            f"The model has no '{name}' output: add {layer} and list it in keras.Model(..., outputs=...)."
        ]
    found_name = learner.output_names[key]
    shown = graphs.output_shown(learner.graph, key, found_name)
    problems = []
    if found_name != name:
        problems.append(
            f"{shown} should be named '{name}': give its layer name=\"{name}\" "
            "(losses and data are matched to outputs by this name)."
        )
    found_shape = learner.graph.output_shapes.get(key)
    if found_shape is not None and found_shape != shape:
        problems.append(
            f"{shown} has shape {batch_shape_text(found_shape)}; expected {batch_shape_text(shape)}: {layer}."
        )
    found_activation = _activation(learner, key)
    if found_activation != activation:
        problems.append(
            f"{shown} uses {found_activation}; expected {activation}: "
            f"{OUTPUT_REASONS[activation]}. Use {layer}."
        )
    return problems


def _output_layer_code(want: dict) -> str:
    units = want["shape"][-1]
    activation = "" if want["activation"] == "linear" else f', activation="{want["activation"]}"'
    return f'layers.Dense({units}{activation}, name="{want["name"]}")'


def _activation(learner: Learner, key: Key) -> str:
    """The activation a call applies (folded Activation layers included); linear for layers without one."""
    call: Call = learner.graph.calls[key]
    if "activation" in call.settings:
        return call.settings["activation"]
    return signature.activation_name((call.config or {}).get("activation"))


# --------------------------------------------------------------------------- compile


def check_compile(learner: Learner, spec: dict, points: float, description: dict) -> CheckResult:
    expected = spec["compile"]["loss"]
    example = "loss={" + ", ".join(f'"{n}": "{losses[0]}"' for n, losses in expected.items()) + "}"
    config = description.get("compile")
    if not config:
        return not_compiled(points, f'model.compile(optimizer="adam", {example})')
    dict_outputs = isinstance(description["config"].get("output_layers"), dict)
    found = _losses(config.get("loss"), learner, dict_outputs)
    messages = []
    for name, accepted in expected.items():
        loss = found.get(name)
        if loss not in [loss_name(a) for a in accepted]:
            wanted = " or ".join(accepted)
            messages.append(
                f"The loss of '{name}' is {loss or 'missing'}; expected {wanted}: {LOSS_REASONS[name]}."
            )
    good = len(expected) - len(messages)
    if messages and dict_outputs and isinstance(config.get("loss"), list):
        messages.append(
            "Your outputs are a dict, and Keras orders a dict by its keys (price before trend), "
            "so a list of losses is matched in that order. Give the losses as a dict by name."
        )
    if messages:
        messages[-1] += f" Compile with {example}."
    return scored("compile", points, messages, good / len(expected))


def _losses(value, learner: Learner, dict_outputs: bool) -> dict[str, str | None]:
    """The loss of each exercise output, whatever form compile() was given (name, dict, list, objects).

    A list follows the model's output order, which for outputs given as a dict is the
    sorted order of its keys (that is how Keras flattens a dict)."""
    by_learner_name = losses_by_output(value, learner.graph.loss_order())
    found = {}
    for name, key in learner.outputs.items():
        learner_name = learner.output_names.get(key) if key else None
        loss = by_learner_name.get(learner_name)
        if loss is None and isinstance(value, dict) and "class_name" not in value:
            loss = loss_name(value.get(name))  # keyed by the exercise's name
        found[name] = loss
    return found


# --------------------------------------------------------------------------- helpers
