"""Terminal output: findings grouped by file, then a summary by category and severity."""

from __future__ import annotations

from collections import Counter, defaultdict

import click

from auditor.finding import CATEGORIES, SEVERITIES, confidence_rank, severity_rank
from auditor.readiness.text import render_readiness

_COLOURS = {"critical": "magenta", "high": "red", "medium": "yellow", "low": "cyan", "info": "white"}


def _location(finding) -> str:
    if finding.cell is not None:
        return f"cell {finding.cell}:{finding.line or '-'}"
    return str(finding.line) if finding.line is not None else "-"


def render_text(result, *, color: bool = False, verbose: bool = False, quiet: bool = False) -> str:
    def style(text: str, **kw) -> str:
        return click.style(text, **kw) if color else text

    out: list[str] = []
    comparison = getattr(result, "baseline", None) or getattr(result, "since", None)
    if comparison and not result.findings and not result.errors:
        return "\n".join(_summary(result, style, verbose)) + "\n"  # nothing new: the verdict and the counts
    if not quiet:
        out += _units(result, style, verbose)
        # info findings are context (course exercises, template instructions): listed with -v,
        # counted in the summary otherwise
        listed = result.findings if verbose else [f for f in result.findings if f.severity != "info"]
        out += _fix_first(listed, style)
        out += _findings_by_file(listed, style, verbose)
    if result.skipped and (verbose or not quiet):
        out += _skipped(result.skipped, style, verbose)
    if verbose:
        out += _degraded(result.degraded, style) + _suppressed(getattr(result, "suppressed", None), style)
    out += _errors(result.errors, style)
    out.extend(render_readiness(getattr(result, "readiness", None), style, verbose=verbose, quiet=quiet))
    out += _summary(result, style, verbose)
    return "\n".join(out) + "\n"


def _units(result, style, verbose: bool, limit: int = 15) -> list[str]:
    """A repository of several units: each unit's score, grade and counts, worst first."""
    units = (getattr(result, "readiness", None) or {}).get("units") or []
    if not units:
        return []
    highs = Counter(f.unit for f in result.findings if f.severity in ("high", "critical"))
    out = [style(f"Units: {len(units)} projects in this repository, worst readiness first", bold=True),
           f"  {'score':>5}  grade  {'lines':>7}  {'findings':>8}  {'high':>4}  unit"]
    shown = units if verbose else units[:limit]
    for unit in shown:
        out.append(f"  {unit['score']:5.1f}  {unit['grade']:^5}  {unit['lines']:7,}  {unit['findings']:8,}"
                   f"  {highs[unit['unit']]:4}  {unit['unit']}")
    if len(shown) < len(units):
        out.append(f"  ... and {len(units) - len(shown)} more (-v lists all; JSON readiness.units has each unit's checks)")
    out.append("")
    return out


FIX_FIRST = 10


def _fix_first(findings, style) -> list[str]:
    """The findings to act on first: the highest severities, the surest first, then by file. Only
    for a listing long enough to need it, and only for findings worth fixing this quarter."""
    urgent = [f for f in findings if severity_rank(f.severity) >= severity_rank("medium")]
    if len(findings) <= FIX_FIRST or not urgent:
        return []
    urgent.sort(key=lambda f: (-severity_rank(f.severity), -confidence_rank(f.confidence), f.path, f.line or 0))
    out = [style(f"Fix first ({min(len(urgent), FIX_FIRST)} of {len(urgent)} at medium or above):", bold=True)]
    for f in urgent[:FIX_FIRST]:
        sev = style(f"{f.severity:<8}", fg=_COLOURS.get(f.severity))
        where = f"{f.path}:{_location(f)}" if f.line is not None or f.cell is not None else f.path
        out.append(f"  {sev} {where}  {f.rule}  {f.message}")
    out.append("")
    return out


def _findings_by_file(findings, style, verbose: bool) -> list[str]:
    by_file = defaultdict(list)
    for finding in findings:
        by_file[finding.path].append(finding)
    out: list[str] = []
    for path, in_file in by_file.items():
        out.append(style(path, bold=True))
        for f in in_file:
            sev = style(f"{f.severity:<8}", fg=_COLOURS.get(f.severity))
            out.append(f"  {_location(f):>10}  {f.rule}  {sev} {f.message}  [{f.category}]{_fix_mark(f)}")
            if verbose and f.evidence:
                details = ", ".join(f"{k}={v}" for k, v in f.evidence.items())
                out.append(f"{'':14}{style(details, dim=True)}")
        out.append("")
    return out


def _fix_mark(finding) -> str:
    """ruff's mark for a finding `mlaudit fix` repairs; a fix that may change behaviour says so."""
    if not finding.fix:
        return ""
    return " [*]" if finding.fix.get("applicability") == "safe" else " [*unsafe]"


def _fixable_note(findings) -> list[str]:
    safe = sum(1 for f in findings if f.fix and f.fix.get("applicability") == "safe")
    unsafe = sum(1 for f in findings if f.fix and f.fix.get("applicability") == "unsafe")
    if not safe and not unsafe:
        return []
    parts = [f"{safe} fixable with `mlaudit fix` [*]"] if safe else []
    if unsafe:
        parts.append(f"{unsafe} more with `mlaudit fix --unsafe-fixes` [*unsafe] (review them with --diff)")
    return ["  " + "; ".join(parts)]


def _skipped(skipped, style, verbose: bool) -> list[str]:
    out = [style(f"Skipped {len(skipped)} file(s):", bold=True)]
    shown = skipped if verbose else skipped[:10]
    out += [f"  {path}: {reason}" for path, reason in shown]
    if len(shown) < len(skipped):
        out.append(f"  ... and {len(skipped) - len(shown)} more (-v lists all)")
    out.append("")
    return out


def _degraded(degraded, style) -> list[str]:
    if not degraded:
        return []
    out = [style(f"Analysed with caveats ({len(degraded)}):", bold=True)]
    out += [f"  {path}: {reason}" for path, reason in degraded]
    out.append("")
    return out


def _suppressed(suppressed, style) -> list[str]:
    if not suppressed:
        return []
    out = [style(f"Suppressed ({len(suppressed)}):", bold=True)]
    for f in suppressed:
        by = f.evidence.get("suppressed_by", {})
        out.append(f"  {f.path}:{_location(f)}  {f.rule}  {by.get('kind', '')}: {by.get('reason', '')}")
    out.append("")
    return out


def _errors(errors, style) -> list[str]:
    out = []
    for error in errors:
        first = error["error"].strip().splitlines()[-1] if error.get("error") else ""
        out.append(style(f"internal error in {error['rule']} on {error['path'] or 'project'}: {first}", fg="red"))
    if errors:
        out.append("")
    return out


def _cache_note(cache: dict) -> str:
    """What the scan reused, so a slow CI scan can be told from one whose cache was lost."""
    if cache.get("whole_scan_reused"):
        return "nothing changed since the last scan today: its result is reused"
    hits, analysed = cache.get("hits", 0), cache.get("analysed", 0)
    if not hits:
        return ""
    note = f"{hits} of {hits + analysed} Python files and notebooks unchanged"
    if cache.get("project_phase_reused"):
        note += "; the project-wide analysis is reused (no module's facts changed)"
    elif cache.get("project_rules_reused"):
        note += (f"; {cache['project_rules_reused']} of {cache.get('project_rules', 0)} project-wide rules "
                 "reused (the facts they read are unchanged)")
    return note


def _what_was_left_out(result, verbose: bool) -> list[str]:
    """The summary's notes on what the listing does not show, and how the dead-code analysis
    judged the project (application or library)."""
    out = []
    scope = getattr(result, "scope", None)
    if scope:
        shown = ", ".join(scope[:3]) + (f" and {len(scope) - 3} more" if len(scope) > 3 else "")
        out.append(f"  findings in {shown} only, from an analysis of the whole repository; no readiness score")
    out += _fixable_note(result.findings)
    info = sum(f.severity == "info" for f in result.findings)
    if info and not verbose:
        out.append(f"  {info} info finding(s) not listed: -v lists them")
    kind = getattr(result, "kind", None)
    if kind:
        out.append(f"  judged as {'an' if kind[0] == 'application' else 'a'} {kind[0]}: {kind[1]} "
                   "(set kind in [tool.mlaudit] to change it)")
    below_severity = getattr(result, "below_min_severity", 0)
    if below_severity:
        out.append(f"  {below_severity} finding(s) below {result.config.min_severity} severity left out (min-severity)")
    below = getattr(result, "below_min_confidence", 0)
    if below:
        out.append(f"  {below} finding(s) less certain than {result.config.min_confidence} confidence hidden: "
                   "--min-confidence low shows them")
    return out


def _summary(result, style, verbose: bool = False) -> list[str]:
    scope = f"{result.files} files ({result.python_files} Python, {result.notebooks} notebooks, " \
            f"{result.python_lines:,} lines of code) in {result.duration:.1f}s"
    out = [style(f"mlaudit {result.version}: {len(result.findings)} finding(s) in {scope}", bold=True)]
    if result.findings:
        by_category = Counter(f.category for f in result.findings)
        by_severity = Counter(f.severity for f in result.findings)
        cats = ", ".join(f"{c} {by_category[c]}" for c in CATEGORIES if by_category[c])
        sevs = ", ".join(f"{s} {by_severity[s]}" for s in reversed(SEVERITIES) if by_severity[s])
        out.append(f"  by category: {cats}")
        out.append(f"  by severity: {sevs}")
    out += _what_was_left_out(result, verbose)
    if not result.git.available or result.git.partial:
        out.append(f"  note: {result.git.reason}")
    cache_note = _cache_note(result.cache or {})
    if cache_note:
        out.append(f"  cache: {cache_note}")
    if result.errors:
        out.append(style(f"  exit 3: {len(result.errors)} internal error(s); results may be incomplete", fg="red"))
        return out
    # the gate: which condition failed, and what a baseline or --since left out
    from auditor.ci.gate import summary_lines

    for line in summary_lines(result):
        failed = line.startswith(("exit 1", "exit 2")) or line.startswith("  - ")
        out.append(style(f"  {line}", fg="red") if failed else f"  {line}")
    return out
