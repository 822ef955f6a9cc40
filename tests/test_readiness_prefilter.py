"""The readiness grep's prefilter never skips a file its pattern matches."""

import random
import re

import pytest

from auditor.ml.training import TRAIN_COMMAND
from auditor.readiness import monitoring, ownership, release, reproducibility, rollback, traceability
from auditor.readiness.prefilter import _regex_parser, fold, may_match, needles

MODULES = (monitoring, ownership, release, reproducibility, rollback, traceability)
PATTERNS = sorted({value for module in MODULES for value in vars(module).values() if isinstance(value, re.Pattern)},
                  key=lambda p: p.pattern)
# Characters that case-insensitive patterns match to ASCII ones, and some that only look alike.
ODD = "\u0130\u0131\u017f\u212a\u212b\u00df\u00e9\U0001f917 \n\t:/.-_=#*"


def _sample(items, rng: random.Random, mixed_case: bool) -> str:
    """A string the parsed regex ``items`` is likely to match (anchors and assertions are ignored,
    so not always), in random letter case if ``mixed_case``."""
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            char = chr(arg)
            out.append(char.upper() if mixed_case and rng.random() < 0.3 else char)
        elif name == "IN":
            choices = [chr(a) for o, a in arg if str(o) == "LITERAL"] or list("a -_.:/0")
            out.append(rng.choice(choices))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            out.extend(_sample(sub, rng, mixed_case) for _ in range(rng.randint(low, min(high, low + 2))))
        elif name == "SUBPATTERN":
            out.append(_sample(arg[-1], rng, mixed_case))
        elif name == "BRANCH":
            out.append(_sample(rng.choice(arg[1]), rng, mixed_case))
        elif name in ("ANY", "NOT_LITERAL", "CATEGORY"):
            out.append(rng.choice("a1 _-"))
    return "".join(out)


def _texts(pattern: re.Pattern, rng: random.Random, count: int):
    parsed = list(_regex_parser.parse(pattern.pattern, pattern.flags))
    mixed_case = bool(pattern.flags & re.I)
    for _ in range(count):
        text = "".join(rng.choice([_sample(parsed, rng, mixed_case), rng.choice(ODD), "xy"])
                       for _ in range(rng.randint(1, 4)))
        if mixed_case and rng.random() < 0.3:  # characters re matches to ASCII letters
            text = text.replace("i", "\u0131").replace("s", "\u017f").replace("K", "\u212a").replace("I", "\u0130")
        yield text


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.pattern[:40])
def test_a_file_the_pattern_matches_is_never_skipped(pattern):
    rng = random.Random(pattern.pattern)
    for text in _texts(pattern, rng, 300):
        if pattern.search(text):
            assert may_match(pattern, fold(text)), text


def test_needles_are_the_words_a_match_needs():
    assert needles(re.compile("versionAsOf|snapshot-id", re.I)) == (frozenset({"versionasof"}),
                                                                      frozenset({"snapshot-id"}))
    # a group in a sequence multiplies the ways; a repeat needs nothing
    assert set(needles(re.compile(r"python\s+(-m\s+)?(train|fit)"))) == {frozenset({"python", "train"}),
                                                                           frozenset({"python", "fit"})}
    # nothing known: anything may match
    assert needles(re.compile(r"\s*\w+")) == (frozenset(),)


def test_case_folding_keeps_the_characters_re_matches_to_ascii_letters():
    pattern = re.compile("skip", re.I)
    for text in ("SKIP", "\u017fkip", "s\u212aip", "sk\u0130p", "sk\u0131p"):
        assert pattern.search(text) and may_match(pattern, fold(text))
    assert not may_match(pattern, fold("ski p"))


def test_the_train_command_pattern_finds_the_same_first_match_as_before():
    # The pattern without the `(?<!\S)` that keeps the engine from retrying `\S*train` inside words.
    before = re.compile(r"(python3?[ \t]+(-m[ \t]+)?\S*(train|pipeline)\S*|dvc\s+repro|mlflow\s+run|kedro\s+run"
                        r"|make[ \t]+(re)?train\b|\S*train\S*\.sh|zenml\s+pipeline\s+run|metaflow|sagemaker\S*pipeline)", re.I)
    rng = random.Random(7)
    pieces = ["train", ".sh", "python ", "-m ", "pipeline", "x", "/", " ", "\n", "run_", "make ", "TRAIN", "s"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        old, new = before.search(text), TRAIN_COMMAND.search(text)
        assert (old and old.span()) == (new and new.span()), text


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.pattern[:40])
def test_the_index_finds_every_name_the_pattern_matches_and_no_other(pattern):
    """``Index.defs`` searches only the names holding a match's needles, found in one text of all
    the names: the same names as searching each, including names that share a needle with their
    neighbours in that text, odd characters and names of one character."""
    from auditor.readiness.index import Index

    rng = random.Random("index" + pattern.pattern)
    names = sorted({name.replace("\n", "_") for name in _texts(pattern, rng, 300)} | {"t", "test", "st_te"})
    usage = {f"m{i % 7}.py": {} for i in range(7)}
    for number, name in enumerate(names):
        usage[f"m{number % 7}.py"].setdefault("defs", {})[name] = number + 1
    index = Index(None, usage=usage, cells={})
    assert index._names_matching("defs", pattern) == [n for n in index._name_text("defs")[0] if pattern.search(n)]
    found = {(ev.path, ev.line) for ev in index.defs(pattern)}
    assert found == {(f"m{number % 7}.py", number + 1) for number, name in enumerate(names) if pattern.search(name)}
