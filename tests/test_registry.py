"""The rule catalogue is well formed: unique ids and names, complete documentation, examples."""

import json

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


PLUGIN = '''import ast

from auditor.rule import Invalid, ModuleRule, Valid


class LegacyFeatureClient(ModuleRule):
    """A call of the retired feature client `acme.features.get_legacy`, which serves stale features."""

    id = "ACME101"
    name = "legacy-feature-client"
    category = "unused-feature"
    severity = "medium"
    confidence = "high"
    rationale = "The legacy client reads a snapshot that stopped updating: features are stale."
    remediation = "Call acme.features.get(name, version=...) instead."
    examples = (
        Invalid("from acme.features import get_legacy\\nx = get_legacy('age')\\n", expect=[2]),
        Valid("from acme.features import get\\nx = get('age', version=3)\\n"),
    )

    def check(self, module):
        for node in module.nodes(ast.Call):
            if module.qualified_name(node.func) == "acme.features.get_legacy":
                yield module.finding(self, node.lineno, "get_legacy() serves stale features")
'''


def _distribution(site, name, version, entry_points, modules):
    """An installed distribution made on the fly: a .dist-info with entry_points.txt, on sys.path."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text("[mlaudit.rules]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))
    for module, text in modules.items():
        (site / module).write_text(text)


def test_plugin_rules_register_run_and_a_broken_plugin_is_skipped(tmp_path, monkeypatch):
    import sys

    from click.testing import CliRunner

    from auditor import registry
    from auditor.cli.main import main
    from auditor.testing import make_repo, run_example

    site = tmp_path / "site"
    _distribution(site, "acme-mlaudit-rules", "0.1.0", {"acme": "acme_rules"}, {"acme_rules.py": PLUGIN})
    _distribution(site, "broken-plugin", "2.0", {"broken": "broken_rules"},
                  {"broken_rules.py": "raise ImportError('needs a library that is not installed')\n"})
    _distribution(site, "bad-ids", "1.0", {"bad": "bad_rules"},
                  {"bad_rules.py": PLUGIN.replace('"ACME101"', '"ML999"').replace("legacy-feature-client", "other")})
    monkeypatch.syspath_prepend(str(site))
    registry._load.cache_clear()
    try:
        rules = registry.all_rules()
        rule = rules["ACME101"]
        assert rule.provided_by == "acme-mlaudit-rules 0.1.0" and "ML999" not in rules
        assert rule.page_url() is None  # SARIF gets no helpUri for a plugin that names no page of its own
        problems = {name: why for name, _, why in registry.PLUGIN_PROBLEMS}
        assert "needs a library that is not installed" in problems["broken"]
        assert "its own prefix" in problems["bad"]
        for example in rule.examples:
            assert bool(run_example(rule, example, tmp_path / f"ex{id(example)}")) == (not example.valid)
        listed = CliRunner().invoke(main, ["rules"])
        assert "ACME101" in listed.output and "(plugin: acme-mlaudit-rules 0.1.0)" in listed.output
        assert "plugin broken (broken-plugin 2.0) skipped" in listed.output
        assert "legacy-feature-client" in CliRunner().invoke(main, ["explain", "ACME101"]).output
        root = make_repo(tmp_path / "repo", {"serve.py": "from acme.features import get_legacy\nget_legacy('age')\n"})
        scanned = CliRunner().invoke(main, ["scan", str(root), "--select", "ACME1", "--no-cache", "--format", "json"])
        warnings = [line for line in scanned.output.splitlines() if line.startswith("mlaudit: warning: plugin")]
        assert len(warnings) == 2  # the scan says which plugins it skipped, and runs the rest
        text = "\n".join(line for line in scanned.output.splitlines() if line not in warnings)
        report = json.loads(text)
        assert [f["rule"] for f in report["findings"]] == ["ACME101"]
    finally:
        sys.modules.pop("acme_rules", None)
        registry._load.cache_clear()
