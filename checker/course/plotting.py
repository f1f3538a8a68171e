"""Drawings for the course notebooks: a model's layer graph and its learning curves.

`layer_graph` turns a Keras model into a networkx graph with one node per layer (a layer
called twice, i.e. shared, is still one node, with one incoming edge per call; a nested
model is one node). `draw_layer_graph` draws it top-down by depth without Graphviz.
`history_figure` draws loss and metric curves, train against validation.
All functions return matplotlib figures and never display anything themselves.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import networkx as nx

from checker.layering import rows_with_waypoints

INPUT_COLOR = "#d7e8fb"
LAYER_COLOR = "#f3f3f3"
SHARED_COLOR = "#ffe3b3"
NESTED_COLOR = "#e2f0d9"
OUTPUT_COLOR = "#f9d6d5"
ROW_HEIGHT = 1.1  # inches from one row of boxes to the next
FONT_SIZE = 8  # points; at 860 px wide a drawing up to ~9.5 inches keeps it >= 10 px on screen
CHAR_EM = 0.6  # a monospace character's width, in ems
BOX_PADDING = 0.25  # inches a box adds around its widest line
BOX_GAP = 0.2  # inches between neighbouring boxes in a row
WAYPOINT_WIDTH = 0.1  # inches a long edge takes where it passes a row
MAX_WIDTH = 9.5  # inches; wider drawings get their labels wrapped (see FONT_SIZE)
WAYPOINT_PULL = 8.0  # how much harder a long edge's bend is pulled straight than a box is centred


# ---------------------------------------------------------------- the layer graph


def layer_graph(model, show_shapes: bool = True) -> nx.DiGraph:
    """One node per layer of `model`, edges from each layer to the layers it feeds.

    Node attributes: `label` (name, class and key settings, output shape), `role`
    ("input", "layer", "output"), `calls` (how many times the layer is called in the
    model: 2 or more means shared), `nested` (the layer is itself a model).
    An unbuilt or subclassed model gives a graph with a single node that says so.
    """
    config = _safe_config(model)
    layers_config = config.get("layers") if isinstance(config, dict) else None
    if not layers_config:
        return _opaque_graph(model)
    if any("inbound_nodes" in entry for entry in layers_config):
        graph = _functional_graph(model, config, show_shapes)
    else:
        graph = _sequential_graph(model, layers_config, show_shapes)
    _mark_outputs(graph)
    return graph


def _safe_config(model) -> dict | None:
    try:
        return model.get_config()
    except Exception:  # subclassed models without get_config, broken models
        return None


def _functional_graph(model, config: dict, show_shapes: bool) -> nx.DiGraph:
    graph = nx.DiGraph()
    for entry in config["layers"]:
        name = entry.get("name") or entry["config"].get("name")
        calls = max(1, len(entry.get("inbound_nodes") or []))
        graph.add_node(name, **_node_attributes(model, entry, calls, show_shapes))
        for source in _sources(entry.get("inbound_nodes") or []):
            if source in graph:
                count = graph.edges[source, name]["count"] + 1 if graph.has_edge(source, name) else 1
                graph.add_edge(source, name, count=count)
    return graph


def _sources(inbound_nodes) -> list[str]:
    """Names of the layers whose outputs feed these calls, from the config's keras_history."""
    found: list[str] = []

    def visit(value):
        if isinstance(value, dict):
            history = (
                value.get("config", {}).get("keras_history")
                if value.get("class_name") == "__keras_tensor__"
                else None
            )
            if history:
                found.append(history[0])
                return
            for item in value.values():
                visit(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)

    visit(inbound_nodes)
    return found


def _sequential_graph(model, layers_config: list, show_shapes: bool) -> nx.DiGraph:
    graph = nx.DiGraph()
    previous = None
    for entry in layers_config:
        name = entry.get("config", {}).get("name") or entry.get("class_name")
        graph.add_node(name, **_node_attributes(model, entry, 1, show_shapes))
        if previous is not None:
            graph.add_edge(previous, name, count=1)
        previous = name
    return graph


def _opaque_graph(model) -> nx.DiGraph:
    graph = nx.DiGraph()
    name = getattr(model, "name", type(model).__name__)
    inner = [layer.name for layer in getattr(model, "layers", [])][:8]
    lines = [
        name,
        f"{type(model).__name__} (subclassed or not built yet)",
        "its connections live in call(): nothing to draw",
    ]
    if inner:
        lines.append("layers: " + ", ".join(inner))
    graph.add_node(name, label="\n".join(lines), role="layer", calls=1, nested=True)
    return graph


def _node_attributes(model, entry: dict, calls: int, show_shapes: bool = True) -> dict:
    class_name = entry.get("class_name", "?")
    settings = entry.get("config") or {}
    name = entry.get("name") or settings.get("name") or class_name
    nested = isinstance(settings.get("layers"), list)
    lines = [name, _describe_layer(class_name, settings, nested)]
    shapes = _output_shapes(model, name) if show_shapes and class_name != "InputLayer" else []
    if shapes:
        lines.append(" / ".join(shapes))
    if calls > 1:
        lines.append(f"shared: called {calls} times")
    role = "input" if class_name == "InputLayer" else "layer"
    return {"label": "\n".join(lines), "role": role, "calls": calls, "nested": nested}


def _describe_layer(class_name: str, settings: dict, nested: bool) -> str:
    if nested:
        return f"{class_name} (a model used as a layer, {len(settings['layers'])} layers)"
    if class_name == "InputLayer":
        shape = settings.get("batch_shape") or settings.get("batch_input_shape")
        return f"Input {_format_shape(shape)}" if shape else "Input"
    if class_name in _RECURRENT:
        settings = {**settings, "_default_activation": "tanh"}
    return f"{class_name}({', '.join(_settings_summary(settings))})"


_RECURRENT = {"LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}


def _settings_summary(settings: dict) -> list[str]:
    """The few settings a reader checks against the exercise, in the order they are written."""
    parts = []
    for key in ("units", "filters", "input_dim", "output_dim", "kernel_size", "pool_size"):
        if key in settings:
            parts.append(_compact(settings[key]))
    if settings.get("strides") not in (None, 1, (1,), [1], (1, 1), [1, 1]) and "pool_size" not in settings:
        parts.append(f"strides={_compact(settings['strides'])}")
    if settings.get("padding") == "same":
        parts.append("same")
    if "rate" in settings:
        parts.append(f"rate={settings['rate']}")
    if "axis" in settings and settings["axis"] != -1:
        parts.append(f"axis={settings['axis']}")
    activation = settings.get("activation")
    if isinstance(activation, str) and activation not in ("linear", settings.get("_default_activation")):
        parts.append(activation)
    return parts


def _compact(value):
    """(3, 3) -> 3, (1, 2) -> (1, 2): the way one would write it in the exercise."""
    if isinstance(value, (list, tuple)):
        if len(set(value)) == 1:
            return str(value[0])
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def _output_shapes(model, layer_name: str) -> list[str]:
    """Output shape of each call of the layer in this model, each distinct shape once."""
    try:
        layer = model.get_layer(layer_name)
    except Exception:
        return []
    shapes = []
    for shape in _call_output_shapes(model, layer):
        text = _format_shape(shape)
        if text not in shapes:
            shapes.append(text)
    return shapes


def _call_output_shapes(model, layer) -> list:
    """Shapes from the layer's calls (Keras' nodes) that belong to `model`, else `layer.output`.

    A nested model's own `output` has the shape of its own Input (often None x None); the
    calls carry the shapes it really produces in this model.
    """
    in_model = getattr(model, "_nodes", None)  # keys "<id(layer)>_ib-<call index>" (Keras 3)
    shapes = []
    for index, node in enumerate(getattr(layer, "_inbound_nodes", None) or []):
        if in_model and f"{id(layer)}_ib-{index}" not in in_model:
            continue
        shapes.extend(tensor.shape for tensor in getattr(node, "outputs", []))
    if shapes:
        return shapes
    try:
        return [tensor.shape for tensor in _flatten(layer.output)]
    except Exception:
        return []


def _flatten(value) -> list:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _flatten(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flatten(v)]
    return [value]


def _format_shape(shape) -> str:
    return (
        "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")
    )


def _mark_outputs(graph: nx.DiGraph) -> None:
    for name in graph:
        if graph.out_degree(name) == 0 and graph.nodes[name]["role"] != "input" and len(graph) > 1:
            graph.nodes[name]["role"] = "output"


# ---------------------------------------------------------------- drawing it


def graph_layout(graph: nx.DiGraph) -> tuple[dict, dict]:
    """Where each box goes, in inches: rows top-down by longest path from an input.

    Returns (positions, edge paths). An edge that skips rows gets a waypoint in each row it
    crosses (as Graphviz does), so that it runs between boxes instead of through them.
    positions map every node and waypoint to (x in inches, -row); edge paths map
    (source, target) to the points from source to target. Rows are ordered to cross few
    edges, and boxes sit as close as they can to the middle of what they connect, with
    waypoints held hardest, so long edges run straight.

    >>> positions, paths = graph_layout(nx.DiGraph([("x", "a"), ("a", "y"), ("x", "y")]))
    >>> paths["x", "y"][1][0], positions[paths["x", "y"][1]][1]
    ('waypoint', -1)
    """
    rows, parents_of, paths = _rows_with_waypoints(graph)
    children_of: dict = {key: [] for key in parents_of}
    for key, parents in parents_of.items():
        for parent in parents:
            children_of[parent].append(key)
    _order_rows(rows, parents_of, children_of)
    widths = {key: box_width(_label(graph, key)) if key in graph else WAYPOINT_WIDTH for key in parents_of}
    x = _place_rows(rows, widths, parents_of, children_of)
    left = min(x[key] - widths[key] / 2 for key in x)
    positions = {key: (x[key] - left, -level) for level, row in rows.items() for key in row}
    return positions, paths


def fitted_layout(graph: nx.DiGraph, widest: float = MAX_WIDTH) -> tuple[nx.DiGraph, dict, dict]:
    """(graph, positions, paths): the graph, or a copy with labels wrapped at commas, whichever
    first fits `widest` inches, with its graph_layout.

    >>> g = nx.DiGraph(); g.add_node("c", label="c\\nConv2D(128, 3, strides=2, same, relu)")
    >>> fitted_layout(g, widest=2)[0].nodes["c"]["label"]
    'c\\nConv2D(128, 3, strides=2,\\n same, relu)'
    """
    for columns in (None, 28, 22, 18):
        wrapped = graph if columns is None else _wrapped_labels(graph, columns)
        positions, paths = graph_layout(wrapped)
        if _right_edge(wrapped, positions) <= widest:
            break
    return wrapped, positions, paths


def _right_edge(graph: nx.DiGraph, positions: dict) -> float:
    """Inches from the left of the drawing to the right side of its rightmost box."""
    return max(
        (x + box_width(_label(graph, k)) / 2 for k, (x, _) in positions.items() if k in graph), default=1
    )


def _wrapped_labels(graph: nx.DiGraph, columns: int) -> nx.DiGraph:
    import textwrap

    wrapped = graph.copy()
    for name in wrapped:
        lines = _label(wrapped, name).splitlines()
        wrapped.nodes[name]["label"] = "\n".join(
            part for line in lines for part in textwrap.wrap(line, columns, subsequent_indent=" ") or [""]
        )
    return wrapped


def _label(graph: nx.DiGraph, name) -> str:
    return graph.nodes[name].get("label", str(name))


def box_width(label: str) -> float:
    """Inches a box of this label takes in the drawing (monospace text plus padding)."""
    return max(len(line) for line in label.splitlines()) * FONT_SIZE * CHAR_EM / 72 + BOX_PADDING


def _rows_with_waypoints(graph: nx.DiGraph) -> tuple[dict, dict, dict]:
    """rows_with_waypoints, with rows by level and each node's or waypoint's parents (a
    waypoint's parent is the point before it on its edge)."""
    row_list, paths = rows_with_waypoints(graph)
    parents_of: dict = {name: list(graph.predecessors(name)) for name in graph}
    for (source, target), path in paths.items():
        for before, point in zip(path, path[1:-1]):
            parents_of[point] = [before]
        parents_of[target] = [path[-2] if p == source else p for p in parents_of[target]]
    return dict(enumerate(row_list)), parents_of, paths


def _order_rows(rows: dict, parents_of: dict, children_of: dict, sweeps: int = 4) -> None:
    """Reorder each row by the mean position of its neighbours (barycentres), keeping the best."""
    best, fewest = {k: list(v) for k, v in rows.items()}, _crossings(rows, children_of)
    for _ in range(sweeps):
        for level in range(1, len(rows)):
            _sort_by_neighbours(rows[level], rows[level - 1], parents_of)
        for level in range(len(rows) - 2, -1, -1):
            _sort_by_neighbours(rows[level], rows[level + 1], children_of)
        crossings = _crossings(rows, children_of)
        if crossings < fewest:
            best, fewest = {k: list(v) for k, v in rows.items()}, crossings
    rows.update(best)


def _sort_by_neighbours(row: list, fixed: list, neighbours_of: dict) -> None:
    index = {key: i for i, key in enumerate(fixed)}
    current = {key: i for i, key in enumerate(row)}

    def barycentre(key):
        found = [index[n] for n in neighbours_of[key] if n in index]
        return sum(found) / len(found) if found else current[key] * len(fixed) / max(1, len(row))

    row.sort(key=barycentre)


def _crossings(rows: dict, children_of: dict) -> int:
    count = 0
    for level in range(len(rows) - 1):
        below = {key: i for i, key in enumerate(rows[level + 1])}
        edges = [(i, below[c]) for i, key in enumerate(rows[level]) for c in children_of[key] if c in below]
        count += sum(1 for a, b in edges for c, d in edges if a < c and b > d)
    return count


def _place_rows(rows: dict, widths: dict, parents_of: dict, children_of: dict) -> dict:
    """x of every box: packed left to right, then pulled towards its parents and children."""
    x = {}
    for row in rows.values():
        edge = 0.0
        for key in row:
            x[key] = edge + widths[key] / 2
            edge += widths[key] + BOX_GAP
    levels = sorted(rows)
    for neighbours_of, order in [(parents_of, levels), (children_of, levels[::-1])] * 2 + [
        (parents_of, levels)
    ]:
        for level in order:
            wanted = [_mean_x(neighbours_of[key], x, x[key]) for key in rows[level]]
            weights = [WAYPOINT_PULL if isinstance(key, tuple) else 1.0 for key in rows[level]]
            x.update(zip(rows[level], _closest_spacing(rows[level], wanted, weights, widths)))
    return x


def _mean_x(neighbours: list, x: dict, default: float) -> float:
    return sum(x[n] for n in neighbours) / len(neighbours) if neighbours else default


def _closest_spacing(row: list, wanted: list, weights: list, widths: dict) -> list:
    """Positions in row order, no two boxes overlapping, as close to `wanted` as possible.

    Least squares under order constraints: shifting each box by the room the boxes before it
    need turns it into isotonic regression, solved by pooling adjacent violators.
    """
    offsets, room = [], 0.0
    for i, key in enumerate(row):
        if i:
            room += (widths[row[i - 1]] + widths[key]) / 2 + BOX_GAP
        offsets.append(room)
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for target, weight, offset in zip(wanted, weights, offsets):
        blocks.append([(target - offset) * weight, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, weight_sum, count = blocks.pop()
            blocks[-1] = [blocks[-1][0] + total, blocks[-1][1] + weight_sum, blocks[-1][2] + count]
    shifted = [total / weight for total, weight, count in blocks for _ in range(count)]
    return [y + offset for y, offset in zip(shifted, offsets)]


def draw_layer_graph(graph: nx.DiGraph, title: str | None = None):
    """A matplotlib figure of the layer graph: boxes for layers, arrows for tensors.

    Long labels are wrapped when that keeps the drawing within MAX_WIDTH inches, so that its
    text stays readable where the notebook fits it into its column.
    """
    graph, positions, paths = fitted_layout(graph)
    points = {key: (x, y * ROW_HEIGHT) for key, (x, y) in positions.items()}
    right = _right_edge(graph, positions)
    rows = len({y for _, y in points.values()})
    figure, axes = plt.subplots(figsize=(max(4.0, right + 0.2), max(2.0, ROW_HEIGHT * rows + 0.3)))
    boxes = {}
    for name in graph:
        attributes = graph.nodes[name]
        boxes[name] = axes.text(
            *points[name],
            _label(graph, name),
            ha="center",
            va="center",
            fontsize=FONT_SIZE,
            family="monospace",
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": box_color(attributes),
                "edgecolor": "#444444",
                "linewidth": 1.6 if attributes.get("calls", 1) > 1 else 0.8,
            },
        )
    for (source, target), path in paths.items():
        count = graph.edges[source, target].get("count", 1)
        _draw_path(axes, path, points, boxes, f"×{count}" if count > 1 else None)
    ys = [y for _, y in points.values()] or [0]
    axes.set_xlim(-0.1, right + 0.1)
    axes.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    axes.axis("off")
    if title:
        axes.set_title(title)
    figure.subplots_adjust(
        left=0, right=1, bottom=0, top=1 if not title else 1 - 0.3 / (ROW_HEIGHT * rows + 0.3)
    )
    return figure


def _draw_path(axes, path: list, points: dict, boxes: dict, label: str | None) -> None:
    """Line segments through the waypoints, an arrow head on the last one."""
    for start, end in zip(path, path[1:]):
        last = end is path[-1]
        axes.annotate(
            "",
            xy=points[end],
            xytext=points[start],
            arrowprops={
                "arrowstyle": "-|>" if last else "-",
                "color": "#555555",
                "shrinkA": 2 if start in boxes else 0,
                "shrinkB": 2 if last else 0,
                "patchA": boxes[start].get_bbox_patch() if start in boxes else None,
                "patchB": boxes[end].get_bbox_patch() if last else None,
            },
        )
    if label:
        (x1, y1), (x2, y2) = points[path[-2]], points[path[-1]]
        axes.text(
            (x1 + x2) / 2,
            (y1 + y2) / 2,
            label,
            fontsize=8,
            color="#555555",
            ha="center",
            va="center",
            backgroundcolor="white",
        )


def box_color(attributes: dict) -> str:
    if attributes.get("nested"):
        return NESTED_COLOR
    if attributes.get("calls", 1) > 1:
        return SHARED_COLOR
    return {"input": INPUT_COLOR, "output": OUTPUT_COLOR}.get(attributes.get("role"), LAYER_COLOR)


# ---------------------------------------------------------------- learning curves


def history_series(history, metric: str | None) -> tuple[dict, dict]:
    """(loss series, metric series) from a History or its `.history` dict.

    Each is {label: values}: "loss"/"val_loss" and every key naming `metric`, e.g. for
    metric "accuracy" both "accuracy" and, with several outputs, "income_accuracy".
    Raises ValueError naming the recorded keys when `metric` was not recorded.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(
            "plot_history needs what model.fit(...) returned (a History with "
            "recorded epochs); this one has no recorded values."
        )
    losses = {key: logs[key] for key in ("loss", "val_loss") if key in logs}
    if metric is None:
        return losses, {}
    wanted = {metric, *_ALIASES.get(metric, ())}
    metrics = {
        key: values
        for key, values in logs.items()
        if _training_key(key) in wanted or any(_training_key(key).endswith("_" + w) for w in wanted)
    }
    if metric == "loss":  # the total is the left panel already: here, each output's own loss
        metrics = {key: values for key, values in metrics.items() if key not in losses}
    if not metrics:
        recorded = ", ".join(sorted(k for k in logs if not k.startswith("val_")))
        raise ValueError(
            f"no metric named {metric!r} was recorded during fit. Recorded: {recorded}. "
            "Use one of these names, or add the metric to compile(metrics=[...])."
        )
    return losses, metrics


_ALIASES = {
    "acc": ("accuracy",),
    "accuracy": ("acc",),
    "mae": ("mean_absolute_error",),
    "mean_absolute_error": ("mae",),
}


def _training_key(key: str) -> str:
    return key[len("val_") :] if key.startswith("val_") else key


def history_figure(history, metric: str | None = None, chance=None):
    """Loss (left) and metric (right) per epoch; solid = training, dashed = validation.

    `chance`: what guessing scores on the right panel, drawn as a dotted line: one number,
    or {curve name: number} with several outputs (e.g. {"income_accuracy": 0.1}).
    """
    losses, metrics = history_series(history, metric)
    total_title, metric_title = _panel_titles(history, metric)
    panels = [(total_title, losses, None)] + ([(metric_title, metrics, chance)] if metrics else [])
    figure, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 3.6), squeeze=False)
    for ax, (title, series, levels) in zip(axes[0], panels):
        colours = _plot_series(ax, series)
        chance_drawn = _draw_chance(ax, levels, colours)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        _legend(ax, colours, chance_drawn)
    figure.tight_layout()
    return figure


def _panel_titles(history, metric: str | None) -> tuple[str, str | None]:
    """With several outputs the left panel is the weighted total, the right one each output's own."""
    logs = getattr(history, "history", history)
    several_outputs = any(k.endswith("_loss") and _training_key(k) != "loss" for k in logs)
    total = "loss: weighted total of the outputs" if several_outputs else "loss"
    if metric == "loss":
        return total, "each output's own loss (unweighted)"
    return total, metric


def _draw_chance(ax, levels, colours: dict) -> bool:
    """Dotted lines at the guessing level(s); True when at least one was drawn."""
    if levels is None:
        return False
    if not isinstance(levels, dict):
        levels = {None: levels}
    for name, level in levels.items():
        colour = colours.get(name, "0.4") if name is not None else "0.4"
        ax.axhline(float(level), color=colour, linestyle=":", linewidth=1.2, label="chance")
    return bool(levels)


def _legend(ax, colours: dict, chance: bool = False) -> None:
    """One entry per curve name (its colour) and one per line style, not one per line."""
    from matplotlib.lines import Line2D

    if len(colours) <= 1:
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles))
        ax.legend(unique.values(), unique.keys(), fontsize=8)
        return
    handles = [Line2D([], [], color=colour, label=name) for name, colour in colours.items()]
    styles = [("-", "training"), ("--", "validation")] + ([(":", "chance (guessing)")] if chance else [])
    handles += [Line2D([], [], color="0.3", linestyle=style, label=label) for style, label in styles]
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _plot_series(ax, series: dict) -> dict:
    """Draw every series; returns {curve name: colour}, training and validation sharing one."""
    colors = {}
    for key, values in series.items():
        base = _training_key(key)
        color = colors.setdefault(base, f"C{len(colors) % 10}")
        values = [float(v) for v in values]
        epochs = range(1, len(values) + 1)
        validation = key.startswith("val_")
        ax.plot(
            epochs,
            values,
            linestyle="--" if validation else "-",
            color=color,
            marker="o" if len(values) <= 12 else None,
            markersize=3,
            label=f"{base} ({'validation' if validation else 'training'})",
        )
    if series:
        longest = max(len(v) for v in series.values())
        ax.set_xticks(range(1, longest + 1, max(1, math.ceil(longest / 10))))
    return colors
