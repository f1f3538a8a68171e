"""`classroom autograde --jobs N`: N students at once, one writer for the gradebook.

Each worker (worker.py) is a long-lived process with a private copy of the course: the
config, a snapshot of the gradebook, source/ without the solution notebooks. The parent
copies one submission at a time into a worker's copy and asks it to autograde it; the
worker runs nbgrader's Autograde there (execution and clean verdicts, writing only its own
gradebook copy). When it answers, the parent gives it the next submission and then, alone,
writes the result into the real gradebook by replaying the executed notebook through
nbgrader's Autograde on the real course (replay.py). So the SQLite gradebook has a single
writer, and its scores are the ones nbgrader computes from the same outputs.
"""

from __future__ import annotations

import json
import selectors
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import deque
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path

from checker.classroom.config import replay_config, subprocess_environment
from checker.classroom.layout import CONFIG_FILE, GRADEBOOK_FILE, Course, Submission
from checker.classroom.nbgrader_run import run_converter
from checker.classroom.sandbox import HIDE_ENV


@dataclass
class Graded:
    submission: Submission
    success: bool
    error: str = ""
    seconds: float = 0.0  # the worker's time on it


class Worker:
    """One worker process and its private course copy."""

    def __init__(self, course: Course, scratch: Path):
        self.course, self.scratch = course, Course(scratch)
        _copy_course(course, scratch)
        self.log = open(scratch / "worker.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "checker.classroom.worker", str(scratch)],
            cwd=scratch,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=subprocess_environment(**{HIDE_ENV: str(course.root)}),  # the real course, from kernels
        )
        self.current: Submission | None = None

    def give(self, submission: Submission) -> None:
        target = self.scratch.folder("submitted", submission.student, submission.assignment)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.course.folder("submitted", submission.student, submission.assignment), target)
        self.current = submission
        self.process.stdin.write(
            json.dumps({"student": submission.student, "assignment": submission.assignment}) + "\n"
        )
        self.process.stdin.flush()

    def answer(self):
        """The worker's answer for the current submission; None when the worker has died."""
        try:
            return json.loads(self.process.stdout.readline())
        except json.JSONDecodeError:
            return None

    def hand_over(self, submission: Submission, executed_dir: Path) -> None:
        """Move the executed notebooks to executed_dir/<student>/<assignment>/; drop the copy."""
        done = self.scratch.folder("autograded", submission.student, submission.assignment)
        target = executed_dir / submission.student / submission.assignment
        shutil.rmtree(target, ignore_errors=True)
        if done.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(done), str(target))
        shutil.rmtree(
            self.scratch.folder("submitted", submission.student, submission.assignment), ignore_errors=True
        )

    def stop(self, kill: bool = False) -> None:
        if kill:
            _kill_tree(self.process.pid)
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def log_tail(self, lines: int = 5) -> str:
        self.log.flush()
        text = (self.scratch.root / "worker.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def autograde_class(
    course: Course, jobs: int, submissions: list[Submission] | None = None, on_graded=None
) -> list[Graded]:
    """Autograde every submission with `jobs` workers; the gradebook is written by this process."""
    pending = deque(submissions if submissions is not None else course.submissions())
    results: list[Graded] = []
    if not pending:
        return results
    with tempfile.TemporaryDirectory(prefix="checker-classroom-") as scratch_root:
        scratch_root = Path(scratch_root)
        executed_dir = scratch_root / "executed"
        config = replay_config(course, executed_dir)
        count = max(1, min(jobs, len(pending)))
        workers = [Worker(course, scratch_root / f"worker{i}") for i in range(count)]
        try:
            _run(workers, pending, executed_dir, config, course, results, on_graded, scratch_root)
        finally:
            for worker in workers:
                worker.stop()
    return results


def _run(workers, pending, executed_dir, config, course, results, on_graded, scratch_root) -> None:
    selector = selectors.DefaultSelector()
    durations = Durations()

    def start(worker: Worker) -> None:
        worker.give(durations.take_longest(pending))
        selector.register(worker.process.stdout, selectors.EVENT_READ, worker)

    for worker in workers:
        start(worker)
    spare = len(workers)  # replacements for workers that die
    while selector.get_map():
        for key, _ in selector.select():
            worker = key.data
            submission, reply = worker.current, worker.answer()
            worker.current = None
            if not _is_answer(reply, submission):  # died, or answered out of turn: stop using it
                selector.unregister(worker.process.stdout)
                reply = {"success": False, "error": f"its worker stopped ({worker.log_tail(1)})"}
                worker.stop(kill=True)
                if pending and spare:
                    spare -= 1
                    workers.append(Worker(course, scratch_root / f"worker{len(workers)}"))
                    start(workers[-1])
            else:
                durations.add(submission, reply.get("seconds"))
                worker.hand_over(submission, executed_dir)
                if pending:
                    worker.give(
                        durations.take_longest(pending)
                    )  # busy while this process writes the gradebook
                else:
                    selector.unregister(worker.process.stdout)
            _record(results, _replay(config, submission, reply), on_graded)


class Durations:
    """Seconds each assignment took so far, to hand out the longest work first.

    With the longest submissions started first, the class ends on short ones, and no worker
    sits idle while another finishes a long notebook alone. Assignments not yet timed count
    as the longest, so each is timed early.
    """

    def __init__(self):
        self.seconds: dict[str, list[float]] = {}

    def add(self, submission: Submission, seconds) -> None:
        if isinstance(seconds, (int, float)) and seconds > 0:
            self.seconds.setdefault(submission.assignment, []).append(float(seconds))

    def expected(self, submission: Submission) -> float:
        times = self.seconds.get(submission.assignment)
        return sum(times) / len(times) if times else float("inf")

    def take_longest(self, pending: deque) -> Submission:
        """Remove and return the pending submission expected to take longest (first if tied)."""
        longest = max(range(len(pending)), key=lambda i: (self.expected(pending[i]), -i))
        submission = pending[longest]
        del pending[longest]
        return submission


def _is_answer(reply, submission: Submission) -> bool:
    return (
        isinstance(reply, dict)
        and reply.get("student") == submission.student
        and reply.get("assignment") == submission.assignment
    )


def _replay(config, submission: Submission, reply: dict) -> Graded:
    """Write the worker's result into the real gradebook with nbgrader's own Autograde.

    Also when the worker failed: nbgrader then records the submission as it does any failed
    autograde (the student and submission exist, no automatic score).
    """
    outcome = run_converter(
        "autograde", config, submission.assignment, submission.student, force=True, create_student=True
    )
    error = reply.get("error") or ("" if outcome.success else outcome.last_error_line())
    return Graded(
        submission, bool(reply.get("success")) and outcome.success, error, float(reply.get("seconds", 0.0))
    )


def _record(results: list, graded: Graded, on_graded) -> None:
    results.append(graded)
    if on_graded:
        on_graded(graded)


def _kill_tree(pid: int) -> None:
    """The worker and what it started (its kernels live in sessions of their own)."""
    import psutil  # an ipykernel dependency

    try:
        processes = [psutil.Process(pid)]
        processes += processes[0].children(recursive=True)
    except psutil.NoSuchProcess:
        return
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            process.kill()


def _copy_course(course: Course, scratch: Path) -> None:
    """Config, a consistent snapshot of the gradebook, and source/ without its notebooks."""
    scratch.mkdir(parents=True)
    shutil.copyfile(course.config_file, scratch / CONFIG_FILE)
    with (
        closing(sqlite3.connect(course.gradebook)) as source,
        closing(sqlite3.connect(scratch / GRADEBOOK_FILE)) as copy,
    ):
        source.backup(copy)
    for assignment in course.assignments():
        shutil.copytree(
            course.folder("source", assignment=assignment),
            scratch / "source" / assignment,
            ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"),
        )
