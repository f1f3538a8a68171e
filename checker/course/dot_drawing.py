"""The layer graph drawn by Graphviz's `dot`: the same boxes as the matplotlib drawing, dot's layout.

`plotting.layer_graph` decides what each box says (name, class and key settings, output shape,
"shared: called 2 times"); this module only hands it to `dot`, which orders the rows to cross
few edges and routes long edges around boxes. Keras' own `plot_model` draws a table per layer
with input and output shapes side by side: the course's larger models (04's block, 08's
capstone) come out near 1900 px wide, 6 px text once JupyterLab fits them in its column.
"""

from __future__ import annotations

import networkx as nx

from checker.course.plotting import FONT_SIZE, box_color

DOT_DPI = 96  # pixels per inch of the PNG: FONT_SIZE points = 11 px at full size
FONT = "DejaVu Sans Mono,monospace"


def dot_source(graph: nx.DiGraph, title: str | None = None) -> str:
    """The layer graph in Graphviz's language: top-down, inputs in the first row, straight edge segments.

    >>> print(dot_source(nx.DiGraph([("x", "y")])).splitlines()[-3:])
    ['  {rank=source; n0;}', '  n0 -> n1;', '}']
    """
    ids = {name: f"n{index}" for index, name in enumerate(graph)}
    lines = [
        "digraph layers {",
        f"  graph [dpi={DOT_DPI}, label={_quoted(title or '')}, labelloc=t, nodesep=0.15, "
        f'ranksep=0.3, splines=polyline, fontname="{FONT}"];',
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize={FONT_SIZE}, '
        'margin="0.08,0.04", color="#444444"];',
        '  edge [color="#555555", arrowsize=0.6];',
    ]
    for name, attributes in graph.nodes(data=True):
        width = 2 if attributes.get("calls", 1) > 1 else 1
        lines.append(
            f"  {ids[name]} [label={_quoted(attributes.get('label', str(name)))}, "
            f'fillcolor="{box_color(attributes)}", penwidth={width}];'
        )
    inputs = [
        ids[name] for name, role in graph.nodes(data="role") if role == "input" or graph.in_degree(name) == 0
    ]
    lines.append(f"  {{rank=source; {' '.join(f'{i};' for i in inputs)}}}")
    for source, target, attributes in graph.edges(data=True):
        count = attributes.get("count", 1)
        label = f" [label={_quoted(f'×{count}')}, fontsize={FONT_SIZE}]" if count > 1 else ""
        lines.append(f"  {ids[source]} -> {ids[target]}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_png(graph: nx.DiGraph, title: str | None = None, timeout: float = 30) -> bytes | None:
    """PNG bytes drawn by `dot`, or None when `dot` is missing or fails."""
    import shutil
    import subprocess

    dot = shutil.which("dot")
    if dot is None:
        return None
    try:
        done = subprocess.run(
            [dot, "-Tpng"], input=dot_source(graph, title).encode(), capture_output=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 and done.stdout.startswith(b"\x89PNG") else None


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
