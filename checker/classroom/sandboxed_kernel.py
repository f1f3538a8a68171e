"""The Jupyter kernel managers of class grading: a learner's kernel, capped, and in the sandbox.

`LimitedKernelManager` caps the size of any message its clients accept and checks that each is
a well-formed message (kernel_messages); `SandboxedKernelManager`
starts the kernel in a `Sandbox` (sandbox.py) and, once the kernel ends, ends every process of
the sandbox and defuses its folders (defuse.py) before the grader goes there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

import zmq
from jupyter_client.manager import AsyncKernelManager
from traitlets import Any as AnyTrait
from traitlets import Integer

from checker.classroom import cgroups, kernel_messages, pid_namespace
from checker.classroom.defuse import defuse
from checker.classroom.sandbox import Sandbox

KERNEL_OUTPUT_FILE = "kernel-output.log"  # in the kernel's private folder: what it wrote to 1 and 2
MAX_LOGGED_CHANGES = 10  # of what defuse changed in one folder: learner code could leave thousands


class LimitedKernelManager(AsyncKernelManager):
    """A kernel manager whose clients refuse any message part larger than `max_message_bytes`.

    nbclient receives each kernel message whole before the output limit can drop it, so one
    huge `display()` (a single message, unlike printed text, which arrives in chunks) would sit
    whole in the grading process's memory. ZeroMQ checks a part's size in its header before it
    allocates anything: past the cap it drops the message and closes that socket for good (no
    reconnection after a protocol error); GuardedExecute then takes a new client. 0: no cap.
    """

    max_message_bytes = Integer(0, help="Largest message part a client accepts; 0: no cap.")

    def client(self, **kwargs):
        client = super().client(**kwargs)
        kernel_messages.guard(client.session)  # a message nbclient cannot read ends the kernel, not grading
        if self.max_message_bytes > 0:
            client.context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)  # for its sockets to come
        return client


class SandboxedKernelManager(LimitedKernelManager):
    """A kernel manager whose kernel runs in `sandbox`, with a private folder for its sockets.

    The kernel talks over IPC sockets (TCP cannot leave its network namespace) in a folder of
    its own, so no other kernel's connection file is in reach; interrupts are messages (a
    SIGINT would hit bwrap, not the kernel). At cleanup every process of the sandbox is ended
    before its folders are defused (defuse.py), and only then may the grader go there.
    """

    sandbox = AnyTrait(None, help="The Sandbox the kernel runs in.")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.private_folder = Path(tempfile.mkdtemp(prefix="checker-kernel-"))  # sockets, connection file
        self._cgroup: cgroups.Cgroup | None = None  # made at the first start, removed at cleanup
        self._namespaces: list[str] = []  # the PID namespace of each start, emptied at cleanup
        self.transport = "ipc"
        # Out of the kernel's sight, on the same file system (for hard links).
        self.grader_folder = Path(tempfile.mkdtemp(prefix="checker-sockets-", dir=self.private_folder.parent))
        self.connection_file = str(self.private_folder / "kernel.json")
        self.ip = str(self.private_folder / "kernel-ipc")

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = no_code_from_its_folder_at_start(super().format_kernel_cmd(extra_arguments))
        sandbox = (self.sandbox or Sandbox()).with_writable(self.private_folder)
        self._cgroup = self._cgroup or sandbox.cgroup()
        command = sandbox.command(argv)
        return self._cgroup.enter_command(command) if self._cgroup else command

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        """The kernel's own descriptors 1 and 2 go to a file in its private folder (bounded by the disk
        limit and the file-size limit), not to the grader's terminal or log, which nothing bounds."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW  # a restarted kernel's old folder
        with open(os.open(self.private_folder / KERNEL_OUTPUT_FILE, flags, 0o600), "ab") as output:
            await super()._async_launch_kernel(kernel_cmd, **{**kw, "stdout": output, "stderr": output})

    async def _async_post_start_kernel(self, **kw) -> None:
        await self._connect_through_links_of_its_own()
        await super()._async_post_start_kernel(**kw)
        pid = getattr(self.provisioner, "pid", None)
        namespace = pid_namespace.of_first_child(pid) if pid else None
        if namespace and namespace != pid_namespace.of(os.getpid()):
            self._namespaces.append(namespace)

    def learner_pids(self) -> list[int]:
        """The processes of the running sandbox (as the grader sees them)."""
        return [pid for namespace in list(self._namespaces) for pid in pid_namespace.members(namespace)]

    async def _connect_through_links_of_its_own(self, wait_seconds: float = 120) -> None:
        """Once the kernel has made its IPC sockets, hard-link each into a folder of the grader's
        and connect there, from the manager and every client.

        The sockets live in a folder the kernel may write: it could replace them with links and
        close them, and ZeroMQ, reconnecting by path, followed those links to any socket of the
        machine the grader may reach (a service's, a classmate kernel's). A hard link is the socket
        itself, wherever the kernel's path then leads. No learner code runs before the sockets
        exist (`no_code_from_its_folder_at_start`), so what is linked here is the kernel's.
        """
        sockets = [Path(f"{self.ip}-{port}") for port in self.ports]
        deadline = time.monotonic() + wait_seconds
        while not all(_is_socket(path) for path in sockets):
            if time.monotonic() > deadline or not await self.is_alive():
                return  # nothing to connect to: the kernel is reported dead or stuck as usual
            await asyncio.sleep(0.02)
        grader_side = self.grader_folder / "kernel-ipc"
        for path in sockets:
            os.link(path, f"{grader_side}-{path.name.rpartition('-')[2]}", follow_symlinks=False)
        self.ip = str(grader_side)

    async def cleanup_resources(self, restart: bool = False) -> None:
        await super().cleanup_resources(restart)
        self._end_learner_processes()
        if self._cgroup and not restart:
            self._cgroup.remove()  # waits for its last process too
        for folder in [*(self.sandbox.writable if self.sandbox else ()), self.private_folder]:
            changes = defuse(Path(folder))
            for change in changes[:MAX_LOGGED_CHANGES]:
                self.log.warning(
                    "After the kernel ended: %s in %s (learner code left it there).", change, folder
                )
            if len(changes) > MAX_LOGGED_CHANGES:
                self.log.warning(
                    "... and %d more such changes in %s.", len(changes) - MAX_LOGGED_CHANGES, folder
                )
        self._log_kernel_output_tail()  # after defuse: a regular file by now, not a FIFO to wait on
        if not restart:
            shutil.rmtree(self.private_folder, ignore_errors=True)
            shutil.rmtree(self.grader_folder, ignore_errors=True)

    def _log_kernel_output_tail(self, max_bytes: int = 2000) -> None:
        """The end of what the kernel wrote to its descriptors (why a kernel died), at debug level."""
        with contextlib.suppress(OSError), open(self.private_folder / KERNEL_OUTPUT_FILE, "rb") as output:
            output.seek(max(0, os.fstat(output.fileno()).st_size - max_bytes))
            tail = output.read(max_bytes).decode("utf-8", "replace").strip()
            if tail:
                self.log.debug("The kernel's own output ended with:\n%s", tail)

    def _end_learner_processes(self) -> None:
        """Wait until no process of the sandbox is left, so none can change its folders behind the grader."""
        while self._namespaces:
            namespace = self._namespaces.pop()
            if not pid_namespace.end(namespace):
                self.log.error("A process of the learner's sandbox (%s) could not be ended.", namespace)


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def no_code_from_its_folder_at_start(argv: list[str]) -> list[str]:
    """`python -m ipykernel_launcher ...` in safe-path mode (-P): a submitted
    `ipykernel_launcher.py` (or `zmq.py`...) in the notebook's folder would otherwise run before
    the kernel's sockets exist, and could put links where the grader connects. The folder goes
    back on sys.path once the kernel is up, for the learner's own modules.

    >>> no_code_from_its_folder_at_start(["python", "-m", "ipykernel_launcher", "-f", "k.json"])[:3]
    ['python', '-P', '-m']
    """
    if "-m" not in argv[1:3]:
        return argv
    return [argv[0], "-P", *argv[1:], "--IPKernelApp.exec_lines=import sys; sys.path.insert(0, '')"]
