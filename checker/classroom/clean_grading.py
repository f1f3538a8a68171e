"""Turn evidence into points in a fresh process that imports no learner code.

Model exercises: `python -m checker grade description.json EXERCISE --json`.
Custom-layer exercises: `python -m checker.classroom.layer_grading program.py EXERCISE`, which
itself runs the learner's class in a throw-away process and judges what it observed; the
classes of several test cells of one notebook go to one such process (`verdicts`).
Either way the process gets a time limit. What comes back is one of three outcomes:

- a well-formed report: the points;
- the evidence could not be used (`checker grade` exit status 2): 0 points, with the reason;
- the checker failed (exit status 3 with a {"error": "checker"} line, any other crash, a
  timeout, an answer that is not a well-formed report): `Verdict.checker_error`, never the
  learner's 0. `CleanVerdicts` fails the submission so that the instructor looks at it.

These processes cannot be hijacked by what learner code left behind: they start in Python's
safe-path mode (`-P`: neither the working folder nor a script's folder is on sys.path), in a
fresh private folder (mode 0700) that no learner process can write, in a session of their own
whose every process is ended when they finish, fail or run out of time.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from checker.classroom.config import subprocess_environment
from checker.classroom.evidence import Evidence
from checker.commands.grade import EXIT_CHECKER_ERROR, EXIT_UNUSABLE

PROBE_TIMEOUT = 120  # seconds for the layer probe: TensorFlow's import, a build and a few calls
GRADER_OVERHEAD = 60  # seconds for a clean process's own start, imports and judgement
DEFAULT_TIMEOUT = PROBE_TIMEOUT + GRADER_OVERHEAD  # the whole clean grading of one cell


@dataclass
class Verdict:
    exercise: str
    share: float  # of the cell's points, 0..1
    report: dict | None = None  # Report.to_dict() of the clean grading
    problem: str | None = None  # why there are no points to give
    checker_error: str | None = None  # the checker failed: no verdict, the instructor must look
    unreadable: bool = False  # the evidence was not a description the checker could read: a 0

    def points(self, cell_points: float) -> float:
        return round(cell_points * self.share, 2)


def verdict(evidence: Evidence, timeout: float = DEFAULT_TIMEOUT) -> Verdict:
    """The verdict on one piece of evidence: `verdicts` of one."""
    return verdicts([evidence], timeout)[0]


def verdicts(candidates: list[Evidence], timeout: float = DEFAULT_TIMEOUT) -> list[Verdict]:
    """A verdict for each, in order; all custom-layer classes among them tried in one probe.

    >>> [v.share for v in verdicts([Evidence("qa_model", problem="The cell did not run.")])]
    [0.0]
    """
    layers = [e for e in candidates if e.program is not None and not e.problem]
    graded = dict(zip(map(id, layers), _layer_verdicts(layers, timeout))) if layers else {}
    return [graded.get(id(e)) or _model_verdict(e, timeout) for e in candidates]


def _model_verdict(evidence: Evidence, timeout: float) -> Verdict:
    if evidence.problem:
        return Verdict(evidence.exercise, 0.0, problem=evidence.problem)
    return _judged(evidence.exercise, functools.partial(_model_report, evidence, timeout))


def _layer_verdicts(layers: list[Evidence], timeout: float) -> list[Verdict]:
    """One clean process for every custom-layer evidence, hence one probe (see layer_grading)."""
    probe_timeout = max(timeout - GRADER_OVERHEAD, timeout / 2)
    retries = len(layers) if len(layers) > 1 else 0  # after a shared try, each may be tried alone
    whole = timeout + probe_timeout * retries
    with tempfile.TemporaryDirectory(prefix="checker-clean-") as scratch:  # mode 0700
        arguments = ["checker.classroom.layer_grading"]
        for number, evidence in enumerate(layers):
            path = Path(scratch) / f"learner_layer_{number}.py"
            path.write_text(evidence.program, encoding="utf-8")
            arguments += [str(path), evidence.exercise]
        done = run_in_own_session(
            [sys.executable, "-P", "-m", *arguments, f"{probe_timeout:g}"],
            whole,
            cwd=scratch,
            env=subprocess_environment(),
        )
    return [
        _judged(e.exercise, functools.partial(_parse_report, done, e.exercise, n - len(layers), whole))
        for n, e in enumerate(layers)
    ]


def _judged(exercise: str, report_of) -> Verdict:
    """The verdict on what `report_of()` returns, or on why it raised."""
    try:
        report = report_of()
    except GradingFailed as failure:
        return Verdict(exercise, 0.0, problem=str(failure), unreadable=True)
    except CheckerFailed as failure:
        return Verdict(exercise, 0.0, checker_error=str(failure))
    return Verdict(exercise, _share(report), report=report)


class GradingFailed(Exception):
    """The evidence could not be graded: the learner's 0."""


class CheckerFailed(Exception):
    """The checker itself failed: no verdict."""


def _model_report(evidence: Evidence, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="checker-clean-") as scratch:  # mode 0700
        path = Path(scratch) / "description.json"
        path.write_text(json.dumps(evidence.description), encoding="utf-8")
        done = run_in_own_session(
            [sys.executable, "-P", "-m", "checker", "grade", str(path), evidence.exercise, "--json"],
            timeout,
            cwd=scratch,
            env=subprocess_environment(),
        )
    return _parse_report(done, evidence.exercise, -1, timeout)


def run_in_own_session(
    command: list[str], timeout: float, cwd: str, env: dict, capture: bool = True, started=None
) -> subprocess.CompletedProcess | None:
    """Run `command` in a new session and end its whole process group on every way out.

    Returns the finished process (stdout and stderr as text when `capture`), or None when it
    ran out of time. `started(pid)`, if given, learns the session's first process.

    >>> run_in_own_session(["echo", "hi"], 10, cwd="/", env={}).stdout
    'hi\\n'
    """
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        text=True,
        start_new_session=True,
    )
    if started:
        started(process.pid)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    except subprocess.TimeoutExpired:
        return None
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):  # a process that left the group holds a pipe
            process.communicate(timeout=5)


def _parse_report(
    done: subprocess.CompletedProcess | None, exercise: str, line: int = -1, timeout: float = DEFAULT_TIMEOUT
) -> dict:
    """The report (on the `line`th line of the output, counted from the end for a negative one);
    GradingFailed for unusable evidence; CheckerFailed for anything else (`done` None: the
    process ran out of its `timeout`)."""
    if done is None:
        raise CheckerFailed(f"clean grading took longer than {timeout:g} s and was stopped")
    answer = _json_line(done.stdout, line)
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


def _json_line(stdout: str, line: int):
    lines = stdout.strip().splitlines()
    try:
        return json.loads(lines[line]) if -len(lines) <= line < len(lines) else None
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
