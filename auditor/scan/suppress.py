"""The suppression pass: after every rule has run, directives and ``per-file-ignores`` hide findings.

A directive on its own line covers the lines below it down to the first line of code; a directive
after code covers its own line only. ``ignore-file[...]`` covers the whole file, and the
``per-file-ignores`` configuration table (path glob -> selectors) covers every matching path.
A directive without a reason, without a rule, naming an unknown rule, or with an unreadable expiry
suppresses nothing, and this pass reports it (ML420); an expired one suppresses nothing and the
finding says it expired; a valid one that matches no finding is reported (ML421), but only when
every rule it names ran. The directives themselves are read by auditor/analysis/directives.py.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Iterable

from auditor import registry
from auditor.analysis.directives import FACT, Directive, reason_is_given
from auditor.analysis.directives import collect as collect_directives
from auditor.finding import Finding

__all__ = ["FACT", "OWN_RULES", "Outcome", "apply", "collect"]

UNREASONED_RULE = "ML420"
UNUSED_RULE = "ML421"
OWN_RULES = (UNREASONED_RULE, UNUSED_RULE)


def collect(project) -> list[Directive]:
    """Every directive of the repository, each one that names an unknown rule marked so."""
    directives = collect_directives(project)
    for directive in directives:
        if directive.selectors and reason_is_given(directive.reason):
            unknown = [s for s in directive.selectors if not registry.validate_selector(s)]
            if unknown:
                directive.problem = f"names unknown rule or category {', '.join(unknown)}"
    return directives


def _rule_matches(selector: str, rule_id: str) -> bool:
    rule = registry.get_rule(rule_id)
    return rule is not None and registry.selector_matches(selector, rule)


def _knowable(selectors: Iterable[str], ran: set[str]) -> bool:
    """True when every rule a selector names ran, so "matched nothing" is a fact, not a guess."""
    for selector in selectors:
        named = [r.id for r in registry.all_rules().values() if registry.selector_matches(selector, r)]
        if not named or any(rule_id not in ran for rule_id in named):
            return False
    return True


@dataclass
class Outcome:
    kept: list[Finding]
    suppressed: list[Finding]


def _path_ignores(per_file_ignores: dict[str, list[str]]) -> list:
    """[per-file-ignores] as (pattern, its gitignore spec, selectors)."""
    if not per_file_ignores:
        return []
    import pathspec  # only for a configuration that has per-file ignores

    return [(pattern, pathspec.GitIgnoreSpec.from_lines([pattern]), selectors)
            for pattern, selectors in per_file_ignores.items()]


def apply(findings: list[Finding], project, ran: Iterable[str], today: _dt.date | None = None) -> Outcome:
    """Split findings into kept and suppressed; add ML421 findings for directives that match nothing."""
    today = today or _dt.datetime.fromtimestamp(project.now or 0, _dt.timezone.utc).date()
    directives = collect(project)
    by_path: dict[str, list[Directive]] = {}
    for directive in directives:
        by_path.setdefault(directive.path, []).append(directive)
    path_ignores = _path_ignores(getattr(project.config, "per_file_ignores", None) or {})
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        if finding.rule in OWN_RULES:
            kept.append(finding)
            continue
        by, lapsed = _directive_suppression(finding, by_path.get(finding.path, ()), today)
        if by is None and finding.path:
            by = _configured_suppression(finding, path_ignores)
        if by is not None:
            suppressed.append(finding.with_changes(evidence={**finding.evidence, "suppressed_by": by}))
        else:
            kept.append(_note_lapsed(finding, lapsed))
    kept.extend(_unreasoned(directives, set(ran)))
    kept.extend(_unused(directives, project, set(ran)))
    return Outcome(kept, suppressed)


def _directive_suppression(finding: Finding, directives: Iterable[Directive],
                           today: _dt.date) -> tuple[dict[str, Any] | None, Directive | None]:
    """(how a valid directive suppresses the finding or None, the first expired one that would have).
    Marks every directive that matches as used, expired or not."""
    lapsed = None
    for directive in directives:
        if directive.problem is not None:
            continue
        if directive.scope == "line" and (finding.line, finding.cell) not in directive.covers:
            continue
        if not any(_rule_matches(s, finding.rule) for s in directive.selectors):
            continue
        directive.used = True
        if directive.expired(today):
            lapsed = lapsed or directive
            continue
        return {"kind": f"inline {directive.scope}" if directive.scope == "line" else "file",
                "line": directive.line, "reason": directive.reason, "until": directive.until}, lapsed
    return None, lapsed


def _configured_suppression(finding: Finding, path_ignores) -> dict[str, Any] | None:
    """The ``per-file-ignores`` entry that covers the finding, if any."""
    for pattern, spec, selectors in path_ignores:
        if spec.match_file(finding.path) and any(_rule_matches(s, finding.rule) for s in selectors):
            return {"kind": "per-file-ignores", "pattern": pattern, "reason": "configuration"}
    return None


def _note_lapsed(finding: Finding, lapsed: Directive | None) -> Finding:
    """A finding kept because its suppression expired says so, with the old reason."""
    if lapsed is None:
        return finding
    return finding.with_changes(
        message=f"{finding.message} (its suppression expired on {lapsed.until}: {lapsed.reason})",
        evidence={**finding.evidence, "suppression_expired": {"line": lapsed.line, "until": lapsed.until,
                                                              "reason": lapsed.reason}})


def _unused(directives: list[Directive], project, ran: set[str]) -> list[Finding]:
    """ML421 findings for valid directives that matched nothing, when every rule they name ran."""
    unused_rule = registry.all_rules().get(UNUSED_RULE)
    if unused_rule is None or UNUSED_RULE not in ran:
        return []
    reporter = unused_rule()
    return [reporter.unused(directive, project) for directive in directives
            if directive.problem is None and not directive.used and _knowable(directive.selectors, ran)]


def _unreasoned(directives: list[Directive], ran: set[str]) -> list[Finding]:
    """ML420 findings: directives that suppress nothing, and why."""
    rule = registry.all_rules().get(UNREASONED_RULE)
    if rule is None or UNREASONED_RULE not in ran:
        return []
    reporter = rule()
    return [reporter.ineffective(directive) for directive in directives if directive.problem is not None]
