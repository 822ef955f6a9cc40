"""JSON Schemas of what mlaudit reads and writes: the JSON report and the configuration.

``mlaudit schema report|config`` prints them; ``docs/schemas/`` keeps a copy (regenerated with the
other generated docs, ``python -m auditor.cli.docs``); the test suite validates every JSON report
it renders against the report schema. Enumerations come from the shared vocabulary
(``auditor.finding``), so a new category or severity changes the schema with it.
"""

from __future__ import annotations

from typing import Any

from auditor.finding import CATEGORIES, CONFIDENCES, FIX_APPLICABILITY, SEVERITIES

DRAFT = "https://json-schema.org/draft/2020-12/schema"

_LOCATION = {"type": ["integer", "null"], "minimum": 0}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_PATH_REASONS = {"type": "array", "items": {"type": "object", "required": ["path", "reason"],
                                            "properties": {"path": {"type": "string"}, "reason": {"type": "string"}}}}


def _finding() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["rule", "name", "category", "severity", "confidence", "path", "line", "message", "fingerprint"],
        "properties": {
            "rule": {"type": "string", "pattern": "^[A-Z][A-Z0-9]{1,7}[0-9]{3}$"},  # ML401, a plugin's ACME101
            "name": {"type": "string"},
            "category": {"enum": list(CATEGORIES)},
            "severity": {"enum": list(SEVERITIES)},
            "confidence": {"enum": list(CONFIDENCES)},
            "path": {"type": "string"},
            "line": _LOCATION, "end_line": _LOCATION, "cell": _LOCATION,
            "message": {"type": "string"},
            "symbol": {"type": ["string", "null"]},
            "owners": _STRINGS,
            "unit": {"type": "string"},
            "fingerprint": {"type": "string"},
            "evidence": {"type": "object"},
            "excerpt": {"type": ["object", "null"], "properties": {"start": {"type": "integer"}, "lines": _STRINGS}},
            "fix": {"type": ["object", "null"], "required": ["applicability", "description"],
                    "properties": {"applicability": {"enum": list(FIX_APPLICABILITY)},
                                   "description": {"type": "string"}}},
        },
    }


def report_schema() -> dict[str, Any]:
    """The JSON report (``mlaudit scan --format json``), described in docs/json.md."""
    counts = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    return {
        "$schema": DRAFT,
        "$id": "mlaudit-report.schema.json",
        "title": "mlaudit JSON report",
        "type": "object",
        "required": ["schema_version", "tool", "root", "scanned", "git", "findings", "summary", "errors", "readiness",
                     "gate", "suppressed"],
        "properties": {
            "schema_version": {"type": "integer"},
            "tool": {"type": "object", "required": ["name", "version"],
                     "properties": {"name": {"const": "mlaudit"}, "version": {"type": "string"}}},
            "root": {"type": "string"},
            "repository": {"type": ["string", "null"]},
            "settings": {"type": "string"},
            "scanned": {"type": "object", "required": ["files", "python_files", "notebooks", "python_lines"],
                        "properties": {"files": {"type": "integer"}, "python_files": {"type": "integer"},
                                       "notebooks": {"type": "integer"}, "python_lines": {"type": "integer"},
                                       "skipped": _PATH_REASONS, "degraded": _PATH_REASONS}},
            "git": {"type": "object"},
            "findings": {"type": "array", "items": _finding()},
            "summary": {"type": "object", "required": ["by_category", "by_severity", "total", "fail_on", "failing"],
                        "properties": {
                            "by_category": {**counts, "propertyNames": {"enum": list(CATEGORIES)}},
                            "by_severity": {**counts, "propertyNames": {"enum": list(SEVERITIES)}},
                            "total": {"type": "integer"}, "failing": {"type": "integer"},
                            "fail_on": {"type": "string"},
                            "below_min_confidence": {"type": "integer"}, "below_min_severity": {"type": "integer"},
                            "kind": {"type": ["object", "null"]}}},
            "errors": {"type": "array", "items": {"type": "object", "required": ["rule", "path", "error"]}},
            "readiness": {"type": ["object", "null"],
                          "properties": {"score": {"type": "number", "minimum": 0, "maximum": 100},
                                         "grade": {"type": "string"},
                                         "rollback_minutes": {"type": ["integer", "null"]},
                                         "dimensions": {"type": "object"}, "units": {"type": "array"}}},
            "gate": {"type": "object", "required": ["passed"], "properties": {"passed": {"type": "boolean"}}},
            "baseline": {"type": ["object", "null"]},
            "since": {"type": ["object", "null"]},
            "suppressed": {"type": "array", "items": _finding()},
            "scope": {"type": ["array", "null"], "items": {"type": "string"}},
        },
    }


def config_schema() -> dict[str, Any]:
    """``[tool.mlaudit]`` in pyproject.toml, or the top level of mlaudit.toml (docs/configuration.md)."""
    selectors = {"type": "array", "items": {"type": "string"}}
    severity = {"enum": list(SEVERITIES)}
    return {
        "$schema": DRAFT,
        "$id": "mlaudit-config.schema.json",
        "title": "mlaudit configuration ([tool.mlaudit])",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "select": selectors, "ignore": selectors, "exclude": selectors, "entrypoints": selectors,
            "fail-on": {"enum": [*SEVERITIES, "none"]},
            "fail-under": {"type": "number", "minimum": 0, "maximum": 100},
            "fail-on-category": {"type": "array", "items": {"enum": list(CATEGORIES)}},
            "baseline": {"type": "string", "minLength": 1},
            "per-file-ignores": {"type": "object", "additionalProperties": selectors},
            "min-confidence": {"enum": list(CONFIDENCES)},
            "min-severity": severity,
            "max-file-size": {"type": "integer", "exclusiveMinimum": 0},
            "severity": {"type": "object", "additionalProperties": severity},
            "rules": {"type": "object", "additionalProperties": {"type": "object"}},
            "readiness": {"type": "object"},
            "jobs": {"type": "integer", "minimum": 0},
            "units": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "kind": {"enum": ["application", "library"]},
            "source-url-template": {"type": "string"},
        },
    }


SCHEMAS = {"report": report_schema, "config": config_schema}
