"""Feedback for one difference at a time, naming the known pitfalls of the material.

The pitfalls: Embedding's arguments swapped, a missing padding="same", separate layer
instances where one shared instance is needed, and a shortcut or branch taken from the
wrong tensor.
"""

from __future__ import annotations

from collections import Counter

from checker.judge import signature
from checker.judge.graph import Call, Key, ModelGraph, shape_text
from checker.judge.match import Alignment, Misfed


def setting_differences(found: Call, expected: Call) -> str:
    """'' when the two calls have the same settings, else one sentence on what to change."""
    if found.signature == expected.signature:
        return ""
    if found.class_name == "Functional":
        return _nested_model_difference(found, expected)
    if is_swapped_embedding(found, expected):
        return (
            f"{sentence_start(found.shown)} is Embedding({found.settings['input_dim']}, "
            f"{found.settings['output_dim']}): its two arguments are swapped, a known pitfall "
            "(the book's first edition has it). The first argument is the vocabulary size "
            f"(input_dim={expected.settings['input_dim']}: how many different token ids there are), "
            f"the second the size of each vector (output_dim={expected.settings['output_dim']}): "
            f"write Embedding({expected.settings['input_dim']}, {expected.settings['output_dim']})."
        )
    changes = _changes(found, expected)
    if not changes and found.in_shape and None in found.in_shape[:-1]:
        return ""  # same settings; padding may matter on an input of unknown size: the input says so
    if not changes:  # the same settings, but the padding matters for one input shape and not the other
        return (
            f"{sentence_start(found.shown)} is {found.label} on an input of shape "
            f"{shape_text(found.in_shape)}; expected {expected.label} on {shape_text(expected.in_shape)}: "
            "the layers before it differ."
        )
    if found.label in found.shown:  # the words already say what it is
        sentence = f"{sentence_start(found.shown)} should be {expected.label}: {'; '.join(changes)}."
    else:
        sentence = f"{sentence_start(found.shown)} is {found.label}; expected {expected.label}: {'; '.join(changes)}."
    if expected.settings.get("padding") == "same" and found.settings.get("padding") == "valid":
        sentence += " Known pitfall: " + _trimmed_border(found)
    return sentence


def _changes(found: Call, expected: Call) -> list[str]:
    """Each setting that differs: "padding='valid' where 'same' is expected"."""
    written = found.written or found.settings
    return [
        signature.describe_difference(key, value, written.get(key))
        for key, value in expected.settings.items()
        if key in found.settings and found.settings[key] != value
    ]


def _trimmed_border(found: Call) -> str:
    """Why padding="valid" changes the result here, with the sizes when they are known."""
    rank = signature.SPATIAL_RANK.get(found.class_name, 0)
    if not found.in_shape or len(found.in_shape) != rank + 1:
        return 'with padding="valid" the layer trims the border of its input. Write padding="same".'
    kernel = found.settings.get("kernel_size") or found.settings.get("pool_size")
    before = found.in_shape[:rank]
    strides = found.settings["strides"]
    valid = tuple(None if n is None else (n - k) // s + 1 for n, k, s in zip(before, kernel, strides))
    same = tuple(None if n is None else -(-n // s) for n, s in zip(before, strides))
    if valid != same:
        return (
            f'with padding="valid" the layer trims the border of its input ({_size_text(before)} in, '
            f'{_size_text(valid)} out, where padding="same" gives {_size_text(same)}). Write padding="same".'
        )
    return (
        f'its output has the size padding="same" would give ({_size_text(valid)}), but from other pixels: '
        'padding="valid" adds no border, so padding added by hand does not compute what "same" does. '
        'Write padding="same" (and leave out the padding written by hand).'
    )


def _size_text(sizes) -> str:
    return "×".join("?" if n is None else str(n) for n in sizes)


def is_swapped_embedding(found: Call, expected: Call) -> bool:
    """An Embedding written Embedding(output_dim, input_dim): the book's first-edition mistake.

    Learners' notebooks often use a vocabulary of their own (1000 word ids where the exercise has
    10000), so the two need not be the exercise's numbers exactly: the arguments are swapped when
    the smaller comes first where the exercise's vocabulary is the larger, and one of them sits in
    the other's place (the vector size first, or the vocabulary second).

    >>> def embedding(vocabulary, size):
    ...     return Call("k", "e", "Embedding", {"input_dim": vocabulary, "output_dim": size}, [], "e")
    >>> [is_swapped_embedding(embedding(*dims), embedding(10000, 32)) for dims in [(32, 10000), (32, 1000), (1000, 32)]]
    [True, True, False]
    """
    if not found.class_name == expected.class_name == "Embedding":
        return False
    vocabulary, size = found.settings["input_dim"], found.settings["output_dim"]
    wanted_vocabulary, wanted_size = expected.settings["input_dim"], expected.settings["output_dim"]
    in_place_of_the_other = vocabulary == wanted_size or size == wanted_vocabulary
    return vocabulary < size and wanted_size < wanted_vocabulary and in_place_of_the_other


def sentence_start(text: str) -> str:
    """'The second Conv2D' for 'the second Conv2D'; a quoted name stays as it is."""
    return text[:1].upper() + text[1:] if text.startswith("the ") else text


def _nested_model_difference(found: Call, expected: Call) -> str:
    wanted = expected.settings.get("model")
    call = signature.KNOWN_MODEL_CALLS.get(wanted, "the expected model")
    if wanted in signature.KNOWN_MODELS and found.nested_config is not None:
        missing, extra = signature.layer_histogram_difference(found.nested_config, wanted)
        details = []
        if missing:
            details.append("it lacks " + ", ".join(f"{n} {c}" for c, n in sorted(missing.items())))
        if extra:
            details.append("it has extra " + ", ".join(f"{n} {c}" for c, n in sorted(extra.items())))
        detail = f" ({'; '.join(details)})" if details else ""
        return f"{_nested_model(found)} is not {call}{detail}. Use exactly {call}."
    return f"{_nested_model(found)} is not {call}."


def _nested_model(found: Call) -> str:
    """'The nested model 'vision'', or 'The nested Functional model' when Keras named it."""
    if found.shown.startswith("the "):
        return f"The nested {found.class_name} model"
    return f"The nested model {found.shown}"


def separate_instances(student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> bool:
    """Calls the exercise makes with one shared instance are made with separate instances."""
    return any(_split_instances(student, reference, alignment))


def _split_instances(student: ModelGraph, reference: ModelGraph, alignment: Alignment):
    """(the reference's shared instance's first call, the learner's calls in its place) for each
    instance the exercise shares that the learner made as separate instances."""
    partners = _partners(alignment)
    for members in reference.instances().values():
        mapped = [student.calls[k] for k in (partners.get(m) for m in members) if k]
        if len(members) > 1 and len({c.instance for c in mapped}) > 1:
            yield reference.calls[members[0]], mapped


def merges_taking_a_tensor_twice(student: ModelGraph) -> list[Call]:
    """Concatenate / Add calls given the same tensor twice, e.g. concatenate([left, left])."""
    return [
        call
        for call in student.layer_calls()
        if call.class_name in ("Concatenate", "Add") and len(set(call.sources)) < len(call.sources)
    ]


def taken_twice_message(call: Call, student: ModelGraph) -> str:
    """What a merge that takes one tensor twice does, and what to give it instead."""
    twice = [s for s in dict.fromkeys(call.sources) if call.sources.count(s) > 1]
    unused = [student.calls[k] for k in student.inputs if not student.consumers(k)]
    instead = (
        f" The {_input_names(unused)} is not used at all: its branch should feed the other slot."
        if unused
        else ""
    )
    return (
        f"{sentence_start(call.shown)} takes {names(student, twice)} twice, so it joins a tensor with "
        f"itself instead of joining two different branches.{instead} Pass one tensor per branch, e.g. "
        f"layers.{call.class_name.lower()}([branch_a, branch_b])."
    )


def _input_names(inputs: list[Call]) -> str:
    return " and ".join(
        c.position.removeprefix("the ") if c.position else f"input '{c.name}'" for c in inputs
    )


def sharing_problems(student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> list[str]:
    """Separate instances where one shared instance is needed, and the other way round."""
    problems = []
    for shared, mapped in _split_instances(student, reference, alignment):
        names = " and ".join(c.shown for c in mapped)
        same_kind = all(c.class_name == shared.class_name for c in mapped)
        problems.append(
            f"Separate instances where one shared instance is needed: {names} are separate "
            f"{shared.label + ' ' if same_kind else ''}layers, each with its own weights. Create the layer once "
            f"(e.g. shared = {_constructor(shared.label)}) and call that same object on every input, "
            "so every input is processed by the same weights."
        )
    inverse = {stu: ref for ref, stu in _partners(alignment).items()}
    ref_instance = {c.key: c.instance for c in reference.layer_calls()}
    for members in student.instances().values():
        refs = {ref_instance.get(inverse.get(m)) for m in members}
        if len(members) > 1 and len(refs) > 1:
            problems.append(
                f"{sentence_start(student.calls[members[0]].shown)} is one layer called {len(members)} times "
                "(its weights are shared), but the exercise needs separate layers there: "
                "create one layer per call."
            )
    return problems


def _partners(alignment: Alignment) -> dict[Key, Key]:
    """Reference key -> learner key, counting a layer of the wrong kind as standing for the
    layer in its place: whether calls share one instance does not depend on their class."""
    return {**alignment.mapping, **alignment.replaced} if alignment.replaced else alignment.mapping


def _constructor(label: str) -> str:
    return label if label.startswith("keras.") else f"layers.{label}"


def misfed_message(misfed: Misfed, student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> str:
    """Where the graphs first part ways: this layer is fed from the wrong tensor(s)."""
    found = _names(student, misfed.student.sources)
    expected = _expected_names(misfed, student, reference, alignment)
    if student.unconnected and "left unused" in expected:  # two layers alike: show their settings
        found = " and ".join(with_label(student.calls[key]) for key in misfed.student.sources)
    ref_call, shown = misfed.reference, sentence_start(with_label(misfed.student))
    if is_wrong_shortcut(misfed, reference):
        return (
            f"{shown} takes {found} but should take {expected}: "
            "a shortcut that skips from the wrong tensor. The shortcut must start from the "
            "block's input: keep it in its own variable before the convolutions (e.g. "
            "residual = inputs, where inputs = keras.Input(...)) and add that variable, not the "
            "x that the convolutions reassign."
        )
    if ref_call.class_name == "Concatenate":
        return (
            f"{shown} joins {found} but should join {expected}: a branch "
            "is taken from the wrong place. Check which tensor each branch starts from."
        )
    return f"{shown} takes {found} as input but should take {expected}."


def with_label(call: Call) -> str:
    """The layer as shown, with its settings unless the words already give them."""
    if call.label in call.shown or (call.position and call.label == f"{call.class_name}()"):
        return call.shown
    return f"{call.shown} ({call.label})"


def is_wrong_shortcut(misfed: Misfed, reference: ModelGraph) -> bool:
    """The misfed layer is the residual Add or the shortcut path that feeds it."""
    call = misfed.reference
    return call.class_name == "Add" or any(
        reference.calls[k].class_name == "Add" for k in reference.consumers(call.key)
    )


def overwritten_input_message() -> str:
    return (
        "A model input is not a tensor made by keras.Input: keras.Model(inputs=...) got a tensor "
        "that a layer made, so Keras copied it (naming it '...CLONE') and the layers before it are "
        "not part of the model. Either a layer's result was passed as an input (e.g. "
        "keras.Model([left_output, right_output], ...)), or an input variable was overwritten by a "
        "layer's result (the known pitfall left_input = lstm(left_input)) before it was passed. "
        "Keep each keras.Input in its own variable and pass those to inputs=."
    )


def is_overwritten_input(call: Call) -> bool:
    """Keras 3 names the input it makes from a non-Input tensor '<tensor name>CLONE'."""
    return call.class_name == "Input" and call.name.endswith("CLONE")


def _expected_names(misfed: Misfed, student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> str:
    """The learner's names for what the layer should take; a missing layer by its label."""
    parts = []
    for ref_source, stu_source in zip(misfed.reference.sources, misfed.expected_sources):
        left_out = unconnected_of(reference.calls[ref_source], student, reference, alignment)
        if stu_source is None and left_out is not None:
            after = _unconnected_names(student, left_out.sources)
            parts.append(f"the {left_out.label} after {after} (yours, whose output is left unused)")
        elif stu_source is None:
            label = reference.calls[ref_source].label
            parts.append(f"{'an' if label[0] in 'AEIOU' else 'a'} {label} of its own (missing)")
        else:
            parts.append(_names(student, [stu_source]))
    return " and ".join(parts)


def unconnected_of(
    ref_call: Call,
    student: ModelGraph,
    reference: ModelGraph,
    alignment: Alignment,
    depth: int = 0,
    same_settings: bool = True,
) -> Call | None:
    """The learner's own `ref_call`, called on the right tensors but left out of the model (or
    after such layers: a whole branch left out, the Add that joins two of them); with
    same_settings=False, a left-out layer of its class whose settings differ counts too."""
    if not student.unconnected or not ref_call.sources or depth > 8:
        return None
    afters = []
    for source in ref_call.sources:
        after = alignment.student_of(source)
        if after is None and source in reference.calls:
            before = unconnected_of(reference.calls[source], student, reference, alignment, depth + 1)
            after = before.key if before is not None else None
        if after is None:
            return None
        afters.append(after)
    return student.unconnected_like(ref_call, afters, same_settings)


def left_unused_message(call: Call, student: ModelGraph, expected: Call | None = None) -> str:
    """A layer the learner made but left out of the model; with `expected`, what its settings
    should be too (it stands where the exercise has `expected`, with other settings)."""
    sentence = (
        f"The {call.label} after {_unconnected_names(student, call.sources)} is not part of the "
        "model: no layer that leads to an output takes its output (see below)."
    )
    if expected is None or call.signature == expected.signature:
        return sentence
    sentence += f" It should also be {expected.label}: {'; '.join(_changes(call, expected))}."
    if expected.settings.get("padding") == "same" and call.settings.get("padding") == "valid":
        sentence += " Known pitfall: " + _trimmed_border(call)
    return sentence


def left_out_wiring(
    student: ModelGraph, reference: ModelGraph, alignment: Alignment
) -> tuple[list[str], set]:
    """What the wiring misses where the learner made a layer but left it out of the model: the
    layer that should take its result and takes another tensor instead (or the model's output).

    Returns the messages and the reference keys they explain. Only the last of a run of left-out
    layers gets a message: the ones before it feed it, so they are part of the same fix.
    """
    messages, explained = [], set()
    partners = _partners(alignment)
    for ref_key in reference.topological():
        ref_call = reference.calls[ref_key]
        if ref_call.class_name == "Input" or ref_key in partners:
            continue
        left_out = unconnected_of(ref_call, student, reference, alignment, same_settings=False)
        if left_out is None:
            continue
        explained.add(ref_key)
        result = f"the result of the {left_out.label} after {_unconnected_names(student, left_out.sources)}"
        unused = (
            "That layer is created and called on a tensor, but its result is never used (no layer "
            "takes it and it is not an output), so it is not part of the model"
        )
        consumers = reference.consumers(ref_key)
        if not consumers and student.outputs:
            position = [key for key, _ in reference.outputs].index(ref_key)
            found = student.outputs[min(position, len(student.outputs) - 1)][0]
            messages.append(
                f"The model's output is {_names(student, [found])} where it should be {result}. {unused}: "
                "keep that result in a variable and pass it to keras.Model(inputs, outputs=...)."
            )
            continue
        taker = next((partners[c] for c in consumers if c in partners), None)
        if taker is None:  # its consumer is left out too (or missing): said there
            continue
        consumer = reference.calls[next(c for c in consumers if partners.get(c) == taker)]
        expected = Counter(partners.get(s) for s in consumer.sources if partners.get(s) is not None)
        instead = list((Counter(student.calls[taker].sources) - expected).elements())
        takes = f"takes {_names(student, instead)} where it should take" if instead else "should also take"
        messages.append(
            f"{sentence_start(with_label(student.calls[taker]))} {takes} {result}. {unused}: keep that "
            "result in a variable (x = layer(x)) and give that variable to the next layer."
        )
    return messages, explained


def _unconnected_names(student: ModelGraph, keys: list[Key]) -> str:
    """Like `names`, for the sources of a layer left out of the model (some left out too)."""
    left_out = {call.key: call for call in student.unconnected}
    return " and ".join(
        f"the {left_out[key].label}" if key in left_out else _names(student, [key]) for key in keys
    )


def names(student: ModelGraph, keys: list[Key]) -> str:
    """The learner's layers as they can find them: "'encoder' and the second input"."""
    return _names(student, keys)


def _names(student: ModelGraph, keys: list[Key]) -> str:
    parts = []
    for key in keys:
        call = student.calls[key]
        named_input = call.class_name == "Input" and not call.position
        parts.append(f"the input '{call.name}'" if named_input else call.shown)
    return " and ".join(parts) if parts else "nothing"
