"""What a clean verdict may trust about one autograded test cell, and nothing else.

The learner's kernel can print, patch and fake anything inside itself, so the cell's own
output is never read. What is used:

- that nbgrader saw the cell run to completion (an execution count, no error, no timeout,
  the kernel alive): otherwise there is nothing to grade and the cell scores 0, with the
  error the cell raised (most often: the build function is not defined, because its cell
  failed);
- for a model exercise, the messages that reached nbgrader's process through the evidence
  channel while that very cell ran (`evidence_channel`, `GuardedExecute`). Each well-formed
  message naming this exercise is a candidate: a model description, or the error the build
  function raised (0 points, with that error as feedback). Only descriptions are graded,
  never a score the kernel computed. Code of the learner's that adds a message inside the
  window (a thread, an IPython hook) adds a candidate, and the lowest score counts; too many
  messages in one window is tampering (0 points);
- for a custom-layer exercise, the learner's class as written in the submitted notebook
  (imports and definitions of the cells before the test cell), which the clean grader runs
  in a throw-away process (`layer_grading`). Nothing the kernel sent is used.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass

from checker.evidence_channel import MAX_EVIDENCE_BYTES, Window
from checker.judge.exercises import EXERCISES
from checker.observe.describe import FORMAT

__all__ = ["MAX_EVIDENCE_BYTES", "Evidence", "checker_exercise", "gather", "did_not_complete"]

GRAPH_KINDS = ("functional", "sequential")  # descriptions the clean grader parses as a graph


@dataclass
class Evidence:
    exercise: str
    description: dict | None = None  # model exercises
    program: str | None = None  # custom-layer exercises: imports and definitions
    problem: str | None = None  # why nothing can be trusted (then: 0 points)


def checker_exercise(cell) -> str | None:
    """The exercise id of a checker test cell (an nbgrader grade cell whose id is an exercise)."""
    info = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") == "code" and info.get("grade") and not info.get("solution"):
        grade_id = info.get("grade_id")
        return grade_id if grade_id in EXERCISES else None
    return None


def gather(nb, index: int, windows: dict[str, Window | None] | None) -> list[Evidence]:
    """The candidates for the points of test cell `index`; the lowest score counts.

    `windows`: what reached nbgrader while each test cell ran (GuardedExecute), by exercise.
    One Evidence with a problem means 0 points.
    """
    cell = nb.cells[index]
    exercise = checker_exercise(cell)
    problem = did_not_complete(cell)
    if problem:
        return [Evidence(exercise, problem=problem)]
    if EXERCISES[exercise]["kind"] == "layer_class":
        return [layer_program(nb.cells[:index], exercise)]
    if windows is None:
        return [
            Evidence(
                exercise,
                problem="The notebook was not executed by GuardedExecute "
                "(see nbgrader_config.py), so no evidence was kept.",
            )
        ]
    return received_candidates(windows.get(exercise), exercise)


def did_not_complete(cell) -> str | None:
    """Why nbgrader's run of this cell cannot vouch for anything; None when it ran cleanly."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        error = errors[0]
        if error.get("ename") == "CellTimeoutError":
            return "The cell ran out of time (nbgrader's per-cell timeout) and was interrupted."
        if error.get("ename") == "NotRun":  # GuardedExecute: the kernel died or was stuck, a limit
            return error.get("evalue") or "The cell was not run."
        return raised(error.get("ename"), str(error.get("evalue", "")), checker_exercise(cell))
    if cell.get("execution_count") is None:
        return "The cell did not run."
    return None


def raised(ename, evalue: str, exercise: str | None) -> str:
    """The autograded cell raised: in the learner's words, which cell to look at.

    >>> raised("NameError", "name 'build_qa_model' is not defined", "qa_model")[:40]
    "The cell raised NameError: name 'build_q"
    """
    builder = EXERCISES.get(exercise, {}).get("builder", "the function")
    said = f"The cell raised {ename}: {evalue[:200]}."
    if ename == "NameError" and f"'{builder}'" in evalue:
        return f"{said} Does the cell defining {builder} run without errors?"
    return (
        f"{said} The autograded cell only hands {builder} to the checker: run the notebook "
        "from the top and check that the cells before it run without errors."
    )


def received_candidates(window: Window | None, exercise: str) -> list[Evidence]:
    """Every distinct well-formed message for `exercise` that reached nbgrader in the cell's window."""
    if window is None:
        return [Evidence(exercise, problem="The cell was not run.")]
    if window.flooded:
        return [
            Evidence(
                exercise,
                problem="More messages than one cell can send reached the grader while this cell "
                "ran: code elsewhere in the notebook tampered with the grading.",
            )
        ]
    parsed = [message_evidence(text, exercise) for text in window.messages]
    candidates, seen = [], set()
    for evidence in parsed:
        key = json.dumps([evidence.description, evidence.problem], sort_keys=True)
        if _well_formed(evidence) and key not in seen:
            seen.add(key)
            candidates.append(evidence)
    if candidates:
        return candidates
    if parsed:
        return parsed[:1]
    return [
        Evidence(
            exercise,
            problem="The cell sent no model description to the grader "
            "(was checker.autograde changed by code in the notebook?).",
        )
    ]


def _well_formed(evidence: Evidence) -> bool:
    return evidence.description is not None or evidence.problem.startswith(NO_MODEL)


NO_MODEL = "No model to grade: "


def message_evidence(text: bytes | str | None, exercise: str) -> Evidence:
    """Evidence from one message the kernel sent: {"exercise", "description", "builder_error"}."""
    not_ours = Evidence(
        exercise, problem="The model description received is not one the checker made for this exercise."
    )
    if text is None or len(text) > MAX_EVIDENCE_BYTES:
        return not_ours
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return not_ours
    if not isinstance(payload, dict) or payload.get("exercise") != exercise:
        return not_ours
    description, error = payload.get("description"), payload.get("builder_error")
    if description is None and isinstance(error, dict):
        return Evidence(exercise, problem=_builder_failed(exercise, error))
    if not _plausible_description(description):
        return not_ours
    return Evidence(exercise, description=description)


def _builder_failed(exercise: str, error: dict) -> str:
    builder = EXERCISES[exercise]["builder"]
    name, message = str(error.get("type", "an error"))[:80], str(error.get("message", ""))[:300]
    return (
        f"{NO_MODEL}{builder}() raised {name}: {message}. "
        "Run the function on its own in a cell to see the full error."
    )


def _plausible_description(description) -> bool:
    """Made by checker.observe.describe: the format tag and, for a model, layers the grader can read."""
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        return False
    if description.get("kind") not in GRAPH_KINDS:
        return True
    config = description.get("config")
    layers = config.get("layers") if isinstance(config, dict) else None
    return isinstance(layers, list) and all(
        isinstance(layer, dict)
        and isinstance(layer.get("class_name"), str)
        and isinstance(layer.get("config"), dict)
        for layer in layers
    )


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
            kept = _unparsed(node) if isinstance(node, KEPT_STATEMENTS) or _is_constant(node) else None
            if kept is not None:
                statements.append(kept)
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
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # e.g. 3000 nested operators
        return []


def _unparsed(node) -> str | None:
    """The statement as source; None for one nested too deep to write back (500 chained `1+`)."""
    try:
        return ast.unparse(node)
    except (RecursionError, MemoryError, ValueError):
        return None


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
