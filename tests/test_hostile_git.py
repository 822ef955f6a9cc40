"""Hostile repositories: nothing that a scanned repository configures ever runs (auditor/model/gitsafe.py).

Each vector is a command the repository's own git configuration or attributes name; each writes a
marker file when it runs. mlaudit's scan, `--since`, `history backfill` and `python -m auditor`
must finish with no marker written and the repository's bytes (``.git`` included) unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.model.gitsafe import git_command
from auditor.testing import git

# Vector name -> (git config key, value that would run `touch MARKER/name`).
VECTORS = {
    "fsmonitor": ("core.fsmonitor", "touch {m}/fsmonitor; false"),
    "clean": ("filter.evil.clean", "touch {m}/clean; cat"),
    "smudge": ("filter.evil.smudge", "touch {m}/smudge; cat"),
    "process": ("filter.evil.process", "touch {m}/process"),
    "textconv": ("diff.evil.textconv", "touch {m}/textconv; cat"),
    "external-diff": ("diff.evil.command", "touch {m}/external-diff"),
    "diff-external": ("diff.external", "touch {m}/diff-external"),
    "pager": ("core.pager", "touch {m}/pager; cat"),
    "credential": ("credential.helper", "!touch {m}/credential; echo"),
    "ssh": ("core.sshCommand", "touch {m}/ssh"),
}


def _fingerprint(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def hostile(tmp_path):
    """A repository with two commits, debt markers in enough files that blame first writes a
    commit-graph (``auditor.scan.blame.GRAPH_MIN_FILES``), every vector configured, a hook
    directory full of hooks, and an uncommitted change (so the work tree differs from HEAD)."""
    from auditor.scan.blame import GRAPH_MIN_FILES

    root, markers, hooks = tmp_path / "repo", tmp_path / "markers", tmp_path / "hooks"
    for folder in (root, markers, hooks):
        folder.mkdir()
    git(root, "init", "-q")
    (root / "train.py").write_text("import random\n# TODO: fix this hack\nx = random.random()\n")
    for number in range(GRAPH_MIN_FILES):
        (root / f"step{number}.py").write_text(f"# TODO: tune step {number}\nSTEP = {number}\n")
    (root / ".gitattributes").write_text("* filter=evil diff=evil\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first", when=1_700_000_000)
    with open(root / "train.py", "a") as handle:
        handle.write("y = 1  # HACK: later\n")
    git(root, "commit", "-qam", "second", when=1_700_100_000)
    for key, value in VECTORS.values():
        git(root, "config", key, value.format(m=markers))
    for hook in ("post-checkout", "pre-commit", "post-index-change", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {markers}/hook-{hook}\n")
        (hooks / hook).chmod(0o755)
    git(root, "config", "core.hooksPath", str(hooks))
    with open(root / "train.py", "a") as handle:
        handle.write("z = 2\n")
    return root, markers


def _mlaudit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NO_COLOR": "1"})


@pytest.mark.parametrize("command", [
    ["scan", "{root}", "--no-cache", "--format", "json", "-o", "{out}/report.json"],
    ["scan", "{root}", "--no-cache", "--since", "HEAD~1", "--format", "json", "-o", "{out}/report.json"],
    ["history", "backfill", "{root}", "--history", "{out}/history.sqlite", "--since", "3650d", "--every", "1d"],
], ids=["scan", "since", "backfill"])
def test_no_repository_configured_command_runs(hostile, tmp_path, command):
    root, markers = hostile
    before = _fingerprint(root)
    done = _mlaudit(*(part.format(root=root, out=tmp_path) for part in command), cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert sorted(p.name for p in markers.iterdir()) == [], "a repository-configured command ran"
    assert _fingerprint(root) == before, "the scan changed the repository's bytes"
    if command[0] == "scan":
        report = json.loads((tmp_path / "report.json").read_text())
        ages = [f["evidence"].get("author") for f in report["findings"] if f["rule"] == "ML401"]
        assert ages and all(ages), "blame still works under the policy"


def test_every_driver_the_repository_configures_is_emptied_on_the_command_line(hostile):
    root, _ = hostile
    command = git_command(root, "blame", "--", "train.py")
    for setting in ("filter.evil.clean=", "filter.evil.smudge=", "filter.evil.process=", "diff.evil.textconv=",
                    "diff.evil.command=", "core.fsmonitor=false", "core.hooksPath=/dev/null", "protocol.allow=never"):
        assert setting in command, setting
    assert command.index("-C") > command.index("filter.evil.process=")  # settings come before the subcommand


def _plumb(root: Path, *args: str, data: str = "") -> str:
    return subprocess.run(["git", "-C", str(root), *args], input=data.encode(), capture_output=True,
                          check=True).stdout.decode().strip()


def test_a_git_folder_inside_a_commit_is_never_written_out(tmp_path):
    # git refuses to add a .git path, but a crafted commit can carry one: build its trees by hand.
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "train.py").write_text("x = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first", when=1_700_000_000)
    config = _plumb(root, "hash-object", "-w", "--stdin", data="[core]\n\tfsmonitor = touch pwned\n")
    module = _plumb(root, "hash-object", "-w", "--stdin", data="y = 2\n")
    dot_git = _plumb(root, "mktree", data=f"100644 blob {config}\tconfig\n")
    lib = _plumb(root, "mktree", data=f"100644 blob {module}\tmod.py\n")
    vendor = _plumb(root, "mktree", data=f"040000 tree {dot_git}\t.git\n040000 tree {lib}\tlib\n")
    train = _plumb(root, "rev-parse", "HEAD:train.py")
    top = _plumb(root, "mktree", data=f"100644 blob {train}\ttrain.py\n040000 tree {vendor}\tvendor\n")
    commit = _plumb(root, "commit-tree", top, "-p", "HEAD", "-m", "carries a .git folder")
    _plumb(root, "update-ref", "HEAD", commit)
    git(root, "commit", "-q", "--allow-empty", "-m", "next", when=1_700_100_000)

    done = _mlaudit("scan", str(root), "--no-cache", "--since", "HEAD~1", "--format", "json", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)["since"]["refused"] == ["vendor/.git/config"]
    from auditor.model.gitexport import GIT_METADATA, export_tree

    dest, skipped = tmp_path / "export", []
    export_tree(root, "HEAD~1", dest, skipped)
    assert not any(part.lower() == ".git" for p in dest.rglob("*") for part in p.relative_to(dest).parts)
    assert skipped == [("vendor/.git/config", GIT_METADATA)]
    assert (dest / "vendor" / "lib" / "mod.py").read_text() == "y = 2\n"


def test_python_dash_m_from_the_scanned_repository_does_not_import_its_modules(tmp_path):
    marker = tmp_path / "shadowed"
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("yaml", "click", "json"):
        (repo / f"{name}.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n")
    (repo / "params.yaml").write_text("lr: 0.1\n")
    done = _mlaudit("scan", ".", "--no-cache", "-q", cwd=repo)
    assert done.returncode in (0, 1), done.stderr
    assert not marker.exists(), "python -m auditor imported the scanned repository's own module"


def test_markdown_digests_escape_repository_text_and_never_mention_anyone():
    from auditor.history.team import render_team_markdown

    hostile = "<img src=x onerror=alert(1)> <script>x()</script> | @alice `tick` **bold**"
    finding = {"path": "src/`evil`|x.py", "line": 3, "message": hostile, "rule": "ML401", "severity": "low",
               "evidence": {"age_days": 400}}
    repo = {"repo": "acme/<b>repo</b>", "latest": object(), "score": 50.0, "grade": "D", "score_delta": 0.0,
            "findings": 1, "findings_delta": 1, "new": [finding], "fixed": [],
            "owners": [{"owner": "@acme/ml-team <script>", "now": 3, "delta": 1}],
            "files_grew": [("a|b.py", 2, 0)], "oldest_hacks": [finding], "stale_models": [finding], "ownerless": [finding]}
    text = render_team_markdown({"title": "Weekly @everyone", "start": "2026-11-01", "end": "2026-12-01",
                                 "fleet": True, "repos": [repo]})
    # Code spans show their text literally and do not notify; everything outside them is escaped.
    # (An escaped backtick, \`, is text: drop those before splitting the text at the real spans.)
    spans = text.replace("\\`", "").split("`")
    outside_code = "".join(spans[0::2])
    assert "<img" not in outside_code and "<script" not in outside_code and "<b>" not in outside_code
    assert "@alice" not in outside_code and "@everyone" not in outside_code
    assert "src/'evil'|x.py:3" in spans[1::2]  # the value's own backtick cannot end its code span
    table = [line for line in text.splitlines() if line.startswith("| acme")]
    assert table and table[0].count("|") == 9  # the repository name did not add a column


def test_html_reports_allow_only_their_own_inline_style_and_script(tmp_path):
    import base64
    import re

    from auditor.config import build_config
    from auditor.history.team import build_report, render_team_html
    from auditor.report.html import render_html
    from auditor.scan.engine import scan
    from auditor.testing import make_repo

    root = make_repo(tmp_path / "repo", {"train.py": "import random\n# TODO: later\nx = random.random()\n"})
    report = render_html(scan(root, build_config({}, None, {})))
    team = render_team_html(build_report({}, 0.0, 86400.0, "Team"))
    for page, scripts in ((report, 1), (team, 0)):
        head = page.split("<head>", 1)[1]
        assert head.lstrip().startswith('<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy"')
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1).replace("&#39;", "'")
        assert policy.startswith("default-src 'none'") and "unsafe-inline" not in policy
        inline = re.findall(r"<style>(.*?)</style>", page, re.S) + re.findall(r"<script>(.*?)</script>", page, re.S)
        assert len(inline) == 1 + scripts
        for text in inline:  # each inline block runs only because its hash is in the policy
            digest = base64.b64encode(__import__("hashlib").sha256(text.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy
