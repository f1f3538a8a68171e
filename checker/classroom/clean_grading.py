"""Turn evidence into points in a fresh process that imports no learner code.

Model exercises: `python -m checker grade description.json EXERCISE --json`.
Custom-layer exercises: `python -m checker.classroom.layer_grading program.py EXERCISE`, which
itself runs the learner's class in a throw-away process and judges what it observed.
Either way the process gets a time limit. What comes back is one of three outcomes:

- a well-formed report: the points;
- the evidence could not be used (`checker grade` exit status 2): 0 points, with the reason;
- the checker failed (exit status 3 with a {"error": "checker"} line, any other crash, a
  timeout, an answer that is not a well-formed report): `Verdict.checker_error`, never the
  learner's 0. `CleanVerdicts` fails the submission so that the instructor looks at it.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from checker.classroom.config import subprocess_environment
from checker.classroom.evidence import Evidence
from checker.commands.grade import EXIT_CHECKER_ERROR, EXIT_UNUSABLE

DEFAULT_TIMEOUT = 180  # seconds; the layer grader imports TensorFlow in its throw-away process


@dataclass
class Verdict:
    exercise: str
    share: float  # of the cell's points, 0..1
    report: dict | None = None  # Report.to_dict() of the clean grading
    problem: str | None = None  # why there are no points to give
    checker_error: str | None = None  # the checker failed: no verdict, the instructor must look

    def points(self, cell_points: float) -> float:
        return round(cell_points * self.share, 2)


def verdict(evidence: Evidence, timeout: float = DEFAULT_TIMEOUT) -> Verdict:
    if evidence.problem:
        return Verdict(evidence.exercise, 0.0, problem=evidence.problem)
    try:
        report = _clean_report(evidence, timeout)
    except GradingFailed as failure:
        return Verdict(evidence.exercise, 0.0, problem=str(failure))
    except CheckerFailed as failure:
        return Verdict(evidence.exercise, 0.0, checker_error=str(failure))
    return Verdict(evidence.exercise, _share(report), report=report)


class GradingFailed(Exception):
    """The evidence could not be graded: the learner's 0."""


class CheckerFailed(Exception):
    """The checker itself failed: no verdict."""


def _clean_report(evidence: Evidence, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="checker-clean-") as scratch:
        if evidence.program is not None:
            path = Path(scratch) / "learner_layer.py"
            path.write_text(evidence.program, encoding="utf-8")
            command = [sys.executable, "-m", "checker.classroom.layer_grading", str(path), evidence.exercise]
        else:
            path = Path(scratch) / "description.json"
            path.write_text(json.dumps(evidence.description), encoding="utf-8")
            command = [sys.executable, "-m", "checker", "grade", str(path), evidence.exercise, "--json"]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=scratch,
                env=subprocess_environment(),
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise CheckerFailed(f"clean grading took longer than {timeout:g} s and was stopped") from None
    return _parse_report(done, evidence.exercise)


def _parse_report(done: subprocess.CompletedProcess, exercise: str) -> dict:
    """The report; GradingFailed for unusable evidence; CheckerFailed for anything else."""
    answer = _last_json_line(done.stdout)
    detail = (done.stderr.strip().splitlines() or ["no message"])[-1][:300]
    if done.returncode == EXIT_UNUSABLE:
        raise GradingFailed(f"The clean grader could not use this evidence ({detail}).")
    if isinstance(answer, dict) and answer.get("error") == "checker":
        raise CheckerFailed(f"{exercise}: {str(answer.get('message', ''))[:300]}")
    if done.returncode == EXIT_CHECKER_ERROR or done.returncode not in (0, 1):
        raise CheckerFailed(f"{exercise}: the clean grader ended with status {done.returncode} ({detail})")
    if not _well_formed(answer, exercise):
        raise CheckerFailed(f"{exercise}: the clean grader answered something that is not a report")
    return answer


def _last_json_line(stdout: str):
    lines = stdout.strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else None
    except (json.JSONDecodeError, RecursionError):
        return None


def _well_formed(report, exercise: str) -> bool:
    if not isinstance(report, dict) or report.get("exercise") != exercise:
        return False
    score, max_score = report.get("score"), report.get("max_score")
    return (
        all(isinstance(v, (int, float)) and math.isfinite(v) for v in (score, max_score))
        and max_score > 0
        and isinstance(report.get("checks"), list)
    )


def _share(report: dict) -> float:
    return min(1.0, max(0.0, float(report["score"]) / float(report["max_score"])))
