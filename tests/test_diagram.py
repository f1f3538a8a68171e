"""The report's picture of the difference, and an HTML report that reads right in JupyterLab.

- A failing graph report carries plain picture data (it survives to_dict / JSON / from_dict)
  and shows an SVG under its table; every kind of difference gets its own mark.
- The picture fits 820 px (under the 860 asked) for every exercise, with text of at least 11 px and no overlapping boxes.
- The report's words and marks agree, and its status colours reach 4.5:1 on JupyterLab 4's
  light and dark themes, computed from the theme files of the installed JupyterLab.
"""

from __future__ import annotations

import functools
import json
import re
import xml.etree.ElementTree as ET
from itertools import combinations
from pathlib import Path

import keras
import pytest
from feedback_expectations import OnOneLine, assert_rejected
from keras import layers
from reference_models import GRAPH_EXERCISES, ONE_WRONG_DETAIL, reference

from checker import check
from checker.judge import diagram
from checker.report import MARKS, STATUS_COLOURS, STATUS_SHARE, CheckResult, Report, status_style

SVG = "{http://www.w3.org/2000/svg}"


def marked(report: Report) -> dict[str, list[str]]:
    """learner layer name -> its marks, from the report's picture data."""
    return {c["name"]: c["marks"] for c in report.diagram_data["calls"] if c["marks"]}


def picture_of(report: Report) -> ET.Element:
    return ET.fromstring(report.diagram().svg)


# ================================================================ what the picture marks


def inception_with_one_narrow_branch():
    x = keras.Input(shape=(32, 32, 64))
    a = layers.Conv2D(64, 1, strides=2, activation="relu", padding="same", name="branch_a")(x)
    b = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    b = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(b)
    c = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    c = layers.Conv2D(128, 3, activation="relu", padding="same")(c)
    d = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    d = layers.Conv2D(128, 3, activation="relu", padding="same")(d)
    d = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(d)
    return keras.Model(x, layers.concatenate([a, b, c, d]))


def test_a_wrong_setting_is_marked_with_the_expected_layer_beside_it():
    report = check(inception_with_one_narrow_branch(), "inception_block")
    assert marked(report) == {"branch_a": ["setting"]}
    branch = next(c for c in report.diagram_data["calls"] if c["name"] == "branch_a")
    assert "128" in branch["expected"] and "64" in branch["label"]
    box = picture_of(report).find(f".//{SVG}g[@data-key='{branch['key']}']")
    texts = " ".join(t.text for t in box.iter(f"{SVG}text"))
    assert "S" in texts.split() and "expected Conv2D(128" in texts


def identity_with_shortcut_from_first_conv():
    x = keras.Input(shape=(32, 32, 128), name="block_input")
    first = layers.Conv2D(128, 3, activation="relu", padding="same", name="conv_1")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same", name="conv_2")(first)
    y = layers.Conv2D(128, 3, activation="relu", padding="same", name="conv_3")(y)
    return keras.Model(x, layers.Add(name="residual_add")([y, first]))


def test_a_shortcut_from_the_wrong_tensor_marks_the_add_its_wrong_edge_and_the_right_one():
    report = check(identity_with_shortcut_from_first_conv(), "residual_identity")
    assert marked(report) == {"residual_add": ["wiring"]}
    add = next(c for c in report.diagram_data["calls"] if c["name"] == "residual_add")
    assert "the input 'block_input'" in add["wiring"]
    edges = {
        g.get("data-edge"): g.get("data-style")
        for g in picture_of(report).iter(f"{SVG}g")
        if g.get("data-edge")
    }
    assert edges["conv_1#0>residual_add#0"] == "wrong"
    assert edges["block_input#0>residual_add#0"] == "expected"
    assert edges["conv_3#0>residual_add#0"] == "normal"


def qa_without_question_lstm():
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text))
    embedded_question = layers.Embedding(10000, 32)(question)
    pooled = layers.GlobalAveragePooling1D(name="pooled")(embedded_question)
    merged = layers.concatenate([encoded_text, pooled])
    model = keras.Model([text, question], layers.Dense(500, activation="softmax")(merged))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


def identity_with_two_convolutions_and_a_normalisation_after_the_add():
    x = keras.Input(shape=(32, 32, 128))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    return keras.Model(x, layers.BatchNormalization(name="normed")(layers.add([y, x])))


def test_a_missing_layer_is_drawn_dashed_where_it_belongs_and_an_extra_one_is_marked():
    report = check(identity_with_two_convolutions_and_a_normalisation_after_the_add(), "residual_identity")
    assert marked(report) == {"normed": ["extra"]}
    (missing,) = report.diagram_data["missing"]
    assert missing["label"] == "Conv2D(128, 3, padding=same, relu)"
    ghost = picture_of(report).find(f".//{SVG}g[@data-key='{missing['key']}']")
    assert ghost.get("data-marks") == "missing"
    assert ghost.find(f"{SVG}rect").get("stroke-dasharray")


def inception_with_a_max_pooling_branch():
    """GoogLeNet's own Inception module pools with MaxPooling; the exercise (Chollet's) averages."""
    x = keras.Input(shape=(32, 32, 64))
    a = layers.Conv2D(128, 1, strides=2, activation="relu", padding="same")(x)
    b = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    b = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(b)
    c = layers.MaxPooling2D(3, strides=2, padding="same", name="pool_c")(x)
    c = layers.Conv2D(128, 3, activation="relu", padding="same")(c)
    d = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
    d = layers.Conv2D(128, 3, activation="relu", padding="same")(d)
    d = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(d)
    return keras.Model(x, layers.concatenate([a, b, c, d]))


def qa_with_a_question_gru():
    text = keras.Input(shape=(None,), dtype="int32", name="text")
    question = keras.Input(shape=(None,), dtype="int32", name="question")
    encoded_text = layers.LSTM(32)(layers.Embedding(10000, 64)(text))
    encoded_question = layers.GRU(16, name="q_encoder")(layers.Embedding(10000, 32)(question))
    merged = layers.concatenate([encoded_text, encoded_question], axis=-1)
    model = keras.Model([text, question], layers.Dense(500, activation="softmax")(merged))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


@pytest.mark.parametrize(
    "build, exercise, name, expected",
    [
        (inception_with_a_max_pooling_branch, "inception_block", "pool_c", "AveragePooling2D(3, strides=2"),
        (qa_with_a_question_gru, "qa_model", "q_encoder", "LSTM(16)"),
        (qa_without_question_lstm, "qa_model", "pooled", "LSTM(16)"),
    ],
    ids=["max-for-average-pooling", "gru-for-lstm", "pooling-for-lstm"],
)
def test_a_layer_of_the_wrong_kind_is_marked_once_with_the_expected_layer_beside_it(
    build, exercise, name, expected
):
    """Issue 13: as the report says it (one layer of the wrong kind), not as an extra plus a missing layer."""
    report = check(build(), exercise)
    assert_rejected(report, OnOneLine("wrong kind", expected))
    assert marked(report) == {name: ["kind"]} and report.diagram_data["missing"] == []
    call = next(c for c in report.diagram_data["calls"] if c["name"] == name)
    box = picture_of(report).find(f".//{SVG}g[@data-key='{call['key']}']")
    texts = " ".join(t.text for t in box.iter(f"{SVG}text"))
    assert "K" in texts.split() and f"should be {expected}" in texts
    legend = " ".join(t.text or "" for t in picture_of(report).iter(f"{SVG}text"))
    assert "wrong kind" in legend and "extra" not in legend and "missing" not in legend


def siamese_with_two_lstms():
    left, right = keras.Input(shape=(None, 128)), keras.Input(shape=(None, 128))
    merged = layers.concatenate([layers.LSTM(32, name="lstm_l")(left), layers.LSTM(32, name="lstm_r")(right)])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid")(merged))


def test_separate_layers_where_one_shared_is_needed_are_both_marked():
    report = check(siamese_with_two_lstms(), "siamese_lstm")
    assert marked(report) == {"lstm_l": ["wiring"], "lstm_r": ["wiring"]}
    assert all("shared" in c["wiring"] for c in report.diagram_data["calls"] if c["marks"])


def test_a_shared_xception_is_one_box_called_twice():
    report = check(reference("shared_vision"), "shared_vision")
    boxes = [g for g in picture_of(report).iter(f"{SVG}g") if g.get("data-key")]
    assert len(boxes) == 4  # two inputs, the shared Xception, the Concatenate
    texts = [" ".join(t.text for t in g.iter(f"{SVG}text")) for g in boxes]
    assert sum("Xception" in t and "called 2 times" in t for t in texts) == 1


def test_a_passing_report_shows_no_picture_but_diagram_still_draws_it():
    report = check(reference("functional_mlp"), "functional_mlp")
    assert report.passed and "<svg" not in report._repr_html_()
    assert "match the exercise" in report.diagram().svg


def test_a_mistake_the_picture_cannot_show_gets_no_picture_in_the_report():
    model = reference("qa_model")
    uncompiled = keras.Model(model.inputs, model.outputs)  # only the compile settings differ
    report = check(uncompiled, "qa_model")
    assert not report.passed and not marked(report) and not report.diagram_data["missing"]
    assert "<svg" not in report._repr_html_()
    assert report.diagram() is not None


# ================================================================ readable at 860 px, for every exercise


def boxes_of(svg: ET.Element) -> list[tuple[float, float, float, float]]:
    found = []
    for group in svg.iter(f"{SVG}g"):
        if group.get("data-key"):
            rect = group.find(f"{SVG}rect")
            x, y = float(rect.get("x")), float(rect.get("y"))
            found.append((x, y, x + float(rect.get("width")), y + float(rect.get("height"))))
    return found


@pytest.mark.parametrize("variant", ["reference", "mistake"])
@pytest.mark.parametrize("exercise", GRAPH_EXERCISES)
def test_the_picture_fits_860_px_with_text_of_11_px_and_no_overlapping_boxes(exercise, variant):
    model = reference(exercise) if variant == "reference" else ONE_WRONG_DETAIL[exercise]()
    svg = picture_of(check(model, exercise))
    width, height = float(svg.get("width")), float(svg.get("height"))
    assert width <= diagram.MAX_WIDTH <= 860
    sizes = [float(t.get("font-size")) for t in svg.iter(f"{SVG}text")]
    assert sizes and min(sizes) >= 11
    boxes = boxes_of(svg)
    assert boxes
    for a, b in combinations(boxes, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], f"{a} overlaps {b}"
    assert all(0 <= x1 and x2 <= width and 0 <= y1 and y2 <= height for x1, y1, x2, y2 in boxes)


def test_every_polyline_runs_straight_between_rows():
    """Edges are straight segments: every point is a number pair (no curves, no paths)."""
    svg = picture_of(check(inception_with_one_narrow_branch(), "inception_block"))
    assert not list(svg.iter(f"{SVG}path"))
    for line in svg.iter(f"{SVG}polyline"):
        assert all(re.fullmatch(r"-?[\d.]+,-?[\d.]+", p) for p in line.get("points").split())


def test_a_model_that_loops_on_a_shared_layer_is_still_drawn():
    x = keras.Input(shape=(64,))
    dense = layers.Dense(64, activation="relu")
    model = keras.Model(x, layers.Dense(10, activation="softmax")(dense(dense(x))))
    report = check(model, "functional_mlp")
    assert len(boxes_of(picture_of(report))) == 4  # the loop split back into one box per call


# ================================================================ data, JSON and the object diagram() returns


def test_the_picture_data_survives_json_and_draws_the_same_picture(tmp_path):
    report = check(identity_with_shortcut_from_first_conv(), "residual_identity")
    again = Report.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again.diagram_data == report.diagram_data
    assert again.diagram().svg == report.diagram().svg
    assert again._repr_html_() == report._repr_html_()


def test_diagram_shows_itself_in_jupyter_and_saves_to_a_file(tmp_path):
    picture = check(identity_with_shortcut_from_first_conv(), "residual_identity").diagram()
    assert picture._repr_svg_() == picture.svg
    saved = picture.save(tmp_path / "model.svg")
    assert ET.parse(saved).getroot().tag == f"{SVG}svg"


def test_a_huge_model_gets_no_picture():
    report = check(keras.applications.Xception(weights=None, include_top=False), "shared_vision")
    assert not report.passed and report.diagram_data is None and report.diagram() is None


def test_a_report_without_picture_data_has_no_diagram():
    report = check(None, "residual_identity")
    assert report.diagram() is None and "<svg" not in report._repr_html_()
    assert "diagram_data" not in report.to_dict()


def test_a_broken_picture_does_not_hide_the_report():
    report = Report("functional_mlp", [CheckResult("layers", 3, 0, ["x"])], diagram_data={"calls": "?"})
    assert "layers" in report._repr_html_() and "<svg" not in report._repr_html_()


# ================================================================ words and marks agree


@pytest.mark.parametrize("exercise", GRAPH_EXERCISES)
def test_the_summary_names_the_mark_the_rows_carry(exercise):
    report = check(ONE_WRONG_DETAIL[exercise](), exercise)
    assert not report.passed
    if "marked" in report.summary:
        assert f"marked {MARKS['failed']}" in report.summary
    assert "FIX" not in str(report) + report._repr_html_()
    assert f"{MARKS['failed']} " in str(report)
    assert f"{MARKS['failed']}</span>" in report._repr_html_()
    assert f"{MARKS['failed']} Not yet" in report._repr_html_()


# ================================================================ contrast in JupyterLab's themes


@functools.cache
def jupyterlab_theme(name: str) -> dict[str, str]:
    """Every CSS variable of an installed JupyterLab 4 theme, Material colours included."""
    import jupyterlab

    root = Path(jupyterlab.__file__).parent
    theme = root / "themes" / "@jupyterlab" / f"theme-{name}-extension" / "index.css"
    variables = dict(re.findall(r"(--[\w-]+):\s*([^;}]+)[;}]", _without_comments(theme.read_text())))
    for bundle in sorted((root / "static").glob("*.js")):  # materialcolors.css ships inside the app bundle
        text = bundle.read_text(errors="ignore")
        if "--md-red-700:" in text:
            for key, value in re.findall(r"(--md-[\w-]+):\s*(#[0-9a-fA-F]{3,6})", text):
                variables.setdefault(key, value)
            break
    return variables


def _without_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def resolve(expression: str, variables: dict, current: str) -> tuple:
    """An RGBA tuple (0-255, alpha 0-1) for the CSS colours used here: var(), color-mix(), currentColor."""
    expression = expression.strip()
    match = re.fullmatch(r"var\(\s*(--[\w-]+)\s*(?:,\s*(.+))?\)", expression, re.S)
    if match:
        name, fallback = match.groups()
        if name in variables:
            return resolve(variables[name], variables, current)
        assert fallback is not None, f"{name} is undefined and has no fallback"
        return resolve(fallback, variables, current)
    match = re.fullmatch(r"color-mix\(in srgb,\s*(.+)\s+(\d+)%,\s*(.+)\)", expression, re.S)
    if match:
        first, share, second = match.groups()
        return mix(resolve(first, variables, current), resolve(second, variables, current), int(share) / 100)
    if expression == "currentColor":
        return resolve(current, variables, current)
    return parse_colour(expression)


def parse_colour(text: str) -> tuple:
    text = text.strip().lower()
    named = {"white": "#ffffff", "black": "#000000"}
    text = named.get(text, text)
    if text.startswith("#"):
        digits = text[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return (*(int(digits[i : i + 2], 16) for i in (0, 2, 4)), 1.0)
    numbers = [float(n) for n in re.findall(r"[\d.]+", text)]
    return (*numbers[:3], numbers[3] if len(numbers) > 3 else 1.0)


def mix(first: tuple, second: tuple, share: float) -> tuple:
    """CSS color-mix(in srgb, first share, second): premultiplied by alpha, as browsers do."""
    alpha = first[3] * share + second[3] * (1 - share)
    channels = [(first[i] * first[3] * share + second[i] * second[3] * (1 - share)) / alpha for i in range(3)]
    return (*channels, alpha)


def over(colour: tuple, background: tuple) -> tuple:
    a = colour[3]
    return (*(colour[i] * a + background[i] * (1 - a) for i in range(3)), 1.0)


def luminance(colour: tuple) -> float:
    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: tuple, background: tuple) -> float:
    foreground = over(foreground, background)
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# The backgrounds a report sits on: the notebook, a selected cell, a striped table row.
BACKGROUNDS = ["--jp-layout-color0", "--jp-layout-color1", "--jp-rendermime-table-row-background"]
TEXT_COLOUR = "var(--jp-content-font-color1)"  # what rendered HTML output inherits


def status_colour(status: str, variables: dict) -> tuple:
    mixed = status_style(status).split(";")[1].removeprefix("color:")
    return resolve(mixed, variables, TEXT_COLOUR if variables else "#000000")


@pytest.mark.parametrize("background", BACKGROUNDS)
@pytest.mark.parametrize("status", list(STATUS_COLOURS))
@pytest.mark.parametrize("theme", ["light", "dark", "dark-high-contrast"])
def test_status_colours_reach_4_5_to_1_on_jupyterlab_4_themes(theme, status, background):
    variables = jupyterlab_theme(theme)
    ground = resolve(f"var({background})", variables, TEXT_COLOUR)
    assert contrast(status_colour(status, variables), ground) >= 4.5


def test_the_plain_theme_colours_would_not_be_enough():
    """Why the report mixes: the light theme's green on white, the dark theme's red on its stripes."""
    light, dark = jupyterlab_theme("light"), jupyterlab_theme("dark")
    white = resolve("var(--jp-layout-color0)", light, TEXT_COLOUR)
    stripe = resolve("var(--jp-rendermime-table-row-background)", dark, TEXT_COLOUR)
    assert contrast(resolve("var(--jp-success-color1)", light, ""), white) < 4.5
    assert contrast(resolve("var(--jp-error-color1)", dark, ""), stripe) < 4.5
    assert 50 <= STATUS_SHARE < 100


@pytest.mark.parametrize("status", list(STATUS_COLOURS))
def test_outside_jupyterlab_the_fallback_colours_pass_on_white(status):
    assert contrast(status_colour(status, {}), parse_colour("#ffffff")) >= 4.5
    assert contrast(parse_colour(STATUS_COLOURS[status][1]), parse_colour("#ffffff")) >= 4.5


def test_the_picture_palette_reads_on_its_own_card():
    """The picture brings its own light card, so one palette serves both themes."""
    pairs = [(diagram.TEXT, diagram.CARD), (diagram.TEXT, diagram.OK_FILL), (diagram.MUTED, diagram.OK_FILL)]
    for _, colour, tint, _ in diagram.KINDS.values():
        pairs += [("#ffffff", colour), (colour, tint), (diagram.TEXT, tint), (diagram.MUTED, tint)]
    for foreground, background in pairs:
        assert contrast(parse_colour(foreground), parse_colour(background)) >= 4.5, (foreground, background)
    letters = [kind[0] for kind in diagram.KINDS.values()]
    assert len(set(letters)) == len(letters)  # a letter for each kind, not colour alone
