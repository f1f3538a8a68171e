"""Make the learner notebooks (notebooks/) from the solution notebooks (solutions/).

Runs nbgrader's own generate_assignment preprocessors on each solutions/<stem>.ipynb:
solutions become "# YOUR CODE HERE / raise NotImplementedError()", hidden tests and
outputs are removed, read-only cells are locked, nbgrader checksums are kept. The result
is byte-identical when nothing changed. With --check nothing is written: exit status 1
lists the learner notebooks that are out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from checker.commands.options import add_solutions_dir


def configure(parser) -> None:
    parser.add_argument(
        "--check", action="store_true", help="only compare; exit 1 when notebooks/ is out of date"
    )
    add_solutions_dir(parser)
    parser.add_argument(
        "--notebooks-dir",
        type=Path,
        default=None,
        help="learner notebooks (default: notebooks/ in the repository)",
    )


def run(args) -> int:
    from checker.authoring.generate import FIX_HINT, generate
    from checker.paths import default_notebooks_dir, default_solutions_dir, notebook_paths

    solutions_dir = args.solutions_dir or default_solutions_dir()
    notebooks_dir = args.notebooks_dir or default_notebooks_dir()
    if not solutions_dir.is_dir():
        print(f"error: no solutions folder at {solutions_dir} (use --solutions-dir).", file=sys.stderr)
        return 2
    if not notebook_paths(solutions_dir):
        print(f"No solution notebooks in {solutions_dir} yet: nothing to generate.")
    result = generate(solutions_dir, notebooks_dir, check=args.check)
    for solution, message in result.errors:
        print(f"error: {solution}: nbgrader could not process it: {message}", file=sys.stderr)
    if args.check:
        return _report_check(result, FIX_HINT)
    for path in result.written:
        print(f"wrote {path}")
    for path in result.orphans:
        print(f"note: {path} has no source in {solutions_dir}; delete it if it is left over.")
    print(f"{len(result.written)} written, {len(result.unchanged)} already up to date.")
    return 1 if result.errors else 0


def _report_check(result, fix_hint: str) -> int:
    if result.in_sync:
        print(f"notebooks/ is up to date ({len(result.unchanged)} notebooks).")
        return 0
    for path in result.written:
        state = "differs from" if path.exists() else "is missing for"
        print(f"out of date: {path} {state} its solution notebook", file=sys.stderr)
    for path in result.orphans:
        print(f"out of date: {path} has no solution notebook (delete it, or add its source)", file=sys.stderr)
    if result.written:
        print(f"To fix: {fix_hint}.", file=sys.stderr)
    return 1
