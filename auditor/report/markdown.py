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
from auditor.report.common import (SEVERITIES_DESC, failing_checks, gate_summary, location, ordered, readiness,
                                   rule_catalogue, top_by)
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


def _code(value: str) -> str:
    """An inline code span (owners, paths): mentions inside code spans do not notify."""
    text = " ".join(value.split()).replace("`", "'")
    return f"`{text}`" if text else ""


def render_markdown(result, **_: Any) -> str:
    findings = ordered(result.findings)
    counts = Counter(f.severity for f in findings)
    links = SourceLinks.for_result(result)
    catalogue = rule_catalogue(result)
    out: list[str] = []
    summary = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES_DESC if counts[s])
    out.append(f"## mlaudit: {len(findings)} finding(s)" + (f" ({summary})" if summary else ""))
    out.append("")
    gate = gate_summary(result)
    if result.errors:
        out.append(f":warning: {len(result.errors)} internal error(s); results may be incomplete")
    elif gate is None:
        failing = len(result.failing())
        out.append(f":x: {failing} finding(s) at or above severity `{result.config.fail_on}`" if failing
                   else f":white_check_mark: no finding at or above severity `{result.config.fail_on}`")
    elif gate["passed"]:
        checked = "; ".join(c["description"] for c in gate["conditions"]) or "no conditions"
        out.append(f":white_check_mark: **Gate passed**: {prose(checked)}")
    else:
        enforced = "" if gate["enforced"] else " (not enforced: `--exit-zero`)"
        out.append(f":x: **Gate failed**{enforced}:")
        out.append("")
        out.extend(f"- {prose(reason)}" for reason in gate["failed"])
    for note in (gate or {}).get("notes", []):
        out.append("")
        out.append(f"_{prose(note)}_")
    out.append("")

    ready = readiness(result)
    if ready:
        line = f"**Readiness {escape(ready.get('score', '?'))}/100, grade {escape(ready.get('grade', '?'))}**"
        minutes = ready.get("rollback_minutes")
        if minutes is not None:
            line += f" · estimated rollback: about {escape(minutes)} min"
        out.append(line)
        out.append("")
        dims = ready.get("dimensions") or {}
        if isinstance(dims, dict) and dims:
            out.append("| Dimension | Score |")
            out.append("|---|---:|")
            for name, dim in dims.items():
                score = dim.get("score") if isinstance(dim, dict) else None
                out.append(f"| {escape(str(name).replace('_', ' '))} | {'-' if score is None else round(score)} |")
            out.append("")
        checks = failing_checks(ready)
        if checks:
            out.append("### Readiness checks to fix")
            out.append("")
            for check in checks[:20]:
                out.append(f"- **{prose(check.get('title', check.get('id', '?')))}** "
                           f"({escape(str(check['dimension']).replace('_', ' '))}, {escape(check.get('status'))}): "
                           f"{prose(check.get('fix') or '-')}")
            if len(checks) > 20:
                out.append(f"- … and {len(checks) - 20} more")
            out.append("")

    if findings:
        by_cat = Counter((f.category, f.severity) for f in findings)
        present = [s for s in SEVERITIES_DESC if counts[s]]
        out.append("| Category | " + " | ".join(present) + " | Total |")
        out.append("|---|" + "---:|" * (len(present) + 1))
        for category in CATEGORIES:
            total = sum(by_cat[(category, s)] for s in present)
            if total:
                cells = " | ".join(str(by_cat[(category, s)] or "") for s in present)
                out.append(f"| {category} | {cells} | {total} |")
        out.append("")
        shown = findings[:MAX_FINDINGS]
        out.append(f"### Findings (worst {len(shown)} of {len(findings)})" if len(findings) > len(shown)
                   else "### Findings")
        out.append("")
        out.append("| Severity | Rule | Location | Message | Owners |")
        out.append("|---|---|---|---|---|")
        for f in shown:
            where = escape(location(f))
            url = links.url(f.path, f.line, f.cell) if f.path else None
            if url:
                where = f"[{where}]({url.replace(')', '%29').replace(' ', '%20')})"
            rule = f"{f.rule} {escape(f.name)}"
            owners = " ".join(_code(o) for o in f.owners) or "-"
            out.append(f"| {f.severity} | {rule} | {where} | {escape(f.message)} | {owners} |")
        if len(findings) > len(shown):
            out.append("")
            out.append(f"… and {len(findings) - len(shown)} more: see the HTML report "
                       f"(`mlaudit scan --format html -o report.html`).")
        out.append("")
        files = top_by(findings, lambda f: (f.path or "(project)",), limit=10)
        out.append("<details><summary>Top files by debt</summary>")
        out.append("")
        out.append("| File | Debt points | Findings |")
        out.append("|---|---:|---:|")
        for row in files:
            out.append(f"| {escape(row['name'])} | {row['debt']} | {row['count']} |")
        out.append("")
        out.append("</details>")
        out.append("")
        fired = sorted({f.rule for f in findings})
        out.append("<details><summary>Rules that fired, and how to fix them</summary>")
        out.append("")
        for rule_id in fired:
            info = catalogue.get(rule_id)
            if info:
                # Rule text is ours (trusted Markdown), not the repository's.
                out.append(f"- **{rule_id} {info['name']}**: {info['remediation']}")
        out.append("")
        out.append("</details>")
        out.append("")
    commit = (result.git.head or "")[:12] if result.git.available else ""
    meta = f"mlaudit {result.version} · {result.files} files scanned"
    if commit:
        meta += f" · commit {commit}"
    if result.skipped:
        meta += f" · {len(result.skipped)} skipped"
    out.append(f"<sub>{escape(meta, 500)}</sub>")
    return "\n".join(out) + "\n"
