"""What a clean verdict may trust about one autograded test cell, and nothing else.

The learner's kernel can print, patch and fake anything inside itself, so the cell's own
output is never read. What is used:

- that nbgrader saw the cell run to completion (an execution count, no error, no timeout,
  the kernel alive): otherwise there is nothing to grade and the cell scores 0;
- for a model exercise, the model description the cell wrote while it ran, which
  `GuardedExecute` took out of the kernel's reach as soon as the cell finished. Only its
  "description" is graded, never the score or report the kernel computed, and it must be
  well-formed and name this exercise. (When the build function raised, there is no
  description: 0 points, and the notebook's own report is shown as feedback, since it says
  where it raised);
- for a custom-layer exercise, the learner's class as written in the submitted notebook
  (imports and definitions of the cells before the test cell), which the clean grader runs
  in a throw-away process (`layer_grading`). Nothing the kernel wrote is used.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass

from checker.judge.exercises import EXERCISES
from checker.observe.describe import FORMAT

MAX_EVIDENCE_BYTES = 20_000_000  # a description is a few hundred kB at most (Xception)


@dataclass
class Evidence:
    exercise: str
    description: dict | None = None  # model exercises
    program: str | None = None  # custom-layer exercises: imports and definitions
    problem: str | None = None  # why nothing can be trusted (then: 0 points)
    kernel_report: dict | None = None  # the notebook's own report, shown (never scored) with a problem


def checker_exercise(cell) -> str | None:
    """The exercise id of a checker test cell (an nbgrader grade cell whose id is an exercise)."""
    info = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") == "code" and info.get("grade") and not info.get("solution"):
        grade_id = info.get("grade_id")
        return grade_id if grade_id in EXERCISES else None
    return None


def gather(nb, index: int, written: dict[str, str | None] | None) -> Evidence:
    """`written`: what each test cell wrote while it ran (GuardedExecute), by exercise."""
    cell = nb.cells[index]
    exercise = checker_exercise(cell)
    problem = did_not_complete(cell)
    if problem:
        return Evidence(exercise, problem=problem)
    if EXERCISES[exercise]["kind"] == "layer_class":
        return layer_program(nb.cells[:index], exercise)
    if written is None:
        return Evidence(
            exercise,
            problem="The notebook was not executed by GuardedExecute "
            "(see nbgrader_config.py), so no evidence was kept.",
        )
    return saved_description(written.get(exercise), exercise)


def did_not_complete(cell) -> str | None:
    """Why nbgrader's run of this cell cannot vouch for anything; None when it ran cleanly."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        error = errors[0]
        if error.get("ename") == "CellTimeoutError":
            return "The cell ran out of time (nbgrader's per-cell timeout) and was interrupted."
        if error.get("ename") == "NotRun":  # GuardedExecute: the kernel died or was stuck
            return error.get("evalue") or "The cell was not run."
        return (
            f"The cell raised {error.get('ename')}: {error.get('evalue', '')[:200]}. "
            "The autograded cell never raises on its own: code elsewhere in the notebook "
            "changed what it runs."
        )
    if cell.get("execution_count") is None:
        return "The cell did not run."
    return None


def saved_description(text: str | None, exercise: str) -> Evidence:
    """Evidence from the file the test cell wrote (its text, or None when it wrote none)."""
    if text is None:
        return Evidence(
            exercise,
            problem="The cell saved no model description (was "
            "checker.autograde changed by code in the notebook?).",
        )
    if len(text) > MAX_EVIDENCE_BYTES:
        return Evidence(exercise, problem="The saved model description is implausibly large.")
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return Evidence(exercise, problem="The saved model description is not readable JSON.")
    if not isinstance(payload, dict):
        payload = {}
    description = payload.get("description")
    if description is None and payload.get("exercise") == exercise:
        return Evidence(
            exercise,
            kernel_report=payload.get("report"),
            problem=(
                f"No model to grade: {EXERCISES[exercise]['builder']}() raised an error instead of "
                "returning a model."
            ),
        )
    if (
        not isinstance(description, dict)
        or payload.get("exercise") != exercise
        or description.get("format") != FORMAT
    ):
        return Evidence(
            exercise, problem="The saved model description is not one the checker wrote for this exercise."
        )
    return Evidence(exercise, description=description)


# ---------------------------------------------------------------- custom layers

KEPT_STATEMENTS = (ast.Import, ast.ImportFrom, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def layer_program(cells, exercise: str) -> Evidence:
    """The imports and top-level definitions of the code cells before the test cell, in order.

    That is what the learner's class can rely on (its base classes, `keras`, `ops`, helper
    functions, constants), without the cells that train or plot.
    """
    class_name = EXERCISES[exercise]["builder"]
    statements, defines_class = [], False
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        for node in _top_level(cell.source):
            if isinstance(node, KEPT_STATEMENTS) or _is_constant(node):
                statements.append(ast.unparse(node))
                defines_class |= isinstance(node, ast.ClassDef) and node.name == class_name
    if not defines_class:
        return Evidence(
            exercise,
            problem=f"No cell before the autograded cell defines the class "
            f"{class_name} (class {class_name}(keras.layers.Layer): ...).",
        )
    return Evidence(exercise, program="\n\n".join(statements) + "\n")


def _top_level(source: str) -> list:
    """Top-level statements of a cell; IPython magics made plain Python; [] if it does not parse."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - without IPython, or odd input: parse as it is
        pass
    try:
        return ast.parse(source).body
    except (SyntaxError, ValueError):
        return []


def _is_constant(node) -> bool:
    """NAME = <literal>, e.g. UNITS = 4: definitions a class body may refer to."""
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if not all(isinstance(t, ast.Name) for t in targets):
        return False
    try:
        ast.literal_eval(node.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True
