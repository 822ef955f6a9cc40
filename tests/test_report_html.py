"""The HTML report without a browser: self-contained, escaped, sections present when their data is,
source links, excerpts attached during the scan, and size and speed at 100,000 findings.
(tests/test_report_browser.py runs it in Chromium.)"""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from importlib import resources

import pytest

from auditor.config import Config, build_config
from auditor.finding import Finding
from auditor.model.excerpt import attach, excerpt
from auditor.model.gitinfo import GitHistory
from auditor.report.html import FIRST_PAGE, json_for_script, render_html
from auditor.report.links import SourceLinks, default_template, safe_remote, template_problem
from auditor.scan.engine import ScanResult, scan
from auditor.testing import git, make_repo

SEVERITIES = ("critical", "high", "medium", "low", "info")


def big_result(n: int) -> ScanResult:
    """n synthetic findings over many files, owners and rules (also used by the browser test)."""
    findings = []
    for i in range(n):
        severity = SEVERITIES[i % 5]
        findings.append(Finding(
            rule=f"ML4{i % 7:02d}", name=f"rule-{i % 7}", category="undocumented-hack", severity=severity,
            confidence="high", path=f"src/pkg{i % 100}/module{i % 100_000}.py", line=i % 500 + 1,
            message=f"synthetic finding token{i:06d} in function f{i % 1000}", owners=(f"@team{i % 13}",),
            fingerprint=f"{i:016x}",
            excerpt={"start": 1, "lines": ["def f():", f"    # TODO token{i:06d}", "    return 1"]}))
    return ScanResult(root="big", config=Config(), findings=findings, files=100_000, python_files=100_000,
                      started=1_790_000_000.0, duration=12.0)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def _data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="mlaudit-data">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


PAYLOAD = '</script><script>window.__pwned=1</script><img src=x onerror="alert(1)"><!--'


def _repo(tmp_path, extra=None, remote=None):
    files = {
        "src/train.py": f"import os\n\n\ndef train():\n    # TODO: {PAYLOAD}\n    return os.getcwd()\n",
        "notebooks/eda.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": ["a = 1\n", "b = 2\n"]},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": ["import pandas as pd\n", "x = 1\n", "# HACK: drop outliers by hand\n", "y = 2\n"]},
        ]}),
        ".github/CODEOWNERS": "src/ @acme/ml\n",
        **(extra or {}),
    }
    root = make_repo(tmp_path / "repo", files, ages={p: 30 for p in files})
    if remote:
        git(root, "remote", "add", "origin", remote)
    return root


def test_repository_text_is_escaped_everywhere(tmp_path):
    result = scan(_repo(tmp_path), build_config({}, None, {}))
    html = render_html(result)
    parsed = _parse(html)
    # Exactly two scripts, ours: the JSON island and the behaviour.
    assert [a.get("type") for t, a in parsed.tags if t == "script"] == ["application/json", None]
    assert "window.__pwned" not in parsed.scripts[1]
    assert not any(t == "img" for t, _ in parsed.tags)
    assert "<!--" not in parsed.scripts[0] and "</script" not in parsed.scripts[0].lower()
    # The payload is shown as text, both in the server-rendered page and in the embedded data.
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned=1" in html
    messages = [row[6] for row in _data(html)["findings"]]
    assert any("</script><script>window.__pwned=1</script><img" in m for m in messages)


def test_json_island_cannot_close_its_element():
    text = json_for_script({"m": "</script><!-- \u2028 &"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"m": "</script><!-- \u2028 &"}


def test_the_report_is_self_contained(tmp_path):
    html = render_html(scan(_repo(tmp_path, remote="git@github.com:acme/churn.git"), build_config({}, None, {})))
    parsed = _parse(html)
    for tag, attrs in parsed.tags:
        assert "src" not in attrs, (tag, attrs)
        if tag == "link":
            assert attrs.get("href", "").startswith("data:")
        assert not (attrs.get("style") or "").strip(), "inline styles would be blocked by a strict CSP"
    css = resources.files("auditor.templates").joinpath("report.css").read_text()
    assert "url(" not in css and "@import" not in css
    # Only source links point outside the file.
    external = [a["href"] for t, a in parsed.tags if t == "a" and a.get("href", "").startswith("http")]
    assert external and all(h.startswith("https://github.com/acme/churn/blob/") for h in external)


def test_assets_cannot_end_their_element_early():
    for name in ("report.css", "report.js"):
        assert "</" not in resources.files("auditor.templates").joinpath(name).read_text()


def test_sections_and_server_side_order(tmp_path):
    result = scan(_repo(tmp_path), build_config({}, None, {}))
    result.readiness = None  # as when the readiness score is not computed
    html = render_html(result)
    for heading in ("Findings by category and severity", "Where the debt is", "Rules that fired", "Scan details",
                    "Top files", "Top owners"):
        assert heading in html
    assert 'id="readiness"' not in html  # no readiness data, no section
    assert "<svg" in html and 'fill="#' in html  # charts drawn with presentation attributes
    # Rows are in severity order on the server side already.
    rows = re.findall(r'<tr>\s*<td><span class="sev sev-(\w+)">', html)
    assert rows == sorted(rows, key=SEVERITIES.index)
    assert "@acme/ml" in html  # owners from CODEOWNERS


def test_readiness_section_when_the_scan_has_one(tmp_path):
    result = scan(_repo(tmp_path), build_config({}, None, {}))
    result.readiness = {
        "score": 58.0, "grade": "D", "rollback_minutes": 30,
        "rollback": {"estimate_minutes": 30, "reasoning": ["versioned files <kept>", "manual redeploy"],
                     "to_get_under_5": ["register models with aliases"]},
        "dimensions": {
            "traceability": {"score": 80, "checks": [
                {"id": "T1", "title": "Data versioned", "status": "pass", "evidence": [{"path": "dvc.yaml", "line": 1}],
                 "fix": ""}]},
            "rollback": {"score": 30, "checks": [
                {"id": "R1", "title": "Registry aliases", "status": "fail", "evidence": [], "fix": "Use <aliases>"},
                {"id": "R2", "title": "Pinned deploy", "status": "partial",
                 "evidence": [{"path": "deploy.yaml", "line": 4}], "fix": "Pin a version"}]},
        },
    }
    html = render_html(result)
    assert 'id="readiness"' in html and "Operational readiness: D (58/100)" in html
    assert "about <strong>30 minutes</strong>" in html
    assert "versioned files &lt;kept&gt;" in html and "register models with aliases" in html
    failing = html[html.index("Checks to fix"):html.index("All checks by dimension")]
    assert "Registry aliases" in failing and "Pinned deploy" in failing and "Data versioned" not in failing
    assert failing.index("Registry aliases") < failing.index("Pinned deploy")  # failures first
    assert "Use &lt;aliases&gt;" in failing


def test_stale_models_and_ownerless_pipelines_get_their_own_tables():
    def finding(category, path, **extra):
        return Finding(rule="ML999", name="x", category=category, severity="high", confidence="high", path=path,
                       line=None, message=f"{category} at {path}", fingerprint=path, **extra)

    result = ScanResult(root="r", config=Config(), findings=[
        finding("stale-model", "models/m.pkl", evidence={"age_days": 400, "author": "Alice"}),
        finding("ownerless-pipeline", "dags/train.py"),
        finding("undocumented-hack", "src/a.py"),
    ])
    html = render_html(result)
    stale = html[html.index('id="stale-models"'):html.index('id="ownerless"')]
    assert "models/m.pkl" in stale and "400 days ago" in stale and "Alice" in stale and "src/a.py" not in stale
    ownerless = html[html.index('id="ownerless"'):html.index('id="findings"')]
    assert "dags/train.py" in ownerless and "models/m.pkl" not in ownerless


def test_scan_metadata_lists_skipped_files_and_hides_credentials():
    result = ScanResult(root="r", config=Config(), findings=[], skipped=[("data/huge.csv", "larger than 2 MB")],
                        degraded=[("a.py", "decoded as LATIN-1")],
                        git=GitHistory(available=True, head="abc123", branch="main",
                                       remote_url="https://user:s3cret@gitlab.example.com/g/r.git"))
    html = render_html(result)
    assert "data/huge.csv" in html and "larger than 2 MB" in html and "decoded as LATIN-1" in html
    assert "s3cret" not in html and "user:" not in html
    assert "No findings" in html


def test_source_links():
    assert default_template("git@github.com:acme/churn.git") == "https://github.com/acme/churn/blob/{commit}/{path}#L{line}"
    assert default_template("https://gitlab.com/g/sub/r.git") == "https://gitlab.com/g/sub/r/-/blob/{commit}/{path}#L{line}"
    assert default_template("ssh://git@gitlab.example.org:2222/g/r.git") == \
        "https://gitlab.example.org/g/r/-/blob/{commit}/{path}#L{line}"
    assert default_template("https://x:tok@github.com/a/b") == "https://github.com/a/b/blob/{commit}/{path}#L{line}"
    assert default_template("/srv/mirror/repo") is None and default_template("git@bitbucket.org:a/b.git") is None
    assert safe_remote("https://x:tok@github.com/a/b") == "https://github.com/a/b"
    links = SourceLinks("https://github.com/a/b/blob/{commit}/{path}#L{line}", "c0ffee")
    assert links.url("src/my file.py", 7) == "https://github.com/a/b/blob/c0ffee/src/my%20file.py#L7"
    assert links.url("nb.ipynb", 3, cell=2) == "https://github.com/a/b/blob/c0ffee/nb.ipynb"  # cell lines: no anchor
    assert links.url("nb.ipynb", 3) == "https://github.com/a/b/blob/c0ffee/nb.ipynb"  # forges: no notebook anchors
    assert SourceLinks("https://h/{commit}/{path}", None).url("a.py", 1) is None  # no commit, no link
    assert template_problem("https://h/{path}?at={commit}#L{line}") is None
    assert "unknown placeholder" in template_problem("https://h/{path}/{sha}")
    assert "{path}" in template_problem("https://h/{commit}")
    assert "http" in template_problem("javascript:alert(1)//{path}")


def test_configured_url_template_wins(tmp_path):
    root = _repo(tmp_path, remote="git@github.com:acme/churn.git")
    config = build_config({"source-url-template": "https://code.example/{path}?rev={commit}#line-{line}"}, None, {})
    html = render_html(scan(root, config))
    assert re.search(r'href="https://code\.example/src/train\.py\?rev=[0-9a-f]{40}#line-5"', html)
    assert "github.com" not in html.split('id="mlaudit-data"')[0].split("Scan details")[0]


def test_excerpts_are_attached_during_the_scan(tmp_path):
    extra = {"configs/train.yaml": "lr: 0.1\n# TODO: tune this\nepochs: 3\n"}
    result = scan(_repo(tmp_path, extra), build_config({}, None, {}))
    by_path = {f.path: f for f in result.findings}
    todo = by_path["src/train.py"]
    assert todo.excerpt["start"] == 3 and "# TODO" in todo.excerpt["lines"][2]
    notebook = by_path["notebooks/eda.ipynb"]
    assert notebook.cell == 2 and notebook.line == 3
    assert notebook.excerpt == {"start": 1, "lines": ["import pandas as pd", "x = 1",
                                                      "# HACK: drop outliers by hand", "y = 2"]}


def test_excerpt_helpers_stay_in_bounds():
    lines = [f"line {i}" for i in range(1, 11)]
    assert excerpt(lines, 1) == {"start": 1, "lines": ["line 1", "line 2", "line 3"]}
    assert excerpt(lines, 10)["lines"] == ["line 8", "line 9", "line 10"]
    assert excerpt(lines, 11) is None and excerpt(lines, None) is None and excerpt([], 1) is None
    assert len(excerpt(lines, 2, 10)["lines"]) == 8  # a long span is capped
    assert excerpt(["x" * 1000], 1)["lines"][0].endswith("…")
    # Notebook: lines count within the cell and the excerpt never crosses into the next cell.
    found = [{"line": 1, "cell": 3, "end_line": None}]
    attach(found, ["a", "b", "c", "d"], [(1, 1), (1, 2), (3, 1), (3, 2)])
    assert found[0]["excerpt"] == {"start": 1, "lines": ["c", "d"]}


@pytest.mark.slow
def test_100k_findings_render_fast_and_compact():
    result = big_result(100_000)
    started = time.perf_counter()
    html = render_html(result)
    seconds = time.perf_counter() - started
    assert seconds < 20, seconds
    assert len(html) < 40_000_000
    assert html.count('<tr>\n      <td data-label="Severity"><span class="sev') == FIRST_PAGE  # server-side page is capped
    assert len(_data(html)["findings"]) == 100_000


def test_gate_banner_says_why_the_build_fails():
    def finding(severity):
        return Finding(rule="ML999", name="x", category="undocumented-hack", severity=severity, confidence="high",
                       path="a.py", line=1, message=f"a {severity} finding", fingerprint=severity)

    failing = render_html(ScanResult(root="r", config=Config(), findings=[finding("high"), finding("low")]))
    banner = failing[failing.index('class="gate'):failing.index("</div>", failing.index('class="gate'))]
    assert "gate-fail" in banner and "Gate failed" in banner and "1 finding(s) at or above severity" in banner
    passing = render_html(ScanResult(root="r", config=Config(), findings=[finding("low")]))
    assert "Gate passed." in passing and 'class="gate gate-pass"' in passing
