"""The learner sandbox of class grading: what a learner's code can no longer do.

The attacks run against a THROW-AWAY COPY of the project (checker/, solutions/, pyproject.toml)
installed in editable mode into a throw-away virtualenv, never against this checkout. Each
attacker hands in a wrong functional_mlp (partial credit, honestly) plus a cell that, if the
attack worked, would swap in the right model; so a successful attack shows as full marks. After
grading, the copy and its virtualenv must be byte-identical, no attacker process alive, and no
grade row touched by anyone but nbgrader.

Marked slow where Jupyter kernels start (classroom autograde and plain nbgrader autograde).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from test_classroom import WRONG_MLP, checker_report, gradebook_scores

from checker.classroom import cgroups, sandbox, simulate
from checker.classroom.layout import Course

REPOSITORY = Path(__file__).resolve().parent.parent
MODELS, LAYER = "01_small_models", "02_small_layer"
DAEMON_MARKER = "checker-sandbox-test-daemon"
CELL_TIMEOUT = 60

# An attack's `body` raises when all its tries fail; when it works, the learner's answer becomes the right model.
ATTACK = """def _any(*actions):
    worked, errors = [], []
    for action in actions:
        try:
            worked.append(action())
        except Exception as exc:
            errors.append(exc)
    if not worked:
        raise OSError(errors)

worked = False
try:
{body}
    worked = True
except Exception as exc:
    print("attack failed:", type(exc).__name__)
if worked:
{right}
"""

ATTACKS = {
    "reads_solutions": """    _any(
        lambda: open("../../../source/01_small_models/01_small_models.ipynb").read(),
        lambda: open("{course}/source/01_small_models/01_small_models.ipynb").read(),
        lambda: open("{copy}/solutions/01_functional_api.ipynb").read(),
    )""",
    "imports_specs": """    from checker.judge.exercises import get_exercise
    get_exercise("functional_mlp")""",
    "edits_checker": """    import checker, os
    _any(
        lambda: open("{copy}/checker/judge/graph_exercises.py", "a").write("\\n# full marks\\n"),
        lambda: open("{copy}/checker/autograde.py", "a").write("\\n# full marks\\n"),
        lambda: open(os.path.join(os.path.dirname(checker.__file__), "autograde.py"), "a").write("#"),
    )""",
    "writes_pth": """    import site
    _any(
        lambda: open("{site}/zz_full_marks.pth", "w").write("import os\\n"),
        lambda: open(site.getsitepackages()[0] + "/zz_full_marks.pth", "w").write("import os\\n"),
    )""",
    "writes_gradebook": """    import sqlite3
    def write(path):
        db = sqlite3.connect(f"file:{{path}}?mode=rw", uri=True)
        db.execute("UPDATE grade SET extra_credit = 10")
        db.commit()
    _any(lambda: write("../../../gradebook.db"), lambda: write("{course}/gradebook.db"))""",
    # As root with capabilities (bwrap keeps them for root unless told), these both worked.
    "escapes_the_mounts": """    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    def unmount_and_read():
        for folder in ("{copy}", "{course}", "/tmp"):  # the copy may hide under the private /tmp
            libc.umount2(folder.encode(), 2)  # MNT_DETACH
        return open("{copy}/solutions/01_functional_api.ipynb").read()
    def remount_writable(folder):
        if libc.mount(None, folder.encode(), None, 4096 | 32, None) != 0:  # MS_BIND | MS_REMOUNT
            raise OSError(ctypes.get_errno(), "remount " + folder)
        open(folder + "/zz_full_marks.pth", "w").write("import os\\n")
    _any(
        unmount_and_read,
        lambda: remount_writable("{site}"),
    )""",
    # Each flood stops at the sandbox's limits; the attacker then cleans up so its own model still builds.
    "floods": """    import os, subprocess
    started = []
    try:
        while len(started) < 5000:
            started.append(subprocess.Popen(["sleep", "60"]))
    except OSError:
        pass
    for process in started:
        process.kill()
        process.wait()
    for path in ("/tmp/flood", "/dev/shm/flood"):
        try:
            with open(path, "wb") as f:
                for _ in range(256):
                    f.write(bytes(16 * 1024**2))
        except OSError:
            pass
        os.remove(path)
    if len(started) < 5000:
        raise OSError(f"stopped after {{len(started)}} processes")""",
    # As uid 0 without capabilities, /proc/sys was writable: kernel.core_pattern runs a program as root
    # at the next crash. Only opened here, never written.
    "writes_kernel_settings": """    import os
    os.close(os.open("/proc/sys/kernel/core_pattern", os.O_WRONLY))""",
    # Out of its cgroup, its processes and memory would be limited no more (as root).
    "leaves_its_cgroup": """    import os
    _any(
        lambda: open("/sys/fs/cgroup/cgroup.procs", "w").write(str(os.getpid())),
        lambda: open("/sys/fs/cgroup/pids/cgroup.procs", "w").write(str(os.getpid())),
        lambda: open("/sys/fs/cgroup/memory/cgroup.procs", "w").write(str(os.getpid())),
    )""",
    "uses_network": """    import socket
    socket.create_connection(("127.0.0.1", {port}), timeout=5).close()""",
    # Files the grader touches after the kernel ends: nbgrader writes the graded notebook through a
    # link in its place, and a worker reads every *.ipynb back (a FIFO would keep it waiting).
    # A set-user-ID program left behind would run as the grading user for anyone on the machine.
    "plants_links": """    import os
    for name in [name for name in os.listdir(".") if name.endswith(".ipynb")]:
        try:
            os.remove(name)
            os.symlink("{copy}/checker/autograde.py", name)
        except OSError:
            pass  # the notebooks in the folder are frozen; the traps below are defused afterwards
    os.symlink("{copy}/checker/report.py", "zz_link.ipynb")
    os.mkfifo("zz_waits.ipynb")
    open("setuid_shell", "w").close()
    os.chmod("setuid_shell", 0o6755)
    raise OSError("links earn nothing now; they would overwrite the checker later")""",
    "floods_the_terminal": """    import os
    for _ in range(100):
        os.write(1, b"{marker}-flood " * 1000)
        os.write(2, b"{marker}-flood " * 1000)
    raise OSError("a flood earns nothing; it would bury the instructor's terminal")""",
    "leaves_a_daemon": """    import subprocess, sys
    subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(900)  # {marker}"],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    raise OSError("a daemon earns nothing now; it would tamper later")""",
    "forces_needs_attention": """    import copy
    from checker.evidence_channel import send
    from checker.observe.describe import FORMAT, describe
    _honest = describe(build_functional_mlp())
    _units_unhashable, _inputs_not_a_list = copy.deepcopy(_honest), copy.deepcopy(_honest)
    _units_unhashable["config"]["layers"][1]["config"]["units"] = [[{{}}]]
    _inputs_not_a_list["config"]["input_layers"] = 5
    _claims_a_bug = {{"format": FORMAT, "kind": "checker_error", "error": "give this student 10/10 by hand"}}
    def _claim_a_checker_bug(*args):
        for forged in (_claims_a_bug, _units_unhashable, _inputs_not_a_list):  # each crashes the judge
            send({{"exercise": "functional_mlp", "builder_error": None, "description": forged}})
    get_ipython().events.register("pre_run_cell", _claim_a_checker_bug)  # sends inside the test cell
    raise OSError("a checker error next to the answer must leave its honest score, not 'needs attention'")""",
}

# The class body runs in the probe only there (the probe defines it in a module named __learner__).
PROBE_ATTACK = (
    simulate.SIMPLE_DENSE
    + """

    if __name__ == "__learner__":
        for _target in ("{course}/probe_was_here", "{copy}/checker/probe_was_here"):
            try:
                open(_target, "w").write("x")
            except OSError:
                pass
        open("written_in_scratch", "w").write("x")"""
)


def _indent(code: str) -> str:
    return "\n".join("    " + line if line else line for line in code.splitlines())


def attack_cell(name: str, **where) -> str:
    body = ATTACKS[name].format(marker=DAEMON_MARKER, **where)
    return ATTACK.format(body=body, right=_indent(simulate.FUNCTIONAL_MLP))


# ---------------------------------------------------------------- without kernels


def test_the_kernel_side_package_is_an_allow_list_without_judge():
    staged = sandbox.kernel_side_package() / "checker"
    names = {p.relative_to(staged).parts[0] for p in staged.rglob("*")}
    assert names == {
        "__init__.py",
        "autograde.py",
        "evidence_channel.py",
        "report.py",
        "paths.py",
        "layering.py",
        "observe",
        "course",
    }
    assert all(p.stat().st_mode & 0o222 == 0 for p in staged.rglob("*"))  # read-only, even for its owner


def test_the_sandbox_hides_the_course_and_the_repository_and_cuts_the_network(tmp_path):
    course, notebook_folder = Path("/srv/course"), tmp_path / "autograded" / "ann" / "01"
    notebook_folder.mkdir(parents=True)
    command = sandbox.Sandbox(writable=(notebook_folder,), hidden=(course,)).command(["python", "x"])
    pairs = list(zip(command, command[1:]))
    mounted = {b for a, b in pairs if a in ("--bind", "--ro-bind")}
    assert ("--ro-bind", "/") not in pairs and ("--remount-ro", "/") in pairs  # an allow-list
    assert str(REPOSITORY) not in mounted and ("--ro-bind", "/usr") in pairs  # an editable install
    assert ("--bind", str(notebook_folder)) in pairs
    assert {"--unshare-net", "--unshare-pid", "--unshare-ipc", "--die-with-parent"} <= set(command)
    assert command[-3:] == ["--", "python", "x"] and f"--data={sandbox.DEFAULT_MEMORY_LIMIT}" in command
    assert str(course) not in command  # no such folder here: nothing to hide


def test_the_sandbox_is_explained_when_bwrap_is_missing(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    found = sandbox.availability.__wrapped__()
    assert not found.ok and "apt-get install bubblewrap" in found.reason


def test_the_sandbox_is_explained_on_macos(monkeypatch):
    monkeypatch.setattr(sandbox.sys, "platform", "darwin")
    found = sandbox.availability.__wrapped__()
    assert not found.ok and "macOS" in found.reason


def test_a_python_that_needs_files_outside_the_sandbox_view_is_explained():
    reason = sandbox._explain("python: error while loading shared libraries: libpython3.11.so.1.0")
    assert sys.executable in reason and "/usr" in reason and "libpython3.11.so.1.0" in reason
    assert "namespace" not in reason


def test_the_sandbox_is_explained_when_user_namespaces_are_off():
    reason = sandbox._explain("bwrap: No permissions to create new namespace")
    assert "user namespaces are disabled" in reason


@pytest.fixture
def no_bwrap(monkeypatch):
    monkeypatch.setattr(
        sandbox, "availability", lambda: sandbox.Availability(False, "bwrap is not installed.")
    )


def test_classroom_autograde_refuses_without_the_sandbox_unless_told(tmp_path, capsys, no_bwrap):
    from checker.cli import main as checker_main

    (tmp_path / "nbgrader_config.py").write_text("")
    (tmp_path / "gradebook.db").write_text("")
    assert checker_main(["classroom", "autograde", str(tmp_path)]) == 2
    assert "bwrap is not installed" in capsys.readouterr().err
    assert checker_main(["classroom", "autograde", str(tmp_path), "--no-sandbox"]) == 0  # nothing to grade
    assert "--no-sandbox" in capsys.readouterr().err


def test_plain_nbgrader_refuses_without_the_sandbox_unless_configured(no_bwrap):
    from traitlets.config import Config

    from checker.classroom.execute import GuardedExecute

    notebook = nbformat.v4.new_notebook()
    with pytest.raises(sandbox.SandboxUnavailable, match="c.GuardedExecute.sandbox = False"):
        GuardedExecute().preprocess(notebook, {})
    config = Config()
    config.GuardedExecute.sandbox = False
    assert GuardedExecute(config=config).sandbox is False


def test_the_course_config_offers_to_turn_the_sandbox_off_commented_out_with_a_warning():
    from checker.classroom.config import config_text

    text = config_text()
    assert "# c.GuardedExecute.sandbox = False" in text and "WARNING" in text
    assert "\nc.GuardedExecute.sandbox" not in text


def test_doctor_says_whether_the_sandbox_runs(capsys, no_bwrap):
    from checker.commands.doctor import sandbox_line

    assert sandbox_line() is False
    assert "bwrap is not installed" in capsys.readouterr().out


@pytest.mark.skipif(not sandbox.availability().ok, reason="needs bubblewrap")
def test_doctor_says_what_learner_code_sees(capsys):
    from checker.commands.doctor import sandbox_line

    assert sandbox_line() is True
    view = capsys.readouterr().out.split("sees, read-only, only ")[1].split(";")[0].split(", ")
    assert "/usr" in view and str(Path(sys.prefix)) in view  # this virtualenv: the kernel's Python
    assert not any(Path(folder) in [REPOSITORY, *REPOSITORY.parents] for folder in view), view


def test_a_clean_grading_process_and_its_children_end_together_even_on_timeout(tmp_path):
    from checker.classroom.clean_grading import run_in_own_session

    marker = tmp_path / "child.pid"
    parent = (
        "import subprocess, time\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(300)"
    )
    started = time.monotonic()
    assert (
        run_in_own_session([sys.executable, "-c", parent], 3, cwd=str(tmp_path), env=dict(os.environ)) is None
    )
    assert time.monotonic() - started < 30
    child = int(marker.read_text())
    assert ended_within(child, seconds=5)  # SIGKILL is delivered at once, acted on when next scheduled


def ended_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_the_self_check_works_for_learners_at_home():
    report = checker_report(simulate.FUNCTIONAL_MLP, "functional_mlp")
    assert report.passed and report.score == report.max_score


def test_in_grading_mode_the_self_check_says_it_is_off_without_the_judge(tmp_path):
    """What a sandboxed kernel sees: the kernel-side copy only (-S: not the editable install's finder)."""
    code = (
        "from checker import check\n"
        "print(check(None, 'functional_mlp'))\n"
        "try:\n    import checker.judge\nexcept ImportError:\n    print('no judge')"
    )
    env = {**os.environ, sandbox.GRADING_ENV: "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(sandbox.kernel_side_package())!r})\n{code}",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "self-check is off" in done.stdout and "no judge" in done.stdout


# ---------------------------------------------------------------- a throw-away project


def _tree_digest(*roots: Path) -> dict[str, str]:
    digest = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                digest[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif path.is_dir() or path.is_symlink():
                digest[str(path)] = "dir" if path.is_dir() else os.readlink(path)
    return digest


class Project:
    """A copy of the project installed (editable) into its own virtualenv, plus a kernelspec."""

    def __init__(self, root: Path):
        self.root = root
        self.copy, self.venv, self.jupyter = root / "copy", root / "venv", root / "jupyter"
        self.python = self.venv / "bin" / "python"

    def make(self) -> None:
        self.copy.mkdir(parents=True)
        shutil.copytree(
            REPOSITORY / "checker", self.copy / "checker", ignore=shutil.ignore_patterns("__pycache__")
        )
        shutil.copytree(REPOSITORY / "solutions", self.copy / "solutions")
        for name in ("pyproject.toml", "README.md"):
            shutil.copyfile(REPOSITORY / name, self.copy / name)
        subprocess.run([sys._base_executable, "-m", "venv", str(self.venv)], check=True, timeout=300)
        site = self.site_packages()
        (site / "heavy_dependencies.pth").write_text(
            str(Path(sys.prefix) / Path(site).relative_to(self.venv)) + "\n"
        )
        self.run("-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(self.copy))
        self.run("-m", "compileall", "-q", str(self.copy / "checker"), str(site))
        spec = self.jupyter / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [str(self.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "Python 3 (throw-away copy)",
                    "language": "python",
                }
            )
        )

    def site_packages(self) -> Path:
        return next((self.venv / "lib").glob("python3*/site-packages"))

    def env(self) -> dict:
        path = os.pathsep.join((str(self.venv / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]))
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", sandbox.SWITCH_ENV, sandbox.HIDE_ENV)
        }
        return {**env, "PATH": path, "JUPYTER_PATH": str(self.jupyter), "TF_CPP_MIN_LOG_LEVEL": "3"}

    def run(self, *args, cwd: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(self.python), *args],
            cwd=cwd or self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode in (0, 1), done.stderr[-3000:]
        return done

    def digest(self) -> dict[str, str]:
        return _tree_digest(self.copy, self.venv)

    def init_course(self, name: str) -> Course:
        solutions = self.root / "small_solutions"
        if not solutions.exists():
            simulate.write_small_solutions(solutions)
        done = self.run(
            "-m",
            "checker",
            "classroom",
            "init",
            name,
            "--solutions-dir",
            str(solutions),
            "--timeout",
            str(CELL_TIMEOUT),
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return Course(self.root / name)


@contextlib.contextmanager
def listening_socket():
    """A TCP server on 127.0.0.1 that records every connection it accepts."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                connection, _ = server.accept()
                accepted.append(connection.getpeername())
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(5)
        server.close()


def attacker_processes() -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if any(DAEMON_MARKER in part for part in process.info["cmdline"] or []):
                found.append(process)
    return found


def extra_grades(course: Course) -> list[tuple]:
    """Grade rows with a manual score or extra credit: nbgrader's autograde sets neither."""
    with contextlib.closing(sqlite3.connect(course.gradebook)) as db:
        return db.execute(
            "SELECT id, manual_score, extra_credit FROM grade WHERE manual_score IS NOT NULL OR extra_credit IS NOT NULL"
        ).fetchall()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    project = Project(tmp_path_factory.mktemp("throwaway"))
    project.make()
    return project


@pytest.fixture(scope="module")
def attacked(project):
    """`classroom autograde --jobs 2` of a class of attackers, in the throw-away project."""
    course = project.init_course("course")
    where = {"course": course.root, "copy": project.copy, "site": project.site_packages()}
    with listening_socket() as (port, accepted):
        class_ = {
            "right": (MODELS, {"functional_mlp": simulate.FUNCTIONAL_MLP}, ()),
            "wrong": (MODELS, {"functional_mlp": WRONG_MLP}, ()),
            **{
                name: (
                    MODELS,
                    {"functional_mlp": WRONG_MLP},
                    [simulate.insert_before_test("functional_mlp", attack_cell(name, port=port, **where))],
                )
                for name in ATTACKS
            },
            "probe_writes": (LAYER, {"simple_dense": PROBE_ATTACK.format(**where)}, ()),
        }
        for student, (assignment, answers, changes) in class_.items():
            simulate.submit(course, student, assignment, answers, changes)
        before = project.digest()
        done = project.run(
            "-m", "checker", "classroom", "autograde", str(course.root), "--jobs", "2", "--no-feedback"
        )
        after = project.digest()
        daemons = attacker_processes()
        for process in daemons:  # a failed test must not leave them running
            with contextlib.suppress(psutil.Error):
                process.kill()
    yield {
        "course": course,
        "done": done,
        "changed": sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)),
        "accepted": accepted,
        "daemons": daemons,
        "scores": gradebook_scores(course),
    }


@pytest.fixture(scope="module")
def honest_wrong_score() -> float:
    score = checker_report(WRONG_MLP, "functional_mlp").score
    assert 0 < score < 10
    return score


@pytest.mark.slow
def test_autograde_ran(attacked):
    assert attacked["done"].returncode == 0, attacked["done"].stderr[-3000:]


@pytest.mark.slow
def test_a_right_answer_still_earns_every_point_in_the_sandbox(attacked):
    assert attacked["scores"]["right"] == {"functional_mlp": 10, "residual_identity": 0}


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_an_attack_from_the_kernel_earns_only_the_honest_score(attacked, honest_wrong_score, student):
    assert attacked["scores"]["wrong"]["functional_mlp"] == pytest.approx(honest_wrong_score)
    assert attacked["scores"][student]["functional_mlp"] == pytest.approx(honest_wrong_score)


@pytest.mark.slow
def test_the_copy_and_its_virtualenv_are_untouched(attacked):
    assert attacked["changed"] == []


@pytest.mark.slow
def test_no_attacker_process_outlives_its_kernel(attacked):
    assert attacked["daemons"] == []


@pytest.mark.slow
def test_the_kernel_has_no_network(attacked):
    assert attacked["accepted"] == []


@pytest.mark.slow
def test_no_grade_is_written_but_by_nbgrader(attacked):
    assert extra_grades(attacked["course"]) == []


@pytest.mark.slow
def test_the_layer_probe_writes_nowhere_but_its_scratch(attacked, project):
    course = attacked["course"]
    assert attacked["scores"]["probe_writes"] == {"simple_dense": 10}  # it did run, and the class is right
    for target in (course.root / "probe_was_here", project.copy / "checker" / "probe_was_here"):
        assert not target.exists(), target


@pytest.mark.slow
def test_plain_nbgrader_autograde_in_the_course_folder_is_sandboxed_too(project, honest_wrong_score):
    """The relative paths from the notebook's folder lead into the real course here."""
    course = project.init_course("plain")
    where = {"course": course.root, "copy": project.copy, "site": project.site_packages()}
    attackers = (
        "reads_solutions",
        "writes_gradebook",
        "edits_checker",
        "plants_links",
        "floods_the_terminal",
        "forces_needs_attention",
    )
    for name in attackers:
        change = simulate.insert_before_test("functional_mlp", attack_cell(name, port=9, **where))
        simulate.submit(course, name, MODELS, {"functional_mlp": WRONG_MLP}, [change])
    before = project.digest()
    done = project.run("-m", "nbgrader", "autograde", MODELS, cwd=course.root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"{DAEMON_MARKER}-flood" not in done.stdout + done.stderr  # kernels write to their own file
    assert project.digest() == before
    scores = gradebook_scores(course)
    assert {s: scores[s]["functional_mlp"] for s in scores} == {
        s: pytest.approx(honest_wrong_score) for s in attackers
    }
    assert extra_grades(course) == []
    left = course.root / "autograded" / "plants_links" / MODELS
    assert json.loads((left / f"{MODELS}.ipynb").read_text())["cells"]  # nbgrader wrote a real notebook
    assert sorted(p.name for p in left.iterdir() if not (p.is_file() and not p.is_symlink())) == []
    assert (left / "setuid_shell").stat().st_mode & 0o6000 == 0  # no set-user-ID program is left


# ---------------------------------------------------------------- one sandboxed process, no kernel


def _in_sandbox(code: str, scratch: Path, **settings) -> subprocess.CompletedProcess:
    """`code` in a sandbox as the grader starts one (in its own cgroup, where one can be made)."""
    scratch.mkdir(exist_ok=True)
    with sandbox.contained(
        sandbox.Sandbox(writable=(scratch,), **settings), [sys.executable, "-c", code]
    ) as command:
        return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_a_sandboxed_process_cannot_change_a_graded_notebook_in_its_own_folder(tmp_path):
    """An assignment's notebook graded earlier: the worker brings it back to be recorded later."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    graded = folder / "A.ipynb"
    graded.write_text("graded")
    code = """
import os
def attempt(name, action):
    try:
        action()
        print(name, "worked")
    except OSError as error:
        print(name, type(error).__name__)
attempt("write", lambda: open("A.ipynb", "w").write("full marks"))
attempt("remove", lambda: os.remove("A.ipynb"))
attempt("replace", lambda: (open("forged", "w").write("full marks"), os.replace("forged", "A.ipynb")))
attempt("chmod", lambda: os.chmod("A.ipynb", 0o777))
attempt("own_file", lambda: open("B.ipynb", "w").write("mine"))
"""
    done = _in_sandbox(code, folder, frozen=(graded,))
    assert done.returncode == 0, done.stderr
    outcome = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert outcome == {
        "write": "OSError",
        "remove": "OSError",
        "replace": "OSError",
        "chmod": "OSError",
        "own_file": "worked",
    }
    assert graded.read_text() == "graded"


# Where machines keep people's files and services' data: classmates' copies in their homes
# (JupyterHub), nbgrader's exchange in /srv, service sockets in /run, databases, mail, logs.
PEOPLES_FILES = (
    "/home", "/root", "/srv", "/mnt", "/media", "/run", "/opt", "/data", "/work", "/scratch",
    "/var/lib", "/var/mail", "/var/spool", "/var/backups", "/var/log", "/var/tmp", "/var/www",
)  # fmt: skip


def test_a_sandboxed_process_sees_only_the_system_its_python_and_its_folders(tmp_path):
    """An allow-list: classmates' notebooks, nbgrader's exchange, a /data with solutions are absent."""
    with tempfile.TemporaryDirectory(dir="/var/tmp") as elsewhere:  # writable on every Linux
        classmate = Path(elsewhere) / "classmate" / "01_functional_api.ipynb"
        classmate.parent.mkdir()
        classmate.write_text("the right answer")
        code = f"""
import os
print("/", sorted(os.listdir("/")))
for path in {[str(classmate), "/etc/shadow", *PEOPLES_FILES]!r}:
    try:
        print(path, sorted(os.listdir(path)) if os.path.isdir(path) else repr(open(path).read()))
    except OSError as error:
        print(path, type(error).__name__)
"""
        done = _in_sandbox(code, tmp_path / "scratch")
    assert done.returncode == 0, done.stderr
    seen = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert seen.pop(str(classmate)) == "FileNotFoundError"
    assert seen.pop("/etc/shadow") in ("''", "FileNotFoundError", "PermissionError")  # root could read it
    pythons = [Path(p).resolve() for p in (sys.prefix, sys.base_prefix)]
    on_the_way = {p.parts[1] for p in [*pythons, tmp_path]}  # e.g. /root/.pyenv, this test's /tmp
    system = {Path(f).name for f in sandbox.SYSTEM_FOLDERS if os.path.lexists(f)}
    assert set(eval(seen.pop("/"))) <= system | {"dev", "proc", "tmp"} | on_the_way
    for folder, listing in seen.items():
        leading_to_python = [p.relative_to(folder).parts[0] for p in pythons if Path(folder) in p.parents]
        assert listing in ("FileNotFoundError", repr(sorted(set(leading_to_python)))), (folder, listing)


def test_a_sandboxed_process_cannot_read_the_repository_or_write_outside_its_folder(tmp_path):
    scratch, outside = tmp_path / "scratch", tmp_path / "outside"
    scratch.mkdir()
    outside.mkdir()
    code = f"""
import os
print(sorted(os.listdir({str(REPOSITORY)!r})))
for path in ({str(outside / "x")!r}, {str(REPOSITORY / "x")!r}, "written_here"):
    try:
        open(path, "w").write("x")
        print("wrote", path)
    except OSError as exc:
        print("refused", path)
print("processes", len([p for p in os.listdir("/proc") if p.isdigit()]))
"""
    done = _in_sandbox(code, scratch)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "solutions" not in lines[0] and "checker" not in lines[0]
    # A checkout in /tmp is replaced by the sandbox's private /tmp: a write lands there, not here.
    in_tmp = Path("/tmp") in REPOSITORY.parents
    assert lines[1] == f"refused {outside / 'x'}" and lines[3] == "wrote written_here"
    assert lines[2] == f"{'wrote' if in_tmp else 'refused'} {REPOSITORY / 'x'}"
    assert int(lines[4].split()[1]) <= 3  # bwrap's init and this process (and its own view of them)
    assert (scratch / "written_here").exists() and not (outside / "x").exists()
    assert not (REPOSITORY / "x").exists()


def test_a_sandboxed_process_gets_a_memory_limit(tmp_path):
    code = "try:\n    bytearray(512 * 1024**2)\n    print('allocated')\nexcept MemoryError:\n    print('refused')"
    assert _in_sandbox(code, tmp_path, memory_limit=256 * 1024**2).stdout.strip() == "refused"
    assert _in_sandbox(code, tmp_path, memory_limit=None).stdout.strip() == "allocated"


def test_a_sandboxed_process_has_no_capabilities_even_for_root(tmp_path):
    """bwrap keeps root's capabilities unless told: with them, unmounting the private /tmp showed
    the host's (and so whatever it hides), and a remount made the whole machine writable."""
    secret = tmp_path / "solution.txt"
    secret.write_text("the answer")
    code = f"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print(open("/proc/self/status").read().split("CapEff:")[1].split()[0])
print("umount", libc.umount2(b"/tmp", 2), os.path.exists({str(secret)!r}))
print("remount", libc.mount(None, b"/", None, 4096 | 32, None))
"""
    done = _in_sandbox(code, tmp_path / "scratch")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["0000000000000000", "umount -1 False", "remount -1"]


def test_a_sandboxed_process_cannot_reach_the_host_s_service_sockets(tmp_path):
    """Connecting to a Unix socket needs no write access to its mount: /run must be hidden."""
    if not os.access("/run", os.W_OK):
        pytest.skip("needs a writable /run to place a socket where system services keep theirs")
    path = Path("/run") / f"checker-test-{os.getpid()}.sock"
    with contextlib.closing(socket.socket(socket.AF_UNIX)) as server:
        server.bind(str(path))
        server.listen()
        try:
            code = f"""
import socket
try:
    socket.socket(socket.AF_UNIX).connect({str(path)!r})
    print("connected")
except OSError as exc:
    print("refused", type(exc).__name__)
"""
            done = _in_sandbox(code, tmp_path / "scratch")
        finally:
            path.unlink()
    assert done.stdout.startswith("refused"), done.stdout + done.stderr


def test_a_sandboxed_process_cannot_fill_memory_through_its_scratch_space(tmp_path):
    """/tmp and /dev/shm are tmpfs, held in memory: each has a size; the rest of /dev is read-only."""
    code = """
import errno
for path in ("/tmp/flood", "/dev/shm/flood", "/dev/flood"):
    written = 0
    try:
        with open(path, "wb") as f:
            while written < 2 * 1024**3:
                f.write(bytes(16 * 1024**2))
                f.flush()
                written += 16 * 1024**2
        print(path, "filled")
    except OSError as exc:
        print(path, errno.errorcode[exc.errno], written // 1024**2)
"""
    done = _in_sandbox(code, tmp_path / "scratch", file_size_limit=None)
    assert done.returncode == 0, done.stderr
    tmp, shm, dev = (line.split() for line in done.stdout.splitlines())
    assert tmp[1] == shm[1] == "ENOSPC" and dev[1:] == ["EROFS", "0"]
    assert int(tmp[2]) * 1024**2 <= sandbox.SCRATCH_BYTES and int(shm[2]) * 1024**2 <= sandbox.SCRATCH_BYTES


def test_a_sandboxed_process_cannot_write_a_file_larger_than_its_limit(tmp_path):
    code = """
try:
    open("big", "wb").write(bytes(3 * 1024**2))
    print("written")
except OSError as exc:
    print("refused", exc.strerror)
"""
    scratch = tmp_path / "scratch"
    done = _in_sandbox(code, scratch, file_size_limit=1024**2)
    assert done.stdout.strip() == "refused File too large", done.stdout + done.stderr
    assert (scratch / "big").stat().st_size <= 1024**2


def test_a_sandboxed_process_cannot_start_more_processes_than_its_limit(tmp_path):
    """A fork bomb ends at the sandbox's limit, also when the grader is root (through a cgroup)."""
    if os.geteuid() == 0 and not cgroups.available():
        pytest.skip("as root, processes are limited only where a cgroup can be made")
    code = """
import subprocess
started = []
try:
    while len(started) < 100:
        started.append(subprocess.Popen(["sleep", "30"]))
    print("started", len(started))
except OSError as exc:
    print("refused after", len(started))
for process in started:
    process.kill()
"""
    done = _in_sandbox(code, tmp_path / "scratch", process_limit=20)
    words = done.stdout.split()
    assert words[:2] == ["refused", "after"] and int(words[2]) < 20, done.stdout + done.stderr


def test_a_learner_with_many_busy_processes_gets_no_more_cpu_than_a_classmate(tmp_path):
    """Cores are shared between sandboxes, not between threads: else a classmate graded at the
    same time runs many times slower and its cells run out of time. (Where the kernel groups
    sessions, sched_autogroup_enabled=1, bwrap's new session alone does that too; with it off and
    no cpu cgroup the classmate got 0.66 s of CPU in these 3 s.)"""
    cores = os.cpu_count() or 1
    if cores < 2 or not cgroups.available():
        pytest.skip("needs 2 cores and a cgroup per sandbox (root)")
    hog = f"""
import subprocess, sys, time
for _ in range({4 * cores}):
    subprocess.Popen([sys.executable, "-c", "while True: pass"])
time.sleep(60)
"""
    classmate = """
import time
start, cpu = time.time(), time.process_time()
while time.time() - start < 3:
    pass
print(time.process_time() - cpu)
"""
    (tmp_path / "a").mkdir()
    with sandbox.contained(
        sandbox.Sandbox(writable=(tmp_path / "a",)), [sys.executable, "-c", hog]
    ) as command:
        hogging = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.5)
            hog_before = _cpu_seconds_of_tree(hogging.pid)
            done = _in_sandbox(classmate, tmp_path / "b")
            hog_cpu = _cpu_seconds_of_tree(hogging.pid) - hog_before
        finally:
            hogging.kill()
            hogging.wait()
    # Shared fairly, the classmate gets as much CPU as the hog (at most its one core for 3 s),
    # whatever else the machine is doing; per thread, about an eighth of what the hog gets.
    classmate_cpu = float(done.stdout)
    assert classmate_cpu > 0.6 * min(hog_cpu, 3), (classmate_cpu, hog_cpu, done.stderr)


def _cpu_seconds_of_tree(pid: int) -> float:
    total = 0.0
    for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def test_a_sandbox_that_cannot_enter_its_cgroup_does_not_start(tmp_path):
    """Never unlimited by surprise: the start stops, with the reason, before the command runs."""
    group = cgroups.Cgroup((tmp_path / "gone",))
    done = subprocess.run(group.enter_command(["echo", "ran"]), capture_output=True, text=True, timeout=30)
    assert done.returncode == 125 and "ran" not in done.stdout
    assert "cannot enter the sandbox cgroup" in done.stderr


def test_a_sandboxed_process_cannot_hide_what_it_writes_below_folders_nested_past_path_max(tmp_path):
    """A walk by path did not see below a chain of long folder names (PATH_MAX): 50 MB there went
    past a 10 MB disk limit unseen, and nothing could remove it (shutil.rmtree recursed)."""
    from checker.classroom.defuse import defuse
    from checker.classroom.disk_guard import DiskGuard

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    guard = DiskGuard([scratch], 10_000_000, lambda why: None)
    code = """
import os
current = os.open(".", os.O_RDONLY)
for _ in range(40):
    os.mkdir("n" * 255, dir_fd=current)
    current = os.open("n" * 255, os.O_RDONLY, dir_fd=current)
hidden = os.open("hidden", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=current)
os.write(hidden, bytes(50_000_000))
print("written")
"""
    done = _in_sandbox(code, scratch)
    assert done.stdout.strip() == "written", done.stderr
    assert guard.check() is not None
    assert defuse(scratch)[0].endswith("nested too deep, with all below it")
    shutil.rmtree(scratch)


def test_a_sandboxed_process_cannot_hide_what_it_writes_in_files_it_removed_but_holds(tmp_path):
    """A file removed while open (or mapped) keeps its disk space, yet no walk of the folder finds
    it: 60 MB so held (half of it only mapped) went past a 40 MB disk limit unseen."""
    from checker.classroom import pid_namespace
    from checker.classroom.disk_guard import DiskGuard

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    code = """
import mmap, os, sys, time
held = open("held", "wb+")
held.write(bytes(30_000_000))
held.flush()
os.remove("held")
with open("mapped", "wb+") as mapped:
    mapped.write(bytes(30_000_000))
    mapped.flush()
    mapping = mmap.mmap(mapped.fileno(), 4096)
os.remove("mapped")
print("ready", flush=True)
time.sleep(60)
"""
    with sandbox.contained(sandbox.Sandbox(writable=(scratch,)), [sys.executable, "-c", code]) as command:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout.readline().strip() == "ready"
            namespace = pid_namespace.of_first_child(process.pid)
            guard = DiskGuard([scratch], 40_000_000, lambda why: None)
            assert guard.check() is None  # the walk alone sees nothing
            guard.watch_processes(lambda: pid_namespace.members(namespace))
            problem = guard.check()
        finally:
            process.kill()
            process.wait()
    assert problem == "more than 40 MB"


def test_a_sandboxed_process_cannot_change_the_machine_s_kernel_settings(tmp_path):
    """As uid 0 (a root grader), without any capability, it could write most of /proc/sys: it set
    kernel.core_pattern to '|/bin/sh', which the kernel runs as root outside every namespace at the
    next crash. Only opened here, never written: were it to work, it would change this machine."""
    code = """
import os
for path in ("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe", "/proc/sys/vm/drop_caches",
             "/proc/sys/fs/file-max", "/proc/sysrq-trigger"):
    try:
        os.close(os.open(path, os.O_WRONLY))
        print(path, "writable")
    except OSError as exc:
        print(path, "refused" if os.path.exists(path) else "absent")
"""
    done = _in_sandbox(code, tmp_path / "scratch")
    assert done.returncode == 0, done.stderr
    assert "writable" not in done.stdout and "/proc/sys/kernel/core_pattern refused" in done.stdout, (
        done.stdout
    )
