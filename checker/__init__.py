"""Grade a learner's Keras functional-API model by its topology and shapes.

>>> from checker import check
>>> report = check(None, "qa_model")
>>> report.passed
False
"""
from checker.describe import describe, load_description, save_description
from checker.exercises import EXERCISES, get_exercise
from checker.report import CheckResult, Report

__all__ = ["check", "grade_description", "describe", "save_description", "load_description",
           "Report", "CheckResult", "EXERCISES", "get_exercise"]


def check(model, exercise_id: str) -> Report:
    """Grade `model` (for `simple_dense` / `compute_sum`: the layer class) against an exercise.

    Never raises for bad input: a failed report says what is wrong and what to do.
    Only an unknown exercise id raises ValueError.

    >>> check("a string", "functional_mlp").passed
    False
    """
    spec = get_exercise(exercise_id)
    if spec["kind"] == "layer_class":
        from checker.layer_exercises import check_layer_class

        return _guarded(exercise_id, check_layer_class, model, exercise_id)
    return _guarded(exercise_id, grade_description, describe(model), exercise_id)


def grade_description(description: dict, exercise_id: str) -> Report:
    """Grade a description made by `describe()` (or read from a file): pure data in, report out.

    >>> grade_description(describe(None), "residual_identity").score
    0.0
    """
    spec = get_exercise(exercise_id)
    if spec["kind"] == "trend":
        from checker.trend import grade_trend

        return grade_trend(description, spec, exercise_id)
    from checker.grading import grade_graph

    return grade_graph(description, spec, exercise_id)


def _guarded(exercise_id, grade, *args) -> Report:
    """A bug in the checker must not look like the learner's fault, nor crash their cell."""
    try:
        return grade(*args)
    except Exception as exc:  # noqa: BLE001 - last line of defence, reported plainly
        from checker.verdicts import internal_error

        return internal_error(exercise_id, exc)
