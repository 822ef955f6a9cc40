"""What ``mlaudit fix`` says: the fixes made, the ones that could not be, and what is left.

Pure functions of a fix run's outcome (``auditor.fix.run.FixOutcome``), like the reporters.
"""

from __future__ import annotations

from auditor.report.common import location


def summary(outcome, *, diff: bool, verbose: bool) -> list[str]:
    lines = []
    files = len(outcome.after)
    verb = "would fix" if diff else "fixed"
    if outcome.fixed:
        kinds = ", ".join(f"{kind} {count}" for kind, count in outcome.counts().items())
        lines.append(f"mlaudit fix: {verb} {len(outcome.fixed)} finding(s) in {files} file(s) ({kinds}), "
                     f"in {outcome.rounds} round(s)")
        if verbose:
            lines += [f"  {location(p.finding)}  {p.finding.rule}  {p.kind}" for p in outcome.fixed]
    else:
        lines.append("mlaudit fix: nothing to fix" + (" (safe fixes)" if outcome.needs_unsafe else ""))
    if outcome.not_fixed:
        lines.append(f"  {len(outcome.not_fixed)} fix(es) could not be made:")
        shown = outcome.not_fixed if verbose else outcome.not_fixed[:20]
        lines += [f"    {location(p.finding)}  {p.finding.rule}  {p.skipped}" for p in shown]
        if len(shown) < len(outcome.not_fixed):
            lines.append(f"    ... and {len(outcome.not_fixed) - len(shown)} more (-v lists them)")
    for path, why in sorted(outcome.left_alone.items()):
        lines.append(f"  left alone: {path}: {why}")
    if outcome.needs_unsafe:
        lines.append(f"  {outcome.needs_unsafe} more fix(es) can change behaviour: review them with "
                     "`mlaudit fix --diff --unsafe-fixes`, apply them with --unsafe-fixes")
    if outcome.unfinished:
        lines.append("  stopped after the last round with fixes still offered: run mlaudit fix again")
    final = outcome.final
    if final is not None:
        lines.append(f"  {len(final.findings)} finding(s) remain" + ("" if diff else ": mlaudit scan lists them"))
    return lines


def ignore_summary(written: dict[str, int], refused: list, *, diff: bool) -> list[str]:
    total = sum(written.values())
    verb = "would add" if diff else "added"
    lines = [f"mlaudit fix: {verb} {total} ignore directive(s) in {len(written)} file(s)"]
    if refused:
        lines.append(f"  {len(refused)} finding(s) could not be annotated:")
        lines += [f"    {location(f)}  {f.rule}  {why}" for f, why in refused[:20]]
        if len(refused) > 20:
            lines.append(f"    ... and {len(refused) - 20} more")
    return lines
