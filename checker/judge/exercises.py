"""Every graded exercise of the course, as data (docs/exercises.md is generated from it).

A graph exercise lists its inputs, its layers (each with the ids of the tensors it is
called on) and its outputs. Settings not written take Keras' defaults (strides 1,
padding "valid", activation "linear"), so a spec reads like the contract's table.
`same_instance_as` marks a second call of one shared layer instance.
"""

from __future__ import annotations

from checker.report import CheckResult, Report


def _conv2d(id_, filters, kernel_size, src, strides=1, padding="same", activation="relu"):
    return {
        "id": id_,
        "class": "Conv2D",
        "filters": filters,
        "kernel_size": kernel_size,
        "strides": strides,
        "padding": padding,
        "activation": activation,
        "from": [src],
    }


def _conv1d(id_, filters, src):
    return {
        "id": id_,
        "class": "Conv1D",
        "filters": filters,
        "kernel_size": 5,
        "activation": "relu",
        "from": [src],
    }


GRAPH_POINTS = {"inputs": 2, "layers": 3, "wiring": 3, "outputs": 2}
COMPILED_POINTS = {"inputs": 1, "layers": 3, "wiring": 2, "outputs": 2, "compile": 2}

# A named conceptual mistake that makes the model unfit for its task earns at most this share of
# the exercise's points, whatever the other checks earn (docs/exercises.md, "Credit").
NAMED_MISTAKE_SHARE = 0.5
NAMED_MISTAKES = {
    "swapped_embedding": "the Embedding's two arguments swapped (vocabulary size and vector size)",
    "wrong_shortcut": "a residual shortcut taken from the wrong tensor",
    "separate_instances": "separate layer instances where one shared instance is the point",
    "softmax_multilabel": "a softmax over independent yes/no labels",
}

EXERCISES: dict[str, dict] = {
    "functional_mlp": {
        "kind": "graph",
        "title": "A functional MLP: Dense(32, relu) -> Dense(32, relu) -> Dense(10, softmax)",
        "notebook": "01_functional_api",
        "builder": "build_functional_mlp",
        "inputs": [{"id": "x", "shape": [64]}],
        "layers": [
            {"id": "h1", "class": "Dense", "units": 32, "activation": "relu", "from": ["x"]},
            {"id": "h2", "class": "Dense", "units": 32, "activation": "relu", "from": ["h1"]},
            {"id": "out", "class": "Dense", "units": 10, "activation": "softmax", "from": ["h2"]},
        ],
        "outputs": [{"from": "out", "shape": [10]}],
        "points": GRAPH_POINTS,
    },
    "qa_model": {
        "kind": "graph",
        "title": "Two-input question answering: text and question encoders, concatenated",
        "notebook": "02_multi_input_qa",
        "builder": "build_qa_model",
        "inputs": [
            {"id": "text", "shape": [None], "dtype": "int32", "name": "text"},
            {"id": "question", "shape": [None], "dtype": "int32", "name": "question"},
        ],
        "layers": [
            {"id": "text_emb", "class": "Embedding", "input_dim": 10000, "output_dim": 64, "from": ["text"]},
            {"id": "text_enc", "class": "LSTM", "units": 32, "from": ["text_emb"]},
            {"id": "q_emb", "class": "Embedding", "input_dim": 10000, "output_dim": 32, "from": ["question"]},
            {"id": "q_enc", "class": "LSTM", "units": 16, "from": ["q_emb"]},
            {"id": "merged", "class": "Concatenate", "axis": -1, "from": ["text_enc", "q_enc"]},
            {"id": "answer", "class": "Dense", "units": 500, "activation": "softmax", "from": ["merged"]},
        ],
        "outputs": [{"from": "answer", "shape": [500]}],
        "compile": {"optimizer": "rmsprop", "loss": "categorical_crossentropy", "metrics": ["acc"]},
        "points": COMPILED_POINTS,
    },
    "profiling_model": {
        "kind": "graph",
        "title": "Multi-output user profiling: one Conv1D trunk, three heads (age, income, gender)",
        "notebook": "03_multi_output_profiling",
        "builder": "build_profiling_model",
        "inputs": [{"id": "posts", "shape": [None], "dtype": "int32", "name": "posts"}],
        "layers": [
            {"id": "emb", "class": "Embedding", "input_dim": 50000, "output_dim": 256, "from": ["posts"]},
            _conv1d("c1", 128, "emb"),
            {"id": "p1", "class": "MaxPooling1D", "pool_size": 5, "from": ["c1"]},
            _conv1d("c2", 256, "p1"),
            _conv1d("c3", 256, "c2"),
            {"id": "p2", "class": "MaxPooling1D", "pool_size": 5, "from": ["c3"]},
            _conv1d("c4", 256, "p2"),
            _conv1d("c5", 256, "c4"),
            {"id": "gp", "class": "GlobalMaxPooling1D", "from": ["c5"]},
            {"id": "trunk", "class": "Dense", "units": 128, "activation": "relu", "from": ["gp"]},
            {"id": "age", "class": "Dense", "units": 1, "activation": "linear", "from": ["trunk"]},
            {"id": "income", "class": "Dense", "units": 10, "activation": "softmax", "from": ["trunk"]},
            {"id": "gender", "class": "Dense", "units": 1, "activation": "sigmoid", "from": ["trunk"]},
        ],
        "outputs": [
            {"from": "age", "name": "age", "shape": [1]},
            {"from": "income", "name": "income", "shape": [10]},
            {"from": "gender", "name": "gender", "shape": [1]},
        ],
        "compile": {
            "optimizer": "rmsprop",
            "loss": {"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
            "loss_weights": {"age": 0.25, "income": 1.0, "gender": 10.0},
        },
        "points": COMPILED_POINTS,
    },
    "inception_block": {
        "kind": "graph",
        "title": "An Inception block: four parallel branches concatenated on the channel axis",
        "notebook": "04_inception_blocks",
        "builder": "build_inception_block",
        "inputs": [{"id": "x", "shape": [32, 32, 64]}],
        "layers": [
            _conv2d("a", 128, 1, "x", strides=2),
            _conv2d("b1", 128, 1, "x"),
            _conv2d("b2", 128, 3, "b1", strides=2),
            {
                "id": "c1",
                "class": "AveragePooling2D",
                "pool_size": 3,
                "strides": 2,
                "padding": "same",
                "from": ["x"],
            },
            _conv2d("c2", 128, 3, "c1"),
            _conv2d("d1", 128, 1, "x"),
            _conv2d("d2", 128, 3, "d1"),
            _conv2d("d3", 128, 3, "d2", strides=2),
            {"id": "out", "class": "Concatenate", "axis": -1, "from": ["a", "b2", "c2", "d3"]},
        ],
        "outputs": [{"from": "out", "shape": [16, 16, 512]}],
        "points": GRAPH_POINTS,
    },
    "residual_identity": {
        "kind": "graph",
        "title": "A residual block with an identity shortcut",
        "notebook": "05_residual_connections",
        "builder": "build_residual_identity",
        "inputs": [{"id": "x", "shape": [32, 32, 128]}],
        "layers": [
            _conv2d("c1", 128, 3, "x"),
            _conv2d("c2", 128, 3, "c1"),
            _conv2d("c3", 128, 3, "c2"),
            {"id": "out", "class": "Add", "from": ["c3", "x"]},
        ],
        "outputs": [{"from": "out", "shape": [32, 32, 128]}],
        "points": GRAPH_POINTS,
    },
    "residual_projection": {
        "kind": "graph",
        "title": "A residual block whose shortcut is a strided 1x1 convolution",
        "notebook": "05_residual_connections",
        "builder": "build_residual_projection",
        "inputs": [{"id": "x", "shape": [32, 32, 64]}],
        "layers": [
            _conv2d("c1", 128, 3, "x"),
            _conv2d("c2", 128, 3, "c1"),
            {"id": "pool", "class": "MaxPooling2D", "pool_size": 2, "strides": 2, "from": ["c2"]},
            _conv2d("shortcut", 128, 1, "x", strides=2, activation="linear"),
            {"id": "out", "class": "Add", "from": ["pool", "shortcut"]},
        ],
        "outputs": [{"from": "out", "shape": [16, 16, 128]}],
        "points": GRAPH_POINTS,
    },
    "siamese_lstm": {
        "kind": "graph",
        "title": "A siamese LSTM: one shared LSTM(32) reads both sentences",
        "notebook": "06_shared_layers",
        "builder": "build_siamese_lstm",
        "inputs": [{"id": "left", "shape": [None, 128]}, {"id": "right", "shape": [None, 128]}],
        "layers": [
            {"id": "enc_left", "class": "LSTM", "units": 32, "from": ["left"]},
            {
                "id": "enc_right",
                "class": "LSTM",
                "units": 32,
                "from": ["right"],
                "same_instance_as": "enc_left",
            },
            {"id": "merged", "class": "Concatenate", "axis": -1, "from": ["enc_left", "enc_right"]},
            {"id": "out", "class": "Dense", "units": 1, "activation": "sigmoid", "from": ["merged"]},
        ],
        "outputs": [{"from": "out", "shape": [1]}],
        "points": GRAPH_POINTS,
    },
    "shared_vision": {
        "kind": "graph",
        "title": "A shared vision base: one Xception model applied to two camera inputs",
        "notebook": "06_shared_layers",
        "builder": "build_shared_vision",
        "inputs": [{"id": "left", "shape": [250, 250, 3]}, {"id": "right", "shape": [250, 250, 3]}],
        "layers": [
            {"id": "base_left", "class": "Functional", "model": "xception", "from": ["left"]},
            {
                "id": "base_right",
                "class": "Functional",
                "model": "xception",
                "from": ["right"],
                "same_instance_as": "base_left",
            },
            {"id": "out", "class": "Concatenate", "axis": -1, "from": ["base_left", "base_right"]},
        ],
        "outputs": [{"from": "out", "shape": [8, 8, 4096]}],
        "points": GRAPH_POINTS,
    },
    "simple_dense": {
        "kind": "layer_class",
        "title": "SimpleDense(units): a trainable dense layer written from scratch, y = x.w + b",
        "notebook": "07_custom_layers",
        "builder": "SimpleDense",
        "points": {"construct": 1, "weights": 3, "output": 3, "config": 2, "in a model": 1},
    },
    "compute_sum": {
        "kind": "layer_class",
        "title": "ComputeSum(input_dim): a non-trainable running total of column sums",
        "notebook": "07_custom_layers",
        "builder": "ComputeSum",
        "points": {"construct": 1, "weights": 4, "output": 5},
    },
    "trend_model": {
        "kind": "trend",
        "title": "The multimodal trend model: questionnaire, review and photo in, trend and price out",
        "notebook": "08_capstone_trend_model",
        "builder": "build_trend_model",
        "inputs": [
            {"id": "questionnaire", "shape": [20], "name": "questionnaire", "family": "dense"},
            {"id": "review", "shape": [None], "dtype": "int32", "name": "review", "family": "recurrent"},
            {"id": "photo", "shape": [64, 64, 3], "name": "photo", "family": "convolutional"},
        ],
        "outputs": [
            {"name": "trend", "shape": [12], "activation": "sigmoid"},
            {"name": "price", "shape": [1], "activation": "linear"},
        ],
        "compile": {"loss": {"trend": ["binary_crossentropy"], "price": ["mse", "mae"]}},
        "points": {"inputs": 2, "outputs": 2, "layer families": 3, "photo merge": 1, "compile": 2},
    },
}


def cap_for_named_mistakes(report: Report, mistakes: list[str]) -> Report:
    """Hold a report with a named mistake to NAMED_MISTAKE_SHARE of its points, in a row that says why.

    The other checks keep their points and messages, so the feedback still lists everything
    else; the extra row (worth no points of its own) takes off what is above the ceiling.

    >>> from checker.report import CheckResult
    >>> report = Report("qa_model", [CheckResult("layers", 10, 9.5, ["swapped"])])
    >>> cap_for_named_mistakes(report, ["swapped_embedding"]).score
    5.0
    """
    ceiling = report.max_score * NAMED_MISTAKE_SHARE
    excess = round(report.score - ceiling, 2)
    if not mistakes or excess <= 0:
        return report
    what = "; ".join(NAMED_MISTAKES[m] for m in dict.fromkeys(mistakes))
    message = (
        f"Named mistake: {what}. It makes the model unfit for its task, so the exercise earns at most "
        f"{ceiling:g} of its {report.max_score:g} points until it is fixed ({excess:g} taken off)."
    )
    report.checks.append(CheckResult("named mistake", 0, -excess, [message]))
    return report


def named_mistakes_rule() -> str:
    """The rule in words, for `python -m checker list`."""
    share = "half" if NAMED_MISTAKE_SHARE == 0.5 else f"{NAMED_MISTAKE_SHARE:.0%}"
    lines = [
        f"A named conceptual mistake makes the model unfit for its task: it earns at most {share} "
        "of the exercise's points, whatever else is right. The named mistakes:"
    ]
    return "\n".join(lines + [f"  - {words}" for words in NAMED_MISTAKES.values()])


def get_exercise(exercise_id: str) -> dict:
    """The spec of one exercise; ValueError naming the known ids for anything else.

    >>> get_exercise("qa_model")["builder"]
    'build_qa_model'
    """
    if not isinstance(exercise_id, str) or exercise_id not in EXERCISES:
        known = ", ".join(EXERCISES)
        raise ValueError(f"Unknown exercise id {exercise_id!r}. Known exercise ids: {known}.")
    return EXERCISES[exercise_id]
