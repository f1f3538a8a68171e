"""List the graded exercises and what each one expects."""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("--ids", action="store_true", help="print only the exercise ids")


def run(args) -> int:
    from checker.judge.exercises import EXERCISES

    for exercise_id, spec in EXERCISES.items():
        if args.ids:
            print(exercise_id)
            continue
        print(f"{exercise_id:20} {spec['notebook']:28} {spec['builder']}")
        print(f"{'':20} {spec['title']}")
    return 0
