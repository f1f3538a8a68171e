"""Turn whatever a learner hands in into a plain, JSON-safe description.

Grading works on this description only, so the same verdict can be computed in the
learner's kernel and in a clean process that never imports learner code.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path

from checker.observe.activation_effect import name_activations_by_effect

FORMAT = "checker-description/1"


class Unreadable(Exception):
    """The learner's model itself failed to describe itself (e.g. get_config of a custom layer)."""


def describe(obj) -> dict:
    """Describe a model (or anything else) as plain data; never raises.

    A model whose own methods fail gives kind "broken" (the learner can act on it); a
    failure of the checker's own code gives kind "checker_error", never blamed on the model.

    >>> describe(None)["kind"]
    'none'
    """
    try:
        return _describe(obj)
    except Unreadable as exc:
        cause = exc.__cause__ or exc
        return {
            "format": FORMAT,
            "kind": "broken",
            "type": _type_name(obj),
            "error": f"{type(cause).__name__}: {cause}",
        }
    except Exception as exc:  # noqa: BLE001 - a checker bug must not look like the learner's fault
        return {
            "format": FORMAT,
            "kind": "checker_error",
            "type": _type_name(obj),
            "error": f"{type(exc).__name__}: {exc} ({_where(exc)})",
        }


def _where(exc: Exception) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f"at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else "no traceback"


def _model_config(model, get_config=None) -> dict:
    """`model.get_config()`, as plain data; what the model's own code raises is the model's problem."""
    try:
        config = get_config(model) if get_config else model.get_config()
    except Exception as exc:  # noqa: BLE001 - e.g. a custom layer without get_config
        raise Unreadable(str(exc)) from exc
    return name_activations_by_effect(model, _plain(config))


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

    from checker.observe.functional_config import functional_config

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
            "config": _model_config(obj),
            **_compile_part(obj),
        }
    if isinstance(obj, keras.Model):
        if _is_functional(obj):
            return {
                **base,
                "kind": "functional",
                "class_name": type(obj).__name__,
                "config": _model_config(obj, functional_config),
                "output_shapes": _output_shapes(obj),
                "output_shape_list": [_shape(tensor.shape) for tensor in obj.outputs],
                **_compile_part(obj),
                **_unconnected(obj),
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
    try:
        compile_config = model.get_compile_config()
    except Exception as exc:  # noqa: BLE001 - e.g. a custom loss that cannot be serialised
        raise Unreadable(str(exc)) from exc
    return {"compiled": True, "compile": _plain(compile_config)}


def _unconnected(model) -> dict:
    """`_left_out_layers`, which only ever adds to the feedback: never a reason to fail."""
    try:
        return _left_out_layers(model)
    except Exception:  # noqa: BLE001 - Keras internals it reads may change; the model is still graded
        return {}


def _left_out_layers(model, limit: int = 50) -> dict:
    """Layers the learner called on the model's tensors that are not part of the model: nothing
    that leads to an output takes their output (an Embedding whose result the next layer of its
    branch does not take, a head left out of keras.Model(outputs=...)), and the layers after them.
    Keras leaves them out of the model's config; feedback can still name them. No key for most
    models: one pass over the consumers of the model's layers."""
    import keras

    found = []
    in_model = {id(layer) for layer in model.layers}
    queue = list(model.layers)
    seen = set(in_model)
    while queue and len(found) < limit:
        for node in list(getattr(queue.pop(0), "_outbound_nodes", [])):
            layer = node.operation
            if id(layer) in seen or not hasattr(layer, "get_config"):
                continue
            seen.add(id(layer))
            if isinstance(layer, keras.Model):  # a whole nested model: its config is too big to keep
                continue
            try:
                config = _plain(layer.get_config())
            except Exception:  # noqa: BLE001 - a layer that cannot say its config is simply not named
                continue
            tensors = node.arguments.keras_tensors
            sources = [
                [tensor._keras_history.operation.name, tensor._keras_history.node_index] for tensor in tensors
            ]
            found.append(
                {
                    "name": layer.name,
                    "node": layer._inbound_nodes.index(node),
                    "class_name": type(layer).__name__,
                    "config": config,
                    "sources": sources,
                    "in_shape": _shape_without_batch(tensors[0]) if tensors else None,
                }
            )
            queue.append(layer)
    return {"unconnected": found} if found else {}


def _shape_without_batch(tensor) -> list | None:
    """A tensor's shape without the batch axis (unknown sizes as None), or None if it has none."""
    try:
        return [None if size is None else int(size) for size in tuple(tensor.shape)[1:]]
    except Exception:  # noqa: BLE001 - the shape only helps compare padding; never a reason to fail
        return None


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
        model = _rebuilt(data)
        if model is not None:
            description["output_shapes"] = _output_shapes(model)
            description["output_shape_list"] = [_shape(tensor.shape) for tensor in model.outputs]
        else:
            description["output_shapes"] = None
    return description


def _rebuilt(data: dict):
    """The model a `to_json()` file describes, or None when Keras cannot rebuild it here."""
    try:
        import keras

        return keras.models.model_from_json(json.dumps(data))
    except Exception:  # noqa: BLE001 - without the model, the outputs' shapes are simply not checked
        return None


def _shape(shape) -> list:
    return [None if d is None else int(d) for d in shape]


def _plain(value):
    """Round-trip through JSON so the description holds only plain data."""
    return json.loads(json.dumps(value, default=repr))


def _type_name(obj) -> str:
    kind = type(obj)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
