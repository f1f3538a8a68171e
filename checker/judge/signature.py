"""Which settings of a layer define the network, normalised so equal networks compare equal.

`settings(class_name, config, input_rank)` keeps only what the contract grades (units,
filters, kernel size, strides, padding, activation, ...), with Keras' defaults filled in
and ints widened to tuples, so `Conv2D(128, 3)` and `Conv2D(128, (3, 3))` agree.
"""

from __future__ import annotations

from collections import Counter

CONV = ("filters", "kernel_size", "strides", "padding", "activation")
POOL = ("pool_size", "strides", "padding")
RECURRENT = ("units", "return_sequences")

GRADED_SETTINGS: dict[str, tuple[str, ...]] = {
    "Dense": ("units", "activation"),
    "Embedding": ("input_dim", "output_dim"),
    "LSTM": RECURRENT,
    "GRU": RECURRENT,
    "SimpleRNN": RECURRENT,
    "Conv1D": CONV,
    "Conv2D": CONV,
    "SeparableConv2D": CONV,
    "MaxPooling1D": POOL,
    "MaxPooling2D": POOL,
    "AveragePooling1D": POOL,
    "AveragePooling2D": POOL,
    "Concatenate": ("axis",),
    "Activation": ("activation",),
    "Dropout": ("rate",),
    "Functional": ("model",),
}

DEFAULTS = {"strides": 1, "padding": "valid", "activation": "linear", "return_sequences": False, "axis": -1}

SPATIAL_RANK = {
    "Conv1D": 1,
    "Conv2D": 2,
    "SeparableConv2D": 2,
    "MaxPooling1D": 1,
    "MaxPooling2D": 2,
    "AveragePooling1D": 1,
    "AveragePooling2D": 2,
}

# Layers that are nothing but an activation; folded into the layer before them when possible.
ACTIVATION_LAYERS = {"Activation", "ReLU", "Softmax"}

# Class histograms of known nested models, to recognise `keras.applications.Xception(...)`.
KNOWN_MODELS = {
    "xception": {
        "Activation": 35,
        "Add": 12,
        "BatchNormalization": 40,
        "Conv2D": 6,
        "InputLayer": 1,
        "MaxPooling2D": 4,
        "SeparableConv2D": 34,
    },
}
KNOWN_MODEL_CALLS = {"xception": "keras.applications.Xception(weights=None, include_top=False)"}


def settings(class_name: str, config: dict, input_rank: int | None = None, in_shape=None) -> dict:
    """The graded settings of one layer, normalised.

    `in_shape` (the input's shape without the batch axis, when known) decides whether the
    padding setting changes anything: where `"same"` adds no padding, the setting is left out,
    so `"same"` and `"valid"` compare equal there.

    >>> settings("Conv2D", {"filters": 8, "kernel_size": 3})
    {'filters': 8, 'kernel_size': (3, 3), 'strides': (1, 1), 'padding': 'valid', 'activation': 'linear'}
    >>> settings("Conv2D", {"filters": 8, "kernel_size": 1, "padding": "same"}, 4, (32, 32, 3))
    {'filters': 8, 'kernel_size': (1, 1), 'strides': (1, 1), 'activation': 'linear'}
    """
    if class_name == "Functional":
        return {"model": config.get("model") or known_model_name(config)}
    keys = GRADED_SETTINGS.get(class_name, ())
    defaults = {**DEFAULTS, "strides": None} if "pool_size" in keys else DEFAULTS
    found = {key: config.get(key, defaults.get(key)) for key in keys}
    rank = SPATIAL_RANK.get(class_name)
    if rank:
        for key in ("kernel_size", "pool_size", "strides"):
            if key in found:
                found[key] = _tuple(found[key], rank)
        if "pool_size" in found and found["strides"] is None:
            found["strides"] = found["pool_size"]
    if "activation" in found:
        found["activation"] = activation_name(found["activation"])
    if class_name == "Concatenate" and input_rank and found["axis"] >= 0:
        found["axis"] -= input_rank
    if "padding" in found and isinstance(found["padding"], str):
        found["padding"] = found["padding"].lower()
    if rank and "padding" in found and not padding_matters(found, _spatial(in_shape, rank, config), config):
        del found["padding"]
    return found


def padding_matters(found: dict, spatial: tuple, config: dict) -> bool:
    """Whether padding="same" adds any padding to a convolution or pooling on this input.

    Keras pads max((out - 1) * stride + kernel - size, 0) with out = ceil(size / stride); where
    that is 0 on every axis, "same" and "valid" compute the same thing (a 1x1 convolution, a
    2x2 pooling with strides 2 on an even size). An unknown size counts as padded, unless the
    kernel is 1 (never padded).

    >>> padding_matters({"pool_size": (2, 2), "strides": (2, 2)}, (32, 32), {})
    False
    >>> padding_matters({"pool_size": (2, 2), "strides": (2, 2)}, (31, 32), {})
    True
    """
    kernel = found.get("kernel_size") or found.get("pool_size")
    strides = found.get("strides") or (1,) * len(kernel)
    dilation = _tuple(config.get("dilation_rate", 1), len(kernel))
    for size, k, stride, rate in zip(spatial, kernel, strides, dilation):
        extent = (k - 1) * rate + 1
        if extent == 1:
            continue
        if size is None:
            return True
        out = -(-size // stride)
        if (out - 1) * stride + extent - size > 0:
            return True
    return False


def _spatial(in_shape, rank: int, config: dict) -> tuple:
    """The spatial sizes of an input shape (no batch axis); unknown ones as None."""
    if not in_shape or len(in_shape) != rank + 1:
        return (None,) * rank
    if config.get("data_format") == "channels_first":
        return tuple(in_shape[1:])
    return tuple(in_shape[:rank])


def output_shape(class_name: str, config: dict, in_shapes: list) -> tuple | None:
    """The output shape (no batch axis) of a spec layer, for the classes specs use; else None.

    >>> output_shape("Conv2D", {"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}, [(32, 32, 3)])
    (16, 16, 8)
    """
    first = in_shapes[0] if in_shapes else None
    if first is None:
        return None
    rank = SPATIAL_RANK.get(class_name)
    if rank:
        found = settings(class_name, config)
        kernel = found.get("kernel_size") or found.get("pool_size")
        padding = str(config.get("padding", "valid")).lower()
        sizes = [_output_size(n, k, s, padding) for n, k, s in zip(first[:rank], kernel, found["strides"])]
        return (*sizes, config.get("filters", first[-1]))
    if class_name in ("Dense", "LSTM", "GRU", "SimpleRNN"):
        if class_name != "Dense" and not config.get("return_sequences"):
            return (config["units"],)
        return (*first[:-1], config["units"])
    if class_name == "Embedding":
        return (*first, config["output_dim"])
    if class_name == "Concatenate" and all(s is not None for s in in_shapes):
        return (*first[:-1], sum(s[-1] for s in in_shapes))
    if class_name in ("Add", "Activation", "Dropout"):
        return first
    if class_name.startswith("Global"):
        return (first[-1],)
    return None


def _output_size(size, kernel: int, stride: int, padding: str):
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


def activation_layer_name(class_name: str, config: dict) -> str | None:
    """The activation an Activation / ReLU / Softmax layer applies; None if it is not a plain one."""
    if class_name == "Activation":
        return activation_name(config.get("activation"))
    if class_name == "ReLU":
        plain = (
            config.get("max_value") is None
            and not config.get("negative_slope")
            and not config.get("threshold")
        )
        return "relu" if plain else None
    if class_name == "Softmax":
        return "softmax" if config.get("axis", -1) == -1 else None
    return None


# TensorFlow functions that Keras serialises by their Python name, not the activation's name.
TENSORFLOW_ALIASES = {"softmax_v2": "softmax", "log_softmax_v2": "log_softmax"}


def activation_name(value) -> str:
    """The activation's name, from a string or a serialised object or function.

    >>> activation_name({"module": "builtins", "class_name": "function", "config": "softmax_v2"})
    'softmax'
    """
    if value is None:
        return "linear"
    if isinstance(value, dict):  # a serialised activation object or function
        inner = value.get("config")
        if isinstance(inner, str):  # a plain function (e.g. tf.nn.softmax), by its Python name
            value = inner
        else:
            value = (inner or {}).get("name") or value.get("class_name", "custom")
    name = str(value).lower()
    return TENSORFLOW_ALIASES.get(name, name)


def known_model_name(config: dict) -> str:
    """'xception' when a nested model has Xception's layers, else 'custom'."""
    histogram = Counter(layer["class_name"] for layer in config.get("layers", []))
    for name, expected in KNOWN_MODELS.items():
        if histogram == Counter(expected):
            return name
    return "custom"


def layer_histogram_difference(config: dict, model_name: str) -> tuple[Counter, Counter]:
    """(missing, extra) layer classes of a nested model compared with a known one."""
    found = Counter(layer["class_name"] for layer in config.get("layers", []))
    expected = Counter(KNOWN_MODELS[model_name])
    return expected - found, found - expected


POSITIONAL = ("input_dim", "output_dim", "units", "filters", "rate", "kernel_size", "pool_size")
SHOWN_ONLY_IF_CHANGED = ("strides", "return_sequences", "axis")


def render(class_name: str, found: dict) -> str:
    """A short, readable label of a layer's graded settings.

    >>> render("Conv2D", settings("Conv2D", {"filters": 8, "kernel_size": 3, "padding": "same"}))
    "Conv2D(8, 3, padding='same', activation='linear')"
    """
    if class_name == "Functional":
        return KNOWN_MODEL_CALLS.get(found.get("model"), "a nested model of your own")
    parts = []
    for key, value in found.items():
        shown = _compact(value)
        if key in POSITIONAL:
            parts.append(str(shown))
        elif key in SHOWN_ONLY_IF_CHANGED and shown == _compact(default_of(key, found)):
            continue
        else:
            parts.append(f"{key}={shown!r}")
    return f"{class_name}({', '.join(parts)})"


def default_of(key: str, found: dict, missing=None):
    """Keras' default of a setting: a pooling layer's strides default to its pool size, not 1.

    >>> default_of("strides", {"pool_size": (3, 3), "strides": (1, 1)}), default_of("strides", {})
    ((3, 3), 1)
    """
    if key == "strides" and "pool_size" in found:
        return found["pool_size"]
    return DEFAULTS.get(key, missing)


def describe_difference(key: str, expected, found) -> str:
    return f"{key}={_compact(found)!r} where {_compact(expected)!r} is expected"


def _compact(value):
    if isinstance(value, tuple) and len(set(value)) == 1:
        return value[0]
    return value


def _tuple(value, rank: int):
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * rank if value is not None else None
