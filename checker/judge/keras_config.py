"""Read a Keras 3 model config (`model.get_config()`) into a graph of layer calls.

A nested model used as a layer (`block = keras.Model(...)`, then `block(x)`) is the same
network as its layers written inline, so its layers are inlined: each call of the nested
model adds its layers' calls, fed from the tensors it was called on. Calls of one nested
model share its layers (one instance per inner layer), as they share weights in Keras.
Models the exercises name as a whole (`keras.applications.Xception`) stay one call.

Two numbering quirks of Keras' config, mirrored from `keras/src/models/functional.py`:
a nested Functional model starts with a built-in node, so `input_layers` / `output_layers`
number its calls from 1 (Keras' own loader does `node_index -= 1`), while the tensors in
`inbound_nodes` number them from 0.
"""

from __future__ import annotations

import functools
import re

from checker.judge import signature
from checker.judge.graph import Call, CallKey, ModelGraph, ordinal_word

NESTED_CLASSES = {"Functional", "Sequential", "Model"}


def parse_functional(config: dict, inline: bool = True) -> ModelGraph:
    """The call graph of a functional model's config, nested models inlined unless inline=False.

    >>> parse_functional({"layers": [], "input_layers": [], "output_layers": []}).calls
    {}
    """
    parser = _Parser(inline)
    scope = _Scope(within=None, owner="", bound={})
    resolved = parser.read_functional(config, scope)
    graph = parser.graph
    graph.inputs = [key for key, _ in resolved.inputs]
    for key, name in resolved.inputs:
        graph.calls[key].name = name
    graph.outputs = resolved.outputs
    graph.outputs_are_dict = isinstance(config.get("output_layers"), dict)
    for call in graph.calls.values():  # an unused keras.Input still counts as an input
        if call.class_name == "Input" and call.key not in graph.inputs:
            graph.inputs.append(call.key)
    return graph


def parse_sequential(config: dict, inline: bool = True) -> ModelGraph:
    """The call graph of a Sequential model's config: an input, then each layer in turn."""
    parser = _Parser(inline)
    layers = config.get("layers", [])
    if layers and layers[0]["class_name"] == "InputLayer":
        name = layers[0]["config"]["name"]
        source = parser.add_input(name, layers[0]["config"], None)
        layers = layers[1:]
    else:
        source = parser.add_input("input", {"batch_shape": config.get("build_input_shape")}, None)
    parser.graph.inputs = [source]
    scope = _Scope(within=None, owner="", bound={})
    last = parser.read_chain(layers, source, scope)
    parser.graph.outputs = [(last, parser.graph.calls[last].name)] if last else []
    return parser.graph


class _Scope:
    """Where a config is read: top level, or inside one call of a nested model."""

    def __init__(self, within: CallKey | None, owner: str, bound: dict[str, CallKey]):
        self.within = within  # the call of the nested model read here; None at top level
        self.owner = owner  # the nested model as feedback names it: "'block'", "the second nested Sequential"
        self.nested_shown: dict[str, str] = {}  # names of this scope's inlined nested models -> as shown
        self.bound = bound  # nested input layer name -> the outer key it was called on
        self.tensors: dict[tuple, CallKey] = {}  # (layer, node, tensor) -> key of the call that made it
        self.functional: set[str] = set()  # names of nested Functional layers (numbering quirk)
        self.mask_ops: set[str] = set()  # Keras' own mask computations (see _mask_plumbing)

    def instance_prefix(self) -> str:
        """Keys differ per call of a nested model; instances do not (its layers are shared)."""
        if self.within is None:
            return ""
        return "".join(f"{model}/" for model in (*self.within.models(), self.within.layer))


class _Resolved:
    def __init__(self, inputs: list[tuple[CallKey, str]], outputs: list[tuple[CallKey, str]]):
        self.inputs = inputs  # (key, name) in the model's input order
        self.outputs = outputs  # (key, name) in Keras' flattened output order


class _Parser:
    def __init__(self, inline: bool):
        self.graph = ModelGraph()
        self.inline_nested = inline

    # ------------------------------------------------------------------ functional configs

    def read_functional(self, config: dict, scope: _Scope) -> _Resolved:
        scope.nested_shown = _nested_models_shown(config.get("layers", []))
        scope.mask_ops = _mask_plumbing(config.get("layers", []))
        for layer in config.get("layers", []):
            self.read_layer(layer, scope)
        inputs = [
            (self.resolve(entry, scope, from_config_io=True), name)
            for entry, name in named_entries(config.get("input_layers"))
        ]
        outputs = [
            (self.resolve(entry, scope, from_config_io=True), name)
            for entry, name in named_entries(config.get("output_layers"))
        ]
        return _Resolved(inputs, outputs)

    def read_layer(self, layer: dict, scope: _Scope) -> None:
        name = layer["config"].get("name", layer.get("name"))
        class_name = layer["class_name"]
        if class_name == "InputLayer":
            if name in scope.bound:  # an input of a nested model: the tensor it was called on
                scope.tensors[(name, 0, 0)] = scope.bound[name]
            else:
                key = self.add_input(name, layer["config"], scope.within)
                scope.tensors[(name, 0, 0)] = key
            return
        if name in scope.mask_ops:
            return
        if class_name == "Functional" or _is_functional_config(layer):
            scope.functional.add(name)
        for index, node in enumerate(layer.get("inbound_nodes", [])):
            tensors = list(_tensor_histories(node))
            sources = [self.resolve(t[:3], scope) for t in tensors]
            in_shape = _without_batch(tensors[0][3]) if tensors else None
            if self.inline_nested and _inlined(layer):
                self.inline(layer, index, sources, scope)
            else:
                self.add_call(layer, name, index, sources, in_shape, scope, in_rank=_rank(tensors))

    def resolve(self, entry, scope: _Scope, from_config_io: bool = False) -> CallKey:
        """The key of the call that made tensor [layer, node, tensor] of this scope."""
        layer, node, tensor = entry[0], int(entry[1]), int(entry[2]) if len(entry) > 2 else 0
        if from_config_io and layer in scope.functional:
            node -= 1  # input_layers / output_layers count a nested model's built-in node
        return scope.tensors.get((layer, node, tensor)) or scope.tensors.get(
            (layer, node, 0), CallKey(layer, node, scope.within)
        )

    def add_input(self, name: str, config: dict, within: CallKey | None) -> CallKey:
        batch_shape = config.get("batch_shape") or config.get("batch_input_shape")
        shape = _without_batch(batch_shape)
        key = CallKey(name, 0, within)
        call = Call(key, name, "Input", {}, [], str(key), shape, config.get("dtype", "float32"))
        call.auto_named = is_automatic_name(name, "InputLayer")
        self.graph.calls[key] = call
        return key

    def add_call(self, layer: dict, name: str, index: int, sources, in_shape, scope: _Scope, in_rank=None):
        class_name, config = layer["class_name"], layer["config"]
        key = CallKey(name, index, scope.within)
        activation = (
            signature.activation_layer_name(class_name, config)
            if class_name in signature.ACTIVATION_LAYERS
            else None
        )
        shown_class, settings_config = class_name, config
        if activation is not None:
            shown_class, settings_config = "Activation", {"activation": activation}
        settings = signature.settings(shown_class, settings_config, in_rank, in_shape)
        call = Call(key, name, shown_class, settings, list(sources), scope.instance_prefix() + name)
        call.config, call.in_shape, call.owner = config, in_shape, scope.owner
        call.auto_named = is_automatic_name(name, class_name)
        if shown_class == "Concatenate" and config.get("axis", -1) != settings.get("axis"):
            call.written = {**settings, "axis": config.get("axis", -1)}  # axis=3 compares as -1
        if shown_class in NESTED_CLASSES:
            call.nested_config = config
        self.graph.calls[key] = call
        for tensor in range(_output_count(layer)):
            scope.tensors[(name, index, tensor)] = key
        return key

    # ------------------------------------------------------------------ nested models

    def inline(self, layer: dict, index: int, sources: list[CallKey], scope: _Scope) -> None:
        """Add the calls of one call of a nested model, and say which keys its outputs are."""
        name, config = layer["config"].get("name", layer.get("name")), layer["config"]
        inner = _Scope(CallKey(name, index, scope.within), scope.nested_shown.get(name, f"'{name}'"), {})
        if layer["class_name"] == "Sequential" or "input_layers" not in config:
            steps = [entry for entry in config.get("layers", []) if entry["class_name"] != "InputLayer"]
            last = self.read_chain(steps, sources[0] if sources else None, inner)
            outputs = [last or (sources[0] if sources else "")]
        else:
            input_names = [entry[0] for entry in flat_entries(config.get("input_layers"))]
            inner.bound = dict(zip(input_names, sources))
            outputs = [key for key, _ in self.read_functional(config, inner).outputs]
        for tensor, key in enumerate(outputs):
            scope.tensors[(name, index, tensor)] = key

    def read_chain(self, layers: list[dict], source: CallKey | None, scope: _Scope) -> CallKey | None:
        """Layers applied one after the other (a Sequential model); the key of the last call."""
        scope.nested_shown = _nested_models_shown(layers)
        for layer in layers:
            name = layer["config"].get("name", layer.get("name"))
            sources = [source] if source else []
            in_shape = _without_batch((layer.get("build_config") or {}).get("input_shape"))
            if self.inline_nested and _inlined(layer):
                self.inline(layer, 0, sources, scope)
                source = scope.tensors.get((name, 0, 0), source)
            else:
                rank = len(in_shape) + 1 if in_shape is not None else None
                source = self.add_call(layer, name, 0, sources, in_shape, scope, in_rank=rank)
        return source


def is_automatic_name(name: str, class_name: str) -> bool:
    """Whether Keras chose this name: the class in snake case, maybe with a counter.

    >>> is_automatic_name("conv2d_38", "Conv2D"), is_automatic_name("re_lu", "ReLU")
    (True, True)
    >>> is_automatic_name("input_layer_2", "InputLayer"), is_automatic_name("branch_a", "Conv2D")
    (True, False)
    """
    return _automatic_names(class_name).fullmatch(name) is not None


@functools.cache
def _automatic_names(class_name: str) -> re.Pattern:
    base = "input(_layer)?" if class_name == "InputLayer" else re.escape(_snake_case(class_name))
    return re.compile(rf"{base}(_\d+)?")


def _snake_case(name: str) -> str:
    """Keras' `to_snake_case` (keras/src/utils/naming.py), which makes its automatic names."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _nested_models_shown(layers: list[dict]) -> dict[str, str]:
    """How feedback names each nested model of a config: "'block'", or "the second nested Sequential"
    for one Keras named (its automatic name changes on every build)."""
    shown, automatic = {}, {}
    for layer in layers:
        name, class_name = layer["config"].get("name", layer.get("name")), layer["class_name"]
        if _inlined(layer):
            if is_automatic_name(name, class_name):
                automatic.setdefault(class_name, []).append(name)
            else:
                shown[name] = f"'{name}'"
    for class_name, names in automatic.items():
        for index, name in enumerate(names):
            which = "" if len(names) == 1 else f"{ordinal_word(index)} "
            shown[name] = f"the {which}nested {class_name} model"
    return shown


def _inlined(layer: dict) -> bool:
    """A nested model is inlined unless it is a model an exercise names as a whole (Xception)."""
    if layer["class_name"] not in NESTED_CLASSES and not _is_functional_config(layer):
        return False
    return signature.known_model_name(layer["config"]) == "custom"


def _is_functional_config(layer: dict) -> bool:
    config = layer.get("config") or {}
    return isinstance(config, dict) and "layers" in config and "input_layers" in config


def _output_count(layer: dict) -> int:
    config = layer.get("config") or {}
    if _is_functional_config(layer):
        return max(len(flat_entries(config.get("output_layers"))), 1)
    return 1


def named_entries(value) -> list[tuple[list, str]]:
    """input_layers / output_layers in Keras' flattened order, with the name each is known by.

    A dict's keys name its entries (Keras flattens a dict in sorted key order); otherwise an
    entry is known by its layer's name, as `model.output_names` does.

    >>> named_entries({"trend": ["t", 0, 0], "price": ["p", 0, 0]})
    [(['p', 0, 0], 'price'), (['t', 0, 0], 'trend')]
    """
    if isinstance(value, dict):
        return [(entry, key) for key in sorted(value) for entry in flat_entries(value[key])]
    return [(entry, entry[0]) for entry in flat_entries(value)]


def flat_entries(value) -> list:
    """A single [name, node, tensor], a list of them, or a dict (in sorted key order)."""
    if not value:
        return []
    if isinstance(value, dict):
        return [entry for key in sorted(value) for entry in flat_entries(value[key])]
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [value]
    return [entry for item in value for entry in flat_entries(item)]


def _tensor_histories(node):
    """(layer, call index, tensor index, shape) of every tensor an inbound node consumes, in order.

    Dicts of tensors are read in sorted key order, as Keras flattens them.
    """
    found = []

    def walk(value):
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                layer, call_index, tensor_index = value["config"]["keras_history"]
                found.append((layer, call_index, tensor_index, value["config"].get("shape")))
            else:
                for key in sorted(value):
                    walk(value[key])
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node.get("args", []))
    walk({key: value for key, value in node.get("kwargs", {}).items() if key != "mask"})
    return found


def _mask_tensors(node) -> list[str]:
    """Names of the layers whose tensors a call takes as its `mask` argument."""
    found = []

    def walk(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            found.append(value["config"]["keras_history"][0])
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node.get("kwargs", {}).get("mask"))
    return found


def _mask_plumbing(layers: list[dict]) -> set[str]:
    """Names of the Keras ops that only compute masks, never data the learner wrote.

    `Embedding(..., mask_zero=True)` makes Keras record `ops.not_equal(ids, 0)` in the config
    and pass its result to the next layers as `mask=`; such an op (or a chain of ops ending
    in a `mask=`) is not a layer of the learner's network.
    """
    ops = {
        layer["config"].get("name", layer.get("name"))
        for layer in layers
        if str(layer.get("module", "")).startswith("keras.src.ops")
    }
    if not ops:
        return set()
    uses: dict[str, list[tuple[str, bool]]] = {}  # op -> (consumer, as its mask)
    for layer in layers:
        consumer = layer["config"].get("name", layer.get("name"))
        for node in layer.get("inbound_nodes", []):
            for source in _mask_tensors(node):
                uses.setdefault(source, []).append((consumer, True))
            for source, *_ in _tensor_histories(node):
                uses.setdefault(source, []).append((consumer, False))
    plumbing: set[str] = set()
    grew = True
    while grew:
        grew = False
        for name in ops - plumbing:
            if uses.get(name) and all(as_mask or user in plumbing for user, as_mask in uses[name]):
                plumbing.add(name)
                grew = True
    return plumbing


def _rank(tensors: list) -> int | None:
    shape = tensors[0][3] if tensors else None
    return len(shape) if shape is not None else None


def _without_batch(shape) -> tuple | None:
    if not shape:
        return None
    return tuple(shape[1:])
