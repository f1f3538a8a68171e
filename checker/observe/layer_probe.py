"""The throw-away process that runs a learner's layer class: it observes, it does not judge.

    python -m checker.observe.layer_probe PROGRAM EXERCISE CLASS_NAME INPUTS OBSERVATIONS

PROGRAM holds the imports and definitions of the learner's notebook (see evidence.py). They
are executed one statement at a time (an import that fails does not stop the others), then
`checker.observe.layer_observe.observe_layer_class` tries the class on the grader's INPUTS, and the
raw observations are written to OBSERVATIONS as JSON: {"observations": ...} or, when the
class could not be defined, {"definition_error": "..."}. The parent (layer_grading) decides
what they are worth; since this process runs learner code, it trusts none of it. In class
grading it runs in the learner sandbox with no judge/ in reach, so the parent names the class.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    program, exercise, class_name, inputs_path, out_path = argv
    namespace = {"__name__": "__learner__"}
    error = define(Path(program), namespace, class_name)
    if class_name not in namespace:
        result = {"definition_error": error or f"the class {class_name} was not defined"}
    else:
        from checker.observe.layer_observe import observe_layer_class

        inputs = json.loads(Path(inputs_path).read_text(encoding="utf-8"))
        result = {"observations": observe_layer_class(namespace[class_name], exercise, inputs)}
    Path(out_path).write_text(json.dumps(result, default=repr), encoding="utf-8")
    return 0


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
