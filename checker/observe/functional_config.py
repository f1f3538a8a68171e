"""A functional model's `get_config()`, without the deep copy Keras makes of it at the end.

`describe()` turns the config into plain data with a JSON round trip, which copies it anyway,
and Keras 3's `Functional.get_config()` ends with `copy.deepcopy(config)`: on the course's
models that copy was about a quarter of what a `check()` takes. This is Keras' own method
(keras/src/models/functional.py) minus that copy, built from the same helpers, and only for
models that use it unchanged, nested ones included; anything else gets `model.get_config()`.
A test holds the two equal on every exercise's reference and mistakes.
"""

from __future__ import annotations


def functional_config(model) -> dict:
    """What `model.get_config()` returns, for a Keras functional model; not a private copy.

    >>> import keras
    >>> inputs = keras.Input((3,))
    >>> model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    >>> functional_config(model) == model.get_config()
    True
    """
    if not _uses_functional_get_config(model):
        return model.get_config()
    return _config(model)


def _config(model) -> dict:
    saved_index = _saved_node_indices(model)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": _layer_configs(model),
        "input_layers": _tensor_configs(model._inputs_struct, saved_index),
        "output_layers": _tensor_configs(model._outputs_struct, saved_index),
    }


def _layer_configs(model) -> list[dict]:
    from keras.src.models.functional import serialize_node
    from keras.src.ops.function import make_node_key
    from keras.src.saving import serialization_lib

    configs = []
    for operation in model.operations:
        inbound = []
        for index, node in enumerate(operation._inbound_nodes):
            if make_node_key(operation, index) in model._nodes:
                data = serialize_node(node, own_nodes=model._nodes)
                if data is not None:
                    inbound.append(data)
        if _uses_functional_get_config(operation):
            config = _nested_model_config(operation)
        else:
            config = serialization_lib.serialize_keras_object(operation)
        config["name"] = operation.name
        config["inbound_nodes"] = inbound
        configs.append(config)
    return configs


def _nested_model_config(model) -> dict:
    """`serialize_keras_object(model)` for a nested functional model (the shared Xception).

    Keras would call its `get_config()` (copy included) and then walk the finished config
    again, value by value, to get the same plain data: about 30,000 calls for an Xception.
    Here Keras only wraps an empty config (module, class, build config), and this module's
    config of the model, plain data already, takes its place.
    """
    from keras.src.saving import serialization_lib

    model.__dict__["get_config"] = dict  # past Keras' __setattr__; `dict()` is an empty config
    try:
        config = serialization_lib.serialize_keras_object(model)
    finally:
        del model.__dict__["get_config"]
    config["config"] = _config(model)
    return config


def _uses_functional_get_config(model) -> bool:
    from keras.src.backend.common import global_state
    from keras.src.models.functional import Functional, functional_like_constructor

    return (
        isinstance(model, Functional)
        and type(model).get_config is Functional.get_config
        and "get_config" not in vars(model)  # nor one set on the instance
        and functional_like_constructor(type(model))
        and not global_state.get_global_attribute("use_legacy_config", False)
    )


def _tensor_configs(tensors, saved_index: dict):
    """[layer name, node index as saved, tensor index] for each tensor, in the inputs' structure."""
    from keras.src import tree

    def tensor_config(tensor):
        operation, node_index, tensor_index = tensor._keras_history
        return [operation.name, saved_index[(id(operation), node_index)], tensor_index]

    return tree.map_structure(tensor_config, tensors)


def _saved_node_indices(model) -> dict:
    """(id(operation), original node index) -> the node's index among those the config keeps."""
    from keras.src.models.functional import Functional
    from keras.src.ops.function import make_node_key

    indices = {}
    for operation in model.operations:
        kept = 1 if isinstance(operation, Functional) else 0  # a nested model's own first node
        for index in range(len(operation._inbound_nodes)):
            if make_node_key(operation, index) in model._nodes:
                indices[(id(operation), index)] = kept
                kept += 1
    return indices
