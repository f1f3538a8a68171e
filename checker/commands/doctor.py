"""Say whether this machine can run the course, and how to fix what is missing.

Prints the versions of Python and the course's libraries, whether Graphviz `dot` is
installed (optional: notebooks draw models without it), whether Jupyter has a
"python3" kernel, and whether the class-grading sandbox (bubblewrap) runs here (needed
only to autograde a class; learners do not need it). Exit status 1 when something
required is missing or older than the course needs.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys

REQUIRED_PACKAGES = [
    ("TensorFlow", "tensorflow"),
    ("Keras", "keras"),
    ("nbgrader", "nbgrader"),
    ("nbclient", "nbclient"),
    ("networkx", "networkx"),
    ("matplotlib", "matplotlib"),
    ("ipykernel", "ipykernel"),
]
MINIMUM_PYTHON = (3, 11)
# The floors of pyproject.toml that the notebooks rely on, and why.
MINIMUM_VERSIONS = {
    "tensorflow": ((2, 16), "the first TensorFlow that uses Keras 3"),
    "keras": ((3, 5), "per-output losses in fit logs, notebook 03"),
}
GRAPHVIZ_INSTALL = (
    "conda install -c conda-forge graphviz, or apt-get install graphviz, or brew install graphviz"
)


def configure(parser) -> None:
    pass


def run(args) -> int:
    problems = 0
    problems += _line(
        "Python",
        sys.version.split()[0],
        ok=sys.version_info[:2] >= MINIMUM_PYTHON,
        fix=f"the course needs Python {'.'.join(map(str, MINIMUM_PYTHON))} or newer",
    )
    for label, distribution in REQUIRED_PACKAGES:
        version = _version(distribution)
        minimum, why = MINIMUM_VERSIONS.get(distribution, ((), ""))
        floor = ".".join(map(str, minimum))
        if version is not None and not _at_least(version, minimum):
            problems += _line(
                label,
                f"{version}, too old: the course needs {floor} or later ({why})",
                ok=False,
                fix=f'pip install --upgrade "{distribution}>={floor}"  (or: pip install -e . in the repository)',
                bad="TOO OLD",
            )
            continue
        problems += _line(
            label,
            version or "not installed",
            ok=version is not None,
            fix=f"pip install {distribution}  (or: pip install -e . in the repository)",
        )
    _optional("pydot", _version("pydot"), "pip install pydot")
    _optional("Graphviz dot", _dot_version(), GRAPHVIZ_INSTALL)
    kernel = _kernel_path("python3")
    problems += _line(
        "Jupyter kernel python3",
        kernel or "not found",
        ok=kernel is not None,
        fix=f"{sys.executable} -m ipykernel install --user",
    )
    sandbox_line()
    print()
    print(
        "Everything required is there."
        if not problems
        else f"{problems} required item(s) missing or too old: see the lines marked MISSING or TOO OLD."
    )
    return 1 if problems else 0


def sandbox_line() -> bool:
    """Whether learners' code can be sandboxed when grading a class; prints why not."""
    from checker.classroom.sandbox import availability, folders_in_view, limits_in_force

    found = availability()
    print(
        f"{'ok' if found.ok else 'grading':9}{'Grading sandbox (bwrap)':24} {'works' if found.ok else 'unavailable'}"
    )
    if not found.ok:
        print(f"{'':33} -> needed to autograde a class safely: {found.reason}")
    else:
        print(f"{'':33} -> {limits_in_force()}.")
        seen = ", ".join(map(str, folders_in_view()))
        print(f"{'':33} -> learner code sees, read-only, only {seen}; it writes only its notebook's folder.")
    return found.ok


def _line(label: str, value: str, ok: bool, fix: str, bad: str = "MISSING") -> int:
    """One checked item; returns 1 when it is missing (or, as `bad` says, unfit)."""
    print(f"{'ok' if ok else bad:9}{label:24} {value}")
    if not ok:
        print(f"{'':33} -> {fix}")
    return 0 if ok else 1


def _optional(label: str, value: str | None, install: str) -> None:
    """Needed only for keras.utils.plot_model; show_model draws with networkx without it."""
    print(f"{'ok' if value else 'optional':9}{label:24} {value or 'not found'}")
    if not value:
        print(f"{'':33} -> for Keras' plot_model pictures (the notebooks draw models without it): {install}")


def _at_least(version: str, minimum: tuple[int, ...]) -> bool:
    """Whether an installed version is `minimum` or later (pre-release tags are ignored).

    >>> _at_least("3.15.1", (3, 5)), _at_least("3.4.1", (3, 5)), _at_least("3.5.0rc1", (3, 5))
    (True, False, True)
    """
    leading = re.match(r"\d+(\.\d+)*", version)
    numbers = tuple(int(part) for part in leading.group(0).split(".")) if leading else ()
    return numbers >= minimum


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _dot_version() -> str | None:
    dot = shutil.which("dot")
    if not dot:
        return None
    try:
        completed = subprocess.run([dot, "-V"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return f"{dot} (did not answer `dot -V`)"
    text = (completed.stderr or completed.stdout).strip()  # dot -V writes to stderr
    return f"{text} at {dot}" if text else dot


def _kernel_path(name: str) -> str | None:
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return None
    try:
        return KernelSpecManager().get_kernel_spec(name).resource_dir
    except NoSuchKernel:
        return None
