"""The README's promises about the project itself."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def test_quick_start_has_the_main_command_and_the_test_command():
    commands = _readme_commands()
    assert len(commands) == 2, commands
    assert commands[0].endswith("-m checker solutions")
    assert commands[1].endswith("-m pytest")


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert _readme_commands()[1] in ci


def test_ci_treats_no_tests_as_a_failure():
    ci = (ROOT / ".ci" / "run").read_text()
    assert '"$status" -eq 5' in ci and "exit 1" in ci


def test_the_exercise_page_is_generated_from_the_specs():
    from checker.authoring.exercise_page import PAGE_PATH, render

    committed = (ROOT / PAGE_PATH).read_text(encoding="utf-8")
    assert committed == render(), (
        f"{PAGE_PATH} is out of date: python -m checker list --markdown > {PAGE_PATH}"
    )


def test_the_exercise_page_names_every_exercise_its_shapes_and_its_points():
    from checker.authoring.exercise_page import render
    from checker.judge.exercises import EXERCISES

    page = render()
    for exercise_id, spec in EXERCISES.items():
        section = page.split(f"## `{exercise_id}`")[1].split("\n## ")[0]
        assert spec["builder"] in section and spec["notebook"] in section
        assert all(f"{name} {points:g}" in section for name, points in spec["points"].items())
        assert all(f"`{item['id']}`" in section for item in spec.get("inputs", []))
