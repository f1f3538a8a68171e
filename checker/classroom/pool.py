"""`classroom autograde`: every submission graded on a Dask cluster, one writer for the gradebook.

The head (this process) sends each submission to the cluster as a task that carries all it
needs as bytes (payload.py) and runs nbgrader's Autograde on a private course copy on some
worker (grading_task.py). Each executed notebook that comes back is written into the real
gradebook here, and only here, by replaying it through nbgrader's Autograde on the real course
(replay.py). So the SQLite gradebook has a single writer, and its scores are the ones nbgrader
computes from the same outputs.

No submission is dropped: each one ends as a `Graded`, graded or failed with its reason (a task
whose worker died on every try, one past its deadline, a checker error, no answer from the
cluster). As many tasks as there are live workers are in flight at a time, longest expected
first (Dask priorities from `Durations`). Ctrl-C stops the workers' kernels, puts the gradebook
and autograded/ back as they were before the run (undo.py) and raises GradingInterrupted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from checker.classroom.cluster import dashboard_address, grading_client, worker_count
from checker.classroom.config import load_config, replay_config
from checker.classroom.deadline import GRACE_SECONDS, cell_timeout, submission_deadline
from checker.classroom.environment import environment
from checker.classroom.execute import KERNEL_THREADS_ENV
from checker.classroom.grading_task import STARTED_TOPIC, TaskResult, failure_reason, grade_submission
from checker.classroom.interrupts import Interrupts
from checker.classroom.layout import Course, Submission
from checker.classroom.leftovers import cancel_run, end_marked_processes
from checker.classroom.nbgrader_run import run_converter
from checker.classroom.payload import gradebook_bytes, pack_course, pack_submission
from checker.classroom.sandbox import HIDE_ENV
from checker.classroom.undo import RunUndo

WORKER_DIED = (
    "its grading process died on every worker that tried it (the notebook may end or crash "
    "the process that grades it, or use too much memory)"
)
CLEANUP_SECONDS = 60.0
MAX_RUNS = 2  # a submission whose grading really started twice and died twice is failed
MAX_ATTEMPTS = 3  # tasks sent for one submission, at most
CHECK_SECONDS = 30.0  # how often the head looks at the cluster while it waits
NO_WORKERS_SECONDS = 300.0  # a cluster without workers this long is given up on


@dataclass
class Graded:
    submission: Submission
    success: bool
    error: str = ""  # why it needs attention ("" when all went well)
    seconds: float = 0.0  # the worker's time on it
    worker: str = ""  # the Dask worker that graded it
    writing: float = 0.0  # seconds this process took to write it into the gradebook


class GradingInterrupted(Exception):
    """Ctrl-C: the run was stopped and the course put back as it was."""

    def __init__(self, undone: int):
        super().__init__(f"interrupted; {undone} submission(s) written by this run were undone")
        self.undone = undone


def autograde_class(
    course: Course,
    jobs: int,
    submissions: list[Submission] | None = None,
    on_graded=None,
    scheduler: str | None = None,
    announce=None,
) -> list[Graded]:
    """Autograde every submission on a local cluster of `jobs` processes (or on `scheduler`).

    One `Graded` per submission, in the order they finished. `on_graded(graded)` is called as
    each is written; `announce(text)` gets the cluster's dashboard and size.

    >>> results = autograde_class(Course(Path("course")), jobs=2)  # doctest: +SKIP
    >>> [r.submission for r in results if not r.success]  # doctest: +SKIP
    []
    """
    todo = list(submissions if submissions is not None else course.submissions())
    if not todo:
        return []
    with tempfile.TemporaryDirectory(prefix="checker-classroom-") as scratch:
        grading = ClassGrading(course, Path(scratch), on_graded, announce)
        workers = max(1, min(jobs, len(todo)))
        with _hidden_from_kernels(course.root), _cores_shared(workers, scheduler):
            return grading.run(todo, workers, scheduler)


@contextlib.contextmanager
def _hidden_from_kernels(folder: Path):
    """Local workers inherit this: their sandboxed kernels do not see the real course either.

    (Workers on other machines do not have the course at all.)
    """
    already = os.environ.get(HIDE_ENV, "")
    with environment({HIDE_ENV: os.pathsep.join(p for p in (str(folder), already) if p)}):
        yield


@contextlib.contextmanager
def _cores_shared(workers: int, scheduler: str | None):
    """Local workers' kernels split this machine's cores instead of each using all of them.

    TensorFlow gives every kernel a thread per core; N kernels training at once then fight
    over the cores (2 cores, 2 workers, full training, 4 A/B pairs: about 5 % less wall time
    with the share, noisy). A cluster of your own is left alone: its machines are not this one.
    """
    if scheduler:
        yield
        return
    share = max(1, (os.cpu_count() or 1) // workers)
    with environment({KERNEL_THREADS_ENV: os.environ.get(KERNEL_THREADS_ENV) or str(share)}):
        yield


class ClassGrading:
    """One run: what is in flight, what is done, and how to undo it."""

    def __init__(self, course: Course, scratch: Path, on_graded=None, announce=None):
        self.course, self.scratch = course, scratch
        self.on_graded, self.announce = on_graded, announce or (lambda text: None)
        self.executed_dir = scratch / "executed"
        self.replay = replay_config(course, self.executed_dir)  # refuses a config that runs nothing
        self.timeout = cell_timeout(load_config(course))
        self.run_id = uuid.uuid4().hex[:12]
        self.durations = Durations()
        self.deadlines: dict[Submission, float] = {}
        self.attempts: dict[Submission, int] = {}
        self.results: list[Graded] = []
        self._course_files: dict[str, object] = {}

    def run(self, todo: list[Submission], jobs: int, scheduler: str | None) -> list[Graded]:
        self.undo = RunUndo(self.course, self.scratch)  # before the first write
        self.gradebook = gradebook_bytes(self.course)
        with Interrupts() as interrupts:
            self.interrupts = interrupts
            try:
                with grading_client(jobs, scheduler) as client:
                    self._announce(client)
                    self._grade_on(client, deque(todo))
            except KeyboardInterrupt:
                interrupts.ignore()
                end_marked_processes(f"{self.run_id}:")  # a local cluster's leftovers
                raise GradingInterrupted(self.undo.restore()) from None
            finally:
                interrupts.ignore()
                end_marked_processes(f"{self.run_id}:")
        return self.results

    def _grade_on(self, client, pending: deque) -> None:
        try:
            self._grade(client, pending)
        except BaseException:
            self.interrupts.ignore()
            _bounded(lambda: client.run(cancel_run, self.run_id, on_error="return"))
            raise
        self.interrupts.ignore()  # all is written: a Ctrl-C now must not undo the run
        _bounded(lambda: client.run(end_marked_processes, f"{self.run_id}:", on_error="return"))

    def _announce(self, client) -> None:
        link = dashboard_address(client)
        self.announce(f"{worker_count(client)} Dask worker(s)" + (f"; dashboard: {link}" if link else ""))

    def _grade(self, client, pending: deque) -> None:
        from distributed import wait

        in_flight: dict = {}
        self._fill(client, pending, in_flight)
        waited = without_workers = 0.0
        while in_flight:
            try:
                done, _ = wait(list(in_flight), timeout=CHECK_SECONDS, return_when="FIRST_COMPLETED")
            except TimeoutError:
                waited += CHECK_SECONDS
                without_workers = without_workers + CHECK_SECONDS if worker_count(client) == 0 else 0.0
                reason = self._stalled(waited, without_workers, in_flight.values())
                if reason:
                    self._give_up(client, in_flight, pending, reason)
                    return
                continue
            waited = 0.0
            finished = [(future, in_flight.pop(future)) for future in done]
            self._fill(client, pending, in_flight)  # the workers go on while this process writes
            for future, submission in finished:
                if self._retried_after_death(client, future, submission, in_flight):
                    continue
                self._record(self._write(submission, task_outcome(future, submission)))

    def _retried_after_death(self, client, future, submission: Submission, in_flight: dict) -> bool:
        """Send a task Dask gave up on (KilledWorker) once more, unless it really ran twice.

        Dask counts a worker's death against every task the worker held, also one that only
        waited there behind the task that ended it; the tasks' own start events tell them apart.
        """
        from distributed import KilledWorker

        if future.status != "error" or not isinstance(future.exception(), KilledWorker):
            return False
        marker = f"{self.run_id}:{submission}"
        starts = sum(1 for _, message in client.get_events(STARTED_TOPIC) if message == marker)
        if starts >= MAX_RUNS or self.attempts[submission] >= MAX_ATTEMPTS:
            return False
        in_flight[self._submit(client, submission)] = submission
        return True

    def _stalled(self, waited: float, without_workers: float, in_flight) -> str:
        """Why to stop waiting, or "": no workers for a while, or no answer far past every deadline."""
        if without_workers >= NO_WORKERS_SECONDS:
            return f"the cluster had no workers for {without_workers:.0f} s (they died and none came back)"
        longest = max((self.deadlines[s] for s in in_flight), default=0.0)
        limit = 2 * (longest + GRACE_SECONDS) + 300  # a retry, each past its deadline and grace
        return f"no answer from the cluster within {limit:.0f} s" if waited >= limit else ""

    def _fill(self, client, pending: deque, in_flight: dict) -> None:
        """One task per live worker, the longest expected first.

        Not more: when a worker dies, Dask counts a death against every task it held, running
        or only waiting there, and a submission that merely waited behind one that kills its
        worker must not be failed for it.
        """
        window = max(1, worker_count(client))
        while pending and len(in_flight) < window:
            submission = self.durations.take_longest(pending)
            in_flight[self._submit(client, submission)] = submission

    def _submit(self, client, submission: Submission):
        self.attempts[submission] = self.attempts.get(submission, 0) + 1
        files = pack_submission(self.course, submission)
        notebooks = {name: data for name, data in files.files.items() if name.endswith(".ipynb")}
        self.deadlines[submission] = submission_deadline(notebooks, self.timeout)
        return client.submit(
            grade_submission,
            self._course_files_of(submission.assignment),
            files,
            f"{self.run_id}:{submission}",
            self.deadlines[submission],
            key=f"grade-{self.run_id}-{submission.student}-{submission.assignment}-{self.attempts[submission]}",
            priority=self.durations.priority(submission),
            retries=1,
        )

    def _course_files_of(self, assignment: str):
        if assignment not in self._course_files:
            self._course_files[assignment] = pack_course(self.course, assignment, self.gradebook)
        return self._course_files[assignment]

    def _give_up(self, client, in_flight: dict, pending: deque, reason: str) -> None:
        client.cancel(list(in_flight))
        for submission in [*in_flight.values(), *pending]:
            self._record(self._write(submission, TaskResult(submission, False, reason)))
        in_flight.clear()
        pending.clear()

    def _write(self, submission: Submission, result: TaskResult) -> Graded:
        """Replay the executed notebooks into the real gradebook with nbgrader's own Autograde.

        Also when the task failed: nbgrader then records the submission as it does any failed
        autograde (the student and submission exist, no automatic score).
        """
        target = self.executed_dir / submission.student / submission.assignment
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name, content in result.notebooks.items():
            if Path(name).name == name and name.endswith(".ipynb"):
                (target / name).write_bytes(content)
        started = time.perf_counter()
        with self.interrupts.writing():
            self.undo.before_writing(submission)
            outcome = run_converter(
                "autograde",
                self.replay,
                submission.assignment,
                submission.student,
                force=True,
                create_student=True,
            )
        shutil.rmtree(target, ignore_errors=True)
        self.durations.add(submission, result.seconds)
        error = result.error or ("" if outcome.success else failure_reason(outcome))
        writing = round(time.perf_counter() - started, 3)
        return Graded(
            submission, result.success and outcome.success, error, result.seconds, result.worker, writing
        )

    def _record(self, graded: Graded) -> None:
        self.results.append(graded)
        if self.on_graded:
            self.on_graded(graded)


def task_outcome(future, submission: Submission) -> TaskResult:
    """The task's result, or a failed one saying why the cluster gave up on it."""
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker:
        return TaskResult(submission, False, WORKER_DIED)
    except Exception as exc:  # noqa: BLE001 - whatever it is, the submission is listed with it
        if type(exc).__name__ == "CancelledError":
            return TaskResult(
                submission, False, "the cluster cancelled its task (a worker or the scheduler went away)"
            )
        return TaskResult(
            submission, False, f"its task failed on the worker: {type(exc).__name__}: {exc}"[:300]
        )


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

    def priority(self, submission: Submission) -> int:
        """A Dask priority (higher runs first): the expected milliseconds; untimed comes first."""
        expected = self.expected(submission)
        return 10**9 if expected == float("inf") else int(expected * 1000)

    def take_longest(self, pending: deque) -> Submission:
        """Remove and return the pending submission expected to take longest (first if tied)."""
        longest = max(range(len(pending)), key=lambda i: (self.expected(pending[i]), -i))
        submission = pending[longest]
        del pending[longest]
        return submission


def _bounded(call, seconds: float = CLEANUP_SECONDS) -> None:
    """Run a clean-up call, waiting at most `seconds`: a stuck worker must not hang the head."""
    thread = threading.Thread(target=lambda: _quietly(call), daemon=True)
    thread.start()
    thread.join(seconds)


def _quietly(call) -> None:
    try:
        call()
    except Exception:  # noqa: BLE001 - best effort; the local sweep and the kernels' own checks remain
        pass
