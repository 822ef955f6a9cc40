"""The README is the user's contract: its two set-up commands, its rule table, its config keys."""

import re
import subprocess
import sys
from pathlib import Path

from auditor import registry
from auditor.config import _KEYS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_exactly_two_setup_commands_at_the_top():
    top = README.split("## Usage")[0]
    blocks = re.findall(r"```bash\n(.*?)```", top, flags=re.S)
    assert [b.strip() for b in blocks] == [
        "pip install . && mlaudit demo --force /tmp/mlaudit-demo && mlaudit scan /tmp/mlaudit-demo",
        'pip install -e ".[test]" && python -m pytest -q',
    ]


def test_rule_table_is_current():
    table = subprocess.run([sys.executable, "-m", "auditor", "rules", "--format", "markdown"],
                           capture_output=True, text=True, check=True).stdout
    assert table.strip() in README, "regenerate the table: mlaudit rules --format markdown"
    for rule_id in registry.all_rules():
        assert f"| {rule_id} |" in README


def test_every_configuration_key_is_documented():
    config_section = README.split("## Configuration")[1].split("## JSON output")[0]
    for key in _KEYS:
        assert re.search(rf"(^|\[tool\.mlaudit\.|\n){re.escape(key)}\b", config_section), key
