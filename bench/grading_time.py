"""Where one student-notebook's grading time goes, notebook by notebook.

    python bench/grading_time.py                 # all 8 course notebooks, training skimmed
    python bench/grading_time.py --full-training # the same with full (fast-mode) training
    python bench/grading_time.py --notebooks 02 07

Hands in the solutions of one student, runs plain `nbgrader autograde NOTEBOOK` for each (one
at a time, so nothing else competes for the cores), and splits each run's wall time into:

  kernel start   sandbox and kernel up, until the first cell starts (GuardedExecute's log)
  import         the first cell: `start_quietly()` imports Keras and TensorFlow
  training       cells that call fit (skimmed: one batch each)
  other cells    the rest of the learner's notebook (data, models, the test cells' descriptions)
  clean grading  the clean processes that turn evidence into points (CleanVerdicts' log)
  nbgrader       the rest: nbgrader's own start and imports, copying, gradebook writes

`classroom autograde` pays the same per notebook except nbgrader's start and imports, which a
Dask worker pays once. Figures are seconds of wall time on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from autograde import make_real_class  # noqa: E402

from checker.classroom.config import subprocess_environment  # noqa: E402
from checker.course.skim import SKIM_ENV  # noqa: E402
from checker.paths import default_solutions_dir, notebook_paths  # noqa: E402

COLUMNS = ["kernel start", "import", "training", "other cells", "clean grading", "nbgrader", "total"]
KERNEL_LINE = re.compile(r"Timing: kernel start ([\d.]+) s, cells ([\d.]+) s, kernel stop ([\d.]+) s")
CLEAN_LINE = re.compile(r"Timing: clean grading ([\d.]+) s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="+", default=None, metavar="NB", help="default: all")
    parser.add_argument("--full-training", action="store_true", help="train in full (CHECKER_SKIM=0)")
    args = parser.parse_args()
    wanted = args.notebooks or [path.stem for path in notebook_paths(default_solutions_dir())]
    course = make_real_class(Path(tempfile.mkdtemp(prefix="bench-grading-time-")), 1, wanted)
    environment = {**subprocess_environment(), SKIM_ENV: "0" if args.full_training else "1"}

    print(f"training {'in full' if args.full_training else 'skimmed'}; seconds of wall time")
    print(f"{'notebook':28s}" + "".join(f"{name:>14s}" for name in COLUMNS))
    rows = [time_one(course, assignment, environment) for assignment in course.assignments()]
    for assignment, row in zip(course.assignments(), rows):
        print(f"{assignment[:28]:28s}" + "".join(f"{row[name]:14.1f}" for name in COLUMNS))
    means = {name: sum(row[name] for row in rows) / len(rows) for name in COLUMNS}
    print(f"{'mean':28s}" + "".join(f"{means[name]:14.1f}" for name in COLUMNS))
    return 0


def time_one(course, assignment: str, environment: dict) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"],
        cwd=course.root,
        env=environment,
        capture_output=True,
        text=True,
    )
    total = time.perf_counter() - started
    kernel, clean = KERNEL_LINE.search(done.stderr), CLEAN_LINE.search(done.stderr)
    if done.returncode != 0 or kernel is None or clean is None:
        sys.exit(f"nbgrader autograde {assignment} failed:\n{done.stderr[-3000:]}")
    kernel_start, cells, kernel_stop = map(float, kernel.groups())
    first, training, all_cells = cell_times(course.folder("autograded", "student00", assignment))
    row = {
        "kernel start": kernel_start,
        "import": first,
        "training": training,
        "other cells": max(cells - first - training, 0.0),
        "clean grading": float(clean.group(1)),
        "total": total,
    }
    row["nbgrader"] = total - kernel_start - cells - kernel_stop - row["clean grading"]
    return row


def cell_times(folder: Path) -> tuple[float, float, float]:
    """(first cell, cells that call fit, all cells) in seconds, from nbclient's timing metadata."""
    notebook = json.loads(next(folder.glob("*.ipynb")).read_text())
    durations = [
        (_seconds(cell["metadata"]["execution"]), "".join(cell["source"]))
        for cell in notebook["cells"]
        if cell["cell_type"] == "code" and cell.get("metadata", {}).get("execution")
    ]
    training = sum(
        seconds for seconds, source in durations if ".fit(" in source or "train_small_model(" in source
    )
    return durations[0][0], training, sum(seconds for seconds, _ in durations)


def _seconds(execution: dict) -> float:
    start = datetime.fromisoformat(execution["iopub.execute_input"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(execution["shell.execute_reply"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
