"""Grade a class with nbgrader: make the course, then autograde every submission.

  python -m checker classroom init DIR            an nbgrader course made from solutions/
  python -m checker classroom autograde DIR -j 2  autograde submitted/<student>/<assignment>/
  python -m checker classroom autograde DIR --scheduler tcp://HOST:8786   on a Dask cluster

init writes nbgrader_config.py, source/<stem>/ for every course notebook (one assignment per
notebook, named by its stem), the gradebook and the learner versions in release/ (nbgrader's
generate_assignment). Collect submissions into DIR/submitted/<student>/<assignment>/.

autograde runs nbgrader's autograde on every submission on a Dask cluster (a local one of
--jobs worker processes, or --scheduler's), then prints the class table, writes
DIR/class_scores.csv and nbgrader's feedback HTML in DIR/feedback/. A submission that could
not be graded is marked in the table and the CSV with its reason, and the exit status is 1;
Ctrl-C puts the gradebook back as it was and exits 130. Test-cell points are decided outside
the learner's kernel (see checker/classroom/__init__.py); `nbgrader autograde ASSIGNMENT` in
DIR gives the same scores.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from checker.commands.options import add_solutions_dir


def configure(parser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="make an nbgrader course from the solution notebooks")
    init.add_argument("dir", type=Path, help="the course folder to create (new or empty)")
    add_solutions_dir(init)
    init.add_argument(
        "--timeout", type=int, default=None, help="seconds each cell may run when autograding (default: 120)"
    )
    grade = actions.add_parser("autograde", help="autograde every submission, print the class table")
    grade.add_argument("dir", type=Path, help="the course folder (made by `classroom init`)")
    grade.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes of the local Dask cluster, one submission each at a time "
        "(default: the number of CPUs)",
    )
    grade.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="grade on this running Dask cluster instead (e.g. tcp://10.0.0.5:8786); --jobs is ignored",
    )
    grade.add_argument(
        "--assignment", action="append", default=None, help="only this assignment (repeatable)"
    )
    grade.add_argument("--student", action="append", default=None, help="only this student (repeatable)")
    grade.add_argument("--no-feedback", action="store_true", help="skip nbgrader's feedback HTML")
    grade.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run learners' code without the bubblewrap sandbox, with your access to the course, "
        "its solutions and the gradebook (only where bwrap cannot run, for work you trust)",
    )


def run(args) -> int:
    return _init(args) if args.action == "init" else _autograde(args)


# ---------------------------------------------------------------- init


def _init(args) -> int:
    from checker.classroom.config import DEFAULT_CELL_TIMEOUT
    from checker.classroom.create import CourseExists, create_course
    from checker.paths import default_solutions_dir

    solutions = args.solutions_dir or default_solutions_dir()
    print(f"Making an nbgrader course in {args.dir} from {solutions} ...", file=sys.stderr)
    try:
        creation = create_course(
            args.dir,
            solutions,
            timeout=args.timeout or DEFAULT_CELL_TIMEOUT,
            progress=lambda name, ok: print(f"  {'released' if ok else 'FAILED  '} {name}", file=sys.stderr),
        )
    except (CourseExists, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for assignment, reason in creation.failed:
        print(f"error: nbgrader could not generate {assignment}: {reason}", file=sys.stderr)
    _say_sandbox()
    root = creation.course.root
    print(
        f"{len(creation.released)} assignment(s) in {root}: learner versions in {root / 'release'}/.\n"
        f"Next: put submissions in {root / 'submitted'}/<student>/<assignment>/, then run\n"
        f"  python -m checker classroom autograde {args.dir}"
    )
    return 1 if creation.failed else 0


# ---------------------------------------------------------------- autograde


def _autograde(args) -> int:
    from checker.classroom.layout import Course

    course = Course(args.dir.resolve())
    if not course.is_course():
        print(
            f"error: {args.dir} is not an nbgrader course (no nbgrader_config.py and gradebook.db). "
            f"Make one with: python -m checker classroom init {args.dir}",
            file=sys.stderr,
        )
        return 2
    if not _sandbox_ready(args.no_sandbox):
        return 2
    submissions = [
        s
        for s in course.submissions()
        if (not args.assignment or s.assignment in args.assignment)
        and (not args.student or s.student in args.student)
    ]
    if not submissions:
        print(f"No submissions in {course.folder('submitted')}/<student>/<assignment>/ to grade.")
        return 0
    from checker.classroom.cluster import NoWorkers
    from checker.classroom.pool import GradingInterrupted

    try:
        with _sandbox_switch(args.no_sandbox):
            results = _grade_all(course, submissions, max(1, args.jobs), args.scheduler)
    except GradingInterrupted as exc:
        print(
            f"\nInterrupted: the workers and their kernels were stopped, and the gradebook and "
            f"autograded/ are as they were before this run ({exc.undone} submission(s) undone).",
            file=sys.stderr,
        )
        return 130
    except (NoWorkers, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _report(course, submissions, results, not args.no_feedback)


def _say_sandbox() -> None:
    from checker.classroom.sandbox import availability, folders_in_view

    found = availability()
    if found.ok:
        seen = ", ".join(map(str, folders_in_view()))
        print(
            "Learners' code will run in a bubblewrap sandbox when autograding. It sees, read-only, "
            f"only {seen}; keep no solutions there.",
            file=sys.stderr,
        )
    else:
        print(
            f"warning: the learner sandbox is not available: {found.reason}\n"
            "  classroom autograde and nbgrader autograde will refuse to run until it is "
            "(or --no-sandbox / c.GuardedExecute.sandbox = False, at your risk).",
            file=sys.stderr,
        )


def _sandbox_ready(no_sandbox: bool) -> bool:
    from checker.classroom.sandbox import SandboxUnavailable, require

    if no_sandbox:
        print(
            "warning: --no-sandbox: learners' code runs with your access to the course, its "
            "solutions and the gradebook.",
            file=sys.stderr,
        )
        return True
    try:
        require()
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


@contextlib.contextmanager
def _sandbox_switch(no_sandbox: bool):
    """--no-sandbox reaches the workers' GuardedExecute through their environment."""
    from checker.classroom.environment import environment
    from checker.classroom.sandbox import SWITCH_ENV

    with environment({SWITCH_ENV: "off" if no_sandbox else "on"}):
        yield


def _grade_all(course, submissions, jobs: int, scheduler: str | None):
    from tqdm.auto import tqdm

    from checker.classroom.pool import autograde_class

    where = (
        f"on the Dask cluster at {scheduler}" if scheduler else f"{jobs} at a time on a local Dask cluster"
    )
    print(f"Autograding {len(submissions)} submission(s), {where} ...", file=sys.stderr)
    with tqdm(total=len(submissions), unit="notebook", file=sys.stderr, dynamic_ncols=True) as bar:

        def on_graded(graded):
            bar.set_postfix_str(f"{graded.submission}{'' if graded.success else ' NEEDS ATTENTION'}")
            bar.update(1)

        return autograde_class(
            course,
            jobs,
            submissions,
            on_graded,
            scheduler,
            announce=lambda text: bar.write(text, file=sys.stderr),
        )


def _report(course, submissions, results, feedback: bool) -> int:
    from checker.classroom.results import class_table, format_table, generate_feedback, write_csv

    reasons = {r.submission: r.error or "not graded" for r in results if not r.success}
    graded = {r.submission for r in results if r.success}
    attention = {s: reasons.get(s, "no result came back for it") for s in submissions if s not in graded}
    table = class_table(course, attention)
    print(format_table(table))
    write_csv(table, course.scores_csv)
    print(f"\nScores: {course.scores_csv}")
    print(f"Graded per worker: {_per_worker(results)}", file=sys.stderr)
    print(_time_spent(results), file=sys.stderr)
    for submission, reason in attention.items():
        print(f"error: {submission} could not be autograded: {reason}", file=sys.stderr)
    if feedback:
        outcomes = generate_feedback(course, sorted({s.assignment for s in submissions}))
        for assignment, outcome in outcomes.items():
            if not outcome.success:
                print(f"error: feedback for {assignment}: {outcome.last_error_line()}", file=sys.stderr)
        print(f"Feedback: {course.folder('feedback')}/<student>/<assignment>/")
    return 1 if attention else 0


def _time_spent(results) -> str:
    """Where the run's time went: the workers' grading against this process's gradebook writes.

    >>> from checker.classroom.pool import Graded
    >>> _time_spent([Graded(None, True, seconds=10.0, writing=1.5), Graded(None, True, seconds=14.0, writing=0.5)])
    'Time: the workers graded 2 submissions in 24.0 s (12.0 s each); writing the gradebook here took 2.0 s (1.0 s each).'
    """
    count = len(results) or 1
    grading = sum(r.seconds or 0 for r in results)
    writing = sum(r.writing for r in results)
    return (
        f"Time: the workers graded {len(results)} submissions in {grading:.1f} s ({grading / count:.1f} s each); "
        f"writing the gradebook here took {writing:.1f} s ({writing / count:.1f} s each)."
    )


def _per_worker(results) -> str:
    """ "tcp://127.0.0.1:40123 5, tcp://127.0.0.1:40125 4" (submissions each worker graded)."""
    from collections import Counter

    counts = Counter(r.worker for r in results if r.worker)
    return ", ".join(f"{worker} {count}" for worker, count in sorted(counts.items())) or "none"
