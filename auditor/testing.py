"""Helpers for testing rules on small repositories built on the fly (used by tests/ and by rule
authors): write files, optionally with back-dated git history, and run the real engine."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from auditor.config import build_config
from auditor.rule import Example, Rule
from auditor.scan.engine import ScanResult, scan

DAY = 86400.0


def git(root: Path, *args: str, when: float | None = None, author: str = "Dana Demo <dana@example.com>") -> str:
    env = dict(os.environ)
    name, _, email = author.partition(" <")
    env.update({
        "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email.rstrip(">"),
        "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email.rstrip(">"),
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    })
    if when is not None:
        stamp = f"@{int(when)} +0000"
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = stamp
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def make_repo(root: Path, files: dict[str, str | bytes], ages: dict[str, float] | None = None,
              now: float | None = None, authors: dict[str, str] | None = None) -> Path:
    """Write ``files``; with ``ages`` (path -> days since its last commit) build git history.

    Files without an age are committed in the newest commit (one hour ago). Each distinct age is
    one commit, oldest first, so ``git log`` shows the back-dated history.
    """
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, files)
    if ages is None:
        return root
    now = time.time() if now is None else now
    git(root, "init", "-q", "-b", "main")
    by_age: dict[float, list[str]] = {}
    for rel in files:
        by_age.setdefault(ages.get(rel, 1 / 24), []).append(rel)
    for age in sorted(by_age, reverse=True):
        paths = by_age[age]
        author = (authors or {}).get(paths[0], "Dana Demo <dana@example.com>")
        git(root, "add", "--", *paths)
        git(root, "commit", "-q", "-m", f"change {', '.join(paths)[:60]}", when=now - age * DAY, author=author)
    return root


def scan_repo(root: Path, config: dict[str, Any] | None = None, **kwargs: Any) -> ScanResult:
    return scan(root, build_config(config or {}, "test", {}), **kwargs)


def run_example(rule: type[Rule], example: Example, root: Path) -> set[tuple]:
    """Run ``rule`` alone on the example's repository; return (path, line[, cell]) of its findings."""
    make_repo(root, example.files, example.git, authors=example.authors)
    # an example shows everything the rule finds, also what the default min-confidence hides
    config = {"select": [rule.id], "min-confidence": "low", **example.config}
    result = scan_repo(root, config)
    if result.errors:
        raise AssertionError(f"rule errors: {result.errors}")
    found = set()
    for finding in result.findings:
        if finding.rule != rule.id:
            continue
        found.add((finding.path, finding.line, finding.cell) if finding.cell else (finding.path, finding.line))
    return found


def expected_locations(example: Example) -> set[tuple]:
    single = next(iter(example.files)) if len(example.files) == 1 else None
    result = set()
    for item in example.expect:
        if isinstance(item, int):
            if single is None:
                raise ValueError("bare line numbers need a single-file example")
            result.add((single, item))
        else:
            result.add(tuple(item))
    return result
