"""Classroom autograding: a real nbgrader round trip, partial credit, and tampering.

The round trip (marked slow: it starts Jupyter kernels) makes a course from two small
notebooks with real exercises, hands in a simulated class (right, partly right, a syntax
error, and each way of tampering), runs `classroom autograde --jobs 2`, and reads the scores
back from nbgrader's gradebook. A learner earns what their model earns, never more.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from checker.classroom import simulate
from checker.classroom.layout import Course, Submission
from checker.cli import main as checker_main

CELL_TIMEOUT = 40  # seconds per cell in the test course
# The endless loops below run in functional_mlp's test cell, which every honest answer here ends
# in well under a second (the import cell takes seconds): only that cell gets a short timeout,
# and a kernel that ignores the interrupt a short wait before it is called stuck.
LOOP_CELL_TIMEOUT = 10
SETTLE_SECONDS = 10
SHORT_LIMITS = f"""
def _cell_timeout(cell):
    looping = cell.metadata.get("nbgrader", {{}}).get("grade_id") == "functional_mlp"
    return {LOOP_CELL_TIMEOUT} if looping else {CELL_TIMEOUT}
c.Execute.timeout_func = _cell_timeout
c.GuardedExecute.settle_seconds = {SETTLE_SECONDS}
"""

WRONG_MLP = simulate.FUNCTIONAL_MLP.replace(
    'Dense(32, activation="relu")(x)', 'Dense(16, activation="relu")(x)'
)

# Each attack aims at functional_mlp only; residual_identity, answered right, must keep its 10.
REDEFINE_GRADE = """import checker.autograde
def check(*args, **kwargs):
    return 10
real_grade = checker.autograde.grade
checker.autograde.grade = lambda subject, exercise: 10 if exercise == "functional_mlp" else real_grade(subject, exercise)"""

PATCH_REPORT = """import checker.report
checker.report.Report.score = property(lambda self: self.max_score)
checker.report.Report.passed = property(lambda self: True)"""

PATCH_CHECKER = """import checker
from checker.report import CheckResult, Report
checker.grade_description = lambda description, exercise_id: Report(exercise_id, [CheckResult("all", 10, 10)])"""

HIDE_OUTPUT = 'get_ipython().ast_node_interactivity = "none"'

# A right model's description, sent through the evidence channel before the test cell, and
# grade() replaced so that the test cell itself sends nothing.
FORGE_EVIDENCE = """import checker.autograde
from checker.evidence_channel import send
from checker.observe.describe import describe
inputs = keras.Input(shape=(64,))
hidden = layers.Dense(32, activation="relu")(layers.Dense(32, activation="relu")(inputs))
right = keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
assert send({"exercise": "functional_mlp", "description": describe(right)})
real_grade = checker.autograde.grade
checker.autograde.grade = lambda subject, exercise: 10 if exercise == "functional_mlp" else real_grade(subject, exercise)"""

# A later cell sends the description of a right model built elsewhere.
REWRITE_EVIDENCE_LATER = """from checker.evidence_channel import send
from checker.observe.describe import describe
inputs = keras.Input(shape=(64,))
hidden = layers.Dense(32, activation="relu")(layers.Dense(32, activation="relu")(inputs))
right = keras.Model(inputs, layers.Dense(10, activation="softmax")(hidden))
assert send({"exercise": "functional_mlp", "description": describe(right)})"""

# Learner code can write to the descriptors its kernel inherited from the grading process.
FAKE_WORKER_ANSWER = """import os
os.write(1, b'{"student": "right", "assignment": "01_small_models", "success": true, "error": ""}\\n')
os.read(0, 100)"""

KILL_GRADER = """import os, signal
os.kill(os.getppid(), signal.SIGKILL)"""

OS_EXIT = """def build_residual_identity():
    import os
    os._exit(0)"""

ENDLESS_LOOP = """def build_functional_mlp():
    while True:
        pass"""

IGNORE_INTERRUPTS = """def build_functional_mlp():
    import time
    while True:
        try:
            time.sleep(0.1)
        except KeyboardInterrupt:
            pass"""

# A class whose body replaces the checker's observation step with one reporting a perfect
# layer (zero weights, zero outputs: consistent with x·w + b). In the learner's own kernel,
# check() believes it.
FORGED_OBSERVATIONS = """class SimpleDense(keras.layers.Layer):
    def _forge(subject, exercise_id, inputs):
        zeros = lambda rows, cols: [[0.0] * cols for _ in range(rows)]
        return {"exercise": exercise_id, "failure": None,
                "subject": {"kind": "layer_class", "name": "SimpleDense"},
                "weights": [{"attribute": "w", "path": "w", "shape": [3, 2], "trainable": True,
                             "initial": zeros(3, 2), "value": zeros(3, 2)},
                            {"attribute": "b", "path": "b", "shape": [2], "trainable": True,
                             "initial": [0.0, 0.0], "value": [0.0, 0.0]}],
                "calls": [{"output": zeros(4, 2), "error": None}],
                "config": {"value": {"units": 2}, "error": None},
                "round_trip": {"value": {"units": 2}, "error": None},
                "in_model": {"output_shape": [None, 2], "error": None}}
    import checker.observe.layer_observe as _checker
    _checker.observe_layer_class = _forge"""

MODELS = "01_small_models"
LAYER = "02_small_layer"
RIGHT_MODELS = {"functional_mlp": simulate.FUNCTIONAL_MLP, "residual_identity": simulate.RESIDUAL_IDENTITY}
RIGHT_RESIDUAL = {"residual_identity": simulate.RESIDUAL_IDENTITY}


def _without_self_check(builder: str):
    def change(notebook):
        notebook.cells = [c for c in notebook.cells if not c.source.startswith(f"check({builder}")]

    return change


# student -> (assignment, answers, changes)
CLASS = {
    "right": (MODELS, RIGHT_MODELS, ()),
    "partial": (
        MODELS,
        {
            "functional_mlp": simulate.FUNCTIONAL_MLP,
            "residual_identity": simulate.RESIDUAL_IDENTITY_TWO_CONVS,
        },
        (),
    ),
    "syntax_error": (MODELS, {"functional_mlp": simulate.SYNTAX_ERROR, **RIGHT_RESIDUAL}, ()),
    "redefines_grade": (
        MODELS,
        RIGHT_RESIDUAL,
        [simulate.insert_before_test("functional_mlp", REDEFINE_GRADE)],
    ),
    "patches_report": (
        MODELS,
        {"functional_mlp": WRONG_MLP, **RIGHT_RESIDUAL},
        [simulate.insert_before_test("functional_mlp", PATCH_REPORT)],
    ),
    "patches_checker": (
        MODELS,
        {"functional_mlp": WRONG_MLP, **RIGHT_RESIDUAL},
        [simulate.insert_before_test("functional_mlp", PATCH_CHECKER)],
    ),
    "rewrites_evidence_later": (
        MODELS,
        {"functional_mlp": WRONG_MLP, **RIGHT_RESIDUAL},
        [simulate.insert_before_test("residual_identity", REWRITE_EVIDENCE_LATER)],
    ),
    "hides_output": (MODELS, RIGHT_RESIDUAL, [simulate.insert_before_test("functional_mlp", HIDE_OUTPUT)]),
    "forges_evidence": (
        MODELS,
        RIGHT_RESIDUAL,
        [simulate.insert_before_test("functional_mlp", FORGE_EVIDENCE)],
    ),
    "edits_test_cell": (MODELS, RIGHT_RESIDUAL, [simulate.edit_test_cell("functional_mlp", "10")]),
    "deletes_test_cell": (MODELS, RIGHT_RESIDUAL, [simulate.delete_test_cell("functional_mlp")]),
    "fakes_worker_answer": (
        MODELS,
        RIGHT_RESIDUAL,
        [simulate.insert_before_test("functional_mlp", FAKE_WORKER_ANSWER)],
    ),
    "kills_grader": (MODELS, RIGHT_MODELS, [simulate.insert_before_test("functional_mlp", KILL_GRADER)]),
    "exits_kernel": (MODELS, {"functional_mlp": simulate.FUNCTIONAL_MLP, "residual_identity": OS_EXIT}, ()),
    "loops_forever": (
        MODELS,
        {"functional_mlp": ENDLESS_LOOP, **RIGHT_RESIDUAL},
        [_without_self_check("build_functional_mlp")],
    ),
    "ignores_interrupts": (
        MODELS,
        {"functional_mlp": IGNORE_INTERRUPTS, **RIGHT_RESIDUAL},
        [_without_self_check("build_functional_mlp")],
    ),
    "layer_right": (LAYER, {"simple_dense": simulate.SIMPLE_DENSE}, ()),
    "layer_no_bias": (LAYER, {"simple_dense": simulate.SIMPLE_DENSE_NO_BIAS}, ()),
    "layer_forges_observations": (LAYER, {"simple_dense": FORGED_OBSERVATIONS}, ()),
}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def course(tmp_path_factory, venv_kernel) -> Course:
    """`classroom init` on the two small notebooks, and the simulated class handed in."""
    root = tmp_path_factory.mktemp("classroom")
    simulate.write_small_solutions(root / "solutions")
    status = checker_main(
        [
            "classroom",
            "init",
            str(root / "course"),
            "--solutions-dir",
            str(root / "solutions"),
            "--timeout",
            str(CELL_TIMEOUT),
        ]
    )
    assert status == 0
    course = Course(root / "course")
    with course.config_file.open("a") as config:
        config.write(SHORT_LIMITS)
    for student, (assignment, answers, changes) in CLASS.items():
        simulate.submit(course, student, assignment, answers, changes)
    return course


@pytest.fixture(scope="module")
def autograded(course) -> tuple[int, str]:
    """`classroom autograde --jobs 2`: its exit status and what it wrote to stderr."""
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        status = checker_main(["classroom", "autograde", str(course.root), "--jobs", "2"])
    return status, errors.getvalue()


@pytest.fixture(scope="module")
def graded(course, autograded) -> dict:
    """Every grade cell's score, read back from nbgrader's gradebook."""
    return gradebook_scores(course)


def gradebook_scores(course: Course) -> dict:
    """student -> {grade_id: auto_score} for every submitted notebook."""
    from checker.classroom.results import cell_scores

    scores = {}
    for (student, _assignment, grade_id), score in cell_scores(course).items():
        scores.setdefault(student, {})[grade_id] = score
    return scores


def checker_report(answer: str, exercise: str):
    """What the checker itself says of this answer, computed here, outside any notebook."""
    import keras
    from keras import layers, ops

    from checker import check
    from checker.judge.exercises import get_exercise

    namespace = {"keras": keras, "layers": layers, "ops": ops}
    exec(answer, namespace)  # noqa: S102 - the test's own answers
    subject = namespace[get_exercise(exercise)["builder"]]
    return check(subject if exercise == "simple_dense" else subject(), exercise)


# ---------------------------------------------------------------- init


@pytest.mark.slow
def test_init_makes_an_nbgrader_course_with_one_assignment_per_notebook(course):
    assert course.config_file.is_file() and course.gradebook.is_file()
    assert course.assignments() == [MODELS, LAYER]
    for assignment in course.assignments():
        source = course.folder("source", assignment=assignment) / f"{assignment}.ipynb"
        release = course.folder("release", assignment=assignment) / f"{assignment}.ipynb"
        assert source.is_file() and release.is_file()
    released = nbformat.read(str(course.folder("release", assignment=MODELS) / f"{MODELS}.ipynb"), 4)
    solution = simulate.find_cell(released, "functional_mlp_solution")
    assert "raise NotImplementedError" in solution.source and "Dense(32" not in solution.source
    assert simulate.find_cell(released, "functional_mlp").metadata.nbgrader["checksum"]


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    simulate.write_small_solutions(tmp_path / "solutions")
    assert (
        checker_main(["classroom", "init", str(tmp_path), "--solutions-dir", str(tmp_path / "solutions")])
        == 2
    )
    assert "not empty" in capsys.readouterr().err


def test_autograde_refuses_a_folder_that_is_not_a_course(tmp_path, capsys):
    assert checker_main(["classroom", "autograde", str(tmp_path)]) == 2
    assert "classroom init" in capsys.readouterr().err


# ---------------------------------------------------------------- scores


@pytest.mark.slow
def test_a_right_answer_earns_every_point(graded):
    assert graded["right"] == {"functional_mlp": 10, "residual_identity": 10}
    assert graded["layer_right"] == {"simple_dense": 10}


@pytest.mark.slow
def test_a_partly_right_model_earns_its_report_share(graded):
    report = checker_report(simulate.RESIDUAL_IDENTITY_TWO_CONVS, "residual_identity")
    assert 0 < report.score < 10, report
    assert graded["partial"] == {"functional_mlp": 10, "residual_identity": pytest.approx(report.score)}


@pytest.mark.slow
def test_a_partly_right_layer_class_earns_its_report_share(graded):
    report = checker_report(simulate.SIMPLE_DENSE_NO_BIAS, "simple_dense")
    assert 0 < report.score < 10, report
    assert graded["layer_no_bias"] == {"simple_dense": pytest.approx(report.score)}


@pytest.mark.slow
def test_a_syntax_error_costs_that_exercise_only(graded):
    assert graded["syntax_error"] == {"functional_mlp": 0, "residual_identity": 10}


@pytest.mark.slow
@pytest.mark.parametrize(
    "student", ["redefines_grade", "hides_output", "forges_evidence", "edits_test_cell", "deletes_test_cell"]
)
def test_tampering_with_an_unsolved_exercise_earns_nothing(graded, student):
    assert graded[student] == {"functional_mlp": 0, "residual_identity": 10}


@pytest.mark.slow
@pytest.mark.parametrize("student", ["patches_report", "patches_checker", "rewrites_evidence_later"])
def test_patching_the_checker_in_the_kernel_earns_only_what_the_model_earns(graded, student):
    honest = checker_report(WRONG_MLP, "functional_mlp")
    assert honest.score < 10, honest
    assert graded[student] == {"functional_mlp": pytest.approx(honest.score), "residual_identity": 10}


@pytest.mark.slow
def test_a_kernel_that_exits_keeps_the_points_earned_before_it(graded):
    assert graded["exits_kernel"] == {"functional_mlp": 10, "residual_identity": 0}


@pytest.mark.slow
def test_an_endless_loop_times_out_and_the_rest_is_graded(graded):
    assert graded["loops_forever"] == {"functional_mlp": 0, "residual_identity": 10}


@pytest.mark.slow
def test_a_kernel_stuck_after_an_interrupt_stops_the_run_instead_of_waiting_out_every_cell(graded, course):
    assert graded["ignores_interrupts"] == {"functional_mlp": 0, "residual_identity": 0}
    autograded = course.folder("autograded", "ignores_interrupts", MODELS) / f"{MODELS}.ipynb"
    last = [c for c in nbformat.read(str(autograded), 4).cells if c.cell_type == "code"][-1]
    assert "still busy" in last.outputs[0].data["text/html"]


@pytest.mark.slow
def test_writing_to_the_grader_s_pipes_changes_nothing(graded):
    assert graded["fakes_worker_answer"] == {"functional_mlp": 0, "residual_identity": 10}
    assert graded["right"] == {"functional_mlp": 10, "residual_identity": 10}


@pytest.mark.slow
def test_the_kernel_cannot_reach_the_grading_process_to_kill_it(autograded, graded):
    status, errors = autograded
    assert status == 0, errors  # its own PID namespace: its parent is the sandbox's init
    assert graded["kills_grader"] == {"functional_mlp": 10, "residual_identity": 10}
    assert all(score is not None for cells in graded.values() for score in cells.values())


@pytest.mark.slow
def test_forged_observations_from_the_layer_class_earn_nothing(graded):
    assert graded["layer_forges_observations"] == {"simple_dense": 0}


@pytest.mark.slow
def test_the_summary_says_where_the_time_went(autograded):
    _status, errors = autograded
    line = next(line for line in errors.splitlines() if line.startswith("Time: "))
    graded, grading, writing = re.search(
        r"graded (\d+) submissions in ([\d.]+) s.*took ([\d.]+) s", line
    ).groups()
    assert int(graded) == len(CLASS)
    assert float(grading) > float(writing) > 0


@pytest.mark.slow
def test_every_graded_submission_is_in_the_csv_and_has_feedback(graded, course):
    rows = course.scores_csv.read_text().splitlines()
    assert rows[0] == f"student,{MODELS},{LAYER},total,needs_attention"
    assert any(row.startswith("partial,") for row in rows)
    assert any(
        # in the sandbox the kernel cannot reach the grading process: graded, nothing to attend to
        row.startswith("kills_grader,") and row.endswith(",")
        for row in rows
    )
    assert rows[-1] == "(max),20,10,30,"
    for student, (assignment, _, _) in CLASS.items():
        feedback = course.folder("feedback", student, assignment) / f"{assignment}.html"
        assert feedback.is_file(), student
    text = (course.folder("feedback", "hides_output", MODELS) / f"{MODELS}.html").read_text()
    assert "graded by the checker outside" in text


@pytest.mark.slow
def test_the_autograded_test_cell_shows_the_clean_verdict_only(graded, course):
    autograded = course.folder("autograded", "patches_checker", MODELS) / f"{MODELS}.ipynb"
    cell = simulate.find_cell(nbformat.read(str(autograded), 4), "functional_mlp")
    assert [o.output_type for o in cell.outputs] == ["execute_result"]
    assert float(cell.outputs[0].data["text/plain"]) == graded["patches_checker"]["functional_mlp"]


# ---------------------------------------------------------------- plain nbgrader


@pytest.mark.slow
def test_plain_nbgrader_autograde_gives_the_same_scores(graded, course, tmp_path):
    """`nbgrader autograde` in a copy of the course (a few of the students) agrees."""
    students = ["partial", "hides_output", "patches_checker"]
    copy = tmp_path / "copy"
    shutil.copytree(course.root, copy, ignore=shutil.ignore_patterns("autograded", "feedback", "submitted"))
    for student in students:
        shutil.copytree(course.folder("submitted", student), copy / "submitted" / student)
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", MODELS],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    plain = gradebook_scores(Course(copy))
    assert {s: plain[s] for s in students} == {s: graded[s] for s in students}


# ---------------------------------------------------------------- the parts, without kernels


def _course_with_config(folder: Path) -> Course:
    from checker.classroom.config import config_text

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(config_text(timeout=33))
    return Course(folder)


def test_the_course_config_puts_clean_verdicts_right_after_execution(tmp_path):
    from checker.classroom.config import load_config

    config = load_config(_course_with_config(tmp_path))
    steps = list(config.Autograde.autograde_preprocessors)
    assert steps[:2] == [
        "checker.classroom.execute.GuardedExecute",
        "checker.classroom.verdicts.CleanVerdicts",
    ]
    assert steps.index("nbgrader.preprocessors.SaveAutoGrades") > 1
    assert config.Execute.timeout == 33
    assert config.OverwriteCells.add_missing_cells is True
    assert config.CourseDirectory.root == str(tmp_path)


def test_replay_takes_the_place_of_execution_and_keeps_nbgrader_s_other_steps(tmp_path):
    from checker.classroom.config import load_config, replay_config

    course = _course_with_config(tmp_path)
    steps = list(replay_config(course, tmp_path / "executed").Autograde.autograde_preprocessors)
    assert steps[0] == "checker.classroom.replay.ReplayExecution"
    assert steps[1:] == list(load_config(course).Autograde.autograde_preprocessors)[2:]


def _code_cell(outputs=(), execution_count=1):
    cell = nbformat.v4.new_code_cell("grade(build_functional_mlp, 'functional_mlp')")
    cell.outputs, cell.execution_count = list(outputs), execution_count
    return cell


@pytest.mark.parametrize(
    "outputs, count, reason",
    [
        (
            [nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="", traceback=[])],
            3,
            "out of time",
        ),
        (
            [nbformat.v4.new_output("error", ename="NotRun", evalue="The kernel died.", traceback=[])],
            3,
            "died",
        ),
        (
            [nbformat.v4.new_output("error", ename="NameError", evalue="grade", traceback=[])],
            3,
            "cells before it run without errors",
        ),
        ([], None, "did not run"),
    ],
)
def test_a_test_cell_that_did_not_complete_vouches_for_nothing(outputs, count, reason):
    from checker.classroom.evidence import did_not_complete

    assert reason in did_not_complete(_code_cell(outputs, count))


def test_a_test_cell_that_ran_cleanly_may_be_graded_whatever_it_printed():
    from checker.classroom.evidence import did_not_complete

    printed = nbformat.v4.new_output("stream", name="stderr", text="noise")
    assert did_not_complete(_code_cell([printed], 4)) is None


@pytest.mark.parametrize(
    "payload, reason",
    [
        (
            {"exercise": "qa_model", "description": {"format": "checker-description/1", "kind": "none"}},
            "not one",
        ),
        ({"exercise": "functional_mlp", "description": {"kind": "functional"}}, "not one"),
        ("just text", "not one"),
    ],
)
def test_evidence_that_the_checker_did_not_write_is_refused(payload, reason):
    from checker.classroom.evidence import message_evidence

    assert reason in message_evidence(json.dumps(payload), "functional_mlp").problem


def test_no_evidence_means_no_points():
    from checker.classroom.clean_grading import verdict
    from checker.classroom.evidence import received_candidates
    from checker.evidence_channel import Window

    (candidate,) = received_candidates(Window(cell=4), "functional_mlp")
    result = verdict(candidate)
    assert result.share == 0 and "sent no model description" in result.problem


def test_the_score_the_kernel_wrote_is_ignored_only_the_description_is_graded():
    from checker.classroom.clean_grading import verdict
    from checker.classroom.evidence import message_evidence

    boast = {
        "exercise": "functional_mlp",
        "passed": True,
        "score": 10,
        "max_score": 10,
        "summary": "",
        "checks": [{"name": "all", "points": 10, "earned": 10, "messages": []}],
    }
    payload = {
        "exercise": "functional_mlp",
        "report": boast,
        "description": {"format": "checker-description/1", "kind": "none", "type": "NoneType"},
    }
    result = verdict(message_evidence(json.dumps(payload), "functional_mlp"))
    assert result.problem is None
    assert result.share == 0 and result.report["score"] == 0


def test_the_verdict_is_a_number_nbgrader_reads_as_partial_credit():
    from nbgrader.utils import determine_grade

    from checker.classroom.clean_grading import Verdict
    from checker.classroom.verdicts import verdict_output

    cell = _code_cell()
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 10, "grade_id": "functional_mlp"}
    report = {
        "exercise": "functional_mlp",
        "passed": False,
        "score": 7.75,
        "max_score": 10,
        "summary": "",
        "checks": [{"name": "layers", "points": 10, "earned": 7.75, "messages": ["one missing"]}],
    }
    cell.outputs = [verdict_output(Verdict("functional_mlp", 0.775, report), 10, 1)]
    assert determine_grade(cell) == (7.75, 10)
    assert "one missing" in cell.outputs[0].data["text/html"]
    cell.outputs = [verdict_output(Verdict("functional_mlp", 0.0, problem="The cell did not run."), 10, 1)]
    assert determine_grade(cell) == (0, 10)


LAYER_NOTEBOOK = [
    "import keras\nfrom keras import ops\nimport numpy as np",
    "%matplotlib inline\nUNITS = 2\nhistory = model.fit(x, y)\nprint('trained')",
    simulate.SIMPLE_DENSE,
    "check(SimpleDense, 'simple_dense')",
]


def test_the_layer_program_is_the_notebook_s_imports_and_definitions_only():
    from checker.classroom.evidence import layer_program

    program = layer_program([nbformat.v4.new_code_cell(s) for s in LAYER_NOTEBOOK], "simple_dense").program
    assert "from keras import ops" in program and "UNITS = 2" in program
    assert "class SimpleDense(keras.layers.Layer)" in program
    assert "fit(" not in program and "print(" not in program and "check(" not in program


def test_code_nested_too_deep_for_python_is_left_out_of_the_layer_program_not_a_crash():
    """A cell of 3000 chained operators (MemoryError or RecursionError in ast.parse), or of 500
    (RecursionError in ast.unparse), raised in nbgrader's process and failed the submission."""
    from checker.classroom.evidence import layer_program

    too_deep = [
        "x = " + "-" * 200_000 + "1",
        "y = " + "1+" * 3000 + "1",
        "def helper():\n    return " + "1+" * 500 + "1",
    ]
    cells = [nbformat.v4.new_code_cell(s) for s in [*too_deep, *LAYER_NOTEBOOK]]
    program = layer_program(cells, "simple_dense").program
    assert "class SimpleDense(keras.layers.Layer)" in program and "1+1" not in program


def test_a_notebook_without_the_class_has_no_layer_evidence():
    from checker.classroom.evidence import layer_program

    evidence = layer_program([nbformat.v4.new_code_cell(LAYER_NOTEBOOK[0])], "simple_dense")
    assert evidence.program is None and "class SimpleDense" in evidence.problem


def _forged_observations(inputs: dict) -> dict:
    zeros = [[0.0, 0.0]] * 3
    return {
        "exercise": "simple_dense",
        "failure": None,
        "subject": {"kind": "layer_class", "name": "SimpleDense"},
        "weights": [
            {
                "attribute": "w",
                "path": "w",
                "shape": [3, 2],
                "trainable": True,
                "initial": zeros,
                "value": zeros,
            },
            {
                "attribute": "b",
                "path": "b",
                "shape": [2],
                "trainable": True,
                "initial": [0.0, 0.0],
                "value": [0.0, 0.0],
            },
        ],
        "calls": [{"output": [[0.0, 0.0]] * len(inputs["batches"][0]), "error": None}],
        "config": {"value": {"units": 2}, "error": None},
        "round_trip": {"value": {"units": 2}, "error": None},
        "in_model": {"output_shape": [None, 2], "error": None},
    }


def test_observations_with_weights_the_grader_did_not_set_are_not_believed():
    from checker.classroom.layer_grading import judge
    from checker.judge.layer_judge import judge_layer_observations
    from checker.observe.layer_setup import make_inputs

    inputs = make_inputs("simple_dense", seed=3)
    forged = _forged_observations(inputs)
    assert judge_layer_observations(forged, "simple_dense", inputs).score == 10  # what a naive judge says
    assert judge(forged, "simple_dense", inputs).score == 0


@pytest.mark.slow
def test_a_layer_class_is_graded_in_a_throwaway_process_from_the_notebook_s_code():
    from checker.classroom.evidence import layer_program
    from checker.classroom.layer_grading import grade_layer_program

    program = layer_program([nbformat.v4.new_code_cell(s) for s in LAYER_NOTEBOOK], "simple_dense").program
    assert grade_layer_program(program, "simple_dense").score == 10
    looping = program.replace("def call(self, inputs):", "def call(self, inputs):\n        while True: pass")
    report = grade_layer_program(looping, "simple_dense", timeout=15)
    assert report.score == 0 and "longer than 15 s" in str(report)


COMPUTE_SUM = """class ComputeSum(keras.layers.Layer):
    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.total = self.add_weight(name="total", shape=(input_dim,), initializer="zeros", trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total
"""


@pytest.mark.slow
def test_a_notebook_s_classes_share_one_probe_and_a_crash_costs_no_other_class_its_points(monkeypatch):
    from checker.classroom import layer_grading
    from checker.classroom.clean_grading import verdicts
    from checker.classroom.evidence import Evidence, layer_program

    cells = [nbformat.v4.new_code_cell(s) for s in [*LAYER_NOTEBOOK[:3], COMPUTE_SUM]]
    simple_dense, compute_sum = (layer_program(cells, e).program for e in ("simple_dense", "compute_sum"))
    crashing = simple_dense.replace("def call(self, inputs):", "def call(self, inputs):\n        os._exit(3)")
    probes = []
    real_run_probes = layer_grading.run_probes
    monkeypatch.setattr(
        layer_grading, "run_probes", lambda jobs, *a: probes.append(len(jobs)) or real_run_probes(jobs, *a)
    )

    reports = layer_grading.grade_layer_programs(
        [(simple_dense, "simple_dense"), (compute_sum, "compute_sum")]
    )
    assert [r.score for r in reports] == [10, 10] and probes == [2]  # one process, one TensorFlow import

    probes.clear()
    crashed = layer_grading.grade_layer_programs(
        [("import os\n" + crashing, "simple_dense"), (compute_sum, "compute_sum")]
    )
    assert crashed[1].score == 10 and probes == [2, 1, 1]  # each tried again alone
    assert crashed[0].score == 0 and "stopped the process" in str(crashed[0])

    # And through the clean process that CleanVerdicts uses, next to a cell that did not run:
    found = verdicts(
        [
            Evidence("simple_dense", program=simple_dense),
            Evidence("qa_model", problem="The cell was not run."),
            Evidence("compute_sum", program=compute_sum),
        ]
    )
    assert [(v.exercise, v.share) for v in found] == [
        ("simple_dense", 1.0),
        ("qa_model", 0.0),
        ("compute_sum", 1.0),
    ]


def test_the_class_table_and_its_csv(tmp_path):
    from checker.classroom.results import ClassTable, format_table, write_csv

    table = ClassTable(
        ["01_a", "02_b"],
        {"01_a": 20.0, "02_b": 10.0},
        {"ann": {"01_a": 17.75, "02_b": 10.0}, "bo": {"01_a": 0.0}},
    )
    text = format_table(table)
    assert text.splitlines()[0].split() == ["student", "01_a", "02_b", "total"]
    assert "17.75" in text and "27.75" in text and " -" in text
    write_csv(table, tmp_path / "scores.csv")
    assert (tmp_path / "scores.csv").read_text().splitlines() == [
        "student,01_a,02_b,total,needs_attention",
        "ann,17.75,10,27.75,",
        "bo,0,,0,",
        "(max),20,10,30,",
    ]


def test_parallel_autograde_hands_out_the_longest_known_work_first():
    from collections import deque

    from checker.classroom.pool import Durations

    durations = Durations()
    pending = deque(
        Submission(student, assignment)
        for student in ("ann", "bob", "cy")
        for assignment in ("01_short", "07_long")
    )
    assert durations.take_longest(pending) == Submission("ann", "01_short")  # untimed: in order
    assert durations.take_longest(pending) == Submission("ann", "07_long")
    durations.add(Submission("ann", "01_short"), 5.0)
    durations.add(Submission("ann", "07_long"), 20.0)
    durations.add(Submission("x", "07_long"), "not a number")  # a broken answer is ignored
    order = [durations.take_longest(pending) for _ in range(len(pending))]
    assert order == [
        Submission("bob", "07_long"),
        Submission("cy", "07_long"),
        Submission("bob", "01_short"),
        Submission("cy", "01_short"),
    ]


def test_a_local_cluster_s_kernels_share_the_cores_and_a_cluster_of_your_own_is_left_alone(monkeypatch):
    from checker.classroom.execute import KERNEL_THREADS_ENV, GuardedExecute
    from checker.classroom.pool import _cores_shared

    monkeypatch.delenv(KERNEL_THREADS_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    with _cores_shared(2, scheduler=None):
        local = GuardedExecute()._thread_limits()
    with _cores_shared(2, scheduler="tcp://10.0.0.5:8786"):
        remote = GuardedExecute()._thread_limits()

    assert local == {"TF_NUM_INTRAOP_THREADS": "4", "TF_NUM_INTEROP_THREADS": "4", "OMP_NUM_THREADS": "4"}
    assert remote == {}
    assert KERNEL_THREADS_ENV not in os.environ


@pytest.mark.slow
def test_a_layer_class_that_fills_the_probe_s_disk_is_stopped_and_leaves_nothing():
    """The probe runs learner code too: a class body that wrote 1 GB files in a loop had no limit
    but the probe's time (120 s), and a chain of folders too deep for rmtree broke its cleanup."""
    from checker.classroom import layer_grading
    from checker.classroom.evidence import layer_program

    program = layer_program([nbformat.v4.new_code_cell(s) for s in LAYER_NOTEBOOK], "simple_dense").program
    filling = program.replace(
        "class SimpleDense(keras.layers.Layer):",
        "class SimpleDense(keras.layers.Layer):\n"
        "    import os\n"
        "    _folder = os.open('.', os.O_RDONLY)\n"
        "    for _ in range(40):\n"
        "        os.mkdir('n' * 255, dir_fd=_folder)\n"
        "        _folder = os.open('n' * 255, os.O_RDONLY, dir_fd=_folder)\n"
        "    for _number in range(30):\n"
        "        open(f'junk_{_number}', 'wb').write(bytes(32 * 1024**2))\n",
    )
    report = layer_grading.grade_layer_program(filling, "simple_dense", timeout=60)
    assert report.score == 0 and "to disk and was stopped" in str(report), str(report)
    assert layer_grading.grade_layer_program(program, "simple_dense").score == 10


def test_a_submission_with_a_link_anywhere_has_its_notebooks_withheld_from_nbgrader(tmp_path):
    """nbgrader's pre-convert hook: nbgrader fails a submission whose notebook list is empty."""
    from checker.classroom.sanitize import links_in_submission, refuse_linked_submissions

    submitted = tmp_path / "submitted"
    clean, linked, whole = (submitted / student / "01" for student in ("ann", "bob", "cid"))
    for folder in (clean, linked):
        (folder / "data").mkdir(parents=True)
        (folder / "01.ipynb").write_text("{}")
    (linked / "data" / "x.csv").symlink_to(tmp_path / "gradebook.db")
    (submitted / "cid").mkdir()
    whole.symlink_to(tmp_path / "source" / "01", target_is_directory=True)

    assert links_in_submission(clean) == []
    assert links_in_submission(linked) == ["bob/01/data/x.csv"]
    assert links_in_submission(whole) == ["cid/01"]
    notebooks = [str(clean / "01.ipynb")]
    refuse_linked_submissions(notebooks=notebooks, log=logging.getLogger("test"))
    assert notebooks == [str(clean / "01.ipynb")]
    notebooks = [str(linked / "01.ipynb")]
    refuse_linked_submissions(notebooks=notebooks, log=logging.getLogger("test"))
    assert notebooks == []
