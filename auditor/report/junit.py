"""JUnit XML, for the test tabs of CI systems (GitLab, Jenkins, Azure, GitHub test-report actions).

One test suite per category. Each finding is a failed test case (with the non-standard but widely
read ``file`` and ``line`` attributes); each rule that ran and found nothing is a passing test
case, so pass counts mean something. Readiness checks, when computed, form their own suite
(``partial`` passes with a note in ``system-out``); so do the quality gate's conditions, so that
"why did CI fail" shows in the test tab; internal errors are ``error`` cases.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from auditor.finding import CATEGORIES
from auditor.report.common import failing_checks, gate_summary, iso_time, location, ordered, readiness, rule_catalogue

# Characters XML 1.0 cannot hold at all, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(value: Any) -> str:
    return _INVALID_XML.sub("\ufffd", str(value))


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: Any) -> ET.Element:
    node = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        node.text = _clean(text)
    return node


def _finish(suite: ET.Element, tests: int, failures: int, errors: int = 0) -> None:
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")


def result_to_junit(result) -> ET.Element:
    stamp = iso_time(result.started).rstrip("Z") or None
    root = ET.Element("testsuites", {"name": "mlaudit", "time": f"{result.duration:.3f}"})
    counts = _category_suites(root, result, stamp)
    ready = readiness(result)
    if ready:
        counts.append(_readiness_suite(root, ready, stamp))
    gate = gate_summary(result)
    if gate is not None and gate["conditions"]:
        counts.append(_gate_suite(root, gate, stamp))
    if result.errors:
        counts.append(_internal_suite(root, result.errors, stamp))
    tests, failures, errors = (sum(suite[i] for suite in counts) for i in range(3))
    _finish(root, tests, failures, errors)
    return root


def _suite(root: ET.Element, name: str, stamp: str | None) -> ET.Element:
    return _element(root, "testsuite", name=name, time="0", timestamp=stamp)


def _category_suites(root: ET.Element, result, stamp: str | None) -> list[tuple[int, int, int]]:
    """One suite per category that has findings or rules: failures for findings, passes for quiet rules."""
    catalogue = rule_catalogue(result)
    by_category: dict[str, list] = defaultdict(list)
    for finding in ordered(result.findings):
        by_category[finding.category].append(finding)
    fired = {f.rule for f in result.findings}
    counts = []
    for category in CATEGORIES:
        if not by_category[category] and not any(r["category"] == category for r in catalogue.values()):
            continue
        quiet = [(rule_id, info) for rule_id, info in catalogue.items()
                 if info["category"] == category and rule_id not in fired]
        suite = _suite(root, f"mlaudit.{category}", stamp)
        for finding in by_category[category]:
            _finding_case(suite, finding, catalogue.get(finding.rule, {}))
        for rule_id, info in quiet:
            _element(suite, "testcase", classname=f"mlaudit.{rule_id}",
                     name=f"{rule_id} {info['name']}: no findings", time="0")
        failures = len(by_category[category])
        _finish(suite, failures + len(quiet), failures)
        counts.append((failures + len(quiet), failures, 0))
    return counts


def _finding_case(suite: ET.Element, finding, info: dict) -> None:
    case = _element(suite, "testcase", classname=f"mlaudit.{finding.rule}",
                    name=f"{location(finding)} {finding.name}", file=finding.path or None,
                    line=finding.line, time="0")
    body = f"{location(finding)} [{finding.severity}] {finding.rule} {finding.name}\n{finding.message}"
    if info.get("remediation"):
        body += f"\nFix: {info['remediation']}"
    if finding.owners:
        body += f"\nOwners: {' '.join(finding.owners)}"
    _element(case, "failure", body, type=finding.rule, message=finding.message)


def _readiness_suite(root: ET.Element, ready: dict, stamp: str | None) -> tuple[int, int, int]:
    suite = _suite(root, "mlaudit.readiness", stamp)
    tests = failures = 0
    not_passing = {(c["dimension"], c.get("id")) for c in failing_checks(ready)}
    for dimension, data in (ready.get("dimensions") or {}).items():
        for check in (data or {}).get("checks") or []:
            if not isinstance(check, dict):
                continue
            tests += 1
            failures += _readiness_case(suite, dimension, check, (dimension, check.get("id")) in not_passing)
    _finish(suite, tests, failures)
    return tests, failures, 0


def _readiness_case(suite: ET.Element, dimension: str, check: dict, not_passing: bool) -> int:
    """Adds one check's test case; returns 1 when it is a failure."""
    case = _element(suite, "testcase", classname=f"mlaudit.readiness.{dimension}",
                    name=f"{check.get('id', '?')} {check.get('title', '')}".strip(), time="0")
    status = check.get("status")
    if not_passing and status == "fail":
        _element(case, "failure", f"Fix: {check.get('fix') or '-'}", type="readiness",
                 message=f"{check.get('title', '')}: fails")
        return 1
    if status == "partial":
        _element(case, "system-out", f"partly passes. Fix: {check.get('fix') or '-'}")
    return 0


def _gate_suite(root: ET.Element, gate: dict, stamp: str | None) -> tuple[int, int, int]:
    suite = _suite(root, "mlaudit.gate", stamp)
    failures = errors = 0
    for condition in gate["conditions"]:
        case = _element(suite, "testcase", classname="mlaudit.gate", name=condition["description"], time="0")
        status = condition["status"]
        detail = condition.get("detail")
        if status == "failed" and gate["enforced"]:
            failures += 1
            _element(case, "failure", detail or condition["description"], type="gate",
                     message=detail or condition["description"])
        elif status == "unavailable":
            errors += 1
            _element(case, "error", detail or "", type="gate-unavailable", message=detail or "cannot be evaluated")
        elif status == "failed":
            _element(case, "system-out", f"failed, not enforced (--exit-zero): {detail}")
    _finish(suite, len(gate["conditions"]), failures, errors)
    return len(gate["conditions"]), failures, errors


def _internal_suite(root: ET.Element, errors: list, stamp: str | None) -> tuple[int, int, int]:
    suite = _suite(root, "mlaudit.internal", stamp)
    for error in errors:
        case = _element(suite, "testcase", classname="mlaudit.internal",
                        name=f"{error.get('rule')} on {error.get('path') or 'project'}", time="0")
        _element(case, "error", error.get("error", ""), type="internal-error",
                 message=f"internal error in {error.get('rule')}")
    _finish(suite, len(errors), 0, len(errors))
    return len(errors), 0, len(errors)


def render_junit(result, **_: Any) -> str:
    root = result_to_junit(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
