"""Class grading on Dask: no submission silently dropped, nothing left running, nothing waits forever.

The round trips (slow: they start Jupyter kernels) grade the small course of simulate.py on a
local cluster and on a real `dask scheduler` with two `dask worker` processes, and compare the
gradebook with plain `nbgrader autograde`. A learner whose code kills the process grading it
once is graded on the retry; one who kills it every time is listed with the reason, and the
rest of the class is graded. Ctrl-C puts the gradebook back and leaves no kernel behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from checker.classroom import simulate
from checker.classroom.layout import Course, Submission
from checker.cli import main as checker_main

MODELS = "01_small_models"
LAYER = "02_small_layer"
RIGHT_MODELS = {"functional_mlp": simulate.FUNCTIONAL_MLP, "residual_identity": simulate.RESIDUAL_IDENTITY}
PARTIAL_MODELS = {
    "functional_mlp": simulate.FUNCTIONAL_MLP,
    "residual_identity": simulate.RESIDUAL_IDENTITY_TWO_CONVS,
}
KILL_GRADER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
KILL_GRADER_ONCE = """import os, pathlib, signal
flag = pathlib.Path({flag!r})
if not flag.exists():
    flag.write_text("killed the grading process once")
    os.kill(os.getppid(), signal.SIGKILL)"""
CELL_TIMEOUT = 60
ROUND_TRIP_TIMEOUT = 2400  # seconds; a worker restart alone takes minutes on a loaded machine


# ---------------------------------------------------------------- the parts, without kernels


def _small_course_folder(root: Path) -> Course:
    """A course-shaped folder (no nbgrader): config, a SQLite gradebook, source/, one submission."""
    course = Course(root)
    root.mkdir(parents=True)
    course.config_file.write_text("c = get_config()\n")
    with contextlib.closing(sqlite3.connect(course.gradebook)) as db:
        db.execute("create table grade (student text, score real)")
        db.execute("insert into grade values ('ann', 7.5)")
        db.commit()
    source = course.folder("source", assignment="01_a")
    (source / "data").mkdir(parents=True)
    (source / "01_a.ipynb").write_text("the solutions")
    (source / "data" / "points.csv").write_text("x,y\n1,2\n")
    submitted = course.folder("submitted", "ann", "01_a")
    submitted.mkdir(parents=True)
    (submitted / "01_a.ipynb").write_text('{"cells": []}')
    (submitted / "timestamp.txt").write_text("2026-01-01 10:00:00 UTC")
    return course


def test_a_task_carries_the_course_as_bytes_without_the_solutions(tmp_path):
    from checker.classroom.payload import gradebook_bytes, pack_course, pack_submission, unpack

    course = _small_course_folder(tmp_path / "course")
    course_files = pack_course(course, "01_a", gradebook_bytes(course))
    submission_files = pack_submission(course, Submission("ann", "01_a"))
    assert course_files.source == {"data/points.csv": b"x,y\n1,2\n"}  # no notebook: no solutions

    copy = unpack(course_files, submission_files, tmp_path / "worker")
    assert copy.config_file.read_text() == "c = get_config()\n"
    with contextlib.closing(sqlite3.connect(copy.gradebook)) as db:
        assert db.execute("select student, score from grade").fetchall() == [("ann", 7.5)]
    assert (copy.folder("source", assignment="01_a") / "data" / "points.csv").is_file()
    assert not (copy.folder("source", assignment="01_a") / "01_a.ipynb").exists()
    submitted = copy.folder("submitted", "ann", "01_a")
    assert sorted(p.name for p in submitted.iterdir()) == ["01_a.ipynb", "timestamp.txt"]


def test_a_task_never_writes_outside_its_folder(tmp_path):
    from checker.classroom.payload import CourseFiles, SubmissionFiles, unpack

    course_files = CourseFiles("01_a", b"", __import__("zlib").compress(b""), {})
    escaping = SubmissionFiles(Submission("ann", "01_a"), {"../../../escaped.txt": b"x"})
    with pytest.raises(ValueError, match="outside"):
        unpack(course_files, escaping, tmp_path / "worker")
    assert not list(tmp_path.rglob("escaped.txt"))


def _notebook_bytes(code_cells: int, checker_cells: int) -> bytes:
    cells = [nbformat.v4.new_code_cell("x = 1") for _ in range(code_cells)]
    for cell in cells[:checker_cells]:
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "functional_mlp"}
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells)).encode()


def test_the_deadline_grows_with_the_cells_and_the_course_s_timeout():
    from checker.classroom.deadline import submission_deadline

    short = submission_deadline({"a.ipynb": _notebook_bytes(4, 1)}, 30)
    longer = submission_deadline({"a.ipynb": _notebook_bytes(20, 1)}, 30)
    slower = submission_deadline({"a.ipynb": _notebook_bytes(4, 1)}, 120)
    more_checks = submission_deadline({"a.ipynb": _notebook_bytes(4, 3)}, 30)
    assert short < longer and short < slower and short < more_checks
    assert short >= 4 * 30 + 180  # never less than the cells' own timeouts and one clean verdict
    assert submission_deadline({"broken.ipynb": b"not json"}, 30) > 0


def _sleeper(marker: str | None, tag: str) -> subprocess.Popen:
    """A process in a session of its own (as a kernel is), carrying `marker` when given."""
    env = dict(os.environ, TEST_TAG=tag)
    env.pop("CHECKER_GRADING_TASK", None)
    if marker:
        env["CHECKER_GRADING_TASK"] = marker
    return subprocess.Popen(["sleep", "300"], env=env, start_new_session=True)


def test_ending_a_run_s_leftovers_ends_its_processes_only(tmp_path):
    from checker.classroom.leftovers import end_marked_processes

    tag = uuid.uuid4().hex
    ours, other_run, unmarked = _sleeper("run1:ann/01", tag), _sleeper("run2:bo/01", tag), _sleeper(None, tag)
    try:
        assert end_marked_processes("run1:") == 1
        assert ours.wait(timeout=10) == -signal.SIGKILL
        assert other_run.poll() is None and unmarked.poll() is None
    finally:
        for process in (ours, other_run, unmarked):
            process.kill()
            process.wait()


def test_the_watchdog_ends_the_kernels_at_the_deadline_then_the_worker():
    from checker.classroom.deadline import Watchdog

    kernel = _sleeper("run3:ann/01", uuid.uuid4().hex)
    stuck = []
    try:
        with Watchdog("run3:ann/01", deadline=1, grace=2, on_stuck=lambda: stuck.append(True)) as watchdog:
            assert kernel.wait(timeout=10) == -signal.SIGKILL
            time.sleep(3)
        assert "deadline of 1 s" in watchdog.stopped
        assert stuck == [True]
    finally:
        kernel.kill()
        kernel.wait()


def test_a_cancelled_run_stops_its_tasks_at_once():
    from checker.classroom.deadline import Watchdog
    from checker.classroom.leftovers import cancel_run

    kernel = _sleeper("run4:ann/01", uuid.uuid4().hex)
    try:
        with Watchdog("run4:ann/01", deadline=600, on_stuck=lambda: None) as watchdog:
            cancel_run("run4")
            assert kernel.wait(timeout=10) == -signal.SIGKILL
            time.sleep(1.5)
        assert watchdog.stopped == "grading was cancelled"
    finally:
        kernel.kill()
        kernel.wait()


def test_ctrl_c_during_a_gradebook_write_waits_for_the_write_to_end():
    from checker.classroom.interrupts import Interrupts

    finished = []
    with Interrupts() as interrupts, pytest.raises(KeyboardInterrupt):
        with interrupts.writing():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
            finished.append("write")
    assert finished == ["write"]
    with Interrupts(), pytest.raises(KeyboardInterrupt):  # outside a write: at once
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)


def test_undo_puts_the_gradebook_and_autograded_back(tmp_path):
    from checker.classroom.undo import RunUndo

    course = _small_course_folder(tmp_path / "course")
    earlier = course.folder("autograded", "ann", "01_a")
    earlier.mkdir(parents=True)
    (earlier / "01_a.ipynb").write_text("graded last week")
    undo = RunUndo(course, tmp_path / "scratch")
    undo.before_writing(Submission("ann", "01_a"))
    undo.before_writing(Submission("bo", "01_a"))
    with contextlib.closing(sqlite3.connect(course.gradebook)) as db:
        db.execute("update grade set score = 0")
        db.execute("insert into grade values ('bo', 3)")
        db.commit()
    course.folder("autograded", "bo", "01_a").mkdir(parents=True)
    earlier.mkdir(parents=True)
    (earlier / "01_a.ipynb").write_text("graded by the interrupted run")

    assert undo.restore() == 2
    with contextlib.closing(sqlite3.connect(course.gradebook)) as db:
        assert db.execute("select student, score from grade").fetchall() == [("ann", 7.5)]
    assert (earlier / "01_a.ipynb").read_text() == "graded last week"
    assert not course.folder("autograded", "bo", "01_a").exists()


def test_a_submission_whose_worker_died_on_every_try_is_failed_with_the_reason():
    from distributed import KilledWorker

    from checker.classroom.pool import task_outcome

    class DeadFuture:
        def result(self):
            raise KilledWorker("grade-x", "tcp://127.0.0.1:1", 1)

    result = task_outcome(DeadFuture(), Submission("ann", "01_a"))
    assert not result.success and "died on every worker" in result.error


def test_a_checker_error_is_the_reason_given_whatever_nbgrader_logged_after_it():
    from checker.classroom.grading_task import failure_reason
    from checker.classroom.nbgrader_run import Outcome

    log = (
        "[AutogradeApp | ERROR] There was an error processing assignment: x\n"
        "RuntimeError: checker error: needs attention: the clean grading of functional_mlp crashed\n"
        "[AutogradeApp | ERROR] Please see the error message above."
    )
    reason = failure_reason(Outcome(False, log=log))
    assert reason == "checker error: needs attention: the clean grading of functional_mlp crashed"


def test_submissions_that_need_attention_are_marked_in_the_table_and_the_csv(tmp_path):
    from checker.classroom.results import ClassTable, format_table, write_csv

    table = ClassTable(
        ["01_a", "02_b"],
        {"01_a": 20.0, "02_b": 10.0},
        {"ann": {"01_a": 17.75, "02_b": 10.0}, "bo": {"01_a": 0.0}},
        {"bo": {"01_a": "its grading process died on every worker that tried it"}},
    )
    text = format_table(table)
    assert "0!" in text.splitlines()[3]
    assert "bo/01_a: its grading process died" in text
    write_csv(table, tmp_path / "scores.csv")
    assert (tmp_path / "scores.csv").read_text().splitlines() == [
        "student,01_a,02_b,total,needs_attention",
        "ann,17.75,10,27.75,",
        "bo,0,,0,01_a: its grading process died on every worker that tried it",
        "(max),20,10,30,",
    ]


# ---------------------------------------------------------------- round trips


@pytest.fixture(scope="module")
def empty_course(tmp_path_factory, venv_kernel) -> Course:
    """`classroom init` on the two small notebooks; nothing handed in yet."""
    root = tmp_path_factory.mktemp("dask-course")
    simulate.write_small_solutions(root / "solutions")
    args = ["classroom", "init", str(root / "course"), "--solutions-dir", str(root / "solutions")]
    assert checker_main([*args, "--timeout", str(CELL_TIMEOUT)]) == 0
    return Course(root / "course")


def _class_course(empty_course: Course, folder: Path, students: dict) -> Course:
    """A copy of the course with these students' submissions: student -> (assignment, answers, changes)."""
    shutil.copytree(empty_course.root, folder)
    course = Course(folder)
    for student, (assignment, answers, changes) in students.items():
        simulate.submit(course, student, assignment, answers, changes)
    return course


def _autograde(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = checker_main(["classroom", "autograde", *args])
    return status, out.getvalue(), err.getvalue()


def _scores(course: Course) -> dict:
    from checker.classroom.results import cell_scores

    found = {}
    for (student, _assignment, grade_id), score in cell_scores(course).items():
        found.setdefault(student, {})[grade_id] = score
    return found


def _plain_nbgrader_scores(course: Course, students: list[str], folder: Path) -> dict:
    """`nbgrader autograde` for these students in a fresh copy of the course."""
    shutil.copytree(course.root, folder, ignore=shutil.ignore_patterns("autograded", "feedback", "submitted"))
    (folder / "gradebook.db").unlink()
    shutil.copyfile(course.root.parent / "pristine-gradebook.db", folder / "gradebook.db")
    for student in students:
        shutil.copytree(course.folder("submitted", student), folder / "submitted" / student)
    handed_in = {s.assignment for s in course.submissions() if s.student in students}
    for assignment in sorted(handed_in):
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", "autograde", assignment],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    return _scores(Course(folder))


def _keep_pristine_gradebook(course: Course) -> None:
    shutil.copyfile(course.gradebook, course.root.parent / "pristine-gradebook.db")


def _marked_processes(tag: str) -> list[int]:
    """Processes still running with this test's tag and a grading marker in their environment."""
    import psutil

    left = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            environment = process.environ()
            if environment.get("TEST_TAG") == tag and "CHECKER_GRADING_TASK" in environment:
                left.append(process.pid)
    return left


@pytest.mark.slow
@pytest.mark.timeout(ROUND_TRIP_TIMEOUT)
def test_a_local_cluster_retries_a_killed_worker_and_lists_what_it_cannot_grade(
    empty_course, tmp_path, monkeypatch
):
    tag = uuid.uuid4().hex
    monkeypatch.setenv("TEST_TAG", tag)
    flag = tmp_path / "killed-once"
    students = {
        "right": (MODELS, RIGHT_MODELS, ()),
        "layer_right": (LAYER, {"simple_dense": simulate.SIMPLE_DENSE}, ()),
        "kills_once": (
            MODELS,
            RIGHT_MODELS,
            [simulate.insert_before_test("functional_mlp", KILL_GRADER_ONCE.format(flag=str(flag)))],
        ),
        "kills_always": (MODELS, RIGHT_MODELS, [simulate.insert_before_test("functional_mlp", KILL_GRADER)]),
    }
    course = _class_course(empty_course, tmp_path / "course", students)
    _keep_pristine_gradebook(course)

    # Worker deaths (out of memory, a crash) are what this is about; the learner code that
    # stands in for them needs to reach its worker, which only works without the sandbox.
    status, out, err = _autograde(str(course.root), "--jobs", "2", "--no-feedback", "--no-sandbox")

    assert status == 1, err[-3000:]
    assert flag.is_file()  # the worker really was killed once
    failures = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(failures) == 1 and "kills_always/01_small_models" in failures[0], err[-3000:]
    assert "died on every worker" in failures[0]
    assert "kills_always/01_small_models: its grading process died" in out  # under the table
    csv_rows = course.scores_csv.read_text().splitlines()
    assert csv_rows[0].endswith(",total,needs_attention")
    assert any(r.startswith("kills_always,") and "died on every worker" in r for r in csv_rows)
    graded = _scores(course)
    assert graded["kills_once"] == {"functional_mlp": 10, "residual_identity": 10}
    assert graded["kills_always"] == {"functional_mlp": None, "residual_identity": None}
    plain = _plain_nbgrader_scores(course, ["right", "layer_right", "kills_once"], tmp_path / "plain")
    assert {s: graded[s] for s in plain} == plain
    assert "Graded per worker: tcp://127.0.0.1:" in err
    assert _marked_processes(tag) == []


@pytest.fixture
def dask_cluster(tmp_path, venv_kernel):
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1, each in a folder of its own."""
    scheduler_file = tmp_path / "scheduler.json"
    environment = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    dask = str(Path(sys.executable).parent / "dask")
    processes = []
    try:
        processes.append(
            _start(
                [
                    dask,
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--scheduler-file",
                    str(scheduler_file),
                ],
                tmp_path / "scheduler",
                environment,
            )
        )
        _wait_for(scheduler_file.is_file, 120, "the scheduler did not write its file")
        for number in range(2):
            processes.append(
                _start(
                    [
                        dask,
                        "worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                    ],
                    tmp_path / f"worker{number}",
                    environment,
                )
            )
        address = json.loads(scheduler_file.read_text())["address"]
        _wait_for_workers(address, 2)
        yield address
    finally:
        for process in reversed(processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _start(command: list[str], folder: Path, environment: dict) -> subprocess.Popen:
    folder.mkdir()
    log = open(folder / "log.txt", "w")  # noqa: SIM115 - closed when the process ends
    return subprocess.Popen(
        command, cwd=folder, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait_for(condition, seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.5)


def _wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(count, timeout=180)


@pytest.mark.slow
@pytest.mark.timeout(ROUND_TRIP_TIMEOUT)
def test_a_real_dask_cluster_gives_plain_nbgrader_s_scores(empty_course, dask_cluster, tmp_path):
    students = {
        "right": (MODELS, RIGHT_MODELS, ()),
        "partial": (MODELS, PARTIAL_MODELS, ()),
        "layer_right": (LAYER, {"simple_dense": simulate.SIMPLE_DENSE}, ()),
        "layer_no_bias": (LAYER, {"simple_dense": simulate.SIMPLE_DENSE_NO_BIAS}, ()),
    }
    course = _class_course(empty_course, tmp_path / "course", students)
    _keep_pristine_gradebook(course)

    status, out, err = _autograde(str(course.root), "--scheduler", dask_cluster, "--no-feedback")

    assert status == 0, err[-3000:]
    assert "Needs attention" not in out
    graded = _scores(course)
    plain = _plain_nbgrader_scores(course, list(students), tmp_path / "plain")
    assert graded == plain
    assert graded["right"] == {"functional_mlp": 10, "residual_identity": 10}
    per_worker = next(line for line in err.splitlines() if line.startswith("Graded per worker:"))
    counts = [int(part.rsplit(" ", 1)[1]) for part in per_worker.split(":", 1)[1].split(",")]
    assert sum(counts) == len(students)


@pytest.mark.slow
@pytest.mark.timeout(ROUND_TRIP_TIMEOUT)
def test_ctrl_c_stops_the_kernels_and_leaves_the_gradebook_as_it_was(empty_course, tmp_path):
    tag = uuid.uuid4().hex
    students = {f"student{n}": (MODELS, RIGHT_MODELS, ()) for n in range(4)}
    course = _class_course(empty_course, tmp_path / "course", students)
    before = course.gradebook.read_bytes()
    command = [sys.executable, "-m", "checker", "classroom", "autograde", str(course.root), "--jobs", "1"]
    grading = subprocess.Popen(
        command,
        env=dict(os.environ, TEST_TAG=tag),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: course.folder("autograded").is_dir(), 600, "nothing was graded in 10 minutes")
        time.sleep(2)  # a second kernel is running by now
        grading.send_signal(signal.SIGINT)
        out, err = grading.communicate(timeout=300)
    finally:
        grading.kill()
    assert grading.returncode == 130, err[-3000:]
    assert "Interrupted" in err and "as they were before this run" in err
    assert _scores(course) == _scores_of_gradebook_bytes(before, tmp_path)
    assert not any(course.folder("autograded").glob("*/*"))
    time.sleep(2)
    assert _marked_processes(tag) == []


def _scores_of_gradebook_bytes(content: bytes, tmp_path: Path) -> dict:
    folder = tmp_path / "before"
    folder.mkdir()
    (folder / "gradebook.db").write_bytes(content)
    return _scores(Course(folder))


@pytest.mark.slow  # a local Dask cluster and a course
def test_a_cluster_without_workers_fails_every_submission_with_the_reason(
    empty_course, tmp_path, monkeypatch
):
    """Nothing waits forever, and nothing is dropped: each submission comes back, failed, with why."""
    from distributed import Client, LocalCluster

    from checker.classroom import pool

    students = {
        "right": (MODELS, RIGHT_MODELS, ()),
        "layer": (LAYER, {"simple_dense": simulate.SIMPLE_DENSE}, ()),
    }
    course = _class_course(empty_course, tmp_path / "course", students)

    @contextlib.contextmanager
    def cluster_without_workers(jobs, scheduler=None):
        with (
            LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client

    monkeypatch.setattr(pool, "grading_client", cluster_without_workers)
    monkeypatch.setattr(pool, "CHECK_SECONDS", 0.5)
    monkeypatch.setattr(pool, "NO_WORKERS_SECONDS", 2.0)
    results = pool.autograde_class(course, jobs=2)

    assert sorted(str(r.submission) for r in results) == ["layer/02_small_layer", "right/01_small_models"]
    assert all(not r.success and "no workers" in r.error for r in results)
    assert _scores(course)["right"] == {
        "functional_mlp": None,
        "residual_identity": None,
    }  # recorded, unscored
