"""Grade a learner's Keras functional-API model by its topology and shapes.

The package, by what each part may do (the trust boundary of class grading):

- `judge/`      pure judgement: a model's description or a layer's observations in, a
                `Report` out. Holds the exercise specs. Never runs learner code; in class
                grading it runs only in clean processes, never in a learner's kernel.
- `observe/`    runs learner code to turn it into plain data: `describe` (a model into its
                description), `layer_observe` (what a layer class does), `layer_probe` (the
                throw-away process that does that in class grading).
- `course/`     helpers the notebooks call (seeds, epochs, model pictures, curves).
- `autograde`   the function every autograded test cell calls (`grade`).
- `classroom/`  drives nbgrader for class grading (sandboxed kernels, clean verdicts).
- `authoring/`  instructor tools: make learner notebooks, run the solution notebooks.
- `commands/`   `python -m checker ...`, one module per command.
- `report`      `Report` and `CheckResult`, the vocabulary every part shares.
- `evidence_channel`  the socket that carries a test cell's model description from the
                sandboxed kernel (client) to nbgrader's process (server).

>>> from checker import check
>>> report = check(None, "qa_model")
>>> report.passed
False

In class grading the learner's kernel imports a copy of this package without judge/ (see
checker/classroom/sandbox.py): there `check()` only says that the self-check is off.
"""

import contextlib
import html
import os

from checker.observe.describe import describe, load_description, save_description
from checker.report import CheckResult, Report

GRADING_ENV = "CHECKER_GRADING"  # "1" in a learner's kernel during class grading (the sandbox sets it)

__all__ = [
    "check",
    "grade_description",
    "describe",
    "save_description",
    "load_description",
    "Report",
    "CheckResult",
    "EXERCISES",
    "get_exercise",
]


def check(model, exercise_id: str) -> Report:
    """Grade `model` (for `simple_dense` / `compute_sum`: the layer class) against an exercise.

    `model` may also be the function that builds it (`check(build_qa_model, "qa_model")`):
    it is called, and if it raises, the report names the error and any known pitfall.
    Never raises for bad input: a failed report says what is wrong and what to do.
    Only an unknown exercise id raises ValueError.

    >>> check("a string", "functional_mlp").passed
    False
    """
    if os.environ.get(GRADING_ENV) == "1":
        return SelfCheckOff(exercise_id)
    from checker.judge.exercises import get_exercise

    spec = get_exercise(exercise_id)
    if spec["kind"] == "layer_class":
        return _guarded(exercise_id, check_layer_class, model, exercise_id)
    report, _ = build_and_grade(model, exercise_id)
    return report


def build_and_grade(subject, exercise_id: str, silent: bool = False) -> tuple[Report, dict | None]:
    """Call `subject` if it is a builder, describe the model, grade it: (report, description).

    The one path of `check()` and of the autograded cell (`checker.autograde.grade`, which
    passes silent=True: Keras warnings on stderr would cost the cell its points there).
    The description is None when there is no model to describe (the builder raised).

    >>> build_and_grade(lambda: None, "functional_mlp")[0].score
    0.0
    """
    from checker.judge.exercises import get_exercise
    from checker.judge.feedback import builder_failed
    from checker.observe.quiet import quiet

    spec = get_exercise(exercise_id)
    model = subject
    if _is_builder(subject):
        try:
            with quiet() if silent else contextlib.nullcontext():
                model = subject()
        except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything
            return builder_failed(exercise_id, spec, exc, _function_name(subject)), None
    description = describe(model)
    return _guarded(exercise_id, grade_description, description, exercise_id), description


def _is_builder(subject) -> bool:
    """A function to call for the model: callable, but not a class, a layer or a model."""
    if isinstance(subject, type) or not callable(subject):
        return False
    try:
        import keras
    except ImportError:
        return True
    return not isinstance(subject, (keras.layers.Layer, keras.Operation))


def _function_name(subject) -> str:
    return getattr(subject, "__name__", None) or type(subject).__name__


def grade_description(description: dict, exercise_id: str) -> Report:
    """Grade a description made by `describe()` (or read from a file): pure data in, report out.

    >>> grade_description(describe(None), "residual_identity").score
    0.0
    """
    from checker.judge.exercises import get_exercise

    spec = get_exercise(exercise_id)
    if description.get("kind") == "checker_error":
        # In class grading this text comes from the learner's kernel: quote it, never pass it as ours.
        raise CheckerError(
            f"describing the model failed, the kernel that ran it says: {description.get('error')!r}"
        )
    if spec["kind"] == "trend":
        from checker.judge.trend import grade_trend

        return grade_trend(description, spec, exercise_id)
    from checker.judge.graph_exercises import grade_graph

    return grade_graph(description, spec, exercise_id)


def check_layer_class(subject, exercise_id: str, seed: int | None = None) -> Report:
    """Observe the learner's layer class on fresh random data and judge it. Never raises for bad input.

    >>> check_layer_class(None, "simple_dense").passed
    False
    """
    from checker.judge.layer_judge import judge_layer_observations
    from checker.observe.layer_observe import observe_layer_class
    from checker.observe.layer_setup import make_inputs

    inputs = make_inputs(exercise_id, seed)
    observations = observe_layer_class(subject, exercise_id, inputs)
    return judge_layer_observations(observations, exercise_id, inputs)


class CheckerError(RuntimeError):
    """The checker itself failed (not the learner's model)."""


def _guarded(exercise_id, grade, *args) -> Report:
    """A bug in the checker must not look like the learner's fault, nor crash their cell."""
    try:
        return grade(*args)
    except Exception as exc:  # noqa: BLE001 - last line of defence, reported plainly
        from checker.judge.feedback import internal_error

        return internal_error(exercise_id, exc)


class SelfCheckOff(Report):
    """What `check()` answers in a notebook that the instructor's checker is grading.

    >>> print(SelfCheckOff("qa_model"))  # doctest: +ELLIPSIS
    qa_model: this notebook is being graded by the instructor's checker, so the self-check is off...
    """

    def __init__(self, exercise: str):
        super().__init__(
            exercise,
            summary="this notebook is being graded by the instructor's checker, so the self-check is off. "
            "Your points and feedback come with the graded notebook.",
        )

    def __str__(self) -> str:
        return f"{self.exercise}: {self.summary}"

    def _repr_html_(self) -> str:
        return f"<div style='font-family:system-ui,sans-serif;font-size:13px'>{html.escape(str(self))}</div>"


def __getattr__(name: str):
    """EXERCISES and get_exercise, imported on first use (the kernel-side copy has no judge/)."""
    if name in ("EXERCISES", "get_exercise"):
        from checker.judge import exercises

        return getattr(exercises, name)
    raise AttributeError(f"module 'checker' has no attribute {name!r}")
