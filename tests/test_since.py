"""--since REF end to end on git repositories built in the test: only new findings, merge base,
CI environments, history-dependent rules, and a working tree and .git left untouched."""

import hashlib
import json
import os
from pathlib import Path

from click.testing import CliRunner

from auditor.ci.since import ci_base_candidates
from auditor.cli.main import main
from auditor.testing import git, make_repo, write_files

TRAIN = "import pickle\n\n\ndef train():\n    # TODO: stratify the split\n    with open('models/m.pkl', 'rb') as f:\n" \
        "        return pickle.load(f)\n\n\nif __name__ == '__main__':\n    train()\n"
CI_VARS = ("GITHUB_BASE_REF", "CI_MERGE_REQUEST_DIFF_BASE_SHA", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")


def run(*args, env=None):
    clean = {name: None for name in CI_VARS}
    return CliRunner().invoke(main, [str(a) for a in args], env={**clean, **(env or {})})


def findings(root, *args, env=None):
    result = run("scan", root, "--no-cache", "--format", "json", "--fail-on", "low", *args, env=env)
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output[result.output.index("{"):])
    return data, sorted((f["rule"], f["path"], f["line"]) for f in data["findings"])


def repo(tmp_path):
    root = make_repo(tmp_path / "r", {"src/train.py": TRAIN, "models/m.pkl": b"\x80\x04K\x01.",
                                      "requirements.txt": "numpy\n"},
                     ages={"models/m.pkl": 400, "src/train.py": 30, "requirements.txt": 30})
    return root


def snapshot(root: Path) -> dict:
    """Every file under the work tree and .git with its content hash: nothing may change."""
    state = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            state[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def test_only_new_findings_and_nothing_written(tmp_path):
    root = repo(tmp_path)
    _, everything = findings(root)
    assert ("ML301", "models/m.pkl", None) in everything  # the stale model: history-dependent
    write_files(root, {"src/train.py": TRAIN.replace("def train():", "def train():\n    # FIXME: no validation split")})
    before = snapshot(root)
    data, new = findings(root, "--since", "main")
    assert new == [("ML401", "src/train.py", 5)]
    assert data["since"]["ref"] == "main" and data["since"]["new"] == 1 and data["since"]["known"] >= 3
    assert data["gate"]["scope"] == "new"
    assert snapshot(root) == before
    assert not (root / ".git" / "worktrees").exists()


def test_branch_is_compared_with_its_merge_base(tmp_path):
    root = repo(tmp_path)
    git(root, "checkout", "-q", "-b", "feature")
    write_files(root, {"src/serve.py": "import yaml\n\n\ndef cfg(p):\n    return yaml.load(open(p))\n"})
    git(root, "add", "src/serve.py")
    git(root, "commit", "-q", "-m", "serve")
    # Meanwhile main fixes its marker: the branch did not add it, so it must not look new.
    git(root, "checkout", "-q", "main")
    write_files(root, {"src/train.py": TRAIN.replace("    # TODO: stratify the split\n", "")})
    git(root, "commit", "-q", "-am", "fix todo")
    git(root, "checkout", "-q", "feature")
    _, new = findings(root, "--since", "main", "--select", "ML401,ML453")
    assert [(rule, path) for rule, path, _ in new] == [("ML453", "src/serve.py")]


def test_auto_takes_the_base_from_ci(tmp_path):
    root = repo(tmp_path)
    base = git(root, "rev-parse", "HEAD").strip()
    write_files(root, {"src/extra.py": "x = 1  # TODO: later\n"})
    git(root, "add", "src/extra.py")
    git(root, "commit", "-q", "-m", "extra")
    for env in ({"GITHUB_BASE_REF": "main"}, {"CI_MERGE_REQUEST_DIFF_BASE_SHA": base},
                {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}):
        if "GITHUB_BASE_REF" in env or "CI_MERGE_REQUEST_TARGET_BRANCH_NAME" in env:
            git(root, "branch", "-f", "base-of-pr", base)
            env = {k: "base-of-pr" for k in env}
        data, new = findings(root, "--since", "auto", "--select", "ML401", env=env)
        assert new == [("ML401", "src/extra.py", 1)], env
        assert data["since"]["origin"] in CI_VARS
    # Outside a pull request: a note, and every finding.
    result = run("scan", root, "--no-cache", "--since", "auto", "--select", "ML401")
    assert "no pull-request or merge-request base" in result.output
    assert result.output.count("ML401") >= 2


def test_ci_candidates_prefer_the_remote_branch():
    assert ci_base_candidates({"GITHUB_BASE_REF": "main"})[0] == ("origin/main", "GITHUB_BASE_REF")
    assert ci_base_candidates({"CI_MERGE_REQUEST_DIFF_BASE_SHA": "abc"}) == [("abc", "CI_MERGE_REQUEST_DIFF_BASE_SHA")]
    assert ci_base_candidates({}) == []


def test_subdirectory_and_errors(tmp_path):
    root = repo(tmp_path)
    write_files(root, {"src/new.py": "y = 2  # HACK: quick\n"})
    _, new = findings(root / "src", "--since", "main", "--select", "ML401")
    assert new == [("ML401", "src/new.py", 1)]  # a folder of a repository: the repository, narrowed to it
    bad = run("scan", root, "--no-cache", "--since", "no-such-branch")
    assert bad.exit_code == 2 and "cannot resolve 'no-such-branch'" in bad.output
    plain = make_repo(tmp_path / "plain", {"a.py": "x = 1\n"})
    outside = run("scan", plain, "--no-cache", "--since", "main", env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert outside.exit_code == 2 and "needs a git repository" in outside.output


def test_since_and_baseline_combine(tmp_path):
    root = repo(tmp_path)
    write_files(root, {"src/a.py": "x = 1  # TODO: alpha\n", "mlaudit.toml": 'select = ["ML401"]\n'})
    assert run("baseline", root, "--no-cache").exit_code == 0  # accepts the uncommitted marker too
    write_files(root, {"src/b.py": "y = 1  # TODO: beta\n"})
    data, new = findings(root, "--since", "main", "--baseline", root / ".mlaudit-baseline.json")
    assert new == [("ML401", "src/b.py", 1)]
    # --since hides the committed marker, the baseline the uncommitted one it accepted.
    assert data["since"]["known"] == 1 and data["baseline"]["known"] == 1


def test_files_are_exported_exactly(tmp_path):
    from auditor.ci.since import export_tree

    root = make_repo(tmp_path / "r", {"a b/ü.py": "x = 1\n", "big.bin": os.urandom(3_000_000), "c.txt": "c\n"},
                     ages={"c.txt": 2})
    dest = tmp_path / "out"
    dest.mkdir()
    assert export_tree(root, "HEAD", dest) == 3
    for name in ("a b/ü.py", "big.bin", "c.txt"):
        assert (dest / name).read_bytes() == (root / name).read_bytes()


def test_blobs_missing_from_a_partial_clone_are_skipped_and_said(tmp_path):
    root = repo(tmp_path)
    blob = git(root, "rev-parse", "HEAD:requirements.txt").strip()
    (root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # as in a blob-filtered clone
    data, new = findings(root, "--since", "main", "--select", "ML210,ML401")
    assert data["since"]["missing"] == ["requirements.txt"]
    assert new == [("ML210", "requirements.txt", 1)]  # could not be compared, so it shows as new
    text = run("scan", root, "--no-cache", "--since", "main", "--select", "ML210")
    assert "1 file(s) at that commit are not in the local clone" in text.output
