"""residual_identity: (32, 32, 128) → relu Conv2D(128, 3, same) ×3, add of that and the input.
residual_projection: (32, 32, 64) → relu Conv2D(128, 3, same) ×2 → MaxPooling2D(2, strides 2);
shortcut Conv2D(128, 1, strides 2, same) without activation; add of the two → (None, 16, 16, 128)."""

import keras
import pytest
from feedback_expectations import Absent, OnOneLine, assert_accepted, assert_rejected
from keras import layers
from reference_models import build_residual_identity, build_residual_projection

from checker import check

IDENTITY = "residual_identity"
PROJECTION = "residual_projection"


def conv(filters, kernel, name, strides=1, padding="same", activation="relu"):
    return layers.Conv2D(filters, kernel, strides=strides, padding=padding, activation=activation, name=name)


# ================================================================ residual_identity


def identity(convs=None, merge=None, shape=(32, 32, 128), shortcut_from="input", after_merge=None):
    """Named layers; `convs` replaces the three convolutions, `shortcut_from` picks the skipped tensor."""
    x = keras.Input(shape=shape, name="block_input")
    convs = convs or [conv(128, 3, f"conv_{i}") for i in (1, 2, 3)]
    tensors = [x]
    for layer in convs:
        tensors.append(layer(tensors[-1]))
    skipped = {"input": x, "conv_1": tensors[1], "conv_2": tensors[2]}[shortcut_from]
    y = (merge or layers.Add(name="residual_add"))([tensors[-1], skipped])
    if after_merge is not None:
        y = after_merge(y)
    return keras.Model(x, y)


def identity_add_layer_input_first():
    x = keras.Input(shape=(32, 32, 128))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    return keras.Model(x, layers.Add()([x, y]))


def identity_tuples_and_relu_layers():
    x = keras.Input(shape=(32, 32, 128))
    y = layers.ReLU()(layers.Conv2D(128, (3, 3), strides=(1, 1), padding="same")(x))
    y = layers.Activation("relu")(layers.Conv2D(128, (3, 3), padding="same")(y))
    y = layers.ReLU()(layers.Conv2D(128, (3, 3), padding="same")(y))
    return keras.Model(inputs=x, outputs=layers.add([x, y]))


def identity_layers_reused_from_a_list():
    stack = [layers.Conv2D(filters=128, kernel_size=3, padding="same", activation="relu") for _ in range(3)]
    x = keras.Input(shape=(32, 32, 128), name="features")
    y = x
    for layer in stack:
        y = layer(y)
    return keras.Model(x, layers.add([y, x]), name="identity_block")


IDENTITY_CORRECT = [
    build_residual_identity,
    lambda: identity(),
    identity_add_layer_input_first,
    identity_tuples_and_relu_layers,
    identity_layers_reused_from_a_list,
]


def _id(f):
    return "named_layers" if f.__name__ == "<lambda>" else f.__name__


@pytest.mark.parametrize("build", IDENTITY_CORRECT, ids=_id)
def test_equivalent_identity_block_is_accepted(build):
    assert_accepted(check(build(), IDENTITY))


def identity_with_zero_padding_and_valid_conv():
    """The middle convolution pads by hand and uses padding="valid": shapes still match, the network differs."""
    return identity(
        convs=[
            conv(128, 3, "conv_1"),
            layers.ZeroPadding2D(1, name="manual_padding"),
            conv(128, 3, "conv_2_valid", padding="valid"),
            conv(128, 3, "conv_3"),
        ]
    )


IDENTITY_WRONG = {
    "shortcut_from_first_conv": (lambda: identity(shortcut_from="conv_1"), [("shortcut", "conv_1")]),
    "shortcut_from_second_conv": (lambda: identity(shortcut_from="conv_2"), [("shortcut", "conv_2")]),
    "concatenate_instead_of_add": (
        lambda: identity(merge=layers.Concatenate(name="joined")),
        [("add",), ("concatenate", "joined")],
    ),
    "multiply_instead_of_add": (
        lambda: identity(merge=layers.Multiply(name="product")),
        ["product", ("add",)],
    ),
    "only_two_convs": (
        lambda: identity(convs=[conv(128, 3, "conv_1"), conv(128, 3, "conv_2")]),
        [OnOneLine("missing", "conv2d")],
    ),
    "four_convs": (
        lambda: identity(convs=[conv(128, 3, f"conv_{i}") for i in (1, 2, 3, 4)]),
        [OnOneLine("extra", "conv"), Absent(OnOneLine("shortcut", "wrong"))],
    ),
    "middle_conv_64_filters": (
        lambda: identity(convs=[conv(128, 3, "conv_1"), conv(64, 3, "narrow_conv"), conv(128, 3, "conv_3")]),
        ["narrow_conv", "64", "128"],
    ),
    "kernel_1": (
        lambda: identity(
            convs=[conv(128, 3, "conv_1"), conv(128, 1, "pointwise_conv"), conv(128, 3, "conv_3")]
        ),
        ["pointwise_conv", "1", "3"],
    ),
    "last_conv_without_relu": (
        lambda: identity(
            convs=[
                conv(128, 3, "conv_1"),
                conv(128, 3, "conv_2"),
                conv(128, 3, "linear_conv", activation=None),
            ]
        ),
        ["linear_conv", "relu"],
    ),
    "relu_after_add": (lambda: identity(after_merge=layers.ReLU(name="post_add_relu")), ["post_add_relu"]),
    "manual_zero_padding_and_valid_conv": (
        identity_with_zero_padding_and_valid_conv,
        [("manual_padding", "zeropadding"), ("padding",)],
    ),
    "input_with_64_channels": (
        lambda: identity(
            convs=[conv(128, 3, "conv_1"), conv(128, 3, "conv_2"), conv(64, 3, "conv_3")], shape=(32, 32, 64)
        ),
        [OnOneLine("input", "128")],
    ),
}


@pytest.mark.parametrize("name", IDENTITY_WRONG)
def test_identity_block_mistake_is_rejected_and_named(name):
    build, keywords = IDENTITY_WRONG[name]
    assert_rejected(check(build(), IDENTITY), *keywords)


# ================================================================ residual_projection


def projection(main=None, shortcut=None, pool=None, merge=None, shortcut_from="input"):
    x = keras.Input(shape=(32, 32, 64), name="block_input")
    first = conv(128, 3, "conv_1")(x)
    second = (main or conv(128, 3, "conv_2"))(first)
    pooled = (pool or layers.MaxPooling2D(2, strides=2, name="pool"))(second)
    source = {"input": x, "conv_1": first}[shortcut_from]
    residual = (shortcut or conv(128, 1, "shortcut_conv", strides=2, activation=None))(source)
    return keras.Model(x, (merge or layers.Add(name="residual_add"))([pooled, residual]))


def projection_shortcut_first_and_add_layer():
    x = keras.Input(shape=(32, 32, 64))
    residual = layers.Conv2D(128, 1, strides=2, padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.MaxPooling2D(2, strides=2)(y)
    return keras.Model(x, layers.Add()([residual, y]))


def projection_tuples_default_pool_strides_linear_shortcut():
    x = keras.Input(shape=(32, 32, 64))
    y = layers.Conv2D(128, (3, 3), activation="relu", padding="same")(x)
    y = layers.Conv2D(128, (3, 3), activation="relu", padding="same")(y)
    y = layers.MaxPooling2D(pool_size=(2, 2))(y)
    residual = layers.Conv2D(128, (1, 1), strides=(2, 2), padding="same", activation="linear")(x)
    return keras.Model(x, layers.add([y, residual]))


def projection_relu_layers():
    x = keras.Input(shape=(32, 32, 64))
    y = layers.ReLU()(layers.Conv2D(128, 3, padding="same")(x))
    y = layers.ReLU()(layers.Conv2D(128, 3, padding="same")(y))
    y = layers.MaxPooling2D((2, 2), strides=(2, 2))(y)
    return keras.Model(x, layers.add([layers.Conv2D(128, 1, strides=2, padding="same")(x), y]))


PROJECTION_CORRECT = [
    build_residual_projection,
    lambda: projection(),
    projection_shortcut_first_and_add_layer,
    projection_tuples_default_pool_strides_linear_shortcut,
    projection_relu_layers,
]


@pytest.mark.parametrize("build", PROJECTION_CORRECT, ids=_id)
def test_equivalent_projection_block_is_accepted(build):
    assert_accepted(check(build(), PROJECTION))


PROJECTION_WRONG = {
    "shortcut_from_first_conv": (lambda: projection(shortcut_from="conv_1"), [("shortcut",), "conv_1"]),
    "shortcut_with_relu": (
        lambda: projection(shortcut=conv(128, 1, "shortcut_conv", strides=2)),
        ["shortcut_conv", "relu"],
    ),
    "shortcut_kernel_3": (
        lambda: projection(shortcut=conv(128, 3, "shortcut_conv", strides=2, activation=None)),
        ["shortcut_conv", "3", "1"],
    ),
    "shortcut_is_a_nested_pool_and_conv": (
        lambda: projection(
            shortcut=keras.Sequential(
                [
                    layers.AveragePooling2D(2, name="shortcut_pool"),
                    conv(128, 1, "shortcut_conv", activation=None),
                ],
                name="shortcut_stack",
            )
        ),
        [("shortcut_pool", "shortcut_stack", "average", "sequential"), Absent(OnOneLine("missing", "relu"))],
    ),
    "average_pooling": (
        lambda: projection(pool=layers.AveragePooling2D(2, strides=2, name="avg_pool")),
        [("avg_pool", "averagepooling2d"), ("maxpooling2d", "max")],
    ),
    "pool_3_same": (
        lambda: projection(pool=layers.MaxPooling2D(3, strides=2, padding="same", name="pool")),
        ["pool", "3", "2"],
    ),
    "second_conv_and_shortcut_64_filters": (
        lambda: projection(
            main=conv(64, 3, "narrow_conv"), shortcut=conv(64, 1, "shortcut_conv", strides=2, activation=None)
        ),
        ["narrow_conv", "64", "128"],
    ),
    "concatenate_instead_of_add": (
        lambda: projection(merge=layers.Concatenate(name="joined")),
        [("add",), ("concatenate", "joined")],
    ),
    "subtract_instead_of_add": (
        lambda: projection(merge=layers.Subtract(name="difference")),
        ["difference", ("add",)],
    ),
    "identity_block_given": (build_residual_identity, [OnOneLine("input", "64")]),
}


@pytest.mark.parametrize("name", PROJECTION_WRONG)
def test_projection_block_mistake_is_rejected_and_named(name):
    build, keywords = PROJECTION_WRONG[name]
    assert_rejected(check(build(), PROJECTION), *keywords)


def build_identity_without_padding():
    """Valid convolutions shrink the tensor, so the add cannot join it with the input."""
    x = keras.Input(shape=(32, 32, 128))
    y = layers.Conv2D(128, 3, activation="relu")(x)
    y = layers.Conv2D(128, 3, activation="relu")(y)
    y = layers.Conv2D(128, 3, activation="relu")(y)
    return keras.Model(x, layers.add([y, x]))


def test_an_add_that_does_not_build_for_lack_of_padding_says_padding_not_projection():
    report = check(build_identity_without_padding, IDENTITY)
    assert_rejected(
        report, "build_identity_without_padding()", OnOneLine("heights and widths", 'padding="same"')
    )
    assert report.score == 0
