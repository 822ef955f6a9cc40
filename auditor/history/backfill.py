"""Scan past commits into the history: one commit per interval, read from git's objects.

Per-file results are cached by content, so consecutive commits only re-analyse the files that
changed between them: the cost grows with what changed, not with the number of commits.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from auditor.config import Config
from auditor.history.store import History, ScanRecord, record_from_json
from auditor.model.gitexport import ExportError, export_tree
from auditor.model.gitinfo import read_history
from auditor.model.gitsafe import run_git
from auditor.scan.engine import scan

_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400, "m": 30 * 86400, "y": 365 * 86400}


class BackfillError(Exception):
    pass


def parse_duration(text: str) -> float:
    """``180d``, ``1w``, ``12h``, ``6m`` (30-day months), ``1y`` -> seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([hdwmy])\s*", text or "")
    if not match:
        raise ValueError(f"'{text}' is not a duration like 30d, 1w, 12h, 6m or 1y")
    return int(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class Commit:
    sha: str
    time: int


def pick_commits(repo: Path, since: float, every: float, now: float | None = None) -> list[Commit]:
    """The newest first-parent commit at or before each boundary now, now-every, ... back to
    now-since; oldest first, without repeats."""
    now = time.time() if now is None else now
    try:
        done = run_git(repo, "log", "--first-parent", "--format=%H %ct", "HEAD", timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackfillError(f"cannot read the history of {repo}: git could not run ({exc})") from None
    if done.returncode != 0:
        error = done.stderr.decode("utf-8", errors="replace").strip()
        raise BackfillError(f"cannot read the history of {repo}: {error or 'not a git repository'}")
    output = done.stdout.decode("utf-8", errors="replace")
    commits = [Commit(sha, int(t)) for sha, t in (line.split() for line in output.splitlines() if line.strip())]
    chosen: list[Commit] = []
    boundary = now
    while boundary >= now - since:
        candidate = next((c for c in commits if c.time <= boundary), None)  # log is newest first
        if candidate is None:
            break
        if candidate.time >= boundary - every and (not chosen or chosen[-1].sha != candidate.sha):
            chosen.append(candidate)
        boundary -= every
    return list(reversed(chosen))


def scan_commit(repo: Path, commit: Commit, config: Config, cache_dir: Path | None) -> tuple[dict, dict]:
    """The JSON result of scanning ``commit`` as it was (ages measured at its own time), and the
    cache use of that scan."""
    from auditor.report.json_report import result_to_dict

    with tempfile.TemporaryDirectory(prefix="mlaudit-commit-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        skipped: list[tuple[str, str]] = []
        try:
            export_tree(repo, commit.sha, tree, skipped)
        except ExportError as exc:
            raise BackfillError(f"commit {commit.sha[:10]}: {exc}") from None
        history = read_history(repo, rev=commit.sha)
        result = scan(tree, config, now=float(commit.time), cache_dir=cache_dir, history=history,
                      display_root=str(repo))
        result.skipped.extend(skipped)
        return result_to_dict(result), result.cache


def backfill(repo: Path, config: Config, history: History, repo_name: str, *, since: float, every: float,
             cache_dir: Path | None, progress: Callable[[str], None] | None = None, now: float | None = None,
             ) -> list[tuple[ScanRecord, dict]]:
    """Record a scan for each picked commit not yet in the history; returns the new records with
    the cache use of each scan (files analysed and reused)."""
    recorded = []
    for commit in pick_commits(repo, since, every, now):
        if history.has_commit(repo_name, commit.sha):
            if progress:
                progress(f"{commit.sha[:10]} already recorded")
            continue
        started = time.perf_counter()
        data, cache_use = scan_commit(repo, commit, config, cache_dir)
        record = record_from_json(data, repo=repo_name, scanned_at=float(commit.time), source="backfill")
        history.record(record)
        recorded.append((record, cache_use))
        if progress:
            progress(f"{commit.sha[:10]} {time.strftime('%Y-%m-%d', time.gmtime(commit.time))}: "
                     f"{len(record.findings)} findings in {time.perf_counter() - started:.1f}s "
                     f"({cache_use.get('analysed', 0)} files analysed, {cache_use.get('hits', 0)} reused)")
    return recorded
