"""The CI quality gate: a list of conditions on the reported findings, each passed or failed.

Conditions come from the configuration (command line wins): ``fail-on`` (no finding at or above a
severity; "none" turns it off), ``fail-on-category`` (no finding in these categories) and
``fail-under`` (the readiness score is at least this). With a baseline or ``--since`` the findings
are only the new ones, so the finding conditions gate new debt; the readiness score is always the
whole repository's. A condition that cannot be evaluated (no readiness score) is "unavailable":
the gate does not pass and the exit code is 2, because the request, not the code, is at fault.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from auditor.finding import SEVERITIES, severity_rank


@dataclass
class Condition:
    id: str  # "fail-on", "fail-on-category:<category>", "fail-under"
    description: str  # what must hold, e.g. "no new finding at or above severity 'high'"
    status: str  # "passed", "failed" or "unavailable"
    actual: Any
    threshold: Any
    detail: str = ""  # why it failed, in words

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description, "status": self.status,
                "passed": self.status == "passed", "actual": self.actual, "threshold": self.threshold,
                "detail": self.detail or None}


@dataclass
class Gate:
    conditions: list[Condition] = field(default_factory=list)
    scope: str = "all"  # "new" when a baseline or --since hid the known findings

    @property
    def passed(self) -> bool:
        return all(c.status == "passed" for c in self.conditions)

    @property
    def failed(self) -> list[Condition]:
        return [c for c in self.conditions if c.status != "passed"]

    def exit_code(self, exit_zero: bool = False) -> int:
        if any(c.status == "unavailable" for c in self.conditions):
            return 2
        if exit_zero or self.passed:
            return 0
        return 1

    def to_json(self, exit_zero: bool = False) -> dict[str, Any]:
        return {"passed": self.passed, "scope": self.scope, "enforced": not exit_zero,
                "conditions": [c.to_json() for c in self.conditions],
                "failed": [c.detail or c.description for c in self.failed]}


def _listing(findings, limit: int = 3) -> str:
    counts = Counter(f.rule for f in findings)
    shown = ", ".join(f"{rule} x{n}" if n > 1 else rule for rule, n in counts.most_common(limit))
    return shown + (", ..." if len(counts) > limit else "")


def evaluate(result) -> Gate:
    config = result.config
    new = bool(result.baseline or result.since)
    scope_word = "new " if new else ""
    gate = Gate(scope="new" if new else "all")
    if config.fail_on in SEVERITIES:
        gate.conditions.append(_severity_condition(result.findings, config.fail_on, scope_word))
    for category in getattr(config, "fail_on_category", None) or ():
        gate.conditions.append(_category_condition(result.findings, category, scope_word))
    minimum = getattr(config, "fail_under", None)
    if minimum is not None:
        gate.conditions.append(_score_condition(result.readiness, minimum))
    return gate


def _severity_condition(findings, fail_on: str, scope_word: str) -> Condition:
    failing = [f for f in findings if severity_rank(f.severity) >= severity_rank(fail_on)]
    description = f"no {scope_word}finding at or above severity '{fail_on}'"
    detail = ""
    if failing:
        detail = (f"{len(failing)} {scope_word}finding(s) at or above severity '{fail_on}' "
                  f"({_listing(failing)})")
    return Condition("fail-on", description, "failed" if failing else "passed", len(failing), fail_on, detail)


def _category_condition(findings, category: str, scope_word: str) -> Condition:
    hits = [f for f in findings if f.category == category]
    detail = f"{len(hits)} {scope_word}finding(s) in category '{category}' ({_listing(hits)})" if hits else ""
    return Condition(f"fail-on-category:{category}", f"no {scope_word}finding in category '{category}'",
                     "failed" if hits else "passed", len(hits), category, detail)


def _score_condition(readiness, minimum: float) -> Condition:
    readiness = readiness if isinstance(readiness, dict) else None
    score = readiness.get("score") if readiness else None
    description = f"readiness score at least {minimum:g}"
    if not isinstance(score, (int, float)):
        return Condition("fail-under", description, "unavailable", None, minimum,
                         "readiness score unavailable: this scan computed no readiness score, so --fail-under / "
                         "fail-under cannot be checked (see the errors above, or remove the condition)")
    grade = f", grade {readiness['grade']}" if readiness.get("grade") else ""
    status = "passed" if score >= minimum else "failed"
    detail = f"readiness score {score:g}{grade} is below {minimum:g}" if status == "failed" else ""
    return Condition("fail-under", description, status, score, minimum, detail)


def exit_code(result) -> int:
    """The scan's exit code: 3 when a file or rule failed internally, else the gate's."""
    if result.errors:
        return 3
    return evaluate(result).exit_code(result.exit_zero)


def summary_lines(result) -> list[str]:
    """The gate for the text summary: the exit code and verdict, then each failed condition."""
    gate = evaluate(result)
    code = gate.exit_code(result.exit_zero)
    failed = gate.failed
    lines = [line for line in describe_new(result)]
    if not failed:
        checked = "; ".join(c.description for c in gate.conditions) or "no gate conditions"
        lines.append(f"exit {code}: gate passed: {checked}")
        return lines
    suffix = " (not enforced: --exit-zero)" if result.exit_zero else ""
    if len(failed) == 1:
        lines.append(f"exit {code}: {failed[0].detail or failed[0].description}{suffix}")
    else:
        lines.append(f"exit {code}: the gate failed on {len(failed)} conditions{suffix}:")
        lines.extend(f"  - {c.detail or c.description}" for c in failed)
    return lines


def only_new(result, root, *, baseline: str | None, since: str | None, cache_dir=None) -> list[str]:
    """Narrow ``result`` to new findings: against a baseline file and/or the scan of a git ref.

    ``baseline`` is a path as given on the command line (relative to the working directory) or,
    from the configuration, relative to the scanned directory: the caller resolves it. Returns
    notes for the user. Raises BaselineError or SinceError (exit 2)."""
    from pathlib import Path

    from auditor.ci import baseline as baseline_module
    from auditor.ci import since as since_module

    notes = []
    if since:
        base = since_module.resolve(Path(root), since)
        if base is None:
            notes.append("--since auto: no pull-request or merge-request base in the environment; "
                         "reporting every finding")
        else:
            before = since_module.scan_at(Path(root), base, result.config, now=result.project.now
                                          if result.project else result.started, cache_dir=cache_dir)
            since_module.apply(result, base, before)
    if baseline:
        path = Path(baseline)
        baseline_module.apply(result, baseline_module.load(path), str(baseline))
    return notes


def describe_new(result) -> list[str]:
    """One line per only-new comparison, for the text summary."""
    lines = []
    if result.since:
        from auditor.ci.since import describe

        lines.append(describe(result.since))
    if result.baseline:
        info = result.baseline
        lines.append(f"baseline {info['source']}: {info['new']} new, {info['known']} known "
                     f"(of {info['total']} listed), {info['fixed']} fixed"
                     + (f" ({info['fixed_entries']} entries can be dropped: mlaudit baseline --update)"
                        if info["fixed_entries"] else ""))
    if result.suppressed:
        lines.append(f"{len(result.suppressed)} finding(s) suppressed with a reason (listed with -v and in JSON)")
    return lines
