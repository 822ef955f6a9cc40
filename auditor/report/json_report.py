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


# Indented for people up to a size, as the SARIF and GitLab reports are; beyond it the C encoder
# (which does not indent) is several times faster.
INDENT_LIMIT = 5000


def render_json(result, **options: Any) -> str:
    indent = 2 if len(result.findings) + len(result.suppressed) <= INDENT_LIMIT else None
    return json.dumps(result_to_dict(result), indent=indent, ensure_ascii=False) + "\n"
