"""check() on real public code: book listings, keras-io guides and course repositories, ported
to Keras 3 with the fewest edits (imports, and the input shape where a listing leaves `x = ...`).

Each builder cites where it comes from. Right answers must pass with full points; wrong ones
must fail, name the real mistake (never a false cause), and a named conceptual mistake
(swapped Embedding, wrong shortcut, separate instances, softmax over independent labels)
earns at most half of the points.
"""

from __future__ import annotations

import keras
import pytest
import tensorflow as tf
from feedback_expectations import Absent, OnOneLine, assert_accepted, assert_nothing_right, assert_rejected
from keras import Input, applications, layers, ops
from keras.models import Model

from checker import check
from checker.autograde import grade

HALF = 5.0


def assert_at_most_half(report, *keyword_groups):
    assert_rejected(report, *keyword_groups)
    assert report.score <= HALF, str(report)


# ================================================================ qa_model


def qa_book_listing_compiled():
    # kdlsh/machine-learning-study keras_deep_learning-master/template/multi_modal_input_model.py
    text_vocabulary_size = 10000
    question_vocabulary_size = 10000
    answer_vocabulary_size = 500
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = layers.Embedding(text_vocabulary_size, 64)(text_input)
    encoded_text = layers.LSTM(32)(embedded_text)
    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = layers.Embedding(question_vocabulary_size, 32)(question_input)
    encoded_question = layers.LSTM(16)(embedded_question)
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(answer_vocabulary_size, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


def qa_with_accuracy_metric(metric):
    """The same listing compiled with another name of the same metric."""

    def build():
        model = qa_book_listing_compiled()
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=[metric])
        return model

    return build


def qa_first_edition_swapped_embeddings():
    # shushanxingzhe/python_learning deep_learning/keras/multi_inputs.py (Embedding(64, vocabulary))
    text_vocabulary_size = 10000
    question_vocabulary_size = 10000
    answer_vocabulary_size = 500
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = layers.Embedding(64, text_vocabulary_size)(text_input)
    encoded_text = layers.LSTM(32)(embedded_text)
    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = layers.Embedding(32, question_vocabulary_size)(question_input)
    encoded_question = layers.LSTM(16)(embedded_question)
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(answer_vocabulary_size, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


def qa_guide_not_compiled():
    # monda00/Machine-Learning-Algorithms functional-api/multi_input_model.py (no compile)
    text_vocabulary_size = 10000
    question_vocabulary_size = 10000
    answer_vocabulary_size = 500
    text_input = keras.Input(shape=(None,), dtype="int32", name="text")
    embedded_text = layers.Embedding(text_vocabulary_size, 64)(text_input)
    encoded_text = layers.LSTM(32)(embedded_text)
    question_input = keras.Input(shape=(None,), dtype="int32", name="question")
    embedded_question = layers.Embedding(question_vocabulary_size, 32)(question_input)
    encoded_question = layers.LSTM(16)(embedded_question)
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(answer_vocabulary_size, activation="softmax")(concatenated)
    return keras.Model(inputs=[text_input, question_input], outputs=answer)


def qa_swapped_and_not_compiled():
    # mjDelta/Advanced-Keras-Tensorflow-Usage keras-multi-input-model-example.py
    # (layers imported by name; Embedding(64, vocabulary); no compile)
    from keras.layers import LSTM, Dense, Embedding, concatenate

    text_vocabulary_size = 10000
    question_vocabulary_size = 10000
    answer_vocabulary_size = 500
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = Embedding(64, text_vocabulary_size)(text_input)
    encoded_text = LSTM(32)(embedded_text)
    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = Embedding(32, question_vocabulary_size)(question_input)
    encoded_question = LSTM(16)(embedded_question)
    concatenated = concatenate([encoded_text, encoded_question], axis=-1)
    answer = Dense(answer_vocabulary_size, activation="softmax")(concatenated)
    return Model([text_input, question_input], answer)


@pytest.mark.parametrize(
    "build",
    [
        qa_book_listing_compiled,
        qa_with_accuracy_metric("accuracy"),
        qa_with_accuracy_metric("categorical_accuracy"),
        qa_with_accuracy_metric(keras.metrics.CategoricalAccuracy()),
    ],
    ids=["acc", "accuracy", "categorical_accuracy", "CategoricalAccuracy"],
)
def test_qa_listing_passes_with_any_name_of_its_accuracy(build):
    assert_accepted(check(build(), "qa_model"))


def test_qa_exact_match_accuracy_is_another_metric():
    model = qa_book_listing_compiled()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=[keras.metrics.Accuracy()])
    assert_rejected(check(model, "qa_model"), "metrics", "acc")


def test_qa_first_edition_swap_is_named_and_earns_at_most_half():
    report = check(qa_first_edition_swapped_embeddings(), "qa_model")
    assert_at_most_half(report, "swapped", "Embedding(10000, 64)", "Embedding(10000, 32)", "named mistake")
    assert "embedding_" not in str(report)  # Keras' automatic names change on every build


def qa_first_edition_order_with_a_small_vocabulary(question_only=False):
    """The first edition's Embedding(size, vocabulary) in a notebook copy that keeps its vocabulary
    small for speed (1000 word ids, as the circulating copies do): the numbers are not the exercise's,
    the order is still the pitfall."""
    vocabulary_size = 1000
    text_input = Input(shape=(None,), dtype="int32", name="text")
    text_embedding = layers.Embedding(10000, 64) if question_only else layers.Embedding(64, vocabulary_size)
    encoded_text = layers.LSTM(32)(text_embedding(text_input))
    question_input = Input(shape=(None,), dtype="int32", name="question")
    encoded_question = layers.LSTM(16)(layers.Embedding(32, vocabulary_size)(question_input))
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(500, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


@pytest.mark.parametrize("question_only", [False, True], ids=["both", "question"])
def test_qa_first_edition_order_with_another_vocabulary_is_named_and_earns_at_most_half(question_only):
    """Issue 13: Embedding(32, 1000) where the exercise has Embedding(10000, 32) was only 'input_dim=32
    where 10000 is expected; output_dim=1000 where 32 is expected', at 9.5 of 10 points."""
    report = check(qa_first_edition_order_with_a_small_vocabulary(question_only), "qa_model")
    assert_at_most_half(
        report, OnOneLine("Embedding(32, 1000)", "swapped", "Embedding(10000, 32)"), "named mistake"
    )


def test_qa_guide_without_compile_loses_only_the_compile_points():
    report = check(qa_guide_not_compiled(), "qa_model")
    assert_rejected(report, "not compiled")
    assert report.score == 8.0, str(report)


def test_qa_swapped_and_not_compiled_names_both():
    report = check(qa_swapped_and_not_compiled(), "qa_model")
    assert_at_most_half(report, "swapped", "Embedding(10000, 64)", "not compiled", Absent("Missing layer"))


# ================================================================ profiling_model


def profiling_book_listing_lists():
    # xuannianc/spinach learning_keras/functional_api/multi_output.py
    vocabulary_size = 50000
    num_income_groups = 10
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(vocabulary_size, 256)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_groups, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer="rmsprop",
        loss=["mse", "categorical_crossentropy", "binary_crossentropy"],
        loss_weights=[0.25, 1.0, 10.0],
    )
    return model


def profiling_first_edition_swapped():
    # ThomasCai/ML-books-code-inAction deep-learning-with-python/ch07/7.1.3_multi_output.py
    vocabulary_size = 50000
    num_income_groups = 10
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(256, vocabulary_size)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_groups, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer="rmsprop",
        loss={"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
        loss_weights={"age": 0.25, "income": 1.0, "gender": 10.0},
    )
    return model


def profiling_swapped_and_without_dense_128():
    # tengge1/LearnPython python_deep_learning2/7_3.multi_output.py (no Dense(128) before the heads)
    vocabulary_size = 50000
    num_income_groups = 10
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(256, vocabulary_size)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_groups, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer="rmsprop",
        loss={"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
        loss_weights={"age": 0.25, "income": 1.0, "gender": 10.0},
    )
    return model


def profiling_swapped_with_a_misspelled_loss():
    # tdworowy/Data_science_notes deep_learning/kares_api/model_witch_three_outputs.py
    # (as published: Embedding(256, vocabulary), loss 'msq', no loss_weights)
    vocabulary_size = 50000
    num_income_groups = 10
    post_inputs = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(256, vocabulary_size)(post_inputs)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_groups, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = Model(post_inputs, [age_prediction, income_prediction, gender_prediction])
    model.compile(optimizer="rmsprop", loss=["msq", "categorical_crossentropy", "binary_crossentropy"])
    return model


def test_profiling_listing_with_list_losses_passes():
    assert_accepted(check(profiling_book_listing_lists(), "profiling_model"))


def test_profiling_first_edition_swap_earns_at_most_half():
    assert_at_most_half(
        check(profiling_first_edition_swapped(), "profiling_model"), "swapped", "Embedding(50000, 256)"
    )


def test_profiling_swap_and_missing_dense_are_both_named():
    report = check(profiling_swapped_and_without_dense_128(), "profiling_model")
    assert_at_most_half(report, "swapped", OnOneLine("missing", "Dense(128"))


def test_profiling_swap_misspelled_loss_and_missing_weights_are_each_named():
    report = check(profiling_swapped_with_a_misspelled_loss(), "profiling_model")
    assert_at_most_half(
        report,
        "swapped",
        OnOneLine("age", "msq", "mse"),
        OnOneLine("loss_weights", "0.25"),
        Absent("income' has"),
    )


# ================================================================ inception_block


def inception_first_edition(padding_fix=False):
    """xuannianc/spinach learning_keras/functional_api/inception_v3.py, on the exercise's input.

    As printed, no layer has padding="same" and the block does not build; the minimal fix adds
    it only where it changes something (the 3x3 convolutions and the pooling).
    """
    same = {"padding": "same"} if padding_fix else {}

    def build_inception_block():
        x = layers.Input((32, 32, 64))
        branch_a = layers.Conv2D(128, 1, activation="relu", strides=2)(x)
        branch_b = layers.Conv2D(128, 1, activation="relu")(x)
        branch_b = layers.Conv2D(128, 3, activation="relu", strides=2, **same)(branch_b)
        branch_c = layers.AveragePooling2D(3, strides=2, **same)(x)
        branch_c = layers.Conv2D(128, 3, activation="relu", **same)(branch_c)
        branch_d = layers.Conv2D(128, 1, activation="relu")(x)
        branch_d = layers.Conv2D(128, 3, activation="relu", **same)(branch_d)
        branch_d = layers.Conv2D(128, 3, activation="relu", strides=2, **same)(branch_d)
        output = layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=-1)
        return Model(x, output)

    return build_inception_block


def inception_three_by_three_without_padding():
    """The minimal fix, except one 3x3 convolution left without padding and the pool adjusted so it
    builds: the network differs (that convolution trims the border)."""
    x = layers.Input((32, 32, 64))
    branch_a = layers.Conv2D(128, 1, activation="relu", strides=2)(x)
    branch_b = layers.Conv2D(128, 1, activation="relu")(x)
    branch_b = layers.ZeroPadding2D(1)(branch_b)
    branch_b = layers.Conv2D(128, 3, activation="relu", strides=2)(branch_b)
    branch_c = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    branch_c = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_c)
    branch_d = layers.Conv2D(128, 1, activation="relu")(x)
    branch_d = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_d)
    branch_d = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_d)
    return Model(x, layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=-1))


def inception_with_pooling_activation(exercise_input=False):
    """sunjiaxin111/Francois-Chollet-Deep-Learning-with-Python-python- chapter7/inception-module.py:
    as published, x = Input(shape=(None,), dtype='int32') and AveragePooling2D(..., activation='relu').
    With exercise_input, x is the exercise's input and padding="same" is added where it matters;
    the pooling's activation argument is kept."""
    same = {"padding": "same"} if exercise_input else {}

    def build_inception_block():
        x = Input(shape=(32, 32, 64)) if exercise_input else Input(shape=(None,), dtype="int32")
        branch_a = layers.Conv2D(128, 1, activation="relu", strides=2)(x)
        branch_b = layers.Conv2D(128, 1, activation="relu")(x)
        branch_b = layers.Conv2D(128, 3, activation="relu", strides=2, **same)(branch_b)
        branch_c = layers.AveragePooling2D(3, strides=2, activation="relu", **same)(x)
        branch_c = layers.Conv2D(128, 3, activation="relu", **same)(branch_c)
        branch_d = layers.Conv2D(128, 1, activation="relu")(x)
        branch_d = layers.Conv2D(128, 3, activation="relu", **same)(branch_d)
        branch_d = layers.Conv2D(128, 3, activation="relu", strides=2, **same)(branch_d)
        output = layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=-1)
        return Model(x, output)

    return build_inception_block


def test_inception_minimal_fix_of_the_first_edition_passes():
    assert_accepted(check(inception_first_edition(padding_fix=True)(), "inception_block"))


def test_inception_as_printed_does_not_build_and_the_report_says_why():
    builder = inception_first_edition(padding_fix=False)
    report = check(builder, "inception_block")
    assert_nothing_right(
        report, "build_inception_block()", "Concatenate", 'padding="same"', "could not even be built"
    )
    assert float(grade(builder, "inception_block", record=False)) == 0


def test_inception_with_a_trimming_convolution_names_it_without_claiming_a_mismatch():
    report = check(inception_three_by_three_without_padding(), "inception_block")
    assert_rejected(report, OnOneLine("Conv2D", "padding='valid'", "'same'"), Absent("no longer line up"))


def test_inception_on_a_token_input_names_the_error_without_blaming_padding():
    report = check(inception_with_pooling_activation(), "inception_block")
    assert_nothing_right(
        report, "build_inception_block()", "ndim", "number of axes", "(32, 32, 64)", Absent("padding")
    )


def test_a_pooling_layer_given_an_activation_is_named_not_blamed_on_padding():
    report = check(inception_with_pooling_activation(exercise_input=True), "inception_block")
    assert_nothing_right(report, OnOneLine("AveragePooling2D", "activation"), Absent("padding"))


# ================================================================ residual blocks


def residual_book_first_edition(projection=False):
    # xuannianc/spinach learning_keras/functional_api/resnet.py (x = ... replaced by an Input)
    if not projection:
        x = Input((32, 32, 128))
        y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
        y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
        y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
        y = layers.add([y, x])
        return Model(x, y)
    x = Input((32, 32, 64))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.MaxPooling2D(2, strides=2)(y)
    residual = layers.Conv2D(128, 1, strides=2, padding="same")(x)
    y = layers.add([y, residual])
    return Model(x, y)


def residual_block(x, filters, pooling=False):
    # arefyazdi4/Computer_Vision_Assignments project09_Modern-convnet-architecture-patterns/residual.py
    # (the book's second-edition helper)
    residual = x
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    if pooling:
        x = layers.MaxPooling2D(2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2)(residual)
    elif filters != residual.shape[-1]:
        residual = layers.Conv2D(filters, 1)(residual)
    x = layers.add([x, residual])
    return x


def residual_second_edition_projection():
    inputs = keras.Input(shape=(32, 32, 64))
    return keras.Model(inputs, residual_block(inputs, filters=128, pooling=True))


def residual_second_edition_identity():
    """The same helper for the identity block: it has two convolutions, the exercise three."""
    inputs = keras.Input(shape=(32, 32, 128))
    return keras.Model(inputs, residual_block(inputs, filters=128))


def residual_shortcut_from_reassigned_x():
    """The classic slip: `residual = x` written after x was reassigned by the first convolution."""
    inputs = keras.Input(shape=(32, 32, 128))
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(inputs)
    residual = x
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    return keras.Model(inputs, layers.add([x, residual]))


def residual_projection_returning_the_trunk(**pooling):
    """The second-edition helper above (arefyazdi4/Computer_Vision_Assignments residual.py), written
    out for the projection block, with keras.Model given the trunk's y instead of the sum: the
    pooling (padding="same" as the helper writes it, or the default), the shortcut and the Add
    are left out of the model."""
    inputs = keras.Input(shape=(32, 32, 64))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(inputs)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    pooled = layers.MaxPooling2D(2, **pooling)(y)
    residual = layers.Conv2D(128, 1, strides=2, padding="same")(inputs)
    layers.add([pooled, residual])
    return keras.Model(inputs, y)


@pytest.mark.parametrize("pooling", [{"padding": "same"}, {}], ids=["same", "default"])
def test_layers_left_out_after_a_model_layer_are_named_as_left_out(pooling):
    """A left-out layer after one of the model's layers knows its input's size, so its padding is
    compared as the exercise's is (no padding added to 32x32 either way), and the Add joining two
    left-out layers is named as left out too: none of them is 'missing'."""
    report = check(residual_projection_returning_the_trunk(**pooling), "residual_projection")
    assert_rejected(
        report,
        OnOneLine("MaxPooling2D(2) after the second Conv2D", "not part of the model"),
        OnOneLine("Conv2D(128, 1, strides=2", "not part of the model"),
        OnOneLine("Add()", "not part of the model"),
        OnOneLine("output", "(None, 32, 32, 128)", "(None, 16, 16, 128)"),
        Absent("Missing layer"),
        Absent("wrong tensor"),
    )
    assert 2 <= report.score <= 6, str(report)


def mlp_with_a_dense_whose_result_is_dropped():
    """The slip of writing `layers.Dense(32, activation="relu")(x)` without `x = ` in front."""
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(inputs)
    layers.Dense(32, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(x))


def identity_with_a_convolution_whose_result_is_dropped():
    """The same slip in the residual block: the third convolution's result is not kept."""
    inputs = keras.Input(shape=(32, 32, 128))
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(inputs)
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    return keras.Model(inputs, layers.add([x, inputs]))


@pytest.mark.parametrize(
    "build, exercise, taker, left_out",
    [
        (mlp_with_a_dense_whose_result_is_dropped, "functional_mlp", "Dense(10", "Dense(32"),
        (
            identity_with_a_convolution_whose_result_is_dropped,
            "residual_identity",
            "The Add",
            "Conv2D(128, 3",
        ),
        (residual_projection_returning_the_trunk, "residual_projection", "output", "Add()"),
    ],
    ids=["mlp-dense", "identity-conv", "projection-trunk"],
)
def test_the_wiring_of_a_layer_left_out_says_its_result_is_never_used(build, exercise, taker, left_out):
    """Issue 13: the wiring blamed 'the missing or extra layers listed under layers', which lists
    none: the real mistake is the layer that takes another tensor instead of the left-out result."""
    report = check(build(), exercise)
    assert_rejected(
        report,
        OnOneLine(taker, "where it should", left_out, "result is never used"),
        Absent("missing or extra"),
        Absent("Missing layer"),
    )


def identity_with_a_dropped_convolution_without_padding():
    """Both slips at once: the third convolution written as in the first edition (no padding) and
    its result not kept (no `x = `)."""
    inputs = keras.Input(shape=(32, 32, 128))
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(inputs)
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    layers.Conv2D(128, 3, activation="relu")(x)
    return keras.Model(inputs, layers.add([x, inputs]))


def inception_with_a_dropped_convolution_without_padding():
    """Branch d's middle 3x3 convolution as the first edition prints it, its result not kept."""
    x = keras.Input(shape=(32, 32, 64))
    a = layers.Conv2D(128, 1, strides=2, activation="relu", padding="same")(x)
    b = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    b = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(b)
    c = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    c = layers.Conv2D(128, 3, activation="relu", padding="same")(c)
    d = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    layers.Conv2D(128, 3, activation="relu")(d)
    d = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(d)
    return keras.Model(x, layers.concatenate([a, b, c, d]))


@pytest.mark.parametrize(
    "build, exercise",
    [
        (identity_with_a_dropped_convolution_without_padding, "residual_identity"),
        (inception_with_a_dropped_convolution_without_padding, "inception_block"),
    ],
    ids=["identity", "inception"],
)
def test_a_layer_left_out_with_other_padding_is_named_as_left_out_with_what_its_padding_does(build, exercise):
    """Issue 13: it was 'Missing layer', though the learner wrote it; the report now says it is left
    out, and that padding="valid" trims 32x32 to 30x30 where the exercise keeps 32x32."""
    report = check(build(), exercise)
    assert_rejected(
        report,
        OnOneLine("Conv2D(128, 3", "not part of the model", "padding='valid'", "30×30", 'padding="same"'),
        OnOneLine("where it should take", "result is never used"),
        Absent("Missing layer"),
        Absent("missing or extra"),
    )


def test_residual_first_edition_listings_pass():
    assert_accepted(check(residual_book_first_edition(), "residual_identity"))
    assert_accepted(check(residual_book_first_edition(projection=True), "residual_projection"))


def test_residual_second_edition_helper_passes_the_projection_block():
    """Its 1x1 strided shortcut has no padding and its 2x2 pooling pads "same": neither pads here."""
    assert_accepted(check(residual_second_edition_projection(), "residual_projection"))


def test_a_missing_convolution_is_not_called_a_wrong_shortcut():
    report = check(residual_second_edition_identity(), "residual_identity")
    assert_rejected(
        report, OnOneLine("missing", "Conv2D(128, 3"), Absent("wrong tensor"), Absent("named mistake")
    )
    assert report.score > HALF, str(report)


def test_a_shortcut_from_the_reassigned_x_is_named_with_a_hint_that_keeps_the_input():
    report = check(residual_shortcut_from_reassigned_x(), "residual_identity")
    assert_at_most_half(report, "wrong tensor", "residual = inputs", Absent("residual = x)"))
    assert "conv2d_" not in str(report) and "add_" not in str(report)


# ================================================================ siamese_lstm and shared_vision


def siamese_book_listing():
    # Valentine-Mario/sample-code-deep-learning acyclic_graph.py (siamese LSTM)
    lstm = layers.LSTM(32)
    left_input = Input(shape=(None, 128))
    left_output = lstm(left_input)
    right_input = Input(shape=(None, 128))
    right_output = lstm(right_input)
    merged = layers.concatenate([left_output, right_output], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged)
    return Model([left_input, right_input], predictions)


def siamese_left_output_twice():
    """The listing with a copy-paste slip: the left output merged twice."""
    lstm = layers.LSTM(32)
    left_input = Input(shape=(None, 128))
    left_output = lstm(left_input)
    right_input = Input(shape=(None, 128))
    merged = layers.concatenate([left_output, left_output], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged)
    return Model([left_input, right_input], predictions)


def siamese_encoder_as_nested_model():
    """keras-team/keras-io guides/functional_api.py ("All models are callable, just like layers"):
    the shared LSTM written as a small model, called on both inputs."""
    sentence = keras.Input(shape=(None, 128))
    encoder = keras.Model(sentence, layers.LSTM(32)(sentence), name="encoder")
    left_input = Input(shape=(None, 128))
    right_input = Input(shape=(None, 128))
    merged = layers.concatenate([encoder(left_input), encoder(right_input)], axis=-1)
    return Model([left_input, right_input], layers.Dense(1, activation="sigmoid")(merged))


def vision_book_listing():
    # Valentine-Mario/sample-code-deep-learning acyclic_graph.py (siamese vision model)
    xception_base = applications.Xception(weights=None, include_top=False)
    left_input = Input(shape=(250, 250, 3))
    right_input = Input(shape=(250, 250, 3))
    left_features = xception_base(left_input)
    right_features = xception_base(right_input)
    merged_features = layers.concatenate([left_features, right_features], axis=-1)
    return Model([left_input, right_input], merged_features)


def vision_with_a_dense_head():
    # ioaaraheko/deeplearning_with_python ch7_functional_instancesharing.py (adds Dense(1))
    xception_base = applications.Xception(weights=None, include_top=False)
    left_input = Input(shape=(250, 250, 3))
    right_input = Input(shape=(250, 250, 3))
    left_features = xception_base(left_input)
    right_features = xception_base(right_input)
    merged_features = layers.concatenate([left_features, right_features], axis=-1)
    output = layers.Dense(1)(merged_features)
    return Model([left_input, right_input], output)


def vision_right_input_overwritten():
    # lsccode/deep_learning_with_python changed/7.1.6_Models_as_layers.py
    # (right_input = xception_base(right_input); the Model(...) line added as in the book)
    xception_base = applications.Xception(weights=None, include_top=False)
    left_input = Input(shape=(250, 250, 3))
    right_input = Input(shape=(250, 250, 3))
    left_features = xception_base(left_input)
    right_input = xception_base(right_input)
    merged_features = layers.concatenate([left_features, right_input], axis=-1)
    return Model([left_input, right_input], merged_features)


def test_siamese_listing_passes_written_flat_or_with_a_nested_encoder():
    assert_accepted(check(siamese_book_listing(), "siamese_lstm"))
    assert_accepted(check(siamese_encoder_as_nested_model(), "siamese_lstm"))


def test_a_concatenate_of_one_tensor_twice_is_named_as_such():
    report = check(siamese_left_output_twice(), "siamese_lstm")
    assert_rejected(report, OnOneLine("Concatenate", "twice"), Absent("Missing layer"))


def siamese_with_gru(shared: bool):
    """The listing (siamese_book_listing) with a GRU for the LSTM: one shared GRU, or a GRU made
    for each input."""
    left_input = Input(shape=(None, 128))
    right_input = Input(shape=(None, 128))
    if shared:
        gru = layers.GRU(32)
        left_output, right_output = gru(left_input), gru(right_input)
    else:
        left_output, right_output = layers.GRU(32)(left_input), layers.GRU(32)(right_input)
    merged = layers.concatenate([left_output, right_output], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged)
    return Model([left_input, right_input], predictions)


def test_a_shared_gru_for_the_shared_lstm_is_one_layer_of_the_wrong_kind():
    report = check(siamese_with_gru(shared=True), "siamese_lstm")
    assert_rejected(
        report,
        OnOneLine("GRU(32)", "where the exercise has LSTM(32)", "shared"),
        Absent("Missing layer"),
        Absent("Extra layer"),
        Absent("Separate instances"),
        Absent("named mistake"),
    )
    assert HALF < report.score < 10, str(report)


def test_a_gru_for_each_input_is_still_the_separate_instances_mistake():
    """Pairing each GRU with the LSTM call in its place must not hide that they are two layers."""
    report = check(siamese_with_gru(shared=False), "siamese_lstm")
    assert_at_most_half(
        report,
        OnOneLine("GRU", "where the exercise has LSTM(32)"),
        OnOneLine(
            "Separate instances", "first GRU after the first input", "first GRU after the second input"
        ),
        "named mistake",
        Absent("separate LSTM(32) layers"),
        Absent("Missing layer"),
        Absent("Extra layer"),
    )


def test_vision_listing_passes():
    assert_accepted(check(vision_book_listing(), "shared_vision"))


def test_vision_with_an_extra_dense_head_names_the_extra_layer():
    report = check(vision_with_a_dense_head(), "shared_vision")
    assert_rejected(
        report,
        OnOneLine("Extra layer", "Dense(1"),
        OnOneLine("(None, 8, 8, 1)", "4096"),
        Absent("named mistake"),
    )


def test_vision_with_the_right_input_overwritten_names_that_pitfall():
    report = check(vision_right_input_overwritten, "shared_vision")
    assert_nothing_right(report, "not connected", "right_input = base(right_input)", Absent("padding"))


# ================================================================ functional_mlp with nested models


def mlp_with_nested_hidden_block():
    """keras-team/keras-io guides/functional_api.py (encoder = keras.Model(..., name="encoder"),
    then used as a layer), applied to the exercise's MLP."""
    encoder_input = keras.Input(shape=(64,), name="features")
    x = layers.Dense(32, activation="relu")(encoder_input)
    encoder_output = layers.Dense(32, activation="relu")(x)
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    inputs = keras.Input(shape=(64,))
    outputs = layers.Dense(10, activation="softmax")(encoder(inputs))
    return keras.Model(inputs, outputs)


def mlp_as_two_nested_models():
    """The guide's ensembling pattern (get_model() called and its result used as a layer)."""

    def get_model():
        inputs = keras.Input(shape=(64,))
        outputs = layers.Dense(32, activation="relu")(inputs)
        return keras.Model(inputs, outputs)

    first, second = get_model(), keras.Sequential([keras.Input((32,)), layers.Dense(32, activation="relu")])
    inputs = keras.Input(shape=(64,))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(second(first(inputs))))


def mlp_nested_with_a_missing_layer():
    encoder_input = keras.Input(shape=(64,))
    encoder = keras.Model(encoder_input, layers.Dense(32, activation="relu")(encoder_input), name="encoder")
    inputs = keras.Input(shape=(64,))
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(encoder(inputs)))


def mlp_with_tensorflow_activations():
    """javier01123/AI_and_Machine_Learning_for_Coders src/chapter_2/fashion.py (tf.keras.Input, then
    Dense(..., activation=tf.nn.relu) and Dense(10, activation=tf.nn.softmax)), on the exercise's
    input and hidden sizes instead of Flatten on (28, 28) and one Dense(128)."""
    inputs = tf.keras.Input(shape=(64,))
    x = tf.keras.layers.Dense(32, activation=tf.nn.relu)(inputs)
    x = tf.keras.layers.Dense(32, activation=tf.nn.relu)(x)
    outputs = tf.keras.layers.Dense(10, activation=tf.nn.softmax)(x)
    return tf.keras.Model(inputs=inputs, outputs=outputs)


def mlp_with_tensorflow_log_softmax():
    """The same with tf.nn.log_softmax: log-probabilities, another output."""
    inputs = tf.keras.Input(shape=(64,))
    x = tf.keras.layers.Dense(32, activation=tf.nn.relu)(inputs)
    x = tf.keras.layers.Dense(32, activation=tf.nn.relu)(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(10, activation=tf.nn.log_softmax)(x))


def test_tensorflow_activation_functions_are_the_same_activations():
    """tf.nn.softmax is serialised by its Python name, 'softmax_v2' (it crashed the checker)."""
    assert_accepted(check(mlp_with_tensorflow_activations(), "functional_mlp"))
    report = check(mlp_with_tensorflow_log_softmax(), "functional_mlp")
    assert_rejected(report, OnOneLine("Dense(10", "log_softmax", "softmax"), Absent("_v2"))


def test_an_mlp_written_with_nested_models_is_the_same_network():
    assert_accepted(check(mlp_with_nested_hidden_block(), "functional_mlp"))
    assert_accepted(check(mlp_as_two_nested_models(), "functional_mlp"))


def test_a_nested_model_with_a_missing_layer_is_reported_as_missing_a_layer():
    report = check(mlp_nested_with_a_missing_layer(), "functional_mlp")
    assert_rejected(report, OnOneLine("missing", "Dense(32"), Absent("Extra layer:"))


# ================================================================ trend_model (capstone)

VOCABULARY_SIZE = 300  # solutions/08_capstone_trend_model.ipynb


def trend_heads_in_a_nested_model(trend_activation="sigmoid"):
    """keras-team/keras-io guides/functional_api.py "Models with multiple inputs and outputs"
    (title/body/tags → priority/department) ported to the capstone's inputs, with the book's
    second-edition residual_block on the photo and the two heads written as one nested model."""
    questionnaire = keras.Input(shape=(20,), name="questionnaire")
    review = keras.Input(shape=(None,), dtype="int32", name="review")
    photo = keras.Input(shape=(64, 64, 3), name="photo")
    review_features = layers.LSTM(32)(layers.Embedding(VOCABULARY_SIZE, 64)(review))
    tags_features = layers.Dense(16, activation="relu")(questionnaire)
    x = layers.Conv2D(16, 4, strides=4, activation="relu")(photo)
    x = residual_block(x, filters=16)
    photo_features = layers.GlobalAveragePooling2D()(x)
    x = layers.concatenate([review_features, tags_features, photo_features])
    features = keras.Input(shape=x.shape[1:])
    heads = keras.Model(
        features,
        {
            "trend": layers.Dense(12, activation=trend_activation, name="trend")(features),
            "price": layers.Dense(1, name="price")(features),
        },
        name="heads",
    )
    predictions = heads(x)
    model = keras.Model(
        inputs=[questionnaire, review, photo],
        outputs={"trend": predictions["trend"], "price": predictions["price"]},
    )
    model.compile(optimizer="rmsprop", loss={"trend": "binary_crossentropy", "price": "mse"})
    return model


def test_a_capstone_whose_heads_live_in_a_nested_model_is_graded():
    assert_accepted(check(trend_heads_in_a_nested_model(), "trend_model"))


def test_softmax_over_the_trend_elements_earns_at_most_half():
    report = check(trend_heads_in_a_nested_model("softmax"), "trend_model")
    assert_at_most_half(report, "softmax", "sigmoid", "named mistake")


def test_the_capstone_review_hint_uses_the_notebook_vocabulary():
    questionnaire = keras.Input(shape=(20,), name="questionnaire")
    review = keras.Input(shape=(None,), dtype="int32", name="review")
    photo = keras.Input(shape=(64, 64, 3), name="photo")
    said = layers.GlobalAveragePooling1D()(layers.Embedding(VOCABULARY_SIZE, 8)(review))
    x = layers.Conv2D(8, 4, strides=4, activation="relu")(photo)
    x = layers.GlobalAveragePooling2D()(residual_block(x, 8))
    merged = layers.concatenate([layers.Dense(8)(questionnaire), said, x])
    model = keras.Model(
        [questionnaire, review, photo],
        {
            "trend": layers.Dense(12, activation="sigmoid", name="trend")(merged),
            "price": layers.Dense(1, name="price")(merged),
        },
    )
    model.compile(optimizer="adam", loss={"trend": "binary_crossentropy", "price": "mse"})
    assert_rejected(check(model, "trend_model"), "recurrent", "VOCABULARY_SIZE", Absent("10000"))


# ================================================================ custom layers


class ComputeSum(keras.layers.Layer):
    # keras-team/keras-io guides/making_new_layers_and_models_via_subclassing.py (Keras 3 version)
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


class SimpleDenseWithStringNone(keras.layers.Layer):
    # nickeisenberg/Textbooks DeepLearningWithPython_Chollet/Chapter3/sec3_6_1example.py
    # (activation='None' as a string: calling it fails)
    def __init__(self, units, activation="None"):
        super().__init__()
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W = self.add_weight(shape=(input_dim, self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal")

    def call(self, inputs):
        y = ops.matmul(inputs, self.W) + self.b
        if self.activation is not None:
            y = self.activation(y)
        return y


class SimpleDenseOverridingCall(keras.layers.Layer):
    """A learner's slip: the computation written in __call__ instead of call."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def __call__(self, inputs):
        if not self.built:
            self.build(inputs.shape)
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class LinearWithWeightsInInit(keras.layers.Layer):
    # keras-team/keras-io guides/keras_core/making_new_layers_and_models_via_subclassing.py
    # (the first Linear: weights made in __init__ from input_dim=32)
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class LinearBuiltLazily(keras.layers.Layer):
    # keras-team/keras-io guides/keras_core/making_new_layers_and_models_via_subclassing.py
    # (the Linear with build(), before the guide adds get_config)
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class LinearWithUnitsConfig(LinearBuiltLazily):
    # the same guide, "You can optionally enable serialization on your layers"
    def get_config(self):
        return {"units": self.units}


class LinearWithFullConfig(keras.layers.Layer):
    # the same guide, the Linear that passes **kwargs on and extends super().get_config()
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


@pytest.mark.parametrize(
    "layer_class", [LinearWithUnitsConfig, LinearWithFullConfig], ids=lambda c: c.__name__
)
def test_the_guide_linear_layers_with_a_config_pass_as_simple_dense(layer_class):
    assert_accepted(check(layer_class, "simple_dense"))


def test_the_guide_linear_without_get_config_loses_only_the_config_points():
    report = check(LinearBuiltLazily, "simple_dense")
    assert_rejected(report, OnOneLine("from_config", "trainable"), "**kwargs")
    assert report.score == 9.0, str(report)


def test_weights_made_in_init_for_32_inputs_are_named_with_their_shape():
    report = check(LinearWithWeightsInInit, "simple_dense")
    assert_rejected(report, OnOneLine("(3, 2)", "(32, 2)"), "input_shape[-1]")


def test_the_official_compute_sum_passes():
    assert_accepted(check(ComputeSum, "compute_sum"))


def test_a_simple_dense_with_activation_string_none_shows_the_failing_line():
    report = check(SimpleDenseWithStringNone, "simple_dense")
    assert_rejected(report, "self.activation(y)", "not callable")


def test_a_layer_overriding_dunder_call_is_told_so_not_told_about_numpy():
    report = check(SimpleDenseOverridingCall, "simple_dense")
    assert_rejected(report, "__call__", "call (no underscores)", Absent("numpy"))


# ================================================================ more real code (second sweep)
# Found with the code index; each builder cites its repository and path. Files the index showed
# without their repository are cited by the index's file id.


def inception_googlenet_module():
    # supercode517/Dec2024 12.24.py (the GoogLeNet inception_module, called on the exercise's input)
    from keras.layers import Conv2D, MaxPooling2D, concatenate

    def inception_module(layer_in, f1, f2_in, f2_out, f3_in, f3_out, f4_out):
        conv1 = Conv2D(f1, (1, 1), padding="same", activation="relu")(layer_in)
        conv3 = Conv2D(f2_in, (1, 1), padding="same", activation="relu")(layer_in)
        conv3 = Conv2D(f2_out, (3, 3), padding="same", activation="relu")(conv3)
        conv5 = Conv2D(f3_in, (1, 1), padding="same", activation="relu")(layer_in)
        conv5 = Conv2D(f3_out, (5, 5), padding="same", activation="relu")(conv5)
        pool = MaxPooling2D((3, 3), strides=(1, 1), padding="same")(layer_in)
        pool = Conv2D(f4_out, (1, 1), padding="same", activation="relu")(pool)
        return concatenate([conv1, conv3, conv5, pool], axis=-1)

    visible = Input(shape=(32, 32, 64))
    return Model(inputs=visible, outputs=inception_module(visible, 128, 128, 128, 128, 128, 128))


def test_a_googlenet_module_is_told_apart_layer_by_layer():
    """Four alike 1x1 convolutions are counted in code order (not four times the same words), and a
    pooling with strides=1 is not shown as if it had its default strides (its pool size)."""
    report = check(inception_googlenet_module(), "inception_block")
    assert_rejected(
        report,
        OnOneLine("first of the 4 Conv2D(128, 1", "strides=2"),
        OnOneLine("Conv2D(128, 5", "takes the third of the 4", "should take the second of the 4"),
        OnOneLine("Extra layer", "MaxPooling2D(3, strides=1, padding='same')"),
        OnOneLine("(None, 32, 32, 512)", "(None, 16, 16, 512)"),
        Absent("named mistake"),
    )


def residual_one_linear_convolution():
    # chenyang1999/coding python/block/residual.py (one 3x3 convolution, as many filters as the input
    # has channels, no activation, added to the input; keras imported, on the exercise's input)
    from keras.layers import Conv2D, Input

    x = Input(shape=(32, 32, 128))
    y = Conv2D(128, (3, 3), padding="same")(x)
    z = keras.layers.add([x, y])
    return Model(x, z)


def test_a_single_linear_convolution_is_told_both_missing_convolutions_and_its_activation():
    report = check(residual_one_linear_convolution(), "residual_identity")
    assert_rejected(
        report,
        OnOneLine("activation='linear'", "'relu'"),
        OnOneLine("Missing layer", "Conv2D(128, 3", "2 such layers"),
        Absent("wrong tensor"),
    )


def profiling_with_same_padding():
    # code index file 44794911432 ("In this model we will process social media comments ...":
    # every Conv1D given padding='same'; compile as in the book)
    vocabulary_size = 50000
    num_income_groups = 10
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(vocabulary_size, 256)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu", padding="same")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu", padding="same")(x)
    x = layers.Conv1D(256, 5, activation="relu", padding="same")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu", padding="same")(x)
    x = layers.Conv1D(256, 5, activation="relu", padding="same")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_groups, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer="rmsprop",
        loss={"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
        loss_weights={"age": 0.25, "income": 1.0, "gender": 10.0},
    )
    return model


def profiling_two_heads_with_a_typo():
    # code index file 49175617247 (two heads, no pooling after the third Conv1D, and
    # Dense(..., activtion='softmax'): the builder raises)
    vocab_size = 50000
    num_inc_group = 10
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(vocab_size, 256)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_inc_group, activtion="softmax", name="income")(x)
    model = Model(posts_input, [age_prediction, income_prediction])
    model.compile(optimizer="rmsprop", loss=["mse", "categorical_crossentropy", "binary_crossentropy"])
    return model


def test_profiling_with_same_padding_names_the_padding_of_each_convolution():
    """padding='same' keeps the sequence borders the exercise's convolutions trim: another network."""
    report = check(profiling_with_same_padding(), "profiling_model")
    assert_rejected(report, OnOneLine("first Conv1D", "padding='same'", "'valid'"), Absent("named mistake"))
    assert report.score > HALF, str(report)


def test_profiling_with_a_misspelled_keyword_names_it():
    report = check(profiling_two_heads_with_a_typo, "profiling_model")
    assert_nothing_right(report, "profiling_two_heads_with_a_typo()", OnOneLine("activtion", "Dense"))


def siamese_keras_docs_with_typos():
    # 824zzy/Code_Chips Keras_Functional/Fun_shared_layer.py (as published: encoder_a and encode_b
    # are not defined, and concatenate is given axix=-1)
    from keras.layers import LSTM, Dense, Input

    tweet_a = Input(shape=(140, 256))
    tweet_b = Input(shape=(140, 256))
    shared_lstm = LSTM(64)
    encoded_a = shared_lstm(tweet_a)  # noqa: F841
    encoded_b = shared_lstm(tweet_b)  # noqa: F841
    merged_vector = keras.layers.concatenate([encoder_a, encode_b], axix=-1)  # noqa: F821
    predictions = Dense(1, activation="sigmoid")(merged_vector)
    model = Model(inputs=[tweet_a, tweet_b], outputs=predictions)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def vision_listing_returning_the_tensor():
    # JohnnySunkel/BlueSky Keras/Siamese_vision_model.py (the listing ends at merged_features, with
    # no Model(...) line; the builder returns what the listing computes)
    xception_base = applications.Xception(weights=None, include_top=False)
    left_input = Input(shape=(250, 250, 3))
    right_input = Input(shape=(250, 250, 3))
    left_features = xception_base(left_input)
    right_features = xception_base(right_input)
    return layers.concatenate([left_features, right_features], axis=-1)


def test_a_builder_with_an_undefined_name_is_named_not_crashed_on():
    report = check(siamese_keras_docs_with_typos, "siamese_lstm")
    assert_nothing_right(report, "siamese_keras_docs_with_typos()", OnOneLine("NameError", "encoder_a"))


def test_a_vision_listing_that_returns_its_last_tensor_is_told_to_wrap_it_in_a_model():
    report = check(vision_listing_returning_the_tensor(), "shared_vision")
    assert_nothing_right(report, "not a model", "keras.Model(inputs=..., outputs=...)")


class SimpleDensePastedDunderCall(keras.layers.Layer):
    # josevqzmdz/proyecto_final_3 SimpleDense.py (the book's schematic __call__ pasted into the class)
    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W = self.add_weight(shape=(input_dim, self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units), initializer="zeros")

    def call(self, inputs):
        y = tf.matmul(inputs, self.W) + self.b
        if self.activation is not None:
            y = self.activation(y)
        return y

    def __call__(self, inputs):
        if not self.built:
            self.build(inputs.shape)
            self.built = True
        return self.call(inputs)


class SimpleDenseSigmoidByDefault(tf.keras.layers.Layer):
    # thonor111/AssignmentsIANNwtfGroup12 assignment3/SimpleDense.py (activation defaults to sigmoid)
    def __init__(self, units=256, activation=tf.nn.sigmoid):
        super().__init__()
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        x = tf.matmul(inputs, self.w) + self.b
        x = self.activation(x)
        return x


class SimpleDenseWithTfVariables(keras.layers.Layer):
    # Nishant-Pall/DL-Prac Custom-Models/Custom_layers.py (weights made with tf.Variable, which a
    # Keras 3 layer does not track)
    def __init__(self, units=32, activation=None):
        super().__init__()
        self.units = units
        self.activation = tf.keras.activations.get(activation)

    def build(self, input_shape):
        w_init = tf.random_normal_initializer()
        self.w = tf.Variable(
            name="kernel",
            initial_value=w_init(shape=((input_shape[-1], self.units)), dtype="float32"),
            trainable=True,
        )
        b_init = tf.zeros_initializer()
        self.b = tf.Variable(
            name="bias", initial_value=b_init(shape=((self.units,)), dtype="float32"), trainable=True
        )
        super().build(input_shape)

    def call(self, inputs):
        return self.activation(tf.matmul(inputs, self.w) + self.b)


class CustomDenseLayer(keras.layers.Layer):
    # heeheeaii/tvrmusic py/search/classifier.py (get_config extends the base config, but __init__
    # takes no **kwargs)
    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform", trainable=True
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        output = tf.matmul(inputs, self.kernel) + self.bias
        if self.activation is not None:
            output = self.activation(output)
        return output

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "activation": keras.activations.serialize(self.activation)})
        return config


class ComputeSumWithTfVariable(keras.layers.Layer):
    # lupamedeiros/learning 02_tensor_flow/learning_keras.py (the TF 2 guide's ComputeSum, whose
    # tf.Variable a Keras 3 layer does not track)
    def __init__(self, input_dim):
        super().__init__()
        self.total = tf.Variable(initial_value=tf.zeros((input_dim,)), trainable=False)

    def call(self, inputs):
        self.total.assign_add(tf.reduce_sum(inputs, axis=0))
        return self.total


def test_a_real_pasted_dunder_call_is_named():
    report = check(SimpleDensePastedDunderCall, "simple_dense")
    assert_rejected(report, "defines __call__", "call (no underscores)", Absent("numpy"))


def test_a_sigmoid_by_default_is_named_and_keras_wrapped_message_is_whole():
    report = check(SimpleDenseSigmoidByDefault, "simple_dense")
    assert_rejected(
        report,
        OnOneLine("matches sigmoid(x·w + b)", "no activation"),
        OnOneLine("get_config raised", "non-serializable argument values", "Please implement"),
    )


def test_weights_made_with_tf_variable_are_told_to_use_add_weight():
    report = check(SimpleDenseWithTfVariables, "simple_dense")
    assert_rejected(report, OnOneLine("no weights", "self.add_weight"))


def test_a_config_without_kwargs_loses_only_the_config_points():
    report = check(CustomDenseLayer, "simple_dense")
    assert_rejected(report, OnOneLine("from_config", "'name'"), "**kwargs")
    assert report.score == 9.0, str(report)


def test_the_tf2_guide_compute_sum_is_told_to_use_add_weight():
    report = check(ComputeSumWithTfVariable, "compute_sum")
    assert_rejected(report, OnOneLine("no weights", "self.add_weight", "trainable=False"))
    assert report.score == 6.0, str(report)


# ================================================================ third sweep
# More real code found with the code index (cited by repository and path, or by the index's file
# id where the index showed a file without its repository), ported with the fewest edits.


class SimpleDenseWithAMisspelledModule(keras.layers.Layer):
    # code index file 45554728023 (a course notebook's SimpleDense: tf.keras.activation.get, for
    # tf.keras.activations.get, with activation="None"; its signature is fine)
    def __init__(self, units=32, activation="None"):
        super(SimpleDenseWithAMisspelledModule, self).__init__()  # noqa: UP008
        self.units = units
        self.activation = tf.keras.activation.get(activation)

    def build(self, input_shape):
        w_init = tf.random_normal_initializer()
        self.w = tf.Variable(
            name="kernel",
            initial_value=w_init(shape=(input_shape[-1], self.units), dtype="float32"),
            trainable=True,
        )
        b_init = tf.zeros_initializer()
        self.b = tf.Variable(
            name="bias", initial_value=b_init(shape=(self.units,), dtype="float32"), trainable=True
        )

    def call(self, inputs):
        return self.activation(tf.matmul(inputs, self.w) + self.b)


class ComputeSumWithAMisspelledSuper(keras.layers.Layer):
    # code index file 41165295423 (the TF 2 guide's ComputeSum retyped: super(Compute_sum, self)
    # and `return total`)
    def __init__(self, input_dim):
        super(Compute_sum, self).__init__()  # noqa: F821
        self.total = tf.Variable(initial_value=tf.zeros((input_dim,)), trainable=False)

    def call(self, inputs):
        self.total.assign_add(tf.reduce_sum(inputs, axis=0))
        return total  # noqa: F821


class ComputeSumOfTheLayerDocstring(keras.layers.Layer):
    # keras-team/keras keras/src/layers/layer.py (the Layer docstring's ComputeSum: a scalar total
    # of every entry, where the exercise keeps one total per column)
    def __init__(self, input_dim):
        super(ComputeSumOfTheLayerDocstring, self).__init__()  # noqa: UP008
        self.total = self.add_weight(shape=(), initializer="zeros", trainable=False, name="total")

    def call(self, inputs):
        self.total.assign(self.total + ops.sum(inputs))
        return self.total


def test_an_error_in_the_body_of_init_is_not_blamed_on_its_signature():
    """SimpleDense(units=32, activation=...) accepts SimpleDense(2): only the misspelled module is wrong."""
    report = check(SimpleDenseWithAMisspelledModule, "simple_dense")
    assert_nothing_right(
        report,
        OnOneLine("raised in __init__", "has no attribute 'activation'", "tf.keras.activation.get"),
        Absent("should be def __init__"),
    )
    report = check(ComputeSumWithAMisspelledSuper, "compute_sum")
    assert_nothing_right(report, OnOneLine("NameError", "Compute_sum"), Absent("should be def __init__"))


def test_a_scalar_total_is_told_its_shape_not_told_to_add_a_total():
    report = check(ComputeSumOfTheLayerDocstring, "compute_sum")
    assert_rejected(
        report,
        OnOneLine("self.total has shape ()", "(input_dim,)"),
        OnOneLine("column sums", "ops.sum(inputs, axis=0)"),
        Absent("Add it"),
    )


def qa_with_masked_embeddings():
    """The book's QA listing with Embedding(..., mask_zero=True), as captioning code writes its text
    branch (code index file 54073397616: Embedding(vocab_size, 256, mask_zero=True) -> LSTM(256)).
    Keras 3 records the mask as an ops.not_equal call in the model's config."""
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = layers.Embedding(10000, 64, mask_zero=True)(text_input)
    encoded_text = layers.LSTM(32)(embedded_text)
    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = layers.Embedding(10000, 32, mask_zero=True)(question_input)
    encoded_question = layers.LSTM(16)(embedded_question)
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(500, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


def test_masked_embeddings_are_the_same_network_not_an_extra_not_equal_layer():
    assert_accepted(check(qa_with_masked_embeddings(), "qa_model"))


def qa_question_lstm_reading_the_text():
    # code index file 33223505402 (encoded_question = layers.LSTM(16)(embedded_text): the question's
    # Embedding is made, and left unused)
    text_vocabulary_size = 10000
    question_vocabulary_size = 10000
    answer_vocabulary_size = 500
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = layers.Embedding(text_vocabulary_size, 64)(text_input)
    encoded_text = layers.LSTM(32)(embedded_text)
    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = layers.Embedding(question_vocabulary_size, 32)(question_input)  # noqa: F841
    encoded_question = layers.LSTM(16)(embedded_text)
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(answer_vocabulary_size, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


def test_an_embedding_left_unused_is_named_as_such_not_as_missing():
    """Keras leaves the question's Embedding out of the model; the learner did write it."""
    report = check(qa_question_lstm_reading_the_text(), "qa_model")
    assert_rejected(
        report,
        OnOneLine("Embedding(10000, 32)", "after the input 'question'", "not part of the model"),
        OnOneLine("LSTM(16)", "Embedding(10000, 64)", "should take the Embedding(10000, 32)", "left unused"),
        Absent("Missing layer"),
        Absent("(missing)"),
    )


def siamese_outputs_passed_as_inputs():
    # code index file 1270723783 (a commented-out listing, as written: right_output = lstm(left_input)
    # and Model([left_output, right_output], predictions))
    lstm = layers.LSTM(32)
    left_input = Input(shape=(None, 128))
    left_output = lstm(left_input)
    right_input = Input(shape=(None, 128))  # noqa: F841
    right_output = lstm(left_input)
    merged = layers.concatenate([left_output, right_output], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged)
    return Model([left_output, right_output], predictions)


def test_layer_outputs_passed_as_model_inputs_are_not_called_an_overwritten_input():
    report = check(siamese_outputs_passed_as_inputs, "siamese_lstm")
    assert_rejected(
        report,
        OnOneLine("not a tensor made by keras.Input", "a layer's result was passed as an input"),
        Absent("This is the known pitfall of overwriting"),
    )


def mlp_with_keras1_model_arguments():
    # code index file 32755522346 (the book's first functional listing, as written: input shape
    # (784,), one hidden layer, and models.Model(input=input_tensor, output=output_tensor))
    from keras import models

    input_tensor = layers.Input(shape=(784,))
    x = layers.Dense(32, activation="relu")(input_tensor)
    output_tensor = layers.Dense(10, activation="softmax")(x)
    return models.Model(input=input_tensor, output=output_tensor)


def test_keras1_model_arguments_are_named_with_their_keras3_spelling():
    report = check(mlp_with_keras1_model_arguments, "functional_mlp")
    assert_nothing_right(
        report,
        OnOneLine("raised ValueError", "Unrecognized keyword arguments"),
        OnOneLine("input= or output=", "Keras 1", "inputs= and outputs="),
    )


def mlp_compiled_with_an_optimizer_given_lr():
    # code index file 7630785116 (tensorflow.keras; the book's first functional listing, compiled
    # with optimizers.RMSprop(lr=0.001), which Keras 3 refuses)
    from tensorflow.keras import models, optimizers

    input_tensor = layers.Input(shape=(784,))
    x = layers.Dense(32, activation="relu")(input_tensor)
    output_tensor = layers.Dense(10, activation="softmax")(x)
    model = models.Model(inputs=input_tensor, outputs=output_tensor)
    model.compile(optimizer=optimizers.RMSprop(lr=0.001), loss="mse", metrics=["accuracy"])
    return model


def test_an_optimizer_given_lr_is_told_learning_rate():
    report = check(mlp_compiled_with_an_optimizer_given_lr, "functional_mlp")
    assert_nothing_right(
        report, OnOneLine("raised ValueError", "{'lr': 0.001}"), OnOneLine("lr=", "learning_rate=")
    )


# zhuyuanxiang/deep-learning-with-python-notebooks ch07/ch0701_keras_functional_api.py: the book's
# listings with activations and losses imported as functions (keras.activations.relu, softmax,
# sigmoid; keras.losses.categorical_crossentropy, mse, binary_crossentropy) and the optimizer
# given as an instance (keras.optimizers.rmsprop(), Keras 3's RMSprop()); the x = Input(shape=
# (None,)) of the residual listings replaced by the exercise's input.


def zyx_functional_mlp():
    from keras.activations import relu, softmax
    from keras.losses import categorical_crossentropy
    from keras.optimizers import RMSprop as rmsprop

    input_tensor = Input(shape=(64,))
    x = layers.Dense(32, activation=relu)(input_tensor)
    x = layers.Dense(32, activation=relu)(x)
    output_tensor = layers.Dense(10, activation=softmax)(x)
    api_model = Model(input_tensor, output_tensor, name="使用 Functional API 实现的模型")
    api_model.compile(optimizer=rmsprop(), loss=categorical_crossentropy)
    return api_model


def zyx_qa_model():
    from keras.activations import softmax
    from keras.layers import LSTM, Dense, Embedding, concatenate
    from keras.losses import categorical_crossentropy
    from keras.optimizers import RMSprop as rmsprop

    text_vocabulary_size = 10000
    question_vocabulary_size = 10000
    answer_vocabulary_size = 500
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = Embedding(text_vocabulary_size, 64)(text_input)
    encoded_text = LSTM(32)(embedded_text)
    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = Embedding(question_vocabulary_size, 32)(question_input)
    encoded_question = LSTM(16)(embedded_question)
    concatenated = concatenate([encoded_text, encoded_question], axis=-1)
    output = Dense(answer_vocabulary_size, activation=softmax)(concatenated)
    model = Model([text_input, question_input], output, name="使用 Functional API 实现的双输入问答模型")
    model.compile(optimizer=rmsprop(), loss=categorical_crossentropy, metrics=["acc"])
    return model


def zyx_profiling_model():
    """As published: Embedding(256, vocabulary_size), and kernel size 6 in the four Conv1D(256)."""
    from keras.activations import relu, sigmoid, softmax
    from keras.layers import Conv1D, Dense, Embedding, GlobalMaxPooling1D, MaxPooling1D
    from keras.losses import binary_crossentropy, categorical_crossentropy
    from keras.losses import mean_squared_error as mse
    from keras.optimizers import RMSprop as rmsprop

    vocabulary_size = 50000
    num_income_groups = 10
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = Embedding(256, vocabulary_size)(posts_input)
    x = Conv1D(128, 5, activation=relu)(embedded_posts)
    x = MaxPooling1D(5)(x)
    x = Conv1D(256, 6, activation=relu)(x)
    x = Conv1D(256, 6, activation=relu)(x)
    x = MaxPooling1D(5)(x)
    x = Conv1D(256, 6, activation=relu)(x)
    x = Conv1D(256, 6, activation=relu)(x)
    x = GlobalMaxPooling1D()(x)
    x = Dense(128, activation=relu)(x)
    age_prediction = Dense(1, name="age")(x)
    income_prediction = Dense(num_income_groups, activation=softmax, name="income")(x)
    gender_prediction = Dense(1, activation=sigmoid, name="gender")(x)
    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer=rmsprop(),
        loss={"age": mse, "income": categorical_crossentropy, "gender": binary_crossentropy},
        loss_weights={"age": 0.25, "income": 1.0, "gender": 10.0},
    )
    return model


def zyx_residual(projection=False):
    from keras.activations import relu
    from keras.layers import Conv2D, MaxPooling2D

    input_data = Input(shape=(32, 32, 64 if projection else 128))
    y = Conv2D(128, 3, activation=relu, padding="same")(input_data)
    y = Conv2D(128, 3, activation=relu, padding="same")(y)
    if projection:
        y = MaxPooling2D(2, strides=2)(y)
        residual = Conv2D(128, 1, strides=2, padding="same")(input_data)
        return Model(input_data, keras.layers.add([y, residual]))
    y = Conv2D(128, 3, activation=relu, padding="same")(y)
    return Model(input_data, keras.layers.add([y, input_data]))


def zyx_siamese_lstm():
    from keras.activations import sigmoid
    from keras.layers import LSTM, Dense, concatenate

    lstm = LSTM(32)
    left_input = Input(shape=(None, 128))
    left_output = lstm(left_input)
    right_input = Input(shape=(None, 128))
    right_output = lstm(right_input)
    merged = concatenate([left_output, right_output], axis=-1)
    predictions = Dense(1, activation=sigmoid)(merged)
    return Model([left_input, right_input], predictions)


@pytest.mark.parametrize(
    "build, exercise_id",
    [
        (zyx_functional_mlp, "functional_mlp"),
        (zyx_qa_model, "qa_model"),
        (zyx_residual, "residual_identity"),
        (lambda: zyx_residual(projection=True), "residual_projection"),
        (zyx_siamese_lstm, "siamese_lstm"),
    ],
    ids=["mlp", "qa", "identity", "projection", "siamese"],
)
def test_activations_losses_and_optimizers_given_as_python_objects_pass(build, exercise_id):
    assert_accepted(check(build(), exercise_id))


def test_loss_functions_are_not_blamed_when_the_trunk_is_what_differs():
    report = check(zyx_profiling_model(), "profiling_model")
    assert_at_most_half(
        report,
        "swapped",
        OnOneLine("second Conv1D", "kernel_size=6", "5"),
        OnOneLine("fifth Conv1D", "kernel_size=6", "5"),
        Absent("loss"),
        Absent("optimizer"),
    )


def profiling_with_the_trunk_commented_out():
    # code index file 40202032641 (muilt_output_model.py: the six trunk lines after the first
    # Conv1D are commented out)
    vocab_size = 50000
    num_income_group = 10
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(vocab_size, 256)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_group, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer="rmsprop",
        loss={"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
        loss_weights={"age": 0.25, "income": 1.0, "gender": 10.0},
    )
    return model


def profiling_with_average_pooling_and_adam():
    # code index file 6569500543 (GlobalAveragePooling1D for GlobalMaxPooling1D, optimizer 'adam')
    voca_size = 50000
    num_income_groups = 10
    posts_input = Input(shape=[None], dtype="int32", name="posts")
    embedded_posts = layers.Embedding(voca_size, 256)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_groups, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = keras.models.Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer="adam",
        loss={"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
        loss_weights={"age": 0.25, "income": 1.0, "gender": 10.0},
    )
    return model


def profiling_small_vocabulary_and_two_gender_units():
    # code index file 30558842237 (vocabulary_size = 1000, Embedding(32, vocabulary_size), every
    # Conv1D with 128 filters, and Dense(2, activation='sigmoid') for gender)
    vocabulary_size = 1000
    num_income_groups = 10
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(32, vocabulary_size)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(128, 5, activation="relu")(x)
    x = layers.Conv1D(128, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(128, 5, activation="relu")(x)
    x = layers.Conv1D(128, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_groups, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(2, activation="sigmoid", name="gender")(x)
    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer="rmsprop",
        loss={"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
        loss_weights={"age": 0.25, "income": 1.0, "gender": 10.0},
    )
    return model


def profiling_with_global_max_pool_alias():
    # code index file 33223505402 (the same file as the QA listing above: layers.GlobalMaxPool1D,
    # Keras' other name for GlobalMaxPooling1D)
    vocabulary_size = 50000
    num_income_groups = 10
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(vocabulary_size, 256)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalMaxPool1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_groups, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer="rmsprop",
        loss=["mse", "categorical_crossentropy", "binary_crossentropy"],
        loss_weights=[0.25, 1.0, 10.0],
    )
    return model


def profiling_with_a_misspelled_dtype():
    # code index file 14005787577 (Input(..., dtype='iint32'), and the first-edition Embedding)
    vocabulary_size = 50000
    num_income_group = 10
    posts_input = Input(shape=(None,), dtype="iint32", name="posts")
    embedded_posts = layers.Embedding(256, vocabulary_size)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.GlobalMaxPooling1D()(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_group, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    return Model(posts_input, [age_prediction, income_prediction, gender_prediction])


def test_profiling_with_the_trunk_commented_out_names_each_missing_layer():
    report = check(profiling_with_the_trunk_commented_out(), "profiling_model")
    assert_rejected(
        report,
        OnOneLine("Missing layer", "MaxPooling1D(5"),
        OnOneLine("Missing layer", "Conv1D(256, 5", "2 such layers"),
        Absent("Extra layer:"),
        Absent("named mistake"),
    )


def test_average_pooling_and_adam_are_each_named():
    """The average pooling stands where the max pooling should: one layer of the wrong kind, said
    once and counted once (not a missing layer plus an extra one), and its wiring is right."""
    report = check(profiling_with_average_pooling_and_adam(), "profiling_model")
    assert_rejected(
        report,
        OnOneLine("GlobalAveragePooling1D", "where the exercise has GlobalMaxPooling1D()"),
        OnOneLine("optimizer", "Adam", "rmsprop"),
        Absent("Missing layer"),
        Absent("Extra layer"),
        Absent("connections"),
    )
    assert 8.5 <= report.score < 10, str(report)


def inception_with_max_pooling():
    """xuannianc/spinach's listing (inception_first_edition, padding fixed) with branch_c pooled by
    MaxPooling2D, as GoogLeNet's module does (supercode517/Dec2024 12.24.py above)."""
    x = layers.Input((32, 32, 64))
    branch_a = layers.Conv2D(128, 1, activation="relu", strides=2)(x)
    branch_b = layers.Conv2D(128, 1, activation="relu")(x)
    branch_b = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_b)
    branch_c = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    branch_c = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_c)
    branch_d = layers.Conv2D(128, 1, activation="relu")(x)
    branch_d = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_d)
    branch_d = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_d)
    return Model(x, layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=-1))


def residual_with_separable_convolutions():
    """xuannianc/spinach's identity block (residual_book_first_edition) with its last two
    convolutions written as SeparableConv2D, the book's later blocks' convolution."""
    x = Input((32, 32, 128))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.SeparableConv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.SeparableConv2D(128, 3, activation="relu", padding="same")(y)
    return Model(x, layers.add([y, x]))


def residual_with_a_separable_convolution_in_the_middle():
    """The same block with only its middle convolution a SeparableConv2D: the Conv2D after it is
    the exercise's third, not its second fed from the wrong place."""
    x = Input((32, 32, 128))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.SeparableConv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    return Model(x, layers.add([y, x]))


def test_a_layer_of_the_wrong_kind_between_two_alike_layers_is_said_once():
    report = check(residual_with_a_separable_convolution_in_the_middle(), "residual_identity")
    assert_rejected(
        report,
        OnOneLine("SeparableConv2D(128, 3", "where the exercise has Conv2D(128, 3"),
        Absent("Missing layer"),
        Absent("Extra layer"),
        Absent("connections"),
    )
    assert 8.5 <= report.score < 10, str(report)


def test_a_max_pooling_where_the_average_pooling_goes_is_said_once():
    report = check(inception_with_max_pooling(), "inception_block")
    assert_rejected(
        report,
        OnOneLine("MaxPooling2D(3, strides=2, padding='same')", "where the exercise has AveragePooling2D"),
        Absent("Missing layer"),
        Absent("Extra layer"),
        Absent("connections"),
        Absent("named mistake"),
    )
    assert 9 <= report.score < 10, str(report)


def test_two_layers_of_the_wrong_kind_are_each_told_by_position():
    report = check(residual_with_separable_convolutions(), "residual_identity")
    assert_rejected(
        report,
        OnOneLine("first SeparableConv2D after the input", "where the exercise has Conv2D(128, 3"),
        OnOneLine("second SeparableConv2D after the input", "where the exercise has Conv2D(128, 3"),
        Absent("Missing layer"),
        Absent("Extra layer"),
        Absent("wrong tensor"),
    )
    assert HALF < report.score < 10, str(report)


def test_a_small_vocabulary_and_two_gender_units_are_named():
    report = check(profiling_small_vocabulary_and_two_gender_units(), "profiling_model")
    assert_rejected(
        report,
        OnOneLine("Embedding(32, 1000)", "Embedding(50000, 256)"),
        OnOneLine("'gender'", "units=2", "1"),
        OnOneLine("second Conv1D", "filters=128", "256"),
        OnOneLine("'gender'", "(None, 2)", "(None, 1)"),
    )


def test_the_global_max_pool_alias_is_the_same_layer():
    assert_accepted(check(profiling_with_global_max_pool_alias(), "profiling_model"))


def test_a_misspelled_dtype_is_named():
    report = check(profiling_with_a_misspelled_dtype, "profiling_model")
    assert_nothing_right(report, OnOneLine("raised ValueError", "Invalid dtype", "iint32"))


def inception_with_a_misspelled_layer():
    # code index file 45938446329 (Japanese notes on the book: branch_d = layers.Cov2D(...); the
    # x the listing leaves undefined is the exercise's input)
    x = Input((32, 32, 64))
    branch_a = layers.Conv2D(128, 1, activation="relu", strides=2)(x)
    branch_b = layers.Conv2D(128, 1, activation="relu")(x)
    branch_b = layers.Conv2D(128, 3, activation="relu", strides=2)(branch_b)
    branch_c = layers.AveragePooling2D(3, strides=2)(x)
    branch_c = layers.Conv2D(128, 3, activation="relu")(branch_c)
    branch_d = layers.Cov2D(128, 1, activation="relu")(x)
    branch_d = layers.Conv2D(128, 3, activation="relu")(branch_d)
    branch_d = layers.Conv2D(128, 3, activation="relu", strides=2)(branch_d)
    output = layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=-1)
    return Model(x, output)


def test_a_misspelled_layer_class_is_named_not_blamed_on_padding():
    report = check(inception_with_a_misspelled_layer, "inception_block")
    assert_nothing_right(report, OnOneLine("AttributeError", "Cov2D"), Absent("padding"))


def residual_projection_with_max_pool_alias():
    # code index file 18678668689 (layers.MaxPool2D(2, strides=2); x = [] replaced by the input)
    x = Input((32, 32, 64))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.MaxPool2D(2, strides=2)(y)
    residual = layers.Conv2D(128, 1, strides=2, padding="same")(x)
    y = layers.add([y, residual])
    return Model(x, y)


def residual_projection_on_large_rgb_images():
    # code index file 35218776610 (the projection block on Input(shape=(512, 512, 3)))
    x = Input(shape=(512, 512, 3))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.MaxPooling2D(2, strides=2)(y)
    residual = layers.Conv2D(128, 1, strides=2, padding="same")(x)
    y = layers.add([y, residual])
    return Model(x, y)


def test_the_max_pool_alias_is_the_same_layer():
    assert_accepted(check(residual_projection_with_max_pool_alias(), "residual_projection"))


def test_a_block_on_another_input_shape_is_told_the_shape_only():
    report = check(residual_projection_on_large_rgb_images(), "residual_projection")
    assert_rejected(
        report,
        OnOneLine("input", "(512, 512, 3)", "(32, 32, 64)"),
        OnOneLine("(None, 256, 256, 128)", "(None, 16, 16, 128)"),
        Absent("Missing layer"),
        Absent("Extra layer"),
    )
    assert report.score == 6.0, str(report)


def qa_with_keyword_arguments():
    # code index file 1025014099 (Embedding(input_dim=..., output_dim=...), LSTM(units=...),
    # Dense(units=...))
    text_vocabulary_size = 10000
    question_vocabulary_size = 10000
    answer_vocabulary_size = 500
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = layers.Embedding(input_dim=text_vocabulary_size, output_dim=64)(text_input)
    encoded_text = layers.LSTM(units=32)(embedded_text)
    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = layers.Embedding(input_dim=question_vocabulary_size, output_dim=32)(question_input)
    encoded_question = layers.LSTM(units=16)(embedded_question)
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(units=answer_vocabulary_size, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


def test_qa_written_with_keyword_arguments_passes():
    assert_accepted(check(qa_with_keyword_arguments(), "qa_model"))


def inception_three_branches_on_axis_1():
    # code index file 41648670566 (notes on a Keras book in Chinese: three branches joined with
    # concatenate(..., axis=1), the height axis of channels-last images; inp is the exercise's input)
    from tensorflow.keras.layers import Conv2D, MaxPooling2D, concatenate

    inp = Input(shape=(32, 32, 64))
    b1 = Conv2D(64, (1, 1), padding="same", activation="relu")(inp)
    b1 = Conv2D(64, (3, 3), padding="same", activation="relu")(b1)
    b2 = Conv2D(64, (1, 1), padding="same", activation="relu")(inp)
    b2 = Conv2D(64, (5, 5), padding="same", activation="relu")(b2)
    b3 = MaxPooling2D((3, 3), strides=(1, 1), padding="same")(inp)
    b3 = Conv2D(64, (1, 1), padding="same", activation="relu")(b3)
    out = concatenate([b1, b2, b3], axis=1)
    return Model(inp, out)


def inception_block_concatenated_on_axis_1():
    """The minimal fix of the book's block, joined on axis=1 instead of the channel axis."""
    x = Input((32, 32, 64))
    branch_a = layers.Conv2D(128, 1, activation="relu", strides=2)(x)
    branch_b = layers.Conv2D(128, 1, activation="relu")(x)
    branch_b = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_b)
    branch_c = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    branch_c = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_c)
    branch_d = layers.Conv2D(128, 1, activation="relu")(x)
    branch_d = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_d)
    branch_d = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_d)
    return Model(x, layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=1))


def test_a_concatenate_axis_is_shown_as_written():
    """axis=1 is compared as -3 on 4-axis tensors, but the learner wrote 1."""
    report = check(inception_block_concatenated_on_axis_1(), "inception_block")
    assert_rejected(
        report,
        OnOneLine("Concatenate(axis=1)", "axis=1 where -1 is expected"),
        OnOneLine("(None, 64, 16, 128)", "(None, 16, 16, 512)"),
        Absent("-3"),
    )
    report = check(inception_three_branches_on_axis_1(), "inception_block")
    assert_rejected(
        report,
        OnOneLine("Concatenate(axis=1)", "(None, 96, 32, 64)", "(None, 16, 16, 512)"),
        OnOneLine("should take an AveragePooling2D(3, strides=2", "(missing)"),
        Absent("-3"),
    )


def mlp_in_a_nested_sequential_on_a_number_shape():
    # code index file 41648670566 (the same notes: Input(shape=48), which Keras 3 refuses, feeding
    # a nested Sequential of Dense(32) and Dense(16))
    from tensorflow.keras import Sequential
    from tensorflow.keras.layers import Dense

    dnn = Sequential()
    dnn.add(Dense(32, activation="relu", input_dim=48))
    dnn.add(Dense(16, activation="relu"))
    inp = Input(shape=48)
    out = dnn(inp)
    out = Dense(10)(out)
    return Model(inp, out)


def test_an_input_shape_given_as_a_number_is_told_the_tuple():
    report = check(mlp_in_a_nested_sequential_on_a_number_shape, "functional_mlp")
    assert_nothing_right(
        report, OnOneLine("Cannot convert '48' to a shape"), OnOneLine("shape=(48,)", "comma")
    )


def profiling_with_dict_outputs_and_list_losses():
    """keras-team/keras-io guides/functional_api.py (Keras 3 version: outputs={"priority": ...,
    "department": ...}, then compile(loss=[...], loss_weights=[1.0, 0.2]) in the order written),
    applied to the book's profiling listing. Keras pairs a list with a dict's outputs in sorted
    key order: age, gender, income."""
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(50000, 256)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(10, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = keras.Model(
        inputs=posts_input,
        outputs={"age": age_prediction, "income": income_prediction, "gender": gender_prediction},
    )
    model.compile(
        optimizer="rmsprop",
        loss=["mse", "categorical_crossentropy", "binary_crossentropy"],
        loss_weights=[0.25, 1.0, 10.0],
    )
    return model


def test_lists_of_losses_for_dict_outputs_are_told_why_they_pair_other_outputs():
    report = check(profiling_with_dict_outputs_and_list_losses(), "profiling_model")
    assert_rejected(
        report,
        OnOneLine("'income' has binary_crossentropy", "'gender' has categorical_crossentropy"),
        OnOneLine("outputs are a dict", "sorted name order", "'age', 'gender', 'income'"),
    )
    assert report.score > HALF, str(report)


def test_the_googlenet_feedback_does_not_depend_on_the_layer_names_keras_made_up_before():
    """Look-alike layers are told apart in the order they were written. Keras numbers the names it
    makes up per process (conv2d_7 ... conv2d_13 after seven earlier Conv2D): sorted as text,
    conv2d_10 came before conv2d_7 and the first 1x1 convolution was called the fourth."""
    while not keras.layers.Conv2D(1, 1).name.endswith("6"):
        pass  # the module's seven convolutions will be numbered across a ten (…7 to …13)
    report = check(inception_googlenet_module(), "inception_block")
    assert_rejected(report, OnOneLine("first of the 4 Conv2D(128, 1", "strides=2"))


def trend_from_a_book_listing_without_a_photo_merge():
    # code index file 41648670566 (the same notes' product model: attributes -> Dense(16), copy ->
    # Embedding(1000, 32) -> LSTM(28), image -> two Conv2D/MaxPooling2D -> Flatten, concatenated,
    # Dense(28), a 'sell' regression and an 'eval' classifier), with the capstone's input shapes and
    # input and output names, and the 'eval' head made the 12 sigmoid trend elements
    att_in = Input(shape=(20,), name="questionnaire")
    att = layers.Dense(16, activation="relu")(att_in)
    txt_in = Input(shape=(None,), dtype="int32", name="review")
    txt = layers.Embedding(1000, 32)(txt_in)
    txt = layers.LSTM(28)(txt)
    img_in = Input(shape=(64, 64, 3), name="photo")
    img = layers.Conv2D(32, (3, 3), activation="relu")(img_in)
    img = layers.MaxPooling2D((2, 2))(img)
    img = layers.Conv2D(32, (3, 3), activation="relu")(img)
    img = layers.MaxPooling2D((2, 2))(img)
    img = layers.Flatten()(img)
    out = layers.concatenate([att, txt, img], axis=-1)
    out = layers.Dense(28, activation="relu")(out)
    sell_out = layers.Dense(1, name="price")(out)
    eval_out = layers.Dense(12, activation="sigmoid", name="trend")(out)
    model = Model([att_in, txt_in, img_in], [sell_out, eval_out])
    model.compile(optimizer="rmsprop", loss={"price": "mse", "trend": "binary_crossentropy"})
    return model


def test_a_capstone_without_a_photo_merge_loses_only_that_point():
    report = check(trend_from_a_book_listing_without_a_photo_merge(), "trend_model")
    assert_rejected(
        report, OnOneLine("photo path", "Conv2D → MaxPooling2D → Conv2D → MaxPooling2D → Flatten", "merge")
    )
    assert report.score == 9.0, str(report)


class MyDense(keras.layers.Layer):
    # ageron/handson-ml2 12_custom_models_and_training_with_tensorflow.ipynb (MyDense: right, but its
    # compute_output_shape calls TensorShape.as_list(), and Keras 3 gives it a tuple in a model)
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, batch_input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=[batch_input_shape[-1], self.units], initializer="glorot_normal"
        )
        self.bias = self.add_weight(name="bias", shape=[self.units], initializer="zeros")
        super().build(batch_input_shape)  # must be at the end

    def call(self, X):
        return self.activation(X @ self.kernel + self.bias)

    def compute_output_shape(self, batch_input_shape):
        return tf.TensorShape(batch_input_shape.as_list()[:-1] + [self.units])

    def get_config(self):
        base_config = super().get_config()
        return {
            **base_config,
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
        }


def test_a_keras2_compute_output_shape_loses_only_the_model_point_and_is_told_why():
    report = check(MyDense, "simple_dense")
    assert_rejected(
        report,
        OnOneLine("In a functional model", "'tuple' object has no attribute 'as_list'", "plain tuples"),
    )
    assert report.score == 9.0, str(report)


def qa_text_branch_merged_twice():
    """A slip on the book's QA listing: concatenate([encoded_text, encoded_text]); the question's
    Embedding and LSTM are written, and left out of the model."""
    text_input = Input(shape=(None,), dtype="int32", name="text")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text_input))
    question_input = Input(shape=(None,), dtype="int32", name="question")
    encoded_question = layers.LSTM(16)(layers.Embedding(10000, 32)(question_input))  # noqa: F841
    concatenated = layers.concatenate([encoded_text, encoded_text], axis=-1)
    model = Model([text_input, question_input], layers.Dense(500, activation="softmax")(concatenated))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


def profiling_with_a_head_left_out_of_the_model():
    """A slip on xuannianc/spinach's listing (above): the gender head is written, and left out of
    keras.Model(posts_input, [age_prediction, income_prediction])."""
    model = profiling_book_listing_lists()
    posts_input = model.inputs[0]
    age_prediction, income_prediction, _ = model.outputs
    model = Model(posts_input, [age_prediction, income_prediction])
    model.compile(optimizer="rmsprop", loss=["mse", "categorical_crossentropy"], loss_weights=[0.25, 1.0])
    return model


def test_a_branch_left_out_of_the_model_is_named_layer_by_layer_not_as_missing():
    report = check(qa_text_branch_merged_twice(), "qa_model")
    assert_rejected(
        report,
        OnOneLine("Input 'question'", "Embedding(10000, 32), LSTM(16)", "lead to no output"),
        OnOneLine("The LSTM(16) after the Embedding(10000, 32)", "not part of the model"),
        OnOneLine("Concatenate", "twice"),
        Absent("Missing layer"),
    )


def test_a_head_left_out_of_the_model_is_not_called_missing():
    report = check(profiling_with_a_head_left_out_of_the_model(), "profiling_model")
    assert_rejected(
        report,
        OnOneLine("Dense(1, activation='sigmoid')", "not part of the model"),
        OnOneLine("Missing output 'gender'", "outputs="),
        Absent("Missing layer"),
    )


def test_a_nested_model_left_out_is_not_copied_into_the_description():
    """A left-out Xception would carry its whole config (hundreds of kB) into the description."""
    from checker import describe

    left_input, right_input = Input(shape=(250, 250, 3)), Input(shape=(250, 250, 3))
    base = applications.Xception(weights=None, include_top=False)
    other = applications.Xception(weights=None, include_top=False, name="xception_2")
    left = base(left_input)
    other(right_input)
    model = Model([left_input, right_input], layers.concatenate([left, left], axis=-1))
    assert "unconnected" not in describe(model)
    assert_rejected(check(model, "shared_vision"), OnOneLine("Concatenate", "twice"))


def test_the_sorted_order_note_only_comes_when_it_is_the_cause():
    model = profiling_with_dict_outputs_and_list_losses()
    model.compile(optimizer="adam", loss=["mse", "binary_crossentropy", "categorical_crossentropy"])
    report = check(model, "profiling_model")  # right in sorted order: only the optimizer and weights
    assert_rejected(report, OnOneLine("optimizer", "Adam"), Absent("sorted name order"))
    model.compile(optimizer="rmsprop", loss=["mae", "categorical_crossentropy", "binary_crossentropy"])
    report = check(model, "profiling_model")  # wrong in the written order too
    assert_rejected(report, "mae", Absent("sorted name order"))


def test_a_block_on_images_of_any_size_is_told_the_input_shape_not_that_earlier_layers_differ():
    """The book's second-edition helper (above) on keras.Input(shape=(None, None, 64)): on an
    unknown size its pooling's padding="same" might pad, on the exercise's 32x32 it does not."""
    inputs = keras.Input(shape=(None, None, 64))
    report = check(
        keras.Model(inputs, residual_block(inputs, filters=128, pooling=True)), "residual_projection"
    )
    assert_rejected(
        report,
        OnOneLine("input", "(None, None, 64)", "(32, 32, 64)"),
        Absent("the layers before it differ"),
        Absent("MaxPooling2D"),
    )
    assert report.score == 6.0, str(report)


def siamese_right_output_computed_but_not_merged():
    """The listing with the slip above, after right_output = lstm(right_input) was written: the
    second call exists, but not in the model."""
    lstm = layers.LSTM(32)
    left_input = Input(shape=(None, 128))
    left_output = lstm(left_input)
    right_input = Input(shape=(None, 128))
    right_output = lstm(right_input)  # noqa: F841
    merged = layers.concatenate([left_output, left_output], axis=-1)
    return Model([left_input, right_input], layers.Dense(1, activation="sigmoid")(merged))


def test_a_second_call_left_out_of_the_model_is_counted_in_the_model():
    report = check(siamese_right_output_computed_but_not_merged(), "siamese_lstm")
    assert_rejected(report, OnOneLine("called only once in the model"), OnOneLine("Concatenate", "twice"))


# ================================================================ fourth sweep
# Sources not used above (repository and path, or the code index's file id), ported with the
# fewest edits; each builder's comment says which.


def qa_compiled_with_adam(lr_keyword=True):
    # enningxie/Keras olders/keras_07_01.py (optimizers.Adam(lr=0.001), losses.categorical_crossentropy,
    # metrics.categorical_accuracy); with lr_keyword=False, lr= ported to learning_rate=
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = layers.Embedding(10000, 64)(text_input)
    encoded_text = layers.LSTM(32)(embedded_text)
    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = layers.Embedding(10000, 32)(question_input)
    encoded_question = layers.LSTM(16)(embedded_question)
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(500, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    rate = {"lr": 0.001} if lr_keyword else {"learning_rate": 0.001}
    model.compile(
        optimizer=keras.optimizers.Adam(**rate),
        loss=keras.losses.categorical_crossentropy,
        metrics=[keras.metrics.categorical_accuracy],
    )
    return model


def dubble_input_model():
    # code index file 18262593343 (Japanese notes: the function builds, compiles and summarises the
    # model, then fits it on random data, and never returns it; the fit calls are left out)
    text_input = Input(shape=(None,), dtype="int32", name="text")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text_input))
    question_input = Input(shape=(None,), dtype="int32", name="question")
    encoded_question = layers.LSTM(16)(layers.Embedding(10000, 32)(question_input))
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(500, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    model.summary(print_fn=lambda *args, **kwargs: None)


def test_an_optimizer_given_lr_is_named_before_anything_else():
    report = check(lambda: qa_compiled_with_adam(lr_keyword=True), "qa_model")
    assert_nothing_right(report, OnOneLine("lr=", "learning_rate="))


def test_adam_with_a_loss_function_and_its_accuracy_loses_only_the_optimizer():
    report = check(qa_compiled_with_adam(lr_keyword=False), "qa_model")
    assert_rejected(report, OnOneLine("Adam", "rmsprop"), Absent("metric"), Absent("loss"))
    assert report.score > 9.0, str(report)


def test_a_builder_that_compiles_but_never_returns_is_told_to_return():
    assert_nothing_right(check(dubble_input_model, "qa_model"), "Got None", "return model")


def profiling_first_edition(pooling="max", dense_128=True, optimizer="rmsprop", aliases=False):
    """The book's first-edition listing, Embedding(256, vocabulary) as printed, as three copies have it:
    code index file 28084159044 (GlobalAvgPool1D and no Dense(128) before the heads), code index
    file 1177303022 (MaxPool1D / GlobalMaxPool1D, Dense(1, activation='linear'), compiled with
    'adam'), code index file 38743736405 (the listing itself, compiled with dicts)."""
    max_pool = layers.MaxPool1D if aliases else layers.MaxPooling1D
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(256, 50000)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = max_pool(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = max_pool(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalAvgPool1D()(x) if pooling == "average" else layers.GlobalMaxPool1D()(x)
    if dense_128:
        x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, activation="linear" if aliases else None, name="age")(x)
    income_prediction = layers.Dense(10, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])
    model.compile(
        optimizer=optimizer,
        loss={"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
        loss_weights={"age": 0.25, "income": 1.0, "gender": 10.0},
    )
    return model


@pytest.mark.parametrize(
    "settings, named",
    [
        ({}, []),
        (
            {"pooling": "average", "dense_128": False},
            ["GlobalAveragePooling1D", OnOneLine("Missing", "Dense(128")],
        ),
        ({"optimizer": "adam", "aliases": True}, [OnOneLine("Adam", "rmsprop")]),
    ],
    ids=["listing", "average_pool_no_dense", "adam_and_aliases"],
)
def test_first_edition_profiling_copies_name_the_swap_and_each_other_difference(settings, named):
    report = check(profiling_first_edition(**settings), "profiling_model")
    assert_at_most_half(report, OnOneLine("Embedding(256, 50000)", "swapped"), *named)
    if not named:
        assert "compile (2/2)" in str(report)


def inception_on_its_own_input(shape=(512, 512, 64), padding="same", **input_arguments):
    """code index file 26738291 (the listing with padding='same', on Input(shape=(512, 512, 64)),
    ending at `output`; Model(x, output) added) and code index file 45125048624 (the listing without
    padding, on Input(shape=(28, 28, 1), dtype='float32', name='images'))."""

    def build_inception_block():
        same = {"padding": padding} if padding else {}
        x = layers.Input(shape=shape, **input_arguments)
        branch_a = layers.Conv2D(128, 1, activation="relu", strides=2, **same)(x)
        branch_b = layers.Conv2D(128, 1, activation="relu")(x)
        branch_b = layers.Conv2D(128, 3, activation="relu", strides=2, **same)(branch_b)
        branch_c = layers.AveragePooling2D(3, strides=2, **same)(x)
        branch_c = layers.Conv2D(128, 3, activation="relu", **same)(branch_c)
        branch_d = layers.Conv2D(128, 1, activation="relu")(x)
        branch_d = layers.Conv2D(128, 3, activation="relu", **same)(branch_d)
        branch_d = layers.Conv2D(128, 3, activation="relu", strides=2, **same)(branch_d)
        output = layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=-1)
        return Model(x, output)

    return build_inception_block


def residual_page_245(projection=False, shape=(512, 512, 128)):
    # code index file 879527965 (both blocks on layers.Input(shape=(512, 512, 128)); Model(x, output)
    # added); with the exercise's shape, yanqinghao/KerasDL residual.py (x = ... as an Input)
    x = layers.Input(shape=shape)
    if projection:
        z = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
        z = layers.Conv2D(128, 3, activation="relu", padding="same")(z)
        z = layers.MaxPool2D(2, strides=2)(z)
        residual = layers.Conv2D(128, 1, strides=2, padding="same")(x)
        return Model(x, layers.add([z, residual]))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    return Model(x, layers.add([y, x]))


@pytest.mark.parametrize(
    "build, exercise, expected",
    [
        (inception_on_its_own_input(), "inception_block", "(32, 32, 64)"),
        (lambda: residual_page_245(), "residual_identity", "(32, 32, 128)"),
        (lambda: residual_page_245(projection=True), "residual_projection", "(32, 32, 64)"),
    ],
    ids=["inception", "identity", "projection"],
)
def test_a_listing_on_a_large_input_is_told_the_input_shape_only(build, exercise, expected):
    report = check(build(), exercise)
    assert_rejected(report, OnOneLine("input has shape", expected), Absent("Missing"), Absent("Extra"))
    assert report.score == 6.0, str(report)


def test_an_inception_listing_without_padding_on_mnist_digits_is_told_about_padding():
    build = inception_on_its_own_input((28, 28, 1), padding=None, dtype="float32", name="images")
    assert_nothing_right(check(build, "inception_block"), "could not even be built", 'padding="same"')


def siamese_lstm_listing(model_inputs="inputs", units=32, shape=(None, 128), head=True):
    """Magicboomliu/2019_Summer_Keras_Liuzihua Keras高级编程实践/连体LSTM.py (the listing);
    ConnieX/MachineLearningExercises siamese_lstm.py (Model([left_output, right_output], ...));
    puyo1999/ExpertPythonProgramming DLwithPythonKeras/Ch7_가중치공유_LSTM.py (ends at `merged`:
    Model([left_input, right_input], merged) added); Alchemistyui/DeepLearning
    keras_shared_functional.py (the Keras 2 guide's shared LSTM(64) on tweets of shape (140, 256))."""
    lstm = layers.LSTM(units)
    left_input = Input(shape=shape)
    left_output = lstm(left_input)
    right_input = Input(shape=shape)
    right_output = lstm(right_input)
    merged = layers.concatenate([left_output, right_output], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged) if head else merged
    if model_inputs == "outputs":
        return Model([left_output, right_output], predictions)
    model = Model([left_input, right_input], predictions)
    if units == 64:
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_the_guide_shared_lstm_on_tweets_is_told_its_units_and_input_shapes():
    report = check(siamese_lstm_listing(units=64, shape=(140, 256)), "siamese_lstm")
    assert_rejected(report, OnOneLine("LSTM(64)", "LSTM(32)"), OnOneLine("first input", "(140, 256)"))
    assert report.score > HALF, str(report)


def test_a_siamese_listing_that_ends_at_the_merge_is_told_the_missing_head():
    report = check(siamese_lstm_listing(head=False), "siamese_lstm")
    assert_rejected(report, OnOneLine("Missing layer", "Dense(1, activation='sigmoid')"))


def test_a_shared_lstm_left_out_of_the_model_is_one_instance_not_two_layers():
    """ConnieX's Model([left_output, right_output], ...) leaves the one LSTM out: it was said as
    'Missing layer: LSTM(32) after the input. 2 such layers are missing.', which points a learner
    to the separate-instances pitfall."""
    report = check(siamese_lstm_listing(model_inputs="outputs"), "siamese_lstm")
    assert_rejected(
        report,
        OnOneLine("not a tensor made by keras.Input"),
        OnOneLine("Missing layer", "LSTM(32)", "one instance called twice"),
        Absent("such layers are missing"),
    )


def shared_digit_vision_model():
    # EmbraceLife/LIE my_utils/build_model_01_functional_06_shared_vision_model.py (the Keras 2
    # guide's shared vision model: a small Conv2D base shared by two digit inputs)
    from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D, concatenate

    digit_input = Input(shape=(27, 27, 1))
    x = Conv2D(64, (3, 3))(digit_input)
    x = Conv2D(64, (3, 3))(x)
    x = MaxPooling2D((2, 2))(x)
    out = Flatten()(x)
    vision_model = Model(digit_input, out)
    digit_a = Input(shape=(27, 27, 1))
    digit_b = Input(shape=(27, 27, 1))
    out_a = vision_model(digit_a)
    out_b = vision_model(digit_b)
    concatenated = concatenate([out_a, out_b])
    out = Dense(1, activation="sigmoid")(concatenated)
    return Model([digit_a, digit_b], out)


def test_a_shared_base_of_ones_own_is_told_it_is_not_xception_in_plain_words():
    """It said 'The nested model the Functional is not keras.applications.Xception(...)'."""
    report = check(shared_digit_vision_model(), "shared_vision")
    assert_rejected(
        report,
        OnOneLine("The nested Functional model is not keras.applications.Xception"),
        Absent("the Functional is"),
        OnOneLine("Extra layer", "Dense(1, activation='sigmoid')"),
    )


def mlp_book_listing_for_mnist():
    # HW-120/TensorflowPractice DAY2/DAY2_TensorflowEX1.py (the book's first functional listing:
    # Input(shape=(784,)), one Dense(32) hidden layer)
    input_tensor = layers.Input(shape=(784,))
    x = layers.Dense(32, activation="relu")(input_tensor)
    output_tensor = layers.Dense(10, activation="softmax")(x)
    return keras.models.Model(inputs=input_tensor, outputs=output_tensor)


def test_the_mnist_listing_is_told_its_input_shape_and_the_second_hidden_layer():
    report = check(mlp_book_listing_for_mnist(), "functional_mlp")
    assert_rejected(report, OnOneLine("(784,)", "(64,)"), OnOneLine("Missing layer", "Dense(32"))


def trend_from_branch_models(trend_activation="sigmoid"):
    """A capstone assembled from three real pieces, with the capstone's input names and heads:
    ortizavila/multiInputKeras kerasModel.py (each branch a Model; the model made from x.input,
    y.input and concatenate([x.output, y.output])), tqjustc/Keras_demo m2mNetwork.py
    (Embedding(output_dim=512, input_dim=10000) -> LSTM(32)) and the keras-io toy ResNet as in
    haihai-self/error_feature src/temp/resnet50approx.py (its first two blocks)."""
    questionnaire = Input(shape=(20,), name="questionnaire")
    x = layers.Dense(8, activation="relu")(questionnaire)
    x = layers.Dense(4, activation="relu")(x)
    x = Model(inputs=questionnaire, outputs=x)
    review = Input(shape=(None,), dtype="int32", name="review")
    r = Model(review, layers.LSTM(32)(layers.Embedding(output_dim=512, input_dim=10000)(review)))
    photo = Input(shape=(64, 64, 3), name="photo")
    p = layers.Conv2D(32, 3, activation="relu")(photo)
    p = layers.Conv2D(64, 3, activation="relu")(p)
    block_1_output = layers.MaxPooling2D(3)(p)
    p = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    p = layers.Conv2D(64, 3, activation="relu", padding="same")(p)
    block_2_output = layers.add([p, block_1_output])
    p = layers.GlobalAveragePooling2D()(layers.Conv2D(64, 3, activation="relu")(block_2_output))
    y = Model(photo, p)
    combined = layers.concatenate([x.output, r.output, y.output])
    z = layers.Dense(64, activation="relu")(combined)
    trend = layers.Dense(12, activation=trend_activation, name="trend")(z)
    price = layers.Dense(1, activation="linear", name="price")(z)
    model = Model(inputs=[x.input, r.input, y.input], outputs=[trend, price])
    model.compile(optimizer="rmsprop", loss={"trend": "binary_crossentropy", "price": "mse"})
    return model


def test_a_capstone_made_of_branch_models_with_softmax_trends_earns_at_most_half():
    assert_at_most_half(check(trend_from_branch_models("softmax"), "trend_model"), "softmax", "sigmoid")


class SimpleDenseWithoutKwargs(keras.layers.Layer):
    # DrewAlderfer/keras_book src/keras_book/chapter3/chapter3.py (the book's second-edition
    # SimpleDense: self.W, no **kwargs, no get_config)
    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W = self.add_weight(shape=(input_dim, self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        y = tf.matmul(inputs, self.W) + self.b
        if self.activation is not None:
            y = self.activation(y)
        return y


class SimpleDenseSwallowingKwargs(keras.layers.Layer):
    # code index file 47571618309 (**kwargs accepted but not passed on; b made with initializer=None)
    def __init__(self, units, activation=None, **kwargs):
        super().__init__()
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W = self.add_weight(shape=(input_dim, self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer=None)

    def call(self, inputs):
        y = tf.matmul(inputs, self.W) + self.b
        if self.activation is not None:
            y = self.activation(y)
        return y


class SimpleDenseWithOutputUnits(keras.layers.Layer):
    # code index file 33137209898 ("Implementing Keras layers by hand, as in Chapter 3": the
    # argument is called output_units)
    def __init__(self, output_units, activation=None):
        super().__init__()
        self.output_units = output_units
        self.activation = activation

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W = self.add_weight(shape=(input_dim, self.output_units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.output_units,), initializer="zeros")

    def call(self, inputs):
        y = tf.matmul(inputs, self.W) + self.b
        if self.activation:
            y = self.activation(y)
        return y


class SimpleDenseFromTheTf2Guide(keras.layers.Layer):
    # ahmasoum/my_work SimpleDense_keras.py (the TF 2 guide's layer: weights made with tf.Variable)
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        w_init = tf.random_normal_initializer()
        self.w = tf.Variable(
            initial_value=w_init(shape=(input_shape[-1], self.units), dtype="float32"), trainable=True
        )
        b_init = tf.zeros_initializer()
        self.b = tf.Variable(initial_value=b_init(shape=(self.units,), dtype="float32"), trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


def test_the_second_edition_simple_dense_loses_only_the_config_points():
    report = check(SimpleDenseWithoutKwargs, "simple_dense")
    assert_rejected(report, OnOneLine("from_config", "trainable"), "**kwargs")
    assert report.score == 9.0, str(report)


def test_an_argument_named_otherwise_is_told_to_be_called_units():
    """It was told to add config["units"] = self.units, a line that raises: the layer has no self.units."""
    report = check(SimpleDenseWithOutputUnits, "simple_dense")
    assert_rejected(
        report,
        OnOneLine("output_units", "def __init__(self, units, **kwargs)"),
        Absent('config["units"] = self.units'),
    )
    assert report.score == 8.0, str(report)


def test_weights_made_with_tf_variable_are_named_as_untracked():
    """It said only 'SimpleDense has no weights after build', to a learner who made two in build."""
    report = check(SimpleDenseFromTheTf2Guide, "simple_dense")
    assert_rejected(
        report, OnOneLine("self.w and self.b", "tf.Variable", "does not track"), "self.add_weight"
    )


@pytest.mark.parametrize(
    "build, exercise",
    [
        (inception_on_its_own_input((32, 32, 64)), "inception_block"),
        (lambda: residual_page_245(shape=(32, 32, 128)), "residual_identity"),
        (lambda: residual_page_245(projection=True, shape=(32, 32, 64)), "residual_projection"),
        (siamese_lstm_listing, "siamese_lstm"),
        (trend_from_branch_models, "trend_model"),
        (lambda: SimpleDenseSwallowingKwargs, "simple_dense"),
    ],
    ids=["inception", "identity", "projection", "siamese", "trend_branch_models", "dense_kwargs_swallowed"],
)
def test_fourth_sweep_right_answers_pass(build, exercise):
    assert_accepted(check(build(), exercise))


class ComputeSumFromTheKoreanGuide(keras.layers.Layer):
    # code index file 9141542049 (the TF 2 guide in Korean: the total is a tf.Variable)
    def __init__(self, input_dim):
        super().__init__()
        self.total = tf.Variable(initial_value=tf.zeros((input_dim,)), trainable=False)

    def call(self, inputs):
        self.total.assign_add(tf.reduce_sum(inputs, axis=0))
        return self.total


class ComputeSumReassigningItsTotal(keras.layers.Layer):
    # code index file 21193602070 (call sets self.total = K.sum(inputs): one number, never added to;
    # K.sum ported to ops.sum)
    def __init__(self, input_dim):
        super().__init__()
        self.total = tf.Variable(initial_value=tf.zeros((input_dim,)), trainable=False)

    def call(self, inputs):
        self.total = ops.sum(inputs)
        return self.total


def test_a_tf_variable_total_is_named_as_untracked_and_its_sum_still_counts():
    report = check(ComputeSumFromTheKoreanGuide, "compute_sum")
    assert_rejected(report, OnOneLine("self.total is a tf.Variable", "does not track", "trainable=False"))
    assert report.score == 6.0, str(report)


def test_a_total_reassigned_to_the_sum_of_everything_is_told_the_batch_axis():
    report = check(ComputeSumReassigningItsTotal, "compute_sum")
    assert_rejected(report, "self.total is a tf.Variable", OnOneLine("shape ()", "axis=0"))
