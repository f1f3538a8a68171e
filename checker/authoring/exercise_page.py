"""docs/exercises.md: every graded exercise as the checker grades it, written from the specs.

    python -m checker list --markdown > docs/exercises.md

The page is the course's exercise contract inside the repository: ids, notebooks, builders,
shapes, names, layers, compile settings and points, all read from `checker/judge/exercises.py`
(and, for custom layers, `checker/observe/layer_setup.py`), so it cannot drift from what is
graded. A test fails when the committed page is out of date.
"""

from __future__ import annotations

import json

from checker.judge.exercises import EXERCISES, named_mistakes_rule
from checker.judge.trend import __doc__ as TREND_RULES
from checker.observe.layer_setup import SETUPS

PAGE_PATH = "docs/exercises.md"
HEADER = f"""# The graded exercises

Generated from `checker/judge/exercises.py` by `python -m checker list --markdown > {PAGE_PATH}`;
do not edit by hand. Each exercise is graded by `check(model_or_builder, "<id>")` at home and by
the autograded cell `grade(<builder>, "<id>")` in class. Shapes leave out the batch axis;
`None` is any length. An input of dtype `int32` (token ids) may be `int64` as well: the ids are
the same numbers, so the model computes the same thing.
"""
SPEC_FIELDS = ("kind", "title", "notebook", "builder", "points", "inputs", "layers", "outputs", "compile")


def render() -> str:
    """The whole page.

    >>> render().startswith("# The graded exercises")
    True
    """
    sections = [HEADER, _overview(), *(_section(i, spec) for i, spec in EXERCISES.items())]
    sections.append(f"## Credit\n\n{named_mistakes_rule()}\n")
    return "\n".join(sections)


def _overview() -> str:
    rows = ["| id | notebook | you write | points |", "|---|---|---|---|"]
    for exercise_id, spec in EXERCISES.items():
        total = sum(spec["points"].values())
        rows.append(f"| `{exercise_id}` | {spec['notebook']} | `{spec['builder']}` | {total:g} |")
    return "\n".join(rows) + "\n"


def _section(exercise_id: str, spec: dict) -> str:
    lines = [f"## `{exercise_id}`", "", spec["title"] + ".", ""]
    lines.append(f"- notebook: `{spec['notebook']}`; you write `{spec['builder']}`")
    lines.append("- points: " + ", ".join(f"{name} {value:g}" for name, value in spec["points"].items()))
    for item in spec.get("inputs", []):
        lines.append(f"- input `{item['id']}`: {_shape_and_name(item)}")
    for item in spec.get("outputs", []):
        lines.append(f"- output: {_shape_and_name(item)}")
    if "compile" in spec:
        lines.append(f"- compile: `{json.dumps(spec['compile'])}`")
    if spec.get("layers"):
        lines += ["", "| layer | class | settings | takes |", "|---|---|---|---|"]
        lines += [_layer_row(layer) for layer in spec["layers"]]
    if spec["kind"] == "layer_class":
        lines.append(f"- how it is tried: `{json.dumps(SETUPS[exercise_id])}`")
    if spec["kind"] == "trend":
        lines += ["", _rules(TREND_RULES)]
    others = {k: v for k, v in spec.items() if k not in SPEC_FIELDS}
    if others:
        lines.append(f"- also: `{json.dumps(others)}`")
    return "\n".join(lines) + "\n"


def _shape_and_name(item: dict) -> str:
    dimensions = ", ".join("None" if d is None else str(d) for d in item["shape"])
    details = [f"shape `({dimensions}{',' if len(item['shape']) == 1 else ''})`"]
    for key in ("name", "dtype", "activation", "family", "from"):
        if key in item:
            details.append(f"{key} `{item[key]}`")
    return ", ".join(details)


def _layer_row(layer: dict) -> str:
    settings = {k: v for k, v in layer.items() if k not in ("id", "class", "from", "same_instance_as")}
    shared = f" (the same instance as `{layer['same_instance_as']}`)" if "same_instance_as" in layer else ""
    takes = ", ".join(f"`{source}`" for source in layer.get("from", []))
    text = ", ".join(f"{k}={v!r}" for k, v in settings.items())
    return f"| `{layer['id']}` | {layer['class']}{shared} | {text} | {takes} |"


def _rules(docstring: str) -> str:
    """The bullet list of rules in a judge's docstring."""
    start = docstring.index("\n- ")
    end = docstring.index("\n\n", start + 1)
    return "Rules:\n" + docstring[start:end].strip("\n")
