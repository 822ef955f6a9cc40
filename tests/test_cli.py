"""The command line as users run it: exit codes, configuration errors, JSON contract, selection."""

import json
import subprocess
import sys

from click.testing import CliRunner

from auditor.cli.main import main
from auditor.testing import make_repo

HIGH = {"a.py": "# TODO\nx = 1  # FIXME: later\n"}


def run(*args):
    """The CLI limited to the rules these tests know (others evolve independently)."""
    args = [str(a) for a in args]
    if args and args[0] == "scan" and "--select" not in args:
        args += ["--select", "ML001,ML002,ML401"]
    return CliRunner().invoke(main, args)


def test_exit_codes_follow_fail_on(tmp_path):
    root = make_repo(tmp_path / "r", HIGH)
    assert run("scan", root).exit_code == 0  # default threshold high; these are medium and low
    result = run("scan", root, "--fail-on", "medium")
    assert result.exit_code == 1
    assert "exit 1: 1 finding(s) at or above severity 'medium'" in result.output
    assert run("scan", root, "--fail-on", "low").exit_code == 1


def test_fail_on_from_configuration_and_cli_wins(tmp_path):
    root = make_repo(tmp_path / "r", {**HIGH, "pyproject.toml": '[tool.mlaudit]\nfail-on = "low"\n'})
    assert run("scan", root).exit_code == 1
    assert run("scan", root, "--fail-on", "critical").exit_code == 0


def test_missing_path_is_a_usage_error(tmp_path):
    result = run("scan", tmp_path / "nope")
    assert result.exit_code == 2
    assert "path does not exist" in result.output


def test_configuration_errors_exit_2_with_a_clear_message(tmp_path):
    cases = {
        '[tool.mlaudit]\nselct = ["ML4"]\n': "unknown key 'selct' (did you mean 'select'?)",
        '[tool.mlaudit]\nfail-on = "hgh"\n': "'fail-on' must be one of",
        '[tool.mlaudit]\nselect = "ML4"\n': "'select' must be a list of strings",
        '[tool.mlaudit]\nselect = ["ML999"]\n': "unknown rule or category 'ML999'",
        '[tool.mlaudit.rules.ML401]\nticket = "x"\n': "rule ML401 has no option 'ticket'",
        '[tool.mlaudit.rules.ML401]\nticket-pattern = 3\n': "must be str",
        '[tool.mlaudit.severity]\nML401 = "urgent"\n': "[severity] ML401 must be one of info, low",
        '[tool.mlaudit\n': "not valid TOML",
        '[tool.mlaudit.rules.ML401]\nticket-pattern = "(["\n': "is not a valid regular expression",
    }
    for index, (text, message) in enumerate(cases.items()):
        root = make_repo(tmp_path / f"r{index}", {"pyproject.toml": text, "a.py": "x = 1\n"})
        result = run("scan", root)
        assert result.exit_code == 2, (text, result.output)
        assert message in result.output, (text, result.output)


def test_broken_pyproject_without_our_table_does_not_stop_the_scan(tmp_path):
    root = make_repo(tmp_path / "r", {"pyproject.toml": "[project\nname = 'x'\n", "a.py": "# TODO\n"})
    result = run("scan", root, "--format", "json")
    assert result.exit_code == 0
    # the broken file is the scanned project's problem: a finding, not a configuration error
    assert [(f["path"], f["rule"]) for f in json.loads(result.output)["findings"]] == \
        [("a.py", "ML401"), ("pyproject.toml", "ML002")]


def test_unknown_selector_on_the_command_line(tmp_path):
    root = make_repo(tmp_path / "r", HIGH)
    result = run("scan", root, "--select", "nonsense")
    assert result.exit_code == 2 and "unknown rule or category 'nonsense'" in result.output


def test_mlaudit_toml_and_explicit_config(tmp_path):
    root = make_repo(tmp_path / "r", {**HIGH, "mlaudit.toml": 'ignore = ["ML401"]\n'})
    assert json.loads(run("scan", root, "--format", "json").output)["findings"] == []
    other = tmp_path / "other.toml"
    other.write_text('[tool.mlaudit]\nfail-on = "medium"\n')
    assert run("scan", root, "--config", other).exit_code == 1


def test_json_contract(tmp_path):
    root = make_repo(tmp_path / "r", {**HIGH, "bin.py": b"\x00\x01\x02"})
    result = run("scan", root, "--format", "json")
    data = json.loads(result.output)
    assert data["schema_version"] == 1
    assert data["tool"]["name"] == "mlaudit"
    assert data["root"] == str(root)
    assert data["scanned"]["python_files"] == 1 and data["scanned"]["python_lines"] == 2
    assert data["scanned"]["skipped"] == [{"path": "bin.py", "reason": "binary content (NUL bytes)"}]
    finding = data["findings"][0]
    assert set(finding) >= {"rule", "name", "category", "severity", "confidence", "path", "line", "end_line",
                            "cell", "message", "symbol", "owners", "fingerprint", "evidence"}
    assert (finding["rule"], finding["category"], finding["path"], finding["line"]) == \
        ("ML401", "undocumented-hack", "a.py", 1)
    assert data["summary"]["by_category"] == {"undocumented-hack": 2}
    assert data["summary"]["by_severity"] == {"medium": 1, "low": 1}


def test_json_is_stable_across_runs(tmp_path):
    root = make_repo(tmp_path / "r", HIGH, ages={"a.py": 5})
    first = json.loads(run("scan", root, "--format", "json").output)
    second = json.loads(run("scan", root, "--format", "json").output)
    assert first["findings"] == second["findings"]


def test_select_ignore_and_exclude(tmp_path):
    root = make_repo(tmp_path / "r", {**HIGH, "gen/b.py": "# TODO\n", "c.py": "def (\n"})
    def paths(*args):
        return sorted({f["path"] for f in json.loads(run("scan", root, "--format", "json", *args).output)["findings"]})
    assert paths() == ["a.py", "c.py", "gen/b.py"]
    assert paths("--select", "parse-error") == ["c.py"]
    assert paths("--ignore", "ML001,ML002") == ["a.py", "gen/b.py"]
    assert paths("--exclude", "gen/") == ["a.py", "c.py"]


def test_output_file_and_text_grouping(tmp_path):
    root = make_repo(tmp_path / "r", HIGH)
    out = tmp_path / "reports" / "out.txt"
    result = run("scan", root, "-o", out)
    assert result.exit_code == 0
    text = out.read_text()
    assert text.startswith("a.py\n")
    assert "ML401" in text and "by category: undocumented-hack 2" in text


def test_rules_and_explain(tmp_path):
    listing = run("rules")
    assert listing.exit_code == 0 and "ML401" in listing.output
    assert "| ML401 |" in run("rules", "--format", "markdown").output
    assert run("explain", "unticketed-debt-marker").exit_code == 0
    assert run("explain", "ML999").exit_code == 2


def test_python_dash_m_and_console_script(tmp_path):
    root = make_repo(tmp_path / "r", HIGH)
    done = subprocess.run([sys.executable, "-m", "auditor", "scan", str(root), "--format", "json",
                           "--select", "ML401", "--no-cache"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["findings"]) == 2


def test_min_confidence_on_the_command_line_and_what_it_hid(tmp_path):
    root = make_repo(tmp_path / "r", {
        "app.py": "def looked_up_dynamically():\n    return 3\n",
        "other.py": "NAMES = ['looked_up_dynamically']\n\nif __name__ == '__main__':\n    print(NAMES)\n"})
    hidden = run("scan", root, "--select", "ML101", "--no-cache")
    assert "looked_up_dynamically" not in hidden.output
    assert "1 finding(s) less certain than medium confidence hidden: --min-confidence low shows them" in hidden.output
    shown = run("scan", root, "--select", "ML101", "--no-cache", "--min-confidence", "low", "--format", "json")
    data = json.loads(shown.output)
    assert [f["symbol"] for f in data["findings"]] == ["looked_up_dynamically"]
    assert data["summary"]["below_min_confidence"] == 0
    assert run("scan", root, "--min-confidence", "certain").exit_code == 2


def test_min_severity_and_info_findings_in_the_text_output(tmp_path):
    root = make_repo(tmp_path / "r", {
        "labs/week1/train.py": "# TODO: your code here\nx = 1\n",  # an exercise placeholder: info
        "src/job.py": "# FIXME: retries are off\ny = 2\n"})          # debt: low
    text = run("scan", root, "--select", "ML401", "--no-cache")
    listed = text.output.splitlines()  # the findings listing names each file on a line of its own
    assert "src/job.py" in listed and "labs/week1/train.py" not in listed
    assert "1 info finding(s) not listed: -v lists them" in text.output
    assert "labs/week1/train.py" in run("scan", root, "--select", "ML401", "--no-cache", "-v").output.splitlines()
    data = json.loads(run("scan", root, "--select", "ML401", "--no-cache", "--min-severity", "low",
                          "--format", "json").output)
    assert [f["path"] for f in data["findings"]] == ["src/job.py"]
    assert data["summary"]["below_min_severity"] == 1


def test_colour_follows_color_no_color_and_force_color(tmp_path):
    from auditor.report.outputs import use_color

    assert use_color("auto", terminal=True, environ={}) is True
    assert use_color("auto", terminal=False, environ={}) is False
    assert use_color("auto", terminal=True, environ={"NO_COLOR": "1"}) is False
    assert use_color("auto", terminal=False, environ={"FORCE_COLOR": "1"}) is True
    assert use_color("auto", terminal=False, environ={"FORCE_COLOR": "0"}) is False
    assert use_color("auto", terminal=True, environ={"NO_COLOR": "1", "FORCE_COLOR": "1"}) is False
    assert use_color("never", terminal=True, environ={"FORCE_COLOR": "1"}) is False
    assert use_color("always", terminal=False, environ={"NO_COLOR": "1"}) is True
    root = make_repo(tmp_path / "r", HIGH)
    assert "\x1b[" in run("scan", root, "--no-cache", "--color", "always").output
    assert "\x1b[" not in run("scan", root, "--no-cache").output  # not a terminal


def test_ctrl_c_and_sigterm_end_with_one_line_and_the_shells_exit_codes(tmp_path, monkeypatch):
    cli_main = sys.modules["auditor.cli.main"]  # the module (the package exports the group under that name)
    root = make_repo(tmp_path / "r", HIGH)
    report = tmp_path / "out" / "report.json"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "scan", interrupted)
    result = CliRunner().invoke(main, ["scan", str(root), "-o", f"json:{report}"])
    assert result.exit_code == 130 and "mlaudit: interrupted" in result.output
    assert "Traceback" not in result.output and not report.exists()

    def terminated(*args, **kwargs):
        cli_main._on_sigterm(15, None)

    monkeypatch.setattr(cli_main, "scan", terminated)
    result = CliRunner().invoke(main, ["scan", str(root)])
    assert result.exit_code == 143 and "mlaudit: terminated" in result.output


def test_reports_are_written_whole_or_not_at_all(tmp_path, monkeypatch):
    from auditor.report import outputs

    target = tmp_path / "report.json"
    target.write_text("the previous report\n")

    def failing_replace(source, destination):
        raise KeyboardInterrupt  # interrupted just before the rename

    monkeypatch.setattr(outputs.os, "replace", failing_replace)
    try:
        outputs.write_atomically(target, "half")
    except KeyboardInterrupt:
        pass
    assert target.read_text() == "the previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind


def test_files_and_folders_of_a_repository_are_judged_with_the_whole_program(tmp_path):
    # pre-commit passes changed files: the helper is used from another file, so it is not dead,
    # and only the given file's findings are reported, with no readiness score
    files = {"pkg/__init__.py": "", "pkg/helpers.py": "def helper():\n    return 1\n\n\ndef _unused():\n    return 2\n",
             "pkg/app.py": "from pkg.helpers import helper\n\nif __name__ == '__main__':\n    helper()  # TODO: retry\n"}
    root = make_repo(tmp_path / "r", files, {path: 1 for path in files})
    result = run("scan", root / "pkg" / "helpers.py", "--select", "ML101,ML401", "--no-cache", "--format", "json")
    data = json.loads(result.output)
    assert [(f["rule"], f["path"], f["symbol"]) for f in data["findings"]] == [("ML101", "pkg/helpers.py", "_unused")]
    assert data["readiness"] is None and data["scope"] == ["pkg/helpers.py"]
    both = json.loads(run("scan", root / "pkg" / "helpers.py", root / "pkg" / "app.py", "--select", "ML101,ML401",
                          "--no-cache", "--format", "json").output)
    assert sorted(f["path"] for f in both["findings"]) == ["pkg/app.py", "pkg/helpers.py"]
    text = run("scan", root / "pkg", "--select", "ML101", "--no-cache").output
    assert "findings in pkg only, from an analysis of the whole repository; no readiness score" in text
    whole = json.loads(run("scan", root, "--select", "ML101", "--no-cache", "--format", "json").output)
    assert whole["scope"] is None and whole["readiness"] is not None
    lone = make_repo(tmp_path / "lone", {"notes.py": "x = 1  # TODO: tidy\n"})
    alone = run("scan", lone / "notes.py", "--select", "ML401", "--no-cache")  # tmp_path is in no repository
    assert "not inside a git repository: analysed on its own" in alone.output and "ML401" in alone.output


def test_text_output_leads_with_what_to_fix_first_and_keeps_readiness_short(tmp_path):
    from auditor.demo import build_demo

    build_demo(tmp_path / "demo")
    text = CliRunner().invoke(main, ["scan", str(tmp_path / "demo"), "--no-cache"]).output
    lines = text.splitlines()
    assert lines[0].startswith("Fix first (10 of ")
    first = lines[1:11]
    ranks = ["critical", "high", "medium"]
    assert [ranks.index(line.split()[0]) for line in first] == sorted(ranks.index(line.split()[0]) for line in first)
    assert "Rollback to the previous model" not in text and "check(s) do not pass: -v shows each" in text
    verbose = CliRunner().invoke(main, ["scan", str(tmp_path / "demo"), "--no-cache", "-v"]).output
    assert "Rollback to the previous model" in verbose and len(verbose.splitlines()) > len(lines)


def test_nothing_new_against_a_baseline_prints_only_the_verdict(tmp_path):
    root = make_repo(tmp_path / "r", HIGH)
    baseline = tmp_path / "baseline.json"
    assert CliRunner().invoke(main, ["baseline", str(root), "-o", str(baseline), "--no-cache"]).exit_code == 0
    text = run("scan", root, "--no-cache", "--baseline", baseline).output
    assert "Operational readiness" not in text and "exit 0" in text and len(text.splitlines()) <= 8


def test_a_report_written_to_a_device_or_a_pipe_writes_into_it_and_leaves_it_in_place(tmp_path):
    import os
    import stat
    import threading

    from auditor.report.outputs import write_atomically

    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_atomically(fifo, '{"findings": []}\n')
    reader.join(timeout=10)
    # still the pipe (a regression would rename a file over it; /dev/null is not tried here, since
    # a regression would replace the machine's own device)
    assert received == ['{"findings": []}\n'] and stat.S_ISFIFO(fifo.stat().st_mode)
