"""check() on the capstone trend model: designs that follow the rules pass, each broken rule is named."""

from __future__ import annotations

import json

import keras
import pytest
from keras import layers

from checker import check, describe, grade_description

EXERCISE = "trend_model"


# --------------------------------------------------------------------------- building blocks


def inputs(review_dtype="int32", names=("questionnaire", "review", "photo"), photo_shape=(64, 64, 3)):
    return (
        keras.Input((20,), name=names[0]),
        keras.Input((None,), dtype=review_dtype, name=names[1]),
        keras.Input(photo_shape, name=names[2]),
    )


def questionnaire_branch(q):
    return layers.Dense(16, activation="relu")(q)


def review_branch(r, kind="lstm"):
    x = layers.Embedding(1000, 16)(r)
    if kind == "lstm":
        return layers.LSTM(8)(x)
    if kind == "gru":
        return layers.GRU(8)(x)
    if kind == "bidirectional":
        return layers.Bidirectional(layers.LSTM(8))(x)
    if kind == "dense only":
        return layers.Dense(8, activation="relu")(layers.GlobalAveragePooling1D()(x))
    raise ValueError(kind)


def photo_branch(p, kind="residual"):
    x = layers.Conv2D(8, 3, strides=2, activation="relu", padding="same")(p)
    if kind == "residual":
        y = layers.Conv2D(8, 3, activation="relu", padding="same")(x)
        y = layers.Conv2D(8, 3, padding="same")(y)
        x = layers.add([x, y])
    elif kind == "projection":
        y = layers.Conv2D(16, 3, strides=2, activation="relu", padding="same")(x)
        shortcut = layers.Conv2D(16, 1, strides=2, padding="same")(x)
        x = layers.Add()([y, shortcut])
    elif kind == "inception":
        a = layers.Conv2D(8, 1, activation="relu", padding="same")(x)
        b = layers.Conv2D(8, 3, activation="relu", padding="same")(layers.Conv2D(8, 1, padding="same")(x))
        c = layers.Conv2D(8, 1, padding="same")(layers.MaxPooling2D(3, strides=1, padding="same")(x))
        x = layers.Concatenate(axis=-1)([a, b, c])
    elif kind == "plain":
        x = layers.MaxPooling2D(2)(x)
    else:
        raise ValueError(kind)
    return layers.GlobalAveragePooling2D()(x)


def heads(
    features, trend_activation="sigmoid", trend_units=12, names=("trend", "price"), price_activation=None
):
    trend = layers.Dense(trend_units, activation=trend_activation, name=names[0])(features)
    price = layers.Dense(1, activation=price_activation, name=names[1])(features)
    return trend, price


def build(review="lstm", photo="residual", outputs_as="list", loss=None, compiled=True, **head_options):
    q, r, p = inputs()
    features = layers.concatenate([questionnaire_branch(q), review_branch(r, review), photo_branch(p, photo)])
    trend, price = heads(features, **head_options)
    outputs = {"trend": trend, "price": price} if outputs_as == "dict" else [trend, price]
    model = keras.Model([q, r, p], outputs)
    if compiled:
        model.compile(optimizer="adam", loss=loss or {"trend": "binary_crossentropy", "price": "mse"})
    return model


# --------------------------------------------------------------------------- designs that pass


def gru_inception_dict_outputs():
    return build(review="gru", photo="inception", outputs_as="dict")


def bidirectional_projection_loss_list_mae():
    return build(review="bidirectional", photo="projection", loss=["binary_crossentropy", "mae"])


def dict_outputs_with_losses_listed_in_key_order():
    """Keras flattens dict outputs by sorted key (price, trend): a list in that order is right."""
    return build(outputs_as="dict", loss=["mse", "binary_crossentropy"])


def loss_objects_and_aliases():
    return build(loss={"trend": keras.losses.BinaryCrossentropy(), "price": "mean_squared_error"})


def loss_functions_as_objects():
    return build(loss={"trend": keras.losses.binary_crossentropy, "price": keras.losses.MeanAbsoluteError()})


def activations_as_layers_and_dict_inputs():
    """Dict inputs, inputs declared in another order, softmax-free heads with Activation layers."""
    q, r, p = inputs()
    features = layers.concatenate(
        [photo_branch(p, "inception"), review_branch(r, "gru"), questionnaire_branch(q)]
    )
    trend = layers.Activation("sigmoid", name="trend")(layers.Dense(12)(features))
    price = layers.Dense(1, name="price")(layers.Dense(8, activation="relu")(features))
    model = keras.Model({"photo": p, "review": r, "questionnaire": q}, {"trend": trend, "price": price})
    model.compile(optimizer="rmsprop", loss={"price": "mae", "trend": "binary_crossentropy"})
    return model


def nested_photo_encoder_and_sequential_questionnaire():
    """A photo encoder built as its own Model (with a residual block inside) and a Sequential branch."""
    photo_in = keras.Input((64, 64, 3))
    encoder = keras.Model(photo_in, photo_branch(photo_in, "residual"), name="photo_encoder")
    questionnaire_encoder = keras.Sequential(
        [layers.Dense(16, activation="relu")], name="questionnaire_encoder"
    )
    q, r, p = inputs()
    features = layers.concatenate([questionnaire_encoder(q), review_branch(r, "bidirectional"), encoder(p)])
    model = keras.Model([q, r, p], list(heads(features)))
    model.compile(loss=["binary_crossentropy", "mse"])
    return model


def questionnaire_with_dropout_and_separable_convolutions():
    q, r, p = inputs()
    qa = layers.Dropout(0.2)(layers.Dense(16, activation="relu")(q))
    x = layers.SeparableConv2D(8, 3, padding="same", activation="relu")(p)
    y = layers.SeparableConv2D(8, 3, padding="same")(x)
    x = layers.GlobalMaxPooling2D()(layers.ReLU()(layers.add([y, x])))
    features = layers.concatenate([qa, review_branch(r, "gru"), x])
    model = keras.Model([q, r, p], list(heads(features)))
    model.compile(loss={"trend": "binary_crossentropy", "price": "mae"})
    return model


PASSING = {
    "LSTM + residual, list outputs, loss dict": build,
    "GRU + Inception, dict outputs": gru_inception_dict_outputs,
    "Bidirectional + projection shortcut, loss list with mae": bidirectional_projection_loss_list_mae,
    "dict outputs, loss list in Keras' key order": dict_outputs_with_losses_listed_in_key_order,
    "loss objects and aliases": loss_objects_and_aliases,
    "loss functions as objects": loss_functions_as_objects,
    "activation layers, dict inputs in another order": activations_as_layers_and_dict_inputs,
    "nested photo encoder, Sequential questionnaire branch": nested_photo_encoder_and_sequential_questionnaire,
    "dropout, separable convolutions, ReLU layer": questionnaire_with_dropout_and_separable_convolutions,
}


@pytest.mark.parametrize("design", list(PASSING))
def test_every_design_that_follows_the_rules_earns_full_points(design):
    report = check(PASSING[design](), EXERCISE)
    assert report.passed, str(report)
    assert report.score == report.max_score == 10
    assert [(c.name, c.points) for c in report.checks] == [
        ("inputs", 2),
        ("outputs", 2),
        ("layer families", 3),
        ("photo merge", 1),
        ("compile", 2),
    ]


def test_a_description_read_back_from_json_grades_the_same():
    description = json.loads(json.dumps(describe(gru_inception_dict_outputs())))
    assert grade_description(description, EXERCISE).passed


# --------------------------------------------------------------------------- designs that break a rule


def photo_without_merge():
    return build(photo="plain")


def review_through_dense_only():
    return build(review="dense only")


def questionnaire_unused():
    q, r, p = inputs()
    features = layers.concatenate([review_branch(r), photo_branch(p)])
    model = keras.Model([q, r, p], list(heads(features)))
    model.compile(loss={"trend": "binary_crossentropy", "price": "mse"})
    return model


def questionnaire_left_out():
    q, r, p = inputs()
    features = layers.concatenate([review_branch(r), photo_branch(p)])
    model = keras.Model([r, p], list(heads(features)))
    model.compile(loss={"trend": "binary_crossentropy", "price": "mse"})
    return model


def questionnaire_without_dense():
    q, r, p = inputs()
    features = layers.concatenate([q, review_branch(r), photo_branch(p)])
    model = keras.Model([q, r, p], list(heads(features)))
    model.compile(loss={"trend": "binary_crossentropy", "price": "mse"})
    return model


def review_as_floats():
    q, r, p = inputs(review_dtype="float32")
    features = layers.concatenate([questionnaire_branch(q), review_branch(r), photo_branch(p)])
    model = keras.Model([q, r, p], list(heads(features)))
    model.compile(loss={"trend": "binary_crossentropy", "price": "mse"})
    return model


def inputs_named_wrong():
    q, r, p = inputs(names=("features", "text", "image"))
    features = layers.concatenate([questionnaire_branch(q), review_branch(r), photo_branch(p)])
    model = keras.Model([q, r, p], list(heads(features)))
    model.compile(loss=["binary_crossentropy", "mse"])
    return model


def merge_of_photo_with_the_questionnaire_only():
    """A Concatenate of the photo with another input is not a merge on the photo path."""
    q, r, p = inputs()
    x = layers.GlobalAveragePooling2D()(layers.Conv2D(8, 3, activation="relu")(p))
    features = layers.concatenate([layers.concatenate([x, questionnaire_branch(q)]), review_branch(r)])
    model = keras.Model([q, r, p], list(heads(features)))
    model.compile(loss={"trend": "binary_crossentropy", "price": "mse"})
    return model


def three_outputs():
    q, r, p = inputs()
    features = layers.concatenate([questionnaire_branch(q), review_branch(r), photo_branch(p)])
    trend, price = heads(features)
    model = keras.Model([q, r, p], [trend, price, layers.Dense(3, name="colour")(features)])
    model.compile(loss={"trend": "binary_crossentropy", "price": "mse", "colour": "mse"})
    return model


def sequential_model():
    return keras.Sequential([keras.Input((20,)), layers.Dense(12, activation="sigmoid")])


FAILING = {
    "photo path without merge": (
        photo_without_merge,
        "photo merge",
        [
            "Rule: the photo path needs at least one Inception-style or residual merge",
            "Conv2D → MaxPooling2D → GlobalAveragePooling2D",
            "without any merge",
        ],
    ),
    "merge with another input is not a photo merge": (
        merge_of_photo_with_the_questionnaire_only,
        "photo merge",
        ["Rule: the photo path", "Inception-style or residual"],
    ),
    "review through Dense only": (
        review_through_dense_only,
        "layer families",
        [
            "Rule: the review input needs a recurrent layer",
            "LSTM, GRU",
            "without one",
            "Embedding → GlobalAveragePooling1D → Dense",
        ],
    ),
    "questionnaire unused": (questionnaire_unused, "inputs", ["The questionnaire input is not used"]),
    "questionnaire left out of the model": (
        questionnaire_left_out,
        "inputs",
        ["The questionnaire input is not used", 'name="questionnaire"'],
    ),
    "questionnaire without its own Dense": (
        questionnaire_without_dense,
        "layer families",
        ["Rule: the questionnaire input needs a Dense layer", "goes straight into Concatenate"],
    ),
    "review as floats": (review_as_floats, "inputs", ["dtype float32", "int32"]),
    "inputs named wrong": (
        inputs_named_wrong,
        "inputs",
        [
            "'features' should be named 'questionnaire'",
            "'text' should be named 'review'",
            "'image' should be named 'photo'",
        ],
    ),
    "trend softmax": (
        lambda: build(trend_activation="softmax"),
        "outputs",
        ["'trend' uses softmax; expected sigmoid", "independent"],
    ),
    "price with relu": (
        lambda: build(price_activation="relu"),
        "outputs",
        ["'price' uses relu; expected linear"],
    ),
    "trend wrong shape": (
        lambda: build(trend_units=10),
        "outputs",
        ["'trend' has shape (None, 10); expected (None, 12)"],
    ),
    "output names wrong": (
        lambda: build(names=("dense_trend", "dense_price")),
        "outputs",
        ["'dense_trend' should be named 'trend'", "'dense_price' should be named 'price'"],
    ),
    "three outputs": (three_outputs, "outputs", ["3 outputs", "'colour'"]),
    "price loss binary_crossentropy": (
        lambda: build(loss={"trend": "binary_crossentropy", "price": "binary_crossentropy"}),
        "compile",
        ["loss of 'price' is binary_crossentropy; expected mse or mae"],
    ),
    "trend loss categorical_crossentropy": (
        lambda: build(loss=["categorical_crossentropy", "mse"]),
        "compile",
        ["loss of 'trend' is categorical_crossentropy; expected binary_crossentropy"],
    ),
    "one loss for both outputs": (lambda: build(loss="mse"), "compile", ["loss of 'trend' is mse"]),
    "uncompiled": (lambda: build(compiled=False), "compile", ["not compiled", "model.compile("]),
    "loss list in the wrong order for dict outputs": (
        lambda: build(outputs_as="dict", loss=["binary_crossentropy", "mse"]),
        "compile",
        ["loss of 'trend' is mse", "loss of 'price' is binary_crossentropy", "orders a dict by its keys"],
    ),
}


@pytest.mark.parametrize("case", list(FAILING))
def test_each_broken_rule_fails_its_check_and_is_named_in_plain_words(case):
    builder, failing_check, phrases = FAILING[case]
    report = check(builder(), EXERCISE)
    assert not report.passed and report.score < 10, str(report)
    by_name = {c.name: c for c in report.checks}
    assert not by_name[failing_check].passed, str(report)
    text = " ".join(by_name[failing_check].messages)
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not in: {text}"


def test_one_broken_rule_keeps_the_points_of_the_others():
    report = check(photo_without_merge(), EXERCISE)
    assert {c.name: c.earned for c in report.checks} == {
        "inputs": 2,
        "outputs": 2,
        "layer families": 3,
        "photo merge": 0,
        "compile": 2,
    }
    report = check(review_through_dense_only(), EXERCISE)
    assert {c.name: c.earned for c in report.checks} == {
        "inputs": 2,
        "outputs": 2,
        "layer families": 2,
        "photo merge": 1,
        "compile": 2,
    }


def test_an_unused_input_is_also_a_branch_without_its_layer_family():
    report = check(questionnaire_unused(), EXERCISE)
    families = next(c for c in report.checks if c.name == "layer families")
    assert not families.passed
    assert "is not connected to any layer" in " ".join(families.messages)


@pytest.mark.parametrize(
    "subject, phrase",
    [
        (None, "return model"),
        ("a model", "Expected a Keras functional model"),
        (sequential_model(), "Sequential"),
    ],
)
def test_something_other_than_a_functional_model_fails_every_check(subject, phrase):
    report = check(subject, EXERCISE)
    assert report.score == 0 and len([c for c in report.checks if c.points]) == 5
    assert phrase in str(report)


def test_a_model_of_another_exercise_is_recognised():
    text = keras.Input((None,), dtype="int32", name="text")
    question = keras.Input((None,), dtype="int32", name="question")
    encoded = layers.concatenate(
        [
            layers.LSTM(32)(layers.Embedding(10000, 64)(text)),
            layers.LSTM(16)(layers.Embedding(10000, 32)(question)),
        ]
    )
    model = keras.Model([text, question], layers.Dense(500, activation="softmax")(encoded))
    report = check(model, EXERCISE)
    assert not report.passed
    assert "exercise 'qa_model'" in report.summary
