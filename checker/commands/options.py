"""Options that several commands share."""

from __future__ import annotations

from pathlib import Path


def add_solutions_dir(parser) -> None:
    """--solutions-dir: the instructor's solution notebooks (default: solutions/ in the repository)."""
    parser.add_argument(
        "--solutions-dir",
        type=Path,
        default=None,
        help="the solution notebooks (default: solutions/ in the repository)",
    )
