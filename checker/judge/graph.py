"""A model as a graph of layer calls: from a description (the learner's) or a spec (the reference).

Each node is one call of a layer (a shared layer called twice is two nodes with the same
`instance`); an edge runs from the call that made a tensor to each call that consumes it.
Activation-only layers that directly follow a layer with a linear activation are folded
into it, so `Dense(10, activation="softmax")` and `Dense(10)` + `Softmax()` are one node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from checker.judge import signature


@dataclass
class Call:
    key: str  # unique node id: "<layer name>#<call index>"
    name: str  # the layer's own name (the learner's, or the spec's id)
    class_name: str
    settings: dict
    sources: list[str]  # keys of the calls whose outputs it consumes, in argument order
    instance: str  # calls of one shared layer have the same instance
    shape: tuple | None = None  # output shape without the batch axis, when known
    dtype: str | None = None  # inputs only
    nested_config: dict | None = None

    @property
    def label(self) -> str:
        if self.class_name == "Input":
            return f"Input(shape={shape_text(self.shape)})"
        return signature.render(self.class_name, self.settings)

    @property
    def signature(self) -> tuple:
        """What must be equal for two calls to be the same layer (inputs: only that they are inputs)."""
        return (self.class_name, tuple(sorted(self.settings.items())))


@dataclass
class ModelGraph:
    calls: dict[str, Call] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)  # keys, in the model's input order
    outputs: list[tuple[str, str]] = field(default_factory=list)  # (key, output name)
    output_shapes: dict[str, tuple | None] = field(default_factory=dict)  # output name -> shape
    fixed_names: set[str] = field(
        default_factory=set
    )  # reference input keys / output names the contract fixes
    outputs_are_dict: bool = False

    def loss_order(self) -> list[str]:
        """Output names in the order Keras matches a list of losses: a dict's keys are sorted."""
        names = [name for _, name in self.outputs]
        return sorted(names) if self.outputs_are_dict else names

    def consumers(self, key: str) -> list[str]:
        return [c.key for c in self.calls.values() if key in c.sources]

    def layer_calls(self) -> list[Call]:
        return [c for c in self.calls.values() if c.class_name != "Input"]

    def to_networkx(self, with_instances: bool = True) -> nx.DiGraph:
        """Nodes carry `sig`; with_instances adds one node per shared layer, linked to its calls."""
        graph = nx.DiGraph()
        for call in self.calls.values():
            graph.add_node(call.key, sig=call.signature)
        for call in self.calls.values():
            for source in call.sources:
                graph.add_edge(source, call.key)
        if with_instances:
            for instance, members in self.instances().items():
                if len(members) > 1:
                    graph.add_node(f"instance:{instance}", sig=("shared instance", len(members)))
                    for member in members:
                        graph.add_edge(f"instance:{instance}", member)
        return graph

    def instances(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for call in self.layer_calls():
            groups.setdefault(call.instance, []).append(call.key)
        return groups

    def topological(self) -> list[str]:
        return list(nx.topological_sort(self.to_networkx(with_instances=False)))


def from_description(description: dict) -> ModelGraph:
    """Parse a functional or Sequential description made by `checker.observe.describe`."""
    if description.get("kind") == "sequential":
        graph = _from_sequential(description["config"])
    else:
        graph = _from_functional(description["config"])
    shapes = description.get("output_shapes") or {}
    for key, name in graph.outputs:
        graph.output_shapes[name] = _known_output_shape(shapes, key)
    _fold_activations(graph)
    return graph


def from_spec(spec: dict) -> ModelGraph:
    """The reference graph of a graph exercise's spec (see checker/exercises.py)."""
    graph = ModelGraph()
    for item in spec["inputs"]:
        key = item["id"]
        graph.calls[key] = Call(
            key,
            item.get("name") or key,
            "Input",
            {},
            [],
            key,
            tuple(item["shape"]),
            item.get("dtype", "float32"),
        )
        graph.inputs.append(key)
        if "name" in item:
            graph.fixed_names.add(key)
    for item in spec["layers"]:
        config = {k: v for k, v in item.items() if k not in ("id", "class", "from", "same_instance_as")}
        graph.calls[item["id"]] = Call(
            item["id"],
            item["id"],
            item["class"],
            signature.settings(item["class"], config),
            list(item["from"]),
            item.get("same_instance_as", item["id"]),
        )
    for output in spec["outputs"]:
        name = output.get("name") or output["from"]
        graph.outputs.append((output["from"], name))
        if "name" in output:
            graph.fixed_names.add(name)
        graph.output_shapes[name] = tuple(output["shape"])
    return graph


def _from_functional(config: dict) -> ModelGraph:
    graph = ModelGraph()
    for layer in config["layers"]:
        name, class_name = layer["config"].get("name", layer.get("name")), layer["class_name"]
        if class_name == "InputLayer":
            _add_input(graph, name, layer["config"])
            continue
        for index, node in enumerate(layer.get("inbound_nodes", [])):
            history = list(_tensor_histories(node))
            sources = [f"{src}#{src_node}" for src, src_node, _ in history]
            in_shapes = [shape for _, _, shape in history]
            _add_call(graph, name, index, class_name, layer["config"], sources, in_shapes)
    inputs = _named_entries(config.get("input_layers"))
    graph.inputs = [f"{entry[0]}#{entry[1]}" for entry, _ in inputs]
    for (layer, node, _), name in inputs:
        graph.calls[f"{layer}#{node}"].name = name
    graph.outputs = [
        (f"{entry[0]}#{entry[1]}", name) for entry, name in _named_entries(config.get("output_layers"))
    ]
    graph.outputs_are_dict = isinstance(config.get("output_layers"), dict)
    _mark_input_order(graph)
    return graph


def _named_entries(value) -> list[tuple[list, str]]:
    """Entries with the name data and losses are matched by: the dict key, else the layer's name."""
    if isinstance(value, dict):
        return [(entry, key) for key, item in value.items() for entry in _entries(item)]
    return [(entry, entry[0]) for entry in _entries(value)]


def _from_sequential(config: dict) -> ModelGraph:
    graph = ModelGraph()
    previous = None
    layers = config.get("layers", [])
    first = layers[0] if layers else None
    if first is None or first["class_name"] != "InputLayer":
        shape = config.get("build_input_shape")
        _add_input(graph, "input", {"batch_shape": shape, "dtype": "float32"})
        graph.inputs = ["input#0"]
        previous = "input#0"
    for layer in layers:
        name, class_name = layer["config"]["name"], layer["class_name"]
        if class_name == "InputLayer":
            _add_input(graph, name, layer["config"])
            graph.inputs, previous = [f"{name}#0"], f"{name}#0"
            continue
        _add_call(graph, name, 0, class_name, layer["config"], [previous] if previous else [], [])
        previous = f"{name}#0"
    if previous:
        graph.outputs = [(previous, previous.split("#")[0])]
    return graph


def _add_input(graph: ModelGraph, name: str, config: dict) -> None:
    batch_shape = config.get("batch_shape") or config.get("batch_input_shape")
    shape = tuple(batch_shape[1:]) if batch_shape else None
    key = f"{name}#0"
    graph.calls[key] = Call(key, name, "Input", {}, [], key, shape, config.get("dtype", "float32"))


def _add_call(graph, name, index, class_name, config, sources, in_shapes) -> None:
    rank = len(in_shapes[0]) if in_shapes and in_shapes[0] is not None else None
    key = f"{name}#{index}"
    activation = (
        signature.activation_layer_name(class_name, config)
        if class_name in signature.ACTIVATION_LAYERS
        else None
    )
    if activation is not None:
        class_name, config = "Activation", {"activation": activation}
    call = Call(key, name, class_name, signature.settings(class_name, config, rank), sources, name)
    if class_name == "Functional":
        call.nested_config = config
    graph.calls[key] = call


def _tensor_histories(node):
    """(layer name, call index, shape) of every tensor an inbound node consumes, in order."""
    stack = [node.get("args", []), node.get("kwargs", {})]
    found = []

    def walk(value):
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                layer, call_index, _ = value["config"]["keras_history"]
                found.append((layer, call_index, value["config"].get("shape")))
            else:
                for item in value.values():
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for part in stack:
        walk(part)
    return found


def _entries(value) -> list:
    """input_layers / output_layers: a single [name, node, tensor], a list of them, or a dict."""
    if not value:
        return []
    if isinstance(value, dict):
        return [entry for item in value.values() for entry in _entries(item)]
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [value]
    return [entry for item in value for entry in _entries(item)]


def _mark_input_order(graph: ModelGraph) -> None:
    """Inputs that the model does not list (an unused keras.Input) still count as inputs."""
    for call in graph.calls.values():
        if call.class_name == "Input" and call.key not in graph.inputs:
            graph.inputs.append(call.key)


def _fold_activations(graph: ModelGraph) -> None:
    """Merge `X -> Activation(a)` into X when X is linear, has an activation setting and no other consumer."""
    output_keys = {key for key, _ in graph.outputs}
    for key in graph.topological():
        call = graph.calls[key]
        if call.class_name != "Activation" or len(call.sources) != 1:
            continue
        source = graph.calls[call.sources[0]]
        foldable = (
            source.settings.get("activation") == "linear"
            and graph.consumers(source.key) == [key]
            and source.key not in output_keys
            and len(graph.instances().get(source.instance, [])) == 1
        )
        if foldable:
            source.settings["activation"] = call.settings["activation"]
            _replace(graph, old=key, new=source.key)


def _replace(graph: ModelGraph, old: str, new: str) -> None:
    del graph.calls[old]
    for call in graph.calls.values():
        call.sources = [new if s == old else s for s in call.sources]
    graph.outputs = [(new if k == old else k, name) for k, name in graph.outputs]


def _known_output_shape(shapes: dict, key: str):
    layer, index = key.split("#")
    for shape_key, shape in shapes.items():
        name, node, _ = shape_key.rsplit(":", 2)
        if name == layer and node == index:
            return tuple(shape[1:])
    return None


def batch_shape_text(shape) -> str:
    """(None, 16, 16, 512) for a shape given without its batch axis."""
    return "unknown" if shape is None else shape_text((None, *shape))


def shape_text(shape) -> str:
    if shape is None:
        return "unknown"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
