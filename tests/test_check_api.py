"""The public API of `checker` as the course contract states it: check(), Report, and grading from a file."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest
from feedback_expectations import POINTS_PER_EXERCISE, assert_nothing_right, assert_rejected
from keras import layers
from reference_models import GRAPH_EXERCISES, build_functional_mlp, build_qa_model, reference

from checker import check, grade_description, load_description, save_description
from checker.autograde import grade

REPOSITORY = Path(__file__).resolve().parent.parent
LAYER_EXERCISES = ["simple_dense", "compute_sum"]
ALL_EXERCISES = GRAPH_EXERCISES + LAYER_EXERCISES + ["trend_model"]


# ---------------------------------------------------------------- answers that are not a model


@pytest.mark.parametrize("exercise", ALL_EXERCISES)
def test_none_is_a_builder_that_forgot_return(exercise):
    assert_nothing_right(check(None, exercise), "return")


@pytest.mark.parametrize("exercise", GRAPH_EXERCISES + ["trend_model"])
def test_a_string_is_not_a_model(exercise):
    assert_nothing_right(check("keras.Model(inputs, outputs)", exercise), "model")


@pytest.mark.parametrize("exercise", LAYER_EXERCISES)
def test_a_string_is_not_a_layer_class(exercise):
    assert_nothing_right(check("SimpleDense", exercise), "class")


def test_a_layer_instance_is_not_a_model():
    assert_nothing_right(check(layers.Dense(10), "functional_mlp"), ("dense", "layer"), "model")


def test_an_unbuilt_sequential_says_it_has_no_input():
    unbuilt = keras.Sequential([layers.Dense(500, activation="softmax")])
    assert_rejected(check(unbuilt, "qa_model"), ("input",))


def test_check_accepts_the_builder_function_itself():
    assert check(build_functional_mlp, "functional_mlp").passed


def build_inception_without_padding():
    """The first-edition listing as printed: its branches end at different sizes."""
    x = keras.Input(shape=(32, 32, 64))
    a = layers.Conv2D(128, 1, activation="relu", strides=2)(x)
    b = layers.Conv2D(128, 1, activation="relu")(x)
    b = layers.Conv2D(128, 3, activation="relu", strides=2)(b)
    c = layers.AveragePooling2D(3, strides=2)(x)
    c = layers.Conv2D(128, 3, activation="relu")(c)
    return keras.Model(x, layers.concatenate([a, b, c], axis=-1))


def test_a_builder_that_raises_gives_a_report_naming_the_function_and_the_pitfall():
    report = check(build_inception_without_padding, "inception_block")
    assert_nothing_right(report, "build_inception_without_padding()", "ValueError", 'padding="same"')
    assert "build_inception_block" not in str(report)


def test_check_and_the_graded_cell_give_the_same_report_for_a_builder_that_raises():
    score = grade(build_inception_without_padding, "inception_block", record=False)
    assert str(score.report) == str(check(build_inception_without_padding, "inception_block"))


def test_a_builder_that_needs_arguments_is_told_it_is_called_without_any():
    def residual_block(x, filters):
        return x

    assert_nothing_right(check(residual_block, "residual_identity"), "residual_block()", "without arguments")


def test_a_builder_that_returns_a_function_is_told_to_return_the_model():
    assert_nothing_right(check(lambda: build_functional_mlp, "functional_mlp"), "return model")


def test_a_checker_bug_while_describing_is_not_blamed_on_the_model(monkeypatch):
    from checker.observe import describe as describing

    def broken_output_shapes(model):
        raise AttributeError("'KerasTensor' object has no attribute '_keras_history'")

    monkeypatch.setattr(describing, "_output_shapes", broken_output_shapes)
    report = check(build_functional_mlp(), "functional_mlp")
    assert not report.passed
    assert "bug in the checker" in str(report)
    assert "Rebuild it" not in str(report)


def test_a_model_whose_own_config_fails_is_described_as_broken():
    class Unserialisable(layers.Layer):
        def __init__(self, table):
            super().__init__()
            self.table = table

        def call(self, inputs):
            return inputs

    inputs = keras.Input(shape=(64,))
    x = Unserialisable(object())(inputs)
    report = check(keras.Model(inputs, layers.Dense(10, activation="softmax")(x)), "functional_mlp")
    assert_nothing_right(report, "could not read this model")
    assert "bug in the checker" not in str(report)


def test_the_model_class_instead_of_a_model():
    assert_nothing_right(check(keras.Model, "functional_mlp"), "model")


@pytest.mark.parametrize(
    "thing",
    [
        42,
        3.5,
        [1, 2],
        {"text": None},
        object(),
        keras.ops.zeros((2, 64)),
        keras.Input(shape=(64,)),
        layers.Dense,
    ],
    ids=["int", "float", "list", "dict", "object", "array", "keras_tensor", "layer_class"],
)
@pytest.mark.parametrize("exercise", ["functional_mlp", "qa_model", "shared_vision"])
def test_anything_else_fails_with_zero_points_and_no_exception(thing, exercise):
    report = check(thing, exercise)
    assert not report.passed
    assert report.score == 0, str(report)
    assert report.max_score == POINTS_PER_EXERCISE, str(report)
    assert str(report).strip()


# ---------------------------------------------------------------- exercise ids


def test_an_unknown_exercise_id_raises_and_names_the_known_ids():
    with pytest.raises(ValueError) as raised:
        check(build_functional_mlp(), "functional_mpl")
    for exercise in ALL_EXERCISES:
        assert exercise in str(raised.value)


def test_an_unknown_exercise_id_raises_even_for_no_model():
    with pytest.raises(ValueError):
        check(None, "inception")


@pytest.mark.parametrize("exercise", GRAPH_EXERCISES)
def test_every_exercise_is_worth_the_same_points_whatever_the_answer(exercise):
    assert (
        check(None, exercise).max_score
        == check(reference(exercise), exercise).max_score
        == POINTS_PER_EXERCISE
    )


# ---------------------------------------------------------------- the report


def test_assert_passed_raises_with_the_feedback_on_failure():
    report = check(None, "qa_model")
    with pytest.raises(AssertionError) as raised:
        report.assert_passed()
    assert str(raised.value) == str(report)


def test_assert_passed_is_silent_on_success():
    report = check(reference("qa_model"), "qa_model")
    assert report.assert_passed() is None


def test_one_wrong_detail_gives_partial_credit():
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(32, activation="relu")(x)
    report = check(keras.Model(inputs, layers.Dense(10, activation="sigmoid")(x)), "functional_mlp")
    assert 0 < report.score < report.max_score, str(report)


def test_an_uncompiled_model_gets_partial_credit_where_compile_is_graded():
    model = build_qa_model()
    uncompiled = keras.Model(model.inputs, model.outputs)
    report = check(uncompiled, "qa_model")
    assert_rejected(report, "compile")
    assert report.score > 0


@pytest.mark.parametrize("passing", [True, False], ids=["passed", "failed"])
def test_html_names_the_exercise(passing):
    report = check(reference("residual_identity") if passing else None, "residual_identity")
    html = report._repr_html_()
    assert "residual_identity" in html
    assert html.lstrip().startswith("<")


def test_checking_twice_gives_the_same_verdict_and_leaves_the_model_usable():
    model = reference("siamese_lstm")
    first, second = check(model, "siamese_lstm"), check(model, "siamese_lstm")
    assert str(first) == str(second)
    prediction = model([keras.ops.zeros((2, 5, 128)), keras.ops.zeros((2, 7, 128))])
    assert tuple(prediction.shape) == (2, 1)


# ---------------------------------------------------------------- the autograded test cell


def test_grade_calls_the_builder_and_returns_the_points():
    score = grade(build_functional_mlp, "functional_mlp")
    assert float(score) == POINTS_PER_EXERCISE
    assert score.report.passed


def test_grade_of_a_builder_that_forgot_return_is_zero():
    def build_functional_mlp_without_return():
        inputs = keras.Input(shape=(64,))
        keras.Model(inputs, layers.Dense(10, activation="softmax")(inputs))

    score = grade(build_functional_mlp_without_return, "functional_mlp")
    assert float(score) == 0
    assert_nothing_right(score.report, "return")


def test_grade_of_a_builder_that_raises_is_zero_and_shows_the_error():
    def build_qa_model_with_a_typo():
        return keras.Input(shape=(None,), dtype="int32", name="text").shapee

    score = grade(build_qa_model_with_a_typo, "qa_model")
    assert float(score) == 0
    assert_nothing_right(score.report, "AttributeError")


def test_grade_writes_nothing_to_stderr(capfd):
    def noisy_builder():
        print("a Keras warning", file=sys.stderr)
        return build_functional_mlp()

    grade(noisy_builder, "functional_mlp")
    assert capfd.readouterr().err == ""


def test_grade_records_the_verdict_for_a_clean_regrade(tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKER_RESULTS_DIR", str(tmp_path))
    score = grade(build_qa_model, "qa_model")
    record = json.loads((tmp_path / "qa_model.json").read_text())
    assert record["exercise"] == "qa_model"
    assert record["report"]["score"] == float(score)
    assert grade_description(record["description"], "qa_model").score == float(score)


# ---------------------------------------------------------------- grading from a file


def run_cli(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    return subprocess.run(
        [sys.executable, "-m", "checker", *map(str, args)],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def uncompiled_qa_model():
    model = build_qa_model()
    return keras.Model(model.inputs, model.outputs)


@pytest.mark.parametrize(
    "exercise, build, passes, file_kind",
    [
        ("qa_model", lambda: reference("qa_model"), True, "description"),
        ("qa_model", uncompiled_qa_model, False, "description"),
        ("shared_vision", lambda: reference("shared_vision"), True, "description"),
        # A Keras JSON file makes the command import Keras (about 6 s a process): in the full suite only.
        pytest.param("qa_model", lambda: reference("qa_model"), True, "to_json", marks=pytest.mark.slow),
        pytest.param(
            "shared_vision", lambda: reference("shared_vision"), True, "to_json", marks=pytest.mark.slow
        ),
    ],
    ids=[
        "qa_passes",
        "qa_uncompiled_fails",
        "shared_vision_passes",
        "qa_passes_to_json",
        "shared_vision_to_json",
    ],
)
def test_command_line_grade_matches_check(tmp_path, exercise, build, passes, file_kind):
    model = build()
    in_process = check(model, exercise)
    assert in_process.passed is passes
    path = tmp_path / f"{exercise}.json"
    if file_kind == "description":
        save_description(model, path)
    else:
        path.write_text(model.to_json())
    result = run_cli("grade", path, exercise, "--json")
    assert result.returncode == (0 if passes else 1), result.stdout + result.stderr
    from_file = json.loads(result.stdout)
    assert from_file["score"] == in_process.score
    assert from_file["passed"] is passes


def test_command_line_grade_prints_the_feedback(tmp_path):
    path = tmp_path / "mlp.json"
    save_description(None, path)
    result = run_cli("grade", path, "functional_mlp")
    assert result.returncode == 1
    assert "return" in result.stdout


def test_command_line_grade_rejects_an_unknown_exercise(tmp_path):
    path = tmp_path / "mlp.json"
    save_description(reference("functional_mlp"), path)
    result = run_cli("grade", path, "no_such_exercise")
    assert result.returncode not in (0, 1)
    assert "functional_mlp" in result.stdout + result.stderr


def test_a_saved_description_is_plain_json_that_grades_alike(tmp_path):
    path = tmp_path / "vision.json"
    save_description(reference("shared_vision"), path)
    assert grade_description(json.loads(path.read_text()), "shared_vision").passed
    assert grade_description(load_description(path), "shared_vision").passed
