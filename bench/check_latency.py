"""How long check() takes on each graph exercise, model construction excluded.

Builds every exercise's reference and one typical mistake (tests/reference_models.py), checks each once
(the first call pays for imports), then times many more calls and prints, per model: the first call,
the median and the worst of the timed calls, the target for the median, OK or SLOW, and where the
median goes: describing the model (describe) versus grading the description (grade_description).
The machine's load average is printed too: on a busy machine every figure is inflated.

Run:  python bench/check_latency.py [--repeats 30]     (with the project installed, e.g. .venv/bin/python)
Exit status 1 when a median misses its target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY), str(REPOSITORY / "tests")]

TARGET_MS = {"shared_vision": 100.0}
DEFAULT_TARGET_MS = 10.0


def milliseconds(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def time_checks(model, exercise: str, repeats: int) -> dict:
    from checker import check, describe, grade_description

    first = milliseconds(lambda: check(model, exercise))
    timings = [milliseconds(lambda: check(model, exercise)) for _ in range(repeats)]
    description = describe(model)
    describing = [milliseconds(lambda: describe(model)) for _ in range(repeats)]
    grading = [milliseconds(lambda: grade_description(description, exercise)) for _ in range(repeats)]
    return {
        "first": first,
        "median": statistics.median(timings),
        "worst": max(timings),
        "describe": statistics.median(describing),
        "grade": statistics.median(grading),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per model (default 30)")
    args = parser.parse_args(argv)

    from reference_models import GRAPH_EXERCISES, ONE_WRONG_DETAIL, reference

    rows, slow = [], False
    for exercise in GRAPH_EXERCISES:
        for variant, build in (
            ("reference", lambda e=exercise: reference(e)),
            ("mistake", ONE_WRONG_DETAIL[exercise]),
        ):
            t = time_checks(build(), exercise, args.repeats)
            target = TARGET_MS.get(exercise, DEFAULT_TARGET_MS)
            verdict = "OK" if t["median"] < target else "SLOW"
            slow |= verdict == "SLOW"
            rows.append(
                (
                    exercise,
                    variant,
                    f"{t['first']:.1f}",
                    f"{t['median']:.2f}",
                    f"{t['worst']:.2f}",
                    f"< {target:g}",
                    verdict,
                    f"{t['describe']:.2f}",
                    f"{t['grade']:.2f}",
                )
            )
            print(".", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    header = ("exercise", "model", "first ms", "median ms", "worst ms", "target", "", "describe", "grade")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    print(f"\n{args.repeats} timed calls per model after the first; describe / grade are medians in ms.")
    print(
        "load average (1, 5, 15 min): "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + f" on {os.cpu_count()} CPUs"
    )
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
