"""The autograded test cell of every graded exercise calls `grade()`.

In JupyterLab it shows the report; for nbgrader its plain-text value is the number of
points earned (nbgrader reads a numeric cell result as partial credit). When the
environment variable CHECKER_RESULTS_DIR is set, the description and the report are
also written there as `<exercise_id>.json`, for graders that recompute the verdict in a
clean process.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from checker.judge.exercises import get_exercise
from checker.report import Report

RESULTS_DIR_ENV = "CHECKER_RESULTS_DIR"


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
    report, description = _run(subject, exercise_id)
    if record:
        _record(exercise_id, report, description)
    return Score(report.score, report)


def _run(subject, exercise_id: str) -> tuple[Report, dict | None]:
    from checker import build_and_grade, check

    spec = get_exercise(exercise_id)
    if spec["kind"] == "layer_class":
        return check(subject, exercise_id), None
    return build_and_grade(subject, exercise_id, silent=True)


def _record(exercise_id: str, report: Report, description: dict | None) -> None:
    folder = os.environ.get(RESULTS_DIR_ENV)
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    payload = {"exercise": exercise_id, "report": report.to_dict(), "description": description}
    (path / f"{exercise_id}.json").write_text(json.dumps(payload))
