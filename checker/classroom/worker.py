"""A worker of `classroom autograde --jobs N`: nbgrader autograde on a private copy of the course.

    python -m checker.classroom.worker SCRATCH

SCRATCH is a course folder of its own (nbgrader_config.py, a copy of the gradebook, source/
without notebooks); the parent copies each submission into SCRATCH/submitted/ before asking.
Reads one job per line on stdin, {"student": ..., "assignment": ...}, runs nbgrader's
Autograde on it (the course's own steps: GuardedExecute, CleanVerdicts, ...), and answers one
line on stdout: {"student", "assignment", "success", "error", "seconds"}. nbgrader's log and
the kernels' stderr go to stderr. The executed notebook is left in SCRATCH/autograded/.
Stays alive between jobs, so nbgrader is imported once per worker, not once per student.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    from checker.classroom.config import load_config
    from checker.classroom.layout import Course
    from checker.classroom.nbgrader_run import nbgrader_logger, run_converter

    nbgrader_logger().addHandler(logging.StreamHandler(sys.stderr))
    config = load_config(Course(Path(argv[0]).resolve()))
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        started = time.perf_counter()
        outcome = run_converter("autograde", config, job["assignment"], job["student"],
                                force=True, create_student=True)
        answer(student=job["student"], assignment=job["assignment"], success=outcome.success,
               error="" if outcome.success else outcome.last_error_line(),
               seconds=round(time.perf_counter() - started, 3))
    return 0


def answer(**fields) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
