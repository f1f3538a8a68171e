"""Execute course notebooks headless, one fresh kernel each, and collect what they recorded.

Each notebook runs on the CPU in its own temporary folder with CHECKER_RESULTS_DIR set, so
the autograded cells (`checker.autograde.grade`) write <exercise>.json and
`checker.course.report_metric` writes metrics.json there. A cell error, a timeout or a
dead kernel ends that notebook's run with a readable reason; the next notebook still runs.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from checker.paths import RESULTS_DIR_ENV, repository_root

DEFAULT_CELL_TIMEOUT = 600  # seconds per cell
NBGRADER_CELL_TIMEOUT = 30  # nbgrader's ExecutePreprocessor.timeout default, per cell
KERNEL_LOG_NOISE = (
    "Kernel is running over TCP without encryption",
    "All log messages before absl::InitializeLog()",
    "cudart_stub.cc",
)


@dataclass
class ExerciseResult:
    exercise: str
    recorded: bool
    passed: bool = False
    score: float = 0.0
    max_score: float = 0.0
    first_fix: str = ""

    @property
    def summary(self) -> str:
        if not self.recorded:
            return (
                f"{self.exercise}: its autograded cell recorded no result (did the notebook stop before it?)"
            )
        return f"{self.exercise}: {self.score:g}/{self.max_score:g} points: {self.first_fix}"


@dataclass
class NotebookRun:
    path: Path
    seconds: float = 0.0
    problem: str | None = None  # why the run stopped early, readable
    exercises: list[ExerciseResult] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    executed_path: Path | None = None
    slowest_cell: tuple[int, float] | None = None  # (1-based cell number, seconds)

    @property
    def failed_exercises(self) -> list[ExerciseResult]:
        return [e for e in self.exercises if not e.passed]

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.failed_exercises


def graded_exercises(notebook) -> list[str]:
    """The exercise ids of the notebook's autograded cells (nbgrader grade cells)."""
    ids = []
    for cell in notebook.cells:
        info = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and info.get("grade") and info.get("grade_id"):
            ids.append(info["grade_id"])
    return ids


def kernel_environment(results_dir: Path, fast: bool) -> dict:
    """The parent's environment, on the CPU, quiet, recording into `results_dir`."""
    env = dict(os.environ)
    env.update({"CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3", RESULTS_DIR_ENV: str(results_dir)})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(repository_root()), env.get("PYTHONPATH", "")) if p)
    if fast:
        env["CHECKER_FAST"] = "1"
    else:
        env.pop("CHECKER_FAST", None)
    return env


def run_notebook(
    path: Path,
    out_dir: Path | None,
    timeout: float = DEFAULT_CELL_TIMEOUT,
    fast: bool = False,
    progress: bool = True,
    stop_after: int | None = None,
    extra_cells: list[str] | None = None,
) -> NotebookRun:
    """Execute one notebook; never raises for what happens inside the notebook.

    `stop_after`: execute only the cells before this index (used to run a learner notebook
    up to its first unsolved exercise). `extra_cells`: code run after the notebook's own
    cells, in the same kernel (used by tests to probe what the notebook defined).
    """
    import nbformat

    run = NotebookRun(path=Path(path))
    notebook = nbformat.read(str(path), as_version=4)
    expected = graded_exercises(notebook)
    if stop_after is not None:
        notebook.cells = notebook.cells[:stop_after]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in extra_cells or []]
    with tempfile.TemporaryDirectory(prefix=f"checker-{run.path.stem}-") as scratch:
        workdir, results_dir = Path(scratch) / "work", Path(scratch) / "results"
        workdir.mkdir()
        results_dir.mkdir()
        started = time.perf_counter()
        run.problem, run.slowest_cell = _execute(
            notebook,
            workdir,
            results_dir,
            timeout,
            fast,
            progress,
            run.path.stem,
            Path(scratch) / "kernel.log",
        )
        run.seconds = time.perf_counter() - started
        if stop_after is None:
            run.exercises = [_exercise_result(results_dir, e) for e in expected]
        run.metrics = _read_metrics(results_dir)
    if out_dir is not None:
        run.executed_path = Path(out_dir) / run.path.name
        run.executed_path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, str(run.executed_path))
    return run


def _execute(
    notebook,
    workdir: Path,
    results_dir: Path,
    timeout: float,
    fast: bool,
    progress: bool,
    label: str,
    kernel_log: Path,
) -> tuple[str | None, tuple[int, float] | None]:
    """Run the cells in place; returns (problem or None, slowest cell).

    The kernel's own stderr (TensorFlow's start-up lines, jupyter's warnings) goes to
    `kernel_log`, which is quoted only when the kernel dies.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from tqdm.auto import tqdm

    code_cells = sum(1 for c in notebook.cells if c.cell_type == "code")
    bar = tqdm(
        total=code_cells,
        desc=label,
        unit="cell",
        file=sys.stderr,
        disable=not progress,
        leave=True,
        dynamic_ncols=True,
    )
    state = {"index": None, "started": 0.0, "slowest": None}

    def on_cell_start(cell, cell_index):
        state["index"], state["started"] = cell_index, time.perf_counter()

    def on_cell_executed(cell, cell_index, execute_reply):
        seconds = time.perf_counter() - state["started"]
        if state["slowest"] is None or seconds > state["slowest"][1]:
            state["slowest"] = (cell_index + 1, seconds)
        bar.update(1)

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    problem = None
    try:
        with open(kernel_log, "w") as log:
            client.execute(env=kernel_environment(results_dir, fast), stdout=log, stderr=log)
    except CellTimeoutError:
        problem = (
            f"timeout: {_where(notebook, state['index'])} ran longer than {timeout:g} s "
            "(--timeout sets the limit per cell)"
        )
    except DeadKernelError as exc:
        problem = (
            f"the kernel died in {_where(notebook, state['index'])} "
            f"(e.g. out of memory, or a crash in native code): {_last_line(str(exc))}"
            f"{_log_tail(kernel_log)}"
        )
    except CellExecutionError as exc:
        problem = f"error in {_where(notebook, state['index'])}: {exc.ename}: {_last_line(exc.evalue)}"
    except Exception as exc:  # kernel did not start, and the like
        problem = f"could not run the notebook: {type(exc).__name__}: {_last_line(str(exc))}"
    finally:
        bar.close()
    return problem, state["slowest"]


def _where(notebook, index: int | None) -> str:
    if index is None:
        return "the notebook"
    first_line = next((line for line in notebook.cells[index].source.splitlines() if line.strip()), "")
    return f"cell {index + 1} ({first_line.strip()[:60]!r})"


def _log_tail(kernel_log: Path, lines: int = 5) -> str:
    try:
        text = kernel_log.read_text(errors="replace")
    except OSError:
        return ""
    tail = [
        line
        for line in text.strip().splitlines()
        if line.strip() and not any(noise in line for noise in KERNEL_LOG_NOISE)
    ][-lines:]
    return ("\n    the kernel's last words:\n      " + "\n      ".join(tail)) if tail else ""


def _last_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else str(text)


def _exercise_result(results_dir: Path, exercise: str) -> ExerciseResult:
    from checker.report import Report

    try:
        data = json.loads((results_dir / f"{exercise}.json").read_text())
        report = Report.from_dict(data["report"])
    except (FileNotFoundError, json.JSONDecodeError, KeyError, TypeError):
        return ExerciseResult(exercise, recorded=False)
    return ExerciseResult(
        exercise,
        recorded=True,
        passed=report.passed,
        score=report.score,
        max_score=report.max_score,
        first_fix=_first_fix(report),
    )


def _first_fix(report) -> str:
    for check in report.checks:
        if not check.passed:
            message = check.messages[0] if check.messages else "no points"
            return f"{check.name}: {message}"
    return ""


def _read_metrics(results_dir: Path) -> dict:
    from checker.course.helpers import read_metrics

    return read_metrics(results_dir)


# ---------------------------------------------------------------- the table


def metric_summaries(run: NotebookRun) -> list[str]:
    """Every metric the notebook reported, in order, e.g. 'accuracy=0.93 vs chance 0.10'.

    A demonstration (a model there to fall short) says so: '... vs chance 0.50 (demonstration)'.
    """
    from checker.course.helpers import _format_number

    summaries = []
    for name, entry in run.metrics.items():
        value, chance = entry.get("value"), entry.get("chance")
        try:
            summary = f"{name}={_format_number(float(value))} vs chance {_format_number(float(chance))}"
        except (TypeError, ValueError):
            summary = f"{name}={value}"
        summaries.append(summary + (" (demonstration)" if entry.get("demonstration") else ""))
    return summaries


def final_metric(run: NotebookRun) -> str:
    """The last metric the notebook reported, e.g. 'accuracy=0.93 vs chance 0.10'."""
    summaries = metric_summaries(run)
    return summaries[-1] if summaries else "-"


def beats_chance(entry: dict) -> bool:
    value, chance = float(entry["value"]), float(entry["chance"])
    return value < chance if entry.get("lower_is_better") else value > chance


def chance_notes(runs: list[NotebookRun]) -> list[str]:
    """Metrics that ended no better than chance: the notebook's model did not learn.

    A demonstration's metric is left out: its model is there to fall short.
    """
    notes = []
    for run in runs:
        for name, entry in run.metrics.items():
            if entry.get("demonstration"):
                continue
            try:
                if not beats_chance(entry):
                    notes.append(
                        f"{run.path.name}: validation {name} {entry['value']:.3g} is no "
                        f"better than chance ({entry['chance']:.3g})"
                    )
            except (KeyError, TypeError, ValueError):
                continue
    return notes


def format_table(runs: list[NotebookRun]) -> str:
    """One row per notebook, and one more per further metric it reported."""
    rows = [("notebook", "exercises passed", "validation metrics", "seconds", "slowest cell")]
    for run in runs:
        passed = sum(1 for e in run.exercises if e.passed)
        exercises = f"{passed}/{len(run.exercises)}" if run.exercises else "-"
        if run.problem:
            exercises += " (stopped)"
        slowest = f"#{run.slowest_cell[0]}: {run.slowest_cell[1]:.1f} s" if run.slowest_cell else "-"
        metrics = metric_summaries(run) or ["-"]
        rows.append((run.path.stem, exercises, metrics[0], f"{run.seconds:.1f}", slowest))
        rows.extend(("", "", metric, "", "") for metric in metrics[1:])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    total = sum(run.seconds for run in runs)
    lines.append(f"total: {total:.1f} s for {len(runs)} notebook(s)")
    return "\n".join(lines)


def as_json(runs: list[NotebookRun]) -> dict:
    """What the runs measured, for a maintainer's CI: every metric with its chance level.

    >>> as_json([])["notebooks"]
    []
    """
    notebooks = []
    for run in runs:
        metrics = [
            {
                "name": name,
                "value": entry.get("value"),
                "chance": entry.get("chance"),
                "better": "lower" if entry.get("lower_is_better") else "higher",
                "beats_chance": _safe_beats_chance(entry),
                "demonstration": bool(entry.get("demonstration")),
            }
            for name, entry in run.metrics.items()
        ]
        exercises = [
            {
                "exercise": e.exercise,
                "recorded": e.recorded,
                "passed": e.passed,
                "score": e.score,
                "max_score": e.max_score,
            }
            for e in run.exercises
        ]
        notebooks.append(
            {
                "notebook": run.path.stem,
                "seconds": round(run.seconds, 1),
                "problem": run.problem,
                "exercises": exercises,
                "metrics": metrics,
            }
        )
    return {"notebooks": notebooks, "total_seconds": round(sum(r.seconds for r in runs), 1)}


def _safe_beats_chance(entry: dict) -> bool | None:
    try:
        return beats_chance(entry)
    except (KeyError, TypeError, ValueError):
        return None


def failure_messages(runs: list[NotebookRun]) -> list[str]:
    messages = []
    for run in runs:
        if run.problem:
            messages.append(f"{run.path.name}: {run.problem}")
        for exercise in run.failed_exercises:
            if run.problem and not exercise.recorded:
                continue  # the notebook stopped before this exercise: said above
            messages.append(f"{run.path.name}: exercise {exercise.summary}")
    return messages


def slow_cell_notes(runs: list[NotebookRun]) -> list[str]:
    """Cells slower than nbgrader's default per-cell timeout would fail `nbgrader autograde`."""
    return [
        f"{run.path.name}: cell {run.slowest_cell[0]} took {run.slowest_cell[1]:.0f} s; "
        f"nbgrader autograde stops cells after {NBGRADER_CELL_TIMEOUT} s unless "
        "ExecutePreprocessor.timeout is raised in nbgrader_config.py"
        for run in runs
        if run.slowest_cell and run.slowest_cell[1] > NBGRADER_CELL_TIMEOUT
    ]
