"""CleanVerdicts: the points of every checker test cell, decided outside the learner's kernel.

Registered in Autograde.autograde_preprocessors right after the Execute step, so it runs in
nbgrader's own process after the kernel has shut down and before SaveAutoGrades reads the
outputs. For each autograded cell whose grade_id is a checker exercise it gathers the
evidence (evidence.py), has it graded in a clean process (clean_grading.py) and replaces the
cell's outputs with one numeric execute_result: the report's share of the cell's points,
with the report as HTML for the feedback. nbgrader reads that number as partial credit.
Other grade cells are left to nbgrader's usual rules.
"""

from __future__ import annotations

import html

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float

from checker.classroom.clean_grading import DEFAULT_TIMEOUT, Verdict, verdict
from checker.classroom.evidence import checker_exercise, gather
from checker.classroom.execute import EVIDENCE_KEY


class CleanVerdicts(NbGraderPreprocessor):
    """Replace each checker test cell's outputs with points computed in a clean process."""

    enabled = Bool(True).tag(config=True)  # nbconvert ignores a preprocessor that is not enabled
    timeout = Float(DEFAULT_TIMEOUT, help="Seconds the clean grading of one cell may take.").tag(config=True)

    def preprocess(self, nb, resources):
        written = resources.pop(EVIDENCE_KEY, None)
        for index, cell in enumerate(nb.cells):
            if checker_exercise(cell):
                self._grade_cell(nb, index, written)
        return nb, resources

    def _grade_cell(self, nb, index: int, written: dict | None) -> None:
        cell = nb.cells[index]
        result = verdict(gather(nb, index, written), timeout=self.timeout)
        points = float(cell.metadata["nbgrader"]["points"])
        if result.problem:
            self.log.warning("%s: 0 points: %s", result.exercise, result.problem)
        cell.outputs = [verdict_output(result, points, cell.get("execution_count"))]


def verdict_output(result: Verdict, points: float, execution_count) -> NotebookNode:
    earned = result.points(points)
    return NotebookNode(
        output_type="execute_result",
        execution_count=execution_count,
        metadata={},
        data={"text/plain": f"{earned:g}", "text/html": verdict_html(result, earned, points)},
    )


def verdict_html(result: Verdict, earned: float, points: float) -> str:
    heading = (
        f"<p><b>{html.escape(result.exercise)}: {earned:g}/{points:g} points</b> "
        "(graded by the checker outside your notebook's kernel)</p>"
    )
    if result.problem:
        said = _report_html(result.kernel_report)
        said = f"<p>Your notebook's own check said:</p>{said}" if said else ""
        return heading + f"<p>No points: {html.escape(result.problem)}</p>" + said
    return heading + _report_html(result.report)


def _report_html(report: dict | None) -> str:
    """The report as Report renders it (every text escaped); "" for anything that is not one."""
    from checker.report import Report

    try:
        return Report.from_dict(report)._repr_html_()
    except (KeyError, TypeError, ValueError, AttributeError):
        return ""
