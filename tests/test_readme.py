"""The README and the docs are the user's contract: the two set-up commands, the rule table, the
config keys, the CI recipes, the layering. Where a topic moved from the README to docs/, its check
moved with it."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import yaml

from auditor import registry
from auditor.config import _KEYS

PROJECT = Path(__file__).resolve().parents[1]
README = (PROJECT / "README.md").read_text(encoding="utf-8")
TEST_COMMAND = 'pip install -q -e ".[test]" && python -m pytest -q'


def _doc(name: str) -> str:
    return (PROJECT / "docs" / name).read_text(encoding="utf-8")


def test_exactly_two_setup_commands_at_the_top():
    top = README.split("## Usage")[0]
    blocks = re.findall(r"```bash\n(.*?)```", top, flags=re.S)
    assert [b.strip() for b in blocks] == [
        "pip install . && mlaudit demo --force /tmp/mlaudit-demo && mlaudit scan /tmp/mlaudit-demo",
        TEST_COMMAND,
    ]


def test_ci_runs_the_readme_test_command():
    ci_script = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_COMMAND in ci_script.splitlines(), "the README's test command and .ci/run's must stay the same"


def test_readme_stays_a_ten_minute_read():
    assert len(README.encode("utf-8")) <= 12 * 1024, "move detail to docs/ and link it"


def test_rule_table_is_current():
    """The rules index (docs/rules/README.md) is `mlaudit rules --format markdown`, ids linked to pages."""
    table = subprocess.run([sys.executable, "-m", "auditor", "rules", "--format", "markdown"],
                           capture_output=True, text=True, check=True).stdout
    index = _doc("rules/README.md")
    for rule_id in registry.all_rules():
        table = table.replace(f"| {rule_id} |", f"| [{rule_id}]({rule_id}.md) |")
        assert f"| [{rule_id}]({rule_id}.md) |" in index
    assert table.strip() in index, "regenerate the pages: python -m auditor.cli.docs"


def test_every_configuration_key_is_documented():
    """Each `[tool.mlaudit]` key has its row in the reference, and the reference has no other key."""
    reference = _doc("configuration.md")
    section = reference.split("## Every key")[1].split("\n## ")[0]
    documented = re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.M)
    assert sorted(documented) == sorted(_KEYS)


def test_every_action_input_is_documented():
    inputs = yaml.safe_load((PROJECT / "action.yml").read_text(encoding="utf-8"))["inputs"]
    recipes = _doc("ci.md")
    section = recipes.split("## GitHub Actions")[1].split("\n## ")[0]
    for name, spec in inputs.items():
        default = spec.get("default", "")
        assert f"| `{name}` | `{default if default != '' else chr(39) * 2}` |" in section, name


def test_every_pre_commit_hook_is_documented():
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    section = _doc("ci.md").split("## pre-commit")[1].split("\n## ")[0]
    for hook in hooks:
        assert f"- id: {hook['id']} " in section, hook["id"]


def test_architecture_page_states_the_layering_of_the_test():
    spec = importlib.util.spec_from_file_location("layering", PROJECT / "tests" / "test_architecture.py")
    layering = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layering)
    page = _doc("architecture.md")
    rows = [f"| {name} | " + ", ".join(f"`{m}`" for m in modules) + " |" for name, modules in layering.LAYERS]
    positions = [page.find(row) for row in rows]
    assert -1 not in positions, [row for row, at in zip(rows, positions) if at == -1]
    assert positions == sorted(positions), "the layers are listed lowest first, as in the test"
