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
    catalogue = rule_catalogue(result)
    by_category: dict[str, list] = defaultdict(list)
    for finding in ordered(result.findings):
        by_category[finding.category].append(finding)
    fired = {f.rule for f in result.findings}
    stamp = iso_time(result.started).rstrip("Z") or None
    root = ET.Element("testsuites", {"name": "mlaudit", "time": f"{result.duration:.3f}"})
    totals = [0, 0, 0]
    categories = [c for c in CATEGORIES if by_category[c] or any(r["category"] == c for r in catalogue.values())]
    for category in categories:
        suite = _element(root, "testsuite", name=f"mlaudit.{category}", time="0", timestamp=stamp)
        tests = failures = 0
        for finding in by_category[category]:
            info = catalogue.get(finding.rule, {})
            case = _element(suite, "testcase", classname=f"mlaudit.{finding.rule}",
                            name=f"{location(finding)} {finding.name}", file=finding.path or None,
                            line=finding.line, time="0")
            body = f"{location(finding)} [{finding.severity}] {finding.rule} {finding.name}\n{finding.message}"
            if info.get("remediation"):
                body += f"\nFix: {info['remediation']}"
            if finding.owners:
                body += f"\nOwners: {' '.join(finding.owners)}"
            _element(case, "failure", body, type=finding.rule, message=finding.message)
            tests += 1
            failures += 1
        for rule_id, info in catalogue.items():
            if info["category"] == category and rule_id not in fired:
                _element(suite, "testcase", classname=f"mlaudit.{rule_id}",
                         name=f"{rule_id} {info['name']}: no findings", time="0")
                tests += 1
        _finish(suite, tests, failures)
        totals[0] += tests
        totals[1] += failures
    ready = readiness(result)
    if ready:
        suite = _element(root, "testsuite", name="mlaudit.readiness", time="0", timestamp=stamp)
        tests = failures = 0
        not_passing = {(c["dimension"], c.get("id")): c for c in failing_checks(ready)}
        for dimension, data in (ready.get("dimensions") or {}).items():
            for check in (data or {}).get("checks") or []:
                if not isinstance(check, dict):
                    continue
                case = _element(suite, "testcase", classname=f"mlaudit.readiness.{dimension}",
                                name=f"{check.get('id', '?')} {check.get('title', '')}".strip(), time="0")
                tests += 1
                status = check.get("status")
                if (dimension, check.get("id")) in not_passing and status == "fail":
                    failures += 1
                    _element(case, "failure", f"Fix: {check.get('fix') or '-'}", type="readiness",
                             message=f"{check.get('title', '')}: fails")
                elif status == "partial":
                    _element(case, "system-out", f"partly passes. Fix: {check.get('fix') or '-'}")
        _finish(suite, tests, failures)
        totals[0] += tests
        totals[1] += failures
    gate = gate_summary(result)
    if gate is not None and gate["conditions"]:
        suite = _element(root, "testsuite", name="mlaudit.gate", time="0", timestamp=stamp)
        failures = errors = 0
        for condition in gate["conditions"]:
            case = _element(suite, "testcase", classname="mlaudit.gate", name=condition["description"], time="0")
            if condition["status"] == "failed" and gate["enforced"]:
                failures += 1
                _element(case, "failure", condition.get("detail") or condition["description"], type="gate",
                         message=condition.get("detail") or condition["description"])
            elif condition["status"] == "unavailable":
                errors += 1
                _element(case, "error", condition.get("detail") or "", type="gate-unavailable",
                         message=condition.get("detail") or "cannot be evaluated")
            elif condition["status"] == "failed":
                _element(case, "system-out", f"failed, not enforced (--exit-zero): {condition.get('detail')}")
        _finish(suite, len(gate["conditions"]), failures, errors)
        totals[0] += len(gate["conditions"])
        totals[1] += failures
        totals[2] += errors
    if result.errors:
        suite = _element(root, "testsuite", name="mlaudit.internal", time="0", timestamp=stamp)
        for error in result.errors:
            case = _element(suite, "testcase", classname="mlaudit.internal",
                            name=f"{error.get('rule')} on {error.get('path') or 'project'}", time="0")
            _element(case, "error", error.get("error", ""), type="internal-error",
                     message=f"internal error in {error.get('rule')}")
        _finish(suite, len(result.errors), 0, len(result.errors))
        totals[0] += len(result.errors)
        totals[2] += len(result.errors)
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", str(totals[2]))
    root.set("skipped", "0")
    return root


def render_junit(result, **_: Any) -> str:
    root = result_to_junit(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
