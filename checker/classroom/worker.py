"""A worker of `classroom autograde --jobs N`: nbgrader autograde on a private copy of the course.

    python -m checker.classroom.worker SCRATCH

SCRATCH is a course folder of its own (nbgrader_config.py, a copy of the gradebook, source/
without notebooks); the parent copies each submission into SCRATCH/submitted/ before asking.
Reads one job per line on stdin, {"student": ..., "assignment": ...}, runs nbgrader's
Autograde on it (the course's own steps: GuardedExecute, CleanVerdicts, ...), and answers one
line on stdout: {"student", "assignment", "success", "error", "seconds"}. nbgrader's log and
the kernels' stderr go to stderr. The executed notebook is left in SCRATCH/autograded/.
Stays alive between jobs, so nbgrader is imported once per worker, not once per student.

The kernels it starts inherit its standard output, and learner code can write there
(os.write(1, ...)). So the job and answer pipes are moved to private descriptors, which no
child process inherits, before anything else runs; descriptor 1 becomes stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    from checker.classroom.config import load_config
    from checker.classroom.layout import Course
    from checker.classroom.nbgrader_run import nbgrader_logger, run_converter

    jobs, answers = private_pipes()
    nbgrader_logger().addHandler(logging.StreamHandler(sys.stderr))
    config = load_config(Course(Path(argv[0]).resolve()))
    for line in jobs:
        if not line.strip():
            continue
        job = json.loads(line)
        started = time.perf_counter()
        outcome = run_converter(
            "autograde", config, job["assignment"], job["student"], force=True, create_student=True
        )
        answer(
            answers,
            student=job["student"],
            assignment=job["assignment"],
            success=outcome.success,
            error="" if outcome.success else outcome.last_error_line(),
            seconds=round(time.perf_counter() - started, 3),
        )
    return 0


def private_pipes():
    """(jobs, answers): the parent's pipes on new, non-inheritable descriptors; 0 and 1 let go."""
    jobs = os.fdopen(os.dup(0), "r", encoding="utf-8")
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)
    sys.stdin, sys.stdout = open(os.devnull, encoding="utf-8"), sys.stderr
    return jobs, answers


def answer(answers, **fields) -> None:
    answers.write(json.dumps(fields) + "\n")
    answers.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
