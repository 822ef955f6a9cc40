"""Findings feed the readiness score: weighted by severity and confidence, per 1,000 lines of Python."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from auditor.finding import SEVERITIES, Finding
from auditor.readiness.model import FAIL, PARTIAL, PASS, Evidence, Findings, ReadinessCheck, Rung, Verdict, evidence, no_gathering, verdict

SEVERITY_WEIGHT = {"info": 0.0, "low": 1.0, "medium": 3.0, "high": 6.0, "critical": 10.0}
CONFIDENCE_WEIGHT = {"low": 0.4, "medium": 0.7, "high": 1.0}
FLOOR_LINES = 1000  # a 200-line repository is judged as if it had 1,000 lines: one finding is not a disaster
SATURATION = 12.0  # weighted findings per 1,000 lines at which a findings check scores 0


def weight(finding: Finding) -> float:
    return SEVERITY_WEIGHT.get(finding.severity, 1.0) * CONFIDENCE_WEIGHT.get(finding.confidence, 0.7)


def density(findings: Iterable[Finding], python_lines: int) -> float:
    """Weighted findings per 1,000 lines of Python (notebooks included)."""
    return 1000.0 * sum(weight(f) for f in findings) / max(python_lines, FLOOR_LINES)


_WEIGHED = ("{count} finding(s) ({summary}): {density} weighted per 1,000 lines of Python, so this check scores "
            "{score}/100. Fix them: `mlaudit scan --select {select}`.")
# The ladder of every check that weighs findings: it scores max(0, 1 - density / SATURATION).
FINDINGS_LADDER = (
    Rung("clean", PASS, "no finding in these categories (or none of their rules ran)",
         "No findings in {categories}{note}."),
    Rung("some", PARTIAL, "findings weigh less than half the saturation density (the check scores 50 to 99)",
         _WEIGHED),
    Rung("many", FAIL, "findings weigh half the saturation density or more (the check scores below 50)",
         _WEIGHED),
)


def findings_check(id: str, title: str, dimension: str, categories: tuple[str, ...]) -> ReadinessCheck:
    """A check scored by the weighted density of the findings in ``categories``."""
    return ReadinessCheck(id, title, dimension, f"the scan's findings in {', '.join(categories)}, weighted by severity "
                          "and confidence per 1,000 lines of Python", FINDINGS_LADDER, no_gathering, judge="findings",
                          params={"categories": list(categories)})


def judge_findings(_: None, found: Findings, categories: list[str]) -> Verdict:
    rules_ran = found.rule_categories is None or bool(found.rule_categories & set(categories))
    findings = found.findings_in(categories)
    value = density(findings, found.python_lines)
    points = max(0.0, 1.0 - value / SATURATION)
    worst = sorted(findings, key=lambda f: (-weight(f), f.path, f.line or 0))
    where = evidence(Evidence(f.path, f.line, f.cell, f"{f.rule} {f.severity} finding") for f in worst[:20])
    if not findings or value == 0:
        note = "" if rules_ran else " (none of the rules for these categories ran)"
        return verdict("clean", where, points, categories=", ".join(categories), note=note)
    counts = Counter(f.severity for f in findings)
    summary = ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES) if counts[s])
    return verdict("some" if points >= 0.5 else "many", where, points, count=len(findings), summary=summary,
                   density=f"{value:.1f}", score=round(100 * points), select=",".join(categories))
