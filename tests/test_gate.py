"""The CI quality gate: conditions, exit codes, configuration, summaries; and the pre-commit hook and
GitHub Action definitions, validated and run against repositories built in the test."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from auditor.ci.gate import evaluate
from auditor.ci.gate import exit_code as gate_exit_code
from auditor.cli.main import main
from auditor.config import build_config
from auditor.scan.engine import ScanResult
from auditor.testing import git, make_repo, write_files

PROJECT = Path(__file__).resolve().parent.parent
# Two medium unsafe loads and a low-severity debt marker.
CODE = {"src/load.py": "import pickle\nimport yaml\n\n\ndef load(p):\n    # TODO: tidy\n"
                       "    return pickle.load(open(p, 'rb')), yaml.load(open(p))\n",
        "mlaudit.toml": 'select = ["ML401", "ML451", "ML453"]\n'}


def run(*args):
    return CliRunner().invoke(main, ["scan", "--no-cache", *[str(a) for a in args]])


def gate_json(root, *args):
    result = run(root, "--format", "json", *args)
    return result.exit_code, json.loads(result.output)["gate"]


def test_fail_on_conditions_and_exit_codes(tmp_path):
    root = make_repo(tmp_path / "r", CODE)
    code, gate = gate_json(root)
    assert code == 0 and gate["passed"] and [c["id"] for c in gate["conditions"]] == ["fail-on"]
    code, gate = gate_json(root, "--fail-on", "medium")
    assert code == 1 and gate["failed"] == ["2 finding(s) at or above severity 'medium' (ML451, ML453)"]
    code, gate = gate_json(root, "--fail-on", "none", "--fail-on-category", "unsafe-load",
                           "--fail-on-category", "stale-model")
    assert code == 1
    assert [(c["id"], c["status"]) for c in gate["conditions"]] == [
        ("fail-on-category:unsafe-load", "failed"), ("fail-on-category:stale-model", "passed")]
    assert gate["failed"] == ["2 finding(s) in category 'unsafe-load' (ML451, ML453)"]
    result = run(root, "--fail-on", "low", "--exit-zero")
    assert result.exit_code == 0
    assert "exit 0: 3 finding(s) at or above severity 'low' (ML401, ML451, ML453) (not enforced: --exit-zero)" \
        in result.output


def test_fail_under_uses_the_readiness_score(tmp_path):
    root = make_repo(tmp_path / "r", CODE)
    data = json.loads(run(root, "--format", "json").output)
    score = data["readiness"]["score"]
    code, gate = gate_json(root, "--fail-under", score)
    assert code == 0 and gate["conditions"][-1]["actual"] == score
    result = run(root, "--fail-under", min(100, score + 1))
    assert result.exit_code == 1
    assert f"readiness score {score:g}, grade {data['readiness']['grade']} is below {min(100, score + 1):g}" \
        in result.output
    assert run(root, "--fail-under", "101").exit_code == 2  # out of range: a usage error


def test_missing_readiness_is_said_clearly():
    config = build_config({"fail-under": 50}, "test", {})
    gate = evaluate(ScanResult(root=".", config=config, findings=[]))
    assert not gate.passed and gate.exit_code() == 2 and gate.exit_code(exit_zero=True) == 2
    assert "readiness score unavailable" in gate.failed[0].detail


def test_several_failed_conditions_are_listed_one_per_line(tmp_path):
    root = make_repo(tmp_path / "r", CODE)
    result = run(root, "--fail-on", "medium", "--fail-on-category", "undocumented-hack")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    start = lines.index("  exit 1: the gate failed on 2 conditions:")
    assert lines[start + 1:start + 3] == ["    - 2 finding(s) at or above severity 'medium' (ML451, ML453)",
                                          "    - 1 finding(s) in category 'undocumented-hack' (ML401)"]


def test_gate_keys_in_configuration(tmp_path):
    root = make_repo(tmp_path / "r", {**CODE, "mlaudit.toml": CODE["mlaudit.toml"]
                                      + 'fail-on = "none"\nfail-on-category = ["undocumented-hack"]\n'
                                        'fail-under = 0\n'})
    code, gate = gate_json(root)
    assert code == 1
    assert [c["id"] for c in gate["conditions"]] == ["fail-on-category:undocumented-hack", "fail-under"]
    assert run(root, "--fail-on", "critical").exit_code == 1  # the category condition still holds
    for text, message in (('fail-under = 120\n', "'fail-under' must be a number from 0 to 100"),
                          ('fail-on-category = ["hacks"]\n', "'fail-on-category' must be a list of categories"),
                          ('fail-under = "high"\n', "'fail-under' must be a number"),
                          ('baseline = 3\n', "'baseline' must be a path")):
        write_files(root, {"mlaudit.toml": text})
        result = run(root)
        assert result.exit_code == 2 and message in result.output, (text, result.output)


def test_internal_errors_win_over_the_gate(tmp_path):
    root = make_repo(tmp_path / "r", CODE)
    from auditor.testing import scan_repo

    result = scan_repo(root, {"select": ["ML401"]})
    result.errors.append({"rule": "X", "path": "", "error": "boom"})
    result.exit_zero = True
    assert gate_exit_code(result) == 3


# -- integrations ----------------------------------------------------------------------------------

def test_pre_commit_hooks_are_valid_and_their_entries_gate(tmp_path):
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list) and hooks
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook), hook
        assert hook["language"] == "python" and hook["require_serial"] is True  # one scan for all the files
        assert hook["entry"].startswith(("mlaudit scan", "mlaudit fix"))
    ids = [hook["id"] for hook in hooks]
    assert len(ids) == len(set(ids)) and "mlaudit" in ids
    hooks = [hook for hook in hooks if hook["entry"].startswith("mlaudit scan")]  # the gates
    root = make_repo(tmp_path / "r", CODE, ages={})
    git(root, "branch", "-m", "main")
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    mlaudit = shutil.which("mlaudit") or pytest.skip("the mlaudit script is not installed")
    for hook in hooks:
        command = hook["entry"].replace("mlaudit", mlaudit, 1).split() + hook.get("args", [])
        # pre-commit appends the staged files to a hook that takes them
        staged = ["src/bad.py", "mlaudit.toml"] if hook.get("pass_filenames", True) else []
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
        clean = subprocess.run(command + [p for p in staged if (root / p).exists()], cwd=root, capture_output=True,
                               text=True, env=env)
        assert clean.returncode == 0, (hook["id"], clean.stdout, clean.stderr)
        write_files(root, {"src/bad.py": "import pickle\n\n\ndef f(p):\n    return pickle.loads(p)\n",
                           "mlaudit.toml": CODE["mlaudit.toml"] + 'fail-on = "medium"\n'})
        dirty = subprocess.run(command + staged, cwd=root, capture_output=True, text=True, env=env)
        assert dirty.returncode == 1, (hook["id"], dirty.stdout, dirty.stderr)
        if "--since" in hook["entry"]:
            assert "1 new finding(s) at or above severity 'medium' (ML451)" in dirty.stdout
        else:  # the finding that fails the hook is listed, not only counted
            assert "src/bad.py" in dirty.stdout.splitlines() and "ML451" in dirty.stdout
        (root / "src/bad.py").unlink()
        write_files(root, {"mlaudit.toml": CODE["mlaudit.toml"]})


def _action():
    return yaml.safe_load((PROJECT / "action.yml").read_text())


def test_action_definition_is_a_valid_composite_action():
    action = _action()
    assert {"name", "description", "inputs", "runs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    for step in steps:
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step["shell"] == "bash", step  # composite run steps must name their shell
            assert "${{" not in step["run"], "inputs go through env, never into the script"
    for name, spec in action["inputs"].items():
        assert "description" in spec and "default" in spec, name
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["if"].startswith("always()")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    gate = next(s for s in steps if s.get("id") == "gate")
    referenced = {value.split("inputs.")[1].rstrip(" }") for value in gate["env"].values()}
    assert referenced <= set(action["inputs"])
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.gate.outputs.exit-code }}"
    # installed from the action's own checkout into a virtual environment of its own: the caller's
    # Python is not changed, and nothing depends on a package index entry
    assert not any("setup-python" in s.get("uses", "") for s in steps)
    install = next(s for s in steps if s.get("name") == "Install mlaudit")
    assert "-m venv" in install["run"] and '"$GITHUB_ACTION_PATH"' in install["run"] and "mlaudit==" not in install["run"]


def _run_gate_step(root: Path, tmp_path: Path, **inputs):
    action = _action()
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "gate")
    env = {**os.environ, "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(tmp_path / "out"),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for name in ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_DIFF_BASE_SHA", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
        env.pop(name, None)
    for variable, expression in step["env"].items():
        name = expression.split("inputs.")[1].rstrip(" }")
        env[variable] = str(inputs.get(name.replace("-", "_"), action["inputs"][name]["default"]))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return subprocess.run(["bash", "-c", step["run"]], cwd=root, capture_output=True, text=True, env=env)


def test_action_gate_step_runs_and_writes_sarif_and_summary(tmp_path):
    if shutil.which("mlaudit") is None:
        pytest.skip("the mlaudit script is not installed")
    root = make_repo(tmp_path / "r", CODE, ages={})
    passed = _run_gate_step(root, tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "no pull-request or merge-request base" in passed.stderr  # since=auto outside a PR
    sarif = json.loads((root / "mlaudit.sarif").read_text())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) == 3
    assert (tmp_path / "out").read_text().strip() == "exit-code=0"
    assert (tmp_path / "summary.md").read_text().strip()
    assert "::warning" in passed.stdout or "::notice" in passed.stdout  # annotations on stdout
    assert "gate passed" in passed.stdout  # the text summary is printed too
    # In a pull request whose base is main: only the new finding, and the gate fails on it.
    git(root, "branch", "-m", "main")
    git(root, "checkout", "-q", "-b", "feature")
    write_files(root, {"src/bad.py": "import pickle\n\n\ndef f(p):\n    return pickle.loads(p)\n"})
    failed = _run_gate_step(root, tmp_path, fail_on="medium", since="main")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    sarif = json.loads((root / "mlaudit.sarif").read_text())
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]] == ["src/bad.py"]
    assert (tmp_path / "out").read_text().strip().endswith("exit-code=1")
    broken = _run_gate_step(root, tmp_path, since="nope")
    assert broken.returncode == 2


def test_pre_commit_fix_hooks_fix_or_show_the_staged_files_only(tmp_path):
    hooks = {h["id"]: h for h in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())}
    mlaudit = shutil.which("mlaudit") or pytest.skip("the mlaudit script is not installed")
    files = {"src/a.py": "import os\n\nprint(1)\n", "src/b.py": "import sys\n\nprint(2)\n"}
    root = make_repo(tmp_path / "r", files, ages={})
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def run(hook_id):
        command = hooks[hook_id]["entry"].replace("mlaudit", mlaudit, 1).split() + ["src/a.py"]  # a.py is staged
        return subprocess.run(command, cwd=root, capture_output=True, text=True, env=env)

    pending = run("mlaudit-fix-diff")
    assert pending.returncode == 1 and "-import os" in pending.stdout and "import sys" not in pending.stdout
    assert (root / "src/a.py").read_text() == files["src/a.py"]
    assert run("mlaudit-fix").returncode == 0
    assert (root / "src/a.py").read_text() == "print(1)\n" and (root / "src/b.py").read_text() == files["src/b.py"]
    assert run("mlaudit-fix-diff").returncode == 0


def test_action_fix_diff_step_prints_pending_fixes_and_fails(tmp_path):
    if shutil.which("mlaudit") is None:
        pytest.skip("the mlaudit script is not installed")
    step = next(s for s in _action()["runs"]["steps"] if s.get("id") == "fixdiff")
    assert step["if"] == "always() && inputs.fix-diff == 'true'" and _action()["inputs"]["fix-diff"]["default"] == "false"
    root = make_repo(tmp_path / "r", {"src/m.py": "import os\n\nprint(1)\n"}, ages={})
    env = {**os.environ, "MLAUDIT_PATH": ".", "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    pending = subprocess.run(["bash", "-c", step["run"]], cwd=root, capture_output=True, text=True, env=env)
    assert pending.returncode == 1 and "-import os" in pending.stdout
    assert (root / "src/m.py").read_text() == "import os\n\nprint(1)\n"
    write_files(root, {"src/m.py": "print(1)\n"})
    assert subprocess.run(["bash", "-c", step["run"]], cwd=root, capture_output=True, env=env).returncode == 0


def test_gitlab_recipe_job_runs(tmp_path):
    """The GitLab CI recipe in docs/ci.md: valid YAML with a Code Quality report, and its mlaudit
    command works in a merge-request pipeline."""
    import re
    import shlex

    recipes = (PROJECT / "docs" / "ci.md").read_text()
    section = recipes[recipes.index("## GitLab CI"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    job = yaml.safe_load(block)["mlaudit"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert job["artifacts"]["when"] == "always"
    command = next(line for line in job["script"] if line.startswith("mlaudit "))
    root = make_repo(tmp_path / "r", CODE, ages={})
    git(root, "branch", "-m", "main")
    git(root, "checkout", "-q", "-b", "mr")
    write_files(root, {"src/bad.py": "import pickle\n\n\ndef f(p):\n    return pickle.loads(p)\n"})
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(main, shlex.split(command)[1:] + ["--no-cache"],
                                    env={"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "GITHUB_BASE_REF": None,
                                         "CI_MERGE_REQUEST_DIFF_BASE_SHA": None})
    finally:
        os.chdir(cwd)
    assert result.exit_code == 1, result.output
    report = json.loads((root / "gl-code-quality-report.json").read_text())
    assert [item["location"]["path"] for item in report] == ["src/bad.py"]
    assert (root / "mlaudit-junit.xml").is_file()
