"""Terminal output: findings grouped by file, then a summary by category and severity."""

from __future__ import annotations

from collections import Counter, defaultdict

import click

from auditor.finding import CATEGORIES, SEVERITIES
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
    by_file = defaultdict(list)
    for finding in result.findings:
        by_file[finding.path].append(finding)
    if not quiet:
        for path, findings in by_file.items():
            out.append(style(path, bold=True))
            for f in findings:
                sev = style(f"{f.severity:<8}", fg=_COLOURS.get(f.severity))
                out.append(f"  {_location(f):>10}  {f.rule}  {sev} {f.message}  [{f.category}]")
                if verbose and f.evidence:
                    details = ", ".join(f"{k}={v}" for k, v in f.evidence.items())
                    out.append(f"{'':14}{style(details, dim=True)}")
            out.append("")
    if result.skipped and (verbose or not quiet):
        out.append(style(f"Skipped {len(result.skipped)} file(s):", bold=True))
        shown = result.skipped if verbose else result.skipped[:10]
        for path, reason in shown:
            out.append(f"  {path}: {reason}")
        if len(shown) < len(result.skipped):
            out.append(f"  ... and {len(result.skipped) - len(shown)} more (-v lists all)")
        out.append("")
    if result.degraded and verbose:
        out.append(style(f"Analysed with caveats ({len(result.degraded)}):", bold=True))
        out.extend(f"  {path}: {reason}" for path, reason in result.degraded)
        out.append("")
    if getattr(result, "suppressed", None) and verbose:
        out.append(style(f"Suppressed ({len(result.suppressed)}):", bold=True))
        for f in result.suppressed:
            by = f.evidence.get("suppressed_by", {})
            out.append(f"  {f.path}:{_location(f)}  {f.rule}  {by.get('kind', '')}: {by.get('reason', '')}")
        out.append("")
    for error in result.errors:
        first = error["error"].strip().splitlines()[-1] if error.get("error") else ""
        out.append(style(f"internal error in {error['rule']} on {error['path'] or 'project'}: {first}", fg="red"))
    if result.errors:
        out.append("")

    out.extend(render_readiness(getattr(result, "readiness", None), style, verbose=verbose, quiet=quiet))
    by_category = Counter(f.category for f in result.findings)
    by_severity = Counter(f.severity for f in result.findings)
    scope = f"{result.files} files ({result.python_files} Python, {result.notebooks} notebooks, " \
            f"{result.python_lines:,} lines of code) in {result.duration:.1f}s"
    out.append(style(f"mlaudit {result.version}: {len(result.findings)} finding(s) in {scope}", bold=True))
    if result.findings:
        cats = ", ".join(f"{c} {by_category[c]}" for c in CATEGORIES if by_category[c])
        sevs = ", ".join(f"{s} {by_severity[s]}" for s in reversed(SEVERITIES) if by_severity[s])
        out.append(f"  by category: {cats}")
        out.append(f"  by severity: {sevs}")
    if not result.git.available:
        out.append(f"  note: {result.git.reason}")
    elif result.git.partial:
        out.append(f"  note: {result.git.reason}")
    if result.errors:
        out.append(style(f"  exit 3: {len(result.errors)} internal error(s); results may be incomplete", fg="red"))
    else:  # the gate: which condition failed, and what a baseline or --since left out
        from auditor.gate import summary_lines

        for line in summary_lines(result):
            failed = line.startswith(("exit 1", "exit 2")) or line.startswith("  - ")
            out.append(style(f"  {line}", fg="red") if failed else f"  {line}")
    return "\n".join(out) + "\n"
