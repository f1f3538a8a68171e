"""List the graded exercises, what each one expects and how its points are shared."""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("--ids", action="store_true", help="print only the exercise ids")


def run(args) -> int:
    from checker.judge.exercises import EXERCISES, named_mistakes_rule

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
