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
    return _guarded(exercise_id, grade_description, describe(model), exercise_id)


def grade_description(description: dict, exercise_id: str) -> Report:
    """Grade a description made by `describe()` (or read from a file): pure data in, report out.

    >>> grade_description(describe(None), "residual_identity").score
    0.0
    """
    from checker.judge.exercises import get_exercise

    spec = get_exercise(exercise_id)
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
