"""Readiness checks are declared like rules: each with its ladder as data, one function applying it."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest
from click.testing import CliRunner

from auditor.cli.main import main
from auditor.readiness.debt import FINDINGS_LADDER, judge_findings
from auditor.readiness.gathering import DIMENSIONS, all_checks
from auditor.readiness.judge import JUDGES, judge
from auditor.readiness.model import FAIL, PARTIAL, PASS, Evidence, Findings, Rung, apply_ladder, verdict
from auditor.readiness.score import DEFAULT_WEIGHTS

CHECKS = list(all_checks().values())


def test_every_check_is_declared_once_with_a_complete_ladder():
    ids = [check.id for dimension in DIMENSIONS.values() for check in dimension]
    assert len(ids) == len(set(ids)) == len(CHECKS) == 33  # R-REL-06 (issue 21), R-OWN-07 (issue 24)
    for check in CHECKS:
        assert check.problems() == [], (check.id, check.problems())
        assert check.dimension in DEFAULT_WEIGHTS and check in DIMENSIONS[check.dimension]


def _returned_rungs(function) -> set[str]:
    """The rung keys a gatherer or judge can return: the string arguments of its verdict(...) calls,
    including both sides of a conditional (``verdict("a" if x else "b", ...)``)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "verdict":
            first = node.args[0]
            options = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            for option in options:
                assert isinstance(option, ast.Constant), ast.unparse(first)
                keys.add(option.value)
    return keys


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_every_rung_a_gatherer_can_reach_is_declared_and_every_declared_rung_is_reachable(check):
    function = JUDGES[check.judge][0] if check.judge else check.gather
    assert _returned_rungs(function) == {rung.key for rung in check.ladder}


def test_the_ladder_decides_status_and_text_from_the_verdict():
    ladder = (Rung("found", PASS, "a thing is there", "Found {count} thing(s)."),
              Rung("half", PARTIAL, "half a thing", "Half of it: add {missing}."),
              Rung("none", FAIL, "nothing", "Nothing at all {braces}."))
    passed = apply_ladder("R-X-01", "Things", ladder, verdict("found", [("a.py", 3), ("a.py", 3)], count=2))
    assert (passed.status, passed.fix, passed.evidence) == (PASS, "Found 2 thing(s).", [Evidence("a.py", 3)])
    assert apply_ladder("R-X-01", "Things", ladder, verdict("half", missing="the rest")).fix == "Half of it: add the rest."
    assert apply_ladder("R-X-01", "Things", ladder, verdict("none")).fix == "Nothing at all {braces}."
    with pytest.raises(KeyError, match="no rung 'gone'"):
        apply_ladder("R-X-01", "Things", ladder, verdict("gone"))


def test_a_findings_check_moves_down_its_ladder_as_findings_grow():
    class F:  # the attributes a finding check weighs
        def __init__(self, severity):
            self.path, self.line, self.category, self.severity, self.confidence = "a.py", 1, "dead-code", severity, "high"
            self.cell, self.rule = None, "ML101"

    def status(findings):
        entry = {"judge": "findings", "params": {"id": "R-X-05", "title": "Findings", "categories": ["dead-code"]},
                 "data": None}
        return judge(entry, Findings(findings, python_lines=1000)).status

    assert status([]) == PASS
    assert status([F("medium")]) == PARTIAL  # 3 weighted per 1,000 lines: scores 75
    assert status([F("high")] * 2) == FAIL  # 12: scores 0
    assert judge_findings(None, Findings([], 1000), ["dead-code"]).rung in {r.key for r in FINDINGS_LADDER}


def test_explain_prints_a_checks_ladder_and_refuses_an_unknown_one():
    runner = CliRunner()
    shown = runner.invoke(main, ["explain", "r-roll-02"])
    assert shown.exit_code == 0
    assert shown.output.startswith("# R-ROLL-02 ") and "| pass |" in shown.output and "| fail |" in shown.output
    unknown = runner.invoke(main, ["explain", "R-ROLL-99"])
    assert unknown.exit_code == 2 and "unknown readiness check" in unknown.output
