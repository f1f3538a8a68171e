"""Execute the solution notebooks headless and check that every exercise passes.

Runs each solutions/<stem>.ipynb (or only the ones named: a stem, a path, or a number such
as 02) in order, in a fresh kernel on the CPU, and prints a table: exercises passed, every
validation metric the notebook reported (`report_metric`) against chance, and the seconds each notebook took. Executed
copies go to --out. Exit status 1 when a cell fails, a cell times out, the kernel dies,
or an exercise does not pass; each is named with the reason.

--json prints, instead of the table, every metric each notebook reported (name, value,
chance level, whether higher or lower is better, whether it is a demonstration of a model
meant to fall short), for a CI that watches them.

CHECKER_FAST=1 (or --fast) trains for about a quarter of the epochs, to see quickly that
everything runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from checker.commands.options import add_solutions_dir


def configure(parser) -> None:
    parser.add_argument(
        "notebooks",
        nargs="*",
        metavar="NOTEBOOK",
        help="stems, paths or numbers (e.g. 02); default: every solution notebook",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("executed"),
        help="where executed copies are written (default: ./executed/)",
    )
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per cell (default: 600)")
    parser.add_argument(
        "--fast", action="store_true", help="train for fewer epochs (sets CHECKER_FAST=1 in the kernels)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print what was measured as JSON (every metric with its chance level) instead of the table",
    )
    add_solutions_dir(parser)


def run(args) -> int:
    import json
    import os

    from checker.authoring.run_solutions import (
        DEFAULT_CELL_TIMEOUT,
        as_json,
        chance_notes,
        failure_messages,
        format_table,
        run_notebook,
        slow_cell_notes,
    )
    from checker.course.helpers import fast_mode
    from checker.paths import default_solutions_dir, notebook_paths, resolve_notebooks

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    folder = args.solutions_dir or default_solutions_dir()
    if not folder.is_dir():
        print(
            f"error: there is no solutions folder at {folder}. Run this from a checkout of the "
            "course, or pass --solutions-dir.",
            file=sys.stderr,
        )
        return 2
    try:
        paths = resolve_notebooks(args.notebooks, folder) if args.notebooks else notebook_paths(folder)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not paths:
        print(f"There are no solution notebooks in {folder} yet: nothing to run.")
        return 0
    fast = args.fast or fast_mode()
    timeout = args.timeout or DEFAULT_CELL_TIMEOUT
    print(
        f"Running {len(paths)} notebook(s) on the CPU{' in fast mode' if fast else ''}; "
        f"executed copies go to {args.out}/",
        file=sys.stderr,
    )
    runs = [run_notebook(path, args.out, timeout=timeout, fast=fast) for path in paths]
    if args.json:
        print(json.dumps(as_json(runs), indent=1))
    else:
        print(format_table(runs))
        for note in slow_cell_notes(runs) + chance_notes(runs):
            print(f"note: {note}")
    failures = failure_messages(runs)
    if failures:
        print(f"\n{len(failures)} problem(s):", file=sys.stderr)
        for message in failures:
            print(f"  - {message}", file=sys.stderr)
        return 1
    if not args.json:
        print("Every notebook ran and every exercise passed.")
    return 0
