"""qa_model: `text` and `question` (None,) int32 → Embedding + LSTM each → Concatenate → Dense(500, softmax);
compiled with rmsprop, categorical_crossentropy, metric acc."""

import keras
import pytest
from feedback_expectations import assert_accepted, assert_rejected
from keras import layers
from reference_models import build_qa_model

from checker import check

EXERCISE = "qa_model"
COMPILE = {"optimizer": "rmsprop", "loss": "categorical_crossentropy", "metrics": ["acc"]}


def qa(
    text_dims=(10000, 64),
    question_dims=(10000, 32),
    text_units=32,
    question_units=16,
    answers=500,
    activation="softmax",
    names=("text", "question"),
    dtype="int32",
    shape=(None,),
    recurrent=layers.LSTM,
    compile=COMPILE,
    merge=layers.concatenate,
):
    """The QA model with one detail changed; layer names say which branch they belong to."""
    text = keras.Input(shape=shape, dtype=dtype, name=names[0])
    question = keras.Input(shape=shape, dtype=dtype, name=names[1])
    encoded_text = recurrent(text_units, name="text_encoder")(
        layers.Embedding(*text_dims, name="text_embedding")(text)
    )
    encoded_question = recurrent(question_units, name="question_encoder")(
        layers.Embedding(*question_dims, name="question_embedding")(question)
    )
    merged = merge([encoded_text, encoded_question])
    answer = layers.Dense(answers, activation=activation, name="answer")(merged)
    model = keras.Model([text, question], answer)
    if compile is not None:
        model.compile(**compile)
    return model


# ---------------------------------------------------------------- equivalent answers


def question_branch_first_and_merged_first():
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_question = layers.LSTM(16)(layers.Embedding(10000, 32)(question))
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text))
    merged = layers.Concatenate(axis=-1)([encoded_question, encoded_text])
    model = keras.Model([question, text], layers.Dense(500, activation="softmax")(merged))
    model.compile(**COMPILE)
    return model


def concatenate_layer_on_axis_1():
    return qa(merge=layers.Concatenate(axis=1))


def softmax_as_its_own_layer():
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = layers.LSTM(32)(layers.Embedding(input_dim=10000, output_dim=64)(text))
    encoded_question = layers.LSTM(16)(layers.Embedding(input_dim=10000, output_dim=32)(question))
    scores = layers.Dense(500)(layers.concatenate([encoded_text, encoded_question]))
    model = keras.Model([text, question], layers.Softmax()(scores))
    model.compile(**COMPILE)
    return model


def softmax_activation_layer():
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text))
    encoded_question = layers.LSTM(16)(layers.Embedding(10000, 32)(question))
    scores = layers.Dense(500)(layers.concatenate([encoded_text, encoded_question]))
    model = keras.Model([text, question], layers.Activation("softmax")(scores))
    model.compile(**COMPILE)
    return model


def inputs_as_dict():
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text))
    encoded_question = layers.LSTM(16)(layers.Embedding(10000, 32)(question))
    answer = layers.Dense(500, activation="softmax")(layers.concatenate([encoded_text, encoded_question]))
    model = keras.Model({"text": text, "question": question}, answer)
    model.compile(**COMPILE)
    return model


def optimizer_instance():
    return qa(compile=dict(COMPILE, optimizer=keras.optimizers.RMSprop()))


def optimizer_instance_with_its_own_learning_rate():
    return qa(compile=dict(COMPILE, optimizer=keras.optimizers.RMSprop(learning_rate=1e-3)))


def metric_spelled_accuracy():
    return qa(compile=dict(COMPILE, metrics=["accuracy"]))


def loss_instance():
    return qa(compile=dict(COMPILE, loss=keras.losses.CategoricalCrossentropy()))


def int64_token_ids():
    """The same ids in a wider integer type: the Embedding computes the same thing."""
    return qa(dtype="int64")


def keyword_compile_and_model_name():
    model = qa(compile=None)
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["acc"])
    return model


CORRECT = [
    build_qa_model,
    question_branch_first_and_merged_first,
    concatenate_layer_on_axis_1,
    softmax_as_its_own_layer,
    softmax_activation_layer,
    inputs_as_dict,
    optimizer_instance,
    optimizer_instance_with_its_own_learning_rate,
    metric_spelled_accuracy,
    loss_instance,
    keyword_compile_and_model_name,
    int64_token_ids,
    lambda: qa(),
]


@pytest.mark.parametrize(
    "build", CORRECT, ids=lambda f: f.__name__ if f.__name__ != "<lambda>" else "helper_default"
)
def test_equivalent_answer_is_accepted(build):
    assert_accepted(check(build(), EXERCISE))


# ---------------------------------------------------------------- mistakes


def unused_extra_input():
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    extra = keras.Input(shape=(None,), dtype="int32", name="story_id")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text))
    encoded_question = layers.LSTM(16)(layers.Embedding(10000, 32)(question))
    answer = layers.Dense(500, activation="softmax")(layers.concatenate([encoded_text, encoded_question]))
    model = keras.Model([text, question, extra], answer)
    model.compile(**COMPILE)
    return model


def question_reads_the_text_input():
    """Both encoders read `text`; the `question` input is declared but never used."""
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text))
    encoded_question = layers.LSTM(16)(layers.Embedding(10000, 32, name="question_embedding")(text))
    answer = layers.Dense(500, activation="softmax")(layers.concatenate([encoded_text, encoded_question]))
    model = keras.Model([text, question], answer)
    model.compile(**COMPILE)
    return model


def extra_dense_before_answer():
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text))
    encoded_question = layers.LSTM(16)(layers.Embedding(10000, 32)(question))
    hidden = layers.Dense(64, activation="relu", name="extra_hidden")(
        layers.concatenate([encoded_text, encoded_question])
    )
    model = keras.Model([text, question], layers.Dense(500, activation="softmax")(hidden))
    model.compile(**COMPILE)
    return model


def answer_from_text_only():
    """The question branch is computed but the answer reads only the text encoding."""
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = layers.LSTM(32, name="text_encoder")(layers.Embedding(10000, 64)(text))
    layers.LSTM(16)(layers.Embedding(10000, 32)(question))
    model = keras.Model(
        [text, question], layers.Dense(500, activation="softmax", name="answer")(encoded_text)
    )
    model.compile(**COMPILE)
    return model


WRONG = {
    "embedding_dims_of_branches_swapped": (
        lambda: qa(text_dims=(10000, 32), question_dims=(10000, 64)),
        [("text_embedding", "question_embedding"), "64", "32"],
    ),
    "text_lstm_16_units": (lambda: qa(text_units=16), ["text_encoder", "16", "32"]),
    "embedding_vocabulary_1000": (
        lambda: qa(question_dims=(1000, 32)),
        ["question_embedding", "1000", "10000"],
    ),
    "embedding_arguments_swapped": (lambda: qa(text_dims=(64, 10000)), ["text_embedding", ("swap", "order")]),
    "gru_instead_of_lstm": (lambda: qa(recurrent=layers.GRU), ["gru", "lstm"]),
    "answer_vocabulary_100": (lambda: qa(answers=100), ["answer", "100", "500"]),
    "answer_without_softmax": (lambda: qa(activation=None), ["answer", "softmax"]),
    "add_instead_of_concatenate": (
        lambda: qa(question_units=32, merge=layers.add),
        [("add",), ("concatenate",)],
    ),
    "input_named_story": (lambda: qa(names=("story", "question")), ["story", "text"]),
    "float_inputs": (lambda: qa(dtype="float32"), ["float32", "int32"]),
    "fixed_length_inputs": (lambda: qa(shape=(100,)), ["100", ("none", "any length", "variable")]),
    "not_compiled": (lambda: qa(compile=None), ["compile"]),
    "loss_mse": (
        lambda: qa(compile=dict(COMPILE, loss="mse")),
        [("mse", "mean_squared_error"), "categorical_crossentropy"],
    ),
    "loss_sparse_categorical": (
        lambda: qa(compile=dict(COMPILE, loss="sparse_categorical_crossentropy")),
        ["sparse_categorical_crossentropy", "categorical_crossentropy"],
    ),
    "optimizer_adam": (lambda: qa(compile=dict(COMPILE, optimizer="adam")), ["adam", "rmsprop"]),
    "optimizer_adam_instance": (
        lambda: qa(compile=dict(COMPILE, optimizer=keras.optimizers.Adam())),
        ["adam", "rmsprop"],
    ),
    "no_metric": (lambda: qa(compile=dict(COMPILE, metrics=None)), [("metric",), "acc"]),
    "unused_extra_input": (unused_extra_input, ["story_id"]),
    "question_encoder_reads_text": (
        question_reads_the_text_input,
        [("question_embedding", "unused", "not used")],
    ),
    "extra_dense_before_answer": (extra_dense_before_answer, ["extra_hidden"]),
    "answer_ignores_question": (answer_from_text_only, [("concatenat", "answer")]),
}


@pytest.mark.parametrize("name", WRONG)
def test_mistake_is_rejected_and_named(name):
    build, keywords = WRONG[name]
    assert_rejected(check(build(), EXERCISE), *keywords)


def test_an_uncompiled_model_with_the_right_network_gets_partial_credit():
    report = check(qa(compile=None), EXERCISE)
    assert 0 < report.score < report.max_score, str(report)
