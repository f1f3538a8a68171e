"""The report as a learner sees it: JupyterLab 4 in headless Chromium, light and dark theme.

A small notebook that checks two wrong models is executed with nbclient and signed (so
JupyterLab trusts its HTML, as it does output the learner produced), then opened in a real
JupyterLab. In each theme the report's table and its picture must be visible, the picture at
most 860 px wide and not cut off, and the status colours must keep 4.5:1 against what they are
really drawn on. An unsigned copy (untrusted: JupyterLab's sanitizer drops the SVG and the
colours) must still show a readable table, and no loose words from the stripped picture.
Screenshots land in the test's tmp_path.

Needs Debian's `chromium` and Playwright from PyPI (`playwright install` is not needed: the
test drives /usr/bin/chromium); skips with the reason when either is missing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_diagram import contrast, over, parse_colour

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
REPORT = ".jp-OutputArea-output .checker-report"

SETUP = """import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
from keras import layers
from checker import check"""

INCEPTION_WITH_NARROW_BRANCH = """x = keras.Input(shape=(32, 32, 64))
a = layers.Conv2D(64, 1, strides=2, activation="relu", padding="same")(x)
b = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
b = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(b)
c = layers.AveragePooling2D(3, strides=2, padding="same")(x)
c = layers.Conv2D(128, 3, activation="relu", padding="same")(c)
d = layers.Conv2D(128, 1, activation="relu", padding="same")(x)
d = layers.Conv2D(128, 3, activation="relu", padding="same")(d)
d = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(d)
check(keras.Model(x, layers.concatenate([a, b, c, d])), "inception_block")"""

SHORTCUT_FROM_FIRST_CONV = """x = keras.Input(shape=(32, 32, 128))
first = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
y = layers.Conv2D(128, 3, activation="relu", padding="same")(first)
y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
check(keras.Model(x, layers.add([y, first])), "residual_identity")"""

NESTED_MODEL_DRAWING = """from checker.course import show_model
block_input = keras.Input((24, 24, 1))
block = keras.Model(block_input, layers.Conv2D(4, 3, name="inner_conv")(block_input), name="feature_block")
image = keras.Input((24, 24, 1), name="image")
show_model(keras.Model(image, layers.Dense(2, name="head")(layers.Flatten()(block(image))), name="classifier"))"""
DRAWING = ".jp-OutputArea-output img"
OPENER = ".jp-OutputArea-output details"

# Colour of an element and every background behind it, nearest first, up to the first opaque one.
COLOURS_JS = """elements => elements.map(element => {
    const backgrounds = [];
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
        const background = getComputedStyle(node).backgroundColor;
        backgrounds.push(background);
        if (!background.startsWith('rgba') && !background.includes('/')) break;
    }
    return {text: element.textContent, colour: getComputedStyle(element).color, backgrounds};
})"""


def playwright_or_skip():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright, part of the dev extras)")
    return sync_playwright


def executed_notebooks(folder: Path) -> None:
    """report.ipynb: run by nbclient and signed, so JupyterLab trusts its HTML as it trusts output
    the learner produced; untrusted.ipynb: the same outputs, unsigned (a notebook run elsewhere)."""
    import nbformat
    from nbclient import NotebookClient
    from nbformat.sign import NotebookNotary

    cells = [
        nbformat.v4.new_code_cell(s)
        for s in (SETUP, INCEPTION_WITH_NARROW_BRANCH, SHORTCUT_FROM_FIRST_CONV, NESTED_MODEL_DRAWING)
    ]
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    NotebookNotary(data_dir=str(folder / ".data")).sign(notebook)
    nbformat.write(notebook, str(folder / "report.ipynb"))
    notebook.metadata["copied"] = True  # other content, so the signature no longer matches
    nbformat.write(notebook, str(folder / "untrusted.ipynb"))


def write_theme(settings: Path, theme: str) -> None:
    themes = settings / "@jupyterlab" / "apputils-extension"
    themes.mkdir(parents=True, exist_ok=True)
    (themes / "themes.jupyterlab-settings").write_text(json.dumps({"theme": theme}))
    (themes / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on 127.0.0.1 serving tmp_path/work; yields (url, token, work folder, settings folder)."""
    playwright_or_skip()
    work, settings = tmp_path / "work", tmp_path / "settings"
    work.mkdir()
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_DATA_DIR": str(work / ".data"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}",
         f"--ServerApp.root_dir={work}"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/status?token={token}", server, tmp_path / "jupyterlab.log")
        yield url, token, work, settings
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def wait_until_up(url: str, server: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


def browser_colour(text: str) -> tuple:
    """rgb(...), rgba(...) or Chromium's color(srgb r g b / a) as an RGBA tuple."""
    if text.startswith("color(srgb"):
        numbers = [float(n) for n in text[len("color(srgb") :].replace("/", " ").rstrip(")").split()]
        return (*(n * 255 for n in numbers[:3]), numbers[3] if len(numbers) > 3 else 1.0)
    return parse_colour(text)


def seen_background(backgrounds: list[str]) -> tuple:
    """The colour behind an element: its backgrounds composited, farthest first, over white."""
    colour = (255.0, 255.0, 255.0, 1.0)
    for layer in reversed(backgrounds):
        colour = over(browser_colour(layer), colour)
    return colour


def test_the_report_and_its_picture_read_in_jupyterlab_light_and_dark(jupyterlab, tmp_path):
    sync_playwright = playwright_or_skip()
    url, token, work, settings = jupyterlab
    executed_notebooks(work)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for short, theme in THEMES.items():
                reports = open_reports(browser, url, token, settings, theme, "report.ipynb")
                for index in range(2):
                    check_one_report(reports.nth(index), tmp_path / f"report-{index + 1}-{short}.png")
                reports.page.screenshot(path=str(tmp_path / f"notebook-{short}.png"))
                check_nested_model_opens(reports.page, tmp_path / f"drawing-{short}.png")
                reports.page.close()
            # Untrusted, JupyterLab's sanitizer drops the picture and the status colours: the table
            # must still be there, marked with ✓/✗ in a colour that reads.
            reports = open_reports(browser, url, token, settings, THEMES["dark"], "untrusted.ipynb")
            check_one_report(reports.nth(0), tmp_path / "report-1-dark-untrusted.png", with_picture=False)
        finally:
            browser.close()


def open_reports(browser, url: str, token: str, settings: Path, theme: str, notebook: str):
    """The notebook's two reports, rendered by JupyterLab in `theme`."""
    write_theme(settings, theme)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{url}/lab/tree/{notebook}?reset&token={token}")
    # JupyterLab renders output areas one by one: wait for both reports and the theme, not the first.
    page.wait_for_function(
        "([selector, theme]) => document.querySelectorAll(selector).length === 2"
        " && document.body.dataset.jpThemeName === theme",
        arg=[f"{REPORT} table", theme],
        timeout=120_000,
    )
    return page.locator(REPORT)


def check_nested_model_opens(page, screenshot: Path) -> None:
    """show_model's drawing fits the column; the model used inside it opens with a click."""
    drawing, opener = page.locator(DRAWING).first, page.locator(OPENER)
    drawing.scroll_into_view_if_needed()
    assert drawing.is_visible() and 100 < drawing.bounding_box()["width"] <= 860
    inner = opener.locator("img")
    assert "feature_block" in opener.locator("summary").inner_text() and not inner.is_visible()
    opener.locator("summary").click()
    inner.wait_for(state="visible", timeout=10_000)
    assert inner.bounding_box()["width"] > 100
    opener.screenshot(path=str(screenshot))


def check_one_report(report, screenshot: Path, with_picture: bool = True) -> None:
    report.scroll_into_view_if_needed()
    assert report.locator("table").is_visible()
    assert "Not yet" in report.locator(".checker-verdict").inner_text()
    if with_picture:
        picture = report.locator("svg")
        assert picture.is_visible()
        box, room = picture.bounding_box(), report.bounding_box()
        assert 200 < box["width"] <= min(860, room["width"]) and box["height"] > 100  # whole, not cut off
    else:  # what a sanitizer left of the picture takes no room
        assert report.locator("svg").count() == 0
        assert report.locator(".checker-diagram").bounding_box()["height"] < 2
    samples = report.locator(".checker-verdict, .checker-mark").evaluate_all(COLOURS_JS)
    assert len(samples) == 1 + report.locator("tr").count() >= 4  # the verdict, then one mark per row
    for sample in samples:
        ratio = contrast(browser_colour(sample["colour"]), seen_background(sample["backgrounds"]))
        assert ratio >= 4.5, f"{sample['text']!r} at {ratio:.2f}:1 ({sample})"
    report.screenshot(path=str(screenshot))
