"""The quick checks in rules/hacks.py say no only where the patterns they stand for find nothing:
``_reason`` skips the directive substitutions when a comment names no directive, and ML401 searches
for a debt marker only in comments holding one of the marker words."""

import re
from pathlib import Path

import pytest

from auditor.rules import hacks

DIRECTIVE_COMMENTS = [
    "# noqa", "# NOQA: E402 -- path set by the runner", "# noqa:F401", "# flake8: noqa", "# ruff: noqa: E501",
    "# type: ignore", "# type: ignore[attr-defined]  # the stub is wrong", "# pyright: ignore[reportGeneralTypeIssues]",
    "# mypy: ignore-errors", "# pylint: skip-file", "# pylint: disable=too-many-locals because the table is long",
    "# pylint: disable-next=invalid-name", "# nosec B301 trusted input", "# fmt: off", "# fmt: on", "# yapf: disable",
    "# yapf: enable", "# mlaudit: ignore[ML451] loaded from our own bucket", "# MLAUDIT: ignore", "#noqa",
]


def _reference(rest: str) -> str:
    """``_reason`` before the shortcut: every pattern removed, always."""
    text = rest
    for _, _, pattern in hacks._DIRECTIVES:
        text = pattern.sub(" ", text)
    text = hacks._MLAUDIT_IGNORE.sub(" ", hacks._FMT_ON.sub(" ", text))
    text = text.strip(hacks._REASON_SEPARATORS)
    return text if len(re.findall(r"[A-Za-z]{2,}", text)) >= 2 else ""


def _comments_here():
    root = Path(hacks.__file__).parents[1]
    found = set()
    for path in sorted(root.rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "#" in line:
                found.add(line[line.index("#"):])
    return sorted(found)


@pytest.mark.parametrize("comment", DIRECTIVE_COMMENTS)
def test_directive_comments(comment):
    assert hacks._ANY_DIRECTIVE.search(comment)
    assert hacks._reason(comment) == _reference(comment)


def test_every_comment_of_this_repository():
    comments = _comments_here()
    assert len(comments) > 1000
    assert [hacks._reason(c) for c in comments] == [_reference(c) for c in comments]


MARKER_COMMENTS = [
    "# TODO: x", "# todo: x", "#  Fixme(bob): y", "### TEMP", "#TBD later", "# Workaround: z", "# tOdO(ML-1): z",
    "# the TODO was fixed", "# FIX ME", "# XXX", "# KLUDGE!", "#\u00a0todo: after a no-break space", "# İtodo:",
    "# ＴＯＤＯ: full width", "# hack(alice): y", "# temp directory", "# TMP dir", "# to-do: y", "# fix-me: z",
]


def test_directive_words_cover_the_hint():
    assert all(word in hacks._DIRECTIVE_WORDS for word in hacks._DIRECTIVE_HINT.pattern.split("|"))


@pytest.mark.parametrize("comment", MARKER_COMMENTS + DIRECTIVE_COMMENTS)
def test_marker_quick_check(comment):
    if hacks._MARKER.search(comment):
        assert hacks._may_hold_marker(comment)


def test_marker_quick_check_on_every_comment_of_this_repository():
    comments = _comments_here()
    assert [c for c in comments if hacks._MARKER.search(c) and not hacks._may_hold_marker(c)] == []
    assert sum(map(hacks._may_hold_marker, comments)) < len(comments) / 4  # it does filter
