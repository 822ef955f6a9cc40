"""From checks to a score: dimension scores, weights, the overall score and its grade."""

from __future__ import annotations

import difflib
import math
from typing import Any

from auditor.readiness.debt import CONFIDENCE_WEIGHT, FLOOR_LINES, SATURATION, SEVERITY_WEIGHT

# The 3 AM questions (trace, reproduce, logs, roll back) carry most of the weight.
DEFAULT_WEIGHTS: dict[str, float] = {
    "traceability": 20.0,
    "reproducibility": 20.0,
    "rollback": 20.0,
    "monitoring": 20.0,
    "release_safety": 10.0,
    "ownership_testing": 10.0,
}
GRADES = ((85.0, "A"), (70.0, "B"), (55.0, "C"), (40.0, "D"))


def grade(score: float) -> str:
    for floor, letter in GRADES:
        if score >= floor:
            return letter
    return "F"


def validate_readiness(table: Any) -> str | None:
    """The problem with a ``[tool.mlaudit.readiness]`` table, or None when it is valid."""
    if not isinstance(table, dict):
        return "must be a table, e.g. [tool.mlaudit.readiness] weights = { rollback = 30 }"
    for key in table:
        if key != "weights":
            return f"has unknown key '{key}' (known: weights)"
    weights = table.get("weights", {})
    if not isinstance(weights, dict):
        return "'weights' must be a table of dimension = number"
    for name, value in weights.items():
        if name not in DEFAULT_WEIGHTS:
            close = difflib.get_close_matches(name, list(DEFAULT_WEIGHTS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (dimensions: {', '.join(DEFAULT_WEIGHTS)})"
            return f"'weights' names unknown dimension '{name}'{hint}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            return f"weight of '{name}' must be a non-negative finite number, got {value!r}"
    if sum({**DEFAULT_WEIGHTS, **weights}.values()) <= 0:
        return "'weights' cannot all be zero"
    return None


def resolve_weights(table: dict[str, Any] | None) -> dict[str, float]:
    weights = dict(DEFAULT_WEIGHTS)
    weights.update({k: float(v) for k, v in ((table or {}).get("weights") or {}).items()})
    return weights


def formula(weights: dict[str, float]) -> str:
    terms = " + ".join(f"{weights[name]:g}*{name}" for name in DEFAULT_WEIGHTS)
    sev = ", ".join(f"{k} {v:g}" for k, v in SEVERITY_WEIGHT.items())
    conf = ", ".join(f"{k} {v:g}" for k, v in CONFIDENCE_WEIGHT.items())
    bands = ", ".join(f"{letter} >= {floor:g}" for floor, letter in GRADES) + ", F below"
    return (f"score = ({terms}) / {sum(weights.values()):g}. "
            "Each dimension = 100 x mean of its checks' points (pass 1, partial 0.5, fail 0). "
            f"A findings check scores max(0, 1 - D/{SATURATION:g}), where D = sum of severity x confidence weights "
            f"per 1,000 lines of Python (at least {FLOOR_LINES:,} lines counted); severity: {sev}; confidence: {conf}. "
            f"Grade: {bands}.")


def combine(dimensions: dict[str, float], weights: dict[str, float]) -> float:
    total = sum(weights[name] for name in dimensions)
    if total <= 0:
        return 0.0
    return round(sum(weights[name] * score for name, score in dimensions.items()) / total, 1)
