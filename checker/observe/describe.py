"""Turn whatever a learner hands in into a plain, JSON-safe description.

Grading works on this description only, so the same verdict can be computed in the
learner's kernel and in a clean process that never imports learner code.
"""

from __future__ import annotations

import json
from pathlib import Path

FORMAT = "checker-description/1"


def describe(obj) -> dict:
    """Describe a model (or anything else) as plain data; never raises.

    >>> describe(None)["kind"]
    'none'
    """
    try:
        return _describe(obj)
    except Exception as exc:  # a broken object must still get a readable verdict
        return {
            "format": FORMAT,
            "kind": "broken",
            "type": _type_name(obj),
            "error": f"{type(exc).__name__}: {exc}",
        }


def save_description(obj, path) -> dict:
    """Describe `obj` and write the description as JSON to `path`.

    >>> save_description(None, "/tmp/none.json")["kind"]
    'none'
    """
    description = describe(obj)
    Path(path).write_text(json.dumps(description))
    return description


def load_description(path) -> dict:
    """Read a file written by `save_description` or by Keras' `model.to_json()`.

    Raises ValueError with a readable message when the file is neither.
    """
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a JSON file ({exc})") from None
    return from_json_data(data, source=str(path))


def from_json_data(data, source: str = "the description") -> dict:
    if isinstance(data, dict) and data.get("format") == FORMAT:
        return data
    if isinstance(data, dict) and "class_name" in data and "config" in data:
        return _from_keras_json(data)
    raise ValueError(
        f"{source} is neither a checker description nor a Keras model.to_json() file. "
        "Write one with checker.save_description(model, 'model.json')."
    )


def _describe(obj) -> dict:
    base = {"format": FORMAT, "type": _type_name(obj)}
    if obj is None:
        return {**base, "kind": "none"}
    import keras  # imported late: `python -m checker list` must not pay for TensorFlow

    if isinstance(obj, type):
        kind = "layer_class" if issubclass(obj, keras.layers.Layer) else "class"
        return {**base, "kind": kind, "name": obj.__name__}
    if isinstance(obj, keras.KerasTensor):
        return {**base, "kind": "tensor", "shape": _shape(obj.shape)}
    if isinstance(obj, keras.Sequential):
        return {
            **base,
            "kind": "sequential",
            "class_name": "Sequential",
            "config": _plain(obj.get_config()),
            **_compile_part(obj),
        }
    if isinstance(obj, keras.Model):
        if _is_functional(obj):
            return {
                **base,
                "kind": "functional",
                "class_name": type(obj).__name__,
                "config": _plain(obj.get_config()),
                "output_shapes": _output_shapes(obj),
                **_compile_part(obj),
            }
        return {**base, "kind": "subclassed", "class_name": type(obj).__name__}
    if isinstance(obj, keras.layers.Layer):
        return {**base, "kind": "layer", "class_name": type(obj).__name__}
    if callable(obj):
        return {**base, "kind": "function", "name": getattr(obj, "__name__", repr(obj))}
    if isinstance(obj, (tuple, list)):
        return {**base, "kind": "sequence", "length": len(obj)}
    return {**base, "kind": "other", "repr": repr(obj)[:80]}


def _is_functional(model) -> bool:
    from keras.src.models.functional import Functional

    return isinstance(model, Functional)


def _compile_part(model) -> dict:
    if not getattr(model, "compiled", False):
        return {"compiled": False, "compile": None}
    return {"compiled": True, "compile": _plain(model.get_compile_config())}


def _output_shapes(model) -> dict:
    """Shape of each output tensor, keyed like the config's output_layers: 'layer:node:tensor'."""
    shapes = {}
    for tensor in model.outputs:
        layer, node_index, tensor_index = tensor._keras_history
        shapes[f"{layer.name}:{node_index}:{tensor_index}"] = _shape(tensor.shape)
    return shapes


def _from_keras_json(data: dict) -> dict:
    """A raw `model.to_json()` file: compile settings as saved, output shapes found by rebuilding.

    Keras 3 writes the compile settings of a compiled model as a top-level `compile_config`.
    """
    kind = {"Sequential": "sequential", "Functional": "functional", "Model": "functional"}.get(
        data["class_name"], "subclassed"
    )
    compile_config = data.get("compile_config") or None
    description = {
        "format": FORMAT,
        "type": data["class_name"],
        "kind": kind,
        "class_name": data["class_name"],
        "config": data["config"],
        "compiled": compile_config is not None,
        "compile": compile_config,
        "source": "model.to_json()",
    }
    if kind == "functional":
        description["output_shapes"] = _rebuilt_output_shapes(data)
    return description


def _rebuilt_output_shapes(data: dict) -> dict | None:
    try:
        import keras

        model = keras.models.model_from_json(json.dumps(data))
        return _output_shapes(model)
    except Exception:
        return None


def _shape(shape) -> list:
    return [None if d is None else int(d) for d in shape]


def _plain(value):
    """Round-trip through JSON so the description holds only plain data."""
    return json.loads(json.dumps(value, default=repr))


def _type_name(obj) -> str:
    kind = type(obj)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
