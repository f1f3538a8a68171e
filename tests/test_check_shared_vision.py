"""shared_vision: two inputs (250, 250, 3) → ONE Xception(weights=None, include_top=False) instance on both,
feature maps concatenated on the last axis → (None, 8, 8, 4096).

Xception takes about 3 s to build (20 million weights), so most variants here share one base built for the
module (a learner who keeps a global `base` and runs the builder twice is in the same situation); the tests
about instances build fresh bases.
"""

import functools

import keras
import pytest
from feedback_expectations import OnOneLine, assert_accepted, assert_nothing_right, assert_rejected
from keras import layers
from reference_models import reference, xception_base

from checker import check
from checker.autograde import grade

EXERCISE = "shared_vision"


@functools.cache
def module_base():
    return xception_base()


def two_cameras(base=None, merge=None, shape=(250, 250, 3), names=("left_camera", "right_camera")):
    base = base or module_base()
    left = keras.Input(shape=shape, name=names[0])
    right = keras.Input(shape=shape, name=names[1])
    merged = (merge or layers.Concatenate(axis=-1, name="stereo_features"))([base(left), base(right)])
    return keras.Model([left, right], merged)


# ---------------------------------------------------------------- equivalent answers


def the_reference():
    return reference(EXERCISE)


def right_camera_first():
    base = module_base()
    left = keras.Input(shape=(250, 250, 3))
    right = keras.Input(shape=(250, 250, 3))
    right_features = base(right)
    left_features = base(left)
    return keras.Model([right, left], layers.concatenate([right_features, left_features]))


def concatenate_on_axis_3():
    return two_cameras(merge=layers.Concatenate(axis=3))


def inputs_as_dict():
    base = module_base()
    left = keras.Input(shape=(250, 250, 3), name="left")
    right = keras.Input(shape=(250, 250, 3), name="right")
    return keras.Model({"left": left, "right": right}, layers.concatenate([base(left), base(right)], axis=-1))


def base_with_its_input_shape_given():
    base = keras.applications.Xception(weights=None, include_top=False, input_shape=(250, 250, 3))
    return two_cameras(base=base)


CORRECT = [
    the_reference,
    lambda: two_cameras(),
    right_camera_first,
    concatenate_on_axis_3,
    inputs_as_dict,
    base_with_its_input_shape_given,
]


def _id(f):
    return "named_inputs" if f.__name__ == "<lambda>" else f.__name__


@pytest.mark.parametrize("build", CORRECT, ids=_id)
def test_equivalent_answer_is_accepted(build):
    assert_accepted(check(build(), EXERCISE))


def test_a_global_base_used_by_the_builder_twice_still_passes():
    """A notebook's check cell and autograded cell both call the builder; a global base then has four calls."""
    base = xception_base()
    first, second = two_cameras(base=base), two_cameras(base=base)
    assert_accepted(check(first, EXERCISE))
    assert_accepted(check(second, EXERCISE))


# ---------------------------------------------------------------- mistakes


def separate_xceptions():
    """Two instances, renamed so that Keras accepts them in one model."""
    left = keras.Input(shape=(250, 250, 3))
    right = keras.Input(shape=(250, 250, 3))
    left_base = keras.applications.Xception(weights=None, include_top=False, name="left_xception")
    right_base = keras.applications.Xception(weights=None, include_top=False, name="right_xception")
    return keras.Model([left, right], layers.concatenate([left_base(left), right_base(right)]))


def build_shared_vision_with_two_xceptions():
    """Two instances with Keras' default name: the model itself cannot be built."""
    left = keras.Input(shape=(250, 250, 3))
    right = keras.Input(shape=(250, 250, 3))
    merged = layers.concatenate([xception_base()(left), xception_base()(right)])
    return keras.Model([left, right], merged)


def small_cnn_base():
    """Not Xception, though its feature maps have Xception's shape (8, 8, 2048)."""
    image = keras.Input(shape=(None, None, 3))
    features = layers.Conv2D(2048, 3, strides=32, padding="same", activation="relu", name="big_stride_conv")(
        image
    )
    return keras.Model(image, features, name="my_cnn")


def one_camera():
    base = module_base()
    image = keras.Input(shape=(250, 250, 3), name="only_camera")
    return keras.Model(image, layers.concatenate([base(image), base(image)]))


def extra_dense_on_top():
    base = module_base()
    left = keras.Input(shape=(250, 250, 3))
    right = keras.Input(shape=(250, 250, 3))
    merged = layers.concatenate([base(left), base(right)])
    return keras.Model([left, right], layers.Dense(64, activation="relu", name="extra_dense")(merged))


def pooled_base():
    return two_cameras(base=keras.applications.Xception(weights=None, include_top=False, pooling="avg"))


WRONG = {
    "two_separate_xceptions": (separate_xceptions, [("shared", "instance", "same xception", "one xception")]),
    "add_instead_of_concatenate": (
        lambda: two_cameras(merge=layers.Add(name="summed_features")),
        ["summed_features", ("concatenate",)],
    ),
    "concatenate_on_height_axis": (
        lambda: two_cameras(merge=layers.Concatenate(axis=1, name="stereo_features")),
        ["stereo_features", ("axis",)],
    ),
    "cameras_224": (lambda: two_cameras(shape=(224, 224, 3)), [OnOneLine("input", "250")]),
    "one_camera_twice": (one_camera, [("input",)]),
    "extra_dense_on_top": (extra_dense_on_top, ["extra_dense"]),
    "a_small_cnn_instead_of_xception": (lambda: two_cameras(base=small_cnn_base()), [("xception",)]),
    "xception_with_average_pooling": (pooled_base, [("pool", "avg", "average")]),
}


@pytest.mark.parametrize("name", WRONG)
def test_mistake_is_rejected_and_named(name):
    build, keywords = WRONG[name]
    assert_rejected(check(build(), EXERCISE), *keywords)


def test_a_builder_that_cannot_build_for_two_xceptions_scores_zero_and_says_share():
    score = grade(build_shared_vision_with_two_xceptions, EXERCISE)
    assert float(score) == 0
    assert_nothing_right(score.report, ("shared", "instance", "once"))
