"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

- One run; ``tool.driver.rules`` holds every rule that ran or fired, with descriptions and help.
- Levels from severity: critical and high are ``error``, medium ``warning``, low and info ``note``.
- Locations are relative to the repository root (``originalUriBaseIds`` names it ``%SRCROOT%``).
- ``partialFingerprints["mlaudit/v1"]`` is the finding's line-independent fingerprint; the upload
  action adds GitHub's own ``primaryLocationLineHash``.
- Findings without a file (project-wide) point at ``README.md`` line 1, as GitHub needs a location.
- Notebooks: the region's lines are the lines **within the cell** (as the notebook UI and every
  other mlaudit output show them), not lines of the ``.ipynb`` JSON; the cell number is in the
  message and in ``properties.cell`` of the result and the region. GitHub therefore shows the
  right file but may show an unrelated JSON snippet for it.
"""

from __future__ import annotations

import json
from typing import Any

from auditor import PROJECT_URL
from auditor.report.common import ordered, rule_catalogue

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "mlaudit/v1"
PROJECT_LOCATION = "README.md"
INFORMATION_URI = PROJECT_URL

INDENT_LIMIT = 5000
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
PRECISION = {"high": "high", "medium": "medium", "low": "low"}
# GitHub shows security severities only for security rules; unsafe loading is the one we have.
SECURITY_CATEGORIES = {"unsafe-load"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


def _text(value: str, limit: int = 1024) -> str:
    value = " ".join(value.split()) or "-"
    return value if len(value) <= limit else value[:limit - 1] + "…"


def _rule(info: dict[str, Any]) -> dict[str, Any]:
    level = LEVELS.get(info["severity"], "warning")
    tags = ["ml-debt", info["category"]]
    properties: dict[str, Any] = {"tags": tags, "precision": PRECISION.get(info["confidence"], "medium"),
                                  "problem.severity": PROBLEM_SEVERITY[level]}
    if info["category"] in SECURITY_CATEGORIES:
        tags.append("security")
        properties["security-severity"] = SECURITY_SEVERITY.get(info["severity"], "5.5")
    help_text = f"{info['rationale']}\n\nHow to fix: {info['remediation']}"
    help_md = (f"**Why it matters.** {info['rationale']}\n\n**How to fix.** {info['remediation']}\n\n"
               f"Run `mlaudit explain {info['id']}` for examples.")
    rule: dict[str, Any] = {
        "id": info["id"],
        "name": info["name"],
        "shortDescription": {"text": _text(info["summary"])},
        "fullDescription": {"text": _text(info["description"] or info["summary"])},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": level},
        "properties": properties,
    }
    if info.get("help_uri"):
        rule["helpUri"] = info["help_uri"]
    return rule


def _result(finding, rule_index: dict[str, int], fix_edits: dict[str, dict]) -> dict[str, Any]:
    message = finding.message
    region: dict[str, Any] = {"startLine": finding.line or 1}
    if finding.end_line and finding.line and finding.end_line >= finding.line:
        region["endLine"] = finding.end_line
    properties: dict[str, Any] = {"category": finding.category, "confidence": finding.confidence,
                                  "severity": finding.severity}
    if finding.cell is not None:
        message = f"{message} (notebook cell {finding.cell}, line {finding.line or 1} of the cell)"
        region["properties"] = {"cell": finding.cell}
        properties["cell"] = finding.cell
    if finding.owners:
        properties["owners"] = list(finding.owners)
    if finding.symbol:
        properties["symbol"] = finding.symbol
    location: dict[str, Any] = {"physicalLocation": {
        "artifactLocation": {"uri": finding.path or PROJECT_LOCATION, "uriBaseId": "%SRCROOT%"},
        "region": region,
    }}
    if finding.symbol:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.symbol}]
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": properties,
    }
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    planned = fix_edits.get(finding.fingerprint)
    if planned and finding.path:
        result["fixes"] = [_fix(finding.path, planned)]
    return result


def _fix(path: str, planned: dict[str, Any]) -> dict[str, Any]:
    """SARIF's fix: whole-line replacements (an insertion is an empty region before its line)."""
    replacements = []
    for edit in planned["edits"]:
        start, end, lines = edit["start"], edit["end"], edit["lines"]
        region = {"startLine": start, "startColumn": 1, "endLine": max(end, start - 1) + 1, "endColumn": 1}
        replacements.append({"deletedRegion": region,
                             "insertedContent": {"text": "".join(line + "\n" for line in lines)}})
    return {"description": {"text": f"{planned['description']} ({planned['applicability']} fix: mlaudit fix"
                                    + (" --unsafe-fixes" if planned["applicability"] == "unsafe" else "") + ")"},
            "artifactChanges": [{"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                                 "replacements": replacements}]}


def result_to_sarif(result) -> dict[str, Any]:
    catalogue = rule_catalogue(result)
    rules = [_rule(info) for info in catalogue.values()]
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "mlaudit", "semanticVersion": result.version, "version": result.version,
                            "informationUri": INFORMATION_URI, "rules": rules}},
        "automationDetails": {"id": "mlaudit/"},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The root of the scanned repository."}}},
        "results": [_result(f, rule_index, getattr(result, "fix_edits", None) or {}) for f in ordered(result.findings)],
        "columnKind": "unicodeCodePoints",
    }
    invocation: dict[str, Any] = {"executionSuccessful": not result.errors}
    notifications = [{"level": "error", "message": {"text": f"internal error in {e.get('rule')} on "
                                                            f"{e.get('path') or 'project'}"}}
                     for e in result.errors]
    notifications += [{"level": "note", "message": {"text": f"skipped {path}: {reason}"}}
                      for path, reason in result.skipped[:1000]]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run["invocations"] = [invocation]
    if result.git.available and result.git.head:
        provenance: dict[str, Any] = {"revisionId": result.git.head}
        if result.git.branch and result.git.branch != "HEAD":
            provenance["branch"] = result.git.branch
        run["versionControlProvenance"] = [dict(provenance, repositoryUri=_repository_uri(result))] \
            if _repository_uri(result) else []
        if not run["versionControlProvenance"]:
            del run["versionControlProvenance"]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _repository_uri(result) -> str | None:
    from auditor.report.links import web_base

    found = web_base(result.git.remote_url)
    return found[0] if found else None


def render_sarif(result, **_: Any) -> str:
    # Indented for people up to a size; beyond it the C encoder (no indent) is many times faster.
    indent = 2 if len(result.findings) <= INDENT_LIMIT else None
    return json.dumps(result_to_sarif(result), indent=indent, ensure_ascii=False) + "\n"
