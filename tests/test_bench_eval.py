"""The evaluation scorer (bench/eval/score.py): matching findings to labels and the arithmetic."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("score", PROJECT / "bench" / "eval" / "score.py")
score = importlib.util.module_from_spec(spec)
sys.modules["score"] = score  # dataclasses look their module up there
spec.loader.exec_module(score)


def test_findings_match_labels_by_path_rule_and_nearby_line():
    labels = [score.Label("r", "a.py", 10, "ML101", "dead-code", True, "unused"),
              score.Label("r", "a.py", 40, "ML101", "dead-code", False, "called by a framework"),
              score.Label("r", "b.py", 5, "ML451", "unsafe-load", False, "fixed path")]
    findings = [{"rule": "ML101", "path": "a.py", "line": 12, "severity": "low"},   # 2 lines off: matches
                {"rule": "ML101", "path": "a.py", "line": 44, "severity": "low"},   # 4 lines off: not labelled
                {"rule": "ML103", "path": "a.py", "line": 10, "severity": "info"}]  # another rule
    matched, unmatched = score.match(findings, labels)
    assert matched == {0: labels[0]} and unmatched == {1, 2}
    counts = score.tally(findings, matched, lambda f: f["rule"])
    assert counts == {"ML101": [1, 0, 1], "ML103": [0, 0, 1]}
    assert score.precision(3, 1) == "0.75" and score.precision(0, 0) == "-"


def test_the_scorer_reads_saved_scans_and_reports_missing_trees(tmp_path, capsys):
    # its own labels file: the project's labels change as the rules improve
    labels = tmp_path / "labels.csv"
    labels.write_text("repo,path,line,rule,category,verdict,why\n"
                      "example-get-started,src/evaluate.py,94,ML451,unsafe-load,false,the pipeline's own fixed path\n")
    (tmp_path / "example-get-started.json").write_text(json.dumps({"findings": [
        {"rule": "ML451", "path": "src/evaluate.py", "line": 94, "severity": "high"}]}))
    assert score.main(["--scan-json", str(tmp_path), "--labels", str(labels)]) == 0
    out = capsys.readouterr().out
    assert "example-get-started: 1 findings, 1 labelled (0 true)" in out and "still false: ML451" in out
    assert "accelerate: no" in out  # no saved scan for it: said, not an error
    assert "high                      0      1           0       0.00" in out


def test_recorded_figures_count_each_rule_and_severity_apart():
    labels = [score.Label("r", "a.py", 10, "ML451", "unsafe-load", True, "downloaded"),
              score.Label("r", "b.py", 5, "ML451", "unsafe-load", False, "the pipeline's own path")]
    findings = [{"rule": "ML451", "path": "a.py", "line": 10, "severity": "high"},
                {"rule": "ML451", "path": "b.py", "line": 5, "severity": "low"},
                {"rule": "ML451", "path": "c.py", "line": 1, "severity": "low"}]
    matched, _ = score.match(findings, labels)
    assert score.by_rule_and_severity(findings, matched) == {"ML451": {
        "high": {"true": 1, "false": 0, "reported": 1},
        "low": {"true": 0, "false": 1, "reported": 2}}}


def test_vulture_findings_are_read_and_set_beside_mlaudits():
    spec = importlib.util.spec_from_file_location("compare_vulture", PROJECT / "bench" / "eval" / "compare_vulture.py")
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    items = compare.read_vulture("./src/a.py:12: unused function 'helper' (60% confidence)\n"
                                 "src/b.py:3: unused import 'os' (90% confidence)\n"
                                 "src/c.py:9: unreachable code after 'return' (100% confidence)\nnoise\n")
    assert [(i["path"], i["line"], i["kind"], i["name"]) for i in items] == [
        ("src/a.py", 12, "function", "helper"), ("src/b.py", 3, "import", "os"), ("src/c.py", 9, "unreachable code after", "")]
    places = {"src/a.py": [(11, 14)]}
    assert compare.confirmed(items[0], places) and not compare.confirmed(items[1], places)
