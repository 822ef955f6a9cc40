"""``mlaudit fix --add-ignore REASON``: a reasoned suppression above every finding left, for adopting
mlaudit on a legacy repository (as ``ruff --add-noqa`` does), so that the gate starts from zero and
every suppression can later be found, read and removed.

Each finding's line gets ``# mlaudit: ignore[ID,...] -- REASON`` on its own line just above it, at
its indentation (a directive on its own line covers the next line of code; docs/suppressions.md).
A line inside a multi-line string (Python, TOML) or a YAML block scalar cannot take a comment without
changing the value, and a JSON file or a finding without a line has no place for one: those are
listed, never written.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath

from auditor.fix.edits import Edit
from auditor.fix.targets import CannotFix, FixTarget

_HASH_COMMENT_FILES = re.compile(r"(^|/)(requirements[^/]*\.(txt|in)|[^/]*\.(ya?ml|toml|cfg|ini)|Dockerfile[^/]*|"
                                 r"[^/]*\.dockerfile|Makefile|CODEOWNERS|OWNERS|\.env[^/]*)$", re.I)


@dataclass
class Annotation:
    """The directives to add to one file: analysed line -> rule ids."""

    target: FixTarget
    lines: dict[int, set[str]] = field(default_factory=dict)

    def edits(self, reason: str) -> list[Edit]:
        edits = []
        for line, rules in sorted(self.lines.items()):
            text = self.target.lines[line - 1]
            indent = text[:len(text) - len(text.lstrip())]
            edits.append(Edit(line, line - 1, (f"{indent}# mlaudit: ignore[{','.join(sorted(rules))}] -- {reason}",)))
        return edits


def commentable(path: str) -> bool:
    return path.endswith((".py", ".ipynb")) or bool(_HASH_COMMENT_FILES.search(path))


def why_not_here(target: FixTarget, line: int) -> str | None:
    """Why no comment can go above ``line`` (1-based analysed line), or None when one can."""
    if not 1 <= line <= len(target.lines):
        return "its line is not in the file"
    path = target.path
    if path.endswith((".py", ".ipynb")):
        return "inside a multi-line string" if line in _string_interiors(target.text()) else None
    if path.lower().endswith((".yml", ".yaml")):
        return "inside a YAML block scalar" if _in_block_scalar(target.lines, line) else None
    if path.lower().endswith(".toml"):
        before = "\n".join(target.lines[:line - 1])
        return "inside a multi-line string" if (before.count('"""') % 2 or before.count("'''") % 2) else None
    return None


@lru_cache(maxsize=4)  # asked for every finding of a file: the file is tokenized once
def _string_interiors(text: str) -> frozenset[int]:
    """Lines that start inside a string token spanning several lines."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] < token.end[0] and token.type in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1),
                                                                getattr(tokenize, "FSTRING_END", -1)):
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return frozenset(range(1, text.count("\n") + 2))  # unknown: nowhere is safe
    return frozenset(inside)


_BLOCK_SCALAR = re.compile(r":\s*[|>][+-]?\d*\s*(#.*)?$|^\s*-\s*[|>][+-]?\d*\s*(#.*)?$")


def _in_block_scalar(lines: list[str], line: int) -> bool:
    text = lines[line - 1]
    indent = len(text) - len(text.lstrip())
    for above in range(line - 2, -1, -1):
        candidate = lines[above]
        if not candidate.strip():
            continue
        depth = len(candidate) - len(candidate.lstrip())
        if depth < indent:
            return bool(_BLOCK_SCALAR.search(candidate))
    return False


def plan_annotations(findings, read) -> tuple[dict[str, Annotation], list[tuple[object, str]]]:
    """Group findings by file into annotations; ``read(path)`` gives a FixTarget or raises CannotFix.
    Returns the annotations and the findings that get none, each with why."""
    annotations: dict[str, Annotation] = {}
    refused: list[tuple[object, str]] = []
    unreadable: dict[str, str] = {}
    for finding in findings:
        if not finding.path or finding.line is None:
            refused.append((finding, "a finding of the whole project has no line to annotate"))
            continue
        if not commentable(finding.path):
            refused.append((finding, f"{PurePosixPath(finding.path).suffix or 'this'} file has no comment syntax "
                                     "mlaudit reads: use per-file-ignores"))
            continue
        if finding.path in unreadable:
            refused.append((finding, unreadable[finding.path]))
            continue
        annotation = annotations.get(finding.path)
        if annotation is None:
            try:
                annotation = annotations[finding.path] = Annotation(read(finding.path))
            except CannotFix as exc:
                unreadable[finding.path] = str(exc)
                refused.append((finding, str(exc)))
                continue
        line = annotation.target.analysed_line(finding.line, finding.cell)
        why = "its line is not in a code cell" if line is None else why_not_here(annotation.target, line)
        if why:
            refused.append((finding, why))
            continue
        annotation.lines.setdefault(line, set()).add(finding.rule)
    return {p: a for p, a in annotations.items() if a.lines}, refused
