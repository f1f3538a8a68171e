"""describe()'s copy-free config equals Keras' own get_config(), so descriptions do not change."""

import json

import keras
import pytest
from keras import layers
from reference_models import GRAPH_EXERCISES, ONE_WRONG_DETAIL, reference

from checker.observe.functional_config import functional_config


def plain(config):
    return json.loads(json.dumps(config, default=repr))


def shared_submodel_called_twice():
    """A nested model used twice (two nodes of its own), with an output used by two layers."""
    inner_input = keras.Input((4,))
    inner = keras.Model(inner_input, layers.Dense(3, name="inner_dense")(inner_input), name="inner")
    left, right = keras.Input((4,), name="left"), keras.Input((4,), name="right")
    joined = layers.concatenate([inner(left), inner(right)], name="joined")
    return keras.Model({"left": left, "right": right}, [layers.Dense(1)(joined), joined])


class ConfiguredFunctional(keras.Model):
    """A functional model whose class overrides get_config: its own method must be used."""

    def get_config(self):
        return {"made_by": "the learner"}


@pytest.mark.parametrize("exercise", GRAPH_EXERCISES)
def test_equals_get_config_on_every_reference_and_mistake(exercise):
    for model in (reference(exercise), ONE_WRONG_DETAIL[exercise]()):
        assert plain(functional_config(model)) == plain(model.get_config())


def test_equals_get_config_with_a_nested_model_called_twice_and_dict_inputs():
    model = shared_submodel_called_twice()
    assert plain(functional_config(model)) == plain(model.get_config())
    assert functional_config(model)["layers"][2]["inbound_nodes"]  # the nested model's two calls


def test_a_class_with_its_own_get_config_keeps_it():
    inputs = keras.Input((2,))
    model = ConfiguredFunctional(inputs, layers.Dense(1)(inputs))
    assert functional_config(model) == {"made_by": "the learner"}


def test_a_get_config_set_on_the_model_itself_is_used_and_left_in_place():
    inner_input = keras.Input((2,))
    inner = keras.Model(inner_input, layers.Dense(1)(inner_input), name="inner")
    inner.__dict__["get_config"] = lambda: {"made_by": "the learner", "name": "inner"}
    outer_input = keras.Input((2,))
    outer = keras.Model(outer_input, inner(outer_input))
    assert plain(functional_config(outer)) == plain(outer.get_config())
    assert inner.get_config() == {"made_by": "the learner", "name": "inner"}
