"""What learner code leaves in its folders cannot trap the grader, and its processes end to the last."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_disk_guard import nest_past_path_max

from checker.classroom import folder_walk, pid_namespace, sandbox
from checker.classroom.defuse import defuse, read_regular


def test_defuse_removes_every_link_fifo_and_socket_at_any_depth(tmp_path):
    (tmp_path / "deep" / "er").mkdir(parents=True)
    target = tmp_path.parent / f"{tmp_path.name}-target.py"
    target.write_text("kept = True\n")
    (tmp_path / "01.ipynb").symlink_to(target)
    (tmp_path / "deep" / "er" / "folder_link").symlink_to(tmp_path.parent, target_is_directory=True)
    os.mkfifo(tmp_path / "deep" / "waits.ipynb")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "deep" / "er" / "listens"))
    (tmp_path / "deep" / "kept.txt").write_text("mine")

    changes = defuse(tmp_path)

    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "deep",
        "deep/er",
        "deep/kept.txt",
    ]
    assert target.read_text() == "kept = True\n"  # removed the link, not what it pointed to
    assert changes == [
        "removed the symbolic link 01.ipynb",
        "removed the FIFO deep/waits.ipynb",
        "removed the symbolic link deep/er/folder_link",
        "removed the socket deep/er/listens",
    ]


def test_defuse_clears_set_user_id_and_gives_the_owner_back_its_files(tmp_path):
    program, locked = tmp_path / "shell", tmp_path / "locked"
    program.write_text("")
    program.chmod(0o6755)
    locked.mkdir()
    (locked / "secret").write_text("x")
    (locked / "secret").chmod(0)
    locked.chmod(0)

    changes = defuse(tmp_path)

    assert stat.S_IMODE(program.stat().st_mode) == 0o755
    assert changes == ["cleared set-user-ID and set-group-ID on shell"]
    assert stat.S_IMODE(locked.stat().st_mode) & 0o700 == 0o700
    assert stat.S_IMODE((locked / "secret").stat().st_mode) & 0o600 == 0o600


def test_defuse_removes_folders_nested_past_what_a_path_can_name_so_rmtree_works_afterwards(tmp_path):
    """nbgrader's and tempfile's shutil.rmtree recurse: a chain 1000 deep raised RecursionError."""
    (tmp_path / "kept.txt").write_text("mine")
    os.close(nest_past_path_max(tmp_path, levels=1000))

    changes = defuse(tmp_path)

    left = [len(str(p)) - len(str(tmp_path)) for p in tmp_path.rglob("*")]  # every path can be named
    assert (tmp_path / "kept.txt").exists() and max(left) <= folder_walk.MAX_RELATIVE_CHARS + 256
    assert len(changes) == 1 and changes[0].endswith("nested too deep, with all below it")
    shutil.rmtree(tmp_path)


def test_read_regular_does_not_follow_a_link_or_wait_on_a_fifo(tmp_path):
    (tmp_path / "real").write_bytes(b"{}")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "endless").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo")

    started = time.monotonic()
    read = {
        name: read_regular(tmp_path / name, 10) for name in ("real", "link", "endless", "fifo", "missing")
    }

    assert read == {"real": b"{}", "link": None, "endless": None, "fifo": None, "missing": None}
    assert time.monotonic() - started < 1
    assert read_regular(tmp_path / "real", 1) is None  # over the size asked for


@pytest.mark.skipif(not sandbox.availability().ok, reason="needs bubblewrap")
def test_ending_a_sandbox_namespace_ends_every_process_in_it(tmp_path):
    """Also one that left the kernel's session and process group: only the namespace holds it."""
    code = "import subprocess; subprocess.Popen(['sleep', '300'], start_new_session=True); import time; time.sleep(300)"
    with sandbox.contained(sandbox.Sandbox(writable=(tmp_path,)), [sys.executable, "-c", code]) as command:
        process = subprocess.Popen(command)
        try:
            namespace = pid_namespace.of_first_child(process.pid)  # the cgroup's `sh` execs bwrap
            assert namespace and namespace != pid_namespace.of(os.getpid())
            _wait_for(lambda: len(_members(namespace)) >= 3)  # bwrap's init, python, sleep

            assert pid_namespace.end(namespace)

            assert _members(namespace) == []
            assert process.wait(timeout=10) != 0
        finally:
            process.kill()


def test_ending_refuses_the_graders_own_namespace():
    with pytest.raises(ValueError):
        pid_namespace.end(pid_namespace.of(os.getpid()))


def _members(namespace: str) -> list[int]:
    return [pid for pid in pid_namespace._pids() if pid_namespace.of(pid) == namespace]


def _wait_for(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.skipif(platform.machine() != "x86_64", reason="calls exit(2) by its x86-64 number")
def test_a_process_whose_main_thread_alone_exited_still_runs(tmp_path):
    """Its main thread shows as a zombie while another thread goes on writing: not ended."""
    code = (
        "import ctypes, threading, time\n"
        "threading.Thread(target=lambda: time.sleep(300)).start()\n"
        "ctypes.CDLL(None).syscall(60, 0)  # exit(2), the main thread only (x86-64)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code])
    try:
        _wait_for(lambda: pid_namespace._state(Path(f"/proc/{process.pid}/task/{process.pid}")) == "Z")
        assert pid_namespace.still_running(process.pid)
    finally:
        process.kill()
        process.wait()


@pytest.mark.skipif(not sandbox.availability().ok, reason="needs bubblewrap")
def test_ending_a_namespace_does_not_wait_for_a_zombie_to_be_collected(tmp_path):
    """bwrap's init, killed, stays a zombie until its parent collects it: here never, as that
    parent is stopped. (An orphan's parent is the machine's init, which may take seconds.)"""
    code = "import time; time.sleep(300)"
    with sandbox.contained(sandbox.Sandbox(writable=(tmp_path,)), [sys.executable, "-c", code]) as command:
        process = subprocess.Popen(command)
        try:
            namespace = pid_namespace.of_first_child(process.pid)
            _wait_for(lambda: len(_members(namespace)) >= 2)  # bwrap's init, python
            for pid in _ancestors_outside(namespace, _members(namespace)):
                os.kill(pid, signal.SIGSTOP)

            started = time.monotonic()
            assert pid_namespace.end(namespace, wait_seconds=5)

            assert time.monotonic() - started < 2
            assert not [pid for pid in _members(namespace) if pid_namespace.still_running(pid)]
        finally:
            for pid in _ancestors_outside(namespace, [process.pid]) + [process.pid]:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGCONT)
            process.kill()
            process.wait()


def _ancestors_outside(namespace: str, pids: list[int]) -> list[int]:
    """The parents of `pids` that are not in `namespace` (bwrap's outer process)."""
    parents = {pid_namespace._parent(pid) for pid in pids} - {None}
    return [pid for pid in parents if pid_namespace.of(pid) != namespace and pid != os.getpid()]
