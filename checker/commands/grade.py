"""Grade a saved model description (or a Keras model.to_json() file) against an exercise.

Runs in a clean process that imports no learner code. Exit status: 0 passed, 1 not passed,
2 the file or the exercise id could not be used, 3 the checker itself failed (a bug to
report; with --json the last line of output is {"error": "checker", "exercise", "message"}).
"""

from __future__ import annotations

import json
import sys
import traceback

EXIT_UNUSABLE = 2  # the file or the exercise id could not be used
EXIT_CHECKER_ERROR = 3  # a bug in the checker: no verdict


def configure(parser) -> None:
    parser.add_argument(
        "file", help="JSON written by checker.save_description(model, path) or model.to_json()"
    )
    parser.add_argument("exercise", help="exercise id, e.g. qa_model (see `python -m checker list`)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args) -> int:
    from checker import grade_description, load_description
    from checker.judge.exercises import get_exercise

    try:
        spec = get_exercise(args.exercise)
        description = load_description(args.file)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    if spec["kind"] == "layer_class":
        print(
            f"error: {args.exercise} grades a layer class, which needs the learner's code; "
            "use check(SimpleDense, ...) in the notebook instead.",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    try:
        report = grade_description(description, args.exercise)
    except Exception as exc:  # noqa: BLE001 - a checker bug must not read as "not passed"
        return checker_error(args.exercise, exc)
    print(json.dumps(report.to_dict()) if args.json else report)
    return 0 if report.passed else 1


def checker_error(exercise: str, exc: BaseException) -> int:
    """Print the structured checker-error line (and the traceback on stderr); return exit status 3.

    >>> checker_error("qa_model", KeyError("layers"))  # doctest: +ELLIPSIS
    {"error": "checker", "exercise": "qa_model", "message": "KeyError: 'layers'..."}
    3
    """
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" (at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno})" if where else ""
    message = f"{type(exc).__name__}: {exc}{at}"
    traceback.print_exception(exc, file=sys.stderr)
    print(json.dumps({"error": "checker", "exercise": exercise, "message": message[:500]}))
    return EXIT_CHECKER_ERROR
