"""siamese_lstm: two inputs (None, 128) → ONE LSTM(32) instance on both → Concatenate → Dense(1, sigmoid)."""

import keras
import pytest
from feedback_expectations import OnOneLine, assert_accepted, assert_rejected
from keras import layers
from reference_models import build_siamese_lstm

from checker import check

EXERCISE = "siamese_lstm"


def siamese(
    encoder=lambda name: layers.LSTM(32, name=name),
    shared=True,
    merge=None,
    shape=(None, 128),
    head=None,
    extra_input=False,
):
    """Named layers; `shared=False` gives each input its own encoder instance."""
    left = keras.Input(shape=shape, name="left")
    right = keras.Input(shape=shape, name="right")
    left_encoder = encoder("shared_lstm" if shared else "left_lstm")
    right_encoder = left_encoder if shared else encoder("right_lstm")
    merged = (merge or layers.Concatenate(name="merged"))([left_encoder(left), right_encoder(right)])
    prediction = (head or layers.Dense(1, activation="sigmoid", name="same_speaker"))(merged)
    inputs = [left, right] + ([keras.Input(shape=shape, name="unused_third")] if extra_input else [])
    return keras.Model(inputs, prediction)


# ---------------------------------------------------------------- equivalent answers


def merged_right_first_and_inputs_reversed():
    left = keras.Input(shape=(None, 128))
    right = keras.Input(shape=(None, 128))
    lstm = layers.LSTM(units=32)
    right_code = lstm(right)
    left_code = lstm(left)
    merged = layers.concatenate([right_code, left_code], axis=-1)
    return keras.Model([right, left], layers.Dense(1, activation="sigmoid")(merged))


def sigmoid_as_a_layer():
    left = keras.Input(shape=(None, 128))
    right = keras.Input(shape=(None, 128))
    lstm = layers.LSTM(32)
    score = layers.Dense(1)(layers.Concatenate(axis=-1)([lstm(left), lstm(right)]))
    return keras.Model([left, right], layers.Activation("sigmoid")(score))


def inputs_as_dict():
    left = keras.Input(shape=(None, 128), name="left_sequence")
    right = keras.Input(shape=(None, 128), name="right_sequence")
    lstm = layers.LSTM(32)
    merged = layers.concatenate([lstm(left), lstm(right)])
    return keras.Model(
        {"left_sequence": left, "right_sequence": right}, layers.Dense(1, activation="sigmoid")(merged)
    )


def concatenate_on_axis_1():
    return siamese(merge=layers.Concatenate(axis=1, name="merged"))


CORRECT = [
    build_siamese_lstm,
    lambda: siamese(),
    merged_right_first_and_inputs_reversed,
    sigmoid_as_a_layer,
    inputs_as_dict,
    concatenate_on_axis_1,
]


def _id(f):
    return "named_layers" if f.__name__ == "<lambda>" else f.__name__


@pytest.mark.parametrize("build", CORRECT, ids=_id)
def test_equivalent_answer_is_accepted(build):
    assert_accepted(check(build(), EXERCISE))


# ---------------------------------------------------------------- mistakes


def one_input_encoded_twice():
    """Only one Input: the shared LSTM is called twice on the same tensor."""
    sequence = keras.Input(shape=(None, 128), name="only_input")
    lstm = layers.LSTM(32)
    merged = layers.concatenate([lstm(sequence), lstm(sequence)])
    return keras.Model(sequence, layers.Dense(1, activation="sigmoid")(merged))


def encoder_used_on_left_only():
    """The right input goes straight into the merge without the LSTM."""
    left = keras.Input(shape=(None, 128), name="left")
    right = keras.Input(shape=(None, 128), name="right")
    encoded = layers.LSTM(32, name="shared_lstm")(left)
    right_last_step = layers.GlobalMaxPooling1D(name="right_pool")(right)
    merged = layers.concatenate([encoded, right_last_step])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(merged))


WRONG = {
    "two_separate_lstms": (lambda: siamese(shared=False), [("shared", "instance", "one lstm", "same lstm")]),
    "lstm_64_units": (
        lambda: siamese(encoder=lambda name: layers.LSTM(64, name=name)),
        ["shared_lstm", "64", "32"],
    ),
    "shared_gru": (
        lambda: siamese(encoder=lambda name: layers.GRU(32, name=name)),
        ["shared_lstm", "gru", "lstm"],
    ),
    "two_separate_grus": (
        lambda: siamese(encoder=lambda name: layers.GRU(32, name=name), shared=False),
        ["gru", "lstm"],
    ),
    "add_instead_of_concatenate": (
        lambda: siamese(merge=layers.Add(name="summed")),
        ["summed", ("concatenate",)],
    ),
    "softmax_output": (
        lambda: siamese(head=layers.Dense(1, activation="softmax", name="same_speaker")),
        ["same_speaker", "softmax", "sigmoid"],
    ),
    "two_units_out": (
        lambda: siamese(head=layers.Dense(2, activation="sigmoid", name="same_speaker")),
        ["same_speaker", "2", "1"],
    ),
    "extra_dense_before_output": (
        lambda: siamese(
            head=lambda t: layers.Dense(1, activation="sigmoid", name="same_speaker")(
                layers.Dense(16, activation="relu", name="extra_hidden")(t)
            )
        ),
        ["extra_hidden"],
    ),
    "features_64": (lambda: siamese(shape=(None, 64)), [OnOneLine("input", "128")]),
    "fixed_length_sequences": (lambda: siamese(shape=(10, 128)), [OnOneLine("input", "none")]),
    "one_input_encoded_twice": (one_input_encoded_twice, [("input",)]),
    "right_side_not_encoded": (encoder_used_on_left_only, ["right_pool"]),
    "unused_third_input": (lambda: siamese(extra_input=True), ["unused_third"]),
}


@pytest.mark.parametrize("name", WRONG)
def test_mistake_is_rejected_and_named(name):
    build, keywords = WRONG[name]
    assert_rejected(check(build(), EXERCISE), *keywords)


def test_separate_instances_cost_points_but_not_all():
    report = check(siamese(shared=False), EXERCISE)
    assert 0 < report.score < report.max_score, str(report)


def two_sequential_encoders():
    """Each input read by its own keras.Sequential([LSTM(32)]): nested models, Keras-named."""
    left, right = keras.Input(shape=(None, 128)), keras.Input(shape=(None, 128))
    left_encoder, right_encoder = keras.Sequential([layers.LSTM(32)]), keras.Sequential([layers.LSTM(32)])
    merged = layers.concatenate([left_encoder(left), right_encoder(right)])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(merged))


def one_sequential_encoder_shared():
    left, right = keras.Input(shape=(None, 128)), keras.Input(shape=(None, 128))
    encoder = keras.Sequential([layers.LSTM(32)])
    merged = layers.concatenate([encoder(left), encoder(right)])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(merged))


def test_a_shared_nested_encoder_shares_its_layers():
    assert_accepted(check(one_sequential_encoder_shared(), EXERCISE))


def test_separate_nested_encoders_are_separate_instances_named_without_keras_names():
    report = check(two_sequential_encoders(), EXERCISE)
    assert_rejected(report, "separate instances", "first nested Sequential", "second nested Sequential")
    assert "sequential_" not in str(report) and "lstm_" not in str(report)
    assert report.score <= 5, str(report)
