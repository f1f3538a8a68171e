"""ReplayExecution: hand nbgrader a notebook that a worker already executed and verdicted.

`classroom autograde --jobs N` executes submissions in workers, each on a private copy of the
course (its own gradebook), so that no two processes write one SQLite file. The real
gradebook is then written by one process running nbgrader's own autograde on the real course
with this step in place of execution: nbgrader sanitizes the submission as usual, this step
swaps in the worker's executed notebook (after checking it has the same graded cells), and
nbgrader's SaveAutoGrades, late penalties and writer do the rest. The scores are therefore
the ones nbgrader computes from the same outputs.
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Unicode


class ReplayMismatch(Exception):
    pass


class ReplayExecution(NbGraderPreprocessor):
    """Replace the notebook by executed_directory/<student>/<assignment>/<notebook>.ipynb."""

    enabled = Bool(True).tag(config=True)
    executed_directory = Unicode("", help="Where the workers' executed notebooks are.").tag(config=True)

    def preprocess(self, nb, resources):
        import nbformat

        info = resources["nbgrader"]
        path = (
            Path(self.executed_directory) / info["student"] / info["assignment"] / f"{info['notebook']}.ipynb"
        )
        if not path.is_file():
            raise ReplayMismatch(f"No executed notebook at {path}: its worker did not finish it.")
        executed = nbformat.read(str(path), as_version=4)
        if graded_cells(executed) != graded_cells(nb):
            raise ReplayMismatch(f"{path} does not have the graded cells of the submission.")
        return executed, resources


def graded_cells(nb) -> list[tuple[str, str]]:
    """(grade_id, checksum) of every nbgrader cell, in order."""
    found = []
    for cell in nb.cells:
        info = cell.get("metadata", {}).get("nbgrader", {})
        if info.get("grade_id"):
            found.append((info["grade_id"], info.get("checksum", "")))
    return found
