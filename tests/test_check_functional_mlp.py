"""functional_mlp: input (64,) → Dense(32, relu) → Dense(32, relu) → Dense(10, softmax), a functional Model."""

import keras
import pytest
from feedback_expectations import Absent, OnOneLine, assert_accepted, assert_rejected
from keras import layers
from reference_models import build_functional_mlp

from checker import check

EXERCISE = "functional_mlp"


# ---------------------------------------------------------------- equivalent answers


def other_names():
    features = keras.Input(shape=(64,), name="features")
    x = layers.Dense(32, activation="relu", name="first_hidden")(features)
    x = layers.Dense(32, activation="relu", name="second_hidden")(x)
    probabilities = layers.Dense(10, activation="softmax", name="digit_probabilities")(x)
    return keras.Model(inputs=features, outputs=probabilities, name="my_mlp")


def activation_layers():
    inputs = keras.Input(shape=(64,))
    x = layers.Activation("relu")(layers.Dense(32)(inputs))
    x = layers.Activation("relu")(layers.Dense(32)(x))
    outputs = layers.Activation("softmax")(layers.Dense(10)(x))
    return keras.Model(inputs, outputs)


def relu_and_softmax_layers():
    inputs = keras.Input(shape=(64,))
    x = layers.ReLU()(layers.Dense(32)(inputs))
    x = layers.ReLU()(layers.Dense(32)(x))
    outputs = layers.Softmax()(layers.Dense(10)(x))
    return keras.Model(inputs, outputs)


def mixed_activation_styles():
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.ReLU()(layers.Dense(32)(x))
    outputs = layers.Softmax()(layers.Dense(10)(x))
    return keras.Model(inputs, outputs)


def activation_functions_not_strings():
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation=keras.activations.relu)(inputs)
    x = layers.Dense(32, activation=keras.activations.relu)(x)
    outputs = layers.Dense(10, activation=keras.activations.softmax)(x)
    return keras.Model(inputs, outputs)


def home_made_activations_that_compute_relu_and_softmax():
    """Fair by effect: a lambda or a learner's own function is judged by what it computes."""

    def my_softmax(x):
        return keras.ops.exp(x) / keras.ops.sum(keras.ops.exp(x), axis=-1, keepdims=True)

    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation=lambda t: keras.ops.maximum(t, 0.0))(inputs)
    x = layers.Activation(lambda t: keras.ops.relu(t))(layers.Dense(32)(x))
    outputs = layers.Dense(10, activation=my_softmax)(x)
    return keras.Model(inputs, outputs)


def layers_created_before_use():
    hidden_1 = layers.Dense(units=32, activation="relu")
    hidden_2 = layers.Dense(units=32, activation="relu")
    classifier = layers.Dense(units=10, activation="softmax")
    inputs = keras.layers.Input(shape=[64], dtype="float32")
    return keras.Model(inputs, classifier(hidden_2(hidden_1(inputs))))


def input_and_output_in_lists():
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model([inputs], [outputs])


def input_as_dict():
    inputs = keras.Input(shape=(64,), name="pixels")
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model({"pixels": inputs}, outputs)


def compiled_anyway():
    model = build_functional_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


CORRECT = [
    home_made_activations_that_compute_relu_and_softmax,
    build_functional_mlp,
    other_names,
    activation_layers,
    relu_and_softmax_layers,
    mixed_activation_styles,
    activation_functions_not_strings,
    layers_created_before_use,
    input_and_output_in_lists,
    input_as_dict,
    compiled_anyway,
]


@pytest.mark.parametrize("build", CORRECT, ids=lambda f: f.__name__)
def test_equivalent_answer_is_accepted(build):
    assert_accepted(check(build(), EXERCISE))


# ---------------------------------------------------------------- mistakes


def _relu_in_name_only(x):
    return keras.ops.abs(x)


_relu_in_name_only.__name__ = "relu"


def mlp(units=(32, 32, 10), activations=("relu", "relu", "softmax"), shape=(64,), names=("h1", "h2", "out")):
    inputs = keras.Input(shape=shape)
    x = inputs
    for n, activation, name in zip(units, activations, names):
        x = layers.Dense(n, activation=activation, name=name)(x)
    return keras.Model(inputs, x)


def sequential():
    return keras.Sequential(
        [
            keras.Input(shape=(64,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


class SubclassedMLP(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden_1 = layers.Dense(32, activation="relu")
        self.hidden_2 = layers.Dense(32, activation="relu")
        self.classifier = layers.Dense(10, activation="softmax")

    def call(self, inputs):
        return self.classifier(self.hidden_2(self.hidden_1(inputs)))


def subclassed():
    model = SubclassedMLP()
    model(keras.ops.zeros((1, 64)))
    return model


def missing_hidden_layer():
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation="relu", name="only_hidden")(inputs)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def extra_dropout():
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dropout(0.5, name="extra_dropout")(x)
    x = layers.Dense(32, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def extra_hidden_layer():
    return mlp(
        units=(32, 32, 32, 10),
        activations=("relu",) * 3 + ("softmax",),
        names=("hidden_one", "hidden_two", "hidden_three", "classifier"),
    )


def skip_wired_output():
    """The classifier reads the first hidden layer; the second one is computed but unused."""
    inputs = keras.Input(shape=(64,))
    first = layers.Dense(32, activation="relu", name="first_hidden")(inputs)
    second = layers.Dense(32, activation="relu", name="second_hidden")(first)
    merged = layers.concatenate([first, second], name="joined")
    return keras.Model(inputs, layers.Dense(10, activation="softmax", name="classifier")(merged))


def unused_extra_input():
    inputs = keras.Input(shape=(64,), name="features")
    extra = keras.Input(shape=(8,), name="unused_extra")
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(32, activation="relu")(x)
    return keras.Model([inputs, extra], layers.Dense(10, activation="softmax")(x))


WRONG = {
    "a_function_named_relu_that_is_not_relu": (
        lambda: mlp(activations=(_relu_in_name_only, "relu", "softmax"), names=("h1", "h2", "out")),
        ["h1", "relu", "your own function"],
    ),
    "second_hidden_has_16_units": (
        lambda: mlp(units=(32, 16, 10), names=("h1", "narrow_hidden", "out")),
        ["narrow_hidden", "16", "32"],
    ),
    "first_hidden_tanh": (
        lambda: mlp(activations=("tanh", "relu", "softmax"), names=("tanh_hidden", "h2", "out")),
        ["tanh_hidden", "tanh", "relu"],
    ),
    "output_without_softmax": (
        lambda: mlp(activations=("relu", "relu", None), names=("h1", "h2", "logits")),
        ["logits", "softmax"],
    ),
    "output_sigmoid": (
        lambda: mlp(activations=("relu", "relu", "sigmoid"), names=("h1", "h2", "scores")),
        ["scores", "sigmoid", "softmax"],
    ),
    "output_has_5_units": (
        lambda: mlp(units=(32, 32, 5), names=("h1", "h2", "five_way")),
        ["five_way", "5", "10"],
    ),
    "input_shape_32": (lambda: mlp(shape=(32,)), [("input",), "64"]),
    "missing_hidden_layer": (
        missing_hidden_layer,
        [OnOneLine("missing", "32"), Absent(OnOneLine("missing", "softmax"))],
    ),
    "extra_dropout": (extra_dropout, [("dropout",)]),
    "extra_hidden_layer": (
        extra_hidden_layer,
        [OnOneLine("extra", ("hidden_two", "hidden_three")), Absent(OnOneLine("extra", "softmax"))],
    ),
    "output_fed_from_a_merge": (skip_wired_output, [("joined", "concatenate")]),
    "sequential": (sequential, ["sequential", ("functional", "keras.model", "keras.input")]),
    "subclassed": (subclassed, [("subclass",)]),
    "unused_extra_input": (unused_extra_input, ["unused_extra"]),
}


@pytest.mark.parametrize("name", WRONG)
def test_mistake_is_rejected_and_named(name):
    build, keywords = WRONG[name]
    assert_rejected(check(build(), EXERCISE), *keywords)
