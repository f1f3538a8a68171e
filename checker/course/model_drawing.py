"""`show_model`: a picture of a model's layer graph below the cell, and of each model inside it.

One drawing, two routes: Graphviz's `dot` when it is installed (dot_drawing.py), otherwise
networkx and matplotlib (plotting.py). Both draw the boxes `plotting.layer_graph` describes,
as a PNG of fixed resolution, so that text keeps the same size on every machine.
"""

from __future__ import annotations

import base64
import html
import io
import shutil

from checker.course.skim import SKIPPED_DRAWING, skimming

DRAWING_DPI = 100  # the matplotlib route's PNG: FONT_SIZE points = 11 px at full size
MAX_NESTING = 3  # models inside models inside models: deeper ones stay one box
MAX_NESTED_LAYERS = 40  # a larger model inside (Xception: 132 layers) is named, not drawn: ~1 MB, seconds
GRAPHVIZ_HINT = (
    "(Graphviz `dot` is not installed, so this is the course's simpler layout. "
    "For Graphviz's layout: conda install -c conda-forge graphviz, "
    "or apt-get install graphviz / brew install graphviz.)"
)


def show_model(model, show_shapes: bool = True) -> None:
    """Show the model's layer graph below the cell, and a way to open each model used inside it.

    Each box gives the layer's name, class and key settings, and its output shape; a shared
    layer says how often it is called. A model used as a layer is one box; below the drawing
    a line "Open 'base' ..." unfolds its own drawing. Never raises for a model.

    >>> show_model(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]))  # doctest: +SKIP
    """
    if skimming():
        print(SKIPPED_DRAWING)
        return
    png = model_png(model, show_shapes)
    if png is None:
        return
    _display_png(png)
    inside = nested_models_html(model, show_shapes)
    if inside:
        _display_html(inside)
    if shutil.which("dot") is None:
        print(GRAPHVIZ_HINT)


def model_png(model, show_shapes: bool = True) -> bytes | None:
    """PNG of the model's drawing, by `dot` when it can, else by matplotlib; None after saying why not."""
    from checker.course.dot_drawing import dot_png
    from checker.course.plotting import layer_graph

    title = getattr(model, "name", None)
    try:
        graph = layer_graph(model, show_shapes=show_shapes)
    except Exception as exc:  # a model too broken to describe still must not stop the notebook
        _could_not_draw(exc)
        return None
    return dot_png(graph, title) or _matplotlib_png(graph, title)


def nested_models_html(model, show_shapes: bool = True, depth: int = 1) -> str:
    """HTML <details> per model used as a layer in `model`, each holding that model's drawing."""
    parts = []
    for inner in _nested_models(model):
        if len(inner.layers) > MAX_NESTED_LAYERS:
            parts.append(
                f"<p>{html.escape(inner.name)}, the model used as one layer above, has {len(inner.layers)} "
                f"layers: too many to draw here. <code>model.get_layer({html.escape(repr(inner.name), quote=False)})"
                ".summary()</code> lists them.</p>"
            )
            continue
        png = model_png(inner, show_shapes)
        if png is None:
            continue
        deeper = nested_models_html(inner, show_shapes, depth + 1) if depth < MAX_NESTING else ""
        parts.append(
            "<details><summary>Open <b>{name}</b>: the model used as one layer above ({count} layers)"
            '</summary><img src="data:image/png;base64,{data}" alt="drawing of {name}">{deeper}</details>'.format(
                name=html.escape(inner.name),
                count=len(inner.layers),
                data=base64.b64encode(png).decode("ascii"),
                deeper=deeper,
            )
        )
    return "".join(parts)


def _nested_models(model) -> list:
    import keras

    return [layer for layer in getattr(model, "layers", []) if isinstance(layer, keras.Model)]


def _matplotlib_png(graph, title: str | None) -> bytes | None:
    import matplotlib.pyplot as plt

    from checker.course.plotting import draw_layer_graph

    try:
        figure = draw_layer_graph(graph, title=title)
    except Exception as exc:  # never stop the notebook over a picture
        _could_not_draw(exc)
        return None
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DRAWING_DPI, facecolor="white")
    plt.close(figure)
    return buffer.getvalue()


def _could_not_draw(exc: Exception) -> None:
    print(f"Could not draw this model ({type(exc).__name__}: {exc}); model.summary() lists its layers.")


def _display_png(data: bytes) -> None:
    try:
        from IPython.display import Image, display
    except ImportError:
        return
    display(Image(data=data, format="png"))


def _display_html(text: str) -> None:
    try:
        from IPython.display import HTML, display
    except ImportError:
        return
    display(HTML(text))
