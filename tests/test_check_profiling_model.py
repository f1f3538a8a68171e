"""profiling_model: `posts` (None,) int32 → Embedding(50000, 256) → Conv1D stack → GlobalMaxPooling1D →
Dense(128, relu) → heads `age` Dense(1), `income` Dense(10, softmax), `gender` Dense(1, sigmoid);
rmsprop, a loss per output by name, loss_weights 0.25 / 1.0 / 10.0."""

import keras
import pytest
from feedback_expectations import Absent, OnOneLine, assert_accepted, assert_rejected
from keras import layers
from reference_models import PROFILING_LOSS_WEIGHTS, PROFILING_LOSSES, build_profiling_model, profiling_trunk

from checker import check

EXERCISE = "profiling_model"
LOSSES = PROFILING_LOSSES
WEIGHTS = PROFILING_LOSS_WEIGHTS
COMPILE = {"optimizer": "rmsprop", "loss": LOSSES, "loss_weights": WEIGHTS}


def profiling(
    trunk=profiling_trunk,
    compile=COMPILE,
    age_activation=None,
    income_activation="softmax",
    names=("age", "income", "gender"),
    input_name="posts",
):
    """The profiling model with one detail changed (heads in contract order: age, income, gender)."""
    posts = keras.Input(shape=(None,), dtype="int32", name=input_name)
    x = trunk(posts)
    age = layers.Dense(1, activation=age_activation, name=names[0])(x)
    income = layers.Dense(10, activation=income_activation, name=names[1])(x)
    gender = layers.Dense(1, activation="sigmoid", name=names[2])(x)
    model = keras.Model(posts, [age, income, gender])
    if compile is not None:
        model.compile(**compile)
    return model


def trunk_with(
    embedding=(50000, 256),
    convs=((128, 5, 1, "valid"),) + ((256, 5, 1, "valid"),) * 4,
    pool=layers.MaxPooling1D,
    global_pool=layers.GlobalMaxPooling1D,
    dense_units=128,
    dropout=False,
    skip_dense=False,
):
    """A trunk in the contract's layout with changeable parts; convs are (filters, kernel, strides, padding)."""

    def trunk(posts):
        x = layers.Embedding(*embedding, name="post_embedding")(posts)
        for i, (filters, kernel, strides, padding) in enumerate(convs):
            x = layers.Conv1D(
                filters, kernel, strides=strides, padding=padding, activation="relu", name=f"conv_{i + 1}"
            )(x)
            if i in (0, 2):
                x = pool(5, name=f"pool_{i + 1}")(x)
        x = global_pool(name="global_pool")(x)
        if skip_dense:
            return x
        if dropout:
            x = layers.Dropout(0.5, name="extra_dropout")(x)
        return layers.Dense(dense_units, activation="relu", name="shared_dense")(x)

    return trunk


# ---------------------------------------------------------------- equivalent answers


def loss_and_weights_as_lists():
    return profiling(
        compile={
            "optimizer": "rmsprop",
            "loss": ["mse", "categorical_crossentropy", "binary_crossentropy"],
            "loss_weights": [0.25, 1.0, 10.0],
        }
    )


def outputs_in_another_order_with_dicts():
    posts = keras.Input(shape=(None,), dtype="int32", name="posts")
    x = profiling_trunk(posts)
    gender = layers.Dense(1, activation="sigmoid", name="gender")(x)
    income = layers.Dense(10, activation="softmax", name="income")(x)
    age = layers.Dense(1, name="age")(x)
    model = keras.Model(posts, [gender, age, income])
    model.compile(**COMPILE)
    return model


def outputs_in_another_order_with_lists_in_that_order():
    posts = keras.Input(shape=(None,), dtype="int32", name="posts")
    x = profiling_trunk(posts)
    gender = layers.Dense(1, activation="sigmoid", name="gender")(x)
    age = layers.Dense(1, name="age")(x)
    income = layers.Dense(10, activation="softmax", name="income")(x)
    model = keras.Model(posts, [gender, age, income])
    model.compile(
        optimizer="rmsprop",
        loss=["binary_crossentropy", "mse", "categorical_crossentropy"],
        loss_weights=[10.0, 0.25, 1.0],
    )
    return model


def outputs_as_dict():
    posts = keras.Input(shape=(None,), dtype="int32", name="posts")
    x = profiling_trunk(posts)
    outputs = {
        "age": layers.Dense(1, name="age")(x),
        "income": layers.Dense(10, activation="softmax", name="income")(x),
        "gender": layers.Dense(1, activation="sigmoid", name="gender")(x),
    }
    model = keras.Model(posts, outputs)
    model.compile(**COMPILE)
    return model


def activations_as_layers():
    posts = keras.Input(shape=(None,), dtype="int32", name="posts")
    x = layers.Embedding(50000, 256)(posts)
    x = layers.ReLU()(layers.Conv1D(128, 5)(x))
    x = layers.MaxPooling1D(5)(x)
    x = layers.Activation("relu")(layers.Conv1D(256, 5)(x))
    x = layers.ReLU()(layers.Conv1D(256, 5)(x))
    x = layers.MaxPooling1D(5)(x)
    x = layers.ReLU()(layers.Conv1D(256, 5)(x))
    x = layers.ReLU()(layers.Conv1D(256, 5)(x))
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.ReLU()(layers.Dense(128)(x))
    age = layers.Dense(1, activation="linear", name="age")(x)
    income = layers.Softmax(name="income")(layers.Dense(10, name="income_scores")(x))
    gender = layers.Activation("sigmoid", name="gender")(layers.Dense(1, name="gender_score")(x))
    model = keras.Model(posts, [age, income, gender])
    model.compile(**COMPILE)
    return model


def tuples_for_kernels_and_pools():
    posts = keras.Input(shape=(None,), dtype="int32", name="posts")
    x = layers.Embedding(input_dim=50000, output_dim=256)(posts)
    x = layers.Conv1D(128, (5,), strides=(1,), activation="relu")(x)
    x = layers.MaxPooling1D(pool_size=(5,), strides=(5,))(x)
    x = layers.Conv1D(256, (5,), activation="relu")(x)
    x = layers.Conv1D(256, (5,), activation="relu")(x)
    x = layers.MaxPooling1D((5,))(x)
    x = layers.Conv1D(256, (5,), activation="relu")(x)
    x = layers.Conv1D(256, (5,), activation="relu")(x)
    x = layers.Dense(128, activation="relu")(layers.GlobalMaxPooling1D()(x))
    model = keras.Model(
        posts,
        [
            layers.Dense(1, name="age")(x),
            layers.Dense(10, activation="softmax", name="income")(x),
            layers.Dense(1, activation="sigmoid", name="gender")(x),
        ],
    )
    model.compile(**COMPILE)
    return model


def optimizer_instance():
    return profiling(compile=dict(COMPILE, optimizer=keras.optimizers.RMSprop()))


def compile_with_metrics_too():
    return profiling(compile=dict(COMPILE, metrics={"income": ["accuracy"], "gender": ["accuracy"]}))


def explicit_linear_age():
    return profiling(age_activation="linear")


def other_names_for_unfixed_layers():
    return profiling(trunk=trunk_with(), input_name="posts")


CORRECT = [
    build_profiling_model,
    loss_and_weights_as_lists,
    outputs_in_another_order_with_dicts,
    outputs_in_another_order_with_lists_in_that_order,
    outputs_as_dict,
    activations_as_layers,
    tuples_for_kernels_and_pools,
    optimizer_instance,
    compile_with_metrics_too,
    explicit_linear_age,
    other_names_for_unfixed_layers,
]


@pytest.mark.parametrize("build", CORRECT, ids=lambda f: f.__name__)
def test_equivalent_answer_is_accepted(build):
    assert_accepted(check(build(), EXERCISE))


# ---------------------------------------------------------------- mistakes

FIVE_CONVS = ((128, 5, 1, "valid"),) + ((256, 5, 1, "valid"),) * 4


def with_conv(index, conv):
    convs = list(FIVE_CONVS)
    convs[index] = conv
    return trunk_with(convs=tuple(convs))


COMPILE_FOR_SEX = {
    "optimizer": "rmsprop",
    "loss": {"age": "mse", "income": "categorical_crossentropy", "sex": "binary_crossentropy"},
    "loss_weights": {"age": 0.25, "income": 1.0, "sex": 10.0},
}


def lists_in_contract_order_for_outputs_in_another_order():
    """Outputs are [gender, age, income] but the weight list is written for [age, income, gender]:
    Keras gives list entries to the outputs in the model's order, so gender gets 0.25."""
    posts = keras.Input(shape=(None,), dtype="int32", name="posts")
    x = profiling_trunk(posts)
    gender = layers.Dense(1, activation="sigmoid", name="gender")(x)
    age = layers.Dense(1, name="age")(x)
    income = layers.Dense(10, activation="softmax", name="income")(x)
    model = keras.Model(posts, [gender, age, income])
    model.compile(optimizer="rmsprop", loss=LOSSES, loss_weights=[0.25, 1.0, 10.0])
    return model


def heads_from_the_wrong_place():
    """`gender` reads the pooled features instead of the shared Dense(128)."""
    posts = keras.Input(shape=(None,), dtype="int32", name="posts")
    x = layers.Embedding(50000, 256)(posts)
    x = layers.Conv1D(128, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    pooled = layers.GlobalMaxPooling1D(name="pooled")(x)
    shared = layers.Dense(128, activation="relu", name="shared_dense")(pooled)
    model = keras.Model(
        posts,
        [
            layers.Dense(1, name="age")(shared),
            layers.Dense(10, activation="softmax", name="income")(shared),
            layers.Dense(1, activation="sigmoid", name="gender")(pooled),
        ],
    )
    model.compile(**COMPILE)
    return model


WRONG = {
    "embedding_arguments_swapped": (
        lambda: profiling(trunk=trunk_with(embedding=(256, 50000))),
        ["post_embedding", "swap"],
    ),
    "embedding_vocabulary_10000": (
        lambda: profiling(trunk=trunk_with(embedding=(10000, 256))),
        ["post_embedding", "10000", "50000"],
    ),
    "first_conv_64_filters": (
        lambda: profiling(trunk=with_conv(0, (64, 5, 1, "valid"))),
        ["conv_1", "64", "128"],
    ),
    "conv_kernel_3": (lambda: profiling(trunk=with_conv(3, (256, 3, 1, "valid"))), ["conv_4", "3", "5"]),
    "conv_stride_2": (lambda: profiling(trunk=with_conv(1, (256, 5, 2, "valid"))), ["conv_2", ("stride",)]),
    "conv_padding_same": (
        lambda: profiling(trunk=with_conv(4, (256, 5, 1, "same"))),
        ["conv_5", "padding", ("valid", "same")],
    ),
    "missing_last_conv": (
        lambda: profiling(trunk=trunk_with(convs=FIVE_CONVS[:4])),
        [OnOneLine("missing", "conv1d")],
    ),
    "average_pooling": (
        lambda: profiling(trunk=trunk_with(pool=layers.AveragePooling1D)),
        [("pool_1", "pool_3"), ("averagepooling1d", "average"), ("maxpooling1d", "max")],
    ),
    "global_average_pooling": (
        lambda: profiling(trunk=trunk_with(global_pool=layers.GlobalAveragePooling1D)),
        ["global_pool", ("globalaveragepooling1d", "average")],
    ),
    "shared_dense_64": (lambda: profiling(trunk=trunk_with(dense_units=64)), ["shared_dense", "64", "128"]),
    "missing_shared_dense": (
        lambda: profiling(trunk=trunk_with(skip_dense=True)),
        [OnOneLine("missing", "128"), Absent(OnOneLine("missing", "sigmoid"))],
    ),
    "extra_dropout": (lambda: profiling(trunk=trunk_with(dropout=True)), ["extra_dropout"]),
    "age_with_relu": (lambda: profiling(age_activation="relu"), ["age", "relu", "linear"]),
    "income_with_sigmoid": (lambda: profiling(income_activation="sigmoid"), ["income", "sigmoid", "softmax"]),
    "output_named_sex": (
        lambda: profiling(names=("age", "income", "sex"), compile=COMPILE_FOR_SEX),
        ["sex", "gender"],
    ),
    "input_named_text": (lambda: profiling(input_name="text"), ["text", "posts"]),
    "gender_weight_1": (
        lambda: profiling(compile=dict(COMPILE, loss_weights=dict(WEIGHTS, gender=1.0))),
        ["gender", ("weight",), "10"],
    ),
    "no_loss_weights": (lambda: profiling(compile={"optimizer": "rmsprop", "loss": LOSSES}), [("weight",)]),
    "weights_in_contract_order_but_outputs_reordered": (
        lists_in_contract_order_for_outputs_in_another_order,
        [("weight",), ("gender", "age", "income")],
    ),
    "income_loss_sparse": (
        lambda: profiling(compile=dict(COMPILE, loss=dict(LOSSES, income="sparse_categorical_crossentropy"))),
        ["income", "sparse_categorical_crossentropy"],
    ),
    "age_loss_binary_crossentropy": (
        lambda: profiling(compile=dict(COMPILE, loss=dict(LOSSES, age="binary_crossentropy"))),
        ["age", "binary_crossentropy", "mse"],
    ),
    "one_loss_for_all": (lambda: profiling(compile=dict(COMPILE, loss="mse")), [("loss",)]),
    "optimizer_sgd": (lambda: profiling(compile=dict(COMPILE, optimizer="sgd")), ["sgd", "rmsprop"]),
    "not_compiled": (lambda: profiling(compile=None), ["compile"]),
    "gender_head_from_pooled_features": (heads_from_the_wrong_place, ["gender", ("pooled", "shared_dense")]),
}


@pytest.mark.parametrize("name", WRONG)
def test_mistake_is_rejected_and_named(name):
    build, keywords = WRONG[name]
    assert_rejected(check(build(), EXERCISE), *keywords)
