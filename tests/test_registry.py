"""The rule catalogue is well formed: unique ids and names, complete documentation, examples."""

from click.testing import CliRunner

from auditor import registry
from auditor.cli.main import main
from auditor.finding import CATEGORIES


def test_rules_are_discovered_and_well_formed():
    rules = registry.all_rules()
    assert len(rules) >= 3
    for rule in rules.values():
        assert rule.problems() == [], rule.id
        assert rule.category in CATEGORIES


def test_every_rule_explains_itself():
    runner = CliRunner()
    for rule_id in registry.all_rules():
        result = runner.invoke(main, ["explain", rule_id])
        assert result.exit_code == 0, result.output
        assert "Why it hurts in production" in result.output
        assert "Example that is reported" in result.output


def test_selectors_accept_ids_prefixes_names_and_categories():
    chosen = {r.id for r in registry.select_rules(["ML4"], [])}
    assert "ML401" in chosen and "ML001" not in chosen
    hacks = {r.id for r in registry.select_rules(["undocumented-hack"], [])}
    assert "ML401" in hacks and hacks <= chosen
    assert all(r.category == "undocumented-hack" for r in registry.select_rules(["undocumented-hack"], []))
    assert {r.id for r in registry.select_rules(["unticketed-debt-marker"], [])} == {"ML401"}
    assert "ML401" not in {r.id for r in registry.select_rules(None, ["ML401"])}


def test_every_rule_summary_is_a_whole_sentence():
    """`mlaudit rules`, SARIF shortDescription and the README table show the summary: never cut mid-sentence."""
    from auditor import registry

    for rule in registry.all_rules().values():
        summary = rule.summary()
        assert summary[-1] in ".!?", f"{rule.id}: {summary!r}"
        assert summary.count("`") % 2 == 0, f"{rule.id}: unbalanced code quotes in {summary!r}"
        assert summary in " ".join((rule.__doc__ or "").split())
