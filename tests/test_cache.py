"""The per-file cache: re-scans reuse results by content, never trust a bad entry, never write
into the scanned repository."""

import json
import sqlite3

from click.testing import CliRunner

from auditor.cache import ResultCache, default_cache_dir
from auditor.cli import main
from auditor.testing import make_repo
from auditor.testing import scan_repo as scan_all


def scan_repo(root, config=None, **kwargs):
    return scan_all(root, {"select": ["ML001", "ML401"], **(config or {})}, **kwargs)

FILES = {"a.py": "# TODO: a\n", "b.py": "x = 1  # FIXME: b\n", "c.py": "def broken(:\n"}


def findings(result):
    return sorted((f.path, f.line, f.rule, f.fingerprint) for f in result.findings)


def test_warm_scan_reuses_everything_and_gives_the_same_findings(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    cache = tmp_path / "cache"
    cold = scan_repo(root, cache_dir=cache)
    warm = scan_repo(root, cache_dir=cache)
    assert cold.cache["analysed"] == 3 and cold.cache["hits"] == 0
    assert warm.cache["analysed"] == 0 and warm.cache["hits"] == 3
    assert findings(warm) == findings(cold)
    assert warm.python_lines == cold.python_lines


def test_a_changed_file_is_analysed_again(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    cache = tmp_path / "cache"
    scan_repo(root, cache_dir=cache)
    (root / "b.py").write_text("x = 1  # FIXME: now with more text\n")
    again = scan_repo(root, cache_dir=cache)
    assert again.cache == {"enabled": True, "hits": 2, "analysed": 1, "directory": str(cache),
                           "whole_scan_reused": False}
    assert any("now with more text" in f.message for f in again.findings)


def test_configuration_that_changes_per_file_work_is_part_of_the_key(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    cache = tmp_path / "cache"
    scan_repo(root, cache_dir=cache)
    narrowed = scan_repo(root, {"select": ["ML001"]}, cache_dir=cache)
    assert narrowed.cache["hits"] == 0
    assert {f.rule for f in narrowed.findings} == {"ML001"}


def test_corrupt_cache_file_is_rebuilt(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    result = scan_repo(root, cache_dir=cache)
    assert result.cache["enabled"] and len(result.findings) == 3
    assert scan_repo(root, cache_dir=cache).cache["hits"] == 3


def test_foreign_or_damaged_entries_are_ignored(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    cache = tmp_path / "cache"
    cold = scan_repo(root, cache_dir=cache)
    db = sqlite3.connect(cache / "cache.sqlite")
    keys = [k for (k,) in db.execute("SELECT key FROM entries WHERE kind='source'")]
    db.execute("UPDATE entries SET value=? WHERE key=?", ("{not json", keys[0]))
    db.execute("UPDATE entries SET value=? WHERE key=?", (json.dumps({"path": "elsewhere.py"}), keys[1]))
    db.execute("UPDATE entries SET value=? WHERE key=?", (json.dumps({"path": "x", "evil": 1}), keys[2]))
    db.execute("UPDATE entries SET value=? WHERE kind='scan'", (json.dumps({"findings": "not a list"}),))
    db.commit()
    db.close()
    warm = scan_repo(root, cache_dir=cache)
    assert warm.cache["hits"] == 0 and warm.cache["analysed"] == 3
    assert findings(warm) == findings(cold)


def test_cache_stores_json_never_pickle(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    scan_repo(root, cache_dir=tmp_path / "cache")
    db = sqlite3.connect(tmp_path / "cache" / "cache.sqlite")
    for (value,) in db.execute("SELECT value FROM entries"):
        json.loads(value)


def test_git_log_is_cached_per_head(tmp_path):
    root = make_repo(tmp_path / "r", FILES, ages={"a.py": 30, "b.py": 3})
    cache = ResultCache(tmp_path / "cache")
    scan_repo(root, cache_dir=tmp_path / "cache")
    assert any(kind == "git-log" for (kind,) in sqlite3.connect(cache.path).execute("SELECT kind FROM entries"))
    cache.close()
    warm = scan_repo(root, cache_dir=tmp_path / "cache")
    assert warm.git.last_commit_time("a.py") < warm.git.last_commit_time("b.py")


def test_cli_default_cache_is_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = make_repo(tmp_path / "r", FILES, ages={"a.py": 2})
    before = sorted(p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts)
    runner = CliRunner()
    assert runner.invoke(main, ["scan", str(root)]).exit_code == 0
    after = sorted(p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts)
    assert before == after
    assert (default_cache_dir(root) / "cache.sqlite").is_file()
    assert str(default_cache_dir(root)).startswith(str(tmp_path / "xdg" / "mlaudit"))
    no_cache = tmp_path / "xdg2"
    monkeypatch.setenv("XDG_CACHE_HOME", str(no_cache))
    assert runner.invoke(main, ["scan", str(root), "--no-cache"]).exit_code == 0
    assert not no_cache.exists()


def test_an_unchanged_repository_reuses_the_whole_scan_the_same_day(tmp_path):
    root = make_repo(tmp_path / "r", {**FILES, "params.yaml": "lr: 0.1\n"}, ages={"a.py": 3})
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    cold = scan_repo(root, cache_dir=cache, now=now)
    warm = scan_repo(root, cache_dir=cache, now=now + 3600)
    assert not cold.cache["whole_scan_reused"] and warm.cache["whole_scan_reused"]
    assert [f.to_json() for f in warm.findings] == [f.to_json() for f in cold.findings]
    assert warm.readiness == cold.readiness and warm.skipped == cold.skipped
    # a changed config file, a new day or other settings each make it scan again
    (root / "params.yaml").write_text("lr: 0.2\n")
    assert not scan_repo(root, cache_dir=cache, now=now).cache["whole_scan_reused"]
    assert scan_repo(root, cache_dir=cache, now=now).cache["whole_scan_reused"]
    assert not scan_repo(root, cache_dir=cache, now=now + 86400).cache["whole_scan_reused"]
    assert not scan_repo(root, {"min-confidence": "high"}, cache_dir=cache, now=now).cache["whole_scan_reused"]
