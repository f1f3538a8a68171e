"""check() on the custom-layer exercises: correct classes pass in full, each mistake is named."""

from __future__ import annotations

import json
import time
import warnings

import keras
import numpy as np
import pytest
from keras import ops

from checker import check, check_layer_class
from checker.judge.layer_judge import judge_layer_observations
from checker.observe.layer_observe import observe_layer_class
from checker.observe.layer_setup import known_weight_values, make_inputs

# --------------------------------------------------------------------------- correct SimpleDense


class SimpleDense(keras.layers.Layer):
    """The notebook's solution."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


class SimpleDenseWithAt(keras.layers.Layer):
    """`@`, shapes as lists, other initializers, keras.ops.add, named weights."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=[int(input_shape[-1]), self.units], initializer="glorot_uniform", name="w"
        )
        self.b = self.add_weight(shape=[self.units], initializer="ones", name="b")

    def call(self, inputs):
        return ops.add(inputs @ self.w, self.b)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class SimpleDenseKerasNames(keras.layers.Layer):
    """Keras' own attribute names (kernel, bias), bias created first, and no get_config override:
    Keras 3 records simple constructor arguments itself, so the config still round-trips."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units))

    def call(self, inputs):
        return ops.dot(inputs, self.kernel) + self.bias


@pytest.mark.parametrize("layer_class", [SimpleDense, SimpleDenseWithAt, SimpleDenseKerasNames])
@pytest.mark.parametrize("seed", [0, 1, None])
def test_correct_simple_dense_classes_earn_full_points(layer_class, seed):
    report = check_layer_class(layer_class, "simple_dense", seed=seed)
    assert report.passed, str(report)
    assert report.score == report.max_score == 10
    assert [c.name for c in report.checks] == ["construct", "weights", "output", "config", "in a model"]
    assert [c.points for c in report.checks] == [1, 3, 3, 2, 1]


# --------------------------------------------------------------------------- correct ComputeSum


class ComputeSum(keras.layers.Layer):
    """The notebook's solution: the total is created in __init__."""

    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.total = self.add_weight(shape=(input_dim,), initializer="zeros", trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total

    def get_config(self):
        config = super().get_config()
        config["input_dim"] = self.input_dim
        return config


class ComputeSumAssign(keras.layers.Layer):
    """The total created in build, updated with assign(total + sums), returned as a tensor."""

    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = input_dim

    def build(self, input_shape):
        self.total = self.add_weight(
            shape=[self.input_dim], initializer=keras.initializers.Zeros(), trainable=False, name="total"
        )

    def call(self, inputs):
        self.total.assign(self.total + ops.sum(inputs, axis=0))
        return ops.convert_to_tensor(self.total)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim}


@pytest.mark.parametrize("layer_class", [ComputeSum, ComputeSumAssign])
@pytest.mark.parametrize("seed", [0, 1, None])
def test_correct_compute_sum_classes_earn_full_points(layer_class, seed):
    report = (
        check(layer_class, "compute_sum")
        if seed is None
        else check_layer_class(layer_class, "compute_sum", seed)
    )
    assert report.passed, str(report)
    assert report.score == report.max_score == 10
    assert [c.name for c in report.checks] == ["construct", "weights", "output"]


# --------------------------------------------------------------------------- wrong SimpleDense


class NoBias(SimpleDense):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units))

    def call(self, inputs):
        return inputs @ self.w


class SwappedW(SimpleDense):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(self.units, input_shape[-1]))
        self.b = self.add_weight(shape=(self.units,))

    def call(self, inputs):
        return inputs @ ops.transpose(self.w) + self.b


class SquareW(SimpleDense):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], input_shape[-1]))
        self.b = self.add_weight(shape=(self.units,))


class FrozenW(SimpleDense):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), trainable=False)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")


class ForgetsBias(SimpleDense):
    def call(self, inputs):
        return ops.matmul(inputs, self.w)


class AddsRelu(SimpleDense):
    def call(self, inputs):
        return ops.relu(ops.matmul(inputs, self.w) + self.b)


class ConfigWithoutUnits(SimpleDense):
    def get_config(self):
        return super(SimpleDense, self).get_config()


class NoKwargs(keras.layers.Layer):
    def __init__(self, units):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units))
        self.b = self.add_weight(shape=(self.units,))

    def call(self, inputs):
        return inputs @ self.w + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class CallRaises(SimpleDense):
    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.bias


class BuildRaises(SimpleDense):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.unit))


class InitRaises(SimpleDense):
    def __init__(self, units, input_dim, **kwargs):
        super().__init__(units, **kwargs)


class GetConfigRaises(SimpleDense):
    def get_config(self):
        config = super().get_config()
        config["units"] = self.number_of_units
        return config


class GetConfigForgetsReturn(SimpleDense):
    def get_config(self):
        config = super().get_config()
        config["units"] = self.units


class ReturnsNothing(SimpleDense):
    def call(self, inputs):
        ops.matmul(inputs, self.w) + self.b


class UsesNumpy(SimpleDense):
    def call(self, inputs):
        return np.dot(inputs, self.w) + self.b


class NoSuperInit(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units))


class NotALayer:
    def __init__(self, units):
        self.units = units


WRONG_SIMPLE_DENSE = {
    "b missing": (NoBias, "weights", ["No weight b of shape (2,)", "self.b = self.add_weight"]),
    "w swapped": (SwappedW, "weights", ["self.w has shape (2, 3)", "(input_dim, units)", "Swap"]),
    "w wrong shape": (SquareW, "weights", ["self.w has shape (3, 3)", "should have shape (3, 2)"]),
    "w not trainable": (FrozenW, "weights", ["self.w is not trainable"]),
    "bias not added": (ForgetsBias, "output", ["differs from x·w + b", "largest difference", "add the bias"]),
    "relu added": (AddsRelu, "output", ["relu", "no activation"]),
    "config without units": (
        ConfigWithoutUnits,
        "config",
        ["no 'units'", "Keras calls get_config when saving", "super().get_config()"],
    ),
    "no **kwargs": (NoKwargs, "config", ["from_config", "unexpected keyword argument", "**kwargs"]),
    "call raises": (CallRaises, "output", ["CallRaises.call raised", "AttributeError", "bias", "self.bias"]),
    "build raises": (BuildRaises, "construct", ["BuildRaises.build raised", "AttributeError", "unit"]),
    "get_config raises": (GetConfigRaises, "config", ["get_config raised", "number_of_units"]),
    "get_config returns None": (
        GetConfigForgetsReturn,
        "config",
        ["returned None, not a dict", "return config"],
    ),
    "call returns None": (ReturnsNothing, "output", ["returned None", "return"]),
    "numpy in call": (UsesNumpy, "in a model", ["functional model", "keras.ops"]),
}


@pytest.mark.parametrize("case", list(WRONG_SIMPLE_DENSE))
def test_each_simple_dense_mistake_fails_where_it_is_and_says_what_to_do(case):
    layer_class, failing_check, phrases = WRONG_SIMPLE_DENSE[case]
    report = check(layer_class, "simple_dense")
    assert not report.passed
    assert 0 <= report.score < 10
    by_name = {c.name: c for c in report.checks}
    assert not by_name[failing_check].passed
    text = " ".join(by_name[failing_check].messages)
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not in: {text}"


def test_a_mistake_in_one_part_keeps_the_points_of_the_others():
    report = check(ConfigWithoutUnits, "simple_dense")
    assert {c.name: c.earned for c in report.checks} == {
        "construct": 1,
        "weights": 3,
        "output": 3,
        "config": 0,
        "in a model": 1,
    }


def test_the_output_message_shows_a_worked_example_with_the_real_numbers():
    inputs = make_inputs("simple_dense", seed=3)
    report = judge_layer_observations(
        observe_layer_class(ForgetsBias, "simple_dense", inputs), "simple_dense", inputs
    )
    message = next(c for c in report.checks if c.name == "output").messages[0]
    first_row = inputs["batches"][0][0]
    assert "with x = [[" + ", ".join(f"{v:g}" for v in first_row) + "]]" in message


NOT_A_CLASS = {
    "None": (None, ["None", "forgot `return`", 'check(SimpleDense, "simple_dense")']),
    "a string": ("SimpleDense", ["text 'SimpleDense'", "without quotes"]),
    "an instance": (SimpleDense(4), ["not SimpleDense(4)", "pass the class".lower()]),
    "not a layer": (NotALayer, ["not a Keras layer", "keras.layers.Layer"]),
    "a function": (lambda: SimpleDense, ["function", 'check(SimpleDense, "simple_dense")']),
    "a number": (3, ["Expected the class SimpleDense", "int"]),
}


@pytest.mark.parametrize("case", list(NOT_A_CLASS))
def test_something_other_than_a_layer_class_fails_every_check_with_one_plain_message(case):
    subject, phrases = NOT_A_CLASS[case]
    report = check(subject, "simple_dense")
    assert report.score == 0 and not report.passed
    assert len([c for c in report.checks if c.points]) == 5
    text = str(report)
    for phrase in phrases:
        assert phrase.lower() in text.lower(), f"{phrase!r} not in: {text}"


def test_an_init_that_raises_names_the_method_the_error_and_the_expected_signature():
    report = check(InitRaises, "simple_dense")
    assert report.score == 0
    text = str(report)
    assert "InitRaises(2) raised in __init__" in text
    assert "input_dim" in text and "def __init__(self, units, **kwargs)" in text


def test_forgetting_super_init_is_named():
    report = check(NoSuperInit, "simple_dense")
    assert not report.passed
    assert "super().__init__(**kwargs)" in str(report)


def test_passing_compute_sum_to_the_simple_dense_exercise_is_pointed_out():
    report = check(ComputeSum, "simple_dense")
    assert not report.passed
    assert "wrong class" in report.summary


# --------------------------------------------------------------------------- wrong ComputeSum


class TrainableTotal(ComputeSum):
    def __init__(self, input_dim, **kwargs):
        keras.layers.Layer.__init__(self, **kwargs)
        self.input_dim = input_dim
        self.total = self.add_weight(shape=(input_dim,), initializer="zeros")


class AssignsInsteadOfAdding(ComputeSum):
    def call(self, inputs):
        self.total.assign(ops.sum(inputs, axis=0))
        return self.total


class RandomStart(ComputeSum):
    def __init__(self, input_dim, **kwargs):
        keras.layers.Layer.__init__(self, **kwargs)
        self.input_dim = input_dim
        self.total = self.add_weight(shape=(input_dim,), trainable=False)


class SumsRows(ComputeSum):
    def call(self, inputs):
        return ops.sum(inputs, axis=1)


class Averages(ComputeSum):
    def call(self, inputs):
        self.total.assign(self.total + ops.mean(inputs, axis=0))
        return self.total


class ConfigWithoutInputDim(ComputeSum):
    def get_config(self):
        return keras.layers.Layer.get_config(self)


def test_compute_sum_is_not_graded_on_its_config():
    """The contract asks a get_config round trip of SimpleDense only."""
    assert check(ConfigWithoutInputDim, "compute_sum").passed


WRONG_COMPUTE_SUM = {
    "total trainable": (TrainableTotal, "weights", ["self.total is trainable", "trainable=False"]),
    "does not accumulate": (
        AssignsInsteadOfAdding,
        "output",
        ["second batch alone", "does not accumulate", "assign_add"],
    ),
    "random start": (RandomStart, "weights", ["not at zero", 'initializer="zeros"']),
    "sums rows": (SumsRows, "output", ["shape (4,)", "axis=0"]),
    "mean": (Averages, "output", ["column mean", "ops.sum"]),
}


@pytest.mark.parametrize("case", list(WRONG_COMPUTE_SUM))
def test_each_compute_sum_mistake_fails_where_it_is_and_says_what_to_do(case):
    layer_class, failing_check, phrases = WRONG_COMPUTE_SUM[case]
    report = check(layer_class, "compute_sum")
    assert not report.passed and report.score < 10
    by_name = {c.name: c for c in report.checks}
    assert not by_name[failing_check].passed
    text = " ".join(by_name[failing_check].messages)
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not in: {text}"


def test_a_total_that_does_not_accumulate_keeps_the_points_of_the_first_call():
    report = check(AssignsInsteadOfAdding, "compute_sum")
    output = next(c for c in report.checks if c.name == "output")
    assert output.earned == output.points / 2
    assert report.score == 7.5


def test_an_instance_of_compute_sum_is_refused_with_its_argument():
    report = check(ComputeSum(3), "compute_sum")
    assert report.score == 0
    assert "not ComputeSum(3)" in str(report)


# --------------------------------------------------------------------------- observation and judgement


def test_observations_are_plain_json_and_judging_them_again_gives_the_same_report():
    inputs = make_inputs("simple_dense", seed=7)
    observations = observe_layer_class(NoBias, "simple_dense", inputs)
    copied = json.loads(json.dumps(observations))
    assert copied == observations
    again = judge_layer_observations(copied, "simple_dense", json.loads(json.dumps(inputs)))
    assert again.to_dict() == check_layer_class(NoBias, "simple_dense", seed=7).to_dict()


def test_judgement_needs_no_layer_at_all():
    """What a grader outside the learner's kernel does: judge observations it was sent."""
    inputs = {
        "exercise": "compute_sum",
        "argument": {"input_dim": 3},
        "input_dim": 3,
        "batches": [[[1, 2, 3]], [[10, 20, 30]]],
        "weight_seed": 0,
    }
    weight = {
        "attribute": "total",
        "path": "compute_sum/total",
        "shape": [3],
        "trainable": False,
        "initial": [0, 0, 0],
        "value": [0, 0, 0],
    }
    observations = {
        "exercise": "compute_sum",
        "subject": {"kind": "layer_class", "name": "ComputeSum"},
        "failure": None,
        "weights": [weight],
        "calls": [{"output": [1, 2, 3], "error": None}, {"output": [11, 22, 33], "error": None}],
        "config": {"value": {"input_dim": 3}, "error": None},
        "round_trip": {"value": {"input_dim": 3}, "error": None},
    }
    assert judge_layer_observations(observations, "compute_sum", inputs).passed
    observations["calls"][1]["output"] = [10, 20, 30]
    report = judge_layer_observations(observations, "compute_sum", inputs)
    assert not report.passed and "does not accumulate" in str(report)


def test_the_weights_are_set_to_known_values_before_the_call():
    inputs = make_inputs("simple_dense", seed=5)
    observations = observe_layer_class(SimpleDense, "simple_dense", inputs)
    b = next(w for w in observations["weights"] if w["attribute"] == "b")
    assert b["initial"] == [0.0, 0.0]  # the layer's own zeros initializer ...
    assert all(v in (-2, -1, 1, 2) for v in b["value"])  # ... replaced so that b shows in the output


def test_a_grader_can_recompute_the_weight_values_observation_set():
    inputs = make_inputs("simple_dense", seed=11)
    weights = observe_layer_class(SimpleDenseKerasNames, "simple_dense", inputs)["weights"]
    expected = known_weight_values(inputs["weight_seed"], [w["shape"] for w in weights])
    assert [w["value"] for w in weights] == [v.tolist() for v in expected]


def test_checking_writes_nothing_to_stderr(capfd):
    class Noisy(SimpleDense):
        def build(self, input_shape):
            warnings.warn("a warning from the learner's build", stacklevel=2)
            super().build(input_shape)

    check(Noisy, "simple_dense")
    check(SwappedW, "simple_dense")
    assert capfd.readouterr().err == ""


def test_a_check_takes_well_under_a_second_after_warm_up():
    check(SimpleDense, "simple_dense")
    start = time.perf_counter()
    for _ in range(5):
        check(SimpleDense, "simple_dense")
        check(ComputeSum, "compute_sum")
    per_check = (time.perf_counter() - start) / 10
    assert per_check < 0.5, f"{per_check * 1000:.0f} ms per check"


def test_the_autograded_cell_scores_the_class_itself():
    from checker.autograde import grade

    assert float(grade(SimpleDense, "simple_dense")) == 10
    assert float(grade(AssignsInsteadOfAdding, "compute_sum")) == 7.5
    assert float(grade(SimpleDense(2), "simple_dense")) == 0


def test_the_grader_s_weights_make_every_unit_negative_somewhere_so_an_added_relu_always_shows():
    """A relu (or abs) after x·w + b changes nothing when every output is positive: the grader
    never picks such weights, whatever the seed (a stray relu once passed 1 run in a few hundred)."""
    from checker.observe.layer_setup import known_weight_values, make_inputs

    for seed in range(500):
        inputs = make_inputs("simple_dense", seed=seed)
        w, b = known_weight_values(inputs["weight_seed"], [(3, 2), (2,)])
        outputs = np.array(inputs["batches"][0]) @ w + b
        assert (outputs < 0).any(axis=0).all() and (outputs > 0).any(axis=0).all(), seed
