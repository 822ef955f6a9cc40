"""Usage facts: the memoised, lower-cased marker search finds exactly what the patterns find."""

import ast
import re
from pathlib import Path

import pytest

from auditor.readiness import facts

EDGE_CASES = [
    "InitialVariantWeight", "VERSION AS OF", "timestampAsOf", "MetricFrame", "SlicingSpec", "X_TEST", "y_val",
    "Seed", "RANDOM_SEED", "torch_seed", "seeds", "SHADOW", "drop_shadow", "shadow_color", "Shadow_Box",
    "git_SHA", "COMMIT-HASH", "rev-parse", "source.GIT", "Emails", "EMAIL", "email_on_retry", "ab-test",
    "ſeed", "K", "ﬁle", "Straße_seed", "İ_seed", "ḱ", "caNAry\n", "seed\n", "x\nseed", "", "_", "-",
]


def _texts():
    root = Path(facts.__file__).parents[2]
    found = set(EDGE_CASES)
    for path in sorted(root.joinpath("auditor").rglob("*.py")) + sorted(root.joinpath("tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for text in (getattr(node, "id", None), getattr(node, "attr", None), getattr(node, "arg", None),
                         getattr(node, "value", None)):
                if isinstance(text, str) and len(text) <= 120:
                    found.add(text)
    return sorted(found)


def test_every_marker_pattern_takes_the_fast_path():
    assert all(facts._LOWERED.values())


def test_markers_match_the_plain_patterns():
    facts._MARKERS_OF.clear()
    texts = _texts()
    assert len(texts) > 2000
    for text in texts:
        expected = tuple(name for name, pattern in facts.MARKERS.items() if pattern.search(text))
        assert facts._markers_in(text) == expected, text
        assert facts._markers_in(text) == expected, text  # memoised


@pytest.mark.parametrize("source", [r"a\Wb", r"\x41", r"(?-i:A)b", r"[A-z]", "ſ"])
def test_patterns_that_lower_casing_would_change_keep_ignorecase(source):
    assert facts._lowered(re.compile(source, re.I)) is None
