"""Grade a custom-layer exercise from outside the learner's kernel.

    python -m checker.classroom.layer_grading PROGRAM EXERCISE [PROBE_TIMEOUT]   # prints the report as JSON

This process never runs learner code. It chooses the inputs (batches and the weight values
to set, from a seed derived from the program text, so a regrade gives the same verdict),
runs `layer_probe` on PROGRAM in a throw-away process with a time limit, and judges the raw
observations with `checker.judge.layer_judge.judge_layer_observations`.

The probe runs in the same bubblewrap sandbox as learners' kernels (sandbox.py) wherever bwrap
runs here: it sees the kernel-side copy of the checker (no judge/), writes only its scratch
folder, has no network, and leaves no process behind.

What the probe reports is learner-controlled, so it is checked before it is judged: the
weights it says it holds must be exactly the values this process asked it to set. A probe
that crashes, times out, writes nothing or writes nonsense earns 0 points.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from checker.classroom.clean_grading import PROBE_TIMEOUT, run_in_own_session
from checker.classroom.defuse import read_regular
from checker.judge.exercises import get_exercise
from checker.judge.feedback import whole_exercise_failed
from checker.report import Report

MAX_OBSERVATION_BYTES = 5_000_000


def main(argv: list[str]) -> int:
    """Exit status 0 passed, 1 not passed, 3 the checker failed ({"error": "checker"} printed)."""
    from checker.commands.grade import checker_error

    program, exercise, *timeout = argv
    try:
        text = Path(program).read_text(encoding="utf-8")
        report = grade_layer_program(text, exercise, float(timeout[0]) if timeout else PROBE_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - a checker bug: no verdict, not the learner's 0
        return checker_error(exercise, exc)
    print(json.dumps(report.to_dict()))
    return 0 if report.passed else 1


def grade_layer_program(program: str, exercise: str, timeout: float = PROBE_TIMEOUT) -> Report:
    from checker.observe.layer_setup import make_inputs

    spec = get_exercise(exercise)
    inputs = make_inputs(exercise, seed=program_seed(program, exercise))
    outcome, problem = run_probe(program, exercise, inputs, timeout)
    if problem:
        return whole_exercise_failed(exercise, spec, problem)
    if "definition_error" in outcome:
        return whole_exercise_failed(
            exercise,
            spec,
            (
                f"Defining {spec['builder']} failed: {outcome['definition_error']}. "
                "Run the cell with your class on its own to see the full error."
            ),
        )
    return judge(outcome.get("observations"), exercise, inputs)


def program_seed(program: str, exercise: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{exercise}\n{program}".encode()).digest()[:4], "big")


def run_probe(program: str, exercise: str, inputs: dict, timeout: float) -> tuple[dict, str | None]:
    """(what the probe wrote, None) or ({}, why there is nothing to judge)."""
    from checker.classroom.config import subprocess_environment

    # A probe process that outlives its sandbox by a moment must not turn the cleanup into a checker error.
    with tempfile.TemporaryDirectory(prefix="checker-probe-", ignore_cleanup_errors=True) as scratch:
        files = {name: Path(scratch) / name for name in ("program.py", "inputs.json", "observed.json")}
        files["program.py"].write_text(program, encoding="utf-8")
        files["inputs.json"].write_text(json.dumps(inputs), encoding="utf-8")
        command = [
            sys.executable,
            "-P",
            "-m",
            "checker.observe.layer_probe",
            str(files["program.py"]),
            exercise,
            get_exercise(exercise)["builder"],
            str(files["inputs.json"]),
            str(files["observed.json"]),
        ]
        with _sandboxed(command, Path(scratch)) as sandboxed:
            finished = run_in_own_session(
                sandboxed, timeout, cwd=scratch, env=subprocess_environment(), capture=False
            )
        if finished is None:
            return {}, f"Trying the class took longer than {timeout:g} s and was stopped (an endless loop?)."
        return _read_outcome(files["observed.json"])


@contextlib.contextmanager
def _sandboxed(command: list[str], scratch: Path):
    """The probe in the learner sandbox, writing only its scratch folder, wherever bwrap runs.

    Where it does not, GuardedExecute refuses to grade unless the instructor turned the
    sandbox off, and then the probe runs as plain as the kernel did.
    """
    from checker.classroom import sandbox

    if not sandbox.availability().ok:
        yield command
        return
    with sandbox.contained(sandbox.Sandbox(writable=(scratch,)), command) as sandboxed:
        yield sandboxed


def _read_outcome(path: Path) -> tuple[dict, str | None]:
    crashed = "Trying the class stopped the process before it reported (os._exit, a crash?)."
    content = read_regular(path, MAX_OBSERVATION_BYTES)  # not through a link or a FIFO the class left
    if content is None:
        return {}, crashed
    try:
        outcome = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return {}, crashed
    if not isinstance(outcome, dict) or not ({"observations", "definition_error"} & set(outcome)):
        return {}, crashed
    return outcome, None


def judge(observations, exercise: str, inputs: dict) -> Report:
    """Judge what the probe observed. Malformed observations (learner-controlled) earn 0 points;
    the judge failing on well-formed ones is a checker bug and raises."""
    from checker.judge.layer_judge import judge_layer_observations

    spec = get_exercise(exercise)
    untrusted = (
        "What the class reported does not fit what the grader asked it to do "
        "(weights it did not set, or malformed data), so it earns no points."
    )
    if not well_shaped(observations, exercise) or not weights_as_set(observations, exercise, inputs):
        return whole_exercise_failed(exercise, spec, untrusted)
    return judge_layer_observations(observations, exercise, inputs)


def well_shaped(observations, exercise: str) -> bool:
    """Observations with the types and nesting `layer_observe` writes, numbers where the judge computes.

    >>> well_shaped({"exercise": "simple_dense", "subject": {"kind": "none"}, "failure": None}, "simple_dense")
    True
    >>> well_shaped({"exercise": "simple_dense", "subject": {"kind": "layer_class"}, "calls": "x"}, "simple_dense")
    False
    """
    try:
        return (
            isinstance(observations, dict)
            and observations.get("exercise") == exercise
            and isinstance(observations.get("subject"), dict)
            and isinstance(observations["subject"].get("kind"), str)
            and isinstance(observations["subject"].get("name", ""), (str, type(None)))
            and _error_or_none(observations.get("failure"))
            and all(_weight_shaped(w) for w in _list(observations, "weights"))
            and all(_call_shaped(c) for c in _list(observations, "calls"))
            and all(
                _outcome_shaped(observations.get(k)) for k in ("config", "round_trip") if k in observations
            )
            and _in_model_shaped(observations.get("in_model", {"output_shape": None, "error": None}))
        )
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError):
        return False


def _list(observations: dict, key: str) -> list:
    value = observations.get(key, [])
    if not isinstance(value, list):
        raise TypeError(key)
    return value


def _error_or_none(error) -> bool:
    return error is None or (
        isinstance(error, dict)
        and isinstance(error.get("method"), str)
        and isinstance(error.get("error"), str)
        and isinstance(error.get("line"), (str, type(None)))
    )


def _numbers(value) -> bool:
    array = np.asarray(value, dtype=float)  # raises for ragged or non-numeric data
    return array.dtype == float


def _weight_shaped(weight) -> bool:
    return (
        isinstance(weight, dict)
        and isinstance(weight.get("attribute"), (str, type(None)))
        and isinstance(weight.get("path"), str)
        and isinstance(weight.get("shape"), list)
        and all(isinstance(d, int) for d in weight["shape"])
        and isinstance(weight.get("trainable"), bool)
        and _numbers(weight.get("initial"))
        and _numbers(weight.get("value"))
    )


def _call_shaped(call) -> bool:
    return (
        isinstance(call, dict)
        and _error_or_none(call.get("error"))
        and (call.get("output") is None or _numbers(call["output"]))
        and isinstance(call.get("returned", ""), str)
    )


def _outcome_shaped(outcome) -> bool:
    return isinstance(outcome, dict) and "value" in outcome and _error_or_none(outcome.get("error"))


def _in_model_shaped(used) -> bool:
    shape = used.get("output_shape") if isinstance(used, dict) else 0
    return (
        isinstance(used, dict)
        and _error_or_none(used.get("error"))
        and (
            shape is None
            or (isinstance(shape, list) and all(isinstance(d, (int, type(None))) for d in shape))
        )
    )


def weights_as_set(observations: dict, exercise: str, inputs: dict) -> bool:
    """Each reported weight value is the one observe_layer_class set from the grader's seed.

    A probe that reports other values (e.g. all-zero weights, so that any output "matches"
    x·w + b) is not believed.
    """
    from checker.observe.layer_setup import SETUPS, known_weight_values

    if not SETUPS[exercise]["set_weights"] or "weights" not in observations:
        return True
    try:
        weights = observations["weights"]
        expected = known_weight_values(inputs["weight_seed"], [w["shape"] for w in weights])
        return all(
            np.array_equal(np.asarray(w["value"], dtype=float), value) for w, value in zip(weights, expected)
        )
    except (KeyError, TypeError, ValueError):
        return False


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
