"""Hostile inputs that once stopped a scan or corrupted its report: each is now a clear
configuration error (exit 2) or a skipped or degraded file, and the report is always valid."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from auditor.cli.main import main
from auditor.cli.settings import build_config
from auditor.config import ConfigError
from auditor.report.json_report import _dumps


def _scan(*args: str):
    return CliRunner().invoke(main, ["scan", *args])


def test_an_unusable_exclude_pattern_is_a_configuration_error(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    done = _scan(str(tmp_path), "--no-cache", "--exclude", "!")
    assert done.exit_code == 2 and "--exclude: invalid pattern '!'" in done.output
    with pytest.raises(ConfigError, match="'exclude': invalid pattern"):
        build_config({"exclude": ["data/**", "!"]}, "pyproject.toml", {})
    with pytest.raises(ConfigError, match=r"\[per-file-ignores\]: invalid pattern"):
        build_config({"per-file-ignores": {"\\": ["ML401"]}}, "pyproject.toml", {})


@pytest.mark.parametrize("weight", [math.inf, -math.inf, math.nan])
def test_a_weight_that_is_not_a_finite_number_is_a_configuration_error(weight):
    with pytest.raises(ConfigError, match="non-negative finite number"):
        build_config({"readiness": {"weights": {"rollback": weight}}}, "pyproject.toml", {})


def test_json_output_never_holds_nan_or_infinity():
    text = _dumps({"score": math.nan, "nested": [1.5, math.inf, {"x": -math.inf}]}, indent=2)
    assert json.loads(text) == {"score": None, "nested": [1.5, None, {"x": None}]}
    assert _dumps({"fine": 1.5}) == '{"fine": 1.5}'


def test_an_invalid_line_in_a_repository_gitignore_is_ignored_and_said(tmp_path):
    # Outside git, mlaudit applies .gitignore files itself; a line git would reject must not stop it.
    (tmp_path / ".gitignore").write_text("!\n*.log\n")
    (tmp_path / "train.py").write_text("x = 1\n")
    (tmp_path / "debug.log").write_text("noise\n")
    out = tmp_path.parent / f"{tmp_path.name}-report.json"
    done = _scan(str(tmp_path), "--no-cache", "--format", "json", "-o", str(out))
    assert done.exit_code in (0, 1), done.output
    report = json.loads(out.read_text())
    assert {"path": ".gitignore", "reason": "1 invalid pattern(s) ignored, e.g. '!'"} in report["scanned"]["skipped"]
    assert report["scanned"]["files"] >= 1 and not report["errors"]


# --- the cache and the history are as untrusted as the repository ---------------------------------

def _high_finding_repo(root):
    from auditor.testing import make_repo

    # ML451 (a pickle downloaded from a URL) is high: the default gate fails on it.
    return make_repo(root, {"serve.py": "import pickle\nimport requests\n\n"
                                        "model = pickle.loads(requests.get('https://example.com/m.pkl').content)\n"})


def test_edited_cache_entries_are_not_trusted(tmp_path):
    import sqlite3

    from auditor.ci.gate import exit_code
    from auditor.scan.cache import ResultCache
    from auditor.testing import scan_repo

    root = _high_finding_repo(tmp_path / "repo")
    cold = scan_repo(root, cache_dir=tmp_path / "cache")
    assert exit_code(cold) == 1 and cold.findings
    db = sqlite3.connect(tmp_path / "cache" / "cache.sqlite")
    with db:  # what an attacker with write access to the cache would do: empty every result
        db.execute("UPDATE entries SET value='[]' WHERE kind!='scan'")
        db.execute("UPDATE entries SET value=? WHERE kind='scan'", (json.dumps({"findings": []}),))
    db.close()
    warm = scan_repo(root, cache_dir=tmp_path / "cache")
    assert [f.fingerprint for f in warm.findings] == [f.fingerprint for f in cold.findings]
    assert exit_code(warm) == 1, "an edited whole-scan entry passed the gate"
    cache = ResultCache(tmp_path / "cache")
    assert cache.get("nonexistent", "x") is None and cache.forged == 0


def test_the_cache_key_is_kept_outside_the_cache_for_its_user_only(tmp_path, monkeypatch):
    from auditor.scan import cache

    monkeypatch.delenv("MLAUDIT_CACHE_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    cache.secret_key.cache_clear()
    try:
        key = cache.secret_key()
        path = tmp_path / "config" / "mlaudit" / "cache-key"
        assert path.read_bytes() == key and len(key) == 32 and (path.stat().st_mode & 0o777) == 0o600
        monkeypatch.setenv("MLAUDIT_CACHE_KEY", "shared CI secret")  # runners that share one cache
        cache.secret_key.cache_clear()
        assert cache.secret_key() != key
    finally:
        cache.secret_key.cache_clear()


def test_a_relative_cache_dir_tags_only_itself(tmp_path, monkeypatch):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path / "repo")
    done = _scan(".", "--cache-dir", "mlaudit-cache", "-q")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "repo" / "mlaudit-cache" / "CACHEDIR.TAG").is_file()
    assert not (tmp_path / "repo" / "CACHEDIR.TAG").exists()


def test_a_foreign_sqlite_file_given_as_history_is_refused_and_left_untouched(tmp_path):
    import sqlite3

    from auditor.history.store import History, HistoryError

    other = tmp_path / "app.sqlite"
    db = sqlite3.connect(other)
    with db:
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("INSERT INTO users VALUES ('alice')")
    db.close()
    before = other.read_bytes()
    with pytest.raises(HistoryError, match="not an mlaudit history; it was left untouched"):
        History(other)
    (tmp_path / "a.py").write_text("x = 1\n")
    done = _scan(str(tmp_path), "--no-cache", "--record", "--history", str(other), "-q")
    assert done.exit_code == 2 and "left untouched" in done.output
    assert other.read_bytes() == before and not (tmp_path / "app.sqlite-wal").exists()


# --- every scan ends, in bounded time and memory, with a report --------------------------------------
# Each case ran for hours, exhausted memory or lost the report before its fix. They run in a
# subprocess with a time limit, so a regression fails here instead of hanging the suite.

BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcdefgh", "bcdefghi"))

HOSTILE = {
    "path-parents": ({"a.py": "from pathlib import Path\np = Path(__file__).parents[999999999999]\n"}, None),
    "yaml-billion-laughs": ({"x.yaml": BILLION_LAUGHS}, None),
    "codeowners-backtracking": ({"CODEOWNERS": "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b @team\n",
                                 "a" * 200 + "/" + "a" * 200 + ".py": "x = 1\n"}, None),
    "doubling-constants": ({"a.py": "A0 = 'xx'\n" + "".join(f"A{i + 1} = A{i} + A{i}\n" for i in range(44))
                            + "open(A44)\n"}, None),
    "notebook-deep-json": ({"n.ipynb": "[" * 100_000 + "]" * 100_000},
                           ("n.ipynb", "not a readable notebook: its JSON nests deeper than Python can read")),
    "deep-expression": ({"a.py": "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n"}, None),
    "notebook-tabs": ({"n.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": ["x = 1" + "\t" * 100_000]}],
                                              "nbformat": 4})}, None),
    "readme-slashes": ({"README.md": "a/" * 100_000 + "\n", "a.py": "x = 1\n"}, None),
}


def _scan_in_subprocess(root, tmp_path, *args, seconds=60):
    import subprocess
    import sys

    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "auditor", "scan", str(root), "--no-cache", "--format", "json",
                           "-o", str(out), *args], capture_output=True, text=True, timeout=seconds, cwd=tmp_path)
    return done, (json.loads(out.read_text()) if out.exists() else None)


def _tree(root, files):
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _fingerprint(root):
    import hashlib

    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_never_stops_the_scan_or_loses_the_report(tmp_path, case):
    files, skipped = HOSTILE[case]
    root = tmp_path / "repo"
    _tree(root, files)
    before = _fingerprint(root)
    done, report = _scan_in_subprocess(root, tmp_path)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert report is not None and not report["errors"], done.stderr[-2000:]
    if skipped:
        assert {"path": skipped[0], "reason": skipped[1]} in report["scanned"]["skipped"]
    assert _fingerprint(root) == before


def test_alias_expansion_is_reported_as_a_parse_error_not_read(tmp_path):
    root = tmp_path / "repo"
    _tree(root, {"x.yaml": BILLION_LAUGHS})
    done, report = _scan_in_subprocess(root, tmp_path)
    [finding] = [f for f in report["findings"] if f["path"] == "x.yaml"]
    assert finding["rule"] == "ML002" and "aliases expand to more than" in finding["message"]


def test_a_codeowners_pattern_that_would_backtrack_is_refused_and_reported(tmp_path):
    from auditor.model.codeowners import parse_codeowners

    owners = parse_codeowners("*.py @a\n*a*a*a*a*b @b\n\\\n", "CODEOWNERS")
    assert [r.pattern for r in owners.rules] == ["*.py"]
    assert "wildcards in one path segment" in owners.errors[0][1]
    assert owners.errors[1] == (3, "no pattern in '\\\\'")  # a lone backslash (found by the fuzz test)


def test_a_backtracking_regex_option_is_a_configuration_error(tmp_path):
    root = tmp_path / "repo"
    _tree(root, {"pyproject.toml": '[tool.mlaudit.rules.ML401]\nticket-pattern = "(a+)+$"\n',
                 "a.py": "# TODO " + "a" * 40 + "!\n"})
    done, report = _scan_in_subprocess(root, tmp_path)
    assert done.returncode == 2 and "exponential time" in done.stderr and report is None


def test_a_fifo_and_an_undecodable_file_name_are_skipped_not_read(tmp_path):
    import os

    root = tmp_path / "repo"
    _tree(root, {"a.py": "x = 1\n"})
    os.mkfifo(root / "x.py")  # reading it would block forever
    (root / os.fsdecode(b"caf\xe9.py")).write_text("y = 2\n")
    done, report = _scan_in_subprocess(root, tmp_path, seconds=30)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    skipped = {entry["path"]: entry["reason"] for entry in report["scanned"]["skipped"]}
    assert skipped["x.py"] == "not a regular file (a FIFO, device or socket): not read"
    assert skipped["caf\ufffd.py"] == "file name is not valid UTF-8: not read"


def test_a_repository_cannot_raise_the_worker_count_above_the_cores(tmp_path, monkeypatch):
    import os

    from auditor.scan import engine
    from auditor.testing import scan_repo

    root = tmp_path / "repo"
    _tree(root, {f"m{i}.py": f"x = {i}\n" for i in range(30)})
    asked = []
    real = engine._run_jobs
    monkeypatch.setattr(engine, "_run_jobs", lambda jobs, workers, progress: asked.append(workers) or
                        real(jobs, 1, progress))
    scan_repo(root, {"jobs": 100_000})
    assert asked == [os.cpu_count() or 1]


def test_a_file_whose_analysis_runs_past_its_budget_is_skipped_with_the_reason(tmp_path, monkeypatch):
    from auditor.scan import worker

    def endless(job):
        while True:
            pass

    monkeypatch.setattr(worker, "FILE_SECONDS", 0.2)
    monkeypatch.setattr(worker, "analyse_source", endless)
    job = worker.SourceJob(path="slow.py", abs_path=str(tmp_path / "slow.py"), module_name="slow", notebook=False,
                           rule_ids=[], rule_options={}, max_size=1000)
    [result] = worker.analyse_batch([job])
    assert result.skipped == "its analysis took more than 0.2 s: skipped"


def test_an_unreadable_folder_outside_git_is_listed_not_dropped(tmp_path, monkeypatch):
    import os

    from auditor.model import discover

    root = tmp_path / "repo"
    _tree(root, {"a.py": "x = 1\n", "locked/b.py": "y = 2\n"})
    real_walk = os.walk

    def walk_with_a_locked_folder(top, **kwargs):  # what os.walk does for a mode-000 folder (not as root)
        for current, dirnames, filenames in real_walk(top, **kwargs):
            if current.endswith("locked"):
                kwargs["onerror"](PermissionError(13, "Permission denied", current))
                continue
            yield current, dirnames, filenames

    monkeypatch.setattr(discover.os, "walk", walk_with_a_locked_folder)
    found = discover.discover(root, [])
    assert found.paths == ["a.py"]
    assert ("locked", "unreadable folder: Permission denied") in found.skipped


def test_a_corrupt_git_object_marks_the_history_partial_and_says_so(tmp_path):
    from auditor.model.gitinfo import read_history
    from auditor.testing import git, make_repo

    root = make_repo(tmp_path / "repo", {"old.py": "x = 1\n", "new.py": "y = 2\n"}, ages={"old.py": 300, "new.py": 3})
    old_tree = git(root, "rev-parse", "HEAD~1^{tree}").strip()
    (root / ".git" / "objects" / old_tree[:2] / old_tree[2:]).unlink()  # the older commit's tree is gone
    history = read_history(root)
    history.last_commit_time("new.py")  # reads the log
    # git stops at the damaged commit before writing anything here, so nothing could be read; the
    # history says so, with git's reason, instead of looking like a repository without history.
    assert not history.available and history.reason.startswith("git log failed: fatal: unable to read tree")


def test_backfill_without_git_is_a_clear_error(tmp_path, monkeypatch):
    from auditor.testing import make_repo

    root = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"}, ages={"a.py": 3})
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    done = CliRunner().invoke(main, ["history", "backfill", str(root), "--history", str(tmp_path / "h.sqlite")])
    assert done.exit_code == 2 and "git could not run" in done.output


def test_yaml_application_tags_are_read_as_plain_values_and_never_constructed(tmp_path):
    """mkdocs' !!python/name: and CloudFormation's !Ref are another program's tags: the file is not
    broken (no ML002), and a python/object tag is a plain list, never a call."""
    from auditor.model.project import load_yaml_documents
    from auditor.testing import make_repo, scan_repo

    marker = tmp_path / "ran"
    text = (f"theme: material\nmarkdown_extensions:\n  - pymdownx.emoji:\n"
            f"      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
            f"bucket: !Ref ModelBucket\nboom: !!python/object/apply:os.system ['touch {marker}']\n")
    assert load_yaml_documents(text)[0]["boom"] == [f"touch {marker}"]
    root = make_repo(tmp_path / "repo", {"mkdocs.yml": text, "app.py": "x = 1\n"})
    result = scan_repo(root, {"select": ["ML002"]})
    assert not result.findings and not result.errors
    assert not marker.exists()
