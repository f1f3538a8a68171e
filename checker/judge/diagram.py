"""A picture of how a learner's model differs from the exercise: plain data in, SVG text out.

Two steps, so a report can carry the picture as JSON and draw it only when shown:

- `picture_data(student, reference, alignment, misfed)` turns the grader's graphs and pairing
  into plain data: the learner's calls (labels, edges), each with what differs from its
  expected counterpart, and the reference calls the learner has no counterpart for.
- `render_svg(data)` draws that data top-down by depth, with straight edges; every kind of
  difference has its own colour *and* letter (M, E, K, S, W), explained in a small legend.
  The picture has a light card of its own, so it reads the same on light and dark pages.

Pure: no Keras, no Graphviz; networkx only for the layer depths.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from checker.judge import signature
from checker.judge.graph import Call, Key, ModelGraph, dtype_fits, shape_text
from checker.judge.match import Alignment, Misfed
from checker.layering import depths, rows_with_waypoints

MISSING_PREFIX = "missing:"

# kind: (letter, colour of its mark and notes, tint of its box, legend words)
KINDS = {
    "missing": ("M", "#0550ae", "#ffffff", "missing: add this layer"),
    "extra": ("E", "#8250df", "#fbefff", "extra: not in the exercise"),
    "kind": ("K", "#7d4e00", "#fff8c5", "a layer of the wrong kind"),
    "setting": ("S", "#953800", "#fff1e5", "a setting differs"),
    "wiring": ("W", "#cf222e", "#ffebe9", "wired or shared differently"),
}
EXPECTED_EDGE_WORDS = "where it should come from"
CARD = "#ffffff"
CARD_BORDER = "#d0d7de"
TEXT = "#1f2328"
MUTED = "#57606a"
OK_FILL = "#f6f8fa"
OK_STROKE = "#8c959f"
EDGE = "#57606a"

FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace"
CHAR_EM = 0.62  # a monospace glyph is about 0.6 em wide; a little more keeps text inside its box
LABEL_SIZE, SMALL_SIZE, TITLE_SIZE = 12, 11, 13
MAX_WIDTH = 820  # fits a notebook's output area in a 1280 px JupyterLab window with the file browser open
BOX_MIN, BOX_MAX = 150, 250
LANE = 14  # the width an edge passing through a row takes in it
GAP = 16  # between neighbours in a row
ROW_GAP = 30
PAD = 12
BOX_PAD = 8
BADGE = 18  # the width each difference letter takes in a box's first line
MAX_LABEL_LINES = 4
MAX_CALLS = 60  # the course's largest model has 14; a picture of hundreds of boxes helps nobody
LEGEND_MIN_WIDTH = 420


@dataclass(frozen=True)
class Diagram:
    """The picture of a report: shows itself in Jupyter, `.svg` is its text, `.save()` writes it.

    >>> Diagram("<svg/>")._repr_svg_()
    '<svg/>'
    """

    svg: str

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path) -> Path:
        path = Path(path)
        path.write_text(self.svg, encoding="utf-8")
        return path


# ---------------------------------------------------------------- the data


def picture_data(
    student: ModelGraph, reference: ModelGraph, alignment: Alignment, misfed: list[Misfed]
) -> dict | None:
    """What the picture needs, as plain data (JSON-ready), from the grader's graphs and pairing.

    `misfed`: the misfed calls that are mistakes of their own (not echoes of a missing or
    extra layer). Cheap: one pass over the calls, no drawing. None for a model of more than
    MAX_CALLS calls (e.g. a whole Xception handed in): far from the exercise, too big to draw.

    >>> from checker.judge.graph import from_spec
    >>> from checker.judge.exercises import EXERCISES
    >>> ref = from_spec(EXERCISES["functional_mlp"])
    >>> data = picture_data(ref, ref, Alignment({k: k for k in ref.calls}, [], True), [])
    >>> [c["marks"] for c in data["calls"]]
    [[], [], [], []]
    """
    if len(student.calls) > MAX_CALLS:
        return None
    inverse = {stu: ref for ref, stu in alignment.mapping.items()}
    stands_for = {stu: ref for ref, stu in alignment.replaced.items()}
    wiring = _wiring_notes(student, reference, alignment, misfed)
    outputs = dict(student.outputs)
    calls = []
    for key in student.topological():
        call = student.calls[key]
        ref_key = inverse.get(key)
        marks, expected, label = [], [], _label(call)
        if key in stands_for:  # as the report says: one layer of the wrong kind, not extra + missing
            marks.append("kind")
            expected = [_label(reference.calls[stands_for[key]])]
        elif ref_key is None:
            marks.append("extra")
        else:
            ref_call = reference.calls[ref_key]
            expected = _expected_differences(call, ref_call, reference, outputs.get(key))
            marks += ["setting"] if expected else []
            label = _label(call, _differing_settings(call, ref_call))
        if key in wiring:
            marks.append("wiring")
        calls.append(
            {
                "key": _id(key),
                "name": _own_name(call),
                "label": label,
                "sources": [_id(source) for source in call.sources],
                "marks": marks,
                "expected": "; ".join(expected) or None,
                "wiring": wiring.get(key, (None, None))[0],
                "expected_sources": wiring.get(key, (None, None))[1],
                "output": _output_name(call, outputs.get(key)),
                "instance": call.instance,
            }
        )
    return {"version": 1, "calls": calls, "missing": _missing(student, reference, alignment)}


def _id(key: Key) -> str:
    """A call's id in the picture's data: the key's text ("conv#0", "block#0/conv#0")."""
    return str(key)


def _missing_id(ref_key: Key) -> str:
    """The id of the box for a reference call the learner has no counterpart for."""
    return f"{MISSING_PREFIX}{ref_key}"


def _output_name(call: Call, name: str | None) -> str | None:
    """None for a call that is not an output; '' for an output named only by Keras' made-up name."""
    return "" if name is not None and name == call.name and not _own_name(call) else name


def _own_name(call: Call) -> str:
    """The learner's name for the layer; none for a name Keras made up (`conv2d_38` changes every build).

    Graphs that know which names Keras made up mark those calls `auto_named`.
    """
    return "" if getattr(call, "auto_named", False) else call.name


def _label(call: Call, shown: frozenset = frozenset()) -> str:
    """A short label: Conv2D(128, 3, strides=2, padding=same, relu); defaults left out unless in `shown`."""
    if call.class_name == "Input":
        dtype = f", dtype={call.dtype}" if call.dtype not in (None, "float32") else ""
        return f"Input(shape={shape_text(call.shape)}{dtype})"
    if call.class_name == "Functional":
        return call.label
    parts = []
    for key, value in call.settings.items():
        value = _compact(value)
        if key in signature.POSITIONAL:
            parts.append(str(value))
        elif key == "activation" and value != "linear":
            parts.append(str(value))
        elif key in shown or value != _compact(signature.default_of(key, call.settings, object())):
            parts.append(f"{key}={value}")
    return f"{call.class_name}({', '.join(parts)})"


def _compact(value):
    if isinstance(value, tuple) and value and len(set(value)) == 1:
        return value[0]
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return value


def _differing_settings(found: Call, expected: Call) -> frozenset:
    return frozenset(k for k, v in expected.settings.items() if found.settings.get(k) != v)


def _expected_differences(found: Call, expected: Call, reference: ModelGraph, output: str | None) -> list:
    """What the expected counterpart has that `found` lacks: its label, a fixed name."""
    differences = []
    if found.class_name == "Input":
        fixed = expected.key in reference.fixed_names
        if found.shape != expected.shape or not dtype_fits(expected.dtype, found.dtype):
            differences.append(_label(expected))
        if fixed and found.name != expected.name:
            differences.append(f"name='{expected.name}'")
    elif found.signature != expected.signature:
        differences.append(_label(expected, _differing_settings(found, expected)))
    wanted = dict(reference.outputs).get(expected.key)
    if output is not None and wanted in reference.fixed_names and output != wanted:
        differences.append(f"output named '{wanted}'")
    return differences


def _wiring_notes(
    student: ModelGraph, reference: ModelGraph, alignment: Alignment, misfed: list[Misfed]
) -> dict[Key, tuple[str, list | None]]:
    """learner key -> (what it should take or share, the ids of the boxes it should be fed from)."""
    notes: dict[Key, tuple[str, list | None]] = {}
    partners = {**alignment.mapping, **alignment.replaced}
    for item in misfed:
        pairs = [(ref, partners.get(ref)) for ref in item.reference.sources]
        expected = [_id(source) if source is not None else _missing_id(ref) for ref, source in pairs]
        names = " and ".join(_source_name(student, reference, source, ref) for ref, source in pairs)
        notes[item.student.key] = (f"should take {names or 'nothing'}", expected)
    # A layer of the wrong kind counts as the call it stands for: sharing does not depend on class.
    for members in reference.instances().values():
        mapped = [k for k in (partners.get(m) for m in members) if k]
        if len(members) > 1 and len({student.calls[k].instance for k in mapped}) > 1:
            for key in mapped:
                notes.setdefault(key, ("should be one shared layer, called on each input", None))
    inverse = {stu: ref for ref, stu in partners.items()}
    ref_instance = {c.key: c.instance for c in reference.layer_calls()}
    for members in student.instances().values():
        if len(members) > 1 and len({ref_instance.get(inverse.get(m)) for m in members}) > 1:
            for key in members:
                notes.setdefault(key, ("should be separate layers, one per call", None))
    return notes


def _source_name(student: ModelGraph, reference: ModelGraph, key: Key | None, ref_key: Key) -> str:
    """The learner's call `key`, or the missing reference call `ref_key` where key is None."""
    if key is None:
        return f"the missing {reference.calls[ref_key].label}"
    call = student.calls[key]
    if getattr(call, "position", ""):  # where graphs give one: how to find a layer Keras named
        return call.position
    return f"the input '{call.name}'" if call.class_name == "Input" else f"'{call.name}'"


def _missing(student: ModelGraph, reference: ModelGraph, alignment: Alignment) -> list[dict]:
    """Reference calls without a counterpart (not even one of the wrong kind), wired to the
    learner's calls around them."""
    missing = []
    partners = {**alignment.mapping, **alignment.replaced}
    for ref_key in reference.topological():
        if ref_key in partners:
            continue
        ref_call = reference.calls[ref_key]
        found = [partners.get(s) for s in ref_call.sources]
        sources = [_id(f) if f is not None else _missing_id(s) for f, s in zip(found, ref_call.sources)]
        targets = [partners.get(c) for c in reference.consumers(ref_key)]
        missing.append(
            {
                "key": _missing_id(ref_key),
                "label": _label(ref_call),
                "sources": sources,
                "targets": [_id(t) for t in targets if t is not None],
            }
        )
    return missing


def marks_something(data: dict) -> bool:
    """True when the picture shows a difference: a marked call or a missing one.

    >>> marks_something({"calls": [{"key": "dense#0", "marks": []}], "missing": []})
    False
    """
    return bool(data.get("missing")) or any(call.get("marks") for call in data.get("calls", []))


# ---------------------------------------------------------------- drawing


@dataclass
class _Box:
    key: str
    marks: list
    lines: list  # (text, font size, colour, bold)
    missing: bool = False
    width: float = 0.0
    height: float = 0.0
    x: float = 0.0  # centre
    y: float = 0.0  # centre

    @property
    def top(self) -> float:
        return self.y - self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height / 2


@dataclass
class _Edge:
    source: str
    target: str
    style: str  # "normal", "wrong", "expected", "missing"
    count: int = 1  # the same tensor fed twice, or a shared layer's calls feeding one layer
    points: list = field(default_factory=list)


@dataclass
class _Layout:
    boxes: dict
    edges: list
    title: str
    legend: list  # lines of legend items
    width: float = 0.0
    graph_bottom: float = 0.0  # where the legend starts

    @property
    def height(self) -> float:
        return self.graph_bottom + PAD + 22 * len(self.legend) + PAD / 2


def render_svg(data: dict) -> str:
    """The picture of `picture_data(...)` as standalone SVG text (also valid inline in HTML).

    >>> render_svg({"calls": [], "missing": []}).startswith("<svg")
    True
    """
    layout = _layout(data.get("calls", []), data.get("missing", []))
    width, height, title = layout.width, layout.height, html.escape(layout.title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{title}" '
        f'font-family="{html.escape(FONT)}" style="{_fitting(width)}">',
        f"<title>{title}</title>",
        f'<rect x="0.5" y="0.5" width="{width - 1:.0f}" height="{height - 1:.0f}" rx="6" '
        f'fill="{CARD}" stroke="{CARD_BORDER}"/>',
        f'<text x="{PAD}" y="{PAD + TITLE_SIZE}" font-size="{TITLE_SIZE}" font-weight="bold" '
        f'fill="{TEXT}">{title}</text>',
    ]
    parts += [_edge_svg(e) for e in layout.edges]
    parts += [_box_svg(b) for b in layout.boxes.values()]
    parts += _legend_svg(layout.legend, layout.graph_bottom + PAD)
    parts.append("</svg>")
    return "\n".join(parts)


def _layout(calls: list, missing: list) -> _Layout:
    """Boxes sized and placed by depth, edges routed through their lanes, the legend it needs."""
    calls, graph, edges = _drawable(calls, missing)
    depth = depths(graph)
    rows, paths = rows_with_waypoints(graph, depth)
    box_width = _box_width(rows)
    boxes = {c["key"]: _call_box(c, box_width) for c in calls}
    boxes.update({m["key"]: _missing_box(m, box_width) for m in missing})
    centres = _place(rows, boxes, paths)
    spans, height = _stack_rows(rows, boxes)
    items = [k for k in KINDS if any(k in b.marks for b in boxes.values())]
    items += ["expected"] if any(e.style == "expected" for e in edges) else []
    left = min((centres[n] - _item_width(n, boxes) / 2 for row in rows for n in row), default=0.0)
    right = max((centres[n] + _item_width(n, boxes) / 2 for row in rows for n in row), default=0.0)
    layout = _Layout(
        boxes, edges, _title(calls, missing), _legend_lines(items, max(right - left, LEGEND_MIN_WIDTH))
    )
    legend_width = max((_legend_line_width(line) for line in layout.legend), default=0.0)
    layout.width = max(right - left, _text_width(layout.title, TITLE_SIZE), legend_width) + 2 * PAD
    shift_x = (layout.width - (right - left)) / 2 - left  # the graph centred on the card
    shift_y = PAD + TITLE_SIZE * 1.8
    for key, box in boxes.items():
        top, bottom = spans[depth[key]]
        box.x, box.y = centres[key] + shift_x, (top + bottom) / 2 + shift_y
    for edge in edges:
        # An edge crosses a row straight down its own lane; it turns only between rows.
        edge.points = [
            (centres[lane] + shift_x, spans[lane[3]][end] + shift_y)
            for lane in paths[edge.source, edge.target][1:-1]
            for end in (0, 1)
        ]
    _attach_ends(edges, boxes)
    layout.graph_bottom = shift_y + height
    return layout


def _fitting(width: float) -> str:
    """Shrink into a narrower output area; a picture wider than planned scrolls instead (text stays 11 px)."""
    return "max-width:100%;height:auto" if width <= MAX_WIDTH else "max-width:none"


def _title(calls: list, missing: list) -> str:
    if missing or any(c["marks"] for c in calls):
        return "Your model: what differs from the exercise is marked"
    return "Your model: its layers and wiring match the exercise"


def _drawable(calls: list, missing: list) -> tuple[list, nx.DiGraph, list]:
    """(boxes' calls, graph to lay out, edges): the calls of one shared layer make one box.

    When merging them would close a loop (a layer applied to its own output), each call
    keeps its own box; a description that still has a loop is drawn without edges.
    """
    for merge in (True, False):
        node_of = _shared_boxes(calls) if merge else {c["key"]: c["key"] for c in calls}
        boxes = _merge_calls(calls, node_of)
        keys = [c["key"] for c in boxes] + [m["key"] for m in missing]
        graph, edges = _layout_graph(keys, _edge_list(calls, missing, node_of))
        if graph is not None:
            return boxes, graph, edges
    graph = nx.DiGraph()
    graph.add_nodes_from(keys)
    return boxes, graph, []


def _shared_boxes(calls: list) -> dict:
    """call key -> the key of the first call of the same layer."""
    first: dict = {}
    return {c["key"]: first.setdefault(c.get("instance") or c["key"], c["key"]) for c in calls}


def _merge_calls(calls: list, node_of: dict) -> list[dict]:
    merged: dict = {}
    for call in calls:
        box = merged.setdefault(node_of[call["key"]], {**call, "marks": [], "calls": 0, "outputs": []})
        box["calls"] += 1
        box["marks"] += [m for m in call.get("marks") or [] if m not in box["marks"]]
        box["outputs"] += [call["output"]] if call.get("output") is not None else []
        for key in ("expected", "wiring"):
            box[key] = box.get(key) or call.get(key)
    return list(merged.values())


def _edge_list(calls: list, missing: list, node_of: dict) -> list[_Edge]:
    known = set(node_of.values()) | {m["key"] for m in missing}
    edges: dict = {}

    def add(source, target, style):
        source, target = node_of.get(source, source), node_of.get(target, target)
        if source not in known or target not in known:
            return
        if (source, target) in edges:
            edges[source, target].count += style != "expected"
        else:
            edges[source, target] = _Edge(source, target, style)

    for call in calls:
        expected = call.get("expected_sources")
        for source in call["sources"]:
            add(source, call["key"], "wrong" if expected is not None and source not in expected else "normal")
    for item in missing:
        for source in item["sources"]:
            add(source, item["key"], "missing")
        for target in item["targets"]:
            add(item["key"], target, "missing")
    for call in calls:
        for source in call.get("expected_sources") or []:
            add(source, call["key"], "expected")
    return list(edges.values())


def _layout_graph(keys: list, edges: list[_Edge]) -> tuple[nx.DiGraph | None, list[_Edge]]:
    """The graph to lay out, None if it has a loop; an expected edge that would close one is left out."""
    graph = nx.DiGraph()
    graph.add_nodes_from(keys)
    graph.add_edges_from((e.source, e.target) for e in edges if e.style != "expected")
    if not nx.is_directed_acyclic_graph(graph):
        return None, []
    kept = []
    for edge in edges:
        if edge.style == "expected":
            if edge.source == edge.target or nx.has_path(graph, edge.target, edge.source):
                continue
            graph.add_edge(edge.source, edge.target)
        kept.append(edge)
    return graph, kept


def _box_width(rows: list[list]) -> float:
    """As wide as the widest row allows within MAX_WIDTH, between BOX_MIN and BOX_MAX."""
    best = BOX_MAX
    for row in rows:
        boxes = sum(1 for n in row if not isinstance(n, tuple))
        lanes = len(row) - boxes
        room = MAX_WIDTH - 2 * PAD - lanes * (LANE + GAP) - (boxes - 1) * GAP
        best = min(best, room / max(boxes, 1))
    return float(max(BOX_MIN, math.floor(best)))


def _item_width(name, boxes: dict) -> float:
    return LANE if isinstance(name, tuple) else boxes[name].width


def _place(rows: list[list], boxes: dict, paths: dict) -> dict:
    """x centres: each item under the mean of what feeds it, pushed apart to not overlap."""
    feeders: dict = {}
    for path in paths.values():
        for before, after in zip(path, path[1:]):
            feeders.setdefault(after, []).append(before)
    centres: dict = {}
    for level, row in enumerate(rows):
        if level == 0:
            desired = {}
            position = 0.0
            for name in row:
                desired[name] = position + _item_width(name, boxes) / 2
                position += _item_width(name, boxes) + GAP
        else:
            desired = {
                n: sum(centres[f] for f in feeders.get(n, [])) / max(len(feeders.get(n, [])), 1) for n in row
            }
        order = sorted(row, key=lambda n: (desired[n], row.index(n)))
        row[:] = order
        previous = None
        for name in order:
            x = desired[name]
            if previous is not None:
                room = (_item_width(previous, boxes) + _item_width(name, boxes)) / 2 + GAP
                x = max(x, centres[previous] + room)
            centres[name] = x
            previous = name
        drift = sum(centres[n] - desired[n] for n in order) / len(order)
        for name in order:
            centres[name] -= drift
    return centres


def _stack_rows(rows: list[list], boxes: dict) -> tuple[list[tuple[float, float]], float]:
    """(top, bottom) of each row, and the height of them all."""
    spans, y = [], 0.0
    for row in rows:
        height = max((boxes[n].height for n in row if not isinstance(n, tuple)), default=0.0)
        spans.append((y, y + height))
        y += height + ROW_GAP
    return spans, max(y - ROW_GAP, 0.0)


def _attach_ends(edges: list[_Edge], boxes: dict) -> None:
    """Start each edge under its source and end it on its target, spread when several share a side."""
    leaving: dict = {}
    arriving: dict = {}
    for edge in edges:
        leaving.setdefault(edge.source, []).append(edge)
        arriving.setdefault(edge.target, []).append(edge)
    for key, group in leaving.items():
        box = boxes[key]
        group.sort(key=lambda e: (e.points or [(boxes[e.target].x, 0)])[0][0])
        for edge, dx in zip(group, _spread(len(group), box.width)):
            edge.points.insert(0, (box.x + dx, box.bottom))
    for key, group in arriving.items():
        box = boxes[key]
        group.sort(key=lambda e: e.points[-1][0])  # where each arrives from
        for edge, dx in zip(group, _spread(len(group), box.width)):
            edge.points.append((box.x + dx, box.top))


def _spread(count: int, width: float) -> list[float]:
    step = min(22.0, width * 0.7 / max(count, 1))
    return [(i - (count - 1) / 2) * step for i in range(count)]


# ---------------------------------------------------------------- boxes and their text


def _call_box(call: dict, width: float) -> _Box:
    marks = list(call.get("marks") or [])
    chars = _chars(width, SMALL_SIZE)
    about = [call.get("name") or ""]
    for output in call.get("outputs") or []:
        about.append("output" if output in ("", call.get("name")) else f"output '{output}'")
    if call.get("calls", 1) > 1:
        about.append(f"shared: called {call['calls']} times")
    head = " · ".join(part for part in about if part)
    head_chars = chars - math.ceil(BADGE * len(marks) / (SMALL_SIZE * CHAR_EM))
    lines = [(t, SMALL_SIZE, MUTED, False) for t in _wrap(head, head_chars, 2) if t or marks]
    lines += [(t, LABEL_SIZE, TEXT, True) for t in _wrap(call["label"], _chars(width, LABEL_SIZE))]
    notes = {
        "setting": f"expected {call.get('expected')}",
        "kind": f"should be {call.get('expected')}",
        "wiring": call.get("wiring") or "fed from the wrong place",
        "extra": "not in the exercise: remove it",
    }
    for kind in marks:
        colour = KINDS[kind][1]
        lines += [(t, SMALL_SIZE, colour, False) for t in _wrap(f"{KINDS[kind][0]}: {notes[kind]}", chars)]
    return _sized(_Box(call["key"], marks, lines), width)


def _missing_box(item: dict, width: float) -> _Box:
    colour = KINDS["missing"][1]
    lines = [("missing: add it", SMALL_SIZE, colour, False)]
    lines += [(t, LABEL_SIZE, TEXT, True) for t in _wrap(item["label"], _chars(width, LABEL_SIZE))]
    return _sized(_Box(item["key"], ["missing"], lines, missing=True), width)


def _sized(box: _Box, width: float) -> _Box:
    box.width = width
    box.height = 2 * BOX_PAD + sum(size * 1.3 for _, size, _, _ in box.lines)
    return box


def _chars(width: float, size: int) -> int:
    return max(8, int((width - 2 * BOX_PAD) / (size * CHAR_EM)))


def _text_width(text: str, size: int) -> float:
    return len(text) * size * CHAR_EM


def _wrap(text: str, chars: int, max_lines: int = MAX_LABEL_LINES) -> list[str]:
    """Greedy wrap after ', ', ' ' or '(' ; a word longer than a line is cut; the last line ends in '…'."""
    pieces, current = [], ""
    for token in _tokens(text):
        while len(token) > chars:
            if current:
                pieces.append(current.rstrip())
                current = ""
            pieces.append(token[:chars])
            token = token[chars:]
        if len(current) + len(token.rstrip()) > chars and current:
            pieces.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    if current.strip():
        pieces.append(current.rstrip())
    if len(pieces) > max_lines:
        pieces = pieces[:max_lines]
        pieces[-1] = pieces[-1][: chars - 1] + "…"
    return pieces or [""]


def _tokens(text: str) -> list[str]:
    """Pieces that end after a space or '(', except inside nested brackets: (32, 32, 64) stays whole."""
    tokens, current, depth = [], "", 0
    for char in text:
        current += char
        depth += (char in "([") - (char in ")]")
        if (char == " " and depth <= 1) or (char == "(" and depth == 1):
            tokens.append(current)
            current = ""
    if current:
        tokens.append(current)
    return tokens


def _box_svg(box: _Box) -> str:
    if box.marks:
        kind = box.marks[0]
        stroke, fill = KINDS[kind][1], KINDS[kind][2]
    else:
        stroke, fill = OK_STROKE, OK_FILL
    dash = ' stroke-dasharray="6 4"' if box.missing else ""
    width = 2 if box.marks else 1
    left = box.x - box.width / 2
    parts = [
        f'<g data-key="{html.escape(box.key)}" data-marks="{" ".join(box.marks)}">',
        f'<rect x="{left:.1f}" y="{box.top:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
        f'rx="5" fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/>',
    ]
    y = box.top + BOX_PAD
    for text, size, colour, bold in box.lines:
        y += size * 1.3
        weight = ' font-weight="bold"' if bold else ""
        parts.append(
            f'<text x="{left + BOX_PAD:.1f}" y="{y - size * 0.3:.1f}" font-size="{size}" '
            f'fill="{colour}"{weight}>{html.escape(text)}</text>'
        )
    for index, kind in enumerate(reversed(box.marks)):
        parts.append(_badge(kind, left + box.width - BOX_PAD - 7 - index * BADGE, box.top + BOX_PAD + 6))
    parts.append("</g>")
    return "".join(parts)


def _badge(kind: str, x: float, y: float) -> str:
    letter, colour = KINDS[kind][0], KINDS[kind][1]
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="{colour}"/>'
        f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="{SMALL_SIZE}" font-weight="bold" '
        f'fill="#ffffff" text-anchor="middle">{letter}</text>'
    )


# ---------------------------------------------------------------- edges and legend

_EDGE_STYLES = {  # style: (colour, width, dash)
    "normal": (EDGE, 1.3, ""),
    "wrong": (KINDS["wiring"][1], 2.2, ""),
    "expected": (KINDS["wiring"][1], 1.6, "5 4"),
    "missing": (KINDS["missing"][1], 1.6, "5 4"),
}


def _edge_svg(edge: _Edge) -> str:
    colour, width, dash = _EDGE_STYLES[edge.style]
    (x1, y1), (x2, y2) = edge.points[-2], edge.points[-1]
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    tip = (x2, y2)
    base = (x2 - 8 * ux, y2 - 8 * uy)
    line_points = edge.points[:-1] + [base]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in line_points)
    head = " ".join(
        f"{x:.1f},{y:.1f}"
        for x, y in (tip, (base[0] - 4 * uy, base[1] + 4 * ux), (base[0] + 4 * uy, base[1] - 4 * ux))
    )
    count = ""
    if edge.count > 1:
        count = (
            f'<text x="{x1 + (x2 - x1) * 0.45 + 5:.1f}" y="{y1 + (y2 - y1) * 0.45 + 4:.1f}" '
            f'font-size="{SMALL_SIZE}" fill="{TEXT}" stroke="{CARD}" stroke-width="3" '
            f'paint-order="stroke">\u00d7{edge.count}</text>'
        )
    return (
        f'<g data-edge="{html.escape(edge.source)}>{html.escape(edge.target)}" data-style="{edge.style}">'
        f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="{width}"{dash_attr}/>'
        f'<polygon points="{head}" fill="{colour}"/>{count}</g>'
    )


def _legend_words(item: str) -> str:
    return EXPECTED_EDGE_WORDS if item == "expected" else KINDS[item][3]


def _legend_item_width(item: str) -> float:
    return BADGE + 6 + _text_width(_legend_words(item), SMALL_SIZE) + 18


def _legend_line_width(items: list[str]) -> float:
    return sum(_legend_item_width(k) for k in items) + 8


def _legend_lines(items: list[str], width: float) -> list[list[str]]:
    lines, current, used = [], [], 0.0
    for item in items:
        need = _legend_item_width(item)
        if current and used + need > width:
            lines.append(current)
            current, used = [], 0.0
        current.append(item)
        used += need
    return lines + ([current] if current else [])


def _legend_svg(lines: list[list[str]], top: float) -> list[str]:
    """Each difference's letter (a dashed line for the expected connection) and what it means."""
    parts = []
    for index, items in enumerate(lines):
        x, y = PAD + 8, top + 11 + index * 22
        for item in items:
            if item == "expected":
                colour, width, dash = _EDGE_STYLES["expected"]
                parts.append(
                    f'<line x1="{x - 8:.1f}" y1="{y:.1f}" x2="{x + 9:.1f}" y2="{y:.1f}" stroke="{colour}" '
                    f'stroke-width="{width}" stroke-dasharray="{dash}"/>'
                )
            else:
                parts.append(_badge(item, x, y))
            parts.append(
                f'<text x="{x + 14:.1f}" y="{y + 4:.1f}" font-size="{SMALL_SIZE}" fill="{TEXT}">'
                f"{html.escape(_legend_words(item))}</text>"
            )
            x += _legend_item_width(item)
    return parts
