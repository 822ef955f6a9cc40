"""`mlaudit scan` output options: several reports from one scan, formats from file names, the
old --output/--format pair, and the source URL template setting."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from auditor.cli.main import main
from auditor.cli.settings import build_config
from auditor.config import ConfigError
from auditor.report import infer_format
from auditor.report.outputs import Output, OutputError, plan_outputs
from auditor.testing import make_repo

FILES = {"train.py": "x = 1\n# TODO: split by customer\n", "README.md": "# demo\n"}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo", FILES, ages={"train.py": 10, "README.md": 10})


def test_several_reports_from_one_scan(repo, tmp_path):
    out = tmp_path / "out"
    result = run("scan", repo, "--no-cache", "-o", f"html:{out}/report.html", "-o", f"sarif:{out}/mlaudit.sarif",
                 "-o", f"{out}/junit.xml", "-o", f"{out}/gl-code-quality-report.json", "-o", f"{out}/summary.md",
                 "-o", f"{out}/scan.json")
    assert result.exit_code == 0, result.output
    assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert json.loads((out / "mlaudit.sarif").read_text())["version"] == "2.1.0"
    assert ET.fromstring((out / "junit.xml").read_bytes()).tag == "testsuites"
    gitlab = json.loads((out / "gl-code-quality-report.json").read_bytes())
    assert isinstance(gitlab, list) and gitlab[0]["check_name"].startswith("mlaudit/")
    assert not (out / "gl-code-quality-report.json").read_bytes().startswith(b"\xef\xbb\xbf")  # no BOM
    assert (out / "summary.md").read_text().startswith("## mlaudit:")
    assert json.loads((out / "scan.json").read_text())["schema_version"] == 1
    assert "wrote sarif report to" in result.output


def test_output_with_format_still_works(repo, tmp_path):
    target = tmp_path / "report.txt"
    result = run("scan", repo, "--no-cache", "--format", "json", "--output", target)
    assert result.exit_code == 0
    assert json.loads(target.read_text())["findings"]


def test_explicit_format_goes_to_stdout_next_to_typed_files(repo, tmp_path):
    result = run("scan", repo, "--no-cache", "--format", "github", "-o", f"html:{tmp_path}/r.html")
    assert "::notice title=mlaudit summary::" in result.output
    assert (tmp_path / "r.html").exists()


def test_bad_output_values_are_usage_errors(repo, tmp_path):
    assert run("scan", repo, "-o", "html:").exit_code == 2
    both = run("scan", repo, "-o", "sarif:-", "-o", "github:-")
    assert both.exit_code == 2 and "standard output" in both.output
    same = run("scan", repo, "-o", f"html:{tmp_path}/x", "-o", f"sarif:{tmp_path}/x")
    assert same.exit_code == 2 and "same file" in same.output


def test_plan_outputs():
    assert plan_outputs(None, []) == [Output("text", None)]
    assert plan_outputs("sarif", []) == [Output("sarif", None)]
    assert [o.fmt for o in plan_outputs(None, ["a.html", "b.sarif", "c.xml", "d.md", "e.json", "f"])] == \
        ["html", "sarif", "junit", "markdown", "json", "text"]
    assert plan_outputs(None, ["markdown:-"]) == [Output("markdown", None)]
    warnings = []
    assert plan_outputs("json", ["r.html"], warn=warnings.append)[0].fmt == "json"
    assert warnings and "-o html:r.html" in warnings[0]
    with pytest.raises(OutputError):
        plan_outputs(None, ["-", "text:-"])


def test_infer_format():
    assert infer_format("results.sarif.json") == "sarif"
    assert infer_format("gl-code-quality-report.json") == "gitlab"
    assert infer_format("Report.HTML") == "html"
    assert infer_format("notes") is None


def test_source_url_template_option_and_setting(repo, tmp_path):
    bad = run("scan", repo, "--source-url-template", "https://code.example/{file}")
    assert bad.exit_code == 2 and "unknown placeholder" in bad.output
    good = run("scan", repo, "--no-cache", "--source-url-template", "https://code.example/{path}?at={commit}#L{line}",
               "-o", f"html:{tmp_path}/r.html")
    assert good.exit_code == 0
    assert 'href="https://code.example/train.py?at=' in (tmp_path / "r.html").read_text()
    with pytest.raises(ConfigError, match="source-url-template"):
        build_config({"source-url-template": "ftp://x/{path}"}, None, {})
    assert build_config({"source-url-template": "https://x/{path}"}, None, {}).source_url_template == "https://x/{path}"


def test_the_json_report_written_in_pieces_is_the_rendered_report(repo, tmp_path, monkeypatch):
    """A large report is written a piece at a time (never held whole); the file and standard
    output still get exactly the text ``render_json`` makes, even when every piece is a write."""
    from auditor.report import outputs
    from auditor.report.json_report import render_json
    from auditor.testing import scan_repo

    monkeypatch.setattr(outputs, "_batched", lambda pieces, size=0: iter(list(pieces)))  # one write per piece
    target = tmp_path / "scan.json"
    assert run("scan", repo, "--no-cache", "-o", target).exit_code == 0
    printed = run("scan", repo, "--no-cache", "--format", "json").output
    expected = render_json(scan_repo(repo))

    def steady(text):  # a scan's times differ from run to run
        return [line for line in text.splitlines() if not any(k in line for k in ('"duration', '"started', '"finished'))]

    assert steady(target.read_text()) == steady(printed) == steady(expected)
    assert json.loads(target.read_text())["findings"]
