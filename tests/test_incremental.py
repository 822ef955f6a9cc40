"""Incremental equals scratch (bench/incremental_check.py): after random edits of every kind, a scan
that reuses the cache reports exactly what a scan from nothing reports."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from auditor.demo import build_demo

PROJECT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("incremental_check", PROJECT / "bench" / "incremental_check.py")
incremental_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(incremental_check)


def test_cached_scans_equal_scans_from_nothing_after_random_edits_of_the_demo(tmp_path):
    tree = tmp_path / "demo"
    build_demo(tree, now=1_799_000_000.0)
    done: list[str] = []
    problem = incremental_check.check(tree, edits=7, seed=3, cache=tmp_path / "cache", log=done.append)
    assert problem is None
    made = " ".join(done)
    assert all(word in made for word in ("added", "removed", "renamed", "imported", "moved")), done
    assert all(line.endswith("same") for line in done)


def test_the_language_servers_scans_equal_scans_from_nothing_after_random_edits_of_the_demo(tmp_path):
    """The same check with the scans a language server makes: one open cache, edges kept decoded
    between scans, analyses released."""
    tree = tmp_path / "demo"
    build_demo(tree, now=1_799_000_000.0)
    done: list[str] = []
    problem = incremental_check.check(tree, edits=5, seed=5, cache=tmp_path / "cache", log=done.append, session=True)
    assert problem is None and len(done) == 5 and all(line.endswith("same") for line in done)


def test_the_check_sees_a_difference(tmp_path, monkeypatch):
    """The comparison can fail: a cache that keeps an old finding is caught."""
    tree = tmp_path / "demo"
    build_demo(tree, now=1_799_000_000.0)
    real_report = incremental_check.report
    calls = []

    def report(result):  # every other report (the cached scans) carries a stale extra finding
        calls.append(1)
        data = real_report(result)
        if len(calls) % 2:
            data["findings"].append({"rule": "ML101", "path": "gone.py"})
        return data

    monkeypatch.setattr(incremental_check, "report", report)
    assert "findings differ" in incremental_check.check(tree, edits=1, seed=3, cache=tmp_path / "cache", log=print)
