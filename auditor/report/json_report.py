"""The JSON contract (schema_version 1). Keys are only ever added, never renamed."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from auditor.finding import CATEGORIES, SEVERITIES

SCHEMA_VERSION = 1


def result_to_dict(result, **_: Any) -> dict[str, Any]:
    findings = result.findings
    by_category = Counter(f.category for f in findings)
    by_severity = Counter(f.severity for f in findings)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mlaudit", "version": result.version},
        "root": result.root,
        "scanned": {
            "files": result.files,
            "python_files": result.python_files,
            "notebooks": result.notebooks,
            "python_lines": result.python_lines,
            "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
            "degraded": [{"path": p, "reason": r} for p, r in result.degraded],
        },
        "git": result.git.as_metadata(),
        "findings": [f.to_json() for f in findings],
        "summary": {
            "by_category": {c: by_category[c] for c in CATEGORIES if by_category[c]},
            "by_severity": {s: by_severity[s] for s in reversed(SEVERITIES) if by_severity[s]},
            "total": len(findings),
            "fail_on": result.config.fail_on,
            "failing": len(result.failing()),
        },
        "errors": list(result.errors),
        "readiness": getattr(result, "readiness", None),
        # The CI gate and what only-new-debt mode left out (auditor/gate.py, baseline.py, since.py).
        "gate": result.gate().to_json(result.exit_zero),
        "baseline": result.baseline,
        "since": result.since,
        "suppressed": [f.to_json() for f in result.suppressed],
    }


def render_json(result, **options: Any) -> str:
    return layout(result_to_dict(result))


# Lists of findings in the report, one finding to a line.
_ONE_PER_LINE = ("findings", "suppressed")


def layout(data: dict[str, Any]) -> str:
    """Indented for reading, each finding on one line: easy to grep and diff, and encoded by the
    C encoder (indenting is pure Python, which took 0.3 s for the whole stdlib's findings)."""
    parts = []
    for key, value in data.items():
        name = json.dumps(key)
        if key in _ONE_PER_LINE and value:
            items = ",\n    ".join(json.dumps(item, ensure_ascii=False) for item in value)
            parts.append(f"  {name}: [\n    {items}\n  ]")
        else:
            parts.append(f"  {name}: " + json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  "))
    return "{\n" + ",\n".join(parts) + "\n}\n"
