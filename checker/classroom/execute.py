"""GuardedExecute: nbgrader's Execute step, with the kernel set up for clean verdicts.

What it adds to nbgrader's `Execute` (whose timeout and interrupt-on-timeout it keeps):

- Before the kernel starts, it creates a private folder for this notebook and tells the kernel
  to record there (CHECKER_RESULTS_DIR): each autograded test cell writes `<exercise>.json`.
  Right before a checker test cell runs, any file of that name is deleted; right after, the
  file is read into nbgrader's memory and deleted. So the evidence `CleanVerdicts` grades
  was written while that very cell ran, and later cells (or another student's code running
  at the same time) cannot change it. The folder is removed when execution ends.
- The kernel runs in a bubblewrap sandbox (sandbox.py): it sees the machine read-only, not the
  course, the repository or the checker's judge; it writes only its notebook's folder and the
  evidence folder; no network; no process outlives it; a memory limit. Where bwrap cannot run,
  `preprocess` raises SandboxUnavailable unless `GuardedExecute.sandbox = False`.
- The kernel runs in fast mode (CHECKER_FAST=1: fewer epochs in training cells), on the CPU,
  with TensorFlow's logging quiet and the checker importable.
- A kernel that dies (os._exit, a crash, out of memory) ends the execution but not the
  grading: the cell that was running and every cell after it get an error output saying so,
  which scores 0 in nbgrader, and the cells that ran before keep their evidence.
- A kernel that is stuck ends the execution too. nbgrader interrupts a cell that runs out of
  time and goes on; when the kernel ignores the interrupt (a loop that catches
  KeyboardInterrupt), nbclient gives up waiting for its output (which nbgrader would let end
  the whole notebook), or the next cell times out without ever starting. That cell gets a
  timeout error and the cells after it are not run (error output, 0 points), instead of each
  waiting out its own timeout; the cells before keep their evidence.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode, default

from checker.classroom import sandbox as sandboxing
from checker.classroom.evidence import MAX_EVIDENCE_BYTES, checker_exercise
from checker.paths import repository_root

EVIDENCE_KEY = "checker_evidence"  # in nbconvert's resources: {exercise: text the test cell wrote}
NOT_RUN = "NotRun"  # ename of the error output on cells a dead or stuck kernel did not run


class GuardedExecute(Execute):
    """nbgrader's Execute, recording test-cell evidence into a private folder per notebook."""

    fast = Bool(
        True,
        help="Run the kernel with CHECKER_FAST=1 (training cells use a few "
        "epochs; grading does not depend on training).",
    ).tag(config=True)

    sandbox = Bool(
        help="Run each learner's kernel in the bubblewrap sandbox (default). False runs learners' "
        "code with your own access to the course, its solutions and the checker: a learner can then "
        "read the answers or change grades.",
    ).tag(config=True)

    memory_limit = Integer(
        sandboxing.DEFAULT_MEMORY_LIMIT,
        allow_none=True,
        help="Bytes of data memory (RLIMIT_DATA) a sandboxed kernel may use; None: no limit.",
    ).tag(config=True)

    hidden_folders = List(
        Unicode(),
        help="More folders a sandboxed kernel must not see (the course, the repository and the "
        "checker package are always hidden), e.g. where you keep other solutions.",
    ).tag(config=True)

    @default("sandbox")
    def _sandbox_default(self) -> bool:
        return os.environ.get(sandboxing.SWITCH_ENV, "").lower() != "off"

    def preprocess(self, nb, resources=None, km=None):
        resources = resources if resources is not None else {}
        resources[EVIDENCE_KEY] = {}
        if self.sandbox:
            sandboxing.require()
        else:
            self.log.warning(
                "Running the learner's code WITHOUT the sandbox (GuardedExecute.sandbox = False)."
            )
        self._evidence_dir = Path(tempfile.mkdtemp(prefix="checker-evidence-"))
        self._sandbox = self._learner_sandbox(resources) if self.sandbox else None
        self._running_cell = None
        self._kernel_stuck = False
        try:
            with _environment(self._kernel_environment(self._evidence_dir)):
                return super().preprocess(nb, resources, km)
        except Exception as exc:  # nbclient raises DeadKernelError (or a RuntimeError) on death
            if not _is_dead_kernel(exc):
                raise
            self.log.warning(
                "The kernel died in cell %s; the cells from there on score 0.", (self._running_cell or 0) + 1
            )
            _mark_dead(nb, self._running_cell)
            return nb, resources
        finally:
            shutil.rmtree(self._evidence_dir, ignore_errors=True)

    def preprocess_cell(self, cell, resources, index):
        if self._kernel_stuck and cell.cell_type == "code":
            cell.outputs = [
                _error_output(
                    "Not run: the kernel was still busy with an earlier cell "
                    "that did not stop when nbgrader interrupted it."
                )
            ]
            return cell, resources
        self._running_cell = index
        try:
            cell, resources = self._run_cell(cell, resources, index)
            if _timed_out(cell) and cell.get("execution_count") is None:  # it never started
                self._stuck(index)
        except CellTimeoutError:  # no output after the interrupt either
            cell.outputs.append(
                _error_output(
                    "The cell ran out of time and did not stop when interrupted.", ename="CellTimeoutError"
                )
            )
            self._stuck(index)
        return cell, resources

    def _stuck(self, index: int) -> None:
        self._kernel_stuck = True
        self.log.warning(
            "The kernel is stuck in cell %s; the cells after it are not run and score 0.", index + 1
        )

    def _run_cell(self, cell, resources, index):
        """Execute; for a checker test cell, keep only what the cell itself wrote as evidence."""
        exercise = checker_exercise(cell)
        if exercise is None:
            return super().preprocess_cell(cell, resources, index)
        evidence = self._evidence_dir / f"{exercise}.json"
        evidence.unlink(missing_ok=True)
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            resources[EVIDENCE_KEY][exercise] = _take(evidence)

    def create_kernel_manager(self):
        if self._sandbox is None:
            return super().create_kernel_manager()
        self.kernel_manager_class = sandboxing.SandboxedKernelManager
        km = super().create_kernel_manager()
        km.sandbox = self._sandbox
        return km

    def _learner_sandbox(self, resources: dict) -> sandboxing.Sandbox:
        """Writes to the notebook's folder and the evidence folder; the course is hidden."""
        notebook_folder = Path(resources.get("metadata", {}).get("path") or os.getcwd()).resolve()
        course_root = self.config.CourseDirectory.get("root") or os.getcwd()
        db_url = resources.get("nbgrader", {}).get("db_url", "")
        gradebook_folder = (
            [Path(db_url.removeprefix("sqlite:///")).parent] if db_url.startswith("sqlite:///") else []
        )
        return sandboxing.Sandbox(
            writable=(notebook_folder, self._evidence_dir),
            hidden=(Path(course_root), *gradebook_folder, *map(Path, self.hidden_folders)),
            memory_limit=self.memory_limit or None,
        )

    def _kernel_environment(self, evidence_dir: Path) -> dict[str, str | None]:
        python_path = os.pathsep.join(
            p for p in (str(repository_root()), os.environ.get("PYTHONPATH", "")) if p
        )
        return {
            "CHECKER_RESULTS_DIR": str(evidence_dir),
            "CHECKER_FAST": "1" if self.fast else None,
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "CUDA_VISIBLE_DEVICES": "",
            "PYTHONPATH": python_path,
        }


def _take(path: Path) -> str | None:
    """The file's text, and the file gone; None when there is none (or it is not a plain file)."""
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_EVIDENCE_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _is_dead_kernel(exc: Exception) -> bool:
    return isinstance(exc, DeadKernelError) or "Kernel died" in str(exc)


def _timed_out(cell) -> bool:
    return any(
        o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError"
        for o in cell.get("outputs", [])
    )


def _mark_dead(nb, first_index: int | None) -> None:
    """An error output on the cell the kernel died in and on every code cell after it."""
    start = 0 if first_index is None else first_index
    for index, cell in enumerate(nb.cells[start:], start=start):
        if cell.cell_type == "code":
            cell.outputs = [
                _error_output(
                    "The kernel died while running this cell."
                    if index == start
                    else f"Not run: the kernel died in cell {start + 1}."
                )
            ]


def _error_output(reason: str, ename: str = NOT_RUN) -> NotebookNode:
    """An error output: nbgrader scores the cell 0, and evidence.did_not_complete quotes the reason."""
    return NotebookNode(output_type="error", ename=ename, evalue=reason, traceback=[f"{ename}: {reason}"])


@contextlib.contextmanager
def _environment(values: dict[str, str | None]):
    """Set (or, for None, remove) environment variables; the kernel inherits them at start."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
