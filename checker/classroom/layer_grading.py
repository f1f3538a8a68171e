"""Grade a custom-layer exercise from outside the learner's kernel.

    python -m checker.classroom.layer_grading PROGRAM EXERCISE [PROGRAM EXERCISE ...] [PROBE_TIMEOUT]

prints each report as JSON, one line per PROGRAM, in order.

This process never runs learner code. It chooses the inputs (batches and the weight values
to set, from a seed derived from the program text, so a regrade gives the same verdict),
runs `layer_probe` on PROGRAM in a throw-away process with a time limit, and judges the raw
observations with `checker.judge.layer_judge.judge_layer_observations`. The classes of several
test cells of one notebook are tried in one probe process (one TensorFlow import, not one each).

The probe runs in the same bubblewrap sandbox as learners' kernels (sandbox.py) wherever bwrap
runs here: it sees the kernel-side copy of the checker (no judge/), writes only its scratch
folder (at most PROBE_DISK_BYTES, as a kernel's disk guard counts them), has no network, and
leaves no process behind.

What the probe reports is learner-controlled, so it is checked before it is judged: the
weights it says it holds must be exactly the values this process asked it to set. A probe
that crashes, times out, writes nothing or writes nonsense earns 0 points.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

import numpy as np

from checker.classroom import pid_namespace
from checker.classroom.clean_grading import PROBE_TIMEOUT, run_in_own_session
from checker.classroom.defuse import defuse, read_regular
from checker.classroom.disk_guard import DiskGuard
from checker.judge.exercises import get_exercise
from checker.judge.feedback import whole_exercise_failed
from checker.report import Report

MAX_OBSERVATION_BYTES = 5_000_000
PROBE_DISK_BYTES = 100_000_000  # what the probe may write to its scratch folder (it needs a few kB)


def main(argv: list[str]) -> int:
    """Exit status 0 all passed, 1 not all passed, 3 the checker failed ({"error": "checker"} printed)."""
    from checker.commands.grade import checker_error

    pairs, timeout = (argv[:-1], argv[-1]) if len(argv) % 2 else (argv, PROBE_TIMEOUT)
    jobs = list(zip(pairs[::2], pairs[1::2]))
    try:
        programs = [(Path(path).read_text(encoding="utf-8"), exercise) for path, exercise in jobs]
        reports = grade_layer_programs(programs, float(timeout))
    except Exception as exc:  # noqa: BLE001 - a checker bug: no verdict, not the learner's 0
        return checker_error(", ".join(exercise for _, exercise in jobs), exc)
    for report in reports:
        print(json.dumps(report.to_dict()))
    return 0 if all(report.passed for report in reports) else 1


def grade_layer_program(program: str, exercise: str, timeout: float = PROBE_TIMEOUT) -> Report:
    """The report for one learner class: `grade_layer_programs` with one program."""
    return grade_layer_programs([(program, exercise)], timeout)[0]


def grade_layer_programs(programs: list[tuple[str, str]], timeout: float = PROBE_TIMEOUT) -> list[Report]:
    """A report for each (program, exercise) of one notebook, their classes tried in one probe.

    One process imports TensorFlow once for all of them. A class whose trial that process did
    not finish (an earlier class crashed it, looped, or ended it) is tried again alone, with a
    time limit of its own, so one class never costs another its points.
    """
    from checker.observe.layer_setup import make_inputs

    inputs = [make_inputs(exercise, seed=program_seed(program, exercise)) for program, exercise in programs]
    outcomes = run_probes(programs, inputs, timeout)
    if len(programs) > 1:
        outcomes = [
            run_probes([job], [given], timeout)[0] if problem else (outcome, problem)
            for job, given, (outcome, problem) in zip(programs, inputs, outcomes)
        ]
    return [
        _report(outcome, problem, exercise, given)
        for (_, exercise), given, (outcome, problem) in zip(programs, inputs, outcomes)
    ]


def _report(outcome: dict, problem: str | None, exercise: str, inputs: dict) -> Report:
    spec = get_exercise(exercise)
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


def run_probes(
    programs: list[tuple[str, str]], inputs: list[dict], timeout: float
) -> list[tuple[dict, str | None]]:
    """For each program, (what the probe wrote, None) or ({}, why there is nothing to judge)."""
    from checker.classroom.config import subprocess_environment

    # A probe process that outlives its sandbox by a moment must not turn the cleanup into a checker error.
    with tempfile.TemporaryDirectory(prefix="checker-probe-", ignore_cleanup_errors=True) as scratch:
        jobs, observed = [], []
        for number, ((program, exercise), given) in enumerate(zip(programs, inputs)):
            files = [Path(scratch) / f"{name}-{number}{suffix}" for name, suffix in FILES]
            files[0].write_text(program, encoding="utf-8")
            files[1].write_text(json.dumps(given), encoding="utf-8")
            jobs.append([str(files[0]), exercise, get_exercise(exercise)["builder"], *map(str, files[1:])])
            observed.append(files[2])
        manifest = Path(scratch) / "jobs.json"
        manifest.write_text(json.dumps(jobs), encoding="utf-8")
        command = [sys.executable, "-P", "-m", "checker.observe.layer_probe", str(manifest)]
        with _sandboxed(command, Path(scratch)) as sandboxed, _disk_limited(Path(scratch)) as guard:
            finished = run_in_own_session(
                sandboxed,
                timeout,
                cwd=scratch,
                env=subprocess_environment(),
                capture=False,
                started=guard.probe_started,
            )
        outcomes = [_read_outcome(path) for path in observed]
        defuse(Path(scratch))  # before tempfile's rmtree: no link to follow, no chain too deep for it
    stopped = _why_stopped(guard.exceeded, finished is None, timeout)
    if stopped:
        return [(outcome, None) if not problem else ({}, stopped) for outcome, problem in outcomes]
    return outcomes


def _why_stopped(disk: str | None, out_of_time: bool, timeout: float) -> str | None:
    if disk:
        return f"Trying the class wrote {disk} to disk and was stopped."
    if out_of_time:
        return f"Trying the class took longer than {timeout:g} s and was stopped (an endless loop?)."
    return None


class _ProbeDiskGuard(DiskGuard):
    """The disk guard of one probe: past its limit it ends the probe's whole session."""

    def __init__(self, scratch: Path):
        super().__init__([scratch], PROBE_DISK_BYTES, self._stop_probe)
        self._session: int | None = None
        self._namespace: str | None = None
        self.watch_processes(self._probe_pids)

    def probe_started(self, pid: int) -> None:
        self._session = pid

    def _probe_pids(self) -> list[int]:
        if self._session is not None and self._namespace is None:
            self._namespace = pid_namespace.of_first_child(self._session, wait_seconds=0)
        return pid_namespace.members(self._namespace) if self._namespace else []

    def _stop_probe(self, problem: str) -> None:
        if self._session is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._session, signal.SIGKILL)


@contextlib.contextmanager
def _disk_limited(scratch: Path):
    """Learner code runs in the probe too: what it writes to its scratch folder is limited as a
    kernel's is (disk_guard), though the probe needs next to nothing there."""
    guard = _ProbeDiskGuard(scratch).start()
    try:
        yield guard
    finally:
        guard.stop()


FILES = (("program", ".py"), ("inputs", ".json"), ("observed", ".json"))


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
