"""GuardedExecute: nbgrader's Execute step, with the kernel set up for clean verdicts.

What it adds to nbgrader's `Execute` (whose timeout and interrupt-on-timeout it keeps):

- Before the kernel starts, it starts an `EvidenceServer` (evidence_channel.py): a Unix socket
  in a fresh private folder, served by a thread of nbgrader's process, whose path the kernel
  gets in CHECKER_EVIDENCE_SOCKET. Each autograded test cell sends its model description
  there and waits for the acknowledgement. The server keeps only what arrives while a checker
  test cell runs (its window opens right before the cell and closes right after its reply),
  by cell; nothing the kernel does later can change it. `CleanVerdicts` grades every
  candidate of a window and counts the lowest. The folder is removed when execution ends.
- Limits per notebook: `notebook_timeout` seconds of wall time in all (the cell running
  when it is reached is interrupted, the cells after it are not run and score 0; the cells
  before keep their points) and `max_output_bytes` of output in all (later output is dropped
  as it arrives, with one note saying so; a cell's first error and result are kept, shortened) and
  `max_disk_bytes` written to its folders on disk (disk_guard.py: checked four times a second;
  past it the kernel is ended, the cells from there on score 0, and what the run wrote is
  deleted). The log says which limit a notebook reached.
- The kernel runs in a bubblewrap sandbox (sandbox.py): it sees the machine read-only, not the
  course, the repository or the checker's judge; it writes only its notebook's folder (the evidence
  socket's folder is bound read-only); no network; no process outlives it; a memory limit. Where bwrap cannot run,
  `preprocess` raises SandboxUnavailable unless `GuardedExecute.sandbox = False`.
- The kernel runs in grading mode (CHECKER_GRADING=1: check() says the self-check is off) with
  training skimmed (CHECKER_SKIM=1, checker/course/skim.py: one batch per fit, no drawings; no
  grade depends on training), on the CPU, with TensorFlow's logging quiet and the checker importable.
- A kernel that dies (os._exit, a crash, out of memory), or sends a message that is not a
  well-formed Jupyter message (kernel_messages.py: it owns its end and signs what it likes),
  ends the execution but not the grading: the cell that was running and every cell after it
  get an error output saying so, which scores 0 in nbgrader, and the cells that ran before
  keep their evidence.
- A kernel that is stuck ends the execution too. nbgrader interrupts a cell that runs out of
  time and goes on; when the kernel ignores the interrupt (a loop that catches
  KeyboardInterrupt), nbclient gives up waiting for its output (which nbgrader would let end
  the whole notebook), or the next cell times out without ever starting. That cell gets a
  timeout error and the cells after it are not run (error output, 0 points), instead of each
  waiting out its own timeout; the cells before keep their evidence. A cell that was still
  sending output when interrupted (e.g. 200 MB of print) is not stuck: before calling the
  kernel stuck, GuardedExecute waits up to `settle_seconds` (SETTLE_SECONDS) for it to answer.
- One output message larger than `max_message_bytes(max_output_bytes)` (64 MB by default) is
  refused by ZeroMQ before anything is allocated for it (printed text comes in chunks; one
  `display` is one message). That closes the client's output socket for good, so GuardedExecute
  takes a new client of the kernel, notes the refusal in the cell and runs the rest.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import time
from pathlib import Path
from queue import Empty

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer, List, Unicode, default

from checker import GRADING_ENV
from checker.classroom import sandbox as sandboxing
from checker.classroom import sandboxed_kernel
from checker.classroom.config import (
    DEFAULT_MAX_DISK_BYTES,
    DEFAULT_MAX_OUTPUT_BYTES,
    DEFAULT_NOTEBOOK_TIMEOUT,
)
from checker.classroom.disk_guard import DiskGuard
from checker.classroom.environment import environment
from checker.classroom.evidence import checker_exercise
from checker.classroom.kernel_messages import KernelProtocolError
from checker.course.skim import SKIM_ENV
from checker.evidence_channel import SOCKET_ENV, EvidenceServer
from checker.paths import RESULTS_DIR_ENV, repository_root

KERNEL_THREADS_ENV = "CHECKER_KERNEL_THREADS"  # threads each grading kernel's TensorFlow may use
EVIDENCE_KEY = "checker_evidence"  # in nbconvert's resources: {exercise: evidence_channel.Window}
LIMITS_KEY = "checker_limits"  # in nbconvert's resources: the limits this notebook reached
NOT_RUN = "NotRun"  # ename of the error output on cells a dead or stuck kernel, or a limit, stopped
SETTLE_SECONDS = 60  # after an interrupt, how long queued output may take to drain
IOPUB_SILENCE_SECONDS = 5  # the kernel answered, its output channel said nothing this long: it is gone
INTERRUPTED = "The cell ran out of time (nbgrader's per-cell timeout) and was interrupted."
STUCK = (
    "Not run: the kernel was still busy with an earlier cell that did not stop when nbgrader interrupted it."
)
OUTPUT_REFUSED = (
    "[Output refused: one output of this cell was larger than {megabytes} MB; the grader drops such "
    "a message unread, with whatever the cell sent while it reconnected. Show less at once.]\n"
)
RECONNECT_TRIES = 10  # kernel_info requests, a second apart, until the new output channel hears back
KEPT_ERROR_CHARS = 2000  # an error or a result past the output limit is kept, this short
MESSAGE_CAP_FLOOR = 64 * 1024**2  # bytes: the cap on one kernel message part is never lower


class GuardedExecute(Execute):
    """nbgrader's Execute, taking test-cell evidence through a private socket, with limits per notebook."""

    fast = Bool(
        True,
        help="Run the kernel with CHECKER_FAST=1 (training cells use a few "
        "epochs; grading does not depend on training).",
    ).tag(config=True)
    skim_training = Bool(
        help="Let the kernel skim training (CHECKER_SKIM, checker/course/skim.py): each fit takes "
        "one batch, evaluate one batch, drawings are skipped. No grade depends on training, so "
        "scores are the same as with full training, in a fraction of the time. Default: on, "
        "unless CHECKER_SKIM=0 is set.",
    ).tag(config=True)
    notebook_timeout = Integer(
        DEFAULT_NOTEBOOK_TIMEOUT,
        help="Seconds of wall time a whole notebook may take; the cells after that are not run "
        "(0 points for their test cells). 0: no limit.",
    ).tag(config=True)
    max_output_bytes = Integer(
        DEFAULT_MAX_OUTPUT_BYTES,
        help="Bytes of output a whole notebook may produce; later output is dropped as it "
        "arrives (a cell's first error and result are kept, shortened). 0: no limit.",
    ).tag(config=True)

    max_disk_bytes = Integer(
        DEFAULT_MAX_DISK_BYTES,
        help="Bytes a whole notebook may add to its folders on disk while it runs; past that its "
        "kernel is ended (0 points for the test cells from there on) and what it wrote is deleted. "
        "0: no limit.",
    ).tag(config=True)

    sandbox = Bool(
        help="Run each learner's kernel in the bubblewrap sandbox (default). False runs learners' "
        "code with your own access to the course, its solutions and the checker: a learner can then "
        "read the answers or change grades.",
    ).tag(config=True)

    memory_limit = Integer(
        sandboxing.DEFAULT_MEMORY_LIMIT,
        allow_none=True,
        help="Bytes of data memory (RLIMIT_DATA) a sandboxed kernel may use; None: no limit.",
    ).tag(config=True)

    hidden_folders = List(
        Unicode(),
        help="Folders a sandboxed kernel must not see inside what it sees read-only: the system "
        "folders (/usr, /etc, ...) and its Python's installation. All else is absent anyway.",
    ).tag(config=True)

    @default("store_widget_state")
    def _store_widget_state_default(self) -> bool:
        # Widget state arrives in comm messages, which no output limit counts, and goes into the notebook.
        return False

    @default("shutdown_kernel")
    def _shutdown_kernel_default(self) -> str:
        # Every output is in once the last cell replied; a graceful stop waits ~3 s for TensorFlow to exit.
        return "immediate"

    settle_seconds = Float(
        SETTLE_SECONDS,
        help="After interrupting a cell that ran out of time, seconds to wait for the kernel to "
        "answer (its queued output drained) before calling it stuck: the cells after it are then "
        "not run.",
    ).tag(config=True)

    kernel_threads = Integer(
        0,
        help="Threads the kernel's TensorFlow may use (TF_NUM_INTRAOP_THREADS, "
        "TF_NUM_INTEROP_THREADS, OMP_NUM_THREADS); 0 lets it take every core. Default: "
        "CHECKER_KERNEL_THREADS, which `classroom autograde --jobs N` sets to cores // N.",
    ).tag(config=True)

    @default("kernel_threads")
    def _kernel_threads_default(self) -> int:
        value = os.environ.get(KERNEL_THREADS_ENV, "0")
        return int(value) if value.isdigit() else 0

    @default("skim_training")
    def _skim_training_default(self) -> bool:
        return os.environ.get(SKIM_ENV, "1") != "0"

    @default("sandbox")
    def _sandbox_default(self) -> bool:
        return os.environ.get(sandboxing.SWITCH_ENV, "").lower() != "off"

    def preprocess(self, nb, resources=None, km=None):
        resources = resources if resources is not None else {}
        if self.sandbox:
            sandboxing.require()
        else:
            self.log.warning(
                "Running the learner's code WITHOUT the sandbox (GuardedExecute.sandbox = False)."
            )
        self._running_cell = None
        self._kernel_stuck = False
        self._timing = Timing()
        self._start_limits(resources)
        self._start_evidence_channel(resources)
        self._sandbox = self._learner_sandbox(resources) if self.sandbox else None
        self._disk_guard = self._start_disk_guard(resources)
        try:
            with environment(self._kernel_environment(self._evidence.socket_path)):
                return super().preprocess(nb, resources, km)
        except Exception as exc:  # nbclient raises DeadKernelError (or a RuntimeError) on death
            if not _is_dead_kernel(exc):
                raise
            self.log.warning(
                "The kernel died in cell %s; the cells from there on score 0.", (self._running_cell or 0) + 1
            )
            _mark_dead(nb, self._running_cell, self._death_reason(exc))
            return nb, resources
        finally:
            self._stop_evidence_channel()
            self._finish_disk_guard()
            self.log.info("Timing: %s.", self._timing.summary())

    def preprocess_cell(self, cell, resources, index):
        if self._kernel_stuck and cell.cell_type == "code":
            cell.outputs = [_error_output(STUCK)]
            return cell, resources
        if self._out_of_time() and cell.cell_type == "code":
            cell.outputs = [_error_output(f"Not run: the notebook's time limit ({self.notebook_timeout} s).")]
            return cell, resources
        self._running_cell = index
        if cell.cell_type == "code":
            self._timing.cell_starts()
        try:
            cell, resources = self._run_cell(cell, resources, index)
            if _timed_out(cell) and self._out_of_time():
                self._stopped_by_time_limit(cell)
            elif _timed_out(cell) and cell.get("execution_count") is None:  # it never started
                self._stuck(index)
        except CellTimeoutError:  # its output did not end after the interrupt (in time)
            if self._out_of_time():  # the later cells are not run anyway
                self._stopped_by_time_limit(cell)
            else:
                self._after_timeout(cell, index)
        return cell, resources

    def _after_timeout(self, cell, index: int) -> None:
        """Its output did not end: the kernel stopped, is stuck, or its output channel closed."""
        state = self._settled()
        if state == "settled":  # it did stop: it was still sending output (e.g. 200 MB of print)
            cell.outputs.append(_error_output(INTERRUPTED, ename="CellTimeoutError"))
        elif state == "output refused" and self._reconnected():
            megabytes = max_message_bytes(self.max_output_bytes) // 1024**2
            cell.outputs.append(_stream_note(OUTPUT_REFUSED.format(megabytes=megabytes)))
            self.log.warning(
                "Output refused in cell %s: one message was larger than %s MB; the rest is graded.",
                index + 1,
                megabytes,
            )
        else:
            cell.outputs.append(
                _error_output(
                    "The cell ran out of time and did not stop when interrupted.", ename="CellTimeoutError"
                )
            )
            self._stuck(index)

    def _settled(self) -> str:
        """After an interrupt, within `settle_seconds`: "settled" (it answers, its queued output
        drained), "output refused" (it answers, but its output channel is gone: a message past
        the size cap closed it) or "stuck"."""
        seconds = self.settle_seconds
        if self._deadline is not None:
            seconds = min(seconds, self._deadline - time.monotonic())
        try:
            return run_sync(self._async_settle)(seconds) if seconds > 0 else "stuck"
        except Exception:  # noqa: BLE001 - a dead or broken channel: it did not settle
            return "stuck"

    async def _async_settle(self, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        request = self.kc.kernel_info()  # answered on the shell channel only once the cell is over
        answered_at = None
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=min(left, 1)))
            except Empty:
                answered_at = answered_at or (await self._answered_on_shell(request) and time.monotonic())
                if answered_at and time.monotonic() - answered_at > IOPUB_SILENCE_SECONDS:
                    return "output refused"  # it answers, yet its output channel stays silent
                continue
            if _idle_after(msg, request):
                return "settled"
        return "output refused" if answered_at else "stuck"

    def _reconnected(self) -> bool:
        """A new client of the kernel (a ZeroMQ socket that refused a message stays closed),
        once it hears the kernel on its output channel."""
        try:
            self.kc.stop_channels()
            self.kc = self.km.client()
            self.kc.start_channels()
            self.kc.allow_stdin = False  # as nbclient sets up its own client
            return run_sync(self._async_hear_iopub)()
        except Exception:  # noqa: BLE001 - no channel to it: the kernel is as good as stuck
            return False

    async def _async_hear_iopub(self) -> bool:
        # A new subscriber misses what is published before its subscription arrives: ask again.
        for _ in range(RECONNECT_TRIES):
            request = self.kc.kernel_info()
            deadline = time.monotonic() + 1
            while (left := deadline - time.monotonic()) > 0:
                try:
                    msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=left))
                except Empty:
                    break
                if _idle_after(msg, request):
                    return True
        return False

    async def _answered_on_shell(self, request: str) -> bool:
        while True:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=0.1))
            except Empty:
                return False
            if msg["parent_header"].get("msg_id") == request:
                return True

    def _stuck(self, index: int) -> None:
        self._kernel_stuck = True
        self.log.warning(
            "The kernel is stuck in cell %s; the cells after it are not run and score 0.", index + 1
        )

    def _run_cell(self, cell, resources, index):
        """Execute; for a checker test cell, keep what reached the evidence channel while it ran."""
        exercise = checker_exercise(cell)
        if exercise is None:
            return self._timed_cell(cell, resources, index)
        self._evidence.open_window(index)
        try:
            return self._timed_cell(cell, resources, index)
        finally:
            resources[EVIDENCE_KEY][exercise] = self._evidence.close_window()

    def _timed_cell(self, cell, resources, index):
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self._timing.cell_ends()

    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        # nbclient mimics a browser's Output widget for a comm the kernel opens, and fails the whole
        # notebook on a malformed one (KeyError: '_model_module'); no grade needs widgets.
        self.comm_open_handlers = {}

    def create_kernel_manager(self):
        sandboxed = self._sandbox is not None
        self.kernel_manager_class = (
            sandboxed_kernel.SandboxedKernelManager if sandboxed else sandboxed_kernel.LimitedKernelManager
        )
        km = super().create_kernel_manager()
        if sandboxed:
            km.sandbox = self._sandbox
        km.max_message_bytes = max_message_bytes(self.max_output_bytes)
        if getattr(self, "_disk_guard", None) and sandboxed:
            self._disk_guard.watch(km.private_folder)  # the kernel writes its sockets there
            self._disk_guard.watch_processes(km.learner_pids)
        return km

    def _learner_sandbox(self, resources: dict) -> sandboxing.Sandbox:
        """Writes to the notebook's folder, reaches the evidence socket; the course is hidden."""
        notebook_folder = Path(resources.get("metadata", {}).get("path") or os.getcwd()).resolve()
        course_root = self.config.CourseDirectory.get("root") or os.getcwd()
        db_url = resources.get("nbgrader", {}).get("db_url", "")
        gradebook_folder = (
            [Path(db_url.removeprefix("sqlite:///")).parent] if db_url.startswith("sqlite:///") else []
        )
        return sandboxing.Sandbox(
            writable=(notebook_folder,),
            # The assignment's other notebooks, some graded already: in class grading the head
            # records what the worker brings back, so a later kernel must not rewrite them.
            frozen=tuple(sorted(notebook_folder.glob("*.ipynb"))),
            readable=(self._evidence_dir,),
            hidden=(Path(course_root), *gradebook_folder, *map(Path, self.hidden_folders)),
            memory_limit=self.memory_limit or None,
        )

    # ---- the evidence channel

    def _start_evidence_channel(self, resources) -> None:
        resources[EVIDENCE_KEY] = {}
        self._evidence = EvidenceServer.start()
        self._evidence_dir = self._evidence.folder  # the folder a sandbox binds into the kernel's view

    def _stop_evidence_channel(self) -> None:
        self._evidence.stop()

    # ---- limits per notebook

    def _start_limits(self, resources) -> None:
        self._deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout > 0 else None
        self._output_bytes = 0
        self._output_cut = False
        self._limits = resources.setdefault(LIMITS_KEY, [])

    def _output_limit_reached(self) -> None:
        self._reached(f"the notebook's output limit ({self.max_output_bytes} bytes)")

    def _reached(self, limit: str) -> None:
        if limit not in self._limits:
            self._limits.append(limit)
            self.log.warning("Limit reached: %s; the notebook is graded up to that point.", limit)

    def _start_disk_guard(self, resources) -> DiskGuard | None:
        if self.max_disk_bytes <= 0:
            return None
        folder = Path(resources.get("metadata", {}).get("path") or os.getcwd()).resolve()
        return DiskGuard([folder], self.max_disk_bytes, self._over_disk_limit).start()

    def _over_disk_limit(self, problem: str) -> None:
        """From the guard's thread: end the kernel (its whole sandbox); nbclient then sees it die."""
        self._reached(f"the notebook's disk limit (it wrote {problem})")
        km = getattr(self, "km", None)  # None until nbclient has made it
        pid = km.provisioner.pid if km is not None and km.provisioner is not None else None
        if pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def _finish_disk_guard(self) -> None:
        if self._disk_guard is None:
            return
        self._disk_guard.stop()
        if self._disk_guard.exceeded:
            removed = self._disk_guard.remove_new_files()
            self.log.warning("Deleted %d files and folders the notebook wrote past its disk limit.", removed)

    def _death_reason(self, exc: Exception) -> str | None:
        if isinstance(exc, KernelProtocolError):
            return f"the kernel sent {exc}, so it was stopped"
        if self._disk_guard and self._disk_guard.exceeded:
            return f"the notebook wrote {self._disk_guard.exceeded} to disk (its limit)"
        return None

    def _out_of_time(self) -> bool:
        if self._deadline is None or time.monotonic() < self._deadline:
            return False
        self._reached(f"the notebook's time limit ({self.notebook_timeout} s)")
        return True

    def _get_timeout(self, cell):
        """nbclient's timeout for this cell, cut to what is left of the notebook's time."""
        timeout = super()._get_timeout(cell)
        if self._deadline is None:
            return timeout
        left = max(1, math.ceil(self._deadline - time.monotonic()))
        return left if timeout is None else min(timeout, left)

    def _stopped_by_time_limit(self, cell) -> None:
        reason = f"Stopped: the notebook's time limit ({self.notebook_timeout} s) was reached in this cell."
        cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
        cell.outputs.append(_error_output(reason))

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's per-output hook: outputs past `max_output_bytes` are dropped as they arrive."""
        if self.max_output_bytes <= 0:
            return super().output(outs, msg, display_id, cell_index)
        self._output_bytes += _message_size(msg)
        if self._output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if not self._output_cut:
            self._output_cut = True
            self._output_limit_reached()
            outs.append(_output_cut_note(self.max_output_bytes))
        kind = msg.get("msg_type")
        # Kept, one of each per cell: nbgrader scores a cell by them (the kernel may send thousands).
        if kind in ("error", "execute_result") and not any(o.get("output_type") == kind for o in outs):
            return super().output(outs, _shortened(msg), display_id, cell_index)
        if _is_stderr(msg) and not any(_is_stderr_output(o) for o in outs):
            outs.append(NotebookNode(output_type="stream", name="stderr", text="(stderr output cut)\n"))
        return None

    def _update_display_id(self, display_id, msg):
        """An output with a display id replaces every earlier output with that id, without passing
        through `output`: each copy counts, as each is written into the notebook."""
        if self.max_output_bytes > 0:
            copies = sum(map(len, self._display_id_map.get(display_id, {}).values()))
            self._output_bytes += _message_size(msg) * copies
            if self._output_bytes > self.max_output_bytes:
                self._output_limit_reached()
                return None
        return super()._update_display_id(display_id, msg)

    def _kernel_environment(self, socket_path: Path) -> dict[str, str | None]:
        python_path = os.pathsep.join(
            p for p in (str(repository_root()), os.environ.get("PYTHONPATH", "")) if p
        )
        return {
            SOCKET_ENV: str(socket_path),
            RESULTS_DIR_ENV: None,  # the kernel sends its evidence; it records nothing
            "CHECKER_FAST": "1" if self.fast else None,
            GRADING_ENV: "1",  # also without the sandbox: check() says the self-check is off
            SKIM_ENV: "1" if self.skim_training else "0",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "CUDA_VISIBLE_DEVICES": "",
            "PYTHONPATH": python_path,
            **self._thread_limits(),
        }

    def _thread_limits(self) -> dict[str, str]:
        if self.kernel_threads <= 0:
            return {}
        threads = str(self.kernel_threads)
        return {
            "TF_NUM_INTRAOP_THREADS": threads,
            "TF_NUM_INTEROP_THREADS": threads,
            "OMP_NUM_THREADS": threads,
        }


class Timing:
    """Where one notebook's execution time went: kernel start, cells, kernel stop (for the log).

    >>> timing = Timing(); timing.cell_starts(); timing.cell_ends()
    >>> timing.summary().startswith("kernel start ")
    True
    """

    def __init__(self):
        self.started = time.perf_counter()
        self.first_cell = self.last_cell_end = None

    def cell_starts(self) -> None:
        if self.first_cell is None:
            self.first_cell = time.perf_counter()

    def cell_ends(self) -> None:
        self.last_cell_end = time.perf_counter()

    def summary(self) -> str:
        now = time.perf_counter()
        if self.first_cell is None or self.last_cell_end is None:
            return f"{now - self.started:.1f} s, no cell ran"
        return (
            f"kernel start {self.first_cell - self.started:.1f} s, "
            f"cells {self.last_cell_end - self.first_cell:.1f} s, "
            f"kernel stop {now - self.last_cell_end:.1f} s"
        )


def _idle_after(msg: dict, request: str) -> bool:
    """Is this the kernel's "idle" status that ends its handling of `request`?"""
    return (
        msg["parent_header"].get("msg_id") == request
        and msg["msg_type"] == "status"
        and msg["content"].get("execution_state") == "idle"
    )


def max_message_bytes(max_output_bytes: int) -> int:
    """The largest kernel message part the grader accepts: one output past the notebook's
    output limit would be dropped anyway; 0 (no cap) when output is not limited either.

    >>> max_message_bytes(2_000_000), max_message_bytes(0)
    (67108864, 0)
    """
    if max_output_bytes <= 0:
        return 0
    return max(MESSAGE_CAP_FLOOR, 2 * max_output_bytes)


def _message_size(msg: dict) -> int:
    """About how many bytes an output message adds to the notebook."""
    content = msg.get("content", {})
    if msg.get("msg_type") == "stream":
        return len(content.get("text", ""))
    return len(json.dumps(content, default=str))


def _is_stderr(msg: dict) -> bool:
    return msg.get("msg_type") == "stream" and msg.get("content", {}).get("name") == "stderr"


def _is_stderr_output(output) -> bool:
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


def _shortened(msg: dict) -> dict:
    """An error (its value and the end of its traceback) or a result (its plain text), kept short."""
    content = msg["content"]
    if msg["msg_type"] == "execute_result":
        text = str(content.get("data", {}).get("text/plain", ""))[:KEPT_ERROR_CHARS]
        return {**msg, "content": {**content, "data": {"text/plain": text}, "metadata": {}}}
    traceback = [str(line)[:KEPT_ERROR_CHARS] for line in content.get("traceback", [])[-10:]]
    shortened = {
        **content,
        "evalue": str(content.get("evalue", ""))[:KEPT_ERROR_CHARS],
        "traceback": traceback,
    }
    return {**msg, "content": shortened}


def _stream_note(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout", text=text)


def _output_cut_note(limit: int) -> NotebookNode:
    text = (
        f"[Output cut: this notebook's outputs passed {limit:,} bytes, the limit for grading; "
        "later output was not kept.]\n"
    )
    return _stream_note(text)


def _is_dead_kernel(exc: Exception) -> bool:
    """Dead, or as good as dead: it broke the messaging protocol (the kernel is ended all the same)."""
    return isinstance(exc, (DeadKernelError, KernelProtocolError)) or "Kernel died" in str(exc)


def _timed_out(cell) -> bool:
    return any(
        o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError"
        for o in cell.get("outputs", [])
    )


def _mark_dead(nb, first_index: int | None, reason: str | None = None) -> None:
    """An error output on the cell the kernel died in and on every code cell after it.

    `reason`: why the grader ended the kernel (a limit), when it did.
    """
    start = 0 if first_index is None else first_index
    died = f"Stopped: {reason}." if reason else "The kernel died while running this cell."
    after = (
        f"Not run: {reason} in cell {start + 1}."
        if reason
        else f"Not run: the kernel died in cell {start + 1}."
    )
    for index, cell in enumerate(nb.cells[start:], start=start):
        if cell.cell_type == "code":
            cell.outputs = [_error_output(died if index == start else after)]


def _error_output(reason: str, ename: str = NOT_RUN) -> NotebookNode:
    """An error output: nbgrader scores the cell 0, and evidence.did_not_complete quotes the reason."""
    return NotebookNode(output_type="error", ename=ename, evalue=reason, traceback=[f"{ename}: {reason}"])
