"""What every reporter needs: rule metadata, a stable order, debt weights, locations, ages."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from typing import Any

from auditor.finding import SEVERITIES, Finding, severity_rank

SEVERITIES_DESC = tuple(reversed(SEVERITIES))

# Debt points per finding by severity: the ordering of "top files" and "top owners" in reports.
# A simple, visible weighting (shown in the HTML report) rather than a hidden formula.
DEBT_WEIGHTS = {"critical": 13, "high": 8, "medium": 3, "low": 1, "info": 0}

PROJECT_WIDE = "(project)"  # shown for findings without a file


def severity_order(finding: Finding) -> tuple:
    """Worst first, then by rule and position: the order of every list in every report."""
    return (-severity_rank(finding.severity), finding.rule, finding.path, finding.cell or 0,
            finding.line or 0, finding.message)


def ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=severity_order)


def rule_catalogue(result) -> dict[str, dict[str, Any]]:
    """Rule id -> name, summary, description, rationale, remediation, category, severity for every
    rule that ran or that a finding names."""
    from auditor import registry

    classes = {rule.id: rule for rule in result.selected_rules()}
    for rule_id in {finding.rule for finding in result.findings} - set(classes):
        rule = registry.get_rule(rule_id)
        if rule is not None:
            classes[rule.id] = rule
    catalogue = {}
    for rule_id, rule in sorted(classes.items()):
        catalogue[rule_id] = {
            "id": rule_id, "name": rule.name, "summary": rule.summary(), "description": rule.description(),
            "rationale": " ".join(rule.rationale.split()), "remediation": " ".join(rule.remediation.split()),
            "category": rule.category, "severity": rule.severity, "confidence": rule.confidence,
            "help_uri": rule.page_url(),
        }
    return catalogue


def location(finding: Finding) -> str:
    path = finding.path or PROJECT_WIDE
    if finding.cell is not None:
        return f"{path} (cell {finding.cell}, line {finding.line or '?'})"
    return f"{path}:{finding.line}" if finding.line is not None else path


def top_by(findings: list[Finding], key, limit: int = 15) -> list[dict[str, Any]]:
    """Groups (by file, by owner, ...) ordered by debt points, then by count."""
    totals: dict[str, list[int]] = {}
    for finding in findings:
        weight = DEBT_WEIGHTS.get(finding.severity, 0)
        for name in key(finding):
            entry = totals.get(name)
            if entry is None:
                totals[name] = [weight, 1]
            else:
                entry[0] += weight
                entry[1] += 1
    top = sorted(totals.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:limit]
    wanted = {name for name, _ in top}
    severities: dict[str, Counter] = {name: Counter() for name in wanted}
    for finding in findings:
        for name in key(finding):
            if name in wanted:
                severities[name][finding.severity] += 1
    return [{"name": name, "debt": debt_points, "count": count,
             "by_severity": {s: severities[name][s] for s in SEVERITIES_DESC if severities[name][s]}}
            for name, (debt_points, count) in top]


UNOWNED = "(no owner)"


def owners_of(finding: Finding) -> tuple[str, ...]:
    return finding.owners or (UNOWNED,)


def age_days(result, finding: Finding) -> int | None:
    """Age in days: the rule's own evidence when it has one, else the file's last commit."""
    value = finding.evidence.get("age_days") if isinstance(finding.evidence, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    git = getattr(result, "git", None)
    if git is None or not git.available:
        return None
    last = git.last_commit_time(finding.path)
    if last is None:
        return None
    now = result.started or last
    return max(0, int((now - last) // 86400))


def author(result, finding: Finding) -> str | None:
    value = finding.evidence.get("author") if isinstance(finding.evidence, dict) else None
    if isinstance(value, str) and value:
        return value
    git = getattr(result, "git", None)
    info = git.paths.get(finding.path) if git is not None and git.available else None
    return info.last_author if info else None


def iso_time(epoch: float | None) -> str:
    if not epoch:
        return ""
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def readiness(result) -> dict[str, Any] | None:
    """The readiness section when the scan computed one (a dict), else None."""
    value = getattr(result, "readiness", None)
    if value is None:
        return None
    if hasattr(value, "to_json"):
        value = value.to_json()
    return value if isinstance(value, dict) else None


def failing_checks(ready: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Readiness checks that fail or partly pass, with their dimension, failures first."""
    if not ready:
        return []
    rows = []
    dimensions = ready.get("dimensions") or {}
    for name, dimension in dimensions.items() if isinstance(dimensions, dict) else ():
        for check in (dimension or {}).get("checks") or []:
            if isinstance(check, dict) and check.get("status") in ("fail", "partial"):
                rows.append(dict(check, dimension=name))
    rows.sort(key=lambda c: (c.get("status") != "fail", str(c.get("dimension")), str(c.get("id"))))
    return rows


def gate_summary(result) -> dict[str, Any] | None:
    """The quality gate (auditor/ci/gate.py) as data, with the only-new notes, or None without one:
    ``{"passed", "enforced", "scope", "conditions", "failed": [sentences], "notes": [sentences]}``."""
    from auditor.ci.gate import describe_new, evaluate

    if getattr(result, "config", None) is None:
        return None
    try:
        data = evaluate(result).to_json(bool(getattr(result, "exit_zero", False)))
    except Exception:  # a report must still render when the gate cannot be evaluated
        return None
    try:
        data["notes"] = describe_new(result)
    except Exception:
        data["notes"] = []
    return data
