"""Suppression directives as written: ``# mlaudit: ignore[RULE-OR-CATEGORY,...] until=YYYY-MM-DD -- reason``.

A directive on its own line covers the lines below it down to the first line of code; a directive
after code covers its own line only. ``ignore-file[...]`` covers the whole file, and the
``per-file-ignores`` configuration table (path glob -> selectors) covers every matching path.
A directive without a reason, without a rule, or with an unreadable expiry suppresses nothing
(rule ML420 reports it); an expired one suppresses nothing and the finding says it expired; a
valid one that matches no finding is reported by ML421, but only when every rule it names ran.

Python modules and notebooks get their directives from the per-file worker (``DirectiveExtractor``,
so they are cached with the other facts); text files with ``#`` comments are read from the model.
Whether a selector names a known rule is decided by the suppression pass (auditor/scan/suppress.py),
which knows the rules; this module knows only the syntax.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

from auditor.analysis.pymodule import Extractor

FACT = "mlaudit-suppressions"

# A directive starts a comment, or follows another one on the line ("# noqa  # mlaudit: ...");
# a directive quoted in prose ("``# mlaudit: ignore[...]``") is documentation, not a directive.
_DIRECTIVE = re.compile(
    r"(?:^|(?<=\s))#\s*mlaudit\s*:\s*(?P<kind>ignore-file|ignore)(?![\w-])\s*(?:\[(?P<selectors>[^\]]*)\])?(?P<rest>.*)$",
    re.I,
)
_UNTIL = re.compile(r"^\s*until\s*[=:]\s*(?P<date>\S+)", re.I)
_SEPARATOR = re.compile(r"^\s*(?:--|–|—|:)\s*")
# Text files whose comments do not start with "#" (documents are left out by kind).
_NO_HASH_COMMENTS = {".json", ".ipynb"}


@dataclass
class Directive:
    path: str
    line: int  # as users see it (cell-relative in notebooks)
    cell: int | None
    scope: str  # "line" or "file"
    selectors: tuple[str, ...]
    reason: str
    until: str | None
    problem: str | None  # why it suppresses nothing (no reason, no rule, bad date); None when valid
    text: str
    covers: tuple[tuple[int, int | None], ...] = ()  # (line, cell) pairs for scope "line"
    used: bool = field(default=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "cell": self.cell, "scope": self.scope,
                "selectors": list(self.selectors), "reason": self.reason, "until": self.until,
                "problem": self.problem, "text": self.text, "covers": [list(c) for c in self.covers]}

    @classmethod
    def from_json(cls, data: dict[str, Any], path: str) -> "Directive":
        return cls(path=path, line=data["line"], cell=data.get("cell"), scope=data["scope"],
                   selectors=tuple(data.get("selectors", ())), reason=data.get("reason", ""),
                   until=data.get("until"), problem=data.get("problem"), text=data.get("text", ""),
                   covers=tuple((c[0], c[1]) for c in data.get("covers", ())))

    def expired(self, today: _dt.date) -> bool:
        return self.until is not None and self.problem is None and _dt.date.fromisoformat(self.until) < today


def parse_directive(comment: str) -> dict[str, Any] | None:
    """The parts of one ``# mlaudit:`` comment, or None when the comment is not one."""
    match = _DIRECTIVE.search(comment)
    if match is None:
        return None
    scope = "file" if match.group("kind").lower() == "ignore-file" else "line"
    raw = match.group("selectors")
    selectors = tuple(s.strip() for s in (raw or "").split(",") if s.strip())
    rest = match.group("rest")
    until = None
    problem = None
    until_match = _UNTIL.match(rest)
    if until_match:
        until = until_match.group("date")
        rest = rest[until_match.end():]
        try:
            _dt.date.fromisoformat(until)
        except ValueError:
            problem = f"until={until} is not a date (write until=YYYY-MM-DD)"
    separator = _SEPARATOR.match(rest)
    reason = rest[separator.end():].strip() if separator else ""
    if separator is None and rest.strip():
        hint = "put the reason after ' -- '"
    else:
        hint = "add one after ' -- '"
    if not selectors:
        problem = problem or ("names no rule or category: write ignore[ML401] or ignore[undocumented-hack]"
                              if raw is None or not raw.strip() else "names no rule or category")
    elif not reason_is_given(reason):
        problem = problem or f"gives no reason ({hint})"
    return {"scope": scope, "selectors": selectors, "reason": reason, "until": until, "problem": problem,
            "text": comment.strip()[:200]}


def _covered_lines(number: int, own_line: bool, is_comment_only) -> list[int]:
    """A trailing directive covers its line; one on its own line covers the lines below it down
    to the first line that is not a comment, so several directives can be stacked."""
    if not own_line:
        return [number]
    covered = [number]
    following = number + 1
    while is_comment_only(following):
        covered.append(following)
        following += 1
    covered.append(following)
    return covered


def from_module(module) -> list[dict[str, Any]]:
    """Directives in a Python module or notebook (called by the extractor in the worker)."""
    if "mlaudit" not in module.text:
        return []
    comments = {c.line: c for c in module.comments}

    def comment_only(line: int) -> bool:
        comment = comments.get(line)
        return comment is not None and not module.line_text(line)[:comment.col].strip()

    found = []
    for comment in module.comments:
        parsed = parse_directive(comment.text)
        if parsed is None:
            continue
        line, cell = module.location(comment.line)
        covers = []
        for covered in _covered_lines(comment.line, comment_only(comment.line), comment_only):
            covered_line, covered_cell = module.location(covered)
            if covered_cell == cell:
                covers.append([covered_line, covered_cell])
        found.append({**parsed, "line": line, "cell": cell, "covers": covers})
    return found


def _hash_comment_start(line: str) -> int:
    """Column of a '#' comment in a config/requirements/Dockerfile/shell line, or -1."""
    for index, char in enumerate(line):
        if char == "#" and (index == 0 or line[index - 1] in " \t"):
            return index
    return -1


def from_text(path: str, text: str) -> list[Directive]:
    if "mlaudit" not in text:
        return []
    lines = text.splitlines()
    starts = [_hash_comment_start(line) for line in lines]

    def comment_only(number: int) -> bool:
        return 1 <= number <= len(lines) and starts[number - 1] >= 0 and not lines[number - 1][:starts[number - 1]].strip()

    found = []
    for number, line in enumerate(lines, start=1):
        start = starts[number - 1]
        if start < 0 or "mlaudit" not in line[start:]:
            continue
        parsed = parse_directive(line[start:])
        if parsed is None:
            continue
        covers = tuple((n, None) for n in _covered_lines(number, comment_only(number), comment_only))
        found.append(Directive(path=path, line=number, cell=None, covers=covers, **parsed))
    return found


def collect(project) -> list[Directive]:
    """Every ``# mlaudit:`` directive in the repository, in path and line order."""
    from auditor.model.project import DOC, TEXT_KINDS

    directives: list[Directive] = []
    for path, found in project.fact(FACT).items():
        for data in found or ():
            try:
                directives.append(Directive.from_json(data, path))
            except (KeyError, TypeError, IndexError):
                continue  # a malformed cache entry: the file is re-analysed next time
    for path, file in project.files.items():
        if file.kind in TEXT_KINDS and file.kind != DOC and file.suffix not in _NO_HASH_COMMENTS \
                and file.text is not None:
            directives.extend(from_text(path, file.text))
    directives.sort(key=lambda d: (d.path, d.cell or 0, d.line))
    return directives


def reason_is_given(reason: str) -> bool:
    """A reason has at least three letters: "--" alone or "ok" is not one."""
    return len(re.findall(r"[A-Za-z]", reason)) >= 3


class DirectiveExtractor(Extractor):
    """The ``# mlaudit:`` directives of each Python module and notebook."""

    name = FACT

    def extract(self, module):
        return from_module(module)
