"""Pair the learner's layer calls with the reference's.

First try an exact match (graph isomorphism with networkx: same layers, same wiring, same
sharing). When there is none, walk the reference in topological order and pair each call
with the learner's call that is most like it, so feedback can point at the first place the
two graphs part ways instead of listing every difference.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from networkx.algorithms.isomorphism import DiGraphMatcher

from checker.graph import Call, ModelGraph


@dataclass
class Misfed:
    """A learner's call that has the right kind but takes its input from the wrong place."""
    reference: Call
    student: Call
    expected_sources: list[str | None]   # learner keys the reference wants (None: a missing layer)


@dataclass
class Alignment:
    mapping: dict[str, str] = field(default_factory=dict)      # reference key -> learner key
    misfed: list[Misfed] = field(default_factory=list)
    exact: bool = False

    def student_of(self, ref_key: str) -> str | None:
        return self.mapping.get(ref_key)


def exact_match(student: ModelGraph, reference: ModelGraph, with_instances: bool = True) -> dict | None:
    """reference key -> learner key when the two graphs are the same network, else None."""
    matcher = DiGraphMatcher(student.to_networkx(with_instances), reference.to_networkx(with_instances),
                             node_match=lambda a, b: a["sig"] == b["sig"])
    if not matcher.is_isomorphic():
        return None
    return {ref: stu for stu, ref in matcher.mapping.items() if not ref.startswith("instance:")}


def align(student: ModelGraph, reference: ModelGraph, input_pairs: dict[str, str]) -> Alignment:
    """Pair calls; `input_pairs` maps reference input keys to the learner's input keys."""
    exact = exact_match(student, reference)
    if exact is not None:
        return Alignment(exact, [], True)
    alignment = Alignment(dict(input_pairs))
    unpaired = {c.key for c in student.layer_calls()}
    ref_hash, stu_hash = _downstream_hashes(reference), _downstream_hashes(student)
    ref_shape, stu_shape = _downstream_hashes(reference, True), _downstream_hashes(student, True)
    for key in reference.topological():
        ref_call = reference.calls[key]
        if ref_call.class_name == "Input":
            continue
        wanted = Counter(alignment.student_of(s) for s in ref_call.sources)
        candidates = [student.calls[k] for k in sorted(unpaired)
                      if student.calls[k].class_name == ref_call.class_name]
        if not candidates:
            continue

        def closeness(call: Call) -> tuple:
            return (Counter(call.sources) == wanted,
                    call.signature == ref_call.signature,
                    stu_hash[call.key] == ref_hash[key],
                    stu_shape[call.key] == ref_shape[key],
                    _shared_settings(call, ref_call))

        best = max(candidates, key=closeness)
        alignment.mapping[key] = best.key
        unpaired.discard(best.key)
        if Counter(best.sources) != wanted:
            expected = [alignment.student_of(s) for s in ref_call.sources]
            alignment.misfed.append(Misfed(ref_call, best, expected))
    return alignment


def _shared_settings(call: Call, ref_call: Call) -> int:
    return sum(call.settings.get(k) == v for k, v in ref_call.settings.items())


def _downstream_hashes(graph: ModelGraph, structure_only: bool = False) -> dict[str, int]:
    """A hash of each call and everything after it: tells apart look-alike branches."""
    order = graph.topological()
    hashes: dict[str, int] = {}
    for key in reversed(order):
        call = graph.calls[key]
        own = call.class_name if structure_only else call.signature
        children = sorted(hashes[c] for c in graph.consumers(key))
        hashes[key] = hash((own, tuple(children)))
    return hashes
