"""A Markdown summary for pull-request comments and CI job summaries ($GITHUB_STEP_SUMMARY).

Short by design (GitHub comments hold 65,536 characters): counts, readiness, failing checks, the
worst findings up to a cap, and the top files. Repository text is escaped so it cannot inject
Markdown, HTML or @-mentions that would notify people.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from auditor.finding import CATEGORIES
from auditor.report.common import SEVERITIES_DESC, failing_checks, gate_summary, location, ordered, readiness, rule_catalogue, top_by
from auditor.report.links import SourceLinks

MAX_FINDINGS = 50
MAX_CELL = 300
_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def escape(value: Any, limit: int = MAX_CELL) -> str:
    """Text safe inside a Markdown table cell: one line, no markup, no HTML, no mentions."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@&#8203;")


def prose(value: Any, limit: int = 600) -> str:
    """mlaudit's own sentences (readiness checks and fixes): Markdown kept, HTML and mentions not."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "@&#8203;")


def code(value: Any) -> str:
    """An inline code span (owners, paths): mentions inside code spans do not notify, and a
    backtick or a line break in the value cannot end the span."""
    text = " ".join(str(value).split()).replace("`", "'")
    return f"`{text}`" if text else ""


def render_markdown(result, **_: Any) -> str:
    findings = ordered(result.findings)
    counts = Counter(f.severity for f in findings)
    summary = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES_DESC if counts[s])
    out = [f"## mlaudit: {len(findings)} finding(s)" + (f" ({summary})" if summary else ""), ""]
    out += _status_lines(result)
    out += _readiness_lines(readiness(result))
    if findings:
        out += _category_table(findings, counts)
        out += _findings_table(findings, SourceLinks.for_result(result))
        out += _top_files(findings)
        out += _fired_rules(findings, rule_catalogue(result))
    out.append(_footer(result))
    return "\n".join(out) + "\n"


def _status_lines(result) -> list[str]:
    """Errors, gate verdict (or the plain --fail-on verdict when no gate is set) and gate notes."""
    gate = gate_summary(result)
    fail_on = result.config.fail_on
    if result.errors:
        out = [f":warning: {len(result.errors)} internal error(s); results may be incomplete"]
    elif gate is None:
        failing = len(result.failing())
        out = [f":x: {failing} finding(s) at or above severity `{fail_on}`" if failing
               else f":white_check_mark: no finding at or above severity `{fail_on}`"]
    elif gate["passed"]:
        checked = "; ".join(c["description"] for c in gate["conditions"]) or "no conditions"
        out = [f":white_check_mark: **Gate passed**: {prose(checked)}"]
    else:
        enforced = "" if gate["enforced"] else " (not enforced: `--exit-zero`)"
        out = [f":x: **Gate failed**{enforced}:", ""]
        out.extend(f"- {prose(reason)}" for reason in gate["failed"])
    for note in (gate or {}).get("notes", []):
        out += ["", f"_{prose(note)}_"]
    out.append("")
    return out


def _readiness_lines(ready) -> list[str]:
    if not ready:
        return []
    line = f"**Readiness {escape(ready.get('score', '?'))}/100, grade {escape(ready.get('grade', '?'))}**"
    minutes = ready.get("rollback_minutes")
    if minutes is not None:
        line += f" · estimated rollback: about {escape(minutes)} min"
    return [line, ""] + _dimension_table(ready.get("dimensions") or {}) + _unit_table(ready.get("units") or []) \
        + _check_list(failing_checks(ready))


def _unit_table(units, limit: int = 20) -> list[str]:
    """A repository of several units: their scores, worst first."""
    if not isinstance(units, list) or not units:
        return []
    out = [f"{len(units)} units, worst readiness first:", "", "| Unit | Score | Grade | Lines | Findings |",
           "|---|---:|:---:|---:|---:|"]
    for unit in units[:limit]:
        out.append(f"| {code(unit.get('unit', '?'))} | {escape(round(unit.get('score', 0)))} | {escape(unit.get('grade', '?'))} "
                   f"| {escape(unit.get('lines', 0))} | {escape(unit.get('findings', 0))} |")
    if len(units) > limit:
        out.append(f"| … and {len(units) - limit} more | | | | |")
    out.append("")
    return out


def _dimension_table(dims) -> list[str]:
    if not isinstance(dims, dict) or not dims:
        return []
    out = ["| Dimension | Score |", "|---|---:|"]
    for name, dim in dims.items():
        score = dim.get("score") if isinstance(dim, dict) else None
        out.append(f"| {escape(str(name).replace('_', ' '))} | {'-' if score is None else round(score)} |")
    out.append("")
    return out


def _check_list(checks) -> list[str]:
    if not checks:
        return []
    out = ["### Readiness checks to fix", ""]
    for check in checks[:20]:
        out.append(f"- **{prose(check.get('title', check.get('id', '?')))}** "
                   f"({escape(str(check['dimension']).replace('_', ' '))}, {escape(check.get('status'))}): "
                   f"{prose(check.get('fix') or '-')}")
    if len(checks) > 20:
        out.append(f"- … and {len(checks) - 20} more")
    out.append("")
    return out


def _category_table(findings, counts) -> list[str]:
    by_cat = Counter((f.category, f.severity) for f in findings)
    present = [s for s in SEVERITIES_DESC if counts[s]]
    out = ["| Category | " + " | ".join(present) + " | Total |", "|---|" + "---:|" * (len(present) + 1)]
    for category in CATEGORIES:
        total = sum(by_cat[(category, s)] for s in present)
        if total:
            cells = " | ".join(str(by_cat[(category, s)] or "") for s in present)
            out.append(f"| {category} | {cells} | {total} |")
    out.append("")
    return out


def _findings_table(findings, links) -> list[str]:
    shown = findings[:MAX_FINDINGS]
    hidden = len(findings) - len(shown)
    out = [f"### Findings (worst {len(shown)} of {len(findings)})" if hidden else "### Findings", "",
           "| Severity | Rule | Location | Message | Owners |", "|---|---|---|---|---|"]
    for f in shown:
        owners = " ".join(code(o) for o in f.owners) or "-"
        out.append(f"| {f.severity} | {f.rule} {escape(f.name)} | {_linked_location(f, links)} "
                   f"| {escape(f.message)} | {owners} |")
    if hidden:
        out += ["", f"… and {hidden} more: see the HTML report "
                    f"(`mlaudit scan --format html -o report.html`)."]
    out.append("")
    return out


def _linked_location(finding, links) -> str:
    where = escape(location(finding))
    url = links.url(finding.path, finding.line, finding.cell) if finding.path else None
    if not url:
        return where
    return f"[{where}]({url.replace(')', '%29').replace(' ', '%20')})"


def _top_files(findings) -> list[str]:
    files = top_by(findings, lambda f: (f.path or "(project)",), limit=10)
    out = ["<details><summary>Top files by debt</summary>", "", "| File | Debt points | Findings |", "|---|---:|---:|"]
    out += [f"| {escape(row['name'])} | {row['debt']} | {row['count']} |" for row in files]
    return out + ["", "</details>", ""]


def _fired_rules(findings, catalogue) -> list[str]:
    out = ["<details><summary>Rules that fired, and how to fix them</summary>", ""]
    for rule_id in sorted({f.rule for f in findings}):
        info = catalogue.get(rule_id)
        if info:
            # Rule text is ours (trusted Markdown), not the repository's.
            out.append(f"- **{rule_id} {info['name']}**: {info['remediation']}")
    return out + ["", "</details>", ""]


def _footer(result) -> str:
    commit = (result.git.head or "")[:12] if result.git.available else ""
    meta = f"mlaudit {result.version} · {result.files} files scanned"
    if commit:
        meta += f" · commit {commit}"
    if result.skipped:
        meta += f" · {len(result.skipped)} skipped"
    return f"<sub>{escape(meta, 500)}</sub>"
