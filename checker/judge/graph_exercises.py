"""Grade a graph exercise: inputs, layers, wiring, outputs and (where graded) compile settings.

Each check earns its share of the exercise's points and says, in the learner's own layer
names, what differs from the reference and what to do about it.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

from checker.judge import graph as graphs
from checker.judge import pitfalls
from checker.judge.compile_rules import check_compile
from checker.judge.diagram import picture_data
from checker.judge.exercises import EXERCISES, cap_for_named_mistakes
from checker.judge.feedback import not_a_functional_model, whole_exercise_failed
from checker.judge.graph import Call, Key, ModelGraph, batch_shape_text, shape_text
from checker.judge.match import Alignment, align, exact_match
from checker.judge.pitfalls import sentence_start
from checker.report import CheckResult, Report, scored

SHARED_MISSING = "one instance called"


def grade_graph(description: dict, spec: dict, exercise_id: str) -> Report:
    problem = not_a_functional_model(exercise_id, spec, description)
    if problem and description.get("kind") != "sequential":
        return whole_exercise_failed(exercise_id, spec, problem)
    student = graphs.from_description(description, inline=not asks_for_nested_model(spec))
    reference = reference_graph(exercise_id)
    input_pairs, input_check = check_inputs(student, reference, spec)
    alignment = align(student, reference, input_pairs)
    checks = [
        input_check,
        check_layers(student, reference, alignment, spec),
        check_wiring(student, reference, alignment, spec, problem),
        check_outputs(student, reference, alignment, spec),
    ]
    if "compile" in spec:
        checks.append(check_compile(description, student, spec))
    report = Report(exercise_id, checks)
    cap_for_named_mistakes(report, named_mistakes(student, reference, alignment))
    report.summary = _summary(report, student, exercise_id)
    report.diagram_data = _diagram_data(student, reference, alignment)
    return report


def named_mistakes(student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> list[str]:
    """The named conceptual mistakes (exercises.NAMED_MISTAKES) this model makes."""
    found = []
    paired = [
        (reference.calls[r], student.calls[s]) for r, s in alignment.mapping.items() if r in reference.calls
    ]
    if any(pitfalls.is_swapped_embedding(stu, ref) for ref, stu in paired):
        found.append("swapped_embedding")
    if pitfalls.separate_instances(student, reference, alignment):
        found.append("separate_instances")
    if any(pitfalls.is_wrong_shortcut(m, reference) for m in real_misfed(student, reference, alignment)):
        found.append("wrong_shortcut")
    return found


def asks_for_nested_model(spec: dict) -> bool:
    """The exercise wants one particular model as a layer (shared_vision's Xception)."""
    return any("model" in layer for layer in spec["layers"])


def _diagram_data(student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> dict | None:
    """What the report's picture needs, as plain data; drawn only when the report is shown."""
    try:
        return picture_data(student, reference, alignment, real_misfed(student, reference, alignment))
    except Exception:  # noqa: BLE001 - a bug in the picture must not cost the learner the verdict
        return None


@cache
def reference_graph(exercise_id: str) -> ModelGraph:
    return graphs.from_spec(EXERCISES[exercise_id])


def check_inputs(student: ModelGraph, reference: ModelGraph, spec: dict) -> tuple[dict, CheckResult]:
    """Pair the reference inputs with the learner's (by fixed name, then by shape) and compare."""
    points = spec["points"]["inputs"]
    pairs = _pair_inputs(student, reference)
    messages, wrong = [], 0
    for ref_key in reference.inputs:
        problems = _input_problems(reference, ref_key, student.calls.get(pairs.get(ref_key, "")), student)
        messages += problems
        wrong += bool(problems)
    for key in [k for k in student.inputs if k not in pairs.values()]:
        call = student.calls[key]
        unused = " and is not used by any layer" if not student.consumers(key) else ""
        messages.append(
            f"{graphs.input_shown(call)} {shape_text(call.shape)} is not part of this exercise{unused}: "
            f"the exercise has {len(reference.inputs)} input(s); remove it."
        )
        wrong += 1
    return pairs, scored("inputs", points, messages, 1 - wrong / len(reference.inputs))


def _pair_inputs(student: ModelGraph, reference: ModelGraph) -> dict[Key, Key]:
    pairs: dict[Key, Key] = {}
    free = list(student.inputs)
    by_name = {student.calls[k].name: k for k in free}
    for ref_key in reference.inputs:
        name = reference.calls[ref_key].name
        if name != ref_key or name in by_name:  # a fixed name, or a name the learner happened to use
            if name in by_name and by_name[name] in free:
                pairs[ref_key] = by_name[name]
                free.remove(by_name[name])
    for ref_key in reference.inputs:
        if ref_key in pairs:
            continue
        expected = reference.calls[ref_key]
        same_shape = [k for k in free if student.calls[k].shape == expected.shape]
        pick = (same_shape or free or [None])[0]
        if pick:
            pairs[ref_key] = pick
            free.remove(pick)
    return pairs


def _input_problems(
    reference: ModelGraph, ref_key: Key, found: Call | None, student: ModelGraph
) -> list[str]:
    expected = reference.calls[ref_key]
    fixed = ref_key in reference.fixed_names
    label = f"'{expected.name}'" if fixed else "an input"
    if found is not None and pitfalls.is_overwritten_input(found):
        return [pitfalls.overwritten_input_message()]
    if found is None:
        return [
            f"Missing {label} of shape {shape_text(expected.shape)}: add "
            f"keras.Input(shape={shape_text(expected.shape)}"
            + (f', dtype="{expected.dtype}"' if expected.dtype != "float32" else "")
            + (f', name="{expected.name}"' if fixed else "")
            + ")."
        ]
    problems = []
    if fixed and found.name != expected.name:
        problems.append(
            f"{graphs.input_shown(found)} should be named '{expected.name}': "
            f'keras.Input(..., name="{expected.name}"). The name is how data is fed by dict.'
        )
    if found.shape is None:
        problems.append(
            f"The model has no input shape, so it is not built. Start it with "
            f"keras.Input(shape={shape_text(expected.shape)})."
        )
    elif found.shape != expected.shape:
        problems.append(
            f"{graphs.input_shown(found)} has shape {shape_text(found.shape)}; expected "
            f"{shape_text(expected.shape)} (without the batch axis){_shape_hint(expected)}."
        )
    if not graphs.dtype_fits(expected.dtype, found.dtype):
        problems.append(
            f"{graphs.input_shown(found)} has dtype {found.dtype}; expected {expected.dtype} "
            f'(token ids are integers): keras.Input(..., dtype="{expected.dtype}").'
        )
    left_out = _left_out_after(student, found.key)
    if not student.consumers(found.key) and left_out:
        layers = "the layer" if len(left_out) == 1 else "the layers"
        problems.append(
            f"{graphs.input_shown(found)} is not used by the model: {layers} called on it "
            f"({', '.join(call.label for call in left_out)}) lead{'s' * (len(left_out) == 1)} to no "
            "output (see wiring)."
        )
    elif not student.consumers(found.key):
        twice = pitfalls.merges_taking_a_tensor_twice(student)
        because = (
            f" {twice[0].shown} takes {pitfalls.names(student, [twice[0].sources[0]])} twice, "
            "where one of the two should come from this input (see wiring)."
            if twice
            else " feed it into its branch."
        )
        problems.append(f"{graphs.input_shown(found)} is not used by any layer:{because}")
    return problems


def _left_out_after(student: ModelGraph, key: Key) -> list[Call]:
    """The layers left out of the model that take `key`'s output, and the ones after them."""
    found, frontier = [], {key}
    for call in student.unconnected:  # recorded in the order they were reached from the model
        if frontier.intersection(call.sources):
            found.append(call)
            frontier.add(call.key)
    return found


def _shape_hint(expected: Call) -> str:
    if expected.shape and expected.shape[0] is None:
        return "; None means sequences of any length"
    return ""


def check_layers(student: ModelGraph, reference: ModelGraph, alignment: Alignment, spec: dict) -> CheckResult:
    """Same layers with the same settings: name each difference, missing and extra layer."""
    points = spec["points"]["layers"]
    messages, good = [], 0
    ref_layers = reference.layer_calls()
    paired_students = set()
    for ref_call in ref_layers:
        stu_key = alignment.student_of(ref_call.key)
        if ref_call.key in alignment.replaced:
            replaced_by = student.calls[alignment.replaced[ref_call.key]]
            paired_students.add(replaced_by.key)
            messages.append(_wrong_kind(replaced_by, ref_call, reference))
            continue
        if stu_key is None:
            messages.append(_missing_layer(ref_call, reference, student, alignment))
            continue
        paired_students.add(stu_key)
        found = student.calls[stu_key]
        differences = pitfalls.setting_differences(found, ref_call)
        if differences:
            messages.append(differences)
        else:
            good += 1
    messages = _once_per_shared_layer(messages)
    missing = Counter(m for m in messages if m.startswith("Missing layer: "))
    messages = [m + (f" {missing[m]} such layers are missing." if missing[m] > 1 else "") for m in messages]
    extra = [c for c in student.layer_calls() if c.key not in paired_students]
    for call in _unique_layers(extra):
        messages.append(
            f"Extra layer: {pitfalls.with_label(call)}; the exercise has no such layer, remove it."
        )
    return scored("layers", points, messages, (good - len(extra)) / len(ref_layers))


def _wrong_kind(found: Call, ref_call: Call, reference: ModelGraph) -> str:
    """A layer of another class where the exercise has `ref_call`: one difference, said once."""
    shown = f"the {found.label}" if found.shown == f"the {found.class_name}" else pitfalls.with_label(found)
    shared = len(reference.instances()[ref_call.instance]) > 1
    fix = f"call the one shared {ref_call.label} there" if shared else f"replace it with {ref_call.label}"
    return (
        f"Layer of the wrong kind: {shown} stands where the exercise has "
        f"{ref_call.label}{_where(ref_call, reference)}; {fix}."
    )


def _missing_layer(ref_call: Call, reference: ModelGraph, student: ModelGraph, alignment: Alignment) -> str:
    """A missing layer; for a missing second call of a shared layer, that it is called too few times."""
    partner = alignment.student_of(ref_call.instance) if ref_call.instance != ref_call.key else None
    if partner is not None and student.calls[partner].class_name == ref_call.class_name:
        wanted = len(reference.instances()[ref_call.instance])
        made = len(student.instances()[student.calls[partner].instance])
        return (
            f"{sentence_start(student.calls[partner].shown)} is called {_times(made)} in the model; the exercise calls "
            f"that one {ref_call.label} instance {_times(wanted)}, once on each input."
        )
    left_out = pitfalls.unconnected_of(ref_call, student, reference, alignment, same_settings=False)
    if left_out is not None:
        return pitfalls.left_unused_message(left_out, student, ref_call)
    calls = reference.instances()[ref_call.instance]
    if len(calls) > 1 and all(alignment.student_of(key) is None for key in calls):
        return (
            f"Missing layer: {ref_call.label}, {SHARED_MISSING} {_times(len(calls))}, once on each "
            f"input: make it once (shared = {ref_call.label}) and call shared(...) on each input."
        )
    return f"Missing layer: {ref_call.label}{_where(ref_call, reference)}."


def _once_per_shared_layer(messages: list[str]) -> list[str]:
    """A shared layer missing altogether is one message for all its calls."""
    said, kept = set(), []
    for message in messages:
        if SHARED_MISSING in message and message in said:
            continue
        said.add(message)
        kept.append(message)
    return kept


def _times(count: int) -> str:
    return {1: "only once", 2: "twice"}.get(count, f"{count} times")


def _where(ref_call: Call, reference: ModelGraph) -> str:
    sources = [reference.calls[s] for s in ref_call.sources]
    if not sources:
        return ""
    return " after " + " and ".join(_ref_name(s, reference) for s in sources)


def _ref_name(call: Call, reference: ModelGraph) -> str:
    if call.class_name == "Input":
        return f"the input '{call.name}'" if call.key in reference.fixed_names else "the input"
    return call.label


def _unique_layers(calls: list[Call]) -> list[Call]:
    seen, unique = set(), []
    for call in calls:
        if call.instance not in seen:
            seen.add(call.instance)
            unique.append(call)
    return unique


def check_wiring(
    student: ModelGraph, reference: ModelGraph, alignment: Alignment, spec: dict, model_problem: str | None
) -> CheckResult:
    """Each layer fed from the right tensors, and shared layers shared; settings are not judged here."""
    points = spec["points"]["wiring"]
    if model_problem:  # a Sequential model: its layers may be right, its kind is not
        return CheckResult("wiring", points, 0.0, [model_problem])
    if alignment.exact:
        return CheckResult("wiring", points, points)
    messages = pitfalls.sharing_problems(student, reference, alignment)
    ref_layers = reference.layer_calls()
    replaced = alignment.replaced  # a layer of the wrong kind in the right place: wired right
    missing = [c for c in ref_layers if alignment.student_of(c.key) is None and c.key not in replaced]
    paired = set(alignment.mapping.values()) | set(replaced.values())
    extra = [c for c in student.layer_calls() if c.key not in paired]
    misfed = [m for m in alignment.misfed if not _fed_as_replaced(m, alignment)]
    twice = pitfalls.merges_taking_a_tensor_twice(student)
    messages += [pitfalls.taken_twice_message(call, student) for call in twice]
    real = [m for m in real_misfed(student, reference, alignment) if m.student not in twice]
    if real:
        messages.append(pitfalls.misfed_message(real[0], student, reference, alignment))
        if len(real) > 1:
            messages.append(
                f"({len(real) - 1} more layer(s) are fed from an unexpected place; "
                "fix the first one and check again.)"
            )
    left_out, explained = pitfalls.left_out_wiring(student, reference, alignment)
    unexplained = [c for c in missing if c.key not in explained]
    if not messages and left_out:
        messages += left_out
    if not messages and (unexplained or extra or misfed):
        messages.append(
            "The connections around the missing or extra layers listed under 'layers' "
            "differ from the exercise; fixing those layers fixes this too."
        )
    wrong = len(misfed) + len(missing) + len(extra)
    return scored("wiring", points, messages, 1 - wrong / len(ref_layers))


def _fed_as_replaced(misfed, alignment: Alignment) -> bool:
    """Misfed only because a layer it takes is of the wrong kind (said under 'layers')."""
    known = {**alignment.mapping, **alignment.replaced}
    expected = Counter(known.get(s) for s in misfed.reference.sources)
    return None not in expected and expected == Counter(misfed.student.sources)


def real_misfed(student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> list:
    """Misfed layers that are mistakes of their own, not echoes of a missing or extra layer."""
    paired = set(alignment.mapping.values())
    extra = {c.key for c in student.layer_calls() if c.key not in paired}
    return [m for m in alignment.misfed if _wiring_mistake(m, student, reference, alignment, extra)]


def _wiring_mistake(
    misfed, student: ModelGraph, reference: ModelGraph, alignment: Alignment, extra: set
) -> bool:
    """A misfed layer that is a mistake of its own, not the echo of a missing or extra layer.

    Fed from an extra layer: the extra layer explains it. Expecting a missing layer: an echo
    when it takes what the missing layer would have taken (the chain merely skips it), a
    mistake when it takes something else (a branch or shortcut from another place).
    """
    if extra.intersection(misfed.student.sources):
        return False
    if None in misfed.expected_sources:
        skipped = _sources_skipping_missing(misfed.reference.sources, reference, alignment)
        return Counter(misfed.student.sources) != Counter(skipped)
    return True


def _sources_skipping_missing(ref_sources: list[Key], reference: ModelGraph, alignment: Alignment) -> list:
    """The learner's keys a layer takes when each missing layer before it is left out of the chain."""
    found = []
    for ref_source in ref_sources:
        student_key = alignment.student_of(ref_source)
        if student_key is not None:
            found.append(student_key)
        else:
            found += _sources_skipping_missing(reference.calls[ref_source].sources, reference, alignment)
    return found


def check_outputs(
    student: ModelGraph, reference: ModelGraph, alignment: Alignment, spec: dict
) -> CheckResult:
    points = spec["points"]["outputs"]
    messages, good = [], 0
    student_outputs = dict(student.outputs)  # key -> name
    for ref_key, ref_name in reference.outputs:
        expected_shape = reference.output_shapes[ref_key]
        stu_key = alignment.student_of(ref_key)
        if stu_key not in student_outputs:
            stu_key = _output_by_name_or_position(student, reference, ref_key, ref_name)
        if stu_key is None:
            messages.append(
                f"Missing output {_output_label(reference, ref_key, ref_name)}: list it in "
                "keras.Model(inputs, outputs=...)."
            )
            continue
        name = student_outputs[stu_key]
        found_shape = student.output_shapes.get(stu_key)
        shown = graphs.output_shown(student, stu_key, name)
        problems = []
        if ref_name in reference.fixed_names and name != ref_name:
            problems.append(
                f"{shown} should be named '{ref_name}': give its layer name=\"{ref_name}\" "
                "(losses and data are matched to outputs by this name)."
            )
        if found_shape is not None and found_shape != expected_shape:
            problems.append(
                f"{shown} has shape {batch_shape_text(found_shape)}; expected "
                f"{batch_shape_text(expected_shape)}."
            )
        messages += problems
        good += not problems
    if len(student.outputs) > len(reference.outputs):
        extra = [
            graphs.output_shown(student, k, n)
            for k, n in student.outputs
            if k not in alignment.mapping.values()
        ]
        messages.append(
            f"The model has {len(student.outputs)} outputs; the exercise has "
            f"{len(reference.outputs)}. Extra: {'; '.join(extra) or 'see above'}."
        )
    return scored("outputs", points, messages, good / len(reference.outputs))


def _output_by_name_or_position(student, reference, ref_key, ref_name) -> str | None:
    for key, name in student.outputs:
        if name == ref_name:
            return key
    index = [k for k, _ in reference.outputs].index(ref_key)
    return student.outputs[index][0] if index < len(student.outputs) else None


def _output_label(reference: ModelGraph, ref_key: Key, ref_name: str) -> str:
    label = reference.calls[ref_key].label
    return f"'{ref_name}' ({label})" if ref_name else label


def _summary(report: Report, student: ModelGraph, exercise_id: str) -> str:
    if report.passed:
        return "Same network as the reference: well done."
    if report.score < report.max_score / 2:
        other = looks_like_other_exercise(student, exercise_id)
        if other:
            return (
                f"This looks like the model of exercise '{other}', not '{exercise_id}'. "
                f"Did you pass the wrong function?"
            )
    return "Fix the first item marked ✗, then run the check again."


def looks_like_other_exercise(student: ModelGraph, exercise_id: str) -> str | None:
    for other_id, spec in EXERCISES.items():
        if other_id != exercise_id and spec["kind"] == "graph":
            if exact_match(student, reference_graph(other_id), with_instances=False) is not None:
                return other_id
    return None
