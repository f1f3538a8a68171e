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


def settings(class_name: str, config: dict, input_rank: int | None = None) -> dict:
    """The graded settings of one layer, normalised.

    >>> settings("Conv2D", {"filters": 8, "kernel_size": 3})
    {'filters': 8, 'kernel_size': (3, 3), 'strides': (1, 1), 'padding': 'valid', 'activation': 'linear'}
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
    return found


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


def activation_name(value) -> str:
    if value is None:
        return "linear"
    if isinstance(value, dict):  # a serialised activation object or function
        value = value.get("config", {}).get("name") or value.get("class_name", "custom")
    name = str(value).lower()
    return {"relu": "relu", "softmax": "softmax", "sigmoid": "sigmoid"}.get(name, name)


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
        elif key in SHOWN_ONLY_IF_CHANGED and shown == DEFAULTS[key]:
            continue
        else:
            parts.append(f"{key}={shown!r}")
    return f"{class_name}({', '.join(parts)})"


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
