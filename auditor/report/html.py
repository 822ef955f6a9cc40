"""The HTML report: one self-contained file (templates/report.html.j2, report.css, report.js).

Readable with scripts and styles blocked: content is ordered here, on the server side, the first
page of findings is rendered as a plain table, sections fold with ``<details>``, and charts are
inline SVG drawn with presentation attributes. The script only adds filtering, sorting, search
and paging over the findings, which are embedded once as JSON. Everything from the repository
goes through Jinja's autoescaping or, in the JSON island, through :func:`json_for_script`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Any

from markupsafe import Markup

from auditor.finding import CATEGORIES
from auditor.report.common import (
    DEBT_WEIGHTS,
    SEVERITIES_DESC,
    UNOWNED,
    age_days,
    author,
    failing_checks,
    gate_summary,
    iso_time,
    location,
    ordered,
    owners_of,
    readiness,
    rule_catalogue,
    top_by,
)
from auditor.report.links import SourceLinks, safe_remote

FIRST_PAGE = 200  # findings rendered on the server side; the script pages through the rest
EXCERPT_BUDGET = 4_000_000  # characters of code excerpts embedded in total, worst findings first
TOP = 15
SEVERITY_COLOURS = {"critical": "#882255", "high": "#c0392b", "medium": "#d68910", "low": "#2471a3",
                    "info": "#7f8c8d"}
STATUS_LABEL = {"pass": "passes", "partial": "partly passes", "fail": "fails"}


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("auditor.templates", "."), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


@lru_cache(maxsize=None)
def content_security_policy(css: str, js: str | None = None) -> str:
    """The report's Content-Security-Policy: nothing may load or connect; the one inline style and
    the one inline script run only by their hashes, so markup injected from a repository could run
    nothing even if it got past the escaping. The templates put each asset between newlines."""
    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(f"\n{text}\n".encode()).digest()).decode() + "'"

    policy = ["default-src 'none'", f"style-src {digest(css)}", "img-src data:", "base-uri 'none'",
              "form-action 'none'"]
    if js is not None:
        policy.insert(1, f"script-src {digest(js)}")
    return "; ".join(policy)


def _asset(name: str) -> Markup:
    """CSS and JS are inlined verbatim, not rendered as templates (autoescaping would mangle them).
    They contain no ``</`` (a test checks), so they cannot end their element early."""
    return Markup(resources.files("auditor.templates").joinpath(name).read_text(encoding="utf-8"))


def json_for_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``</script>``, no ``<!--``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return Markup(text)


# --- charts ---------------------------------------------------------------------------------------

def _stacked_bars(rows: list[tuple[str, Counter]], width: int = 640) -> dict[str, Any]:
    """Geometry of a horizontal stacked bar chart: one bar per row, one segment per severity."""
    label_w, right_w, bar_h, gap = 170, 60, 22, 8
    biggest = max((sum(c.values()) for _, c in rows), default=0) or 1
    usable = width - label_w - right_w
    bars = []
    for i, (label, counts) in enumerate(rows):
        y = i * (bar_h + gap)
        x = label_w
        segments = []
        for severity in SEVERITIES_DESC:
            n = counts.get(severity, 0)
            if not n:
                continue
            w = max(2.0, usable * n / biggest)
            segments.append({"x": round(x, 1), "w": round(w, 1), "colour": SEVERITY_COLOURS[severity],
                             "title": f"{label}: {n} {severity}"})
            x += w
        bars.append({"label": label, "y": y, "text_y": y + bar_h * 0.7, "h": bar_h, "segments": segments,
                     "total": sum(counts.values()), "total_x": round(x + 6, 1)})
    height = max(len(rows) * (bar_h + gap) - gap, bar_h)
    return {"width": width, "height": height, "bars": bars, "label_x": label_w - 8}


def _score_bars(dimensions: dict[str, Any], width: int = 640) -> dict[str, Any]:
    label_w, right_w, bar_h, gap = 170, 70, 22, 8
    usable = width - label_w - right_w
    bars = []
    for i, (name, dim) in enumerate(dimensions.items()):
        score = dim.get("score") if isinstance(dim, dict) else None
        value = float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else 0.0
        value = min(max(value, 0.0), 100.0)
        y = i * (bar_h + gap)
        colour = "#1e8449" if value >= 75 else "#d68910" if value >= 50 else "#c0392b"
        bars.append({"label": str(name).replace("_", " "), "y": y, "text_y": y + bar_h * 0.7, "h": bar_h, "x": label_w,
                     "w": round(max(usable * value / 100, 2), 1), "track": usable, "colour": colour,
                     "score": "-" if score is None else f"{value:.0f}", "total_x": label_w + usable + 8})
    height = max(len(bars) * (bar_h + gap) - gap, bar_h)
    return {"width": width, "height": height, "bars": bars, "label_x": label_w - 8}


# --- data -----------------------------------------------------------------------------------------

class _Table:
    """Interns repeated strings (paths, owners, authors) so that 100,000 findings stay compact."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        if value not in self.index:
            self.index[value] = len(self.items)
            self.items.append(value)
        return self.index[value]


def _evidence_text(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, value in (evidence or {}).items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        out.append((str(key), text if len(text) <= 300 else text[:299] + "…"))
    return out[:12]


def _row(result, finding, links: SourceLinks, with_excerpt: bool) -> dict[str, Any]:
    excerpt = finding.excerpt if with_excerpt and isinstance(finding.excerpt, dict) else None
    return {
        "finding": finding,
        "location": location(finding),
        "url": links.url(finding.path, finding.line, finding.cell) if finding.path else None,
        "owners": list(finding.owners),
        "age": age_days(result, finding),
        "author": author(result, finding),
        "excerpt": excerpt,
        "evidence": _evidence_text(finding.evidence),
    }


def _data(result, findings, links: SourceLinks, catalogue, excerpt_ok: list[bool]) -> dict[str, Any]:
    paths, owners, authors = _Table(), _Table(), _Table()
    sev_index = {s: i for i, s in enumerate(SEVERITIES_DESC)}
    cat_index = {c: i for i, c in enumerate(CATEGORIES)}
    rule_ids = _Table()
    rows = []
    for finding, with_excerpt in zip(findings, excerpt_ok):
        excerpt = finding.excerpt if with_excerpt and isinstance(finding.excerpt, dict) else None
        who = author(result, finding)
        rows.append([
            sev_index.get(finding.severity, len(SEVERITIES_DESC) - 1),
            cat_index.get(finding.category, 0),
            rule_ids(finding.rule),
            paths(finding.path),
            finding.line,
            finding.cell,
            finding.message,
            [owners(o) for o in finding.owners],
            age_days(result, finding),
            None if who is None else authors(who),
            finding.fingerprint,
            finding.symbol,
            excerpt["start"] if excerpt else None,
            excerpt["lines"] if excerpt else None,
            finding.end_line,
            [list(item) for item in _evidence_text(finding.evidence)] or None,
            [finding.fix.get("applicability"), finding.fix.get("description")] if finding.fix else None,
        ])
    template = links.template
    if template:  # commit and branch are the same for every finding: fill them in once
        template = template.replace("{commit}", links.commit or "").replace("{branch}", links.branch or "")
    return {
        "version": 1,
        "severities": list(SEVERITIES_DESC),
        "categories": list(CATEGORIES),
        "rules": {rule_id: catalogue.get(rule_id, {"name": rule_id}) for rule_id in rule_ids.items},
        "ruleIds": rule_ids.items,
        "paths": paths.items,
        "owners": owners.items,
        "authors": authors.items,
        "url": template,
        "pageSize": 100,
        "findings": rows,
    }


def _excerpt_budget(findings) -> list[bool]:
    left = EXCERPT_BUDGET
    allowed = []
    for finding in findings:
        size = sum(len(line) + 8 for line in finding.excerpt["lines"]) if isinstance(finding.excerpt, dict) else 0
        allowed.append(size <= left)
        if size <= left:
            left -= size
    return allowed


def _by_category(findings, category: str) -> list:
    return [f for f in findings if f.category == category]


def build_context(result) -> dict[str, Any]:
    findings = ordered(result.findings)
    catalogue = rule_catalogue(result)
    links = SourceLinks.for_result(result)
    excerpt_ok = _excerpt_budget(findings)
    project = os.path.basename(os.path.abspath(result.root)) if result.root else ""
    return {
        "title": f"mlaudit report: {project}" if project else "mlaudit report",
        "project": project,
        "result": result,
        "total": len(findings),
        "failing": len(result.failing()),
        "gate": gate_summary(result),
        "suppressed": len(getattr(result, "suppressed", None) or ()),
        "fail_on": result.config.fail_on,
        **_count_context(findings),
        "debt_weights": DEBT_WEIGHTS,
        **_readiness_context(readiness(result)),
        "status_label": STATUS_LABEL,
        "top_files": top_by(findings, lambda f: (f.path or "(project)",), TOP),
        "top_owners": top_by(findings, owners_of, TOP),
        "unowned": UNOWNED,
        "stale_models": [_row(result, f, links, False) for f in _by_category(findings, "stale-model")],
        "ownerless": [_row(result, f, links, False) for f in _by_category(findings, "ownerless-pipeline")],
        "rows": [_row(result, f, links, ok) for f, ok in zip(findings[:FIRST_PAGE], excerpt_ok)],
        "first_page": FIRST_PAGE,
        "rules": _fired_rules(findings, catalogue),
        "rule_info": catalogue,
        "links": links,
        "meta": _meta(result),
        "excerpts_dropped": excerpt_ok.count(False) if findings else 0,
        "data": json_for_script(_data(result, findings, links, catalogue, excerpt_ok)),
        "css": _asset("report.css"),
        "js": _asset("report.js"),
        "csp": content_security_policy(_asset("report.css"), _asset("report.js")),
    }


def _count_context(findings) -> dict[str, Any]:
    """Counts by severity and by category, as tables and as bar charts."""
    severities = Counter(f.severity for f in findings)
    categories: dict[str, Counter] = {c: Counter() for c in CATEGORIES}
    for f in findings:
        categories.setdefault(f.category, Counter())[f.severity] += 1
    category_rows = [(c, counts) for c, counts in categories.items() if counts]
    return {
        "severities": [(s, severities[s], SEVERITY_COLOURS[s]) for s in SEVERITIES_DESC],
        "category_chart": _stacked_bars(category_rows),
        "category_rows": [(c, counts, sum(counts.values())) for c, counts in category_rows],
        "severity_chart": _stacked_bars([(s, Counter({s: severities[s]})) for s in SEVERITIES_DESC
                                         if severities[s]]),
        "severity_colours": SEVERITY_COLOURS,
        "severity_order": list(SEVERITIES_DESC),
    }


def _readiness_context(ready: dict | None) -> dict[str, Any]:
    dimensions = (ready or {}).get("dimensions") or {}
    rollback = (ready or {}).get("rollback") or {}
    if ready and ready.get("rollback_minutes") is not None and not rollback.get("estimate_minutes"):
        rollback = dict(rollback, estimate_minutes=ready.get("rollback_minutes"))
    valid = isinstance(dimensions, dict)
    return {
        "readiness": ready,
        "dimension_chart": _score_bars(dimensions) if valid and dimensions else None,
        "dimensions": dimensions if valid else {},
        "rollback": rollback,
        "failing_checks": failing_checks(ready),
        "units": [u for u in (ready or {}).get("units") or [] if isinstance(u, dict)],
    }


def _fired_rules(findings, catalogue) -> list[tuple[dict, int]]:
    """(rule info, count) for each rule that fired, most findings first."""
    rule_counts = Counter(f.rule for f in findings)
    return [(catalogue[r], rule_counts[r]) for r in sorted(rule_counts, key=lambda r: (-rule_counts[r], r))
            if r in catalogue]


def _meta(result) -> dict[str, Any]:
    git = result.git
    available = git.available
    return {
        "version": result.version,
        "root": result.root,
        "commit": git.head if available else None,
        "branch": git.branch if available else None,
        "remote": safe_remote(git.remote_url) if available else None,
        "git_note": git.reason,
        "scanned_at": iso_time(result.started),
        "duration": f"{result.duration:.1f} s",
        "config": result.config.source or "defaults (no [tool.mlaudit] found)",
    }


def render_html(result, **_: Any) -> str:
    return _environment().get_template("report.html.j2").render(**build_context(result))
