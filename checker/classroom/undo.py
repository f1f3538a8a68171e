"""Undo a class-grading run that was interrupted: the gradebook and autograded/ as they were before.

Taken before the head's first write: a consistent copy of gradebook.db (SQLite's backup API);
and, right before each submission is written, its earlier autograded/<student>/<assignment>/
folder is moved aside. `restore()` copies the gradebook back in place (SQLite's backup API
again, so the file is never half-written) and puts every moved folder back.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from checker.classroom.layout import Course, Submission


class RunUndo:
    """What this run changed in the course, and how to take it back.

    undo = RunUndo(course, scratch)   # before the first write
    undo.before_writing(submission)   # before each replay
    undo.restore()                    # on Ctrl-C
    """

    def __init__(self, course: Course, scratch: Path):
        self.course, self.scratch = course, scratch
        self.gradebook_copy = scratch / "gradebook-before-run.db"
        scratch.mkdir(parents=True, exist_ok=True)
        _backup(course.gradebook, self.gradebook_copy)
        self.written: list[Submission] = []

    def before_writing(self, submission: Submission) -> None:
        """Move the submission's earlier autograded folder aside (if any), to put back on undo."""
        earlier = self.course.folder("autograded", submission.student, submission.assignment)
        if earlier.exists():
            aside = self._aside(submission)
            aside.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(earlier), str(aside))
        self.written.append(submission)

    def restore(self) -> int:
        """Put the gradebook and autograded/ back as they were; how many submissions were undone."""
        _backup(self.gradebook_copy, self.course.gradebook)
        for submission in self.written:
            folder = self.course.folder("autograded", submission.student, submission.assignment)
            shutil.rmtree(folder, ignore_errors=True)
            aside = self._aside(submission)
            if aside.exists():
                shutil.move(str(aside), str(folder))
        return len(self.written)

    def _aside(self, submission: Submission) -> Path:
        return self.scratch / "autograded-before-run" / submission.student / submission.assignment


def _backup(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)
