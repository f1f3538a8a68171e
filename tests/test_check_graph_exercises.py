"""What holds for every graph exercise: the references match the contract, a model made for one exercise
fails every other one, and a verdict computed from a saved file equals the one computed in the kernel."""

import itertools

import keras
import pytest
from feedback_expectations import POINTS_PER_EXERCISE, assert_rejected
from keras import layers
from reference_models import (
    EXPECTED_OUTPUT_SHAPES,
    GRAPH_EXERCISES,
    ONE_WRONG_DETAIL,
    reference,
    xception_base,
)

from checker import check, grade_description, load_description, save_description


@pytest.mark.parametrize("exercise", GRAPH_EXERCISES)
def test_reference_has_the_contract_output_shapes(exercise):
    model = reference(exercise)
    assert [tuple(t.shape) for t in model.outputs] == EXPECTED_OUTPUT_SHAPES[exercise]


def test_profiling_reference_names_its_outputs():
    assert reference("profiling_model").output_names == ["age", "income", "gender"]


@pytest.mark.parametrize("exercise", GRAPH_EXERCISES)
def test_reference_passes(exercise):
    report = check(reference(exercise), exercise)
    assert report.passed and report.score == report.max_score == POINTS_PER_EXERCISE, str(report)


OTHER_EXERCISE = list(itertools.permutations(GRAPH_EXERCISES, 2))


@pytest.mark.parametrize(
    "built_for, checked_as", OTHER_EXERCISE, ids=[f"{a}-as-{b}" for a, b in OTHER_EXERCISE]
)
def test_a_model_for_another_exercise_fails(built_for, checked_as):
    assert_rejected(check(reference(built_for), checked_as))


class Subclassed(keras.Model):
    """A subclassed model that computes exactly what the reference computes."""

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs):
        return self.inner(inputs)


@pytest.mark.parametrize("exercise", GRAPH_EXERCISES)
def test_a_subclassed_model_is_not_a_functional_one(exercise):
    assert_rejected(check(Subclassed(reference(exercise)), exercise), "subclass")


# ---------------------------------------------------------------- saved files

ROUND_TRIPS = [(exercise, kind) for exercise in GRAPH_EXERCISES for kind in ("reference", "one_wrong_detail")]


@pytest.mark.parametrize("exercise, kind", ROUND_TRIPS, ids=[f"{e}-{k}" for e, k in ROUND_TRIPS])
def test_a_saved_description_and_a_keras_json_file_grade_like_the_model(tmp_path, exercise, kind):
    model = reference(exercise) if kind == "reference" else ONE_WRONG_DETAIL[exercise]()
    in_kernel = check(model, exercise)
    assert in_kernel.passed is (kind == "reference"), str(in_kernel)
    assert 0 < in_kernel.score, str(in_kernel)

    described = tmp_path / "description.json"
    save_description(model, described)
    keras_json = tmp_path / "model.json"
    keras_json.write_text(model.to_json())
    for path in (described, keras_json):
        from_file = grade_description(load_description(path), exercise)
        assert (from_file.passed, from_file.score) == (in_kernel.passed, in_kernel.score), (
            f"{path.name}:\n{from_file}\n\nin the kernel:\n{in_kernel}"
        )
        assert str(from_file) == str(in_kernel), f"{path.name}:\n{from_file}\n\nin the kernel:\n{in_kernel}"


def test_a_shared_base_reused_by_two_models_survives_the_round_trip(tmp_path):
    base = xception_base()
    models = []
    for _ in range(2):
        left, right = keras.Input(shape=(250, 250, 3)), keras.Input(shape=(250, 250, 3))
        models.append(keras.Model([left, right], layers.concatenate([base(left), base(right)])))
    path = tmp_path / "second.json"
    path.write_text(models[1].to_json())
    assert grade_description(load_description(path), "shared_vision").passed


# ---------------------------------------------------------------- nested models and names


def test_an_output_made_by_a_nested_model_is_a_call_of_the_graph():
    """Code review §3.2: Keras numbers a nested Functional model's calls from 1 in output_layers."""
    from checker import describe
    from checker.judge import graph

    head_in = keras.Input((8,))
    head = keras.Model(head_in, layers.Dense(1)(head_in), name="price")
    x = keras.Input((8,))
    model = keras.Model(x, head(layers.Dense(8)(x)))
    parsed = graph.from_description(describe(model))
    assert parsed.outputs[0][0] in parsed.calls
    assert parsed.output_shapes[parsed.outputs[0][0]] == (1,)


def test_a_layer_also_called_outside_the_model_keeps_its_output_shape():
    from checker import describe
    from checker.judge import graph

    dense = layers.Dense(10, activation="softmax")
    dense(keras.Input((32,)))  # a call outside the graded model shifts Keras' node numbers
    inputs = keras.Input((64,))
    x = layers.Dense(32, activation="relu")(layers.Dense(32, activation="relu")(inputs))
    parsed = graph.from_description(describe(keras.Model(inputs, dense(x))))
    assert list(parsed.output_shapes.values()) == [(10,)]


def test_layers_of_nested_models_inside_a_nested_model_are_told_apart_by_their_whole_path():
    """Issue 15: two inner models may each have a layer named 'proj'; calling the outer model twice
    shares each of them, and nothing else."""
    from checker import describe
    from checker.judge import graph

    def inner(name):
        x = keras.Input((8,))
        return keras.Model(x, layers.Dense(8, name="proj")(x), name=name)

    block_in = keras.Input((8,))
    block = keras.Model(
        block_in, layers.Dense(8, name="proj")(inner("b")(inner("a")(block_in))), name="block"
    )
    left, right = keras.Input((8,), name="left"), keras.Input((8,), name="right")
    model = keras.Model([left, right], layers.add([block(left), block(right)]))
    parsed = graph.from_description(describe(model))
    shared = {instance: len(keys) for instance, keys in parsed.instances().items() if "proj" in instance}
    assert shared == {"block/proj": 2, "block/a/proj": 2, "block/b/proj": 2}
    keys = {key for key in parsed.calls if key.layer == "proj"}
    assert {str(key) for key in keys} == {
        f"block#{call}/{path}proj#0" for call in (0, 1) for path in ("", "a#0/", "b#0/")
    }


@pytest.mark.parametrize("exercise", GRAPH_EXERCISES)
def test_feedback_is_the_same_for_two_builds_of_one_model(exercise):
    """Keras names unnamed layers from a counter (conv2d_38): feedback must not show those names."""
    first, second = (str(check(ONE_WRONG_DETAIL[exercise](), exercise)) for _ in range(2))
    assert first == second


@pytest.mark.parametrize("exercise", ["residual_identity", "siamese_lstm", "shared_vision"])
def test_a_named_mistake_earns_at_most_half_and_says_so(exercise):
    report = check(ONE_WRONG_DETAIL[exercise](), exercise)
    assert report.score <= POINTS_PER_EXERCISE / 2, str(report)
    assert_rejected(report, "named mistake", "at most 5")


def test_a_mistake_that_is_not_named_keeps_its_partial_credit():
    report = check(ONE_WRONG_DETAIL["residual_projection"](), "residual_projection")
    assert report.score > POINTS_PER_EXERCISE / 2, str(report)
    assert "named mistake" not in str(report)
