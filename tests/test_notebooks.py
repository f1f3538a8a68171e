"""The course notebooks: generated from their solutions, executable, and their tooling.

Tests marked `slow` start Jupyter kernels; they run by default (and in CI).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from checker.authoring.generate import FIX_HINT, first_unsolved_cell, generate
from checker.authoring.run_solutions import failure_messages, run_notebook
from checker.cli import main as checker_main
from checker.course.skim import SKIM_ENV, SKIPPED_DRAWING
from checker.paths import default_notebooks_dir, default_solutions_dir, notebook_paths, resolve_notebooks
from tests.conftest import FUNCTIONAL_MLP_SOLUTION

SOLUTIONS = notebook_paths(default_solutions_dir())
LEARNER_NOTEBOOKS = notebook_paths(default_notebooks_dir())


def _ids(paths):
    return [p.stem for p in paths]


# ---------------------------------------------------------------- (a) generation


def test_learner_notebooks_are_in_sync_with_solutions():
    result = generate(default_solutions_dir(), default_notebooks_dir(), check=True)
    problems = (
        [f"{p} is out of date" for p in result.written]
        + [f"{p} has no solution" for p in result.orphans]
        + [f"{p}: {message}" for p, message in result.errors]
    )
    assert result.in_sync, "\n".join(problems + [f"To fix: {FIX_HINT}"])


def test_generate_strips_solutions_and_outputs_and_keeps_nbgrader_metadata(
    notebook_maker, mlp_notebook_cells, tmp_path
):
    executed = mlp_notebook_cells[3]
    executed.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a report\n")]
    executed.execution_count = 3
    notebook_maker.write("01_functional_api", mlp_notebook_cells)

    result = generate(notebook_maker.folder, tmp_path / "notebooks")

    assert [p.name for p in result.written] == ["01_functional_api.ipynb"]
    learner = nbformat.read(str(tmp_path / "notebooks" / "01_functional_api.ipynb"), as_version=4)
    solution_cell, self_check, graded = learner.cells[2], learner.cells[3], learner.cells[4]
    assert "raise NotImplementedError()" in solution_cell.source
    assert "layers.Dense(32" not in solution_cell.source
    assert solution_cell.source.startswith("def build_functional_mlp():")
    assert self_check.outputs == [] and self_check.execution_count is None
    assert graded.metadata.nbgrader["grade_id"] == "functional_mlp"
    assert graded.metadata.nbgrader["checksum"]
    assert graded.metadata.editable is False
    assert learner.metadata.kernelspec["name"] == "python3"
    assert first_unsolved_cell(learner) == 2


def test_generate_is_byte_identical_when_rerun(notebook_maker, mlp_notebook_cells, tmp_path):
    notebook_maker.write("01_functional_api", mlp_notebook_cells)
    target = tmp_path / "notebooks" / "01_functional_api.ipynb"
    generate(notebook_maker.folder, target.parent)
    first = target.read_bytes()

    rerun = generate(notebook_maker.folder, target.parent)

    assert rerun.written == [] and rerun.unchanged == [target]
    assert target.read_bytes() == first


def test_generate_check_lists_out_of_date_notebooks_and_the_fix(
    notebook_maker, mlp_notebook_cells, tmp_path, capsys
):
    solution = notebook_maker.write("01_functional_api", mlp_notebook_cells)
    notebooks = tmp_path / "notebooks"
    folders = ["--solutions-dir", str(solution.parent), "--notebooks-dir", str(notebooks)]
    assert checker_main(["generate", *folders]) == 0
    assert checker_main(["generate", "--check", *folders]) == 0

    mlp_notebook_cells[0].source = "# A changed introduction"
    notebook_maker.write("01_functional_api", mlp_notebook_cells)
    capsys.readouterr()

    assert checker_main(["generate", "--check", *folders]) == 1
    message = capsys.readouterr().err
    assert "01_functional_api.ipynb differs from its solution notebook" in message
    assert "python -m checker generate" in message


def test_generate_reports_a_malformed_solution_notebook(notebook_maker, tmp_path, capsys):
    unmarked = notebook_maker.code("def build():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION")
    notebook_maker.write("01_broken", [unmarked])

    status = checker_main(
        [
            "generate",
            "--solutions-dir",
            str(notebook_maker.folder),
            "--notebooks-dir",
            str(tmp_path / "notebooks"),
        ]
    )

    assert status == 1
    assert "01_broken.ipynb: nbgrader could not process it" in capsys.readouterr().err


def test_notebooks_are_named_by_stem_number_or_path(notebook_maker, mlp_notebook_cells):
    first = notebook_maker.write("01_functional_api", mlp_notebook_cells)
    second = notebook_maker.write("02_multi_input_qa", mlp_notebook_cells)
    folder = notebook_maker.folder

    assert resolve_notebooks(["02", "1", "01_functional_api", str(second)], folder) == [
        second,
        first,
        first,
        second,
    ]
    with pytest.raises(ValueError, match="Available: 01_functional_api, 02_multi_input_qa"):
        resolve_notebooks(["09"], folder)


# ---------------------------------------------------------------- (b) solutions run


@pytest.mark.slow
@pytest.mark.parametrize("solution", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_solution_notebook_runs_and_every_exercise_passes_and_no_helper_is_an_answer(solution, tmp_path):
    probe = LEAK_PROBE.replace("NAMES", repr(learner_visible_names(solution)))

    run = run_notebook(solution, tmp_path, fast=True, progress=False, extra_cells=[probe])

    assert run.ok, "\n".join(failure_messages([run]))
    assert run.exercises, f"{solution.name} has no autograded cell"
    assert run.metrics, f"{solution.name} never calls report_metric for its trained model"
    expected = REPORTED_METRICS.get(solution.stem[:2])
    assert expected is None or list(run.metrics) == expected, list(run.metrics)
    first_code_cell = next(
        c for c in nbformat.read(str(run.executed_path), as_version=4).cells if c.cell_type == "code"
    )
    assert [o for o in first_code_cell.outputs if o.get("name") == "stderr"] == [], (
        "start-up lines under cell 1"
    )
    full_marks = _probe_result(run.executed_path)
    assert full_marks == {}, (
        f"{solution.name}: functions or classes a learner can call outside the exercise cells "
        f"earn full marks: {full_marks}"
    )
    for prose_check in PROSE_CHECKS.get(solution.stem[:2], ()):
        prose_check(run.executed_path)


# What `solutions --json` lists for these notebooks, in order (02: one model; the others train several).
REPORTED_METRICS = {
    "02": ["answer accuracy"],
    "03": [
        f"{head}, weights {weights}"
        for weights in ("0.3/1/1", "1/1/1")
        for head in ("gender accuracy", "income accuracy", "age error (years)")
    ],
    "07": [
        "accuracy, SimpleDense classifier",
        "accuracy, ResidualDense classifier",
        "accuracy, RefiningClassifier (steps=2)",
    ],
    "08": [
        "price MAE ($)",
        "trend micro-F1",
        "trend micro-F1, questionnaire only",
        "price MAE ($), questionnaire only",
    ],
}


def _printed(executed: Path, cell_marker: str) -> str:
    """What the code cell whose source contains `cell_marker` printed (its stdout)."""
    notebook = nbformat.read(str(executed), as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and cell_marker in c.source)
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def _05_gradient_table_shows_what_its_text_says(executed: Path) -> None:
    """05's text: residual ReLU sums and gradients grow to hundreds; batch norm keeps them at a few."""
    text = _printed(executed, "def gradient_reach")
    rows = {
        " ".join(line.split()[:-6]): [float(v) for v in line.split()[-6:]] for line in text.splitlines()[1:]
    }
    residual, normalized = rows["relu residual"], rows["relu residual + batch norm"]
    assert residual[0] > 100 and residual[-1] > 100, residual  # gradient at layer 1, size at 20
    assert normalized[0] < 10 and normalized[-1] < 10, normalized
    assert rows["sigmoid plain"][0] < 1e-9 and 0.5 < rows["sigmoid residual"][0] < 2


def _01_readout_shows_what_its_text_says(executed: Path) -> None:
    """01's text: trained features serve a linear readout about as well as the model; untrained much worse."""
    text = _printed(executed, "def linear_readout_accuracy")
    trained, untrained, pixels, model = (float(v) for v in re.findall(r":\s+([\d.]+)\)?$", text, re.M)[-4:])
    assert abs(trained - model) < 0.1 and untrained < trained - 0.2, (trained, untrained, model)
    assert pixels > 0.9, pixels  # "a straight line in pixel space nearly solves" the toy task


def _02_mask_gives_the_same_answers_whatever_the_padding(executed: Path) -> None:
    """02's text: with mask_zero=True the same weights give the same answers whatever the padding."""
    text = _printed(executed, "masked_unpadded = answers_to")
    rows = [[v.strip() for v in line.split("|")] for line in text.splitlines()[1:] if "|" in line]
    plain = {int(r[0]): float(r[1]) for r in rows}
    assert [r[3] for r in rows] == ["100%"] * 3 and len({r[2] for r in rows}) == 1, rows
    assert max(float(r[4]) for r in rows) < 1e-4, rows  # the largest change in any probability
    assert abs(plain[8] - plain[0]) > 0.01 and abs(plain[32] - plain[0]) > 0.01, plain  # without a mask


def _07_only_the_trained_step_count_scores_high(executed: Path) -> None:
    """07's text: only the step count it was trained with gives a high accuracy."""
    text = _printed(executed, "class RefiningClassifier")
    accuracy = {int(s): float(a) for s, a in re.findall(r"steps=(\d+): validation accuracy ([\d.]+)", text)}
    trained = accuracy.pop(2)
    assert sorted(accuracy) == [0, 1, 4] and trained > 0.75, (trained, accuracy)
    assert max(accuracy.values()) < trained - 0.15, (trained, accuracy)


def _08_each_input_s_own_elements_fall_without_it(executed: Path) -> None:
    """08's text: zeroing an input costs its own elements (some to about 0) and raises the price error."""
    table = _table(_printed(executed, "ablation = {"))
    full = table["all three inputs"]
    own = {name: table[f"{name} zeroed"][f"F1, {name}"] for name in ("questionnaire", "review", "photo")}
    assert all(full[f"F1, {n}"] > after + 0.2 for n, after in own.items()), (full, own)
    assert min(own.values()) < 0.05, own
    assert all(table[f"{n} zeroed"]["price MAE ($)"] > full["price MAE ($)"] + 1 for n in own), table
    others = [abs(table[f"{n} zeroed"][f"F1, {m}"] - full[f"F1, {m}"]) for n in own for m in own if m != n]
    drops = [full[f"F1, {n}"] - after for n, after in own.items()]
    assert max(others) < min(drops) / 2, (others, drops)  # "change much less than the zeroed input's own"


def _08_questionnaire_alone_predicts_only_its_own_elements(executed: Path) -> None:
    """08's text: the questionnaire alone predicts its own elements about as well, and nothing else."""
    text = _printed(executed, "questionnaire_only = build_questionnaire_only_model()")
    alone, full = _table(text)["questionnaire only"], _table(text)["all three inputs"]
    assert abs(alone["F1, questionnaire"] - full["F1, questionnaire"]) < 0.1, (alone, full)
    assert alone["F1, photo"] < 0.15 and alone["F1, review"] < 0.15, alone
    assert alone["price MAE ($)"] > full["price MAE ($)"] + 1 and alone["F1, all"] < full["F1, all"] - 0.1


def _08_each_sketch_s_row_names_the_rule_it_breaks(executed: Path) -> None:
    """08's text: the checker tests the rules of section 2 and, when one is broken, names it."""
    text = _printed(executed, "def sketch_softmax_trend")
    rows = re.findall(
        r"^  (layer families|photo merge|outputs) \(([\d.]+)/(\d+) points\)\n    - (.*)$", text, re.M
    )
    assert [row[0] for row in rows] == ["layer families", "photo merge", "outputs"], text
    assert all(float(earned) < float(points) for _, earned, points, _ in rows), rows
    assert all(
        word in row[3]
        for word, row in zip(("needs a recurrent layer", "residual merge", "uses softmax"), rows)
    ), rows


def _table(text: str) -> dict[str, dict[str, float]]:
    """08's print_table: {row label: {column: value}}, up to the first empty line."""
    header, *lines = text.split("\n\n")[0].splitlines()
    columns = re.split(r"\s{2,}", header.strip())
    return {
        label: dict(zip(columns, map(float, values)))
        for label, *values in (re.split(r"\s{2,}", line.strip()) for line in lines)
    }


def _03_age_cannot_beat_the_middle_of_its_decade(executed: Path) -> None:
    """03's text: age is learned to the decade only; the best any model can do is about 2.5 years off."""
    text = _printed(executed, "decade_middles")
    best = float(re.search(r"best possible age error, .*: ([\d.]+) years", text).group(1))
    model_error = float(re.search(r"^age error \(years\)\s+([\d.]+)", text, re.M).group(1))
    assert 2.2 < best < 2.8, text
    assert model_error > best - 0.2, text  # no model reads finer than the decade from these posts


def _03_age_pulls_hardest_on_the_trunk(executed: Path) -> None:
    """03's text: income's loss is the largest, yet age's gradient on the trunk is several times
    either other; weighted 0.3/1/1, age's pull is no longer several times the others'."""
    text = _printed(executed, "pulls = pull_on_trunk(")
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in text.splitlines()[1:4]}
    age_loss, age, age_weighted = rows["age"]
    income_loss, income, _ = rows["income"]
    gender = rows["gender"][1]
    assert income_loss > age_loss and age > 2.5 * max(income, gender), rows
    assert age_weighted < 1.5 * max(income, gender), rows
    untrained = _printed(executed, "untrained = loss_table(")
    losses = {line.split()[0]: float(line.split()[1]) for line in untrained.splitlines()[1:4]}
    assert losses["income"] > losses["age"], untrained  # "income's is larger, in section 4's table"


def _08_guessing_every_element_scores_about_0_44(executed: Path) -> None:
    """08's text: the best constant guess, "every element", scores about 0.44 (the printed chance level)."""
    text = _printed(executed, 'report_metric("trend micro-F1"')
    chance = float(re.search(r"validation trend micro-F1: .*\(chance level: ([\d.]+)\)", text).group(1))
    assert abs(chance - 0.44) < 0.015, text


def _02_accuracy_climbs_from_about_1_in_10(executed: Path) -> None:
    """02's text: after the first epoch about 1 in 10 (twice chance), and every later epoch adds more."""
    text = _printed(executed, "as_list = model.fit(")
    line = re.search(r"^validation accuracy after each epoch: (.*)$", text, re.M).group(1)
    accuracy = [float(v) for v in line.split()]
    assert 0.08 <= accuracy[0] <= 0.13, accuracy
    assert len(accuracy) >= 2 and all(b > a for a, b in zip(accuracy, accuracy[1:])), accuracy


def _08_both_losses_start_around_1(executed: Path) -> None:
    """08's text: in standard units both losses start around 1; in dollars the mse would be in the hundreds."""
    text = _printed(executed, "untrained = trend_model.evaluate(")
    trend, price, dollars = re.search(
        r"before training: trend loss ([\d.]+), price loss ([\d.]+) \(.* squared error of (\d+)\)", text
    ).groups()
    assert 0.5 < float(trend) < 2 and 0.5 < float(price) < 2, text
    assert 100 <= int(dollars) < 1000, text


PROSE_CHECKS = {
    "01": (_01_readout_shows_what_its_text_says,),
    "02": (_02_mask_gives_the_same_answers_whatever_the_padding, _02_accuracy_climbs_from_about_1_in_10),
    "03": (_03_age_cannot_beat_the_middle_of_its_decade, _03_age_pulls_hardest_on_the_trunk),
    "05": (_05_gradient_table_shows_what_its_text_says,),
    "07": (_07_only_the_trained_step_count_scores_high,),
    "08": (
        _08_each_input_s_own_elements_fall_without_it,
        _08_questionnaire_alone_predicts_only_its_own_elements,
        _08_each_sketch_s_row_names_the_rule_it_breaks,
        _08_guessing_every_element_scores_about_0_44,
        _08_both_losses_start_around_1,
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("solution", SOLUTIONS, ids=_ids(SOLUTIONS))
def test_solution_notebook_runs_whole_when_training_is_skimmed_for_grading(solution, tmp_path, monkeypatch):
    """In a grading kernel every fit takes one batch: later cells that use the history,
    the predictions or the trained model still run, and every exercise still passes."""
    monkeypatch.setenv(SKIM_ENV, "1")

    run = run_notebook(solution, tmp_path, fast=False, progress=False)

    assert run.ok, "\n".join(failure_messages([run]))
    executed = nbformat.read(str(run.executed_path), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert SKIPPED_DRAWING in printed  # every notebook plots its curves: the kernel did skim


@pytest.mark.slow
def test_03_says_what_its_full_run_shows(tmp_path):
    """03's text: weights 0.3/1/1 teach all three heads; with equal weights age takes the trunk."""
    solution = next(p for p in SOLUTIONS if p.stem.startswith("03"))

    run = run_notebook(solution, tmp_path, fast=False, progress=False)

    assert run.ok, "\n".join(failure_messages([run]))
    balanced, equal, guessing = _scores_table(run.executed_path, "equal_weights = head_scores")
    assert balanced["gender accuracy"] > 0.9 and balanced["income accuracy"] > 2 * guessing["income accuracy"]
    assert balanced["age error (years)"] < 0.6 * guessing["age error (years)"]
    assert equal["age error (years)"] < 0.6 * guessing["age error (years)"]  # "age takes the trunk over"
    assert equal["gender accuracy"] < 0.6 and equal["income accuracy"] < 0.2  # "at (or near) guessing"
    _03_age_pulls_hardest_on_the_trunk(run.executed_path)  # "why age?": its gradient, not its loss


def _scores_table(executed: Path, cell_marker: str) -> list[dict]:
    """03's printed table, one {head: score} per column (the last column is guessing)."""
    text = _printed(executed, cell_marker)
    rows = [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()[1:4]]
    columns = len(rows[0]) - 1
    return [{row[0]: float(row[1 + i]) for row in rows} for i in range(columns)]


# Runs after a solution notebook, in its kernel: which learner-visible function called with its
# defaults returns a model (or which layer class) that earns full marks on some exercise?
LEAK_PROBE = """
import inspect as _inspect, json as _json
import keras as _keras
from checker import EXERCISES as _EXERCISES, check as _check
_full = {}
for _name in NAMES:
    _obj = globals().get(_name)
    if isinstance(_obj, type) and issubclass(_obj, _keras.layers.Layer):
        _subjects, _kinds = [_obj], {"layer_class"}
    elif callable(_obj) and all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        for p in _inspect.signature(_obj).parameters.values()
    ):
        try:
            _subjects, _kinds = [_obj()], {"graph", "trend"}
        except Exception:
            continue
    else:
        continue
    for _exercise, _spec in _EXERCISES.items():
        if _spec["kind"] in _kinds:
            _report = _check(_subjects[0], _exercise)
            if _report.passed and _report.score >= _report.max_score:
                _full.setdefault(_name, []).append(_exercise)
print("LEAK-PROBE " + _json.dumps(_full))
"""


def learner_visible_names(solution: Path) -> list[str]:
    """Top-level functions and classes of the cells a learner gets as they are (not solutions).

    A class derived from an exercise's own class (07's RegisteredSimpleDense) is the learner's
    own answer in their notebook, so it is left out.
    """
    import ast

    notebook = nbformat.read(str(solution), as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    own = {
        node.name
        for cell in code
        if cell.metadata.get("nbgrader", {}).get("solution")
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }
    names = []
    for cell in code:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.FunctionDef) or (
                isinstance(node, ast.ClassDef)
                and not any(isinstance(b, ast.Name) and b.id in own for b in node.bases)
            ):
                names.append(node.name)
    return names


def _probe_result(executed: Path) -> dict:
    notebook = nbformat.read(str(executed), as_version=4)
    for output in notebook.cells[-1].outputs:
        for line in output.get("text", "").splitlines():
            if line.startswith("LEAK-PROBE "):
                return json.loads(line[len("LEAK-PROBE ") :])
    raise AssertionError(f"the leak probe printed nothing: {notebook.cells[-1].outputs}")


@pytest.mark.slow
def test_the_leak_probe_finds_a_helper_that_returns_the_answer(notebook_maker, mlp_notebook_cells, tmp_path):
    nb = notebook_maker
    answer = FUNCTIONAL_MLP_SOLUTION.replace("build_functional_mlp", "build_demo_mlp")
    cells = mlp_notebook_cells + [
        nb.code(answer.replace("    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION", ""))
    ]
    path = nb.write("01_leaky", cells)
    probe = LEAK_PROBE.replace("NAMES", repr(learner_visible_names(path)))

    run = run_notebook(path, tmp_path, fast=True, progress=False, extra_cells=[probe])

    assert _probe_result(run.executed_path) == {"build_demo_mlp": ["functional_mlp"]}


def test_learner_visible_names_leave_out_exercises_and_subclasses_of_them(notebook_maker):
    nb = notebook_maker
    path = nb.write(
        "07_layers",
        [
            nb.solution(
                "simple_dense", "class SimpleDense:\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"
            ),
            nb.code("class Registered(SimpleDense):\n    pass\n\n\nclass Other:\n    pass"),
            nb.code("def build_demo():\n    return 1\n\n\nvalue = build_demo()"),
        ],
    )

    assert learner_visible_names(path) == ["Other", "build_demo"]


# ---------------------------------------------------------------- (c) learner notebooks


@pytest.mark.slow
@pytest.mark.parametrize("learner", LEARNER_NOTEBOOKS, ids=_ids(LEARNER_NOTEBOOKS))
def test_learner_notebook_runs_up_to_its_first_exercise(learner, tmp_path):
    _runs_up_to_first_exercise(learner, tmp_path)


@pytest.mark.slow
def test_a_generated_learner_notebook_runs_up_to_its_first_exercise(
    notebook_maker, mlp_notebook_cells, tmp_path
):
    notebook_maker.write("01_functional_api", mlp_notebook_cells)
    generate(notebook_maker.folder, tmp_path / "notebooks")

    run = _runs_up_to_first_exercise(tmp_path / "notebooks" / "01_functional_api.ipynb", tmp_path)

    executed = nbformat.read(str(run.executed_path), as_version=4)
    assert len(executed.cells) == 2 and executed.cells[1].execution_count == 1


def _runs_up_to_first_exercise(path: Path, tmp_path: Path):
    notebook = nbformat.read(str(path), as_version=4)
    unsolved = first_unsolved_cell(notebook)
    assert unsolved is not None, f"{path.name} has no cell for the learner to fill in"

    run = run_notebook(path, tmp_path / "executed", fast=True, progress=False, stop_after=unsolved)

    assert run.problem is None, f"{path.name}: {run.problem}"
    return run


@pytest.mark.slow
def test_start_quietly_hides_tensorflows_start_up_lines_but_not_a_learners_errors(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("from checker.course import start_quietly\nstart_quietly()\nimport keras"),
        nbformat.v4.new_code_cell("import sys\nprint('my own warning', file=sys.stderr)\n1 / 0"),
    ]

    NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=300).execute()

    assert notebook.cells[0].outputs == []
    outputs = notebook.cells[1].outputs
    assert [o["text"] for o in outputs if o.get("name") == "stderr"] == ["my own warning\n"]
    assert [o["ename"] for o in outputs if o["output_type"] == "error"] == ["ZeroDivisionError"]


# ---------------------------------------------------------------- (d) show_model


def _functional_model():
    import keras
    from keras import layers

    left, right = keras.Input((None, 8), name="left"), keras.Input((None, 8), name="right")
    shared = layers.LSTM(4, name="shared_lstm")
    merged = layers.concatenate([shared(left), shared(right)])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(merged))


def _nested_model():
    import keras
    from keras import layers

    base_input = keras.Input((16, 16, 3))
    base = keras.Model(base_input, layers.Conv2D(4, 3, strides=2)(base_input), name="base")
    a, b = keras.Input((16, 16, 3)), keras.Input((16, 16, 3))
    return keras.Model([a, b], layers.concatenate([base(a), base(b)]))


def _unbuilt_sequential():
    import keras
    from keras import layers

    return keras.Sequential([layers.Dense(4), layers.Dense(1)])


def _subclassed():
    import keras

    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    return Tiny()


MODELS = {
    "functional_shared": _functional_model,
    "nested_model": _nested_model,
    "unbuilt_sequential": _unbuilt_sequential,
    "subclassed": _subclassed,
}


@pytest.fixture
def shown(monkeypatch):
    """What show_model and plot_history displayed: ("png", bytes), ("html", text), ("figure", Figure)."""
    from checker.course import helpers, model_drawing

    displayed = []
    monkeypatch.setattr(helpers, "_display_figure", lambda fig: displayed.append(("figure", fig)))
    monkeypatch.setattr(model_drawing, "_display_png", lambda data: displayed.append(("png", data)))
    monkeypatch.setattr(model_drawing, "_display_html", lambda text: displayed.append(("html", text)))
    return displayed


@pytest.fixture
def without_dot(monkeypatch, tmp_path):
    """PATH without Graphviz: only the folder of this Python."""
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    assert shutil.which("dot") is None


def png_width(data: bytes) -> int:
    assert data.startswith(b"\x89PNG")
    return int.from_bytes(data[16:20], "big")


@pytest.mark.parametrize("make_model", MODELS.values(), ids=MODELS.keys())
def test_show_model_without_graphviz_draws_the_layer_graph(make_model, without_dot, shown, capsys):
    from checker.course import show_model

    show_model(make_model())

    kinds = [kind for kind, _ in shown]
    assert kinds == (["png", "html"] if make_model is _nested_model else ["png"])
    assert png_width(shown[0][1]) > 100
    assert "conda install -c conda-forge graphviz" in capsys.readouterr().out


def test_the_networkx_drawing_shows_shared_layers_once_with_each_call():
    from checker.course.plotting import draw_layer_graph, layer_graph

    figure = draw_layer_graph(layer_graph(_functional_model()))

    labels = [text.get_text() for text in figure.axes[0].texts]
    shared = [label for label in labels if label.startswith("shared_lstm")]
    assert shared == ["shared_lstm\nLSTM(4)\n(None, 4)\nshared: called 2 times"]
    assert any(label.startswith("left\nInput (None, None, 8)") for label in labels)


def test_a_nested_model_is_one_box_with_the_shapes_it_produces(without_dot, shown):
    from checker.course.plotting import layer_graph

    graph = layer_graph(_nested_model())

    assert "base" in graph and graph.nodes["base"]["nested"]
    assert "(None, 7, 7, 4)" in graph.nodes["base"]["label"]
    assert graph.in_degree("base") == 2


@pytest.mark.parametrize("route", ["dot", "matplotlib"])
def test_a_nested_model_can_be_opened_below_the_drawing(route, shown, monkeypatch):
    import base64
    import re

    from checker.course import show_model

    if route == "matplotlib":
        monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    elif shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed here")
    show_model(_nested_model())

    (kind, text) = shown[1]
    assert kind == "html" and text.startswith("<details><summary>Open <b>base</b>")
    inner = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', text).group(1))
    assert png_width(inner) > 100


def test_a_large_model_inside_is_named_not_drawn(shown):
    """Xception inside 06's models would add ~1 MB and seconds per drawing behind a click."""
    import keras
    from keras import layers

    from checker.course import model_drawing, show_model

    deep = keras.Sequential(
        [keras.Input((4,))] + [layers.Dense(4) for _ in range(model_drawing.MAX_NESTED_LAYERS + 1)],
        name="deep",
    )
    inputs = keras.Input((4,))
    show_model(keras.Model(inputs, deep(inputs)))

    (kind, text) = shown[1]
    assert kind == "html" and "<img" not in text
    assert (
        f"has {model_drawing.MAX_NESTED_LAYERS + 1} layers" in text and "get_layer('deep').summary()" in text
    )


def _course_model(notebook: str, builder: str):
    """A model built by the solution notebook's own imports and definitions."""
    import ast

    from checker.classroom.evidence import KEPT_STATEMENTS, _is_constant, _top_level

    cells = nbformat.read(str(default_solutions_dir() / f"{notebook}.ipynb"), 4).cells
    kept = [
        ast.unparse(node)
        for cell in cells
        if cell.cell_type == "code"
        for node in _top_level(cell.source)
        if isinstance(node, KEPT_STATEMENTS) or _is_constant(node)
    ]
    namespace = {"__name__": "course_model"}
    exec("\n".join(kept), namespace)  # noqa: S102 - the course's own solutions
    return namespace[builder]()


LARGEST_MODELS = {
    "04_inception_block": ("04_inception_blocks", "build_inception_block"),
    "08_trend_model": ("08_capstone_trend_model", "build_trend_model"),
}
SHOWN_WIDTH = 860  # px: JupyterLab's output column on a laptop, where wider pictures are scaled down
READABLE = 10  # px: the smallest text a learner reads without zooming


@pytest.mark.parametrize("route", ["dot", "matplotlib"])
@pytest.mark.parametrize("notebook,builder", LARGEST_MODELS.values(), ids=LARGEST_MODELS.keys())
def test_the_course_s_largest_drawings_are_readable_at_860_px(notebook, builder, route, shown, monkeypatch):
    from checker.course import model_drawing, show_model
    from checker.course.dot_drawing import DOT_DPI
    from checker.course.plotting import FONT_SIZE

    if route == "matplotlib":
        monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    elif shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed here")
    show_model(_course_model(notebook, builder))

    dpi = DOT_DPI if route == "dot" else model_drawing.DRAWING_DPI
    width = png_width(shown[0][1])
    text_px = FONT_SIZE * dpi / 72 * min(1, SHOWN_WIDTH / width)
    assert text_px >= READABLE, f"{width} px wide: text shown at {text_px:.1f} px"


@pytest.mark.parametrize("notebook,builder", LARGEST_MODELS.values(), ids=LARGEST_MODELS.keys())
def test_long_edges_run_straight_in_the_networkx_layout(notebook, builder):
    from checker.course.plotting import graph_layout, layer_graph

    positions, paths = graph_layout(layer_graph(_course_model(notebook, builder)))

    long_edges = [path[1:-1] for path in paths.values() if len(path) > 3]
    assert long_edges, "these models have edges that skip rows"
    for waypoints in long_edges:
        xs = [positions[w][0] for w in waypoints]
        assert max(xs) - min(xs) < 0.05, f"a long edge bends: {xs}"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed here")
@pytest.mark.parametrize("make_model", MODELS.values(), ids=MODELS.keys())
def test_show_model_with_graphviz_draws_with_dot(make_model, shown, capsys):
    from checker.course import show_model

    show_model(make_model())

    kind, content = shown[0]
    assert kind == "png" and png_width(content) > 100
    assert len(shown) == (2 if make_model is _nested_model else 1)
    assert "graphviz" not in capsys.readouterr().out.lower()


# ---------------------------------------------------------------- course helpers


def test_plot_history_draws_every_output_of_a_metric(shown):
    from checker.course import plot_history

    history = {
        "loss": [3.0, 2.0],
        "val_loss": [3.1, 2.5],
        "income_accuracy": [0.2, 0.4],
        "val_income_accuracy": [0.2, 0.3],
        "gender_accuracy": [0.5, 0.7],
        "val_gender_accuracy": [0.5, 0.6],
        "age_mae": [9.0, 8.0],
    }

    plot_history(history, "accuracy")

    loss_axes, metric_axes = shown[0][1].axes
    assert {line.get_label() for line in metric_axes.lines} == {
        "income_accuracy (training)",
        "income_accuracy (validation)",
        "gender_accuracy (training)",
        "gender_accuracy (validation)",
    }
    assert len(loss_axes.lines) == 2


def test_plot_history_of_each_output_loss_leaves_the_total_to_the_left_panel(shown):
    from checker.course import plot_history

    history = {
        "loss": [3.0, 2.0],
        "val_loss": [3.1, 2.5],
        "age_loss": [2.0, 1.0],
        "val_age_loss": [2.1, 1.5],
        "gender_loss": [0.7, 0.1],
        "val_gender_loss": [0.7, 0.2],
    }

    plot_history(history, "loss")

    loss_axes, outputs_axes = shown[0][1].axes
    assert {line.get_label() for line in outputs_axes.lines} == {
        "age_loss (training)",
        "age_loss (validation)",
        "gender_loss (training)",
        "gender_loss (validation)",
    }
    legend = [text.get_text() for text in outputs_axes.get_legend().get_texts()]
    assert legend == ["age_loss", "gender_loss", "training", "validation"]
    assert loss_axes.get_title() == "loss: weighted total of the outputs"
    assert outputs_axes.get_title() == "each output's own loss (unweighted)"


def test_plot_history_draws_each_chance_level_in_its_curve_colour(shown):
    from checker.course import plot_history

    history = {
        "loss": [3.0, 2.0],
        "val_loss": [3.1, 2.5],
        "income_accuracy": [0.2, 0.4],
        "val_income_accuracy": [0.2, 0.3],
        "gender_accuracy": [0.5, 0.7],
        "val_gender_accuracy": [0.5, 0.6],
    }

    plot_history(history, "accuracy", chance={"income_accuracy": 0.1, "gender_accuracy": 0.5})

    loss_axes, metric_axes = shown[0][1].axes
    chance_lines = [line for line in metric_axes.lines if line.get_linestyle() == ":"]
    assert sorted(line.get_ydata()[0] for line in chance_lines) == [0.1, 0.5]
    income = next(line for line in metric_axes.lines if line.get_label() == "income_accuracy (training)")
    assert any(line.get_color() == income.get_color() for line in chance_lines)
    assert "chance (guessing)" in [text.get_text() for text in metric_axes.get_legend().get_texts()]
    assert not [line for line in loss_axes.lines if line.get_linestyle() == ":"]


def test_plot_history_of_one_output_draws_one_chance_line(shown):
    from checker.course import plot_history

    plot_history({"loss": [1.0, 0.5], "accuracy": [0.4, 0.8]}, "accuracy", chance=0.1)

    _, metric_axes = shown[0][1].axes
    assert [line.get_ydata()[0] for line in metric_axes.lines if line.get_linestyle() == ":"] == [0.1]
    assert metric_axes.get_title() == "accuracy"


def test_plot_history_names_the_recorded_metrics_after_a_typo():
    from checker.course import plot_history

    with pytest.raises(ValueError, match="Recorded: accuracy, loss"):
        plot_history({"loss": [1.0], "accuracy": [0.5], "val_accuracy": [0.4]}, "acuracy")


def test_report_metric_prints_and_merges_metrics_json(tmp_path, monkeypatch, capsys):
    from checker.course import report_metric

    monkeypatch.setenv("CHECKER_RESULTS_DIR", str(tmp_path))
    report_metric("accuracy", 0.5, 0.1)
    report_metric("price_mae", 0.25, 0.9, lower_is_better=True)
    report_metric("accuracy", 0.93, 0.1)

    assert capsys.readouterr().out.splitlines()[-1] == "validation accuracy: 0.93 (chance level: 0.10)"
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert list(metrics) == ["price_mae", "accuracy"]  # the last reported is last
    assert metrics["accuracy"] == {"value": 0.93, "chance": 0.1, "lower_is_better": False}


def test_a_quiet_report_records_a_metric_without_printing_it(tmp_path, monkeypatch, capsys):
    from checker.course import report_metric

    monkeypatch.setenv("CHECKER_RESULTS_DIR", str(tmp_path))
    report_metric("accuracy, steps=2", 0.88, chance=1 / 3, quiet=True)

    assert capsys.readouterr().out == ""
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics == {"accuracy, steps=2": {"value": 0.88, "chance": 1 / 3, "lower_is_better": False}}


def test_epochs_are_cut_in_fast_mode(monkeypatch):
    from checker.course import epochs

    monkeypatch.delenv("CHECKER_FAST", raising=False)
    assert epochs(12) == 12
    monkeypatch.setenv("CHECKER_FAST", "1")
    assert (epochs(12), epochs(3)) == (3, 1)


# ---------------------------------------------------------------- (e) the solutions command


@pytest.mark.slow
def test_solutions_command_reports_each_failure_and_goes_on(
    notebook_maker, mlp_notebook_cells, tmp_path, capsys
):
    nb = notebook_maker
    wrong_model = list(mlp_notebook_cells)
    wrong_model[2] = nb.solution(
        "functional_mlp", mlp_notebook_cells[2].source.replace("Dense(32", "Dense(16")
    )
    broken = mlp_notebook_cells[:2] + [nb.code("ratio = 1\nratio / 0")] + mlp_notebook_cells[2:]
    nb.write("01_kernel_dies", [nb.code("import os\nos._exit(1)")])
    nb.write("02_error_cell", broken)
    nb.write("03_wrong_model", wrong_model)
    nb.write("04_good", mlp_notebook_cells)

    status = checker_main(
        ["solutions", "--solutions-dir", str(nb.folder), "--out", str(tmp_path / "executed")]
    )

    captured = capsys.readouterr()
    assert status == 1
    assert "01_kernel_dies.ipynb: the kernel died in cell 1 ('import os')" in captured.err
    assert (
        "02_error_cell.ipynb: error in cell 3 ('ratio = 1'): ZeroDivisionError: division by zero"
    ) in captured.err
    assert "03_wrong_model.ipynb: exercise functional_mlp: 8/10 points:" in captured.err
    assert "units=16 where 32 is expected" in captured.err
    table = {line.split("|")[0].strip(): line for line in captured.out.splitlines() if "|" in line}
    assert "1/1" in table["04_good"] and "accuracy=0.90 vs chance 0.10" in table["04_good"]
    assert "0/1 (stopped)" in table["02_error_cell"]
    assert (tmp_path / "executed" / "04_good.ipynb").exists()


@pytest.mark.slow
def test_solutions_command_reports_a_timeout_and_runs_the_next_notebook(notebook_maker, tmp_path, capsys):
    nb = notebook_maker
    nb.write("01_timeout", [nb.code("import time\ntime.sleep(600)")])
    nb.write("02_next", [nb.code('print("the next notebook ran")')])

    status = checker_main(
        [
            "solutions",
            "--solutions-dir",
            str(nb.folder),
            "--out",
            str(tmp_path / "executed"),
            "--timeout",
            "5",
        ]
    )

    assert status == 1
    assert "01_timeout.ipynb: timeout: cell 1 ('import time') ran longer than 5 s" in capsys.readouterr().err
    executed = nbformat.read(str(tmp_path / "executed" / "02_next.ipynb"), as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "the next notebook ran\n"


@pytest.mark.slow
def test_solutions_command_passes_a_good_notebook(notebook_maker, mlp_notebook_cells, tmp_path, capsys):
    notebook_maker.write("01_functional_api", mlp_notebook_cells)

    status = checker_main(
        [
            "solutions",
            "01",
            "--solutions-dir",
            str(notebook_maker.folder),
            "--out",
            str(tmp_path / "executed"),
            "--fast",
            "--json",
        ]
    )

    captured = capsys.readouterr()
    assert status == 0, captured.err
    executed = nbformat.read(str(tmp_path / "executed" / "01_functional_api.ipynb"), as_version=4)
    graded_output = executed.cells[4].outputs[0]
    assert graded_output["data"]["text/plain"] == "10"
    [notebook] = json.loads(captured.out)["notebooks"]
    assert notebook["metrics"] == [
        {
            "name": "accuracy",
            "value": 0.9,
            "chance": 0.1,
            "better": "higher",
            "beats_chance": True,
            "demonstration": False,
        }
    ]
    assert notebook["exercises"][0]["passed"] is True


def test_solutions_command_says_plainly_when_there_is_nothing_to_run(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()

    assert checker_main(["solutions", "--solutions-dir", str(tmp_path / "solutions")]) == 0
    assert "There are no solution notebooks" in capsys.readouterr().out
    assert checker_main(["solutions", "--solutions-dir", str(tmp_path / "missing")]) == 2
    assert "there is no solutions folder" in capsys.readouterr().err


def test_doctor_names_what_is_there(capsys):
    status = checker_main(["doctor"])

    out = capsys.readouterr().out
    assert status == 0, out
    for item in (
        "Python",
        "TensorFlow",
        "Keras",
        "nbgrader",
        "nbclient",
        "networkx",
        "Graphviz dot",
        "Jupyter kernel python3",
    ):
        assert item in out


def test_doctor_flags_a_keras_older_than_the_course_needs(monkeypatch, capsys):
    from checker.commands import doctor

    installed = doctor._version
    monkeypatch.setattr(doctor, "_version", lambda d: "3.4.1" if d == "keras" else installed(d))

    status = checker_main(["doctor"])

    out = capsys.readouterr().out
    assert status == 1, out
    assert "TOO OLD  Keras" in out and "3.4.1, too old: the course needs 3.5 or later" in out, out
    assert 'pip install --upgrade "keras>=3.5"' in out, out


def test_doctor_explains_how_to_get_graphviz(without_dot, capsys):
    checker_main(["doctor"])

    assert "apt-get install graphviz" in capsys.readouterr().out


def _run_with_three_heads(tmp_path):
    from checker.authoring.run_solutions import NotebookRun

    return NotebookRun(
        tmp_path / "03_profiling.ipynb",
        seconds=12.34,
        metrics={
            "gender accuracy": {"value": 1.0, "chance": 0.5, "lower_is_better": False},
            "income accuracy": {"value": 0.1, "chance": 0.1, "lower_is_better": False},
            "age error": {"value": 4.5, "chance": 12.2, "lower_is_better": True},
        },
    )


def test_the_table_shows_every_metric_a_notebook_reported(tmp_path):
    from checker.authoring.run_solutions import format_table

    lines = format_table([_run_with_three_heads(tmp_path)]).splitlines()

    assert "03_profiling" in lines[2] and "gender accuracy=1.00 vs chance 0.50" in lines[2]
    assert "income accuracy=0.10 vs chance 0.10" in lines[3]
    assert "age error=4.50 vs chance 12.20" in lines[4]


def test_json_lists_every_metric_with_its_chance_and_direction(tmp_path):
    from checker.authoring.run_solutions import as_json

    data = json.loads(json.dumps(as_json([_run_with_three_heads(tmp_path)])))

    [notebook] = data["notebooks"]
    assert notebook["notebook"] == "03_profiling" and notebook["seconds"] == 12.3
    assert [
        {k: m[k] for k in ("name", "value", "chance", "better", "beats_chance")} for m in notebook["metrics"]
    ] == [
        {"name": "gender accuracy", "value": 1.0, "chance": 0.5, "better": "higher", "beats_chance": True},
        {"name": "income accuracy", "value": 0.1, "chance": 0.1, "better": "higher", "beats_chance": False},
        {"name": "age error", "value": 4.5, "chance": 12.2, "better": "lower", "beats_chance": True},
    ]
    assert [m["demonstration"] for m in notebook["metrics"]] == [False, False, False]


def test_a_demonstration_is_listed_as_one_and_never_noted_for_missing_chance(tmp_path):
    from checker.authoring.run_solutions import as_json, chance_notes, format_table

    run = _run_with_three_heads(tmp_path)
    run.metrics["gender accuracy, weights 1/1/1"] = {
        "value": 0.41,
        "chance": 0.5,
        "lower_is_better": False,
        "demonstration": True,
    }

    lines = format_table([run]).splitlines()
    assert "gender accuracy, weights 1/1/1=0.41 vs chance 0.50 (demonstration)" in lines[5]
    assert [m["demonstration"] for m in as_json([run])["notebooks"][0]["metrics"]] == [False] * 3 + [True]
    assert chance_notes([run]) == [
        "03_profiling.ipynb: validation income accuracy 0.1 is no better than chance (0.1)"
    ]


def test_a_metric_no_better_than_chance_is_noted(tmp_path):
    from checker.authoring.run_solutions import NotebookRun, chance_notes

    learned = NotebookRun(
        tmp_path / "01_a.ipynb",
        metrics={
            "accuracy": {"value": 0.9, "chance": 0.1, "lower_is_better": False},
            "price_mae": {"value": 0.2, "chance": 0.5, "lower_is_better": True},
        },
    )
    guessing = NotebookRun(
        tmp_path / "02_b.ipynb",
        metrics={
            "accuracy": {"value": 0.1, "chance": 0.1, "lower_is_better": False},
            "price_mae": {"value": 0.6, "chance": 0.5, "lower_is_better": True},
        },
    )

    assert chance_notes([learned]) == []
    assert chance_notes([guessing]) == [
        "02_b.ipynb: validation accuracy 0.1 is no better than chance (0.1)",
        "02_b.ipynb: validation price_mae 0.6 is no better than chance (0.5)",
    ]
