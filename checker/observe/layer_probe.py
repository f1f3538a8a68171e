"""The throw-away process that runs a learner's layer classes: it observes, it does not judge.

    python -m checker.observe.layer_probe JOBS

JOBS is a JSON list of [PROGRAM, EXERCISE, CLASS_NAME, INPUTS, OBSERVATIONS] paths, one per
custom-layer test cell of a notebook, tried one after another in this one process (TensorFlow
is imported once). For each, PROGRAM (the imports and definitions of the learner's notebook
before that test cell, see evidence.py) is executed one statement at a time in a fresh
namespace (an import that fails does not stop the others), then
`checker.observe.layer_observe.observe_layer_class` tries the class on the grader's INPUTS, and
the raw observations are written to OBSERVATIONS as JSON: {"observations": ...} or, when the
class could not be defined, {"definition_error": "..."}. A job whose OBSERVATIONS never appear
(the process crashed or was stopped in an earlier job) is tried again alone by the parent
(layer_grading), which decides what they are worth; since this process runs learner code, it
trusts none of it. In class grading it runs in the learner sandbox with no judge/ in reach, so
the parent names each class.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    (jobs,) = argv
    for program, exercise, class_name, inputs_path, out_path in json.loads(Path(jobs).read_text()):
        observe_one(Path(program), exercise, class_name, Path(inputs_path), Path(out_path))
    return 0


def observe_one(program: Path, exercise: str, class_name: str, inputs_path: Path, out_path: Path) -> None:
    namespace = {"__name__": "__learner__"}
    error = define(program, namespace, class_name)
    if class_name not in namespace:
        result = {"definition_error": error or f"the class {class_name} was not defined"}
    else:
        from checker.observe.layer_observe import observe_layer_class

        inputs = json.loads(inputs_path.read_text(encoding="utf-8"))
        result = {"observations": observe_layer_class(namespace[class_name], exercise, inputs)}
    out_path.write_text(json.dumps(result, default=repr), encoding="utf-8")


def define(program: Path, namespace: dict, class_name: str) -> str | None:
    """Run each top-level statement; the error that stopped `class_name` being defined, if any."""
    error = None
    for statement in ast.parse(program.read_text(encoding="utf-8")).body:
        code = compile(ast.Module([statement], type_ignores=[]), str(program), "exec")
        try:
            exec(code, namespace)  # noqa: S102 - learner code, in this throw-away process only
        except Exception as exc:  # noqa: BLE001 - anything; only the class matters
            if isinstance(statement, ast.ClassDef) and statement.name == class_name:
                error = f"{type(exc).__name__}: {exc}"
    return error


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
