"""GitLab Code Quality report: a JSON array GitLab reads for its merge-request widget.

GitLab reads ``description``, ``check_name``, ``fingerprint``, ``severity`` and ``location``
(``path`` relative to the project, ``lines.begin``). Fingerprints are the findings' own, so
identical-looking findings stay separate (GitLab collapses equal fingerprints). No byte-order mark.
Notebook findings: ``lines.begin`` is the line within the cell, named in the description.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.report.common import ordered

INDENT_LIMIT = 5000
SEVERITY = {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor", "info": "info"}
PROJECT_LOCATION = "README.md"
# The Code Climate spec allows only its own category names; ours go in check_name and description.
CODE_CLIMATE_CATEGORY = {
    "dead-code": "Clarity", "unused-feature": "Clarity", "undocumented-hack": "Clarity",
    "unpinned-seed": "Bug Risk", "unpinned-dependency": "Compatibility", "stale-model": "Bug Risk",
    "ownerless-pipeline": "Clarity", "unsafe-load": "Security", "complexity": "Complexity",
    "parse-error": "Bug Risk", "data-leakage": "Bug Risk", "stale-doc": "Clarity",
}


def _issue(finding) -> dict[str, Any]:
    description = f"{finding.rule} {finding.name}: {finding.message}"
    if finding.cell is not None:
        description += f" (notebook cell {finding.cell})"
    return {
        "type": "issue",
        "description": description,
        "check_name": f"mlaudit/{finding.rule}",
        "categories": [CODE_CLIMATE_CATEGORY.get(finding.category, "Bug Risk")],
        "fingerprint": finding.fingerprint,
        "severity": SEVERITY.get(finding.severity, "major"),
        "location": {"path": finding.path or PROJECT_LOCATION, "lines": {"begin": finding.line or 1}},
    }


def render_gitlab(result, **_: Any) -> str:
    indent = 2 if len(result.findings) <= INDENT_LIMIT else None  # the C encoder does not indent
    return json.dumps([_issue(f) for f in ordered(result.findings)], indent=indent, ensure_ascii=False) + "\n"
