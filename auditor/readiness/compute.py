"""The readiness object of the report: the gathered checks, the findings checks judged, the
dimensions scored and combined."""

from __future__ import annotations

from typing import Any, Iterable

from auditor.finding import Finding
from auditor.model.project import Project
from auditor.readiness.judge import judge
from auditor.readiness.model import FAIL, PARTIAL, PASS, Check, Findings  # noqa: F401 (re-exported)
from auditor.readiness.score import combine, formula, grade, resolve_weights


def compute_readiness(project: Project, findings: list[Finding], python_lines: int,
                      settings: dict[str, Any] | None = None,
                      rule_categories: Iterable[str] | None = None,
                      gathered: dict[str, Any] | None = None) -> dict[str, Any]:
    """The readiness object of the JSON report (a plain dict). ``gathered`` is ``gather(project)``,
    from an earlier scan when the repository's facts are unchanged."""
    weights = resolve_weights(settings)
    if gathered is None:
        from auditor.readiness.gathering import gather

        gathered = gather(project)
    found = Findings(findings, python_lines, set(rule_categories) if rule_categories is not None else None)
    results = {name: [judge(entry, found) if "judge" in entry else Check.from_json(entry["check"]) for entry in entries]
               for name, entries in gathered["checks"].items()}
    weights_of = {name: [entry.get("weight", 1.0) for entry in entries] for name, entries in gathered["checks"].items()}
    scores = {name: round(100 * sum(w * c.score() for w, c in zip(weights_of[name], checks)) / sum(weights_of[name]), 1)
              for name, checks in results.items()}
    estimate = gathered["rollback"]
    overall = combine(scores, weights)
    return {
        "score": overall,
        "grade": grade(overall),
        "rollback_minutes": estimate["estimate_minutes"],
        "rollback": estimate,
        "dimensions": {
            name: {"score": scores[name], "weight": weights[name], "checks": [c.to_json() for c in checks]}
            for name, checks in results.items()
        },
        "formula": formula(weights),
    }
