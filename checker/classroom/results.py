"""After autograding: the class table (student x assignment) from the gradebook, its CSV, and
nbgrader's feedback HTML (feedback/<student>/<assignment>/<notebook>.html).

A submission that needs attention (it could not be graded, or something went wrong on the
way) is marked "!" in the table, listed under it with the reason, and the CSV's last column,
needs_attention, gives "<assignment>: <reason>" for each of the student's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from checker.classroom.config import load_config
from checker.classroom.layout import Course, Submission
from checker.classroom.nbgrader_run import Outcome, run_converter


@dataclass
class ClassTable:
    assignments: list[str]
    max_scores: dict[str, float]
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # student -> assignment -> score
    attention: dict[str, dict[str, str]] = field(default_factory=dict)  # student -> assignment -> reason

    def total(self, student: str) -> float:
        return sum(self.scores[student].values())

    @property
    def max_total(self) -> float:
        return sum(self.max_scores.values())


def class_table(course: Course, attention: dict[Submission, str] | None = None) -> ClassTable:
    """Every submission's score as the gradebook has it (manual grades included), and the
    reasons of those that need attention (a student nbgrader never recorded still gets a row).

    >>> class_table(course, {Submission("ann", "01_a"): "its worker died"}).attention  # doctest: +SKIP
    {'ann': {'01_a': 'its worker died'}}
    """
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        assignments = sorted(gradebook.assignments, key=lambda a: a.name)
        table = ClassTable([a.name for a in assignments], {a.name: float(a.max_score) for a in assignments})
        for student in sorted(s.id for s in gradebook.students):
            table.scores[student] = {}
        for assignment in assignments:
            for submission in assignment.submissions:
                table.scores.setdefault(submission.student.id, {})[assignment.name] = float(submission.score)
    for submission, reason in (attention or {}).items():
        table.scores.setdefault(submission.student, {})
        table.attention.setdefault(submission.student, {})[submission.assignment] = reason
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
    """The table as text; "!" marks a submission that needs attention, listed below with why."""
    header = ["student"] + table.assignments + ["total"]
    rows = [
        [student]
        + [_cell(scores.get(a)) + _mark(table, student, a) for a in table.assignments]
        + [_cell(table.total(student))]
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
    return "\n".join(lines + _attention_lines(table))


def _attention_lines(table: ClassTable) -> list[str]:
    listed = [
        f"  {student}/{assignment}: {reason}"
        for student, reasons in table.attention.items()
        for assignment, reason in reasons.items()
    ]
    return ["", f"Needs attention (! above, {len(listed)}):", *listed] if listed else []


def _mark(table: ClassTable, student: str, assignment: str) -> str:
    return "!" if assignment in table.attention.get(student, {}) else ""


def write_csv(table: ClassTable, path) -> None:
    """One row per student, one column per assignment ("" = not submitted), the total, and
    needs_attention ("<assignment>: <reason>; ..." for submissions that could not be graded)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student"] + table.assignments + ["total", "needs_attention"])
        for student, scores in table.scores.items():
            reasons = table.attention.get(student, {})
            writer.writerow(
                [student]
                + [_number(scores.get(a)) for a in table.assignments]
                + [_number(table.total(student)), "; ".join(f"{a}: {r}" for a, r in reasons.items())]
            )
        writer.writerow(
            ["(max)"]
            + [_number(table.max_scores[a]) for a in table.assignments]
            + [_number(table.max_total), ""]
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
