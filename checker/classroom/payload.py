"""What a grading task carries: the parts of the course it needs and one submission, as bytes.

Workers share no files with the head: a task gets the course's nbgrader_config.py, a
consistent snapshot of gradebook.db (SQLite's backup, compressed), the assignment's source/
files except its notebooks (nbgrader needs the folder; the solutions stay home) and the
submitted files, and rebuilds a private course from them in a folder of its own.
"""

from __future__ import annotations

import sqlite3
import tempfile
import zlib
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from checker.classroom.defuse import read_regular
from checker.classroom.layout import CONFIG_FILE, GRADEBOOK_FILE, Course, Submission

MAX_NOTEBOOK_BYTES = 1024**3  # a graded notebook read back: far above a real one (outputs are capped)


@dataclass(frozen=True)
class CourseFiles:
    """One assignment's share of the course."""

    assignment: str
    config: bytes
    gradebook: bytes  # zlib-compressed SQLite file
    source: dict[str, bytes]  # path under source/<assignment>/ -> content (no notebooks)


@dataclass(frozen=True)
class SubmissionFiles:
    submission: Submission
    files: dict[str, bytes]  # path under submitted/<student>/<assignment>/ -> content


def pack_course(course: Course, assignment: str, gradebook: bytes) -> CourseFiles:
    """The config and source files of `assignment`, with a gradebook snapshot (`gradebook_bytes`).

    >>> files = pack_course(course, "01_small_models", gradebook_bytes(course))  # doctest: +SKIP
    """
    source = course.folder("source", assignment=assignment)
    return CourseFiles(
        assignment,
        course.config_file.read_bytes(),
        gradebook,
        _files(source, skip_notebooks=True),
    )


def pack_submission(course: Course, submission: Submission) -> SubmissionFiles:
    folder = course.folder("submitted", submission.student, submission.assignment)
    return SubmissionFiles(submission, _files(folder, skip_notebooks=False))


def gradebook_bytes(course: Course) -> bytes:
    """A consistent copy of the gradebook (SQLite's backup API, safe while it is written), compressed."""
    with tempfile.TemporaryDirectory(prefix="checker-gradebook-") as scratch:
        copy = Path(scratch) / GRADEBOOK_FILE
        with closing(sqlite3.connect(course.gradebook)) as live, closing(sqlite3.connect(copy)) as target:
            live.backup(target)
        return zlib.compress(copy.read_bytes(), 6)


def unpack(course_files: CourseFiles, submission_files: SubmissionFiles, root: Path) -> Course:
    """Write a private course into the empty (or new) folder `root`: config, gradebook, source, the submission."""
    course = Course(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / CONFIG_FILE).write_bytes(course_files.config)
    course.gradebook.write_bytes(zlib.decompress(course_files.gradebook))
    source = course.folder("source", assignment=course_files.assignment)
    source.mkdir(parents=True)
    _write(source, course_files.source)
    submission = submission_files.submission
    submitted = course.folder("submitted", submission.student, submission.assignment)
    submitted.mkdir(parents=True)
    _write(submitted, submission_files.files)
    return course


def notebook_bytes(folder: Path) -> dict[str, bytes]:
    """The notebooks directly in `folder` (what nbgrader wrote to autograded/), by file name.

    Only regular files: never through a link, never waiting on a FIFO (see defuse.py).
    """
    if not folder.is_dir():
        return {}
    found = {p.name: read_regular(p, MAX_NOTEBOOK_BYTES) for p in sorted(folder.glob("*.ipynb"))}
    return {name: content for name, content in found.items() if content is not None}


def _files(folder: Path, skip_notebooks: bool) -> dict[str, bytes]:
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or path.is_symlink() or ".ipynb_checkpoints" in relative.parts:
            continue
        if skip_notebooks and path.suffix == ".ipynb":
            continue
        found[relative.as_posix()] = path.read_bytes()
    return found


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        target = (folder / name).resolve()
        if not target.is_relative_to(folder.resolve()):
            raise ValueError(f"{name} would be written outside {folder}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
