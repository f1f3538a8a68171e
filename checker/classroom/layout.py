"""Where things are in an nbgrader course folder (nbgrader's default layout)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "nbgrader_config.py"
GRADEBOOK_FILE = "gradebook.db"
SCORES_FILE = "class_scores.csv"


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str

    def __str__(self) -> str:
        return f"{self.student}/{self.assignment}"


@dataclass(frozen=True)
class Course:
    """An nbgrader course folder: nbgrader_config.py, gradebook.db, source/, submitted/, ..."""

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def gradebook(self) -> Path:
        return self.root / GRADEBOOK_FILE

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.gradebook}"

    @property
    def scores_csv(self) -> Path:
        return self.root / SCORES_FILE

    def folder(self, step: str, student: str | None = None, assignment: str | None = None) -> Path:
        """nbgrader's {step}/{student}/{assignment}; source/ and release/ have no student level."""
        path = self.root / step
        if student is not None:
            path = path / student
        return path / assignment if assignment is not None else path

    def assignments(self) -> list[str]:
        """Assignments with a source folder, in course order."""
        source = self.folder("source")
        return sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []

    def submissions(self) -> list[Submission]:
        """Every submitted/<student>/<assignment>/ holding a notebook, for a known assignment."""
        known = set(self.assignments())
        found = []
        submitted = self.folder("submitted")
        for student in sorted(p for p in submitted.glob("*") if p.is_dir()):
            for assignment in sorted(p for p in student.glob("*") if p.is_dir()):
                if assignment.name in known and any(assignment.glob("*.ipynb")):
                    found.append(Submission(student.name, assignment.name))
        return found

    def is_course(self) -> bool:
        return self.config_file.is_file() and self.gradebook.is_file()
