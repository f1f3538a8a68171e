"""The bubblewrap sandbox every piece of learner code runs in during class grading.

A learner's kernel (`GuardedExecute`) and the layer probe (`layer_grading`) run inside `bwrap`
with:

- a read-only view of only the system (`SYSTEM_FOLDERS`: /usr, /etc, /sys, /lib...) and the
  kernel's own Python, wherever it lives (a virtualenv, pyenv, conda): an allow-list, so the
  course, the repository, people's homes, nbgrader's exchange, /run's service sockets and any
  /data or /work with solutions are simply absent; what in /etc only its owner may read
  (shadow, private keys) is masked, since a root grader's sandbox would read it as its owner;
  a fresh `/dev`, `/proc` (its kernel settings, /proc/sys, read-only) and `/tmp`;
- what must stay hidden inside what is shown hidden under empty folders: the checker package
  when it is installed in that virtualenv, the grading user's home, the folders the caller names;
- in their place a read-only copy of only the kernel-side modules of the checker (no judge/,
  hence no exercise specs; no classroom/, authoring/, commands/), first on PYTHONPATH;
- write access to the folders the caller names (the notebook's folder, a scratch folder) only;
- its own user, PID, IPC and network namespaces and no capabilities, even when the grader is
  root: it cannot unmount what hides the course nor remount anything writable, no process
  outlives it (bwrap ends them all when its first process exits, and dies with its parent), no
  network, not even 127.0.0.1, and no new user namespace inside (where bwrap can forbid it);
- bounded scratch space: /tmp and /dev/shm are small private tmpfs (in memory, so unbounded
  they would be a way to exhaust it), the rest of /dev read-only;
- limits through `prlimit` (bwrap itself sets none): data memory per process (RLIMIT_DATA),
  the size of any one file it writes (RLIMIT_FSIZE), processes and threads (RLIMIT_NPROC), and
  open descriptors (RLIMIT_NOFILE). Linux exempts root's own uid from RLIMIT_NPROC, so when
  grading as root a cgroup (`cgroups`) limits processes and memory of the whole sandbox, where
  root may make one.

Public surface: `Sandbox` (the command line for one sandboxed process), `contained()` (that
command in a cgroup of its own, where one can be made), `availability()` (can this machine run
it, and if not why), `folders_in_view()`, `limits_in_force()`, `require()` and `SandboxUnavailable`,
and, in `sandboxed_kernel`, the Jupyter kernel manager that starts a kernel in a `Sandbox`.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from checker import GRADING_ENV
from checker.classroom import cgroups

HIDE_ENV = "CHECKER_SANDBOX_HIDE"  # more folders to hide, os.pathsep-separated (the real course)
SWITCH_ENV = "CHECKER_SANDBOX"  # "off": the default of GuardedExecute.sandbox becomes False
DEFAULT_MEMORY_LIMIT = 4 * 1024**3  # bytes of RLIMIT_DATA; TensorFlow reserves far more *virtual* memory
DEFAULT_FILE_SIZE_LIMIT = 1024**3  # bytes: the largest file learner code may write (RLIMIT_FSIZE)
DEFAULT_PROCESS_LIMIT = 1024  # processes and threads (RLIMIT_NPROC); TensorFlow starts ~2 per core
# Descriptors per process (RLIMIT_NOFILE, soft and hard): the disk guard lists them all, four times a second.
OPEN_FILES_LIMIT = 4096
# All of the machine a kernel sees, read-only, besides its own Python (wherever that lives), its
# folders and private scratch: an allow-list, so a /data or /work with solutions is simply absent.
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")
SCRATCH_BYTES = 512 * 1024**2  # size of the private /tmp (HOME, caches); /dev/shm gets a quarter
# Kernel settings and triggers in /proc that uid 0 may write without a capability.
PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", "/proc/pressure")
PACKAGE_MOUNT = "/tmp/.checker-kernel-side"  # where the kernel-side copy appears inside the sandbox
# What learner code may import of the checker: what the notebooks call, nothing that judges.
KERNEL_SIDE = (
    "__init__.py",
    "autograde.py",
    "evidence_channel.py",
    "report.py",
    "paths.py",
    "layering.py",
    "observe",
    "course",
)
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"
)


class SandboxUnavailable(RuntimeError):
    """bwrap cannot run here; the message says why and what to do."""


@dataclass(frozen=True)
class Sandbox:
    """The `bwrap` command line that runs one process of learner code.

    >>> command = Sandbox(writable=(Path("/srv/course/autograded/ann/01"),)).command(["python", "x.py"])
    >>> command[0], "--unshare-net" in command, command[-2:]
    ('bwrap', True, ['python', 'x.py'])
    """

    writable: tuple[Path, ...] = ()  # the only folders learner code may write; the first is its cwd
    readable: tuple[Path, ...] = ()  # folders it may read (and connect to sockets in), not change
    hidden: tuple[Path, ...] = ()  # folders to hide besides the repository and the checker package
    frozen: tuple[Path, ...] = ()  # files in a writable folder it may read, not change nor remove
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT
    file_size_limit: int | None = DEFAULT_FILE_SIZE_LIMIT
    process_limit: int | None = DEFAULT_PROCESS_LIMIT
    environment: dict[str, str] = field(default_factory=dict)

    def with_writable(self, *folders: Path) -> Sandbox:
        return replace(self, writable=self.writable + tuple(Path(f) for f in folders))

    def command(self, argv: list[str]) -> list[str]:
        interpreter = Path(argv[0]) if argv and os.path.isabs(argv[0]) else Path(sys.executable)
        shown = _shown_folders(interpreter)
        wanted = [*self.hidden, *_hidden_env(), *_checker_locations(), *_grading_user_home()]
        hidden = _outermost([f for f in wanted if _strictly_under_any(f, shown)], in_tmp=True)
        writable = [Path(f).resolve() for f in self.writable]
        options = [*_system_view(), "--proc", "/proc", *_kernel_settings_read_only(), *_private_scratch()]
        options += _each("--ro-bind", shown, twice=True)  # the kernel's Python, e.g. a .venv in the repo
        options += _each("--tmpfs", hidden)  # e.g. site-packages/checker in that .venv
        options += _each("--bind", writable, twice=True)
        options += _each("--ro-bind", [Path(f).resolve() for f in self.readable], twice=True)
        frozen = [Path(f) for f in self.frozen if Path(f).is_file() and not Path(f).is_symlink()]
        options += _each("--ro-bind", frozen, twice=True)  # a link's target could be a hidden file
        options += ["--ro-bind", str(kernel_side_package()), PACKAGE_MOUNT]
        options += _font_cache_binds()
        options += _each("--remount-ro", [f for f in hidden if f not in writable])
        options += ["--remount-ro", "/"]  # the root bwrap made, where it made the folders above
        for name, value in {**_SANDBOX_ENVIRONMENT, **self.environment}.items():
            options += ["--setenv", name, value]
        options += ["--unshare-user", *_no_user_namespaces_inside(), "--cap-drop", "ALL"]
        options += ["--unshare-pid", "--unshare-ipc", "--unshare-net", "--die-with-parent", "--new-session"]
        if writable:
            options += ["--chdir", str(writable[0])]
        return ["bwrap", *options, "--", *self._limits(), *argv]

    def cgroup(self) -> cgroups.Cgroup | None:
        """A new cgroup for all of this sandbox's processes together, where one can be made.

        Its memory is the per-process limit plus the scratch tmpfs, whose pages it is charged.
        """
        memory = self.memory_limit + SCRATCH_BYTES * 5 // 4 if self.memory_limit else None
        return cgroups.create(processes=self.process_limit, memory_bytes=memory)

    def _limits(self) -> list[str]:
        """`prlimit` and its options (soft and hard: learner code cannot raise them), or nothing."""
        wanted = {
            "data": self.memory_limit,
            "fsize": self.file_size_limit,
            "nproc": self.process_limit,
            "nofile": OPEN_FILES_LIMIT,
        }
        options = [f"--{name}={value}" for name, value in wanted.items() if value]
        return ["prlimit", *options, "--"] if options else []


@contextlib.contextmanager
def contained(sandbox: Sandbox, argv: list[str]):
    """The sandboxed command for `argv`, in a cgroup of its own (removed afterwards) where possible.

    >>> with contained(Sandbox(), ["/bin/true"]) as command:
    ...     "bwrap" in command
    True
    """
    group = sandbox.cgroup()
    command = sandbox.command(argv)
    try:
        yield group.enter_command(command) if group else command
    finally:
        if group:
            group.remove()


def _kernel_settings_read_only() -> list[str]:
    """The machine's kernel settings in /proc, read-only (as Docker has them).

    Linux lets the owner uid of most of /proc/sys write it, capabilities or not, and a root
    grader's sandbox runs as uid 0: learner code set kernel.core_pattern to a program of its own
    (run as root, outside every namespace, at the next crash), or kernel.modprobe, vm.*, fs.*.
    """
    return [part for path in PROC_READ_ONLY if os.path.exists(path) for part in ("--ro-bind", path, path)]


def _private_scratch() -> list[str]:
    """A fresh /dev (read-only but for a small /dev/shm) and a small private /tmp."""
    options = ["--dev", "/dev", "--remount-ro", "/dev"]
    for folder, size in (("/dev/shm", SCRATCH_BYTES // 4), ("/tmp", SCRATCH_BYTES)):
        options += (["--size", str(size)] if _bwrap_has("--size") else []) + ["--tmpfs", folder]
    return options


def _no_user_namespaces_inside() -> list[str]:
    """bwrap 0.8 and later can forbid new user namespaces inside; the mounts are locked anyway."""
    return ["--disable-userns"] if _bwrap_has("--disable-userns") else []


@functools.cache
def _bwrap_help() -> str:
    try:
        return subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _bwrap_has(option: str) -> bool:
    return f"{option} " in _bwrap_help()


def _font_cache_binds() -> list[str]:
    """Matplotlib's font cache, read-only: else each kernel rebuilds it, slowly and on stderr."""
    folder = _SANDBOX_ENVIRONMENT["MPLCONFIGDIR"]
    return [part for f in matplotlib_font_lists() for part in ("--ro-bind", str(f), f"{folder}/{f.name}")]


def _each(option: str, folders: list[Path], twice: bool = False) -> list[str]:
    """[option, folder] (or [option, folder, folder] for binds) for each folder."""
    return [part for f in folders for part in ([option, str(f), str(f)] if twice else [option, str(f)])]


_SANDBOX_ENVIRONMENT = {
    "PYTHONPATH": PACKAGE_MOUNT,
    GRADING_ENV: "1",
    "HOME": "/tmp",  # writable and private: nothing a learner leaves in ~ reaches the next one
    "MPLCONFIGDIR": "/tmp/.matplotlib",
    "IPYTHONDIR": "/tmp/.ipython",
    # jupyter_client sets its own pid, which the kernel cannot see from its PID namespace and would
    # take for a dead parent; 1 (bwrap, its real parent) turns that watch off and keeps it quiet.
    "JPY_PARENT_PID": "1",
}


# ---------------------------------------------------------------- what is shown


def _system_view() -> list[str]:
    """The system, read-only: SYSTEM_FOLDERS (links such as /bin -> usr/bin kept as links), with
    what in /etc only its owner or group may read (shadow, private keys) masked."""
    options: list[str] = []
    for name in SYSTEM_FOLDERS:
        if os.path.islink(name):
            options += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            options += ["--ro-bind", name, name]
    for private in _private_system_files():
        options += (
            ["--tmpfs", private, "--remount-ro", private]
            if os.path.isdir(private)
            else ["--ro-bind", os.devnull, private]
        )
    return options


@functools.cache
def _private_system_files() -> tuple[str, ...]:
    """Files and folders in /etc that other users may not read: a root grader's sandbox would
    read them as their owner (--unshare-user maps it to itself), so they are masked instead.

    >>> "/etc/shadow" in _private_system_files() or not os.path.exists("/etc/shadow")
    True
    """
    private = []
    for folder, subfolders, files in os.walk("/etc"):
        for name in [*subfolders, *files]:
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                mode = os.lstat(path).st_mode
                needed = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
                if not stat.S_ISLNK(mode) and mode & needed != needed:
                    private.append(path)
        subfolders[:] = [d for d in subfolders if os.path.join(folder, d) not in private]
    return tuple(private)


def _shown_folders(interpreter: Path) -> list[Path]:
    """Where the kernel's Python lives outside SYSTEM_FOLDERS (a virtualenv, pyenv, conda), at the
    path it is called by and at its real one, outermost only."""
    system = [Path(f).resolve() for f in SYSTEM_FOLDERS if os.path.exists(f)]
    found = [Path(f) for f in _interpreter_folders(interpreter) if Path(f).exists()]
    folders = {Path(os.path.abspath(f)) for f in found} | {f.resolve() for f in found}
    folders -= {Path("/")}
    return [f for f in sorted(folders) if not _under_any(f, [*system, *(folders - {f})])]


# ---------------------------------------------------------------- what is hidden inside it


def _checker_locations() -> list[Path]:
    """Where the checker the grader imports really lives: its repository, or its package folder.

    An editable install (or a checkout on PYTHONPATH) is hidden as a whole repository, with its
    solutions/ and tests/; an installed package only as site-packages/checker.
    """
    import checker

    package = Path(checker.__file__).resolve().parent
    repository = package.parent
    if any((repository / marker).exists() for marker in ("pyproject.toml", "solutions", ".git")):
        return [repository]
    return [package]


def _grading_user_home() -> list[Path]:
    """The grading user's home (SSH keys, other courses, notes), unless it is the root folder.

    The kernel's own Python is put back read-only even when it lives there (a virtualenv or
    pyenv in the home folder).
    """
    home = Path.home()
    return [home] if home.resolve() != Path("/") else []


def _hidden_env() -> list[Path]:
    return [Path(p) for p in os.environ.get(HIDE_ENV, "").split(os.pathsep) if p]


def _interpreter_folders(interpreter: Path) -> list[Path]:
    """The virtualenv and base installation of the kernel's Python (and of this one), and the
    package folders this Python reads (a .pth can add another virtualenv's site-packages)."""
    candidates = {Path(sys.prefix), Path(sys.base_prefix), interpreter.parent.parent}
    candidates.add(interpreter.resolve().parent.parent)
    candidates |= {Path(p) for p in sys.path if Path(p).name in ("site-packages", "dist-packages")}
    return sorted(candidates)


def _outermost(folders: list[Path], in_tmp: bool = False) -> list[Path]:
    """Resolved, existing, deduplicated, without those inside another one (nor, unless `in_tmp`,
    those inside /tmp, which the sandbox replaces anyway)."""
    resolved = sorted({Path(f).resolve() for f in folders if Path(f).exists()})
    kept: list[Path] = []
    for folder in resolved:
        if not _under_any(folder, kept if in_tmp else [*kept, Path("/tmp")]) and folder != Path("/"):
            kept.append(folder)
    return kept


def _under_any(folder: Path, parents: list[Path]) -> bool:
    return any(folder == parent or parent in folder.parents for parent in parents)


def _strictly_under_any(folder: Path, parents: list[Path]) -> bool:
    return any(parent in Path(folder).resolve().parents for parent in parents)


@functools.cache
def matplotlib_font_lists() -> tuple[Path, ...]:
    """Matplotlib's font cache files of this user (made once here if there are none).

    >>> all(p.name.startswith("fontlist-") for p in matplotlib_font_lists())
    True
    """
    found = _font_lists()
    if not found:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                [sys.executable, "-c", "import matplotlib.font_manager"], capture_output=True, timeout=300
            )
        found = _font_lists()
    return found


def _font_lists() -> tuple[Path, ...]:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib"
    folders = [Path(os.environ["MPLCONFIGDIR"])] if os.environ.get("MPLCONFIGDIR") else [cache]
    return tuple(sorted(p for folder in folders for p in folder.glob("fontlist-v*.json") if p.is_file()))


# ---------------------------------------------------------------- the kernel-side package


@functools.cache
def kernel_side_package() -> Path:
    """A private read-only copy of the checker's kernel-side modules (allow-list: KERNEL_SIDE).

    Made once per process from the package this process imports; it holds a `checker/` folder.

    >>> sorted(p.name for p in (kernel_side_package() / "checker").glob("*.py"))[:3]
    ['__init__.py', 'autograde.py', 'evidence_channel.py']
    """
    import checker

    source = Path(checker.__file__).resolve().parent
    staged = Path(tempfile.mkdtemp(prefix="checker-kernel-side-"))
    atexit.register(_remove_read_only_tree, staged)
    target = staged / "checker"
    target.mkdir()
    for name in KERNEL_SIDE:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(source / name, target / name)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return staged


def _remove_read_only_tree(folder: Path) -> None:
    """rmtree for the copy above: its folders are read-only, which stops rmtree unless run as root."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(0o700)
    shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- can this machine run it


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""  # why not, and what to do


@functools.cache
def availability() -> Availability:
    """Whether bwrap runs here with the sandbox's real flags, and this Python in it.

    >>> availability().ok in (True, False)
    True
    """
    if sys.platform == "darwin":
        return Availability(
            False, "bubblewrap needs Linux; on macOS autograde in a Linux container (e.g. Docker)."
        )
    if shutil.which("bwrap") is None:
        return Availability(False, f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}.")
    if shutil.which("prlimit") is None:
        return Availability(False, "prlimit is not installed: apt-get install util-linux.")
    try:
        done = subprocess.run(
            Sandbox(memory_limit=DEFAULT_MEMORY_LIMIT).command([sys.executable, "-c", _PYTHON_TRIAL]),
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Availability(False, f"bwrap could not be started ({exc}).")
    if done.returncode == 0:
        return Availability(True)
    return Availability(False, _explain(done.stderr.strip()))


_PYTHON_TRIAL = "import json, numpy"  # its standard library and its site-packages are in view


def _explain(message: str) -> str:
    if not message.startswith("bwrap:") or message.startswith("bwrap: execvp"):  # Python's own
        return (
            f"this Python ({sys.executable}) does not start in the sandbox, which shows it only "
            f"{', '.join(SYSTEM_FOLDERS)} and the Python's own installation: {message.splitlines()[-1]}. "
            "Grade with a Python whose files all live there (a system Python, or a virtualenv, "
            "pyenv or conda installation made from one)."
        )
    if any(word in message for word in ("namespace", "uid map", "Operation not permitted", "setting up")):
        return (
            f"bwrap cannot create its namespaces here ({message}): user namespaces are disabled. "
            "Enable them (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 also "
            "kernel.apparmor_restrict_unprivileged_userns=0), or autograde in a container that allows them."
        )
    return f"bwrap failed: {message or 'no message'}."


def limits_in_force() -> str:
    """What bounds a learner's processes and memory on this machine, in a sentence for `doctor`."""
    if cgroups.available():
        return "processes and memory limited for each sandbox as a whole (cgroup)"
    if os.geteuid() != 0:
        return "processes limited for each sandbox (RLIMIT_NPROC), memory for each process"
    return (
        "memory limited for each process only, and processes not at all: Linux exempts root from "
        "RLIMIT_NPROC and no cgroup can be made here. Grade as an ordinary user, or where root may "
        "write /sys/fs/cgroup"
    )


def folders_in_view(interpreter: Path | None = None) -> list[Path]:
    """What of this machine learner code sees (read-only), besides its own folders and scratch.

    >>> Path("/usr") in folders_in_view()
    True
    """
    system = [Path(f) for f in SYSTEM_FOLDERS if os.path.isdir(f) and not os.path.islink(f)]
    return system + _shown_folders(Path(interpreter or sys.executable))


def require() -> None:
    """Raise SandboxUnavailable (with why, and the way out) unless the sandbox runs here."""
    found = availability()
    if not found.ok:
        raise SandboxUnavailable(
            f"The learner sandbox is not available: {found.reason} Without it, learners' code runs "
            "with your access to the course and its solutions. To grade anyway, at that risk: "
            "`classroom autograde --no-sandbox`, or c.GuardedExecute.sandbox = False in nbgrader_config.py."
        )
