"""Class-grading evidence the learner's kernel cannot rewrite, limits per notebook, and failures.

Without kernels: the evidence channel and its windows (evidence_channel.py), the candidates
of a window (evidence.py), the lowest-score rule and checker errors (verdicts.py,
clean_grading.py, commands/grade.py, layer_grading.py), the output and time limits of
GuardedExecute. Marked slow: a real round trip on the small course of
checker/classroom/simulate.py with a class of attacks and mistakes, read back from the
gradebook.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from argparse import Namespace
from pathlib import Path

import nbformat
import pytest

from checker import evidence_channel
from checker.classroom import simulate
from checker.classroom.layout import Course
from checker.cli import main as checker_main
from checker.evidence_channel import EvidenceServer, Window, send

MODELS = "01_small_models"
WRONG_MLP = simulate.FUNCTIONAL_MLP.replace(
    'Dense(32, activation="relu")(x)', 'Dense(16, activation="relu")(x)'
)


def description_of(answer: str) -> dict:
    """The description checker.autograde sends for this answer's model, made here."""
    import keras
    from keras import layers

    from checker.observe.describe import describe

    namespace = {"keras": keras, "layers": layers}
    exec(answer, namespace)  # noqa: S102 - the test's own answers
    return describe(namespace["build_functional_mlp"]())


def honest_score(answer: str) -> float:
    from checker import grade_description

    return grade_description(description_of(answer), "functional_mlp").score


@pytest.fixture
def server():
    server = EvidenceServer.start()
    yield server
    server.stop()


def _message(description=None, exercise="functional_mlp", error=None) -> dict:
    return {"exercise": exercise, "description": description, "builder_error": error}


# ---------------------------------------------------------------- the channel


def test_a_message_sent_inside_a_test_cell_s_window_is_kept_with_that_cell(server):
    server.open_window(7)
    assert send(_message(), str(server.socket_path))
    window = server.close_window()
    assert window.cell == 7 and [json.loads(m) for m in window.messages] == [_message()]


def test_messages_outside_every_window_are_discarded(server):
    assert send(_message(), str(server.socket_path))  # acknowledged, then thrown away
    server.open_window(2)
    window = server.close_window()
    assert window.messages == [] and not window.flooded
    assert send(_message(), str(server.socket_path))
    assert server.close_window() is None


def test_the_socket_is_in_a_private_folder_named_in_one_place(server):
    assert server.folder.name.startswith(evidence_channel.FOLDER_PREFIX)
    assert server.folder.stat().st_mode & 0o077 == 0
    assert evidence_channel.socket_folder(server.socket_path) == server.folder


def test_the_server_folder_is_removed_when_it_stops():
    server = EvidenceServer.start()
    server.stop()
    assert not server.folder.exists()
    assert send(_message(), str(server.socket_path)) is False


def test_a_flood_of_connections_marks_the_window_and_never_hangs(server):
    server.open_window(1)
    started = time.monotonic()
    sent = [
        send(_message(), str(server.socket_path)) for _ in range(evidence_channel.MAX_MESSAGES_PER_WINDOW + 5)
    ]
    window = server.close_window()
    assert window.flooded and len(window.messages) <= evidence_channel.MAX_MESSAGES_PER_WINDOW
    assert sent.count(False) >= 5
    assert time.monotonic() - started < 10


def test_a_stalled_connection_costs_at_most_the_drain_time_and_the_cell_s_message_is_kept(server):
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.open_window(3)
    stalled.connect(str(server.socket_path))
    stalled.sendall(b'{"exercise": ')  # and never finishes
    assert send(_message(), str(server.socket_path))
    started = time.monotonic()
    window = server.close_window()
    assert time.monotonic() - started < evidence_channel.DRAIN_SECONDS + 1
    assert [json.loads(m) for m in window.messages] == [_message()]
    stalled.close()


def test_an_oversized_message_is_dropped(server, monkeypatch):
    monkeypatch.setattr(evidence_channel, "MAX_EVIDENCE_BYTES", 1000)
    server.open_window(1)
    assert not send(_message({"padding": "x" * 5000}), str(server.socket_path))
    assert server.close_window().messages == []


def test_a_connection_made_during_the_cell_is_counted_even_if_it_is_read_after_the_reply(server):
    server.open_window(5)
    late = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    late.connect(str(server.socket_path))  # a post_run_cell hook: connected before the reply

    def finish():
        time.sleep(0.3)
        late.sendall(json.dumps(_message()).encode())
        late.shutdown(socket.SHUT_WR)

    threading.Thread(target=finish).start()
    window = server.close_window()
    late.close()
    assert len(window.messages) == 1


# ---------------------------------------------------------------- what grade() sends


GRADE_IN_CLASS = """
import json, sys
from checker.evidence_channel import EvidenceServer, SOCKET_ENV
import os
server = EvidenceServer.start()
os.environ[SOCKET_ENV] = str(server.socket_path)
import keras
from keras import layers
from checker.autograde import grade
{answer}
def broken():
    raise ValueError("no model today")
class SimpleDense(layers.Layer):
    pass
imported_before = {{m for m in sys.modules if m.startswith("checker.judge")}}  # by checker/__init__
windows = []
for subject, exercise, record in [(build_functional_mlp, "functional_mlp", True), (broken, "functional_mlp", True),
                                  (build_functional_mlp, "functional_mlp", False), (SimpleDense, "simple_dense", True)]:
    server.open_window(len(windows))
    value = grade(subject, exercise, record=record)
    windows.append([json.loads(m) for m in server.close_window().messages])
server.stop()
judged = sorted({{m for m in sys.modules if m.startswith("checker.judge")}} - imported_before)
print(json.dumps({{"windows": windows, "judge_modules": judged, "value": repr(value)}}))
"""


@pytest.fixture(scope="module")
def sent_in_class():
    """grade() in grading mode, in a fresh process: what reached the server, and what it printed."""
    done = subprocess.run(
        [sys.executable, "-c", GRADE_IN_CLASS.format(answer=simulate.FUNCTIONAL_MLP)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.mark.slow  # a fresh process imports Keras
def test_grade_in_class_sends_the_description_and_judges_nothing(sent_in_class):
    result, _ = sent_in_class
    (message,) = result["windows"][0]
    from checker import grade_description

    assert message["exercise"] == "functional_mlp" and message["builder_error"] is None
    assert message["description"]["kind"] == "functional"
    assert grade_description(message["description"], "functional_mlp").score == 10
    assert result["judge_modules"] == []


@pytest.mark.slow  # a fresh process imports Keras
def test_grade_in_class_sends_the_builder_s_error(sent_in_class):
    result, _ = sent_in_class
    (message,) = result["windows"][1]
    assert message["description"] is None
    assert message["builder_error"] == {"type": "ValueError", "message": "no model today"}


@pytest.mark.slow  # a fresh process imports Keras
def test_grade_in_class_sends_nothing_for_record_false_and_for_layer_classes(sent_in_class):
    result, _ = sent_in_class
    assert result["windows"][2] == [] and result["windows"][3] == []
    assert result["value"] == "0"


@pytest.mark.slow  # a fresh process imports Keras
def test_grade_in_class_writes_nothing_to_stderr_of_its_own(sent_in_class):
    _, stderr = sent_in_class
    assert "checker" not in stderr and "Traceback" not in stderr


# ---------------------------------------------------------------- candidates of a window


def _window(*messages) -> Window:
    return Window(cell=4, messages=[json.dumps(m).encode() for m in messages])


def test_every_distinct_description_of_the_window_is_a_candidate():
    from checker.classroom.evidence import received_candidates

    right, wrong = description_of(simulate.FUNCTIONAL_MLP), description_of(WRONG_MLP)
    candidates = received_candidates(
        _window(_message(wrong), _message(right), _message(right)), "functional_mlp"
    )
    assert [c.description for c in candidates] == [wrong, right]


def test_malformed_messages_and_other_exercises_are_not_candidates():
    from checker.classroom.evidence import received_candidates

    wrong = description_of(WRONG_MLP)
    window = _window(_message(wrong), _message(wrong, exercise="qa_model"), {"junk": 1})
    window.messages.append(b"\xff not json")
    assert [c.description for c in received_candidates(window, "functional_mlp")] == [wrong]


def test_a_description_whose_layers_the_grader_cannot_read_is_refused():
    from checker.classroom.evidence import message_evidence

    forged = {"format": "checker-description/1", "kind": "functional", "config": {}, "output_shapes": {}}
    assert (
        "not one the checker made" in message_evidence(json.dumps(_message(forged)), "functional_mlp").problem
    )


def test_a_flooded_window_scores_nothing_and_says_why():
    from checker.classroom.evidence import received_candidates

    window = _window(_message(description_of(simulate.FUNCTIONAL_MLP)))
    window.flooded = True
    (candidate,) = received_candidates(window, "functional_mlp")
    assert candidate.description is None and "tampered" in candidate.problem


def test_a_builder_that_raised_is_a_zero_candidate_with_its_error_as_feedback():
    from checker.classroom.evidence import received_candidates
    from checker.classroom.verdicts import lowest_verdict

    error = {"type": "ValueError", "message": "Input 0 of layer dense is incompatible"}
    right = description_of(simulate.FUNCTIONAL_MLP)
    candidates = received_candidates(_window(_message(error=error), _message(right)), "functional_mlp")
    assert len(candidates) == 2
    result = lowest_verdict(candidates)
    assert result.share == 0
    assert "build_functional_mlp() raised ValueError: Input 0 of layer dense" in result.problem


def test_the_lowest_candidate_counts_so_an_added_right_description_earns_nothing():
    from checker.classroom.evidence import received_candidates
    from checker.classroom.verdicts import lowest_verdict

    right, wrong = description_of(simulate.FUNCTIONAL_MLP), description_of(WRONG_MLP)
    honest = honest_score(WRONG_MLP)
    assert 0 < honest < 10
    for order in ([right, wrong], [wrong, right]):
        result = lowest_verdict(received_candidates(_window(*map(_message, order)), "functional_mlp"))
        assert result.report["score"] == pytest.approx(honest)


def test_a_candidate_the_checker_fails_on_leaves_the_honest_answer_s_score():
    """Sent by learner code next to the test cell's answer: no 'needs attention', no 0 forced."""
    from checker.classroom.evidence import received_candidates
    from checker.classroom.verdicts import lowest_verdict
    from checker.observe.describe import FORMAT

    wrong = description_of(WRONG_MLP)
    claims_a_bug = {"format": FORMAT, "kind": "checker_error", "error": "give this student 10/10 by hand"}
    crashes_the_judge = copy.deepcopy(wrong)
    crashes_the_judge["config"]["layers"][1]["config"]["units"] = [[{}]]
    not_a_description = ["not", "a", "description"]
    for forged in (claims_a_bug, crashes_the_judge, not_a_description):
        for order in ([forged, wrong], [wrong, forged]):
            result = lowest_verdict(received_candidates(_window(*map(_message, order)), "functional_mlp"))
            assert not result.checker_error and not result.problem, (forged, result)
            assert result.report["score"] == pytest.approx(honest_score(WRONG_MLP))
    alone = lowest_verdict(received_candidates(_window(_message(claims_a_bug)), "functional_mlp"))
    assert "give this student 10/10 by hand" in alone.checker_error  # quoted for the instructor
    assert "the kernel that ran it says" in alone.checker_error


# ---------------------------------------------------------------- wording of errors


def _test_cell(ename: str, evalue: str):
    cell = nbformat.v4.new_code_cell('grade(build_functional_mlp, "functional_mlp")')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 10, "grade_id": "functional_mlp"}
    cell.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])]
    cell.execution_count = 5
    return cell


def test_an_undefined_builder_is_reported_as_that_not_as_tampering():
    from checker.classroom.evidence import did_not_complete

    problem = did_not_complete(_test_cell("NameError", "name 'build_functional_mlp' is not defined"))
    assert problem == (
        "The cell raised NameError: name 'build_functional_mlp' is not defined. "
        "Does the cell defining build_functional_mlp run without errors?"
    )


def test_other_errors_in_the_test_cell_point_at_the_cells_before_it_without_accusing():
    from checker.classroom.evidence import did_not_complete

    problem = did_not_complete(_test_cell("ModuleNotFoundError", "No module named 'checker'"))
    assert "ModuleNotFoundError" in problem and "cells before it" in problem
    assert "tamper" not in problem and "changed what it runs" not in problem


# ---------------------------------------------------------------- checker errors


def test_checker_grade_exits_3_with_a_structured_line_when_the_checker_fails(tmp_path, monkeypatch, capsys):
    import checker
    from checker.commands import grade

    path = tmp_path / "model.json"
    path.write_text(json.dumps(description_of(simulate.FUNCTIONAL_MLP)))

    def bug(description, exercise_id):
        raise KeyError("layers")

    monkeypatch.setattr(checker, "grade_description", bug)
    status = grade.run(Namespace(file=str(path), exercise="functional_mlp", json=True))
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert status == grade.EXIT_CHECKER_ERROR == 3
    assert json.loads(out) == {
        "error": "checker",
        "exercise": "functional_mlp",
        "message": json.loads(out)["message"],
    }
    assert "KeyError" in json.loads(out)["message"]


def test_checker_grade_still_exits_2_for_a_file_it_cannot_use(tmp_path, capsys):
    from checker.commands import grade

    path = tmp_path / "model.json"
    path.write_text("[1, 2]")
    assert grade.run(Namespace(file=str(path), exercise="functional_mlp", json=True)) == 2


@pytest.mark.parametrize(
    "returncode, stdout, outcome",
    [
        (3, '{"error": "checker", "exercise": "functional_mlp", "message": "KeyError: x"}\n', "checker"),
        (-9, "", "checker"),  # killed: nothing to do with the evidence
        (1, "not a report\n", "checker"),
        (2, "", "learner"),  # the description could not be used
    ],
)
def test_the_clean_process_s_answer_decides_whose_problem_it_is(returncode, stdout, outcome):
    from checker.classroom import clean_grading

    done = subprocess.CompletedProcess([], returncode, stdout, "some stderr line")
    expected = clean_grading.CheckerFailed if outcome == "checker" else clean_grading.GradingFailed
    with pytest.raises(expected):
        clean_grading._parse_report(done, "functional_mlp")


def test_a_checker_error_fails_the_submission_instead_of_scoring_zero(monkeypatch):
    from checker.classroom import verdicts
    from checker.classroom.clean_grading import Verdict

    cell = _test_cell("x", "y")
    cell.outputs = []
    nb = nbformat.v4.new_notebook(cells=[cell])
    window = _window(_message(description_of(simulate.FUNCTIONAL_MLP)))
    monkeypatch.setattr(
        verdicts,
        "verdicts",
        lambda candidates, timeout: [
            Verdict("functional_mlp", 0.0, checker_error="boom") for _ in candidates
        ],
    )
    with pytest.raises(verdicts.NeedsAttention, match="checker error: needs attention: boom"):
        verdicts.CleanVerdicts().preprocess(nb, {verdicts.EVIDENCE_KEY: {"functional_mlp": window}})


def test_malformed_layer_observations_are_the_learner_s_zero_but_a_judge_bug_is_not(monkeypatch):
    from checker.classroom import layer_grading
    from checker.judge import layer_judge
    from checker.observe.layer_setup import make_inputs

    inputs = make_inputs("simple_dense", seed=3)
    malformed = {"exercise": "simple_dense", "subject": {"kind": "layer_class"}, "calls": [{"output": "x"}]}
    assert layer_grading.judge(malformed, "simple_dense", inputs).score == 0
    honest = {"exercise": "simple_dense", "subject": {"kind": "none"}, "failure": None}

    def bug(observations, exercise, inputs):
        raise IndexError("judge bug")

    monkeypatch.setattr(layer_judge, "judge_layer_observations", bug)
    with pytest.raises(IndexError):
        layer_grading.judge(honest, "simple_dense", inputs)


def test_the_layer_grader_exits_3_with_a_structured_line_on_a_checker_bug(tmp_path, monkeypatch, capsys):
    from checker.classroom import layer_grading

    program = tmp_path / "layer.py"
    program.write_text("class SimpleDense: pass\n")

    def bug(programs, timeout):
        raise RuntimeError("judge bug")

    monkeypatch.setattr(layer_grading, "grade_layer_programs", bug)
    assert layer_grading.main([str(program), "simple_dense"]) == 3
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["error"] == "checker"


# ---------------------------------------------------------------- limits, without a kernel


def _guarded(**traits):
    from checker.classroom.execute import GuardedExecute

    execute = GuardedExecute(**traits)
    execute._start_limits({})
    execute.clear_before_next_output = False  # set by nbclient when a cell starts
    return execute


def _stream(text: str, name: str = "stdout") -> dict:
    return _kernel_message("stream", {"name": name, "text": text})


def _kernel_message(msg_type: str, content: dict) -> dict:
    return {
        "msg_type": msg_type,
        "header": {"msg_type": msg_type},
        "parent_header": {"msg_id": "m"},
        "content": content,
    }


def test_output_past_the_notebook_s_limit_is_dropped_as_it_arrives_with_one_note():
    execute = _guarded(max_output_bytes=10_000)
    outs = []
    for _ in range(50):
        execute.output(outs, _stream("x" * 1000), None, 0)
    error = _kernel_message(
        "error", {"ename": "ValueError", "evalue": "v" * 100_000, "traceback": ["t" * 100_000] * 50}
    )
    execute.output(outs, error, None, 0)
    execute.output(outs, _stream("oops", "stderr"), None, 0)
    size = len(json.dumps(outs))
    assert size < 40_000  # 10 kB kept, the error shortened to about 22 kB, of 5 MB sent
    notes = [o for o in outs if o.get("name") == "stdout" and "Output cut" in o["text"]]
    assert len(notes) == 1
    assert outs[-2]["output_type"] == "error" and outs[-2]["ename"] == "ValueError"  # nbgrader scores it
    assert outs[-1]["name"] == "stderr"  # so does a stderr stream


def test_the_cell_timeout_is_cut_to_what_is_left_of_the_notebook_s_time():
    execute = _guarded(notebook_timeout=50, timeout=120)
    cell = nbformat.v4.new_code_cell("1")
    assert 45 <= execute._get_timeout(cell) <= 50
    execute._deadline = time.monotonic() - 1
    assert execute._get_timeout(cell) == 1 and execute._out_of_time()


def test_the_course_config_sets_the_limits_per_notebook(tmp_path):
    from checker.classroom.config import DEFAULT_MAX_DISK_BYTES, config_text, load_config

    (tmp_path / "nbgrader_config.py").write_text(config_text(notebook_timeout=77, max_output_bytes=1234))
    config = load_config(Course(tmp_path))
    assert config.GuardedExecute.notebook_timeout == 77
    assert config.GuardedExecute.max_output_bytes == 1234
    assert config.GuardedExecute.max_disk_bytes == DEFAULT_MAX_DISK_BYTES


# ---------------------------------------------------------------- round trip (slow)

CELL_TIMEOUT = 120  # the import cell alone took over 40 s here while the flood and 200 MB ran beside it
NOTEBOOK_TIMEOUT = 45  # for the student who sleeps only (the others get the default): the kernel start
# and the first test cell take about 10 s here, 25 s on a busy machine

RIGHT_DESCRIPTION = """from checker.evidence_channel import send
from checker.observe.describe import describe
_in = keras.Input(shape=(64,))
_hidden = layers.Dense(32, activation="relu")(layers.Dense(32, activation="relu")(_in))
RIGHT = describe(keras.Model(_in, layers.Dense(10, activation="softmax")(_hidden)))
"""

HOOK = (
    RIGHT_DESCRIPTION
    + """def _send_right(result):
    send({"exercise": "functional_mlp", "description": RIGHT})
get_ipython().events.register("post_run_cell", _send_right)"""
)

THREAD = (
    RIGHT_DESCRIPTION
    + """import threading, time
def _keep_sending():
    while True:
        send({"exercise": "functional_mlp", "description": RIGHT})
        time.sleep(1)
threading.Thread(target=_keep_sending, daemon=True).start()"""
)

FLOOD = (
    RIGHT_DESCRIPTION
    + """import os, socket, threading
def _flood():
    while True:
        send({"exercise": "functional_mlp", "description": RIGHT})
def _stall():
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(os.environ["CHECKER_EVIDENCE_SOCKET"])
            s.sendall(b'{"exercise": "functional_mlp", ')
        except OSError:
            pass
for target in [_flood, _flood, _stall]:
    threading.Thread(target=target, daemon=True).start()"""
)

PRINT_200_MB = """for _ in range(200):
    print("x" * 1_000_000)"""

SLEEP = "import time\ntime.sleep(20)"

FILL_DISK = """for i in range(100):  # 3.2 GB, were nothing to stop it
    with open(f"junk_{i}.bin", "wb") as junk:
        junk.write(bytes(32 * 1024**2))"""
DISK_LIMIT = 200_000_000
# Each file removed while still open: its space stays taken, and no walk of the folder finds it.
HOLD_REMOVED_FILES = """import os
held = []
for i in range(100):  # 3.2 GB, were nothing to stop it
    junk = open(f"junk_{i}.bin", "wb")
    junk.write(bytes(32 * 1024**2))
    junk.flush()
    os.remove(f"junk_{i}.bin")
    held.append(junk)"""

# The kernel owns its side of the messaging and knows the key: it can sign a message that is not JSON.
UNREADABLE_MESSAGE = """import time
session = get_ipython().kernel.session
session.pack = lambda content: b"{not json"
print("this output is sent as a message nothing can read")
time.sleep(2)"""

# Widget state travels in comm messages, which no output limit counted, into the notebook's metadata.
WIDGET_STATE = """from comm import create_comm
for number in range(30):
    create_comm(target_name="jupyter.widget", data={"state": {"value": "x" * 1_000_000}, "buffer_paths": []})"""

# One update replaces every earlier output with its display id: 300 tiny displays, then 1.5 MB.
DISPLAY_UPDATE = """from IPython.display import display, update_display
for _ in range(300):
    display({"text/plain": "x"}, raw=True, display_id="same")
update_display({"text/plain": "y" * 1_500_000}, raw=True, display_id="same")"""

# Past the output limit results and errors were kept (shortened): as many as the kernel sent.
MANY_RESULTS = """import sys
for _ in range(20_000):
    sys.displayhook("z" * 5000)"""

# The kernel's IPC sockets live in a folder it may write: each replaced by a link, then the kernel
# exits, and the grader's ZeroMQ sockets reconnect to wherever the links point.
REDIRECTS_THE_GRADER = """import glob, os
from ipykernel.kernelapp import IPKernelApp
for path in glob.glob(IPKernelApp.instance().ip + "-*"):
    os.remove(path)
    os.symlink({target!r}, path)
os._exit(0)"""

BUILDER_RAISES = """def build_functional_mlp():
    raise ValueError("not built yet")"""

RIGHT = {"functional_mlp": simulate.FUNCTIONAL_MLP, "residual_identity": simulate.RESIDUAL_IDENTITY}
WRONG = {"functional_mlp": WRONG_MLP, "residual_identity": simulate.RESIDUAL_IDENTITY}

# student -> (answers, changes)
CLASS = {
    "right": (RIGHT, ()),
    "hook": (WRONG, [simulate.insert_before_test("functional_mlp", HOOK)]),
    "thread": (WRONG, [simulate.insert_before_test("functional_mlp", THREAD)]),
    "flood": (WRONG, [simulate.insert_before_test("functional_mlp", FLOOD)]),
    "prints": (RIGHT, [simulate.insert_before_test("functional_mlp", PRINT_200_MB)]),
    "syntax_error": ({**RIGHT, "functional_mlp": simulate.SYNTAX_ERROR}, ()),
    "builder_raises": ({**RIGHT, "functional_mlp": BUILDER_RAISES}, ()),
}


def _make_course(root: Path) -> Course:
    simulate.write_small_solutions(root / "solutions", {MODELS: simulate.SMALL_COURSE[MODELS]})
    arguments = ["classroom", "init", str(root / "course"), "--solutions-dir", str(root / "solutions")]
    assert checker_main([*arguments, "--timeout", str(CELL_TIMEOUT)]) == 0
    return Course(root / "course")


def _graded_with_a_cell_before_the_last_test(course: Course, student: str, code: str, **execute_traits):
    """A right submission with `code` run just before residual_identity's test cell, graded."""
    simulate.submit(course, student, MODELS, RIGHT, [simulate.insert_before_test("residual_identity", code)])
    outcome = _autograde_in_process(course, student, **execute_traits)
    assert outcome.success, outcome.log[-2000:] + outcome.error[-2000:]
    return outcome


def _autograde_in_process(course: Course, student: str, **execute_traits):
    """nbgrader autograde of one student in this process (so that monkeypatches apply)."""
    from checker.classroom.config import load_config
    from checker.classroom.nbgrader_run import run_converter

    config = load_config(course)
    for name, value in execute_traits.items():
        setattr(config.GuardedExecute, name, value)
    return run_converter("autograde", config, MODELS, student, force=True, create_student=True)


def _scores(course: Course, student: str) -> dict:
    from checker.classroom.results import cell_scores

    return {k[2]: v for k, v in cell_scores(course).items() if k[0] == student}


@pytest.fixture(scope="module")
def course(tmp_path_factory, venv_kernel) -> Course:
    course = _make_course(tmp_path_factory.mktemp("evidence"))
    for student, (answers, changes) in CLASS.items():
        simulate.submit(course, student, MODELS, answers, changes)
    return course


@pytest.fixture(scope="module")
def graded(course) -> dict:
    """`classroom autograde --jobs 2`, then every grade cell's score from the gradebook."""
    from checker.classroom.results import cell_scores

    errors = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stderr(errors):
        checker_main(["classroom", "autograde", str(course.root), "--jobs", "2"])
    print(f"classroom autograde of {len(CLASS)} notebooks: {time.monotonic() - started:.0f} s")
    scores = {}
    for (student, _assignment, grade_id), score in cell_scores(course).items():
        scores.setdefault(student, {})[grade_id] = score
    return scores


def _autograded(course: Course, student: str) -> Path:
    return course.folder("autograded", student, MODELS) / f"{MODELS}.ipynb"


def _verdict_html(course: Course, student: str, exercise: str) -> str:
    cell = simulate.find_cell(nbformat.read(str(_autograded(course, student)), 4), exercise)
    return cell.outputs[0].data["text/html"]


@pytest.mark.slow
def test_round_trip_a_right_notebook_keeps_every_point(graded):
    assert graded["right"] == {"functional_mlp": 10, "residual_identity": 10}


@pytest.mark.slow
@pytest.mark.parametrize("student", ["hook", "thread"])
def test_round_trip_a_hook_or_thread_sending_a_right_model_earns_the_honest_wrong_score(graded, student):
    honest = honest_score(WRONG_MLP)
    assert graded[student] == {"functional_mlp": pytest.approx(honest), "residual_identity": 10}


@pytest.mark.slow
def test_round_trip_a_flood_of_connections_is_bounded_and_earns_no_more_than_the_honest_score(graded):
    assert graded["flood"]["functional_mlp"] in (0, pytest.approx(honest_score(WRONG_MLP)))
    assert graded["flood"]["residual_identity"] in (0, 10)


@pytest.mark.slow
def test_round_trip_200_mb_of_printing_leaves_a_small_notebook_and_every_point(graded, course):
    assert graded["prints"] == {"functional_mlp": 10, "residual_identity": 10}
    assert _autograded(course, "prints").stat().st_size < 3_000_000
    feedback = course.folder("feedback", "prints", MODELS) / f"{MODELS}.html"
    assert feedback.stat().st_size < 4_000_000
    text = _autograded(course, "prints").read_text()
    # ipykernel sends what was printed in 0.2 s as one message: past 64 MB it is refused unread
    assert "[Output cut" in text or "[Output refused" in text


DISPLAY_MB = 600
ONE_HUGE_DISPLAY = f"""from IPython.display import display
display({{"text/plain": "x" * {DISPLAY_MB} * 1_000_000}}, raw=True)"""
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest, with Keras).
PEAK_MEMORY = """import re, sys
from nbgrader.apps.nbgraderapp import NbGraderApp
try:
    NbGraderApp.launch_instance(sys.argv[1:])
finally:
    status = open("/proc/self/status").read()
    print("peak KiB", re.search(r"VmHWM:\\s*(\\d+)", status).group(1), file=sys.stderr)"""


@pytest.mark.slow
def test_round_trip_one_huge_display_message_never_sits_in_the_grader_s_memory(course):
    """One display message arrives whole: the grader refuses it at ZeroMQ's door, so it never
    holds it, reconnects to the kernel, and grades the rest; the notebook says what was dropped."""
    from checker.classroom.config import subprocess_environment

    huge_display = simulate.insert_before_test("residual_identity", ONE_HUGE_DISPLAY)
    simulate.submit(course, "displays", MODELS, RIGHT, [huge_display])
    done = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY, "autograde", MODELS, "--student", "displays", "--force"],
        cwd=course.root,
        env=subprocess_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    peak_mb = int(done.stderr.rsplit("peak KiB", 1)[1].split()[0]) / 1024
    print(f"nbgrader's peak memory with a {DISPLAY_MB} MB display message: {peak_mb:.0f} MB")
    assert peak_mb < DISPLAY_MB / 2, done.stderr[-2000:]
    assert "one message was larger than 64 MB; the rest is graded" in done.stderr
    assert _scores(course, "displays") == {"functional_mlp": 10, "residual_identity": 10}  # it goes on
    notebook = _autograded(course, "displays")
    assert notebook.stat().st_size < 3_000_000
    assert "Output refused: one output of this cell was larger than 64 MB" in notebook.read_text()


@pytest.mark.slow
def test_round_trip_the_notebook_time_limit_stops_later_cells_and_earlier_ones_keep_their_points(
    course, graded
):
    sleeps = [simulate.insert_before_test("residual_identity", SLEEP)] * 4  # 80 s after functional_mlp
    simulate.submit(course, "sleeps", MODELS, RIGHT, sleeps)
    started = time.monotonic()
    outcome = _autograde_in_process(course, "sleeps", notebook_timeout=NOTEBOOK_TIMEOUT)
    seconds = time.monotonic() - started
    print(f"notebook with a {NOTEBOOK_TIMEOUT} s limit and 80 s of sleep: graded in {seconds:.0f} s")
    assert outcome.success, outcome.log[-2000:]
    assert _scores(course, "sleeps") == {"functional_mlp": 10, "residual_identity": 0}
    assert "time limit" in _verdict_html(course, "sleeps", "residual_identity")
    assert "Limit reached: the notebook's time limit" in outcome.log
    assert seconds < NOTEBOOK_TIMEOUT + 60


@pytest.mark.slow
def test_round_trip_the_disk_limit_ends_the_kernel_deletes_what_it_wrote_and_earlier_cells_keep_points(
    course, graded
):
    simulate.submit(
        course, "fills_disk", MODELS, RIGHT, [simulate.insert_before_test("residual_identity", FILL_DISK)]
    )
    outcome = _autograde_in_process(course, "fills_disk", max_disk_bytes=DISK_LIMIT)
    assert outcome.success, outcome.log[-2000:]
    assert _scores(course, "fills_disk") == {"functional_mlp": 10, "residual_identity": 0}
    assert "Limit reached: the notebook's disk limit (it wrote more than 200 MB)" in outcome.log
    assert "its limit" in _verdict_html(course, "fills_disk", "residual_identity")
    autograded, submitted = (
        course.folder(step, "fills_disk", MODELS) for step in ("autograded", "submitted")
    )
    assert sorted(p.name for p in autograded.iterdir()) == sorted(p.name for p in submitted.iterdir())


@pytest.mark.slow
def test_round_trip_files_removed_but_held_open_count_against_the_disk_limit(course):
    outcome = _graded_with_a_cell_before_the_last_test(
        course, "holds_disk", HOLD_REMOVED_FILES, max_disk_bytes=DISK_LIMIT
    )
    assert "Limit reached: the notebook's disk limit (it wrote more than 200 MB)" in outcome.log
    assert _scores(course, "holds_disk") == {"functional_mlp": 10, "residual_identity": 0}


@pytest.mark.slow
def test_round_trip_a_kernel_message_that_cannot_be_read_stops_the_kernel_not_the_grading(course):
    _graded_with_a_cell_before_the_last_test(course, "garbles", UNREADABLE_MESSAGE)
    assert _scores(course, "garbles") == {"functional_mlp": 10, "residual_identity": 0}


@pytest.mark.slow
def test_round_trip_widget_state_does_not_get_past_the_output_limit(course):
    _graded_with_a_cell_before_the_last_test(course, "widgets", WIDGET_STATE)
    assert _scores(course, "widgets") == {"functional_mlp": 10, "residual_identity": 10}
    assert _autograded(course, "widgets").stat().st_size < 3_000_000


@pytest.mark.slow
def test_round_trip_an_update_of_many_displays_counts_each_copy_against_the_output_limit(course):
    """Counted once, the update above made a 450 MB notebook past a 2 MB output limit."""
    outcome = _graded_with_a_cell_before_the_last_test(course, "updates", DISPLAY_UPDATE)
    assert _scores(course, "updates") == {"functional_mlp": 10, "residual_identity": 10}
    assert _autograded(course, "updates").stat().st_size < 3_000_000
    assert "Limit reached: the notebook's output limit" in outcome.log


@pytest.mark.slow
def test_round_trip_past_the_output_limit_a_cell_keeps_one_result_and_one_error(course):
    """Each shortened to 2000 characters, 20,000 results made a 40 MB notebook past a 2 MB limit."""
    _graded_with_a_cell_before_the_last_test(course, "results", MANY_RESULTS)
    assert _scores(course, "results") == {"functional_mlp": 10, "residual_identity": 10}
    assert _autograded(course, "results").stat().st_size < 3_000_000


@pytest.mark.slow
def test_round_trip_a_submission_with_symbolic_links_is_refused_before_anything_is_read(course):
    """A submitted notebook that is a link to the solution notebook: nbgrader read it as the
    grader, and graded the solutions as the learner's (10/10); a linked data file was copied into
    the kernel's folder with the content of whatever it named (here the gradebook)."""
    folder = simulate.submit(course, "links", MODELS, WRONG)
    notebook = folder / f"{MODELS}.ipynb"
    notebook.unlink()
    notebook.symlink_to(course.folder("source", assignment=MODELS) / f"{MODELS}.ipynb")
    (folder / "data.csv").symlink_to(course.gradebook)
    outcome = _autograde_in_process(course, "links")
    assert not outcome.success
    assert "symbolic link" in outcome.log + outcome.error
    assert all(score in (None, 0) for score in _scores(course, "links").values())
    autograded = course.folder("autograded", "links", MODELS)
    assert not (autograded / "data.csv").exists()


@pytest.mark.slow
def test_round_trip_the_grader_s_sockets_never_follow_a_link_the_kernel_left(course, tmp_path):
    target = tmp_path / "service.sock"  # a service of the grading machine, out of the kernel's sight
    connections = []
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(target))
        server.listen(16)
        server.settimeout(0.2)
        stop = threading.Event()

        def serve():
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    connections.append(server.accept()[0])

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        attack = REDIRECTS_THE_GRADER.format(target=str(target))
        simulate.submit(
            course, "redirects", MODELS, RIGHT, [simulate.insert_before_test("residual_identity", attack)]
        )
        outcome = _autograde_in_process(course, "redirects")
        stop.set()
        thread.join(5)
    assert outcome.success, outcome.log[-2000:] + outcome.error[-2000:]
    assert _scores(course, "redirects") == {"functional_mlp": 10, "residual_identity": 0}
    assert connections == []


@pytest.mark.slow
def test_round_trip_no_submitted_file_runs_before_the_kernel_is_up_yet_a_learner_s_module_imports(course):
    """`python -m ipykernel_launcher` put the notebook's folder first on sys.path from the start:
    a submitted ipykernel_launcher.py ran before the kernel's sockets existed."""
    import_helper = simulate.insert_before_test("residual_identity", "from helper import ANSWER")
    folder = simulate.submit(course, "shadows", MODELS, RIGHT, [import_helper])
    (folder / "ipykernel_launcher.py").write_text("open('shadow_ran', 'w').close()\nraise SystemExit(1)\n")
    (folder / "helper.py").write_text("ANSWER = 42\n")
    outcome = _autograde_in_process(course, "shadows")
    assert outcome.success, outcome.log[-2000:] + outcome.error[-2000:]
    assert _scores(course, "shadows") == {"functional_mlp": 10, "residual_identity": 10}
    assert not (course.folder("autograded", "shadows", MODELS) / "shadow_ran").exists()


@pytest.mark.slow
def test_round_trip_a_syntax_error_says_the_builder_is_not_defined(graded, course):
    assert graded["syntax_error"] == {"functional_mlp": 0, "residual_identity": 10}
    text = _verdict_html(course, "syntax_error", "functional_mlp")
    assert "Does the cell defining build_functional_mlp run without errors?" in text
    assert "tamper" not in text and "changed what it runs" not in text


@pytest.mark.slow
def test_round_trip_a_builder_that_raises_shows_its_error(graded, course):
    assert graded["builder_raises"] == {"functional_mlp": 0, "residual_identity": 10}
    assert "build_functional_mlp() raised ValueError: not built yet" in _verdict_html(
        course, "builder_raises", "functional_mlp"
    )


@pytest.mark.slow
def test_round_trip_a_checker_error_fails_the_submission_with_needs_attention(course, graded, monkeypatch):
    """The clean grader fails like a checker bug: nbgrader fails that submission, no 0 is recorded."""
    from checker.classroom import clean_grading

    simulate.submit(course, "checker_bug", MODELS, RIGHT)
    real_run = clean_grading.run_in_own_session
    bug = "import json; print(json.dumps({'error': 'checker', 'message': 'KeyError: boom'})); raise SystemExit(3)"

    def crashing_grader(command, timeout, **kwargs):
        return real_run([sys.executable, "-c", bug], timeout, **kwargs)

    monkeypatch.setattr(clean_grading, "run_in_own_session", crashing_grader)
    outcome = _autograde_in_process(course, "checker_bug")
    assert not outcome.success
    assert "checker error: needs attention: functional_mlp: KeyError: boom" in outcome.log + outcome.error
    assert all(score is None for score in _scores(course, "checker_bug").values())  # not scored 0
    assert not _autograded(course, "checker_bug").exists()


def _duplicate_test_cell(notebook):
    import copy

    cell = simulate.find_cell(notebook, "functional_mlp")
    notebook.cells.insert(notebook.cells.index(cell), copy.deepcopy(cell))


def _duplicate_solution_cell(notebook):
    import copy

    cell = simulate.find_cell(notebook, "functional_mlp_solution")
    notebook.cells.insert(notebook.cells.index(cell) + 1, copy.deepcopy(cell))


def _test_cell_made_a_solution_cell(notebook):
    simulate.find_cell(notebook, "functional_mlp").metadata.nbgrader["solution"] = True


@pytest.mark.slow
@pytest.mark.parametrize(
    "student, change",
    [("copies_test_cell", _duplicate_test_cell), ("copies_solution", _duplicate_solution_cell)],
)
def test_round_trip_a_copied_nbgrader_cell_is_graded_instead_of_failing_the_notebook(
    course, graded, student, change
):
    simulate.submit(course, student, MODELS, RIGHT, [change])
    outcome = _autograde_in_process(course, student)
    assert outcome.success, outcome.log[-2000:]
    assert "is a copy of an nbgrader cell" in outcome.log
    assert _scores(course, student) == {"functional_mlp": 10, "residual_identity": 10}


@pytest.mark.slow
@pytest.mark.parametrize(
    "student, change, reason",
    [
        (
            "test_cell_made_solution",
            _test_cell_made_a_solution_cell,
            "Inconsistent checksums for cell functional_mlp",
        ),
        ("invalid_json", None, "NotJSONError"),
    ],
)
def test_round_trip_a_notebook_that_cannot_be_graded_fails_with_its_reason(
    course, graded, student, change, reason
):
    folder = simulate.submit(course, student, MODELS, RIGHT, [change] if change else [])
    if change is None:
        (folder / f"{MODELS}.ipynb").write_text('{"cells": [', encoding="utf-8")
    outcome = _autograde_in_process(course, student)
    assert not outcome.success and reason in outcome.log + outcome.error


def test_a_copied_nbgrader_cell_becomes_an_ordinary_cell_after_deduplication():
    import copy

    from nbgrader.preprocessors import DeduplicateIds

    from checker.classroom.sanitize import PlainCopies

    solution = nbformat.v4.new_code_cell("def build_functional_mlp(): ...")
    solution.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": "functional_mlp_solution"}
    nb = nbformat.v4.new_notebook(cells=[solution, copy.deepcopy(solution)])
    nb, _ = DeduplicateIds().preprocess(nb, {})
    assert nb.cells[0].metadata["nbgrader"] == {}  # what nbgrader's add_missing_cells then fails on
    nb, _ = PlainCopies().preprocess(nb, {})
    assert "nbgrader" not in nb.cells[0].metadata
    assert nb.cells[1].metadata["nbgrader"]["grade_id"] == "functional_mlp_solution"


def _signed(msg_type: str, content: dict) -> dict:
    return {
        "msg_type": msg_type,
        "header": {"msg_type": msg_type, "msg_id": "1"},
        "parent_header": {"msg_id": "m"},
        "metadata": {},
        "content": content,
    }


@pytest.mark.parametrize(
    ("msg_type", "content"),
    [
        ("display_data", {"data": {"text/plain": "x"}}),  # nbformat reads content["metadata"]
        ("error", {"ename": "ValueError"}),
        ("execute_result", {"data": {"text/plain": 5}, "metadata": {}, "execution_count": 1}),
        ("stream", {"name": "stdout", "text": ["x"]}),
        ("status", {"execution_state": "idle", "execution_count": "1"}),
    ],
)
def test_a_kernel_message_nbclient_would_choke_on_is_refused_at_the_door(msg_type, content):
    from checker.classroom.kernel_messages import KernelProtocolError, checked

    assert checked(_signed("stream", {"name": "stdout", "text": "fine"}))["msg_type"] == "stream"
    with pytest.raises(KernelProtocolError):
        checked(_signed(msg_type, content))
