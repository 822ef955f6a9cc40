"""GitHub Actions workflow commands: annotations on the files of a pull request.

GitHub shows at most 10 error and 10 warning annotations per step (and 50 per job) and silently
drops the rest, so the worst findings are annotated up to those caps and one closing notice says
how many more there are and where to look. Values are escaped as ``@actions/core`` escapes them.
Notebook findings get no line (cell lines would point into the JSON) but name the cell.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from auditor.report.common import gate_summary, ordered

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "notice", "info": "notice"}
CAPS = {"error": 10, "warning": 10, "notice": 10}
JOB_CAP = 50
MAX_MESSAGE = 4000


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_data(value: str) -> str:
    value = _CONTROL.sub(" ", value)
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: Any) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items()
                     if value is not None and value != "")
    message = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…"
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def render_github(result, **_: Any) -> str:
    lines: list[str] = []
    used: Counter[str] = Counter()
    left: Counter[str] = Counter()
    gate = gate_summary(result)
    gate_failed = gate is not None and not gate["passed"] and gate["enforced"]
    summary_level = "error" if gate_failed else "notice"
    used[summary_level] += 1  # the summary's place is kept under its level's cap
    budget = JOB_CAP  # counts the summary too
    for finding in ordered(result.findings):
        level = LEVELS.get(finding.severity, "warning")
        if used[level] >= CAPS[level] or sum(used.values()) >= budget:
            left[level] += 1
            continue
        used[level] += 1
        lines.append(_annotation(level, finding))
    text = _summary_text(result, gate, left)
    lines.append(command(summary_level, text, title="mlaudit gate failed" if gate_failed else "mlaudit summary"))
    return "\n".join(lines) + "\n"


def _annotation(level: str, finding) -> str:
    title = f"{finding.rule} {finding.name} ({finding.severity})"
    message = finding.message
    line = finding.line
    end_line = finding.end_line if finding.end_line and line and finding.end_line >= line else None
    if finding.cell is not None:
        message += f" [notebook cell {finding.cell}, line {finding.line or 1}]"
        line = end_line = None
    if finding.owners:
        message += f"\nOwners: {' '.join(finding.owners)}"
    return command(level, message, file=finding.path or None, line=line, endLine=end_line, title=title)


def _summary_text(result, gate, left: Counter) -> str:
    counts = Counter(f.severity for f in result.findings)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low", "info") if counts[s])
    text = f"{len(result.findings)} finding(s)" + (f": {summary}" if summary else "")
    skipped = sum(left.values())
    if skipped:
        parts = ", ".join(f"{left[k]} {k}" for k in ("error", "warning", "notice") if left[k])
        text += (f". {skipped} more not annotated ({parts}): GitHub shows at most 10 errors and 10 warnings "
                 f"per step; see the full report (mlaudit scan --format html or markdown)")
    return text + _gate_text(result, gate)


def _gate_text(result, gate) -> str:
    if gate is None:
        failing = len(result.failing())
        return f". {failing} at or above '{result.config.fail_on}'." if failing else "."
    if gate["passed"]:
        return ". Gate passed."
    return (". Gate failed" + ("" if gate["enforced"] else " (not enforced)") + ": "
            + "; ".join(gate["failed"]) + ".")
