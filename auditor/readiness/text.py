"""The readiness section of the terminal report: scores, the rollback estimate and its reasoning, and
the checks that do not pass, each with where it looked and how to fix it."""

from __future__ import annotations

import textwrap
from typing import Any, Callable

from auditor.readiness.model import Evidence

_STATUS_COLOUR = {"pass": "green", "partial": "yellow", "fail": "red"}
_TITLES = {"traceability": "Traceability", "reproducibility": "Reproducibility", "rollback": "Rollback",
           "monitoring": "Monitoring", "release_safety": "Release safety", "ownership_testing": "Ownership & testing"}


def _bar(score: float, width: int = 20) -> str:
    filled = int(round(width * score / 100))
    return "#" * filled + "." * (width - filled)


def _evidence_lines(evidence: list[dict[str, Any]], limit: int = 4) -> list[str]:
    """One line per piece of evidence: where it is and what it shows."""
    lines = [Evidence.from_json(e).shown() + (f"  {e['why']}" if e.get("why") else "") for e in evidence[:limit]]
    more = len(evidence) - limit
    if more > 0:
        lines[-1] += f"  (+{more} more in the JSON report)"
    return lines


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False)


def _minutes(value: int | None) -> str:
    if value is None:
        return "not applicable"
    if value >= 120:
        return f"about {value // 60} hours ({value} min)"
    return f"about {value} minutes"


def render_readiness(readiness: dict[str, Any] | None, style: Callable[..., str], *, verbose: bool = False,
                     quiet: bool = False) -> list[str]:
    if not readiness:
        return []
    out: list[str] = []
    head = f"Operational readiness: {readiness['score']:.1f}/100, grade {readiness['grade']}; " \
           f"rollback {_minutes(readiness.get('rollback_minutes'))}"
    out.append(style(head, bold=True))
    if quiet:
        return out + [""]
    not_passing = 0
    for name, dim in readiness["dimensions"].items():
        counts = {s: sum(1 for c in dim["checks"] if c["status"] == s) for s in ("pass", "partial", "fail")}
        not_passing += counts["partial"] + counts["fail"]
        out.append(f"  {_TITLES.get(name, name):<20} {dim['score']:5.1f}  {_bar(dim['score'])}  weight {dim['weight']:g}"
                   f"   ({counts['pass']} pass, {counts['partial']} partial, {counts['fail']} fail)")
    if not verbose:  # the block stays short; the reasoning and the checks are one -v away
        return out + [f"  {not_passing} check(s) do not pass: -v shows each with where it looked and how to fix it, "
                      "and the rollback reasoning", ""]
    rollback = readiness.get("rollback") or {}
    out.append("")
    out.append(style(f"  Rollback to the previous model: {_minutes(rollback.get('estimate_minutes'))}, because", bold=True))
    for reason in rollback.get("reasoning", []):
        out.extend(_wrap(reason, 104, "    - ", "      "))
    if rollback.get("to_get_under_5"):
        out.append("    To get under 5 minutes:")
        for step in rollback["to_get_under_5"]:
            out.extend(_wrap(step, 104, "    * ", "      "))
    out.append("")
    shown = ("pass", "partial", "fail")
    label = "All checks"
    out.append(style(f"  {label}:", bold=True))
    for dim in readiness["dimensions"].values():
        for c in dim["checks"]:
            if c["status"] not in shown:
                continue
            status = style(f"{c['status']:<7}", fg=_STATUS_COLOUR.get(c["status"]))
            out.append(f"    {c['id']:<11} {status} {c['title']}")
            for line in _evidence_lines(c["evidence"]):
                out.append(style(f"{'':24}at {line}", dim=True))
            for line in _evidence_lines(c.get("rejected") or [], limit=3):
                out.append(style(f"{'':24}not counted: {line}", dim=True))
            if c["fix"]:
                out.extend(_wrap(c["fix"], 100, " " * 24, " " * 24))
    out.append("")
    out.extend(_wrap(readiness.get("formula", ""), 108, "  How the score is computed: ", "    "))
    out.append("")
    return out
