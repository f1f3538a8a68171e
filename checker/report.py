"""The verdict on one exercise: a list of checks, each worth points, and the feedback text."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

# Status colours: the theme's own success / error colour, pulled a quarter of the way toward the
# text around it (currentColor), so it darkens on a light page and lightens on a dark one. Plain
# JupyterLab's colours fall short of 4.5:1 (light theme's green on white, dark theme's red on its
# striped rows); tests/test_diagram.py computes every pair from JupyterLab 4's own values.
# The fallbacks pass on white where JupyterLab's variables are not defined.
STATUS_COLOURS = {"passed": ("--jp-success-color1", "#1a7f37"), "failed": ("--jp-error-color1", "#b42318")}
STATUS_SHARE = 75  # percent of the status colour in the mix; the rest is the text colour
MARKS = {"passed": "\u2713", "failed": "\u2717"}  # ✓ and ✗, in the text and the HTML alike


@dataclass
class CheckResult:
    """One row of a report: a named aspect of the exercise and the points it earned.

    `messages` say what is wrong and what to do; empty when the check passed.
    """

    name: str
    points: float
    earned: float
    messages: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.earned >= self.points and not self.messages

    @property
    def points_text(self) -> str:
        """'2/3'; nothing for a row worth no points (it only explains)."""
        return f"{_fmt(self.earned)}/{_fmt(self.points)}" if self.points else ""

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "points": self.points,
            "earned": self.earned,
            "messages": list(self.messages),
        }


@dataclass
class Report:
    """What `check()` returns.

    >>> r = Report("qa_model", [CheckResult("inputs", 2, 2), CheckResult("layers", 3, 0, ["x"])])
    >>> r.passed, r.score, r.max_score
    (False, 2.0, 5.0)
    """

    exercise: str
    checks: list[CheckResult] = field(default_factory=list)
    summary: str = ""
    diagram_data: dict | None = None  # what `diagram()` draws (checker.judge.diagram.picture_data)

    @property
    def score(self) -> float:
        return float(round(sum(c.earned for c in self.checks), 2))

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def assert_passed(self) -> None:
        """Raise AssertionError with the feedback text unless every check passed."""
        if not self.passed:
            raise AssertionError(str(self))

    def to_dict(self) -> dict:
        data = {
            "exercise": self.exercise,
            "passed": self.passed,
            "score": self.score,
            "max_score": self.max_score,
            "summary": self.summary,
            "checks": [c.to_dict() for c in self.checks],
        }
        if self.diagram_data is not None:
            data["diagram_data"] = self.diagram_data
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        checks = [
            CheckResult(c["name"], c["points"], c["earned"], list(c["messages"])) for c in data["checks"]
        ]
        return cls(data["exercise"], checks, data.get("summary", ""), data.get("diagram_data"))

    def diagram(self):
        """The picture of the learner's model with what differs marked; None without one.

        Graph exercises have one (see checker.judge.diagram); it shows itself in Jupyter,
        `.svg` is its SVG text and `.save("model.svg")` writes it to a file.

        >>> Report("qa_model").diagram() is None
        True
        """
        if not self.diagram_data:
            return None
        from checker.judge.diagram import Diagram, render_svg

        return Diagram(render_svg(self.diagram_data))

    def __str__(self) -> str:
        verdict = "PASSED" if self.passed else "NOT YET"
        lines = [f"{self.exercise}: {verdict} ({_fmt(self.score)}/{_fmt(self.max_score)} points)"]
        if self.summary:
            lines.append(self.summary)
        for check in self.checks:
            mark = MARKS["passed" if check.passed else "failed"]
            points = f" ({check.points_text})" if check.points_text else ""
            lines.append(f"  {mark} {check.name}{points}")
            lines.extend(f"      - {m}" for m in check.messages)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        status = "passed" if self.passed else "failed"
        verdict = f"{MARKS[status]} {'Passed' if self.passed else 'Not yet'}"
        rows = "".join(_html_row(c) for c in self.checks)
        summary = f"<div style='margin:4px 0'>{html.escape(self.summary)}</div>" if self.summary else ""
        return (
            "<div class='checker-report' style='font-family:system-ui,sans-serif;font-size:13px'>"
            f"<div><b class='checker-verdict' style='{status_style(status)}'>{verdict}</b>"
            f" &middot; <code>{html.escape(self.exercise)}</code>"
            f" &middot; {_fmt(self.score)}/{_fmt(self.max_score)} points</div>{summary}"
            "<table style='border-collapse:collapse;margin-top:4px'>"
            f"{rows}</table>{self._diagram_html()}</div>"
        )

    def _diagram_html(self) -> str:
        """The picture under a failing report, when it marks something (not for a compile-only mistake)."""
        if self.passed or not self.diagram_data:
            return ""
        from checker.judge.diagram import marks_something

        try:
            if not marks_something(self.diagram_data):
                return ""
            svg = self.diagram().svg
        except Exception:  # noqa: BLE001 - a drawing bug must not hide the report's words
            return ""
        # font-size:0 hides the words an HTML sanitizer leaves when it strips the SVG (JupyterLab
        # does, for a notebook it does not trust); the SVG's own text sets its size explicitly.
        return (
            f"<div class='checker-diagram' style='margin-top:8px;overflow-x:auto;font-size:0px'>{svg}</div>"
        )


MAX_MESSAGES = 6


def scored(name: str, points: float, messages: list[str], share: float) -> CheckResult:
    """A check worth `points`: all of them without messages, else `share` of them (0..1).

    A check with a message never earns full points; long lists of messages are cut short.

    >>> scored("layers", 3, ["Extra layer 'dropout'"], 0.5).earned
    1.5
    """
    messages = list(dict.fromkeys(messages))  # one line per distinct problem
    if len(messages) > MAX_MESSAGES:
        hidden = len(messages) - MAX_MESSAGES + 1
        messages = messages[: MAX_MESSAGES - 1] + [f"... and {hidden} more like these."]
    earned = points if not messages else round(points * min(max(share, 0.0), 1.0), 2)
    if messages and earned >= points:
        earned = round(points / 2, 2)
    return CheckResult(name, points, earned, messages)


def status_style(status: str) -> str:
    """Inline CSS for a status colour readable on JupyterLab's light and dark themes.

    >>> status_style("failed").startswith("color:var(--jp-error-color1, #b42318);")
    True
    """
    variable, fallback = STATUS_COLOURS[status]
    colour = f"var({variable}, {fallback})"
    return f"color:{colour};color:color-mix(in srgb, {colour} {STATUS_SHARE}%, currentColor)"


def _html_row(check: CheckResult) -> str:
    status = "passed" if check.passed else "failed"
    items = "".join(f"<li>{html.escape(m)}</li>" for m in check.messages)
    detail = f"<ul style='margin:2px 0;padding-left:18px'>{items}</ul>" if items else ""
    cell = "style='padding:2px 8px;vertical-align:top;text-align:left'"
    return (
        f"<tr><td {cell}><span class='checker-mark' style='{status_style(status)};font-weight:bold'>"
        f"{MARKS[status]}</span></td>"
        f"<td {cell}>{html.escape(check.name)}</td>"
        f"<td {cell}>{check.points_text}</td><td {cell}>{detail}</td></tr>"
    )


def _fmt(x: float) -> str:
    return f"{x:g}"
