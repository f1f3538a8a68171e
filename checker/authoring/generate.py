"""How learner notebooks are made from the solution notebooks (`python -m checker generate`).

solutions/<stem>.ipynb are nbgrader source notebooks (solutions between
`### BEGIN SOLUTION` / `### END SOLUTION`, nbgrader cell metadata). notebooks/<stem>.ipynb
are the learner copies, made by running nbgrader's own preprocessors, in the order
`nbgrader generate_assignment` runs them, on each source notebook. Only the two steps that
need nbgrader's gradebook or a running kernel are left out (see LEFT_OUT). The learner copy
keeps nbgrader's cell metadata and checksums, so an instructor can still collect and grade
it with nbgrader; the classroom release is made by `nbgrader generate_assignment` itself.

The output is deterministic: the same solutions give byte-identical learner notebooks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from checker.paths import notebook_paths

# nbgrader's generate_assignment steps that are not used here, and why.
LEFT_OUT = {
    "SaveCells": "records cells in nbgrader's gradebook database; learner copies need none",
    "InstantiateTests": "expands AUTOTEST directives by running a kernel; the course writes "
    "its test cells out in full",
}
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
UNSOLVED_MARKERS = ("raise NotImplementedError", "YOUR CODE HERE")
FIX_HINT = "run `python -m checker generate` and commit notebooks/"


# ---------------------------------------------------------------- generation


def nbgrader_pipeline() -> list:
    """nbgrader's generate_assignment preprocessors, in its order, minus LEFT_OUT."""
    from nbgrader.converters.generate_assignment import GenerateAssignment

    steps = GenerateAssignment.class_traits()["preprocessors"].default()
    return [step for step in steps if step.__name__ not in LEFT_OUT]


def learner_notebook(solution_path: Path):
    """The learner version of one solution notebook, as a NotebookNode."""
    import nbformat

    notebook = nbformat.read(str(solution_path), as_version=4)
    resources = {
        "metadata": {"name": solution_path.stem, "path": str(solution_path.parent)},
        "nbgrader": {"notebook": solution_path.stem},
    }
    for step in nbgrader_pipeline():
        notebook, resources = step().preprocess(notebook, resources)
    _normalize(notebook, solution_path.stem)
    return notebook


def _normalize(notebook, stem: str) -> None:
    """Fixed kernelspec, no machine-specific metadata, stable cell ids."""
    language = notebook.metadata.get("language_info", {}).get("name", "python")
    notebook.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": language}}
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    used = set()
    for index, cell in enumerate(notebook.cells):
        if not cell.get("id") or cell["id"] in used:
            cell["id"] = hashlib.sha1(f"{stem}:{index}".encode()).hexdigest()[:8]
        used.add(cell["id"])


def notebook_text(notebook) -> str:
    """nbformat's own JSON layout (indent 1, sorted keys), ending with a newline."""
    import nbformat

    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


@dataclass
class Generation:
    """What `generate` did or, with check=True, would do."""

    written: list[Path] = field(default_factory=list)  # new or changed learner notebooks
    unchanged: list[Path] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)  # in notebooks/ with no solution
    errors: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return not (self.written or self.orphans or self.errors)


def generate(solutions_dir: Path, notebooks_dir: Path, check: bool = False) -> Generation:
    """Write notebooks/<stem>.ipynb for every solution; with `check`, only compare."""
    result = Generation()
    solutions = notebook_paths(solutions_dir)
    for solution in solutions:
        target = Path(notebooks_dir) / solution.name
        try:
            text = notebook_text(learner_notebook(solution))
        except Exception as exc:  # nbgrader raises on malformed cells: report, go on
            result.errors.append((solution, f"{type(exc).__name__}: {exc}"))
            continue
        if target.exists() and target.read_text(encoding="utf-8") == text:
            result.unchanged.append(target)
            continue
        result.written.append(target)
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    stems = {s.stem for s in solutions}
    result.orphans = [p for p in notebook_paths(notebooks_dir) if p.stem not in stems]
    return result


def first_unsolved_cell(notebook) -> int | None:
    """Index of the first code cell a learner must fill in (nbgrader's stub), or None."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and any(m in cell.source for m in UNSOLVED_MARKERS):
            return index
    return None
