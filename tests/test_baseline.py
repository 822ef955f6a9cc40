"""Baselines end to end: create, gate only on new debt, count fixed entries, update without adding
silently; and the identity of old findings across moves, inserted lines and unrelated renames."""

import json

from click.testing import CliRunner

from auditor.ci import baseline as baselines
from auditor.cli.main import main
from auditor.testing import make_repo, scan_repo, write_files

TRAIN = '''import pickle
import yaml
import numpy as np


def load_config(path):
    with open(path) as handle:
        return yaml.load(handle)


def helper():
    return 1


def train():
    # TODO: stratify the split
    data = np.random.rand(10)
    with open("model.pkl", "rb") as handle:
        model = pickle.load(handle)
    return data, model


if __name__ == "__main__":
    train()
    helper()
    load_config("c.yaml")
'''
REQUIREMENTS = "numpy\npandas\n"
ONLY_TODOS = 'select = ["ML401"]\n'


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def repo(tmp_path, files=None):
    return make_repo(tmp_path / "r", files or {"src/train.py": TRAIN, "requirements.txt": REQUIREMENTS},
                     ages={"src/train.py": 30, "requirements.txt": 60})


def new_findings(root, *extra):
    result = run("scan", root, "--no-cache", "--baseline", root / ".mlaudit-baseline.json", "--format", "json",
                 "--fail-on", "low", *extra)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def test_baseline_file_is_keyed_by_fingerprint_without_line_numbers(tmp_path):
    root = repo(tmp_path)
    result = run("baseline", root, "--no-cache")
    assert result.exit_code == 0, result.output
    assert "commit it, then gate on new debt" in result.output
    data = json.loads((root / ".mlaudit-baseline.json").read_text())
    assert data["schema_version"] == 1 and data["entries"]
    scan = scan_repo(root)
    assert {e["fingerprint"] for e in data["entries"]} == {f.fingerprint for f in scan.findings}
    assert data["total"] == len(scan.findings)
    for entry in data["entries"]:
        assert "line" not in entry and "cell" not in entry
        assert set(entry) >= {"fingerprint", "rule", "path", "count", "message"}
    # Sorted and stable: a second run writes the same bytes.
    first = (root / ".mlaudit-baseline.json").read_text()
    assert run("baseline", root, "--no-cache", "--update").exit_code == 0
    assert (root / ".mlaudit-baseline.json").read_text() == first


def test_gate_reports_only_new_debt_and_counts_fixed(tmp_path):
    root = repo(tmp_path)
    assert run("baseline", root, "--no-cache").exit_code == 0
    clean = new_findings(root)
    assert clean["findings"] == [] and clean["gate"]["passed"] and clean["gate"]["scope"] == "new"
    text = run("scan", root, "--no-cache", "--baseline", root / ".mlaudit-baseline.json", "--fail-on", "low")
    assert text.exit_code == 0 and "0 new, " in text.output
    # Add debt and fix some old debt.
    write_files(root, {"src/train.py": TRAIN.replace("    # TODO: stratify the split\n", "")
                       + "\n\ndef serve():\n    # FIXME: no auth\n    return yaml.load(open('s.yaml'))\n",
                       "requirements.txt": "numpy==1.26.4\npandas\n"})
    data = new_findings(root)
    new = sorted((f["rule"], f["line"]) for f in data["findings"])
    assert new == [("ML101", 28), ("ML401", 29), ("ML453", 30)]  # serve() is unused, too
    assert data["baseline"]["fixed"] == 2 and data["baseline"]["fixed_entries"] == 2
    assert data["gate"]["passed"] is False
    assert any("new finding(s) at or above severity 'low'" in message for message in data["gate"]["failed"])
    text = run("scan", root, "--no-cache", "--baseline", root / ".mlaudit-baseline.json").output
    assert "2 fixed (2 entries can be dropped: mlaudit baseline --update)" in text


def test_moving_code_inserting_lines_and_renaming_unrelated_code_keep_old_findings_old(tmp_path):
    root = repo(tmp_path)
    assert run("baseline", root, "--no-cache").exit_code == 0
    before = {f.fingerprint: f.line for f in scan_repo(root).findings}
    moved = TRAIN.replace("def helper():", "def assist():").replace("    helper()\n", "    assist()\n")
    # Move load_config below train, and add lines (imports, a used function, comments) above it all.
    block = "def load_config(path):\n    with open(path) as handle:\n        return yaml.load(handle)\n\n\n"
    moved = moved.replace(block, "")
    moved = moved.replace('if __name__ == "__main__":', block + 'if __name__ == "__main__":')
    moved = ('"""Training entry point."""\nimport json\nimport os\n\n\ndef setup():\n    return os.getcwd()\n\n\n'
             + moved + "    print(json.dumps(setup()))\n")
    write_files(root, {"src/train.py": moved})
    after = {f.fingerprint: f.line for f in scan_repo(root).findings}
    assert set(after) == set(before)
    assert sorted(after.values()) != sorted(before.values())  # the lines did move
    assert new_findings(root)["findings"] == []


def test_repeated_findings_are_counted(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "x = 1  # TODO\nx = 1  # TODO\n", "mlaudit.toml": ONLY_TODOS})
    assert run("baseline", root, "--no-cache").exit_code == 0
    entries = json.loads((root / ".mlaudit-baseline.json").read_text())["entries"]
    assert [(e["rule"], e["count"]) for e in entries] == [("ML401", 2)]
    write_files(root, {"a.py": "x = 1  # TODO\nx = 1  # TODO\nx = 1  # TODO\n"})
    assert [(f["rule"], f["line"]) for f in new_findings(root)["findings"]] == [("ML401", 3)]
    write_files(root, {"a.py": "x = 1  # TODO\n"})
    data = new_findings(root)
    assert data["findings"] == [] and data["baseline"]["fixed"] == 1 and data["baseline"]["fixed_entries"] == 0


def test_update_never_adds_new_findings_without_add_new(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "x = 1  # TODO: alpha\ny = 2  # TODO: beta\n", "mlaudit.toml": ONLY_TODOS})
    path = root / ".mlaudit-baseline.json"
    assert run("baseline", root, "--no-cache").exit_code == 0
    refused = run("baseline", root, "--no-cache")
    assert refused.exit_code == 2 and "exists; use --update" in refused.output
    write_files(root, {"a.py": "y = 2  # TODO: beta\nz = 3  # TODO: gamma\n"})
    updated = run("baseline", root, "--no-cache", "--update")
    assert updated.exit_code == 0
    assert "kept 1, removed 1 fixed; 1 new finding(s) NOT added (use --add-new" in updated.output
    assert [e["message"] for e in json.loads(path.read_text())["entries"]] == ["TODO without a ticket: beta"]
    assert [f["line"] for f in new_findings(root)["findings"]] == [2]
    added = run("baseline", root, "--no-cache", "--add-new")
    assert added.exit_code == 0 and "added 1 new" in added.output
    assert new_findings(root)["findings"] == []


def test_baseline_from_configuration_and_its_errors(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "x = 1  # TODO: a\n", "pyproject.toml":
                                      '[tool.mlaudit]\nbaseline = "ci/mlaudit-baseline.json"\nfail-on = "low"\n'
                                      'select = ["ML401"]\n'})
    missing = run("scan", root, "--no-cache")
    assert missing.exit_code == 2 and "does not exist (create it with: mlaudit baseline)" in missing.output
    assert run("baseline", root, "--no-cache").exit_code == 0
    assert (root / "ci/mlaudit-baseline.json").is_file()
    assert run("scan", root, "--no-cache").exit_code == 0
    assert run("scan", root, "--no-cache", "--no-baseline").exit_code == 1
    (root / "ci/mlaudit-baseline.json").write_text('{"entries": "nope"}')
    broken = run("scan", root, "--no-cache")
    assert broken.exit_code == 2 and "is not an mlaudit baseline" in broken.output
    (root / "ci/mlaudit-baseline.json").write_text("{not json")
    assert "is not valid JSON" in run("scan", root, "--no-cache").output


def test_compare_takes_the_last_members_of_a_group_as_new():
    from auditor.finding import Finding, assign_fingerprints

    def todo(line):
        return Finding("ML401", "n", "undocumented-hack", "low", "high", "a.py", line, "TODO", anchor="# TODO")

    old = assign_fingerprints([todo(1), todo(5)])
    base = baselines.from_findings(old)
    now = assign_fingerprints([todo(1), todo(5), todo(9)])
    comparison = baselines.compare(now, base)
    assert [f.line for f in comparison.new] == [9] and comparison.fixed == 0
    text = baselines.dumps(base, "0")
    assert json.loads(text)["entries"][0]["count"] == 2


def test_a_baseline_with_another_name_is_not_scanned(tmp_path):
    """Its messages name files ("loads model.pkl, which is not in the repository"); if it were
    scanned as a config, rules would see those names and the findings would change."""
    root = repo(tmp_path)
    custom = root / "ci" / "known.json"
    assert run("baseline", root, "--no-cache", "-o", custom).exit_code == 0
    total = json.loads(custom.read_text())["total"]
    updated = run("baseline", root, "--no-cache", "-o", custom, "--update")
    assert f"kept {total}, removed 0 fixed" in updated.output
    data = json.loads(run("scan", root, "--no-cache", "--baseline", custom, "--format", "json").output)
    assert data["findings"] == [] and data["baseline"]["fixed"] == 0


def test_a_baseline_that_git_ignores_is_pointed_out(tmp_path):
    """A repository that ignores *.json (yolov5 does) would keep the baseline out of every commit:
    the gate would then find no baseline on CI's fresh clone."""
    root = repo(tmp_path, {"src/train.py": TRAIN, "requirements.txt": REQUIREMENTS, ".gitignore": "build/\n*.json\n"})
    created = run("baseline", root, "--no-cache")
    assert created.exit_code == 0, created.output
    assert "git ignores" in created.output and ".gitignore line 2: *.json" in created.output
    assert "git add -f" in created.output

    plain = repo(tmp_path / "plain")
    assert "git ignores" not in run("baseline", plain, "--no-cache").output
