"""Reasoned suppressions end to end: inline, line above, file-wide, per-path configuration, expiry,
reasonless and unused directives, in Python, notebooks and text files, through the real engine."""

import json
import time

from click.testing import CliRunner

from auditor.analysis.directives import parse_directive
from auditor.cli.main import main
from auditor.testing import DAY, make_repo, scan_repo

NOW = time.mktime((2026, 6, 1, 12, 0, 0, 0, 0, -1))
HACKS = {"select": ["ML401", "ML420", "ML421"]}


def scan(root, config=None, **kwargs):
    result = scan_repo(root, {**HACKS, **(config or {})}, now=NOW, **kwargs)
    assert not result.errors, result.errors
    return result


def located(findings):
    return sorted((f.rule, f.path, f.line) for f in findings)


def test_parse_directive_forms():
    full = parse_directive("# mlaudit: ignore[ML401, unsafe-load] until=2026-12-31 -- tracked in DATA-7")
    assert full["selectors"] == ("ML401", "unsafe-load")
    assert (full["until"], full["reason"], full["problem"], full["scope"]) == ("2026-12-31", "tracked in DATA-7",
                                                                             None, "line")
    assert parse_directive("# mlaudit: ignore-file[ML401] -- vendored")["scope"] == "file"
    assert "no reason" in parse_directive("# mlaudit: ignore[ML401]")["problem"]
    assert "after ' -- '" in parse_directive("# mlaudit: ignore[ML401] legacy code")["problem"]
    assert "names no rule" in parse_directive("# mlaudit: ignore -- all fine")["problem"]
    assert "not a date" in parse_directive("# mlaudit: ignore[ML401] until=31/12/2026 -- later")["problem"]
    # The syntax is fine; whether ML999 exists is the suppression pass's to say (ML420's examples).
    assert parse_directive("# mlaudit: ignore[ML999] -- typo")["problem"] is None
    assert parse_directive("# mlaudit is great") is None
    assert parse_directive("# noqa: E402") is None


def test_inline_and_line_above_suppress_with_their_reason(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": (
        "x = 1  # TODO: tidy  # mlaudit: ignore[ML401] -- tracked in the cleanup epic\n"
        "# mlaudit: ignore[undocumented-hack] -- tracked in the cleanup epic\n"
        "# mlaudit: ignore[ML999-not-used] -- stacked directives are fine\n"
        "y = 2  # TODO: also tidy\n"
        "z = 3  # TODO: this one is reported\n"
    )})
    result = scan(root)
    assert located(result.findings) == [("ML401", "a.py", 5), ("ML420", "a.py", 3)]
    assert located(result.suppressed) == [("ML401", "a.py", 1), ("ML401", "a.py", 4)]
    reasons = {f.line: f.evidence["suppressed_by"]["reason"] for f in result.suppressed}
    assert reasons == {1: "tracked in the cleanup epic", 4: "tracked in the cleanup epic"}


def test_trailing_directive_does_not_reach_the_next_line(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "x = 1  # mlaudit: ignore[ML401] -- meant for the line below\n"
                                              "y = 2  # TODO: tidy\n"})
    result = scan(root)
    assert located(result.findings) == [("ML401", "a.py", 2), ("ML421", "a.py", 1)]


def test_reasonless_directive_suppresses_nothing_and_is_reported(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "x = 1  # TODO: tidy  # mlaudit: ignore[ML401]\n"})
    result = scan(root)
    assert located(result.findings) == [("ML401", "a.py", 1), ("ML420", "a.py", 1)]
    assert result.suppressed == []
    ml420 = next(f for f in result.findings if f.rule == "ML420")
    assert ml420.category == "undocumented-hack" and "no reason" in ml420.message


def test_expiry_lapses_and_the_finding_says_so(tmp_path):
    code = "# mlaudit: ignore[ML401] until={} -- waiting for the upstream fix\nx = 1  # TODO: tidy\n"
    root = make_repo(tmp_path / "future", {"a.py": code.format("2026-12-31")})
    assert located(scan(root).suppressed) == [("ML401", "a.py", 2)]
    root = make_repo(tmp_path / "past", {"a.py": code.format("2026-05-31")})
    result = scan(root)
    assert located(result.findings) == [("ML401", "a.py", 2)]  # and no ML421: it still matched
    finding = result.findings[0]
    assert "suppression expired on 2026-05-31" in finding.message
    assert finding.evidence["suppression_expired"]["reason"] == "waiting for the upstream fix"


def test_unused_directive_is_reported_only_when_its_rules_ran(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "x = 1  # mlaudit: ignore[ML401] -- the TODO was fixed\n"})
    assert located(scan(root).findings) == [("ML421", "a.py", 1)]
    assert located(scan(root, {"select": ["ML421", "ML420"]}).findings) == []
    assert located(scan(root, {"ignore": ["ML401"]}).findings) == []


def test_file_wide_directive_and_per_file_ignores(tmp_path):
    root = make_repo(tmp_path / "r", {
        "vendor/lib.py": "# mlaudit: ignore-file[undocumented-hack] -- vendored, replaced in Q3\nx = 1  # TODO\n"
                         "y = 1  # FIXME\n",
        "scratch/try.py": "x = 1  # TODO: later\n",
        "src/a.py": "x = 1  # TODO: later\n",
    })
    result = scan(root, {"per-file-ignores": {"scratch/**": ["ML401"]}})
    assert located(result.findings) == [("ML401", "src/a.py", 1)]
    kinds = sorted(f.evidence["suppressed_by"]["kind"] for f in result.suppressed)
    assert kinds == ["file", "file", "per-file-ignores"]


def test_per_file_ignores_are_validated(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "x = 1\n", "pyproject.toml":
                                      '[tool.mlaudit.per-file-ignores]\n"scratch/**" = ["ML9999"]\n'})
    result = CliRunner().invoke(main, ["scan", str(root), "--no-cache"])
    assert result.exit_code == 2
    assert "[per-file-ignores] 'scratch/**' names unknown rule or category 'ML9999'" in result.output


def test_text_files_and_notebooks(tmp_path):
    notebook = {"cells": [
        {"cell_type": "code", "source": ["# mlaudit: ignore[ML401] -- exploration only\n", "x = 1  # TODO: a\n"]},
        {"cell_type": "code", "source": ["y = 2  # TODO: b\n"]},
    ], "nbformat": 4}
    root = make_repo(tmp_path / "r", {
        "requirements.txt": "numpy  # mlaudit: ignore[ML210] -- pinned by the constraints file\npandas\n",
        "Dockerfile": "# mlaudit: ignore[unpinned-dependency] -- rebuilt nightly on purpose\nFROM python:latest\n",
        "nb.ipynb": json.dumps(notebook),
    })
    result = scan(root, {"select": ["ML210", "ML212", "ML401", "ML421"]})
    assert sorted((f.rule, f.path, f.line, f.cell) for f in result.findings) == [
        ("ML210", "requirements.txt", 2, None), ("ML401", "nb.ipynb", 1, 2)]
    assert sorted((f.rule, f.path, f.line, f.cell) for f in result.suppressed) == [
        ("ML210", "requirements.txt", 1, None), ("ML212", "Dockerfile", 2, None), ("ML401", "nb.ipynb", 2, 1)]


def test_suppressing_does_not_change_the_other_fingerprints(tmp_path):
    before = make_repo(tmp_path / "a", {"a.py": "x = 1  # TODO\ny = 2  # TODO\n"})
    after = make_repo(tmp_path / "b", {"a.py": "x = 1  # TODO  # mlaudit: ignore[ML401] -- spike\ny = 2  # TODO\n"})
    old = {f.line: f.fingerprint for f in scan(before).findings}
    new = scan(after)
    assert [f.fingerprint for f in new.findings] == [old[2]]


def test_directives_survive_the_result_cache(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "# mlaudit: ignore[ML401] -- later\nx = 1  # TODO\n"})
    cache = tmp_path / "cache"
    first = scan(root, cache_dir=cache)
    second = scan(root, cache_dir=cache)
    assert second.cache["hits"] == 1
    assert located(first.suppressed) == located(second.suppressed) == [("ML401", "a.py", 2)]


def test_cli_json_and_verbose_text_show_suppressions(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "x = 1  # TODO  # mlaudit: ignore[ML401] -- spike code\n"})
    runner = CliRunner()
    data = json.loads(runner.invoke(main, ["scan", str(root), "--no-cache", "--format", "json"]).output)
    assert [f["rule"] for f in data["suppressed"]] == ["ML401"]
    assert all(f["rule"] != "ML401" for f in data["findings"])
    text = runner.invoke(main, ["scan", str(root), "--no-cache", "-v"]).output
    assert "1 finding(s) suppressed with a reason" in text
    assert "a.py:1  ML401  inline line: spike code" in text


def test_age_of_scan_decides_expiry(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "# mlaudit: ignore[ML401] until=2026-06-01 -- today still counts\n"
                                              "x = 1  # TODO\n"})
    assert located(scan_repo(root, HACKS, now=NOW).suppressed) == [("ML401", "a.py", 2)]
    assert located(scan_repo(root, HACKS, now=NOW + 2 * DAY).findings) == [("ML401", "a.py", 2)]


def test_a_directive_on_a_line_is_not_part_of_its_identity(tmp_path):
    """A trailing directive (even one that does not suppress, or expired) keeps the finding's
    fingerprint, so a baseline does not see it as new debt."""
    plain = make_repo(tmp_path / "a", {"a.py": "x = 1  # TODO: tidy\n"})
    tagged = make_repo(tmp_path / "b", {"a.py": "x = 1  # TODO: tidy  # mlaudit: ignore[ML401]\n"})
    expired = make_repo(tmp_path / "c", {"a.py": "x = 1  # TODO: tidy  # mlaudit: ignore[ML401] until=2020-01-01 "
                                                 "-- old\n"})
    fingerprints = [{f.fingerprint for f in scan(root).findings if f.rule == "ML401"}
                    for root in (plain, tagged, expired)]
    assert len(fingerprints[0]) == 1 and fingerprints[0] == fingerprints[1] == fingerprints[2]
