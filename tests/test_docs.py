"""The generated documentation pages are current, and every relative link in the docs resolves."""

import re
from pathlib import Path

from click.testing import CliRunner

from auditor import registry
from auditor.cli import docs
from auditor.cli.main import main
from auditor.readiness.gathering import all_checks

PROJECT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_generated_pages_are_current():
    problems = docs.page_problems(PROJECT / "docs")
    assert not problems, f"regenerate with `{docs.REGENERATE}`:\n" + "\n".join(problems)


def test_page_problems_name_missing_stale_and_extra_pages(tmp_path):
    docs.write_pages(tmp_path)
    assert docs.page_problems(tmp_path) == []
    (tmp_path / "rules" / "ML401.md").unlink()
    (tmp_path / "rules" / "ML451.md").write_text("# ML451 old text\n", encoding="utf-8")
    (tmp_path / "rules" / "ML999.md").write_text("# a rule that no longer exists\n", encoding="utf-8")
    assert docs.page_problems(tmp_path) == ["rules/ML401.md: missing", "rules/ML451.md: out of date",
                                           "rules/ML999.md: not generated from any item (remove it)"]
    changed = docs.write_pages(tmp_path)
    assert sorted(changed) == ["rules/ML401.md", "rules/ML451.md", "rules/ML999.md (removed)"]
    assert docs.page_problems(tmp_path) == []


def test_explain_prints_the_page():
    runner = CliRunner()
    for rule_id, rule in registry.all_rules().items():
        result = runner.invoke(main, ["explain", rule.name])
        assert result.exit_code == 0, result.output
        assert result.output == (PROJECT / "docs" / "rules" / f"{rule_id}.md").read_text(encoding="utf-8")
    for check_id in all_checks():
        result = runner.invoke(main, ["explain", check_id.lower()])
        assert result.exit_code == 0, result.output
        assert result.output == (PROJECT / "docs" / "checks" / f"{check_id}.md").read_text(encoding="utf-8")


def test_a_rule_page_holds_its_metadata_and_examples():
    rule = registry.get_rule("ML301")
    page = docs.rule_text(rule)
    assert page.startswith("# ML301 stale-model\n")
    assert rule.rationale in page and rule.remediation in page
    for key in rule.options:
        assert f"- `{key}` (int, default `{rule.options[key].default!r}`)" in page
    assert "Reported at: `models/m.pkl`." in page  # a finding with no line: the path alone
    assert "[tool.mlaudit.rules.ML301]\nmax-model-age-days = 365" in page  # the fine example's configuration


def test_every_measured_severity_keeps_its_promise():
    """A rule whose labelled findings on the evaluation set fall short of what their severity promises
    (docs/severity.md) is lowered until they do; re-record with `python bench/eval/score.py --record`."""
    rules = registry.all_rules()
    measured = docs.measured_precision()
    assert len(measured["repositories"]) >= 10
    broken = []
    for rule_id, by_severity in measured["rules"].items():
        assert rule_id in rules, f"{rule_id} is measured but no longer exists"
        for severity, counts in by_severity.items():
            assert counts["true"] + counts["false"] <= counts["reported"]
            if docs.promise_kept(severity, counts["true"], counts["false"]) is False:
                broken.append(f"{rule_id} {severity}: {counts['true']} true, {counts['false']} false")
    assert not broken, "\n".join(broken)


def test_the_promise_is_judged_on_labelled_findings_only():
    assert docs.promise_kept("high", 19, 1) is True and docs.promise_kept("high", 18, 2) is False
    assert docs.promise_kept("medium", 4, 1) is True and docs.promise_kept("medium", 3, 1) is False
    assert docs.promise_kept("info", 0, 9) is None  # info promises nothing
    assert docs.promise_kept("low", 0, 0) is None  # nothing labelled: not judged
    page = docs.rule_text(registry.get_rule("ML101"))
    assert "## Measured precision" in page and "| low |" in page


def test_example_code_is_fenced_safely():
    fenced = docs._fenced("notes.md", "text with ```` inside")
    assert fenced.startswith("`notes.md`:\n\n`````markdown\n") and fenced.endswith("\n`````")
    assert docs._fenced("models/m.pkl", b"\x80\x04 binary") == "`models/m.pkl`:\n\n```text\n<9 bytes>\n```"


def _markdown_files() -> list[Path]:
    return [PROJECT / "README.md", PROJECT / "CONTRIBUTING.md", *sorted((PROJECT / "docs").rglob("*.md"))]


def _without_code(page: Path) -> str:
    return re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)


def _anchors(page: Path) -> set[str]:
    """The heading anchors GitHub makes: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", _without_code(page), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_every_relative_link_points_to_an_existing_file():
    broken = []
    for page in _markdown_files():
        for target in LINK.findall(_without_code(page)):
            if re.match(r"[a-z]+:", target):
                continue  # a URL
            path, _, anchor = target.partition("#")
            linked = page.parent / path if path else page
            if not linked.exists() or (anchor and linked.is_file() and anchor not in _anchors(linked)):
                broken.append(f"{page.relative_to(PROJECT)}: {target}")
    assert not broken, "links to nothing:\n" + "\n".join(broken)
    assert (PROJECT / "docs" / "configuration.md").is_file()  # the check above saw the docs folder
