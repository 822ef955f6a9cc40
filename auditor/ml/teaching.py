"""Course and template material: instructions to the reader and blanks left for the reader to fill.

Labs, guided projects and templates are full of code that is unfinished on purpose: a
``# TODO: your code here`` is an exercise, not debt, and ``ENDPOINT = # Enter your endpoint here``
does not parse because the reader is meant to complete it. The debt-marker rule (ML401) and the
parse-error rules (ML001, ML002) read these definitions, so that an exercise is reported as
context (``info``), never as the author's problem.
"""

from __future__ import annotations

import re

from auditor.ml.paths import is_exercise_path

# A marker's text that instructs the reader ("todo 3: your code here", "todo(step 6): uncomment
# here to add Transform", "todo: set your PROJECT_ID"): matched against the text after the marker.
READER_INSTRUCTION = re.compile(
    r"^[\s:(]*(?:step\s*\d+|\d+\s*[:.)]|\d+\s*$)"  # a numbered step
    r"|\b(?:your|you|yours)\b"  # addressed to the reader
    r"|^[\s:(\-]*(?:\(optional\)\s*)?(?:uncomment|complete|implement|fill\s+in|replace\s+(?:this|with)|"
    r"write\s+(?:the|a|your)|insert)\b",
    re.I,
)
# Verbs that instruct a reader in course material and name work left to do everywhere else: a
# marker saying "implement AugMix" in a library is debt, "implement your loss" in a lab an exercise.
IMPERATIVE_DEBT = re.compile(r"^[\s:(\-]*(?:implement|complete|write\s+(?:the|a))\b", re.I)
ADDRESSES_READER = re.compile(r"\b(?:your|you|yours)\b|^[\s:(]*(?:step\s*\d+|\d+\s*[:.)])", re.I)

# A statement that only holds a place: the line after an exercise's marker.
PLACEHOLDER_STATEMENT = re.compile(r"^\s*(?:pass|\.\.\.|None|return(?:\s+None)?|\w+\s*=\s*(?:None|\.\.\.))\s*(?:#.*)?$")

# An assignment with nothing to assign, or with a <your-value> placeholder: "PROJECT = # Replace
# with your PROJECT", "accuracy_threshold =", "REGION = <YOUR_REGION>".
_EMPTY_ASSIGNMENT = re.compile(r"^\s*[\w.\[\]'\"]+\s*=\s*(?:#(?P<comment>.*))?$")
_ANGLE_PLACEHOLDER = re.compile(r"<[^<>\n]*\b(?:your|you)\b[^<>\n]*>|<[A-Z][A-Z0-9_-]{2,}>", re.I)
# A comment that marks a blank in a config or source file for the reader to complete.
READER_BLANK_MARKER = re.compile(r"#\s*(?:TODO|FIXME)\b|#.*\b(?:your|you)\b", re.I)
_READER_COMMENT = re.compile(r"#\s*(?:TODO|FIXME|fill|enter|replace|complete|add|set|put)\b|\b(?:your|you)\b", re.I)


def exercise_blank(line: str, previous: str, path: str) -> bool:
    """Whether a line that does not parse is a blank left for the reader: an empty assignment whose
    comment (or the comment above it) instructs the reader, or in course material; or a
    ``<your value>`` placeholder."""
    if _ANGLE_PLACEHOLDER.search(line):
        return True
    empty = _EMPTY_ASSIGNMENT.match(line)
    if not empty:
        return False
    comment = empty.group("comment") or ""
    return bool(_READER_COMMENT.search("#" + comment) if comment.strip() else False) \
        or bool(_READER_COMMENT.search(previous.strip()) and previous.strip().startswith("#")) \
        or is_exercise_path(path)
