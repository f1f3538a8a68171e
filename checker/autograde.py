"""The autograded test cell of every graded exercise calls `grade()`.

In JupyterLab it shows the report; its plain-text value is the number of points earned.
When the environment variable CHECKER_RESULTS_DIR is set, the description and the report are
also written there as `<exercise_id>.json` (for `run_solutions`).

Class grading (the environment variable CHECKER_EVIDENCE_SOCKET set by `GuardedExecute`):
`grade()` only calls the build function, describes the model and sends the description to
nbgrader's process (`checker.evidence_channel`), which grades it in a clean process.
It imports nothing from `checker.judge` and writes nothing to stderr; its return value is 0
(the grader replaces the cell's output). Custom-layer exercises send nothing: their evidence is
the notebook's source.
"""

from __future__ import annotations

import json
import os

from checker import _is_builder
from checker.evidence_channel import SOCKET_ENV, send
from checker.observe.describe import describe
from checker.observe.quiet import quiet
from checker.paths import results_dir
from checker.report import Report


class Score(float):
    """Points earned, displayed as the full report in a notebook.

    >>> float(Score(7.5, None))
    7.5
    """

    def __new__(cls, points: float, report: Report | None):
        score = super().__new__(cls, points)
        score.report = report
        return score

    def __repr__(self) -> str:
        return f"{float(self):g}"

    def _repr_html_(self) -> str | None:
        return self.report._repr_html_() if self.report is not None else None


def grade(subject, exercise_id: str, record: bool = True) -> Score:
    """Build the learner's answer, check it, record it, and return the points earned.

    `subject` is the build function (e.g. `build_qa_model`) or, for the custom-layer
    exercises, the layer class itself. Never raises for a broken answer. Cells that only
    demonstrate a mistake pass record=False, so they never stand in for the graded answer.

    >>> grade(lambda: None, "functional_mlp")
    0
    """
    if os.environ.get(SOCKET_ENV):
        return _send_for_class_grading(subject, exercise_id, record)
    report, description = _run(subject, exercise_id)
    if record:
        _record(exercise_id, report, description)
    return Score(report.score, report)


def _send_for_class_grading(subject, exercise_id: str, record: bool) -> Score:
    """Build, describe, send: no verdict here (the kernel is not trusted with one)."""
    if record and not isinstance(subject, type):  # a class: a custom-layer exercise
        description, error = _build_and_describe(subject)
        send({"exercise": exercise_id, "description": description, "builder_error": error})
    return Score(0, None)


def _build_and_describe(subject) -> tuple[dict | None, dict | None]:
    """(description, None), or (None, {"type", "message"}) when the build function raised."""
    model = subject
    with quiet():
        if _is_builder(subject):
            try:
                model = subject()
            except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything
                return None, {"type": type(exc).__name__, "message": _first_line(exc)}
        return describe(model), None


def _first_line(exc: BaseException) -> str:
    try:
        return (str(exc).strip().splitlines() or [""])[0][:300]
    except Exception:  # noqa: BLE001 - an exception whose __str__ raises
        return ""


def _run(subject, exercise_id: str) -> tuple[Report, dict | None]:
    from checker import build_and_grade, check
    from checker.judge.exercises import get_exercise

    spec = get_exercise(exercise_id)
    if spec["kind"] == "layer_class":
        return check(subject, exercise_id), None
    return build_and_grade(subject, exercise_id, silent=True)


def _record(exercise_id: str, report: Report, description: dict | None) -> None:
    path = results_dir()
    if path is None:
        return
    path.mkdir(parents=True, exist_ok=True)
    payload = {"exercise": exercise_id, "report": report.to_dict(), "description": description}
    (path / f"{exercise_id}.json").write_text(json.dumps(payload))
