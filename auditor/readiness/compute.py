"""The readiness object of the report: the gathered checks, the findings checks judged, the
dimensions scored and combined; for a repository of several units, each unit scored on its own and
the repository's score their mean weighted by lines of Python."""

from __future__ import annotations

from typing import Any, Iterable

from auditor.finding import Finding
from auditor.model.project import Project
from auditor.readiness.judge import judge
from auditor.readiness.model import FAIL, MAX_EVIDENCE, PARTIAL, PASS, Check, Findings  # noqa: F401 (re-exported)
from auditor.readiness.score import combine, formula, grade, resolve_weights


def compute_readiness(project: Project, findings: list[Finding], python_lines: int,
                      settings: dict[str, Any] | None = None,
                      rule_categories: Iterable[str] | None = None,
                      gathered: dict[str, Any] | None = None,
                      lines_by_path: dict[str, int] | None = None) -> dict[str, Any]:
    """The readiness object of the JSON report (a plain dict). ``gathered`` is ``gather(project)``,
    from an earlier scan when the repository's facts are unchanged. ``lines_by_path`` (lines of
    Python per file) weighs the units of a repository that has several."""
    weights = resolve_weights(settings)
    if gathered is None:
        from auditor.readiness.gathering import gather

        gathered = gather(project)
    categories = set(rule_categories) if rule_categories is not None else None
    if "units" not in gathered:
        return _score_unit(gathered, findings, python_lines, weights, categories)
    lines_of: dict[str, int] = {}
    for path, lines in (lines_by_path or {}).items():
        unit = project.units.of(path)
        lines_of[unit] = lines_of.get(unit, 0) + lines
    units = []
    for entry in gathered["units"]:
        unit = entry["unit"]
        own = [f for f in findings if f.unit == unit]
        scored = _score_unit(entry, own, lines_of.get(unit, 0), weights, categories)
        units.append({"unit": unit, "lines": lines_of.get(unit, 0), "findings": len(own), **scored})
    if not units:  # no unit has code: the repository as one
        return _score_unit(gathered["units"][0] if gathered["units"] else {}, findings, python_lines, weights, categories)
    return _combine_units(units, weights)


def _score_unit(gathered: dict[str, Any], findings: list[Finding], python_lines: int, weights: dict[str, float],
                categories: set[str] | None) -> dict[str, Any]:
    found = Findings(findings, python_lines, categories)
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


def _weighted(values: list[tuple[float, int]]) -> float:
    """Mean of (value, lines) weighted by lines; a plain mean when no unit has a line."""
    total = sum(lines for _, lines in values)
    if total <= 0:
        return round(sum(v for v, _ in values) / len(values), 1)
    return round(sum(v * lines for v, lines in values) / total, 1)


def _combine_units(units: list[dict[str, Any]], weights: dict[str, float]) -> dict[str, Any]:
    """The repository's readiness from its units': scores weighted by lines of Python; each check
    passes when it passes in every unit, fails when it fails in every unit, and is partial
    otherwise; the rollback is the slowest unit's."""
    score = _weighted([(u["score"], u["lines"]) for u in units])
    dimensions = {}
    for name in units[0]["dimensions"]:
        checks = [_merge_checks([(u["unit"], u["dimensions"][name]["checks"][i]) for u in units])
                  for i in range(len(units[0]["dimensions"][name]["checks"]))]
        dimensions[name] = {"score": _weighted([(u["dimensions"][name]["score"], u["lines"]) for u in units]),
                            "weight": weights[name], "checks": checks}
    # None: nothing to roll back in that unit (no model), below any estimate
    slowest = max(units, key=lambda u: (-1 if u["rollback_minutes"] is None else u["rollback_minutes"], u["lines"]))
    rollback = dict(slowest["rollback"])
    if len(units) > 1 and slowest["rollback_minutes"] is not None:
        rollback["reasoning"] = [f"slowest unit: {slowest['unit']}", *rollback.get("reasoning", [])]
    ordered = [_unit_summary(u) for u in sorted(units, key=lambda u: (u["score"], -u["lines"], u["unit"]))]
    return {
        "score": score,
        "grade": grade(score),
        "rollback_minutes": slowest["rollback_minutes"],
        "rollback": rollback,
        "dimensions": dimensions,
        "formula": formula(weights) + (" For a repository of several units: each unit is scored alone and the "
                                       "score is the units' mean weighted by their lines of Python."),
        "units": ordered,
    }


def _unit_summary(unit: dict[str, Any]) -> dict[str, Any]:
    """A unit's line of ``readiness.units``: its scores, and each check's status and evidence (the
    titles and fixes are the repository-level checks', by id: a monorepo of many units stays small)."""
    return {
        "unit": unit["unit"], "lines": unit["lines"], "findings": unit["findings"], "score": unit["score"],
        "grade": unit["grade"], "rollback_minutes": unit["rollback_minutes"],
        "dimensions": {name: {"score": dim["score"],
                              "checks": [{"id": c["id"], "status": c["status"], "evidence": c["evidence"]}
                                         for c in dim["checks"]]}
                       for name, dim in unit["dimensions"].items()},
    }


def _merge_checks(per_unit: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One check across units: its status where every unit agrees, else partial; the evidence of
    the units that meet it; the fix of the units that do not, named."""
    first = per_unit[0][1]
    statuses = {check["status"] for _, check in per_unit}
    status = statuses.pop() if len(statuses) == 1 and statuses <= {PASS, FAIL} else PARTIAL
    evidence: list[dict[str, Any]] = []
    for _, check in per_unit:
        for item in check["evidence"]:
            if item not in evidence and len(evidence) < MAX_EVIDENCE:
                evidence.append(item)
    rejected: list[dict[str, Any]] = []
    for _, check in per_unit:
        for item in check.get("rejected", ()):
            if item not in rejected and len(rejected) < MAX_EVIDENCE:
                rejected.append(item)
    missing = [unit for unit, check in per_unit if check["status"] != PASS]
    if not missing:
        fix = first["fix"]
    else:
        named = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        example = next(check for _, check in per_unit if check["status"] != PASS)
        fix = f"Not met in {len(missing)} of {len(per_unit)} units ({named}). {example['fix']}"
    return {"id": first["id"], "title": first["title"], "status": status, "evidence": evidence, "fix": fix,
            "rejected": rejected}

