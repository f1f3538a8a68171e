"""Simulated submissions: learner copies from release/, with answers filled in and, if asked,
the notebook changed the way a learner might. Used by the tests and bench/autograde.py, and
handy for trying `classroom autograde` on a course before the real class hands anything in.

Also a small course (two notebooks with real exercises whose models build in a second), so
that the whole round trip can be tried in a minute.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from checker.classroom.layout import Course

# ------------------------------------------------------------------ answers

FUNCTIONAL_MLP = """def build_functional_mlp():
    inputs = keras.Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dense(32, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)"""

RESIDUAL_IDENTITY = """def build_residual_identity():
    inputs = keras.Input(shape=(32, 32, 128))
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(inputs)
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    return keras.Model(inputs, layers.add([x, inputs]))"""

# One convolution short: partial credit, not all or nothing.
RESIDUAL_IDENTITY_TWO_CONVS = """def build_residual_identity():
    inputs = keras.Input(shape=(32, 32, 128))
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(inputs)
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    return keras.Model(inputs, layers.add([x, inputs]))"""

SIMPLE_DENSE = """class SimpleDense(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config"""

SIMPLE_DENSE_NO_BIAS = SIMPLE_DENSE.replace(
    "ops.matmul(inputs, self.w) + self.b", "ops.matmul(inputs, self.w)"
)

SYNTAX_ERROR = """def build_functional_mlp():
    inputs = keras.Input(shape=(64,)
    return keras.Model(inputs, inputs)"""

SMALL_COURSE = {
    "01_small_models": {"functional_mlp": FUNCTIONAL_MLP, "residual_identity": RESIDUAL_IDENTITY},
    "02_small_layer": {"simple_dense": SIMPLE_DENSE},
}
IMPORTS = "import keras\nfrom keras import layers, ops\nfrom checker import check"


# ------------------------------------------------------------------ a small course


def write_small_solutions(folder: Path, course: dict | None = None) -> list[Path]:
    """Solution notebooks following the course's conventions (solutions/<stem>.ipynb)."""
    import nbformat

    from checker.judge.exercises import get_exercise

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, answers in (course or SMALL_COURSE).items():
        cells = [_markdown(f"# {stem}", f"{stem}_intro"), nbformat.v4.new_code_cell(IMPORTS)]
        for exercise, answer in answers.items():
            subject = get_exercise(exercise)["builder"]
            call = subject if subject[0].isupper() else f"{subject}()"
            cells += [
                _solution_cell(exercise, answer),
                nbformat.v4.new_code_cell(f'check({call}, "{exercise}")'),
                _test_cell(exercise, subject),
            ]
        notebook = nbformat.v4.new_notebook(
            cells=cells,
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        )
        path = folder / f"{stem}.ipynb"
        nbformat.write(notebook, str(path))
        paths.append(path)
    return paths


def _nbgrader(grade_id: str, grade=False, solution=False, locked=False, points=None) -> dict:
    info = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        info["points"] = points
    return {"nbgrader": info}


def _markdown(text: str, grade_id: str):
    import nbformat

    return nbformat.v4.new_markdown_cell(text, metadata=_nbgrader(grade_id, locked=True))


def _solution_cell(exercise: str, answer: str):
    import nbformat

    head, body = answer.split("\n", 1)
    source = f"{head}\n    ### BEGIN SOLUTION\n{body}\n    ### END SOLUTION"
    return nbformat.v4.new_code_cell(source, metadata=_nbgrader(f"{exercise}_solution", solution=True))


def _test_cell(exercise: str, subject: str):
    import nbformat

    source = f'# Autograded: do not edit this cell.\nfrom checker.autograde import grade\ngrade({subject}, "{exercise}")'
    return nbformat.v4.new_code_cell(source, metadata=_nbgrader(exercise, grade=True, locked=True, points=10))


# ------------------------------------------------------------------ submissions


def submit(
    course: Course,
    student: str,
    assignment: str,
    answers: dict[str, str] | None = None,
    changes=(),
    when: datetime.datetime | None = None,
) -> Path:
    """Copy release/<assignment>/ to submitted/<student>/<assignment>/ with answers and changes.

    `answers`: exercise id -> code for its solution cell (unanswered ones keep nbgrader's
    stub, which raises NotImplementedError). `changes`: functions notebook -> None, applied
    in order (see the tampering helpers below).
    """
    import nbformat

    release = course.folder("release", assignment=assignment)
    target = course.folder("submitted", student, assignment)
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(release.glob("*.ipynb")):
        notebook = nbformat.read(str(path), as_version=4)
        for exercise, code in (answers or {}).items():
            cell = find_cell(notebook, f"{exercise}_solution")
            if cell is not None:
                cell.source = code
        for change in changes:
            change(notebook)
        nbformat.write(notebook, str(target / path.name))
    stamp = (when or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
    (target / "timestamp.txt").write_text(stamp.strip())
    return target


def solution_answers(course: Course, assignment: str) -> dict[str, str]:
    """exercise id -> the instructor's solution code, from source/ (a student who gets it all right)."""
    import nbformat

    from checker.judge.exercises import EXERCISES

    answers = {}
    for path in sorted(course.folder("source", assignment=assignment).glob("*.ipynb")):
        notebook = nbformat.read(str(path), as_version=4)
        for exercise in EXERCISES:
            cell = find_cell(notebook, f"{exercise}_solution")
            if cell is not None:
                answers[exercise] = cell.source
    return answers


def find_cell(notebook, grade_id: str):
    return next(
        (c for c in notebook.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id),
        None,
    )


def insert_before_test(exercise: str, code: str):
    """A cell of the learner's own right before the autograded cell of `exercise`."""

    def change(notebook):
        import nbformat

        index = notebook.cells.index(find_cell(notebook, exercise))
        notebook.cells.insert(index, nbformat.v4.new_code_cell(code))

    return change


def edit_test_cell(exercise: str, source: str):
    def change(notebook):
        find_cell(notebook, exercise).source = source

    return change


def delete_test_cell(exercise: str):
    def change(notebook):
        notebook.cells.remove(find_cell(notebook, exercise))

    return change
