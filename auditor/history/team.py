"""The periodic team report: trends, new versus fixed debt, debt by owner, across one or many
repositories. Pure functions of history records; rendered as one self-contained HTML file (same
look as the scan report) and a Markdown digest for chat or e-mail."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from auditor.finding import CATEGORIES
from auditor.history.store import ScanRecord
from auditor.report.markdown import code, escape

TOP = 12
UNOWNED = "(no owner)"
CATEGORY_COLOURS = {
    "dead-code": "#4477aa", "unused-feature": "#66ccee", "unpinned-seed": "#228833",
    "unpinned-dependency": "#ccbb44", "undocumented-hack": "#ee6677", "stale-model": "#aa3377",
    "ownerless-pipeline": "#bbbbbb", "unsafe-load": "#882255", "complexity": "#997700", "parse-error": "#555555",
    "data-leakage": "#44aa99",
    "stale-doc": "#aa4499",
}


def _day(t: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def _fingerprints(record: ScanRecord | None) -> dict[str, dict[str, Any]]:
    return {f["fingerprint"]: f for f in record.findings} if record else {}


def _owner_rows(latest: ScanRecord | None, first: ScanRecord | None) -> list[dict[str, Any]]:
    now = latest.counts("owner") if latest else Counter()
    then = first.counts("owner") if first else Counter()
    rows = [{"owner": o, "now": now.get(o, 0), "delta": now.get(o, 0) - then.get(o, 0)} for o in set(now) | set(then)]
    return sorted(rows, key=lambda r: (-r["now"], r["owner"]))


def _files_grew(now: dict[str, dict], then: dict[str, dict]) -> list[tuple[str, int, int]]:
    paths_now = Counter(f["path"] for f in now.values())
    paths_then = Counter(f["path"] for f in then.values())
    grew = [(p, n - paths_then.get(p, 0), n) for p, n in paths_now.items() if n > paths_then.get(p, 0)]
    return sorted(grew, key=lambda x: (-x[1], x[0]))


def _evidence(finding: dict[str, Any]) -> dict[str, Any]:
    return finding.get("evidence") or {}


def _oldest_first(findings: list[dict[str, Any]], category: str) -> list[dict[str, Any]]:
    """The category's findings that have an age, oldest first (a missing model has none: it is
    not a stale one)."""
    rows = [f for f in findings if f.get("category") == category and _evidence(f).get("age_days") is not None]
    return sorted(rows, key=lambda f: -float(_evidence(f).get("age_days") or 0))


def _difference(latest: ScanRecord | None, first: ScanRecord | None, attribute: str) -> float | None:
    if latest is None or first is None:
        return None
    now, then = getattr(latest, attribute), getattr(first, attribute)
    if now is None or then is None:
        return None
    return now - then


def _only_in(these: dict[str, dict], those: dict[str, dict]) -> list[dict[str, Any]]:
    return sorted((these[fp] for fp in these.keys() - those.keys()), key=_severity_key)


def _point(record: ScanRecord) -> dict[str, Any]:
    return {"t": record.scanned_at, "day": _day(record.scanned_at), "score": record.score,
            "findings": len(record.findings), "by_category": dict(record.counts("category")),
            "commit": record.commit_sha}


def _headline(latest: ScanRecord | None, first: ScanRecord | None, now: dict, then: dict) -> dict[str, Any]:
    if latest is None:
        return {"score": None, "grade": None, "score_delta": None, "findings": 0, "findings_delta": None}
    return {"score": latest.score, "grade": latest.grade, "score_delta": _difference(latest, first, "score"),
            "findings": len(now), "findings_delta": len(now) - len(then) if first else None}


def summarise_repo(records: list[ScanRecord], start: float, end: float) -> dict[str, Any]:
    """What happened to one repository between ``start`` and ``end`` (unix seconds): compared
    with the last scan before the period (or the first in it when there is none)."""
    records = sorted(records, key=lambda r: (r.scanned_at, r.id or 0))
    in_period = [r for r in records if start <= r.scanned_at <= end]
    before = [r for r in records if r.scanned_at < start]
    latest = in_period[-1] if in_period else None
    first = (before[-1:] or in_period[:1] or [None])[0]
    now_f, then_f = _fingerprints(latest), _fingerprints(first)
    findings = latest.findings if latest else []
    authors = Counter(_evidence(f)["author"] for f in findings if _evidence(f).get("author"))
    hacks = _oldest_first(findings, "undocumented-hack")
    return {
        "repo": records[-1].repo if records else "",
        "scans_in_period": len(in_period),
        "since_day": _day(first.scanned_at) if first else "",
        "latest": latest, "first": first,
        **_headline(latest, first, now_f, then_f),
        "new": _only_in(now_f, then_f), "fixed": _only_in(then_f, now_f),
        "series": [_point(r) for r in before[-1:] + in_period],
        "owners": _owner_rows(latest, first)[:TOP], "authors": authors.most_common(TOP),
        "oldest_hacks": hacks[:TOP], "stale_models": _oldest_first(findings, "stale-model")[:TOP],
        "ownerless": [f for f in findings if f.get("category") == "ownerless-pipeline"][:TOP],
        "files_grew": _files_grew(now_f, then_f)[:TOP],
    }


_SEV_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def _severity_key(finding: dict[str, Any]) -> tuple:
    return (_SEV_ORDER.get(finding.get("severity"), 9), finding.get("path") or "", finding.get("line") or 0)


# Point markers of the chart's lines, in order: the legend shows the same shape as the line.
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "bar")


def _date_ticks(t0: float, span: float, x) -> list[dict[str, Any]]:
    """Five dates along the time axis, the first and last anchored inside the chart."""
    anchors = {0: "start", 1: "end"}
    return [{"x": x(t0 + span * f), "label": time.strftime("%Y-%m-%d", time.gmtime(t0 + span * f)),
             "anchor": anchors.get(f, "middle")} for f in (0, 0.25, 0.5, 0.75, 1)]


def line_chart(series: list[dict[str, Any]], keys: list[str], value, *, width: int = 640, height: int = 180,
               y_max: float | None = None) -> dict[str, Any]:
    """Geometry of an inline SVG line chart (presentation attributes only: readable under CSP)."""
    left, right, top, bottom = 44, 12, 10, 28
    times = [p["t"] for p in series]
    t0, t1 = (min(times), max(times)) if times else (0, 1)
    values = [value(p, k) for p in series for k in keys if value(p, k) is not None]
    top_value = y_max if y_max is not None else max(values + [1])
    span_t = (t1 - t0) or 1

    def x(t: float) -> float:
        return round(left + (width - left - right) * ((t - t0) / span_t if len(series) > 1 else 0.5), 1)

    def y(v: float) -> float:
        return round(top + (height - top - bottom) * (1 - v / (top_value or 1)), 1)

    lines = []
    for key in keys:
        points = [(x(p["t"]), y(value(p, key)), p, value(p, key)) for p in series if value(p, key) is not None]
        if not points:
            continue
        # a shape as well as a colour, so that no one needs to tell the colours apart
        lines.append({"key": key, "colour": CATEGORY_COLOURS.get(key, "#4477aa"), "marker": MARKERS[len(lines) % len(MARKERS)],
                      "path": " ".join(f"{px},{py}" for px, py, _, _ in points),
                      "points": [{"x": px, "y": py, "title": f"{key} {p['day']}: {v:g}"} for px, py, p, v in points]})
    ticks = [{"y": y(top_value * f), "label": f"{top_value * f:.0f}"} for f in (0, 0.5, 1)]
    x_ticks = _date_ticks(t0, span_t, x) if len(series) > 1 else []
    return {"width": width, "height": height, "lines": lines, "ticks": ticks, "x_ticks": x_ticks, "left": left,
            "right_x": width - right, "first_day": series[0]["day"] if series else "",
            "last_day": series[-1]["day"] if series else "", "base_y": height - bottom}


def build_report(by_repo: dict[str, list[ScanRecord]], start: float, end: float, title: str) -> dict[str, Any]:
    repos = [summarise_repo(records, start, end) for _, records in sorted(by_repo.items()) if records]
    for repo in repos:
        series = repo["series"]
        repo["score_chart"] = line_chart(series, ["score"], lambda p, k: p["score"], y_max=100)
        present = [c for c in CATEGORIES if any(p["by_category"].get(c) for p in series)]
        repo["category_chart"] = line_chart(series, present, lambda p, k: p["by_category"].get(k, 0))
    return {"title": title, "start": _day(start), "end": _day(end), "repos": repos, "fleet": len(repos) > 1,
            "generated": _day(time.time())}


def render_team_html(report: dict[str, Any]) -> str:
    from auditor.report.html import _asset, _environment, content_security_policy

    template = _environment().get_template("team_report.html.j2")
    css = _asset("report.css")
    return template.render(report=report, css=css, csp=content_security_policy(css), colours=CATEGORY_COLOURS)


def _signed(n: float | None, digits: int = 0) -> str:
    if n is None:
        return "n/a"
    return f"{n:+.{digits}f}"


def _fleet_table(repos: list[dict[str, Any]]) -> list[str]:
    out = ["| repository | grade | score | change | findings | change | new | fixed |",
           "|---|---|---|---|---|---|---|---|"]
    for r in repos:
        score = f"{r['score']:.0f}" if r["score"] is not None else "n/a"
        out.append(f"| {escape(r['repo'])} | {escape(r['grade'] or 'n/a')} | {score} | {_signed(r['score_delta'])} | "
                   f"{r['findings']} | {_signed(r['findings_delta'])} | {len(r['new'])} | {len(r['fixed'])} |")
    return out + [""]


def _at(finding: dict[str, Any]) -> str:
    return f"{finding['path']}:{finding.get('line') or '-'}"


def _repo_digest(r: dict[str, Any]) -> list[str]:
    if r["latest"] is None:
        return ["No scan recorded in this period.", ""]
    score = f"{r['score']:.0f}/100 ({r['grade']})" if r["score"] is not None else "not scored"
    out = [f"- Readiness {score}, {_signed(r['score_delta'])} over the period; {r['findings']} findings "
           f"({_signed(r['findings_delta'])}): {len(r['new'])} new, {len(r['fixed'])} fixed."]
    if r["owners"]:
        out.append("- Debt by owner: " + ", ".join(f"{code(o['owner'])} {o['now']} ({_signed(o['delta'])})"
                                                   for o in r["owners"][:6]))
    if r["files_grew"]:
        out.append("- Debt grew most in: " + ", ".join(f"{code(p)} (+{d})" for p, d, _ in r["files_grew"][:5]))
    if r["oldest_hacks"]:
        oldest = r["oldest_hacks"][0]
        out.append(f"- Oldest unticketed hack: {code(_at(oldest))} "
                   f"({_evidence(oldest).get('age_days', 0):.0f} days) {escape(oldest['message'])}")
    out += [f"- Stale model: {code(f['path'])}: {escape(f['message'])}" for f in r["stale_models"][:3]]
    out += [f"- Ownerless pipeline: {code(f['path'])}: {escape(f['message'])}" for f in r["ownerless"][:3]]
    if r["new"]:
        out += ["", "New findings:", ""]
        out += [f"- **{escape(f['severity'])}** {code(_at(f))} "
                f"{escape(f['message'])} ({escape(f['rule'])})"
                for f in r["new"][:10]]
        if len(r["new"]) > 10:
            out.append(f"- ... and {len(r['new']) - 10} more")
    return out + [""]


def render_team_markdown(report: dict[str, Any]) -> str:
    out = [f"## {escape(report['title'])}", "", f"Period {report['start']} to {report['end']}.", ""]
    if report["fleet"]:
        out += _fleet_table(report["repos"])
    for r in report["repos"]:
        if report["fleet"]:
            out += [f"### {escape(r['repo'])}", ""]
        out += _repo_digest(r)
    return "\n".join(out).rstrip() + "\n"
