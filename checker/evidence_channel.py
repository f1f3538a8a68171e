"""The channel that carries a test cell's model description out of the learner's kernel.

nbgrader's process (`GuardedExecute`) runs an `EvidenceServer`: a Unix-domain socket in a
fresh private folder, served by a thread, for the whole run of one notebook. The kernel finds
the socket through the environment variable SOCKET_ENV. `checker.autograde.grade` connects,
sends one JSON message {"exercise", "description"} and waits for the server's
acknowledgement, so its message is in the grader's hands before the test cell ends.

The server keeps a message only when it arrives while a test cell runs: `open_window(i)`
right before nbgrader executes test cell i, `close_window()` right after its reply (after
taking in the connections already made, for at most DRAIN_SECONDS). Everything else is read
and thrown away. Whatever a thread, a hook or a process adds inside the window is kept next to
the cell's own message; the grader counts the lowest score of them all.

Everything is bounded: a message's size (MAX_EVIDENCE_BYTES), the messages per window
and bytes per window (MAX_MESSAGES_PER_WINDOW, MAX_WINDOW_BYTES; more marks the window
`flooded`), open connections
(MAX_OPEN_CONNECTIONS) and the time a connection may take (READ_SECONDS).

Only the standard library is imported here: the kernel imports `send` from this module, and
the sandbox imports the names below: a kernel launcher that finds SOCKET_ENV in its
environment binds `socket_folder(os.environ[SOCKET_ENV])` into the sandbox (read-only is
enough to connect) and passes SOCKET_ENV on to the kernel.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SOCKET_ENV = "CHECKER_EVIDENCE_SOCKET"  # the kernel's environment: path of the socket
FOLDER_PREFIX = "checker-evidence-"  # the socket's private folder, one per notebook run
SOCKET_NAME = "evidence.sock"

MAX_EVIDENCE_BYTES = 20_000_000  # a description is a few hundred kB at most (Xception)
MAX_MESSAGES_PER_WINDOW = 8  # a test cell sends one; more is someone else's code
MAX_WINDOW_BYTES = 2 * MAX_EVIDENCE_BYTES  # what one window may hold in nbgrader's memory
MAX_OPEN_CONNECTIONS = 4  # each may buffer up to MAX_EVIDENCE_BYTES
READ_SECONDS = 10.0  # a connection must deliver its whole message within this
DRAIN_SECONDS = 2.0  # how long closing a window waits for connections already made
SEND_SECONDS = 60.0  # the kernel side: give up waiting for the acknowledgement
ACK = b"ok"


def socket_folder(socket_path: str | os.PathLike) -> Path:
    """The folder to bind into a sandbox for the kernel to reach the socket.

    >>> str(socket_folder("/tmp/checker-evidence-x/evidence.sock"))
    '/tmp/checker-evidence-x'
    """
    return Path(socket_path).parent


# ---------------------------------------------------------------- the kernel's side


def send(message: dict, socket_path: str | None = None) -> bool:
    """Send one message and wait for the acknowledgement; False when the grader did not take it.

    Never raises and never prints: it runs inside a graded test cell.

    >>> send({"exercise": "functional_mlp", "description": None}, socket_path="/nonexistent")
    False
    """
    path = socket_path or os.environ.get(SOCKET_ENV)
    if not path:
        return False
    try:
        data = json.dumps(message).encode("utf-8")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(SEND_SECONDS)
            connection.connect(path)
            connection.sendall(data)
            connection.shutdown(socket.SHUT_WR)
            return connection.recv(len(ACK)) == ACK
    except (OSError, ValueError, TypeError):
        return False


# ---------------------------------------------------------------- nbgrader's side


@dataclass
class Window:
    """What arrived while one test cell ran."""

    cell: int
    messages: list[bytes] = field(default_factory=list)
    flooded: bool = False  # more connections than MAX_MESSAGES_PER_WINDOW
    connections: int = 0
    closed: bool = False


@dataclass
class _Connection:
    window: Window | None
    deadline: float
    data: bytearray = field(default_factory=bytearray)


class EvidenceServer:
    """A Unix-socket server in a thread; messages are kept per test-cell window.

    >>> server = EvidenceServer.start()
    >>> server.open_window(3)
    >>> send({"exercise": "x", "description": None}, str(server.socket_path))
    True
    >>> window = server.close_window()
    >>> window.cell, len(window.messages)
    (3, 1)
    >>> server.stop()
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.socket_path = folder / SOCKET_NAME
        self._lock = threading.Condition()
        self._window: Window | None = None
        self._sweep_requested = False
        self._stopping = False
        self._connections: dict[socket.socket, _Connection] = {}
        self._selector = selectors.DefaultSelector()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._thread = threading.Thread(target=self._serve, name="checker-evidence", daemon=True)

    @classmethod
    def start(cls) -> EvidenceServer:
        server = cls(Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX)))
        server._listener.bind(str(server.socket_path))
        server._listener.listen(MAX_OPEN_CONNECTIONS)
        server._listener.setblocking(False)
        server._selector.register(server._listener, selectors.EVENT_READ)
        server._thread.start()
        return server

    def open_window(self, cell: int) -> None:
        with self._lock:
            self._window = Window(cell)

    def close_window(self) -> Window | None:
        """End the current window and return what it holds; later messages are discarded."""
        with self._lock:
            window = self._window
            if window is None:
                return None
            self._sweep_requested = True  # connections still in the listen queue belong to it
            self._lock.wait_for(lambda: not self._sweep_requested or self._stopping, timeout=DRAIN_SECONDS)
            self._window = None
            self._lock.wait_for(lambda: not self._pending(window), timeout=DRAIN_SECONDS)
            window.closed = True
            return window

    def stop(self) -> None:
        import shutil

        with self._lock:
            self._stopping = True
        self._thread.join(timeout=5)
        for connection in list(self._connections):
            self._drop(connection)
        with contextlib.suppress(OSError):
            self._selector.close()
            self._listener.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # ---- the server thread

    def _pending(self, window: Window) -> bool:
        return any(c.window is window for c in self._connections.values())

    def _serve(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                sweep = self._sweep_requested
            for key, _ in self._selector.select(timeout=0.05):
                if key.fileobj is self._listener:
                    self._accept_all()
                else:
                    self._read(key.fileobj)
            if sweep:
                self._accept_all()
                with self._lock:
                    self._sweep_requested = False
                    self._lock.notify_all()
            self._expire()

    def _accept_all(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            with self._lock:
                window = self._window
                if window is not None:
                    window.connections += 1
                    window.flooded |= window.connections > MAX_MESSAGES_PER_WINDOW
                if (window is not None and window.flooded) or len(self._connections) >= MAX_OPEN_CONNECTIONS:
                    connection.close()
                    continue
                connection.setblocking(False)
                self._connections[connection] = _Connection(window, time.monotonic() + READ_SECONDS)
            self._selector.register(connection, selectors.EVENT_READ)

    def _read(self, connection: socket.socket) -> None:
        state = self._connections.get(connection)
        if state is None:
            return
        try:
            chunk = connection.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = None
        if chunk:
            state.data += chunk
            if len(state.data) > MAX_EVIDENCE_BYTES:
                self._drop(connection)
            return
        if chunk is not None:  # the sender finished: keep the message, then acknowledge it
            self._keep(state)
            with contextlib.suppress(OSError):
                connection.send(ACK)
        self._drop(connection)

    def _keep(self, state: _Connection) -> None:
        with self._lock:
            window = state.window
            if window is None or window.closed or not state.data:
                return
            if sum(map(len, window.messages)) + len(state.data) > MAX_WINDOW_BYTES:
                window.flooded = True
                return
            window.messages.append(bytes(state.data))

    def _expire(self) -> None:
        now = time.monotonic()
        for connection, state in list(self._connections.items()):
            if state.deadline < now:
                self._drop(connection)

    def _drop(self, connection: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(connection)
        with contextlib.suppress(OSError):
            connection.close()
        with self._lock:
            self._connections.pop(connection, None)
            self._lock.notify_all()
