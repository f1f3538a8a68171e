"""Grade a saved model description (or a Keras model.to_json() file) against an exercise.

Runs in a clean process that imports no learner code. Exit status: 0 passed,
1 not passed, 2 the file or the exercise id could not be used.
"""

from __future__ import annotations

import json
import sys


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
        return 2
    if spec["kind"] == "layer_class":
        print(
            f"error: {args.exercise} grades a layer class, which needs the learner's code; "
            "use check(SimpleDense, ...) in the notebook instead.",
            file=sys.stderr,
        )
        return 2
    report = grade_description(description, args.exercise)
    print(json.dumps(report.to_dict()) if args.json else report)
    return 0 if report.passed else 1
