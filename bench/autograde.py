"""Autograde a simulated class twice: plain sequential nbgrader, and `classroom autograde` on Dask.

    python bench/autograde.py [--students 12] [--jobs 2] [--repeat 1] [--keep DIR]
    python bench/autograde.py --notebooks 01 07 --students 4     # real course notebooks
    python bench/autograde.py --all-notebooks --students 2       # all 8 course notebooks
    python bench/autograde.py --scheduler tcp://HOST:8786        # on a running Dask cluster

By default makes a course from two small notebooks with real exercises (01_small_models:
functional_mlp and residual_identity; 02_small_layer: simple_dense) and hands in answers for
every student (right, partly right or unanswered, varying by student). With --notebooks (or
--all-notebooks) it uses those notebooks of the real course instead (fast-mode training
included), every student handing in the solutions. Then it times, in one run:

  plain:     `nbgrader autograde ASSIGNMENT` for each assignment, one after the other, with
             full training (CHECKER_SKIM=0; `--plain-skims` lets it skim training too)
  classroom: `python -m checker classroom autograde DIR --jobs N --no-feedback`
             (or `--scheduler ADDRESS`: the cluster's workers grade, this machine writes),
             skimming training; with CHECKER_SKIM=0 in the environment it trains in full too,
             so both sides do the same work and the ratio is the parallel speed-up alone

and prints seconds per student-notebook for each, their ratio, the projected time of a class
of 100 students x 8 notebooks graded the classroom way on this machine (or cluster), and
whether both gradebooks hold identical scores. Both run the course's nbgrader_config.py
(clean verdicts included); the difference is how many students run at once, who writes the
gradebook and, by default, that plain trains in full while classroom skims training (one batch
per fit; checker/course/skim.py): identical scores then also show that skimming changes none.
The projection scales the measured seconds per student-notebook, so it assumes the class's
notebooks are like the ones measured (the small course is faster than the real one: use
--all-notebooks for a projection worth quoting).

Other work on the machine skews the figures, so each run also prints the load average and
the CPU seconds it used (CPU/wall near 1.0 means one busy core); with --repeat N the two
modes alternate N times on fresh copies and the fastest run of each counts.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checker.classroom import simulate  # noqa: E402
from checker.classroom.config import subprocess_environment  # noqa: E402
from checker.classroom.create import create_course  # noqa: E402
from checker.classroom.layout import Course  # noqa: E402
from checker.classroom.results import cell_scores  # noqa: E402
from checker.course.skim import SKIM_ENV  # noqa: E402

PROJECTED_STUDENTS, PROJECTED_NOTEBOOKS = 100, 8

ANSWER_SETS = [  # cycled over the students
    {
        "functional_mlp": simulate.FUNCTIONAL_MLP,
        "residual_identity": simulate.RESIDUAL_IDENTITY,
        "simple_dense": simulate.SIMPLE_DENSE,
    },
    {
        "functional_mlp": simulate.FUNCTIONAL_MLP,
        "residual_identity": simulate.RESIDUAL_IDENTITY_TWO_CONVS,
        "simple_dense": simulate.SIMPLE_DENSE_NO_BIAS,
    },
    {"residual_identity": simulate.RESIDUAL_IDENTITY},
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="alternate the two modes this many times")
    parser.add_argument("--keep", type=Path, default=None, help="keep the courses in this folder")
    parser.add_argument(
        "--notebooks",
        nargs="+",
        default=None,
        metavar="NB",
        help="real course notebooks (stems or numbers such as 01) instead of the small course",
    )
    parser.add_argument(
        "--all-notebooks", action="store_true", help="all the real course notebooks (the whole course)"
    )
    parser.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="grade on this running Dask cluster"
    )
    parser.add_argument(
        "--plain-skims",
        action="store_true",
        help="plain nbgrader skims training too (default: it trains in full, CHECKER_SKIM=0)",
    )
    args = parser.parse_args()
    if args.all_notebooks:
        from checker.paths import default_solutions_dir, notebook_paths

        args.notebooks = [path.stem for path in notebook_paths(default_solutions_dir())]

    work = Path(tempfile.mkdtemp(prefix="bench-autograde-")) if args.keep is None else args.keep
    if args.notebooks:
        template = make_real_class(work / "template", args.students, args.notebooks)
    else:
        template = make_class(work / "template", args.students)
    notebooks = len(template.submissions())
    print(
        f"{args.students} students x {len(template.assignments())} assignments = {notebooks} "
        f"student-notebooks; {os.cpu_count()} CPUs",
        flush=True,
    )

    plain_times, classroom_times = [], []
    where = f"--scheduler {args.scheduler}" if args.scheduler else f"--jobs {args.jobs}"
    classroom_training = (
        "full" if os.environ.get(SKIM_ENV) == "0" else "skimmed"
    )  # CHECKER_SKIM=0: both train
    for round_ in range(args.repeat):
        plain = copy_course(template, work / f"plain{round_}")
        classroom = copy_course(template, work / f"classroom{round_}")
        training = "skimmed" if args.plain_skims else "full"
        label = f"plain nbgrader autograde, sequential, {training} training"
        plain_times.append(timed(label, run_plain, plain, args.plain_skims))
        classroom_times.append(
            timed(
                f"classroom autograde {where}, {classroom_training} training",
                run_classroom,
                classroom,
                where.split(),
            )
        )
    plain_seconds, classroom_seconds = min(plain_times), min(classroom_times)

    plain_scores, classroom_scores = cell_scores(plain), cell_scores(classroom)
    per_plain, per_classroom = plain_seconds / notebooks, classroom_seconds / notebooks
    print(f"\nseconds per student-notebook: plain {per_plain:.2f}, classroom {where} {per_classroom:.2f}")
    print(f"ratio plain / classroom: {plain_seconds / classroom_seconds:.2f}x")
    class_size = PROJECTED_STUDENTS * PROJECTED_NOTEBOOKS
    print(
        f"projected for {PROJECTED_STUDENTS} students x {PROJECTED_NOTEBOOKS} notebooks: classroom "
        f"{_duration(per_classroom * class_size)}, plain {_duration(per_plain * class_size)} "
        f"(scaled from these {'course' if args.notebooks else 'small-course'} notebooks)"
    )
    graded = {(student, assignment) for student, assignment, _ in plain_scores}
    same = plain_scores == classroom_scores and len(graded) == notebooks
    print(
        f"identical scores: {'yes' if same else 'NO'} ({len(plain_scores)} test cells in "
        f"{len(graded)} student-notebooks compared)"
    )
    if not same:
        for key in sorted(set(plain_scores) | set(classroom_scores)):
            if plain_scores.get(key) != classroom_scores.get(key):
                print(f"  {key}: plain {plain_scores.get(key)} classroom {classroom_scores.get(key)}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if same else 1


def _duration(seconds: float) -> str:
    """ "2 h 05 min" """
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def make_class(work: Path, students: int) -> Course:
    """The course, made once, with every student's submissions handed in."""
    simulate.write_small_solutions(work / "solutions")
    course = create_course(work / "course", work / "solutions").course
    for number in range(students):
        answers = ANSWER_SETS[number % len(ANSWER_SETS)]
        for assignment in course.assignments():
            simulate.submit(course, f"student{number:02d}", assignment, answers)
    return course


def make_real_class(work: Path, students: int, wanted: list[str]) -> Course:
    """A course of the chosen solution notebooks; every student hands in the solutions."""
    from checker.paths import notebook_paths, repository_root

    chosen = [
        path
        for path in notebook_paths(repository_root() / "solutions")
        if any(path.stem == name or path.stem.startswith(f"{name}_") for name in wanted)
    ]
    if not chosen:
        sys.exit(f"No solution notebook matches {' '.join(wanted)} (try e.g. 01 07).")
    (work / "solutions").mkdir(parents=True)
    for path in chosen:
        shutil.copyfile(path, work / "solutions" / path.name)
    course = create_course(work / "course", work / "solutions").course
    for assignment in course.assignments():
        answers = simulate.solution_answers(course, assignment)
        for number in range(students):
            simulate.submit(course, f"student{number:02d}", assignment, answers)
    return course


def copy_course(course: Course, target: Path) -> Course:
    shutil.copytree(course.root, target)
    return Course(target)


def timed(label: str, run, *args) -> float:
    busy = busy_cores()
    if busy is not None and busy > 0.3:
        print(
            f"warning: other work keeps {busy:.1f} core(s) busy; it takes cores from the parallel "
            "run, so the speed-up below understates it.",
            flush=True,
        )
    print(f"{label} (load average {os.getloadavg()[0]:.1f}) ...", end=" ", flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run(*args)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        f"{seconds:.1f} s, {cpu:.0f} CPU s (CPU/wall {cpu / seconds:.2f}, load average now "
        f"{os.getloadavg()[0]:.1f})",
        flush=True,
    )
    return seconds


def busy_cores(seconds: float = 2.0) -> float | None:
    """How many cores other work keeps busy right now (Linux /proc/stat); None elsewhere."""

    def sample():
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total_before, idle_before = sample()
        time.sleep(seconds)
        total_after, idle_after = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total_after - total_before
    return (os.cpu_count() or 1) * (1 - (idle_after - idle_before) / total) if total else None


def run_plain(course: Course, skim: bool) -> None:
    skimming = {SKIM_ENV: "1" if skim else "0"}
    for assignment in course.assignments():
        _run([sys.executable, "-m", "nbgrader", "autograde", assignment], cwd=course.root, env=skimming)


def run_classroom(course: Course, where: list[str]) -> None:
    """`where`: ["--jobs", "N"] or ["--scheduler", ADDRESS]."""
    command = [sys.executable, "-m", "checker", "classroom", "autograde", str(course.root), *where]
    _run([*command, "--no-feedback"], cwd=course.root)


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    environment = {**subprocess_environment(), **(env or {})}
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[1:4])} failed:\n{done.stderr[-3000:]}")


if __name__ == "__main__":
    sys.exit(main())
