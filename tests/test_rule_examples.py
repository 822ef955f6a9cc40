"""Every Valid and Invalid example of every rule, run through the real engine: exact locations."""

import pytest

from auditor import registry
from auditor.testing import expected_locations, run_example

CASES = [
    pytest.param(rule, example, id=f"{rule.id}-{'valid' if example.valid else 'invalid'}-{index}")
    for rule in registry.all_rules().values()
    for index, example in enumerate(rule.examples)
]


@pytest.mark.parametrize("rule,example", CASES)
def test_rule_example(rule, example, tmp_path):
    found = run_example(rule, example, tmp_path / "repo")
    assert found == expected_locations(example), example.note or example.files
