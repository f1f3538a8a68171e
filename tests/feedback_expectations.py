"""Assertions shared by the checker's tests: a verdict, its score, and what its feedback names.

Feedback is matched on a few robust keywords, not sentences. A keyword group is a string or
a tuple of alternatives (any one will do); every group must appear, case-insensitively.
A number only matches as a whole number ("16" does not match "160" or "1.6").
`OnOneLine(...)` groups keywords that must appear together on a single line of the feedback,
e.g. the word "missing" with the units of the layer that is really missing.
`Absent(...)` turns a group around: the feedback must NOT say that (e.g. call a layer the
learner does have "missing").
"""

from __future__ import annotations

import re

POINTS_PER_EXERCISE = 10.0


def mentions(text: str, keyword: str) -> bool:
    if re.fullmatch(r"[\d.]+", keyword):
        return re.search(rf"(?<![\d.]){re.escape(keyword)}(?![\d]|\.\d)", text) is not None
    return keyword.lower() in text.lower()


class OnOneLine:
    def __init__(self, *groups):
        self.groups = groups

    def found_in(self, text: str) -> bool:
        return any(not missing_keywords(line, self.groups) for line in text.splitlines())

    def __repr__(self) -> str:
        return f"OnOneLine{self.groups!r}"


class Absent:
    def __init__(self, group):
        self.group = group

    def found_in(self, text: str) -> bool:
        return not _found(text, self.group)

    def __repr__(self) -> str:
        return f"Absent({self.group!r})"


def _found(text: str, group) -> bool:
    if isinstance(group, (OnOneLine, Absent)):
        return group.found_in(text)
    alternatives = (group,) if isinstance(group, str) else tuple(group)
    return any(mentions(text, k) for k in alternatives)


def missing_keywords(text: str, groups) -> list:
    return [g for g in groups if not _found(text, g)]


def assert_accepted(report) -> None:
    assert report.passed, f"a correct answer was rejected:\n{report}"
    assert report.score == report.max_score == POINTS_PER_EXERCISE, str(report)


def assert_rejected(report, *keyword_groups) -> None:
    text = str(report)
    assert not report.passed, f"a wrong answer was accepted:\n{text}"
    assert report.max_score == POINTS_PER_EXERCISE, text
    assert 0 <= report.score < report.max_score, text
    missing = missing_keywords(text, keyword_groups)
    assert not missing, f"the feedback misses {missing}:\n{text}"


def assert_nothing_right(report, *keyword_groups) -> None:
    """Not a model at all: no points, and the feedback says what to do."""
    assert_rejected(report, *keyword_groups)
    assert report.score == 0, str(report)
