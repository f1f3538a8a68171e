"""Run one of nbgrader's own converters (generate_assignment, autograde, generate_feedback) in-process.

This is what nbgrader's command line and its NbGraderAPI do, minus the start-up cost of a
new process for each call; the converters, their preprocessors and the gradebook code are
nbgrader's.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

LOGGER_NAME = "checker.classroom.nbgrader"


@dataclass
class Outcome:
    success: bool
    log: str = ""
    error: str = ""

    def last_error_line(self) -> str:
        lines = [line for line in (self.error or self.log).splitlines() if line.strip()]
        errors = [line for line in lines if "[ERROR]" in line or "Error" in line]
        return (errors or lines or ["(no message)"])[-1].strip()[:300]


def nbgrader_logger() -> logging.Logger:
    """nbgrader's messages are collected per call; they are not printed unless asked for."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return logger


def run_converter(kind: str, config, assignment: str, student: str | None = None, **settings) -> Outcome:
    """kind: "generate_assignment", "autograde" or "generate_feedback"; settings: converter traits."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    converter_class = _converter_class(kind)
    coursedir = CourseDirectory(config=config, log=nbgrader_logger())
    coursedir.assignment_id = assignment
    if student is not None:
        coursedir.student_id = student
    converter = converter_class(coursedir=coursedir, config=config, log=nbgrader_logger())
    for name, value in settings.items():
        setattr(converter, name, value)
    with warnings.catch_warnings():  # nbgrader's own warnings, nothing an instructor can act on:
        warnings.filterwarnings("ignore", message=".*not in session.*")  # SQLAlchemy sessions
        warnings.filterwarnings("ignore", message="Cell is missing an id field")  # re-added test cells
        result = capture_log(converter)
    return Outcome(bool(result["success"]), result.get("log", ""), result.get("error", ""))


def _converter_class(kind: str):
    from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback

    return {
        "generate_assignment": GenerateAssignment,
        "autograde": Autograde,
        "generate_feedback": GenerateFeedback,
    }[kind]
