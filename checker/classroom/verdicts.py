"""CleanVerdicts: the points of every checker test cell, decided outside the learner's kernel.

Registered in Autograde.autograde_preprocessors right after the Execute step, so it runs in
nbgrader's own process after the kernel has shut down and before SaveAutoGrades reads the
outputs. For each autograded cell whose grade_id is a checker exercise it gathers the
evidence (evidence.py), has it graded in a clean process (clean_grading.py) and replaces the
cell's outputs with one numeric execute_result: the report's share of the cell's points,
with the report as HTML for the feedback. nbgrader reads that number as partial credit.
Other grade cells are left to nbgrader's usual rules.

When a test cell's window holds several candidates (a thread or hook of the learner's sent a
description too), each is graded and the lowest score counts. When the checker itself fails
(`Verdict.checker_error`), this step raises `NeedsAttention`: nbgrader then lists the
submission as failed, with the reason, instead of recording a 0 the learner did not earn.
"""

from __future__ import annotations

import html
import time

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float

from checker.classroom.clean_grading import DEFAULT_TIMEOUT, Verdict, verdicts
from checker.classroom.evidence import Evidence, checker_exercise, gather
from checker.classroom.execute import EVIDENCE_KEY


class NeedsAttention(Exception):
    """The checker failed on a submission: nbgrader fails it so that the instructor looks."""


class CleanVerdicts(NbGraderPreprocessor):
    """Replace each checker test cell's outputs with points computed in a clean process."""

    enabled = Bool(True).tag(config=True)  # nbconvert ignores a preprocessor that is not enabled
    timeout = Float(DEFAULT_TIMEOUT, help="Seconds the clean grading of one cell may take.").tag(config=True)

    def preprocess(self, nb, resources):
        written = resources.pop(EVIDENCE_KEY, None)
        started = time.perf_counter()
        cells = {
            index: gather(nb, index, written) for index, cell in enumerate(nb.cells) if checker_exercise(cell)
        }
        # All at once: the custom-layer classes of the notebook are then tried in one process.
        found = iter(
            verdicts([evidence for candidates in cells.values() for evidence in candidates], self.timeout)
        )
        for index, candidates in cells.items():
            self._grade_cell(nb.cells[index], [next(found) for _ in candidates])
        self.log.info(
            "Timing: clean grading %.1f s for %d test cells.", time.perf_counter() - started, len(cells)
        )
        return nb, resources

    def _grade_cell(self, cell, found: list[Verdict]) -> None:
        result = lowest(found)
        if result.checker_error:
            raise NeedsAttention(f"checker error: needs attention: {result.checker_error}")
        points = float(cell.metadata["nbgrader"]["points"])
        if result.problem:
            self.log.warning("%s: 0 points: %s", result.exercise, result.problem)
        if len(found) > 1:
            self.log.warning(
                "%s: %d different answers reached the grader while the cell ran; the lowest counts.",
                result.exercise,
                len(found),
            )
        cell.outputs = [verdict_output(result, points, cell.get("execution_count"))]


def lowest_verdict(candidates: list[Evidence], timeout: float = DEFAULT_TIMEOUT) -> Verdict:
    """The verdict of the candidate with the lowest score (a checker error only if all are).

    >>> lowest_verdict([Evidence("qa_model", problem="The cell did not run.")]).share
    0.0
    """
    return lowest(verdicts(candidates, timeout))


def lowest(found: list[Verdict]) -> Verdict:
    """The lowest verdict among the candidates the checker could read and judge; where it could
    judge none, the first checker error, else (all unreadable) the lowest.

    Every candidate comes from the learner's kernel, which can send, next to its honest answer,
    one the checker fails on: a description claiming a checker error, one made to crash the
    judge, or one that is not a description at all. Such a candidate must neither turn the score
    into "needs attention" nor into 0: the honest answer's verdict stands. Leaving it out gains
    the learner nothing, since a learner can always send the best description they can make.
    A checker bug on the only answer still needs attention.

    >>> judged, error = Verdict("qa_model", 0.4), Verdict("qa_model", 0.0, checker_error="bug")
    >>> unreadable = Verdict("qa_model", 0.0, problem="not a description", unreadable=True)
    >>> lowest([error, unreadable, judged]) is judged, lowest([unreadable, error]) is error
    (True, True)
    """
    judged = [result for result in found if not (result.checker_error or result.unreadable)]
    errors = [result for result in found if result.checker_error]
    if judged or not errors:
        return min(judged or found, key=lambda result: result.share)
    return errors[0]


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
        return heading + f"<p>No points: {html.escape(result.problem)}</p>"
    return heading + _report_html(result.report)


def _report_html(report: dict | None) -> str:
    """The report as Report renders it (every text escaped); "" for anything that is not one."""
    from checker.report import Report

    try:
        return Report.from_dict(report)._repr_html_()
    except (KeyError, TypeError, ValueError, AttributeError):
        return ""
