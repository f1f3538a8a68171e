"""Where things are: the repository's solutions/ and notebooks/, and notebooks in a folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

# Set by the headless solutions run: the notebook's kernel records its metrics and reports there.
RESULTS_DIR_ENV = "CHECKER_RESULTS_DIR"


def results_dir() -> Path | None:
    """The folder a headless solutions run collects a notebook's results in, or None in a learner's kernel.

    >>> results_dir() is None  # a learner's kernel, where nothing sets it
    True
    """
    folder = os.environ.get(RESULTS_DIR_ENV)
    return Path(folder) if folder else None


def repository_root() -> Path:
    """The folder that holds the checker package (and solutions/, notebooks/)."""
    return Path(__file__).resolve().parent.parent


def default_solutions_dir() -> Path:
    return repository_root() / "solutions"


def default_notebooks_dir() -> Path:
    return repository_root() / "notebooks"


def notebook_paths(folder: Path) -> list[Path]:
    """The .ipynb files directly in `folder`, in course order (their names start 01_, 02_...)."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if not p.name.startswith("."))


def resolve_notebooks(names: list[str], folder: Path) -> list[Path]:
    """Notebooks named by path, by stem ("02_multi_input_qa") or by number ("02" or "2").

    Raises ValueError naming what is available when a name matches nothing or several.
    """
    available = notebook_paths(folder)
    chosen = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.exists():
            chosen.append(path)
            continue
        matches = [p for p in available if _matches(p.stem, name)]
        if len(matches) != 1:
            problem = "matches no notebook" if not matches else "matches several notebooks"
            listing = ", ".join(p.stem for p in available) or f"none: {folder} has no notebooks"
            raise ValueError(f"{name!r} {problem} in {folder}. Available: {listing}")
        chosen.append(matches[0])
    return chosen


def _matches(stem: str, name: str) -> bool:
    name = Path(name).stem if name.endswith(".ipynb") else name
    if name.isdigit():
        number = re.match(r"\d+", stem)
        return number is not None and int(number.group()) == int(name)
    return stem == name or stem.startswith(name + "_")
