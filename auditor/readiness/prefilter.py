"""Which text files a regular expression cannot match, told without running it.

The readiness checks search the text files with a few dozen case-insensitive patterns, and
Python's regex engine tries such a pattern at every position of every file. Most files contain
none of the words a pattern needs, and a substring test says so much faster: ``needles`` reads the
strings every match must contain from the parsed pattern, and ``may_match`` looks for them in the
file's text folded to lower case (``fold``), which keeps every case-insensitive match findable. A
"no" is always right; a "yes" only means the pattern must run.
"""

from __future__ import annotations

import re
from functools import lru_cache

try:
    from re import _parser as _regex_parser  # Python 3.11+
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _regex_parser  # type: ignore[no-redef]

_LITERAL, _SUBPATTERN, _BRANCH = _regex_parser.LITERAL, _regex_parser.SUBPATTERN, _regex_parser.BRANCH
# Besides the ASCII letters' own cases, these are the only characters a case-insensitive pattern
# matches to an ASCII character (found by trying every code point); after mapping them, lower()
# folds every character a case-insensitive ASCII literal can match to that literal's lower case.
_TO_ASCII = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
_TO_ASCII_CHARS = "".join(map(chr, _TO_ASCII))
# A pattern with more ways to match than this is not worth the bookkeeping: no prefilter.
_MAX_ALTERNATIVES = 64

Alternatives = tuple[frozenset[str], ...]
_ANYTHING: Alternatives = (frozenset(),)  # one way to match that needs no particular string


def fold(text: str) -> str:
    """``text`` in the form ``may_match`` searches."""
    if any(char in text for char in _TO_ASCII_CHARS):
        text = text.translate(_TO_ASCII)
    return text.lower()


def may_match(pattern: re.Pattern, folded: str) -> bool:
    """False when ``pattern`` cannot match the text whose ``fold`` is ``folded``."""
    return any(all(needle in folded for needle in way) for way in needles(pattern))


@lru_cache(maxsize=512)
def needles(pattern: re.Pattern) -> Alternatives:
    """The ways ``pattern`` can match, each as the lower-case ASCII strings such a match contains
    (a way with no strings: anything may match)."""
    try:
        parsed = _regex_parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # a pattern this parser reads differently: never filter on it
        return _ANYTHING
    return _sequence(list(parsed))


def _sequence(items: list) -> Alternatives:
    """A sequence matches only if each of its items does: its literal runs are needed together,
    and a group or alternation in it multiplies the ways. Items that need nothing known (classes,
    repeats, assertions) are skipped, which only weakens the filter."""
    ways: Alternatives = (frozenset(_literal_runs(items)),)
    for op, arg in items:
        if op is _SUBPATTERN:
            inner = _sequence(list(arg[-1]))
        elif op is _BRANCH:
            inner = tuple(way for branch in arg[1] for way in _sequence(list(branch)))
        else:
            continue
        if len(ways) * len(inner) <= _MAX_ALTERNATIVES:
            ways = tuple(way | more for way in ways for more in inner)
    return ways


def _literal_runs(items: list) -> list[str]:
    """The runs of consecutive literal ASCII characters, lower-cased (a non-ASCII literal ends a run:
    under case folding it is not safe to look for)."""
    runs, run = [], []
    for op, arg in [*items, (None, None)]:
        if op is _LITERAL and arg < 128:
            run.append(chr(arg).lower())
        elif run:
            runs.append("".join(run))
            run = []
    return runs
