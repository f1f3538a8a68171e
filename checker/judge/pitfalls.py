"""Feedback for one difference at a time, naming the known pitfalls of the material.

The pitfalls: Embedding's arguments swapped, a missing padding="same", separate layer
instances where one shared instance is needed, and a shortcut or branch taken from the
wrong tensor.
"""

from __future__ import annotations

from checker.judge import signature
from checker.judge.graph import Call, ModelGraph
from checker.judge.match import Alignment, Misfed


def setting_differences(found: Call, expected: Call) -> str:
    """'' when the two calls have the same settings, else one sentence on what to change."""
    if found.signature == expected.signature:
        return ""
    if found.class_name == "Functional":
        return _nested_model_difference(found, expected)
    if found.class_name == "Embedding" and _embedding_swapped(found, expected):
        return (
            f"Embedding '{found.name}' is Embedding({found.settings['input_dim']}, "
            f"{found.settings['output_dim']}): its two arguments are swapped, a known pitfall "
            "(the book's first edition has it). The first argument is the vocabulary size "
            f"(input_dim={expected.settings['input_dim']}: how many different token ids there are), "
            f"the second the size of each vector (output_dim={expected.settings['output_dim']}): "
            f"write Embedding({expected.settings['input_dim']}, {expected.settings['output_dim']})."
        )
    changes = [
        signature.describe_difference(key, value, found.settings.get(key))
        for key, value in expected.settings.items()
        if found.settings.get(key) != value
    ]
    sentence = f"'{found.name}' is {found.label}; expected {expected.label}: {'; '.join(changes)}."
    if expected.settings.get("padding") == "same" and found.settings.get("padding") != "same":
        sentence += (
            ' Known pitfall: without padding="same" the layer trims the border, so its '
            "output is smaller than the parallel path's and the tensors no longer line up."
        )
    return sentence


def _embedding_swapped(found: Call, expected: Call) -> bool:
    return (
        found.settings["input_dim"] == expected.settings["output_dim"]
        and found.settings["output_dim"] == expected.settings["input_dim"]
    )


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
        return f"The nested model '{found.name}' is not {call}{detail}. Use exactly {call}."
    return f"The nested model '{found.name}' is not {call}."


def sharing_problems(student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> list[str]:
    """Separate instances where one shared instance is needed, and the other way round."""
    problems = []
    for members in reference.instances().values():
        if len(members) < 2:
            continue
        mapped = [student.calls[k] for k in (alignment.student_of(m) for m in members) if k]
        if len({c.instance for c in mapped}) > 1:
            names = " and ".join(f"'{c.name}'" for c in mapped)
            label = reference.calls[members[0]].label
            problems.append(
                f"Separate instances where one shared instance is needed: {names} are separate "
                f"{label} layers, each with its own weights. Create the layer once "
                f"(e.g. shared = {_constructor(label)}) and call that same object on every input, "
                "so every input is processed by the same weights."
            )
    inverse = {stu: ref for ref, stu in alignment.mapping.items()}
    ref_instance = {c.key: c.instance for c in reference.layer_calls()}
    for members in student.instances().values():
        refs = {ref_instance.get(inverse.get(m)) for m in members}
        if len(members) > 1 and len(refs) > 1:
            problems.append(
                f"'{student.calls[members[0]].name}' is one layer called {len(members)} times "
                "(its weights are shared), but the exercise needs separate layers there: "
                "create one layer per call."
            )
    return problems


def _constructor(label: str) -> str:
    return label if label.startswith("keras.") else f"layers.{label}"


def misfed_message(misfed: Misfed, student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> str:
    """Where the graphs first part ways: this layer is fed from the wrong tensor(s)."""
    found = _names(student, misfed.student.sources)
    expected = _expected_names(misfed, student, reference)
    ref_call, name = misfed.reference, misfed.student.name
    if is_wrong_shortcut(misfed, reference):
        return (
            f"'{name}' ({misfed.student.label}) takes {found} but should take {expected}: "
            "a shortcut that skips from the wrong tensor. The shortcut must start from the "
            "block's input: keep a reference to it (e.g. residual = x) before the convolutions "
            "and use that reference in the shortcut."
        )
    if ref_call.class_name == "Concatenate":
        return (
            f"The Concatenate '{name}' joins {found} but should join {expected}: a branch "
            "is taken from the wrong place. Check which tensor each branch starts from."
        )
    return f"'{name}' ({misfed.student.label}) takes {found} as input but should take {expected}."


def is_wrong_shortcut(misfed: Misfed, reference: ModelGraph) -> bool:
    """The misfed layer is the residual Add or the shortcut path that feeds it."""
    call = misfed.reference
    return call.class_name == "Add" or any(
        reference.calls[k].class_name == "Add" for k in reference.consumers(call.key)
    )


def overwritten_input_message() -> str:
    return (
        "A model input is not a tensor made by keras.Input (Keras had to copy an intermediate "
        "tensor to use it as an input, naming it '...CLONE'). This is the known pitfall of overwriting "
        "an input variable, e.g. left_input = lstm(left_input), and then passing it to "
        "keras.Model(inputs=...). Keep each keras.Input in its own variable and pass those."
    )


def is_overwritten_input(call: Call) -> bool:
    """Keras 3 names the input it makes from a non-Input tensor '<tensor name>CLONE'."""
    return call.class_name == "Input" and call.name.endswith("CLONE")


def _expected_names(misfed: Misfed, student: ModelGraph, reference: ModelGraph) -> str:
    """The learner's names for what the layer should take; a missing layer by its label."""
    parts = []
    for ref_source, stu_source in zip(misfed.reference.sources, misfed.expected_sources):
        if stu_source is None:
            parts.append(f"a {reference.calls[ref_source].label} of its own (missing)")
        else:
            parts.append(_names(student, [stu_source]))
    return " and ".join(parts)


def _names(student: ModelGraph, keys: list[str]) -> str:
    parts = []
    for key in keys:
        call = student.calls[key]
        parts.append(f"the input '{call.name}'" if call.class_name == "Input" else f"'{call.name}'")
    return " and ".join(parts) if parts else "nothing"
