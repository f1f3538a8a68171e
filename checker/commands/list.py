"""List the graded exercises, what each one expects and how its points are shared."""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("--ids", action="store_true", help="print only the exercise ids")
    parser.add_argument(
        "--markdown", action="store_true", help="print docs/exercises.md, every exercise in full"
    )


def run(args) -> int:
    from checker.judge.exercises import EXERCISES, named_mistakes_rule

    if args.markdown:
        from checker.authoring.exercise_page import render

        print(render(), end="")
        return 0
    for exercise_id, spec in EXERCISES.items():
        if args.ids:
            print(exercise_id)
            continue
        print(f"{exercise_id:20} {spec['notebook']:28} {spec['builder']}")
        print(f"{'':20} {spec['title']}")
        print(f"{'':20} points: {_points(spec['points'])}")
    if not args.ids:
        print()
        print(named_mistakes_rule())
    return 0


def _points(points: dict) -> str:
    """'inputs 2, layers 3, ... (10)'."""
    parts = ", ".join(f"{name} {value:g}" for name, value in points.items())
    return f"{parts} ({sum(points.values()):g} in all)"
