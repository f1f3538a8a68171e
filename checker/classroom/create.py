"""`classroom init DIR`: a ready nbgrader course made from the course's solution notebooks.

DIR gets nbgrader_config.py, source/<stem>/<stem>.ipynb for every solutions/<stem>.ipynb (one
assignment per notebook, named by its stem), and then nbgrader's own generate_assignment
makes the gradebook (assignments, notebooks, locked cells and their checksums) and the
learner versions in release/<stem>/.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from checker.classroom.config import DEFAULT_CELL_TIMEOUT, config_text, load_config
from checker.classroom.layout import Course
from checker.classroom.nbgrader_run import run_converter
from checker.paths import notebook_paths


class CourseExists(Exception):
    pass


@dataclass
class Creation:
    course: Course
    released: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (assignment, reason)


def create_course(
    root: Path, solutions_dir: Path, timeout: int = DEFAULT_CELL_TIMEOUT, progress=None
) -> Creation:
    """Write the course and generate every assignment. Raises CourseExists, ValueError."""
    course = Course(Path(root).resolve())
    notebooks = notebook_paths(solutions_dir)
    if not notebooks:
        raise ValueError(f"{solutions_dir} has no solution notebooks to make assignments from.")
    _check_empty(course)
    course.root.mkdir(parents=True, exist_ok=True)
    course.config_file.write_text(config_text(timeout=timeout), encoding="utf-8")
    for notebook in notebooks:
        target = course.folder("source", assignment=notebook.stem) / notebook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target)
    return generate_assignments(course, [n.stem for n in notebooks], progress)


def generate_assignments(course: Course, assignments: list[str], progress=None) -> Creation:
    """nbgrader generate_assignment for each: gradebook entries and release/ versions."""
    config = load_config(course)
    creation = Creation(course)
    for assignment in assignments:
        outcome = run_converter("generate_assignment", config, assignment, force=True, create_assignment=True)
        if outcome.success:
            creation.released.append(assignment)
        else:
            creation.failed.append((assignment, outcome.last_error_line()))
        if progress:
            progress(assignment, outcome.success)
    return creation


def _check_empty(course: Course) -> None:
    if course.config_file.exists() or course.gradebook.exists():
        raise CourseExists(
            f"{course.root} is already an nbgrader course (it has "
            f"{course.config_file.name} or {course.gradebook.name})."
        )
    if course.root.exists() and any(course.root.iterdir()):
        raise CourseExists(f"{course.root} is not empty; choose a new folder for the course.")
