"""inception_block: input (32, 32, 64), four branches concatenated on the channel axis → (None, 16, 16, 512).

a: relu Conv2D(128, 1, strides 2, same)
b: relu Conv2D(128, 1, same) → relu Conv2D(128, 3, strides 2, same)
c: AveragePooling2D(3, strides 2, same) → relu Conv2D(128, 3, same)
d: relu Conv2D(128, 1, same) → relu Conv2D(128, 3, same) → relu Conv2D(128, 3, strides 2, same)
"""

import keras
import pytest
from feedback_expectations import Absent, OnOneLine, assert_accepted, assert_nothing_right, assert_rejected
from keras import layers
from reference_models import build_inception_block

from checker import check
from checker.autograde import grade

EXERCISE = "inception_block"


def conv(filters, kernel, name, strides=1, padding="same", activation="relu"):
    return layers.Conv2D(filters, kernel, strides=strides, padding=padding, activation=activation, name=name)


def inception(
    a=None, b=None, c=None, d=None, merge=None, shape=(32, 32, 64), order="abcd", extra_branch=False
):
    """The block with named layers; pass a function(x) -> tensor to replace one branch."""
    x = keras.Input(shape=shape, name="image")
    branches = {
        "a": (a or standard_a)(x),
        "b": (b or standard_b)(x),
        "c": (c or standard_c)(x),
        "d": (d or standard_d)(x),
    }
    if extra_branch:
        branches["e"] = conv(128, 1, "branch_e_1x1", strides=2)(x)
        order += "e"
    merged = (merge or layers.Concatenate(axis=-1, name="merge"))(
        [branches[k] for k in order if k in branches]
    )
    return keras.Model(x, merged)


def standard_a(x):
    return conv(128, 1, "branch_a_1x1", strides=2)(x)


def standard_b(x):
    return conv(128, 3, "branch_b_3x3", strides=2)(conv(128, 1, "branch_b_1x1")(x))


def standard_c(x):
    pooled = layers.AveragePooling2D(3, strides=2, padding="same", name="branch_c_pool")(x)
    return conv(128, 3, "branch_c_3x3")(pooled)


def standard_d(x):
    y = conv(128, 1, "branch_d_1x1")(x)
    y = conv(128, 3, "branch_d_3x3")(y)
    return conv(128, 3, "branch_d_3x3_stride", strides=2)(y)


# ---------------------------------------------------------------- equivalent answers


def branches_merged_in_reverse_order():
    return inception(order="dcba")


def branches_built_last_first():
    x = keras.Input(shape=(32, 32, 64))
    d = standard_d(x)
    c = standard_c(x)
    b = standard_b(x)
    a = standard_a(x)
    return keras.Model(x, layers.concatenate([b, d, a, c]))


def concatenate_on_axis_3():
    return inception(merge=layers.Concatenate(axis=3))


def tuples_everywhere():
    x = keras.Input(shape=(32, 32, 64))
    a = layers.Conv2D(128, (1, 1), strides=(2, 2), padding="same", activation="relu")(x)
    b = layers.Conv2D(128, (1, 1), strides=(1, 1), padding="same", activation="relu")(x)
    b = layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same", activation="relu")(b)
    c = layers.AveragePooling2D(pool_size=(3, 3), strides=(2, 2), padding="same")(x)
    c = layers.Conv2D(128, (3, 3), padding="same", activation="relu")(c)
    d = layers.Conv2D(filters=128, kernel_size=(1, 1), padding="same", activation="relu")(x)
    d = layers.Conv2D(filters=128, kernel_size=(3, 3), padding="same", activation="relu")(d)
    d = layers.Conv2D(filters=128, kernel_size=(3, 3), strides=(2, 2), padding="same", activation="relu")(d)
    return keras.Model(inputs=x, outputs=layers.concatenate([a, b, c, d], axis=-1))


def relu_as_separate_layers():
    def relu_conv(filters, kernel, strides=1):
        return lambda t: layers.ReLU()(layers.Conv2D(filters, kernel, strides=strides, padding="same")(t))

    x = keras.Input(shape=(32, 32, 64))
    a = relu_conv(128, 1, 2)(x)
    b = relu_conv(128, 3, 2)(relu_conv(128, 1)(x))
    c = relu_conv(128, 3)(layers.AveragePooling2D(3, strides=2, padding="same")(x))
    d = layers.Activation("relu")(
        layers.Conv2D(128, 3, strides=2, padding="same")(relu_conv(128, 3)(relu_conv(128, 1)(x)))
    )
    return keras.Model(x, layers.Concatenate()([a, b, c, d]))


CORRECT = [
    build_inception_block,
    lambda: inception(),
    branches_merged_in_reverse_order,
    branches_built_last_first,
    concatenate_on_axis_3,
    tuples_everywhere,
    relu_as_separate_layers,
]


def _id(f):
    return "named_layers" if f.__name__ == "<lambda>" else f.__name__


@pytest.mark.parametrize("build", CORRECT, ids=_id)
def test_equivalent_answer_is_accepted(build):
    assert_accepted(check(build(), EXERCISE))


# ---------------------------------------------------------------- mistakes


def b_fed_from_d():
    """Branch b's 3x3 convolution is fed from branch d's 1x1 convolution (b has no 1x1 of its own)."""
    x = keras.Input(shape=(32, 32, 64))
    a = standard_a(x)
    d1 = conv(128, 1, "branch_d_1x1")(x)
    b = conv(128, 3, "branch_b_3x3", strides=2)(d1)
    c = standard_c(x)
    d = conv(128, 3, "branch_d_3x3_stride", strides=2)(conv(128, 3, "branch_d_3x3")(d1))
    return keras.Model(x, layers.concatenate([a, b, c, d]))


WRONG = {
    "branch_a_64_filters": (
        lambda: inception(a=lambda x: conv(64, 1, "branch_a_1x1", strides=2)(x)),
        ["branch_a_1x1", "64", "128"],
    ),
    "branch_c_kernel_5": (
        lambda: inception(
            c=lambda x: conv(128, 5, "branch_c_5x5")(layers.AveragePooling2D(3, strides=2, padding="same")(x))
        ),
        ["branch_c_5x5", "5", "3"],
    ),
    "branch_c_max_pooling": (
        lambda: inception(
            c=lambda x: conv(128, 3, "branch_c_3x3")(
                layers.MaxPooling2D(3, strides=2, padding="same", name="branch_c_maxpool")(x)
            )
        ),
        [("branch_c_maxpool",), ("average",)],
    ),
    "branch_d_middle_conv_without_relu": (
        lambda: inception(
            d=lambda x: conv(128, 3, "branch_d_3x3_stride", strides=2)(
                conv(128, 3, "branch_d_linear", activation=None)(conv(128, 1, "branch_d_1x1")(x))
            )
        ),
        ["branch_d_linear", "relu"],
    ),
    "branch_a_sigmoid": (
        lambda: inception(a=lambda x: conv(128, 1, "branch_a_sigmoid", strides=2, activation="sigmoid")(x)),
        ["branch_a_sigmoid", "sigmoid", "relu"],
    ),
    "branch_a_stride_1_then_pooled": (
        lambda: inception(
            a=lambda x: layers.MaxPooling2D(2, name="branch_a_extra_pool")(conv(128, 1, "branch_a_1x1")(x))
        ),
        ["branch_a_extra_pool"],
    ),
    "branch_d_missing_middle_conv": (
        lambda: inception(
            d=lambda x: conv(128, 3, "branch_d_3x3_stride", strides=2)(conv(128, 1, "branch_d_1x1")(x))
        ),
        [OnOneLine("missing", "conv2d"), Absent(OnOneLine("missing", "strides=2"))],
    ),
    "branch_d_left_out": (
        lambda: inception(order="abc"),
        [("missing", "branch"), ("512", "384"), Absent(OnOneLine("branch_c_3x3", "kernel"))],
    ),
    "fifth_branch": (lambda: inception(extra_branch=True), ["branch_e_1x1"]),
    "branch_b_fed_from_branch_d": (b_fed_from_d, [("branch_b_3x3", "branch_d_1x1")]),
    "add_instead_of_concatenate": (
        lambda: inception(merge=layers.Add(name="merge_add")),
        [("add",), ("concatenate",)],
    ),
    "concatenate_on_width_axis": (
        lambda: inception(merge=layers.Concatenate(axis=2, name="merge")),
        ["merge", ("axis",)],
    ),
    "rgb_input": (lambda: inception(shape=(32, 32, 3)), [OnOneLine("input", "64")]),
}


@pytest.mark.parametrize("name", WRONG)
def test_mistake_is_rejected_and_named(name):
    build, keywords = WRONG[name]
    assert_rejected(check(build(), EXERCISE), *keywords)


def build_inception_block_without_padding():
    """Every branch with Keras' default padding="valid": the branches disagree on height and width."""
    x = keras.Input(shape=(32, 32, 64))
    a = layers.Conv2D(128, 1, strides=2, activation="relu")(x)
    b = layers.Conv2D(128, 1, activation="relu")(x)
    b = layers.Conv2D(128, 3, strides=2, activation="relu")(b)
    c = layers.AveragePooling2D(3, strides=2)(x)
    c = layers.Conv2D(128, 3, activation="relu")(c)
    d = layers.Conv2D(128, 1, activation="relu")(x)
    d = layers.Conv2D(128, 3, activation="relu")(d)
    d = layers.Conv2D(128, 3, strides=2, activation="relu")(d)
    return keras.Model(x, layers.concatenate([a, b, c, d], axis=-1))


def build_inception_block_without_padding_in_branch_c():
    x = keras.Input(shape=(32, 32, 64))
    a = layers.Conv2D(128, 1, strides=2, activation="relu", padding="same")(x)
    b = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    b = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(b)
    c = layers.AveragePooling2D(3, strides=2)(x)
    c = layers.Conv2D(128, 3, activation="relu", padding="same")(c)
    d = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    d = layers.Conv2D(128, 3, activation="relu", padding="same")(d)
    d = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(d)
    return keras.Model(x, layers.concatenate([a, b, c, d], axis=-1))


@pytest.mark.parametrize(
    "builder",
    [build_inception_block_without_padding, build_inception_block_without_padding_in_branch_c],
    ids=lambda f: f.__name__,
)
def test_a_block_that_does_not_build_for_lack_of_padding_scores_zero_and_says_padding(builder):
    with pytest.raises(ValueError):
        builder()  # the premise: Keras refuses to concatenate 16x16 with 15x15 maps
    score = grade(builder, EXERCISE)
    assert float(score) == 0
    assert_nothing_right(score.report, "padding", "same")


def test_the_autograded_cell_gives_full_points_to_the_reference():
    score = grade(build_inception_block, EXERCISE)
    assert float(score) == 10
    assert score.report.passed
