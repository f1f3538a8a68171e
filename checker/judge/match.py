"""Pair the learner's layer calls with the reference's.

First try an exact match (graph isomorphism with networkx: same layers, same wiring, same
sharing). When there is none, walk the reference in topological order and pair each call
with the learner's call that is most like it, so feedback can point at the first place the
two graphs part ways instead of listing every difference.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from networkx.algorithms.isomorphism import DiGraphMatcher

from checker.judge.graph import Call, CallKey, Key, ModelGraph, SharedInstance


@dataclass
class Misfed:
    """A learner's call that has the right kind but takes its input from the wrong place."""

    reference: Call
    student: Call
    expected_sources: list[Key | None]  # learner keys the reference wants (None: a missing layer)


@dataclass
class Alignment:
    mapping: dict[Key, Key] = field(default_factory=dict)  # reference key -> learner key
    misfed: list[Misfed] = field(default_factory=list)
    exact: bool = False
    # reference key -> learner key: a missing layer and an extra layer of another class that
    # stand in the same place (same inputs, same consumers): one layer of the wrong kind
    replaced: dict[Key, Key] = field(default_factory=dict)

    def student_of(self, ref_key: Key) -> Key | None:
        return self.mapping.get(ref_key)


def exact_match(student: ModelGraph, reference: ModelGraph, with_instances: bool = True) -> dict | None:
    """reference key -> learner key when the two graphs are the same network, else None."""
    matcher = DiGraphMatcher(
        student.to_networkx(with_instances),
        reference.to_networkx(with_instances),
        node_match=lambda a, b: a["sig"] == b["sig"],
    )
    if not matcher.is_isomorphic():
        return None
    return {ref: stu for stu, ref in matcher.mapping.items() if not isinstance(ref, SharedInstance)}


def align(student: ModelGraph, reference: ModelGraph, input_pairs: dict[Key, Key]) -> Alignment:
    """Pair calls; `input_pairs` maps reference input keys to the learner's input keys.

    The walk is run several ways (preferring a layer in the right place or one with the right
    settings; keeping look-alikes of later layers for them or not; taking only layers in place),
    and the pairing that explains the learner's model with the fewest differences wins; between
    equals, the one that finds more layers of the wrong kind in place.
    """
    exact = exact_match(student, reference)
    if exact is not None:
        return Alignment(exact, [], True)
    context = _WalkContext(student, reference)
    walks = [
        _walk(context, input_pairs, place_first, reserve)
        for place_first in (True, False)
        for reserve in (True, False)
    ]
    walks.append(_walk(context, input_pairs, True, True, in_place_only=True))
    distinct: dict[tuple, Alignment] = {}  # the walks often agree: judge each pairing once
    for walk in walks:
        distinct.setdefault(tuple(sorted(walk.mapping.items())), walk)
    costs = {key: _cost(walk, student, reference) for key, walk in distinct.items()}
    fewest = [walk for key, walk in distinct.items() if costs[key] == min(costs.values())]
    for walk in fewest:
        walk.replaced = _replaced(student, reference, walk)
    # Of pairings with as few differences, the one that sees more layers of the wrong kind in
    # place (one difference each, said once) explains the model best.
    return max(fewest, key=lambda a: len(a.replaced))


class _WalkContext:
    """What both walks need, computed once."""

    def __init__(self, student: ModelGraph, reference: ModelGraph):
        self.student, self.reference = student, reference
        self.ref_hash, self.stu_hash = _downstream_hashes(reference), _downstream_hashes(student)
        self.ref_shape = _downstream_hashes(reference, True)
        self.stu_shape = _downstream_hashes(student, True)
        self.ref_order = [k for k in reference.topological() if reference.calls[k].class_name != "Input"]
        self.ref_classes = {c.class_name for c in reference.calls.values()}
        self.stu_order = sorted((c.key for c in student.layer_calls()), key=_natural)
        # Call.signature sorts the settings on every use; the walks compare thousands of pairs.
        self.stu_sig = {k: c.signature for k, c in student.calls.items()}
        self.ref_sig = {k: c.signature for k, c in reference.calls.items()}

    def sources_past_foreign(self, call: Call) -> Counter:
        """A call's sources, looking through layers of a class the reference has none of
        (a ZeroPadding2D before a convolution): those are extra, the layer behind them is in place."""
        found: Counter = Counter()
        for key in call.sources:
            source = self.student.calls[key]
            if source.class_name not in self.ref_classes and len(source.sources) == 1:
                found += self.sources_past_foreign(source)
            else:
                found[key] += 1
        return found


def _walk(
    ctx: _WalkContext,
    input_pairs: dict[Key, Key],
    place_first: bool,
    reserve: bool,
    in_place_only: bool = False,
) -> Alignment:
    """One greedy pairing; in_place_only leaves a reference call without a partner rather than
    pair it with a layer fed from elsewhere, even through a layer of a class the exercise has
    none of (a Conv2D after a layer of the wrong kind is kept for the reference's next Conv2D)."""
    student, reference = ctx.student, ctx.reference
    alignment = Alignment(dict(input_pairs))
    unpaired = {c.key for c in student.layer_calls()}
    stu_sig, ref_sig = ctx.stu_sig, ctx.ref_sig
    ref_left = Counter(ref_sig[k] for k in ctx.ref_order)
    for key in ctx.ref_order:
        ref_call = reference.calls[key]
        ref_left[ref_sig[key]] -= 1
        wanted = Counter(alignment.student_of(s) for s in ref_call.sources)
        candidates = [
            student.calls[k]
            for k in ctx.stu_order
            if k in unpaired
            and student.calls[k].class_name == ref_call.class_name
            and not (reserve and _reserved(stu_sig[k], ref_sig[key], stu_sig, unpaired, ref_left))
        ]
        if in_place_only and None not in wanted:
            candidates = [c for c in candidates if Counter(c.sources) == wanted]
        if not candidates:
            continue

        def closeness(call: Call) -> tuple:
            in_place = Counter(call.sources) == wanted or ctx.sources_past_foreign(call) == wanted
            same = stu_sig[call.key] == ref_sig[key]
            return ((in_place, same) if place_first else (same, in_place)) + (
                ctx.stu_hash[call.key] == ctx.ref_hash[key],
                ctx.stu_shape[call.key] == ctx.ref_shape[key],
                _shared_settings(call, ref_call),
            )

        best = max(candidates, key=closeness)
        alignment.mapping[key] = best.key
        unpaired.discard(best.key)
        if Counter(best.sources) != wanted:
            expected = [alignment.student_of(s) for s in ref_call.sources]
            alignment.misfed.append(Misfed(ref_call, best, expected))
    return alignment


def _replaced(student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> dict[Key, Key]:
    """Pair each missing layer with an extra layer of another class in its place: taking the
    tensors the missing one should take, and feeding the layers it should feed (or both outputs).

    Walked in the reference's order, so a run of replaced layers pairs one after the other; a
    pair whose consumers differ is dropped, and the pairs that relied on it with it.
    """
    paired = set(alignment.mapping.values())
    extra = [c for c in student.layer_calls() if c.key not in paired]
    missing = [c for c in reference.layer_calls() if c.key not in alignment.mapping]
    if not extra or not missing:
        return {}
    order = {key: index for index, key in enumerate(reference.topological())}
    missing.sort(key=lambda c: order[c.key])
    stu_outputs = {key for key, _ in student.outputs}
    ref_outputs = {key for key, _ in reference.outputs}
    while True:
        replaced: dict[Key, Key] = {}
        known = dict(alignment.mapping)
        for ref_call in missing:
            wanted = Counter(known.get(s) for s in ref_call.sources)
            if None in wanted:
                continue
            taken = set(replaced.values())
            candidates = [
                c
                for c in extra
                if c.key not in taken and c.class_name != ref_call.class_name and Counter(c.sources) == wanted
            ]
            if len(candidates) == 1:
                replaced[ref_call.key] = known[ref_call.key] = candidates[0].key
        wrong = [
            ref_key
            for ref_key, stu_key in replaced.items()
            if {known.get(c) for c in reference.consumers(ref_key)} != set(student.consumers(stu_key))
            or (ref_key in ref_outputs) != (stu_key in stu_outputs)
        ]
        if not wrong:
            return replaced
        missing = [c for c in missing if c.key not in wrong]


def _natural(key: Key) -> tuple:
    """Keys in the order Keras made up their names (conv2d_9 before conv2d_10): between look-alike
    layers, ties go to the one written first, whatever numbers earlier models used up.

    >>> keys = [CallKey("conv2d_10", 0), CallKey("conv2d_9", 1), CallKey("conv2d", 0)]
    >>> [str(key) for key in sorted(keys, key=_natural)]
    ['conv2d#0', 'conv2d_9#1', 'conv2d_10#0']
    """
    if not isinstance(key, CallKey):  # a graph made from a spec: its ids
        return ((_natural_name(key), 0),)
    outer = _natural(key.within) if key.within is not None else ()
    return (*outer, (_natural_name(key.layer), key.call))


def _natural_name(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _cost(alignment: Alignment, student: ModelGraph, reference: ModelGraph) -> int:
    """Differences a pairing leaves: changed settings, misfed layers, missing and extra layers.

    A layer fed from an extra layer, or expecting a missing one, costs nothing more: the
    extra or missing layer already explains it.
    """
    paired = set(alignment.mapping.values())
    extra = {c.key for c in student.layer_calls() if c.key not in paired}
    missing = [c for c in reference.layer_calls() if c.key not in alignment.mapping]
    changed = sum(
        student.calls[s].signature != reference.calls[r].signature
        for r, s in alignment.mapping.items()
        if reference.calls[r].class_name != "Input"
    )
    misfed = sum(
        1
        for m in alignment.misfed
        if None not in m.expected_sources and not extra.intersection(m.student.sources)
    )
    return changed + misfed + len(missing) + len(extra)


def _reserved(
    signature: tuple, ref_signature: tuple, stu_sig: dict, unpaired: set, ref_left: Counter
) -> bool:
    """A look-alike of a later reference layer is kept for it, unless there are more than it needs."""
    if signature == ref_signature:
        return False
    look_alikes = sum(stu_sig[k] == signature for k in unpaired)
    return look_alikes <= ref_left[signature]


def _shared_settings(call: Call, ref_call: Call) -> int:
    return sum(call.settings.get(k) == v for k, v in ref_call.settings.items())


def _downstream_hashes(graph: ModelGraph, structure_only: bool = False) -> dict[Key, int]:
    """A hash of each call and everything after it: tells apart look-alike branches."""
    order = graph.topological()
    hashes: dict[Key, int] = {}
    for key in reversed(order):
        call = graph.calls[key]
        own = call.class_name if structure_only else call.signature
        children = sorted(hashes[c] for c in graph.consumers(key))
        hashes[key] = hash((own, tuple(children)))
    return hashes
