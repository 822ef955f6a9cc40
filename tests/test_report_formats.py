"""The machine formats: SARIF (validated against the official 2.1.0 schema), GitLab Code Quality,
JUnit XML, GitHub Actions annotations and the Markdown summary.

Golden files come from a hand-built ScanResult with rules defined here, so they change only when
a reporter changes, not when a rule's wording does. Set MLAUDIT_UPDATE_GOLDEN=1 to rewrite them.
End-to-end checks scan a small repository built in the test.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from auditor.config import Config, build_config
from auditor.finding import Finding
from auditor.model.gitinfo import GitHistory, PathHistory
from auditor.report import FORMATS
from auditor.report.github import escape_data, escape_property, render_github
from auditor.report.gitlab import render_gitlab
from auditor.report.junit import render_junit
from auditor.report.markdown import escape, render_markdown
from auditor.report.sarif import render_sarif
from auditor.rule import Rule
from auditor.scan.engine import ScanResult, scan
from auditor.testing import make_repo

DATA = Path(__file__).parent / "report_data"
NOW = 1_790_000_000.0
DAY = 86400


def _rule(rule_id, name, category, severity, confidence, doc, rationale, remediation):
    return type(f"Rule{rule_id}", (Rule,), {
        "__doc__": doc, "id": rule_id, "name": name, "category": category, "severity": severity,
        "confidence": confidence, "rationale": rationale, "remediation": remediation, "examples": (),
    })


RULES = [
    _rule("ML901", "sample-hack", "undocumented-hack", "low", "high", "A TODO without a ticket.",
          "Nobody knows why it is there.", "Link a ticket: `# TODO(PROJ-1): ...`."),
    _rule("ML902", "sample-unsafe-load", "unsafe-load", "high", "medium", "pickle.load of a repository file.",
          "Unpickling runs code.", "Use safetensors or skops."),
    _rule("ML903", "sample-stale-model", "stale-model", "critical", "high", "A model older than its code.",
          "The model no longer matches the code.", "Retrain, or record which code produced it."),
    _rule("ML904", "sample-silent", "dead-code", "info", "low", "Never fires here.", "-", "-"),
]


def _finding(rule, path, line, message, **extra) -> Finding:
    return Finding(rule=rule.id, name=rule.name, category=rule.category, severity=extra.pop("severity", rule.severity),
                   confidence=rule.confidence, path=path, line=line, message=message, **extra)


def sample_result() -> ScanResult:
    hack, unsafe, stale, _ = RULES
    findings = [
        _finding(hack, "src/train.py", 12, "TODO without a ticket: split | by <customer> & @alice",
                 owners=("@acme/ml",), fingerprint="a1", excerpt={"start": 11, "lines": ["x = 1", "# TODO", "y = 2"]}),
        _finding(unsafe, "src/serve.py", 3, "pickle.load, from a path: inside the repository,\nsecond line 100%",
                 owners=("@acme/ml", "@bob"), fingerprint="b2", end_line=4, symbol="serve.load_model"),
        _finding(stale, "models/model.pkl", None, "model is 400 days older than train.py",
                 fingerprint="c3", evidence={"age_days": 400, "author": "Alice"}),
        _finding(hack, "notebooks/eda.ipynb", 2, "HACK in a notebook", cell=5, fingerprint="d4"),
        _finding(hack, "", None, "project-wide \x0b finding", fingerprint="e5"),
    ]
    git = GitHistory(available=True, head="0123456789abcdef0123456789abcdef01234567", branch="main",
                     remote_url="git@github.com:acme/churn.git",
                     paths={"src/train.py": PathHistory(int(NOW - 20 * DAY), "Bob")})
    return ScanResult(root="repo", config=Config(), findings=findings, files=6, python_files=3, notebooks=1,
                      python_lines=120, skipped=[("data/big.csv", "larger than max-file-size")], rules=RULES,
                      git=git, started=NOW, duration=1.25, version="0.0.0-test")


@pytest.mark.parametrize("fmt,name", [("sarif", "sample.sarif"), ("gitlab", "sample.gitlab.json"),
                                      ("junit", "sample.junit.xml"), ("github", "sample.github.txt"),
                                      ("markdown", "sample.md")])
def test_golden_output(fmt, name):
    text = FORMATS[fmt](sample_result())
    golden = DATA / "golden" / name
    if os.environ.get("MLAUDIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{name} changed; MLAUDIT_UPDATE_GOLDEN=1 rewrites it"


# --- SARIF ---------------------------------------------------------------------------------------

def _sarif_errors(document: dict) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema", reason="pip install -e '.[test]' installs jsonschema")
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]


def test_sarif_of_the_sample_is_valid_and_github_complete():
    doc = json.loads(render_sarif(sample_result()))
    assert _sarif_errors(doc) == []
    assert doc["$schema"] and doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["ML901", "ML902", "ML903", "ML904"]
    for rule in rules:  # what GitHub requires of every rule
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
    assert rules[1]["properties"]["security-severity"] == "8.0"  # unsafe loading is a security rule
    assert "security-severity" not in rules[0]["properties"]
    by_fp = {r["partialFingerprints"]["mlaudit/v1"]: r for r in run["results"]}
    assert set(by_fp) == {"a1", "b2", "c3", "d4", "e5"}
    assert by_fp["c3"]["level"] == "error" and by_fp["b2"]["level"] == "error" and by_fp["a1"]["level"] == "note"
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and ".." not in uri
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    notebook = by_fp["d4"]
    assert notebook["locations"][0]["physicalLocation"]["region"] == {"startLine": 2, "properties": {"cell": 5}}
    assert "cell 5" in notebook["message"]["text"]
    assert by_fp["e5"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "README.md"
    assert by_fp["b2"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "endLine": 4}
    assert run["versionControlProvenance"][0] == {"revisionId": "0123456789abcdef0123456789abcdef01234567",
                                                  "branch": "main", "repositoryUri": "https://github.com/acme/churn"}


REPO_FILES = {
    "src/train.py": "import os\n\n\ndef train():\n    # TODO: </script><script>alert(1)</script>\n    return os.getcwd()\n",
    "src/broken.py": "def broken(:\n    pass\n",
    "notebooks/eda.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# EDA\n"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": ["import pandas as pd\n", "x = 1\n", "# HACK: drop outliers by hand\n", "y = 2\n"]},
    ]}),
    ".github/CODEOWNERS": "src/ @acme/ml\n",
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> ScanResult:
    root = make_repo(tmp_path_factory.mktemp("repo") / "repo", REPO_FILES,
                     ages={p: 30 for p in REPO_FILES}, now=NOW)
    return scan(root, build_config({}, None, {}), now=NOW)


def test_sarif_of_a_real_scan_is_valid(scanned):
    assert scanned.findings, "the fixture repository should give findings"
    doc = json.loads(render_sarif(scanned))
    assert _sarif_errors(doc) == []
    results = doc["runs"][0]["results"]
    assert len(results) == len(scanned.findings)
    fingerprints = [r["partialFingerprints"]["mlaudit/v1"] for r in results]
    assert sorted(fingerprints) == sorted(f.fingerprint for f in scanned.findings)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "src/train.py" in uris and all(not u.startswith("/") for u in uris)


def test_sarif_rules_link_to_their_page_at_the_running_release(scanned):
    from auditor import PROJECT_URL, __version__

    driver = json.loads(render_sarif(scanned))["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == PROJECT_URL
    docs = Path(__file__).parent.parent / "docs" / "rules"
    prefix = f"{PROJECT_URL}/blob/v{__version__}/docs/rules/"
    assert driver["rules"]
    for rule in driver["rules"]:
        assert rule["helpUri"] == f"{prefix}{rule['id']}.md"
        assert (docs / f"{rule['id']}.md").is_file(), f"{rule['helpUri']} would not exist"


def test_sarif_fingerprints_are_stable_across_scans(scanned, tmp_path):
    root = make_repo(tmp_path / "repo", REPO_FILES, ages={p: 30 for p in REPO_FILES}, now=NOW)
    again = scan(root, build_config({}, None, {}), now=NOW)
    first = {r["partialFingerprints"]["mlaudit/v1"] for r in json.loads(render_sarif(scanned))["runs"][0]["results"]}
    second = {r["partialFingerprints"]["mlaudit/v1"] for r in json.loads(render_sarif(again))["runs"][0]["results"]}
    assert first == second


# --- GitLab --------------------------------------------------------------------------------------

def test_gitlab_report_has_the_fields_gitlab_reads(scanned):
    issues = json.loads(render_gitlab(scanned))
    assert isinstance(issues, list) and len(issues) == len(scanned.findings)
    for issue in issues:
        assert issue["check_name"].startswith("mlaudit/ML")
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"] and not issue["location"]["path"].startswith("/")
        assert issue["location"]["lines"]["begin"] >= 1
        assert issue["description"]
    assert len({i["fingerprint"] for i in issues}) == len(issues)  # GitLab collapses equal ones


def test_gitlab_severities_follow_ours():
    issues = {i["fingerprint"]: i for i in json.loads(render_gitlab(sample_result()))}
    assert issues["c3"]["severity"] == "blocker" and issues["b2"]["severity"] == "critical"
    assert issues["a1"]["severity"] == "minor"
    assert issues["d4"]["location"] == {"path": "notebooks/eda.ipynb", "lines": {"begin": 2}}
    allowed = {"Bug Risk", "Clarity", "Compatibility", "Complexity", "Duplication", "Performance", "Security", "Style"}
    assert all(set(i["categories"]) <= allowed for i in issues.values())  # the Code Climate vocabulary
    assert issues["b2"]["categories"] == ["Security"]


# --- JUnit ---------------------------------------------------------------------------------------

def test_junit_counts_add_up_and_silent_rules_pass():
    root = ET.fromstring(render_junit(sample_result()).encode("utf-8"))
    suites = root.findall("testsuite")
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites) == sum(1 for _ in root.iter("testcase"))
    assert int(root.get("failures")) == 6 == sum(1 for _ in root.iter("failure"))  # 5 findings and the gate
    gate = next(s for s in suites if s.get("name") == "mlaudit.gate")
    assert gate.find("testcase/failure").get("message") == "2 finding(s) at or above severity 'high' (ML902, ML903)"
    names = {s.get("name") for s in suites}
    assert {"mlaudit.undocumented-hack", "mlaudit.unsafe-load", "mlaudit.stale-model", "mlaudit.dead-code"} <= names
    dead = next(s for s in suites if s.get("name") == "mlaudit.dead-code")
    assert dead.get("failures") == "0" and dead.find("testcase").get("name") == "ML904 sample-silent: no findings"
    case = next(c for c in root.iter("testcase") if c.get("file") == "src/train.py")
    assert case.get("line") == "12" and "Fix: Link a ticket" in case.find("failure").text


def test_junit_survives_characters_xml_cannot_hold(scanned):
    result = sample_result()
    text = render_junit(result)
    assert "\x0b" not in text
    ET.fromstring(text.encode("utf-8"))  # well-formed
    ET.fromstring(render_junit(scanned).encode("utf-8"))


def test_junit_reports_readiness_checks_when_present():
    result = sample_result()
    result.readiness = {"score": 40, "grade": "D", "dimensions": {"rollback": {"score": 40, "checks": [
        {"id": "R1", "title": "Model versions kept", "status": "fail", "fix": "Use a registry"},
        {"id": "R2", "title": "Deploy pinned", "status": "partial", "fix": "Pin the version"},
        {"id": "R3", "title": "Automated deploy", "status": "pass"}]}}}
    root = ET.fromstring(render_junit(result).encode("utf-8"))
    suite = next(s for s in root.findall("testsuite") if s.get("name") == "mlaudit.readiness")
    assert suite.get("tests") == "3" and suite.get("failures") == "1"


# --- GitHub annotations --------------------------------------------------------------------------

def test_github_escaping_follows_actions_core():
    assert escape_data("a%b\r\nc") == "a%25b%0D%0Ac"
    assert escape_property("src/a,b:c.py") == "src/a%2Cb%3Ac.py"
    lines = render_github(sample_result()).splitlines()
    unsafe = next(line for line in lines if "ML902" in line)
    assert unsafe.startswith("::error file=src/serve.py,line=3,endLine=4,title=ML902 sample-unsafe-load (high)::")
    assert "inside the repository,%0Asecond line 100%25" in unsafe
    notebook = next(line for line in lines if "notebook cell 5" in line)
    assert "line=" not in notebook.split("::")[1]  # cell lines would point into the JSON
    assert all(line.count("\n") == 0 for line in lines)


def test_github_caps_annotations_and_summarises_the_rest():
    hack, unsafe, stale, _ = RULES
    findings = [_finding(unsafe, f"src/m{i}.py", 1, f"high {i}", fingerprint=f"h{i}") for i in range(25)]
    findings += [_finding(hack, f"src/n{i}.py", 1, f"medium {i}", severity="medium", fingerprint=f"m{i}")
                 for i in range(15)]
    findings += [_finding(hack, f"src/l{i}.py", 1, f"low {i}", fingerprint=f"l{i}") for i in range(40)]
    result = sample_result()
    result.findings = findings
    lines = render_github(result).splitlines()
    # The gate fails, so the summary is an error: it keeps one of the 10 error places.
    assert sum(line.startswith("::error") for line in lines) == 10
    assert sum(line.startswith("::warning") for line in lines) == 10
    assert sum(line.startswith("::notice") for line in lines) == 10
    summary = lines[-1]
    assert summary.startswith("::error title=mlaudit gate failed::80 finding(s)")
    assert "51 more not annotated (16 error, 5 warning, 30 notice)" in summary
    assert "Gate failed: 25 finding(s) at or above severity 'high'" in summary
    result.exit_zero = True  # not enforced: the summary is a notice again
    lines = render_github(result).splitlines()
    assert lines[-1].startswith("::notice title=mlaudit summary::") and "(not enforced)" in lines[-1]
    assert sum(line.startswith("::error") for line in lines) == 10 and len(lines) <= 50


# --- Markdown ------------------------------------------------------------------------------------

def test_markdown_escapes_repository_text():
    text = render_markdown(sample_result())
    assert ":x: **Gate failed**:\n\n- 2 finding(s) at or above severity 'high' (ML902, ML903)" in text
    assert "<customer>" not in text and "&lt;customer&gt;" in text
    assert "split \\| by" in text  # a pipe cannot break the table
    assert "@alice" not in text  # no mention notifications
    assert "`@acme/ml`" in text  # owners as code spans
    assert escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "[src/train.py:12](https://github.com/acme/churn/blob/0123456789abcdef0123456789abcdef01234567/" \
           "src/train.py#L12)" in text


def test_markdown_caps_the_findings_table():
    hack = RULES[0]
    result = sample_result()
    result.findings = [_finding(hack, f"src/m{i}.py", 1, f"todo {i}", fingerprint=f"x{i}") for i in range(120)]
    text = render_markdown(result)
    assert "### Findings (worst 50 of 120)" in text
    assert "… and 70 more" in text
    assert len(text) < 65536


def test_markdown_shows_readiness_when_present():
    result = sample_result()
    assert "Readiness" not in render_markdown(result)
    result.readiness = {"score": 62.4, "grade": "C", "rollback_minutes": 30, "dimensions": {
        "rollback": {"score": 40, "checks": [{"id": "R1", "title": "Versions kept", "status": "fail",
                                              "fix": "Keep versions"}]}}}
    text = render_markdown(result)
    assert "**Readiness 62.4/100, grade C**" in text and "about 30 min" in text
    assert "**Versions kept** (rollback, fail): Keep versions" in text


def test_the_json_report_is_indented_with_one_finding_to_a_line():
    import json

    from auditor.report import json_report

    result = sample_result()
    text = json_report.render_json(result)
    assert json.loads(text) == json.loads(json.dumps(json_report.result_to_dict(result)))
    finding_lines = [line for line in text.splitlines() if line.lstrip().startswith('{"rule"')]
    assert len(finding_lines) == len(result.findings) and text.startswith('{\n  "schema_version": 1,')


def test_the_published_schemas_describe_the_report_and_the_configuration(tmp_path):
    jsonschema = pytest.importorskip("jsonschema", reason="pip install -e '.[test]' installs jsonschema")
    from click.testing import CliRunner

    from auditor import config as config_module
    from auditor.cli.main import main
    from auditor.report.schema import config_schema, report_schema

    printed = CliRunner().invoke(main, ["schema", "report"])
    assert printed.exit_code == 0 and json.loads(printed.output) == report_schema()
    docs = Path(__file__).resolve().parents[1] / "docs" / "schemas"
    assert json.loads((docs / "config.schema.json").read_text()) == config_schema()
    assert set(config_schema()["properties"]) == set(config_module._KEYS)  # every key, and only those
    config = jsonschema.Draft202012Validator(config_schema())
    assert not list(config.iter_errors({"fail-on": "medium", "kind": "library", "units": ["labs/*"]}))
    assert list(config.iter_errors({"fail-on": "urgent"})) and list(config.iter_errors({"typo-key": 1}))
    report = jsonschema.Draft202012Validator(report_schema())
    broken = {"schema_version": 1, "tool": {"name": "mlaudit", "version": "0"}, "root": ".", "scanned": {},
              "git": {}, "findings": [{"rule": "ML401", "severity": "urgent"}], "summary": {}, "errors": [],
              "readiness": None, "gate": {"passed": True}, "suppressed": []}
    assert list(report.iter_errors(broken))  # a finding without its fields, a severity not in the vocabulary
