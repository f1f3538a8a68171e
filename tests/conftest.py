"""Shared fixtures: the repository's folders, and small course-style notebooks in tmp_path."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from checker.quick_imports import skip_unused_optional_imports

skip_unused_optional_imports()  # 2.5 s less to collect the tests, in each xdist worker
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

REPOSITORY = Path(__file__).resolve().parent.parent


def pytest_xdist_auto_num_workers(config):
    """`-n auto` (the default, see pyproject.toml): one worker more than there are cores, at most 4.

    The notebook and class tests spend part of their time waiting (kernels starting and
    shutting down, sandboxes, Dask), which a spare worker fills: on 2 cores the whole suite
    took 347 s with 3 workers against 400 s with 2. Each worker imports TensorFlow and starts
    kernels of its own, so more than 4 only adds memory and contention.
    """
    return max(2, min((os.cpu_count() or 1) + 1, 4))


# Modules whose tests share a module-scoped fixture that takes minutes (a graded class, a copy of
# the project in its own virtualenv). Each xdist worker that runs one of their tests builds the
# fixture again, so each of these modules runs whole on one worker; other tests spread one by one.
# Listed longest first (about 200, 160, 135 and 125 s on 2 cores): the workers take them in this
# order, then the modules whose tests start kernels, then the quick tests, so that the run ends
# on short tests on both workers instead of one worker finishing a long one alone.
ONE_WORKER_MODULES = ("test_evidence.py", "test_classroom.py", "test_dask_grading.py", "test_sandbox.py")
KERNEL_MODULES = ("test_notebooks.py", "test_browser.py")


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` (pyproject.toml) as we mean it: ONE_WORKER_MODULES whole, the rest by test.

    Not xdist's own loadgroup: with pytest 9.2 its `xdist_group` marks are silently ignored
    (pytest-dev/pytest-xdist#1386), and a graded class was then built on both workers.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # xdist would sort by number of tests: ours is by time

    class ModulesThatShareAFixtureWhole(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if Path(path).name in ONE_WORKER_MODULES else nodeid

        # schedule() builds the work queue in the order of `collection`: there it reads it longest
        # first. Elsewhere (a replacement worker's collection is compared with it, indices are
        # looked up in each worker's own list) it is the collection as the workers made it.
        _queueing = False

        def schedule(self) -> None:
            self._queueing = True
            try:
                super().schedule()
            finally:
                self._queueing = False

        @property
        def collection(self):
            if self._queueing and self._collection is not None:
                return sorted(self._collection, key=_queue_rank)
            return self._collection

        @collection.setter
        def collection(self, nodeids):
            self._collection = nodeids

    return ModulesThatShareAFixtureWhole(config, log)


def _queue_rank(nodeid: str) -> int:
    name = Path(nodeid.split("::", 1)[0]).name
    if name in ONE_WORKER_MODULES:
        return ONE_WORKER_MODULES.index(name)
    return len(ONE_WORKER_MODULES) + (0 if name in KERNEL_MODULES else 1)


def pytest_collection_modifyitems(config, items):
    """A new module-scoped fixture must not be built once per worker: say where to list its module."""
    unlisted = {
        item.path.name
        for item in items
        if item.path.name not in ONE_WORKER_MODULES
        and any(d.scope == "module" for defs in _fixture_definitions(item) for d in defs)
    }
    if unlisted:
        raise pytest.UsageError(
            f"{', '.join(sorted(unlisted))} share a module-scoped fixture: add them to "
            "ONE_WORKER_MODULES in tests/conftest.py, so that xdist runs each on one worker."
        )


def _fixture_definitions(item):
    info = getattr(item, "_fixtureinfo", None)
    return info.name2fixturedefs.values() if info else ()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: executes notebooks in Jupyter kernels (runs by default; "
        "deselect with -m 'not slow' for a quick local run)",
    )


@pytest.fixture(scope="module")
def venv_kernel(tmp_path_factory):
    """A python3 kernelspec for this interpreter, first on JUPYTER_PATH: the kernel that runs is ours."""
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (test)",
                "language": "python",
            }
        )
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(
            "JUPYTER_PATH", os.pathsep.join(p for p in (str(folder), os.environ.get("JUPYTER_PATH")) if p)
        )
        patch.setenv("PATH", os.pathsep.join((str(Path(sys.executable).parent), os.environ["PATH"])))
        yield folder


@pytest.fixture(scope="session")
def repository() -> Path:
    return REPOSITORY


class NotebookMaker:
    """Course-style cells (the conventions of solutions/) and a writer for them.

    >>> nb = NotebookMaker(Path("/tmp"))
    >>> cell = nb.autograded("build_functional_mlp", "functional_mlp")
    >>> cell.metadata["nbgrader"]["points"]
    10
    """

    def __init__(self, folder: Path):
        self.folder = folder

    @staticmethod
    def markdown(source: str, grade_id: str = "intro"):
        import nbformat

        return nbformat.v4.new_markdown_cell(
            source,
            metadata={
                "nbgrader": {
                    "grade": False,
                    "solution": False,
                    "locked": True,
                    "grade_id": grade_id,
                    "schema_version": 3,
                }
            },
        )

    @staticmethod
    def code(source: str):
        import nbformat

        return nbformat.v4.new_code_cell(source)

    @staticmethod
    def solution(exercise_id: str, source: str):
        import nbformat

        return nbformat.v4.new_code_cell(
            source,
            metadata={
                "nbgrader": {
                    "grade": False,
                    "solution": True,
                    "locked": False,
                    "grade_id": f"{exercise_id}_solution",
                    "schema_version": 3,
                }
            },
        )

    @staticmethod
    def autograded(builder: str, exercise_id: str):
        import nbformat

        source = (
            "# Autograded: do not edit this cell.\n"
            "from checker.autograde import grade\n"
            f'grade({builder}, "{exercise_id}")'
        )
        return nbformat.v4.new_code_cell(
            source,
            metadata={
                "nbgrader": {
                    "grade": True,
                    "solution": False,
                    "locked": True,
                    "points": 10,
                    "grade_id": exercise_id,
                    "schema_version": 3,
                }
            },
        )

    def write(self, name: str, cells: list, folder: Path | None = None) -> Path:
        import nbformat

        notebook = nbformat.v4.new_notebook(
            cells=cells,
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        )
        path = (folder or self.folder) / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, str(path))
        return path


@pytest.fixture
def notebook_maker(tmp_path) -> NotebookMaker:
    return NotebookMaker(tmp_path / "solutions")


FUNCTIONAL_MLP_SOLUTION = """def build_functional_mlp():
    ### BEGIN SOLUTION
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)
    ### END SOLUTION"""


@pytest.fixture
def mlp_notebook_cells(notebook_maker):
    """A tiny, fast solution notebook for functional_mlp, following the course's conventions."""
    nb = notebook_maker
    return [
        nb.markdown("# A tiny functional model", "intro"),
        nb.code(
            "import keras\nfrom keras import layers\nfrom checker import check\n"
            "from checker.course import report_metric"
        ),
        nb.solution("functional_mlp", FUNCTIONAL_MLP_SOLUTION),
        nb.code('check(build_functional_mlp(), "functional_mlp")'),
        nb.autograded("build_functional_mlp", "functional_mlp"),
        nb.code('report_metric("accuracy", 0.9, 0.1)'),
    ]
