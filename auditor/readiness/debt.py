"""Findings feed the readiness score: weighted by severity and confidence, per 1,000 lines of Python."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from auditor.finding import SEVERITIES, Finding
from auditor.readiness.model import FAIL, PARTIAL, PASS, Check, Evidence, Findings, FindingsCheck, evidence, no_gathering

SEVERITY_WEIGHT = {"info": 0.0, "low": 1.0, "medium": 3.0, "high": 6.0, "critical": 10.0}
CONFIDENCE_WEIGHT = {"low": 0.4, "medium": 0.7, "high": 1.0}
FLOOR_LINES = 1000  # a 200-line repository is judged as if it had 1,000 lines: one finding is not a disaster
SATURATION = 12.0  # weighted findings per 1,000 lines at which a findings check scores 0


def weight(finding: Finding) -> float:
    return SEVERITY_WEIGHT.get(finding.severity, 1.0) * CONFIDENCE_WEIGHT.get(finding.confidence, 0.7)


def density(findings: Iterable[Finding], python_lines: int) -> float:
    """Weighted findings per 1,000 lines of Python (notebooks included)."""
    return 1000.0 * sum(weight(f) for f in findings) / max(python_lines, FLOOR_LINES)


def findings_check(id: str, title: str, categories: tuple[str, ...]) -> FindingsCheck:
    """A check scored by the weighted density of the findings in ``categories``."""
    return FindingsCheck(no_gathering, "findings", {"id": id, "title": title, "categories": list(categories)})


def judge_findings(id: str, title: str, found: Findings, categories: tuple[str, ...]) -> Check:
    rules_ran = found.rule_categories is None or bool(found.rule_categories & set(categories))
    findings = found.findings_in(categories)
    value = density(findings, found.python_lines)
    points = max(0.0, 1.0 - value / SATURATION)
    worst = sorted(findings, key=lambda f: (-weight(f), f.path, f.line or 0))
    where = evidence(Evidence(f.path, f.line) for f in worst[:20])
    select = ",".join(categories)
    if not findings or value == 0:
        note = "" if rules_ran else " (none of the rules for these categories ran)"
        return Check(id, title, PASS, where, f"No findings in {', '.join(categories)}{note}.", points)
    counts = Counter(f.severity for f in findings)
    summary = ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES) if counts[s])
    status = PARTIAL if points >= 0.5 else FAIL
    return Check(id, title, status, where,
                 f"{len(findings)} finding(s) ({summary}): {value:.1f} weighted per 1,000 lines of Python, so this "
                 f"check scores {round(100 * points)}/100. Fix them: `mlaudit scan --select {select}`.", points)
