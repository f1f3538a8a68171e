"""The instructor's reference answer to every graph exercise, written from the course contract.

Each builder returns a fresh model exactly as docs/exercises.md (made from checker/judge/exercises.py) says
(the notebooks keep their own copies of the solutions). Tests build these once per module:
`reference(exercise_id)` caches one model per exercise, since Keras takes 50-200 ms per model
and about a second for Xception.
"""

from __future__ import annotations

import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from keras import layers  # noqa: E402

PROFILING_LOSSES = {"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"}
PROFILING_LOSS_WEIGHTS = {"age": 0.25, "income": 1.0, "gender": 10.0}


def build_functional_mlp():
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def build_qa_model():
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text))
    encoded_question = layers.LSTM(16)(layers.Embedding(10000, 32)(question))
    merged = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(500, activation="softmax")(merged)
    model = keras.Model([text, question], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


def profiling_trunk(posts):
    """Embedding → Conv1D stack → GlobalMaxPooling1D → Dense(128): everything before the heads."""
    x = layers.Embedding(50000, 256)(posts)
    x = layers.Conv1D(128, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    return layers.Dense(128, activation="relu")(x)


def build_profiling_model():
    posts = keras.Input(shape=(None,), dtype="int32", name="posts")
    x = profiling_trunk(posts)
    age = layers.Dense(1, name="age")(x)
    income = layers.Dense(10, activation="softmax", name="income")(x)
    gender = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = keras.Model(posts, [age, income, gender])
    model.compile(optimizer="rmsprop", loss=dict(PROFILING_LOSSES), loss_weights=dict(PROFILING_LOSS_WEIGHTS))
    return model


def build_inception_block():
    x = keras.Input(shape=(32, 32, 64))
    branch_a = layers.Conv2D(128, 1, strides=2, activation="relu", padding="same")(x)
    branch_b = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    branch_b = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(branch_b)
    branch_c = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    branch_c = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_c)
    branch_d = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    branch_d = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_d)
    branch_d = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(branch_d)
    output = layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=-1)
    return keras.Model(x, output)


def build_residual_identity():
    x = keras.Input(shape=(32, 32, 128))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    return keras.Model(x, layers.add([y, x]))


def build_residual_projection():
    x = keras.Input(shape=(32, 32, 64))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.MaxPooling2D(2, strides=2)(y)
    residual = layers.Conv2D(128, 1, strides=2, padding="same")(x)
    return keras.Model(x, layers.add([y, residual]))


def build_siamese_lstm():
    left = keras.Input(shape=(None, 128))
    right = keras.Input(shape=(None, 128))
    lstm = layers.LSTM(32)
    merged = layers.concatenate([lstm(left), lstm(right)], axis=-1)
    prediction = layers.Dense(1, activation="sigmoid")(merged)
    return keras.Model([left, right], prediction)


def xception_base():
    return keras.applications.Xception(weights=None, include_top=False)


def build_shared_vision():
    base = xception_base()
    left = keras.Input(shape=(250, 250, 3))
    right = keras.Input(shape=(250, 250, 3))
    merged = layers.concatenate([base(left), base(right)], axis=-1)
    return keras.Model([left, right], merged)


BUILDERS = {
    "functional_mlp": build_functional_mlp,
    "qa_model": build_qa_model,
    "profiling_model": build_profiling_model,
    "inception_block": build_inception_block,
    "residual_identity": build_residual_identity,
    "residual_projection": build_residual_projection,
    "siamese_lstm": build_siamese_lstm,
    "shared_vision": build_shared_vision,
}
GRAPH_EXERCISES = list(BUILDERS)
EXPECTED_OUTPUT_SHAPES = {
    "functional_mlp": [(None, 10)],
    "qa_model": [(None, 500)],
    "profiling_model": [(None, 1), (None, 10), (None, 1)],
    "inception_block": [(None, 16, 16, 512)],
    "residual_identity": [(None, 32, 32, 128)],
    "residual_projection": [(None, 16, 16, 128)],
    "siamese_lstm": [(None, 1)],
    "shared_vision": [(None, 8, 8, 4096)],
}


@functools.cache
def reference(exercise_id: str):
    """One shared reference model per exercise and process; do not mutate it."""
    return BUILDERS[exercise_id]()


# ---------------------------------------------------------------- one typical mistake per exercise
# Used where any wrong answer will do: round trips through saved files, the latency bench.


def mlp_with_narrow_hidden():
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(16, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def qa_with_mse():
    source = reference("qa_model")
    model = keras.Model(source.inputs, source.outputs)
    model.compile(optimizer="rmsprop", loss="mse", metrics=["acc"])
    return model


def profiling_with_equal_weights():
    source = reference("profiling_model")
    model = keras.Model(source.inputs, source.outputs)
    model.compile(
        optimizer="rmsprop",
        loss={"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
        loss_weights=[1.0, 1.0, 1.0],
    )
    return model


def inception_with_narrow_branch():
    x = keras.Input(shape=(32, 32, 64))
    a = layers.Conv2D(64, 1, strides=2, activation="relu", padding="same")(x)
    b = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    b = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(b)
    c = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    c = layers.Conv2D(128, 3, activation="relu", padding="same")(c)
    d = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    d = layers.Conv2D(128, 3, activation="relu", padding="same")(d)
    d = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(d)
    return keras.Model(x, layers.concatenate([a, b, c, d]))


def identity_with_shortcut_from_first_conv():
    x = keras.Input(shape=(32, 32, 128))
    first = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(first)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    return keras.Model(x, layers.add([y, first]))


def projection_with_relu_shortcut():
    x = keras.Input(shape=(32, 32, 64))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.MaxPooling2D(2, strides=2)(y)
    return keras.Model(
        x, layers.add([y, layers.Conv2D(128, 1, strides=2, padding="same", activation="relu")(x)])
    )


def siamese_with_two_lstms():
    left = keras.Input(shape=(None, 128))
    right = keras.Input(shape=(None, 128))
    merged = layers.concatenate([layers.LSTM(32)(left), layers.LSTM(32)(right)])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(merged))


def vision_with_two_xceptions():
    left = keras.Input(shape=(250, 250, 3))
    right = keras.Input(shape=(250, 250, 3))
    left_base = keras.applications.Xception(weights=None, include_top=False, name="xception_left")
    right_base = keras.applications.Xception(weights=None, include_top=False, name="xception_right")
    return keras.Model([left, right], layers.concatenate([left_base(left), right_base(right)]))


ONE_WRONG_DETAIL = {
    "functional_mlp": mlp_with_narrow_hidden,
    "qa_model": qa_with_mse,
    "profiling_model": profiling_with_equal_weights,
    "inception_block": inception_with_narrow_branch,
    "residual_identity": identity_with_shortcut_from_first_conv,
    "residual_projection": projection_with_relu_shortcut,
    "siamese_lstm": siamese_with_two_lstms,
    "shared_vision": vision_with_two_xceptions,
}
