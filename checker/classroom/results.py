"""After autograding: the class table (student x assignment) from the gradebook, its CSV, and
nbgrader's feedback HTML (feedback/<student>/<assignment>/<notebook>.html)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from checker.classroom.config import load_config
from checker.classroom.layout import Course
from checker.classroom.nbgrader_run import Outcome, run_converter


@dataclass
class ClassTable:
    assignments: list[str]
    max_scores: dict[str, float]
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # student -> assignment -> score

    def total(self, student: str) -> float:
        return sum(self.scores[student].values())

    @property
    def max_total(self) -> float:
        return sum(self.max_scores.values())


def class_table(course: Course) -> ClassTable:
    """Every submission's score as the gradebook has it (manual grades included)."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        assignments = sorted(gradebook.assignments, key=lambda a: a.name)
        table = ClassTable([a.name for a in assignments], {a.name: float(a.max_score) for a in assignments})
        for student in sorted(s.id for s in gradebook.students):
            table.scores[student] = {}
        for assignment in assignments:
            for submission in assignment.submissions:
                table.scores.setdefault(submission.student.id, {})[assignment.name] = float(submission.score)
    return table


def cell_scores(course: Course) -> dict[tuple[str, str, str], float | None]:
    """(student, assignment, grade cell id) -> the cell's automatic score, from the gradebook.

    Example: cell_scores(course)[("ann", "01_functional_api", "functional_mlp")] == 10.0
    """
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(course.db_url) as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        found[(submission.student.id, assignment.name, grade.name)] = grade.auto_score
    return found


def format_table(table: ClassTable) -> str:
    header = ["student"] + table.assignments + ["total"]
    rows = [
        [student] + [_cell(scores.get(a)) for a in table.assignments] + [_cell(table.total(student))]
        for student, scores in table.scores.items()
    ]
    rows.append(
        ["(max)"] + [_cell(table.max_scores[a]) for a in table.assignments] + [_cell(table.max_total)]
    )
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in [header] + rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_csv(table: ClassTable, path) -> None:
    """One row per student, one column per assignment ("" = not submitted), then the total."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student"] + table.assignments + ["total"])
        for student, scores in table.scores.items():
            writer.writerow(
                [student]
                + [_number(scores.get(a)) for a in table.assignments]
                + [_number(table.total(student))]
            )
        writer.writerow(
            ["(max)"] + [_number(table.max_scores[a]) for a in table.assignments] + [_number(table.max_total)]
        )


def generate_feedback(course: Course, assignments: list[str]) -> dict[str, Outcome]:
    """nbgrader generate_feedback for every autograded submission of these assignments."""
    config = load_config(course)
    return {
        assignment: run_converter("generate_feedback", config, assignment, "*", force=True)
        for assignment in assignments
    }


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
