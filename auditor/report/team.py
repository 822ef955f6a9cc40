"""The periodic team report: trends, new versus fixed debt, debt by owner, across one or many
repositories. Pure functions of history records; rendered as one self-contained HTML file (same
look as the scan report) and a Markdown digest for chat or e-mail."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from auditor.finding import CATEGORIES
from auditor.history import ScanRecord

TOP = 12
UNOWNED = "(no owner)"
CATEGORY_COLOURS = {
    "dead-code": "#4477aa", "unused-feature": "#66ccee", "unpinned-seed": "#228833",
    "unpinned-dependency": "#ccbb44", "undocumented-hack": "#ee6677", "stale-model": "#aa3377",
    "ownerless-pipeline": "#bbbbbb", "unsafe-load": "#882255", "complexity": "#997700", "parse-error": "#555555",
}


def _day(t: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def _fingerprints(record: ScanRecord | None) -> dict[str, dict[str, Any]]:
    return {f["fingerprint"]: f for f in record.findings} if record else {}


def summarise_repo(records: list[ScanRecord], start: float, end: float) -> dict[str, Any]:
    """What happened to one repository between ``start`` and ``end`` (unix seconds)."""
    records = sorted(records, key=lambda r: (r.scanned_at, r.id or 0))
    in_period = [r for r in records if start <= r.scanned_at <= end]
    before = [r for r in records if r.scanned_at < start]
    latest = in_period[-1] if in_period else None
    first = before[-1] if before else (in_period[0] if in_period else None)
    series = ([before[-1]] if before else []) + in_period
    now_f, then_f = _fingerprints(latest), _fingerprints(first)
    new = [now_f[fp] for fp in now_f.keys() - then_f.keys()]
    fixed = [then_f[fp] for fp in then_f.keys() - now_f.keys()]
    owners_now = latest.counts("owner") if latest else Counter()
    owners_then = first.counts("owner") if first else Counter()
    owner_rows = sorted(
        ({"owner": o, "now": owners_now.get(o, 0), "delta": owners_now.get(o, 0) - owners_then.get(o, 0)}
         for o in set(owners_now) | set(owners_then)), key=lambda r: (-r["now"], r["owner"]))
    authors = Counter((f.get("evidence") or {}).get("author") for f in (latest.findings if latest else [])
                      if (f.get("evidence") or {}).get("author"))
    paths_now = Counter(f["path"] for f in now_f.values())
    paths_then = Counter(f["path"] for f in then_f.values())
    grew = sorted(((p, paths_now[p] - paths_then.get(p, 0), paths_now[p]) for p in paths_now
                   if paths_now[p] > paths_then.get(p, 0)), key=lambda x: (-x[1], x[0]))
    latest_findings = latest.findings if latest else []

    def aged(category: str) -> list[dict[str, Any]]:
        rows = [f for f in latest_findings if f.get("category") == category]
        return sorted(rows, key=lambda f: -float((f.get("evidence") or {}).get("age_days") or 0))

    hacks = [f for f in aged("undocumented-hack") if (f.get("evidence") or {}).get("age_days") is not None]
    return {
        "repo": records[-1].repo if records else "",
        "scans_in_period": len(in_period),
        "since_day": _day(first.scanned_at) if first else "",
        "latest": latest, "first": first,
        "score": latest.score if latest else None, "grade": latest.grade if latest else None,
        "score_delta": (latest.score - first.score) if latest and first and latest.score is not None
        and first.score is not None else None,
        "findings": len(now_f), "findings_delta": len(now_f) - len(then_f) if first else None,
        "new": sorted(new, key=_severity_key), "fixed": sorted(fixed, key=_severity_key),
        "series": [{"t": r.scanned_at, "day": _day(r.scanned_at), "score": r.score, "findings": len(r.findings),
                    "by_category": dict(r.counts("category")), "commit": r.commit_sha} for r in series],
        "owners": owner_rows[:TOP], "authors": authors.most_common(TOP),
        "oldest_hacks": hacks[:TOP], "stale_models": aged("stale-model")[:TOP],
        "ownerless": [f for f in latest_findings if f.get("category") == "ownerless-pipeline"][:TOP],
        "files_grew": grew[:TOP],
    }


_SEV_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def _severity_key(finding: dict[str, Any]) -> tuple:
    return (_SEV_ORDER.get(finding.get("severity"), 9), finding.get("path") or "", finding.get("line") or 0)


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
        lines.append({"key": key, "colour": CATEGORY_COLOURS.get(key, "#4477aa"),
                      "path": " ".join(f"{px},{py}" for px, py, _, _ in points),
                      "points": [{"x": px, "y": py, "title": f"{key} {p['day']}: {v:g}"} for px, py, p, v in points]})
    ticks = [{"y": y(top_value * f), "label": f"{top_value * f:.0f}"} for f in (0, 0.5, 1)]
    return {"width": width, "height": height, "lines": lines, "ticks": ticks, "left": left,
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
    from auditor.report.html import _asset, _environment

    template = _environment().get_template("team_report.html.j2")
    return template.render(report=report, css=_asset("report.css"), colours=CATEGORY_COLOURS)


def _signed(n: float | None, digits: int = 0) -> str:
    if n is None:
        return "n/a"
    return f"{n:+.{digits}f}"


def render_team_markdown(report: dict[str, Any]) -> str:
    out = [f"## {report['title']}", "", f"Period {report['start']} to {report['end']}.", ""]
    if report["fleet"]:
        out += ["| repository | grade | score | change | findings | change | new | fixed |",
                "|---|---|---|---|---|---|---|---|"]
        for r in report["repos"]:
            score = f"{r['score']:.0f}" if r["score"] is not None else "n/a"
            out.append(f"| {r['repo']} | {r['grade'] or 'n/a'} | {score} | {_signed(r['score_delta'])} | "
                       f"{r['findings']} | {_signed(r['findings_delta'])} | {len(r['new'])} | {len(r['fixed'])} |")
        out.append("")
    for r in report["repos"]:
        if report["fleet"]:
            out += [f"### {r['repo']}", ""]
        if r["latest"] is None:
            out += ["No scan recorded in this period.", ""]
            continue
        score = f"{r['score']:.0f}/100 ({r['grade']})" if r["score"] is not None else "not scored"
        out.append(f"- Readiness {score}, {_signed(r['score_delta'])} over the period; "
                   f"{r['findings']} findings ({_signed(r['findings_delta'])}): "
                   f"{len(r['new'])} new, {len(r['fixed'])} fixed.")
        if r["owners"]:
            out.append("- Debt by owner: " + ", ".join(
                f"{o['owner']} {o['now']} ({_signed(o['delta'])})" for o in r["owners"][:6]))
        if r["files_grew"]:
            out.append("- Debt grew most in: " + ", ".join(f"`{p}` (+{d})" for p, d, _ in r["files_grew"][:5]))
        if r["oldest_hacks"]:
            oldest = r["oldest_hacks"][0]
            out.append(f"- Oldest unticketed hack: `{oldest['path']}:{oldest.get('line')}` "
                       f"({(oldest.get('evidence') or {}).get('age_days', 0):.0f} days) {oldest['message']}")
        for f in r["stale_models"][:3]:
            out.append(f"- Stale model: `{f['path']}`: {f['message']}")
        for f in r["ownerless"][:3]:
            out.append(f"- Ownerless pipeline: `{f['path']}`: {f['message']}")
        if r["new"]:
            out += ["", "New findings:", ""]
            out += [f"- **{f['severity']}** `{f['path']}:{f.get('line') or '-'}` {f['message']} ({f['rule']})"
                    for f in r["new"][:10]]
            if len(r["new"]) > 10:
                out.append(f"- ... and {len(r['new']) - 10} more")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
