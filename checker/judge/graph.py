"""A model as a graph of layer calls: from a description (the learner's) or a spec (the reference).

Each node is one call of a layer (a shared layer called twice is two nodes with the same
`instance`); an edge runs from the call that made a tensor to each call that consumes it.
Activation-only layers that directly follow a layer with a linear activation are folded
into it, so `Dense(10, activation="softmax")` and `Dense(10)` + `Softmax()` are one node.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

import networkx as nx

from checker.judge import signature

ORDERLESS_MERGES = frozenset({"Add", "Average", "Maximum", "Minimum", "Multiply"})


class CallKey(NamedTuple):
    """One call of one layer of a learner's model: the layer's name and which of its calls it is,
    as Keras names the maker of a tensor (`KerasHistory(operation, node_index, tensor_index)`).

    A layer of an inlined nested model is `within` that model's call; a call the learner made but
    left out of the model (see `ModelGraph.unconnected`) is `left_out`. A reference graph keys its
    calls by their ids in the exercise's spec instead.

    >>> key = CallKey("conv", 0, within=CallKey("block", 1))
    >>> key.layer, key.call, key.within.layer, str(key)
    ('conv', 0, 'block', 'block#1/conv#0')
    """

    layer: str
    call: int = 0
    within: CallKey | None = None
    left_out: bool = False

    def __str__(self) -> str:
        """The one text form of a key, for ids in the picture: "block#1/conv#0", "unconnected:dense#0"."""
        inside = f"{self.within}/" if self.within is not None else ""
        return f"{'unconnected:' if self.left_out else ''}{inside}{self.layer}#{self.call}"

    def models(self) -> tuple[str, ...]:
        """The names of the nested models the call is inside, outermost first.

        >>> CallKey("conv", 0, CallKey("inner", 0, CallKey("outer", 2))).models()
        ('outer', 'inner')
        """
        return () if self.within is None else (*self.within.models(), self.within.layer)


Key = CallKey | str  # a learner's call, or a reference call's id in the spec


class SharedInstance(NamedTuple):
    """The node `ModelGraph.to_networkx` adds for a layer called more than once, linked to its calls."""

    instance: str


@dataclass
class Call:
    key: Key  # unique node id: a CallKey in a learner's graph, the spec's id in a reference
    name: str  # the layer's own name (the learner's, or the spec's id)
    class_name: str
    settings: dict
    sources: list[Key]  # keys of the calls whose outputs it consumes, in argument order
    instance: str  # calls of one shared layer have the same instance
    shape: tuple | None = None  # output shape without the batch axis, when known (inputs)
    dtype: str | None = None  # inputs only
    nested_config: dict | None = None  # a nested model kept whole (Xception)
    config: dict | None = None  # the layer's own config, as Keras wrote it
    in_shape: tuple | None = None  # the shape of its (first) input, without the batch axis
    owner: str = ""  # the nested model it was written in, as feedback names it ("'block'"), if any
    auto_named: bool = False  # named by Keras (`conv2d_38`), not by the learner
    position: str = ""  # how feedback points at a layer the learner did not name: "the second Conv2D"
    written: dict | None = None  # settings as the learner wrote them, where comparing normalised them

    @property
    def label(self) -> str:
        if self.class_name == "Input":
            return f"Input(shape={shape_text(self.shape)})"
        return signature.render(self.class_name, self.written or self.settings)

    @property
    def signature(self) -> tuple:
        """What must be equal for two calls to be the same layer (inputs: only that they are inputs)."""
        return (self.class_name, tuple(sorted(self.settings.items())))

    @property
    def shown(self) -> str:
        """The layer as the learner can find it: its name if they chose one, else where it is.

        Keras' automatic names (`conv2d_38`) change on every build, so they are never shown.
        """
        return self.position or f"'{self.name}'"


@dataclass
class ModelGraph:
    calls: dict[Key, Call] = field(default_factory=dict)
    inputs: list[Key] = field(default_factory=list)  # keys, in the model's input order
    outputs: list[tuple[Key, str]] = field(default_factory=list)  # (key, output name)
    output_shapes: dict[Key, tuple | None] = field(default_factory=dict)  # output key -> shape
    fixed_names: set[str] = field(
        default_factory=set
    )  # reference input keys / output names the contract fixes
    outputs_are_dict: bool = False
    unconnected: list[Call] = field(default_factory=list)  # called on an input, but not in the model

    def unconnected_like(self, wanted: Call, after: list[Key], same_settings: bool = True) -> Call | None:
        """The learner's layer, left out of the model, that is `wanted` called on the tensors `after`
        (in that order; in any order for a sum, whose order changes nothing); with
        same_settings=False, any layer of its class there."""
        for call in self.unconnected:
            same_sources = call.sources == after or (
                wanted.class_name in ORDERLESS_MERGES and Counter(call.sources) == Counter(after)
            )
            alike = call.signature == wanted.signature or (
                not same_settings and call.class_name == wanted.class_name
            )
            if same_sources and alike:
                return call
        return None

    def loss_order(self) -> list[str]:
        """Output names in the order Keras matches a list of losses: a dict's keys are sorted."""
        names = [name for _, name in self.outputs]
        return sorted(names) if self.outputs_are_dict else names

    def consumers(self, key: Key) -> list[Key]:
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
                    graph.add_node(SharedInstance(instance), sig=("shared instance", len(members)))
                    for member in members:
                        graph.add_edge(SharedInstance(instance), member)
        return graph

    def instances(self) -> dict[str, list[Key]]:
        groups: dict[str, list[Key]] = {}
        for call in self.layer_calls():
            groups.setdefault(call.instance, []).append(call.key)
        return groups

    def topological(self) -> list[Key]:
        """Keys in an order where every call comes after its sources (networkx's order for
        the same nodes and edges as to_networkx, without computing signatures)."""
        graph = nx.DiGraph()
        graph.add_nodes_from(self.calls)
        graph.add_edges_from((source, call.key) for call in self.calls.values() for source in call.sources)
        return list(nx.topological_sort(graph))


def from_description(description: dict, inline: bool = True) -> ModelGraph:
    """Parse a functional or Sequential description made by `checker.observe.describe`.

    Nested models are inlined (see `keras_config`) unless inline=False: an exercise that asks
    for one particular nested model compares it whole.
    """
    from checker.judge import keras_config

    if description.get("kind") == "sequential":
        graph = keras_config.parse_sequential(description["config"], inline)
    else:
        graph = keras_config.parse_functional(description["config"], inline)
    _attach_output_shapes(graph, description)
    _fold_activations(graph)
    _name_positions(graph)
    _attach_unconnected(graph, description.get("unconnected") or [])
    return graph


def _attach_unconnected(graph: ModelGraph, entries: list[dict]) -> None:
    left_out = {(entry["name"], entry["node"]) for entry in entries}
    for entry in entries:
        sources = [CallKey(name, node, left_out=(name, node) in left_out) for name, node in entry["sources"]]
        if not all(key in graph.calls or key.left_out for key in sources):
            continue  # fed from something this graph does not know (a nested model's inside)
        first = graph.calls.get(sources[0]) if sources else None
        in_shape = _plain_shape(entry.get("in_shape"))  # recorded by describe() since it follows any layer
        if in_shape is None and first is not None and first.class_name == "Input":
            in_shape = first.shape
        rank = len(in_shape) + 1 if in_shape is not None else None
        settings = signature.settings(entry["class_name"], entry["config"], rank, in_shape)
        key = CallKey(entry["name"], entry["node"], left_out=True)
        call = Call(key, entry["name"], entry["class_name"], settings, sources, str(key))
        call.in_shape = in_shape
        graph.unconnected.append(call)


def _plain_shape(shape) -> tuple | None:
    """A shape as a description gives it (a list of sizes, None where unknown), else None."""
    if isinstance(shape, list) and all(size is None or type(size) is int for size in shape):
        return tuple(shape)
    return None


def from_spec(spec: dict) -> ModelGraph:
    """The reference graph of a graph exercise's spec (see checker/judge/exercises.py)."""
    graph = ModelGraph()
    shapes: dict[str, tuple | None] = {}
    for item in spec["inputs"]:
        key = item["id"]
        shape = tuple(item["shape"])
        graph.calls[key] = Call(key, item.get("name") or key, "Input", {}, [], key, shape)
        graph.calls[key].dtype = item.get("dtype", "float32")
        shapes[key] = shape
        graph.inputs.append(key)
        if "name" in item:
            graph.fixed_names.add(key)
    for item in spec["layers"]:
        config = {k: v for k, v in item.items() if k not in ("id", "class", "from", "same_instance_as")}
        in_shape = shapes.get(item["from"][0])
        settings = signature.settings(item["class"], config, None, in_shape)
        call = Call(
            item["id"],
            item["id"],
            item["class"],
            settings,
            list(item["from"]),
            item.get("same_instance_as", item["id"]),
        )
        call.in_shape = in_shape
        graph.calls[item["id"]] = call
        shapes[item["id"]] = signature.output_shape(
            item["class"], config, [shapes.get(s) for s in item["from"]]
        )
    for output in spec["outputs"]:
        name = output.get("name") or output["from"]
        graph.outputs.append((output["from"], name))
        if "name" in output:
            graph.fixed_names.add(name)
        graph.output_shapes[output["from"]] = tuple(output["shape"])
    return graph


def _attach_output_shapes(graph: ModelGraph, description: dict) -> None:
    """Each output's shape, by position (`output_shape_list`, in Keras' output order) when the
    description has it, else from the older `output_shapes` keyed by Keras history."""
    in_order = description.get("output_shape_list")
    if in_order is not None and len(in_order) == len(graph.outputs):
        for (key, _), shape in zip(graph.outputs, in_order):
            graph.output_shapes[key] = tuple(shape[1:]) if shape is not None else None
        return
    shapes = description.get("output_shapes") or {}
    for key, _ in graph.outputs:
        graph.output_shapes[key] = _known_output_shape(shapes, key)


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


def _replace(graph: ModelGraph, old: Key, new: Key) -> None:
    del graph.calls[old]
    for call in graph.calls.values():
        call.sources = [new if s == old else s for s in call.sources]
    graph.outputs = [(new if k == old else k, name) for k, name in graph.outputs]
    if old in graph.output_shapes:
        graph.output_shapes[new] = graph.output_shapes.pop(old)


def _known_output_shape(shapes: dict, key: CallKey):
    """The shape of output `key` in a description's `output_shapes`, keyed "layer:node:tensor"."""
    if key.within is not None:  # a layer inside a nested model: older descriptions cannot tell
        return None
    for shape_key, shape in shapes.items():
        name, node, _ = shape_key.rsplit(":", 2)  # a saved description's own format (describe.py)
        if name == key.layer and node == str(key.call):
            return tuple(shape[1:])
    return None


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def _name_positions(graph: ModelGraph) -> None:
    """Give every call the learner did not name a `position` they can find in their code.

    A class that occurs once is "the Add". Otherwise a layer is counted along the path that
    leads to it (first inputs first) from the nearest input or layer the learner named:
    "the second Conv2D after the input". Where two layers would get the same words, their
    settings tell them apart: "the Conv2D(64, 1, strides=2) after the input", and where even
    those are alike, their order in the graph: "the second of the 3 Conv2D(64, 1) after the input".
    """
    for index, key in enumerate(graph.inputs):
        call = graph.calls[key]
        if call.auto_named:
            call.position = "the input" if len(graph.inputs) == 1 else f"the {ordinal_word(index)} input"
    classes = Counter((c.owner, c.class_name) for c in _first_calls(graph))
    named = [c for c in _first_calls(graph) if c.auto_named]
    texts = {c.instance: _position(graph, c, classes[(c.owner, c.class_name)] == 1) for c in named}
    seen = Counter(texts.values())
    for call in named:
        if seen[texts[call.instance]] > 1:
            texts[call.instance] = _position(graph, call, False, by_settings=True)
    alike = defaultdict(list)  # layers that even their settings do not tell apart: count them
    for call in named:
        alike[texts[call.instance]].append(call)
    for text, calls in alike.items():
        if len(calls) > 1:
            for index, call in enumerate(sorted(calls, key=_creation_order)):
                which = f"the {ordinal_word(index)} of the {len(calls)} "
                texts[call.instance] = which + text.removeprefix("the ")
    for call in graph.layer_calls():
        call.position = texts.get(call.instance, "")


def _creation_order(call: Call) -> int:
    """Keras numbers the names it makes up in the order the layers were created: conv2d, conv2d_1, ...

    >>> [_creation_order(Call("k", n, "Conv2D", {}, [], "i")) for n in ("conv2d", "conv2d_12")]
    [0, 12]
    """
    _, _, number = call.name.rpartition("_")
    return int(number) if number.isdigit() else 0


def _position(graph: ModelGraph, call: Call, unique: bool, by_settings: bool = False) -> str:
    text = f"the {call.class_name}" if unique else _path_position(graph, call, by_settings)
    return text + (f" inside {call.owner}" if call.owner and call.owner not in text else "")


def _first_calls(graph: ModelGraph) -> list[Call]:
    """One call per layer instance: a shared layer is one layer to point at."""
    first: dict[str, Call] = {}
    for call in graph.layer_calls():
        first.setdefault(call.instance, call)
    return list(first.values())


def _path_position(graph: ModelGraph, call: Call, by_settings: bool = False) -> str:
    """ "the second Conv2D after the input": counted back along first inputs to an anchor."""
    count, source = 1, call.sources[0] if call.sources else None
    while source is not None and source in graph.calls:
        before = graph.calls[source]
        if before.class_name == "Input" or not before.auto_named or before.owner != call.owner:
            break
        count += before.class_name == call.class_name
        source = before.sources[0] if before.sources else None
    anchor = _anchor_text(graph.calls.get(source) if source else None, call.owner)
    if by_settings:
        return f"the {call.label} after {anchor}"
    return f"the {ordinal_word(count - 1)} {call.class_name} after {anchor}"


def _anchor_text(anchor: Call | None, owner: str) -> str:
    if anchor is None or anchor.owner != owner:
        return f"the input of {owner}" if owner else "the input"
    if anchor.class_name == "Input":
        return anchor.position or f"the input '{anchor.name}'"
    return anchor.position or f"'{anchor.name}'"


def input_shown(call: Call) -> str:
    """ "Input 'text'" for an input the learner named, "The second input" for one Keras named."""
    return call.position[:1].upper() + call.position[1:] if call.position else f"Input '{call.name}'"


def output_shown(graph: ModelGraph, key: Key, name: str) -> str:
    """ "Output 'age'" for an output named by the learner, "The second output (Dense(1))" otherwise.

    An output's name is its dict key or its layer's name, so a layer Keras named gives an
    output name that changes on every build.
    """
    call = graph.calls.get(key)
    if call is None or not call.auto_named or name != call.name:
        return f"Output '{name}'"
    index = [k for k, _ in graph.outputs].index(key)
    which = "The output" if len(graph.outputs) == 1 else f"The {ordinal_word(index)} output"
    return f"{which} ({call.label})"


def ordinal_word(index: int) -> str:
    """'first' for 0, 'second' for 1, ..., '11th' for 10."""
    if index < len(ORDINALS):
        return ORDINALS[index]
    number = index + 1
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def batch_shape_text(shape) -> str:
    """(None, 16, 16, 512) for a shape given without its batch axis."""
    return "unknown" if shape is None else shape_text((None, *shape))


def shape_text(shape) -> str:
    if shape is None:
        return "unknown"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


# Integer types wide enough for every vocabulary in the course (50,000 words): a token id is the
# same whole number in each, so an Embedding computes the same thing from either.
TOKEN_ID_DTYPES = frozenset({"int32", "int64"})


def dtype_fits(expected: str | None, found: str | None) -> bool:
    """Whether an input of dtype `found` computes what one of dtype `expected` does.

    Floating inputs are not told apart (Keras casts them to the layer's dtype); token ids may
    be int32 or int64, but not a float or a type too narrow for the vocabulary.

    >>> dtype_fits("int32", "int64"), dtype_fits("int32", "float32"), dtype_fits("float32", "float64")
    (True, False, True)
    """
    expected, found = expected or "float32", found or "float32"
    if expected in TOKEN_ID_DTYPES:
        return found in TOKEN_ID_DTYPES
    return not expected.startswith("int") or found == expected
