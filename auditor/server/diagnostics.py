"""Findings as LSP diagnostics, and a fix as the one text edit that makes it.

Pure functions of a finding and a file's text. LSP counts lines from 0 and characters in UTF-16
code units; mlaudit counts lines from 1 and has no columns, so a diagnostic spans its lines from
the first non-blank character of the first to the end of the last.
"""

from __future__ import annotations

import re

from lsprotocol import types

from auditor.finding import Finding

SOURCE = "mlaudit"

# A high finding fails the default gate: an error in the editor too; info is context.
SEVERITY = {
    "critical": types.DiagnosticSeverity.Error,
    "high": types.DiagnosticSeverity.Error,
    "medium": types.DiagnosticSeverity.Warning,
    "low": types.DiagnosticSeverity.Information,
    "info": types.DiagnosticSeverity.Hint,
}

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # LSP's line breaks, kept with their line


def lines_of(text: str) -> list[str]:
    """The lines as LSP counts them, each with its line break."""
    return _LINE.findall(text)


def _units(text: str) -> int:
    """Length in UTF-16 code units, LSP's default character count."""
    return len(text.encode("utf-16-le")) // 2


def finding_range(finding: Finding, lines: list[str]) -> types.Range:
    """The finding's lines (the first line when it names none); clamped to the text."""
    last_line = max(len(lines) - 1, 0)
    first = min(max((finding.line or 1) - 1, 0), last_line)
    last = min(max((finding.end_line or finding.line or 1) - 1, first), last_line)
    if not lines:
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    text = lines[first].rstrip("\r\n")
    start = _units(text) - _units(text.lstrip())
    return types.Range(types.Position(first, start), types.Position(last, _units(lines[last].rstrip("\r\n"))))


def diagnostic(finding: Finding, lines: list[str], page_url: str | None) -> types.Diagnostic:
    """One finding as a diagnostic: its rule as the code, linked to the rule's page; dead code
    tagged as unnecessary (editors fade it)."""
    fix = finding.fix["applicability"] if finding.fix else None
    return types.Diagnostic(
        range=finding_range(finding, lines),
        message=finding.message,
        severity=SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.rule,
        code_description=types.CodeDescription(href=page_url) if page_url else None,
        source=SOURCE,
        tags=[types.DiagnosticTag.Unnecessary] if finding.category == "dead-code" else None,
        data={"fingerprint": finding.fingerprint, "fix": fix},
    )


def text_edit(old: str, new: str) -> types.TextEdit | None:
    """The smallest run of whole lines that turns ``old`` into ``new``, as one edit (None: equal)."""
    if old == new:
        return None
    before, after = lines_of(old), lines_of(new)
    head = 0
    while head < min(len(before), len(after)) and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    end_line = len(before) - tail
    if end_line == len(before) and before and not before[-1].endswith(("\n", "\r")):
        end = types.Position(end_line - 1, _units(before[-1]))  # the last line has no break: end at its end
        start = types.Position(head, 0) if head < end_line else end
    else:
        end, start = types.Position(end_line, 0), types.Position(head, 0)
    return types.TextEdit(range=types.Range(start, end), new_text="".join(after[head:len(after) - tail]))
