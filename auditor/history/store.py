"""The scan history: one SQLite file of past scans, for trends and new-versus-fixed debt.

Each scan is one row with its scores and counts, plus the fingerprints of its findings (so two
scans can be compared without line numbers). Every write is one transaction; WAL mode lets
concurrent writers wait for each other instead of corrupting the file. The schema carries a
version and migrates forward. A damaged file is never repaired or replaced: the error says so
and the file is left as it was, so no other record is lost.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

SCHEMA_VERSION = 3

# Migrations from version N-1 to N. Never edit a released one: add the next.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE scans (
            id INTEGER PRIMARY KEY,
            repo TEXT NOT NULL,
            scanned_at REAL NOT NULL,      -- when the code was as scanned: commit time for backfills
            recorded_at REAL NOT NULL,
            commit_sha TEXT, branch TEXT, tool_version TEXT, source TEXT NOT NULL,
            score REAL, grade TEXT, rollback_minutes INTEGER,
            findings INTEGER NOT NULL, python_lines INTEGER NOT NULL)""",
        "CREATE INDEX scans_repo_time ON scans (repo, scanned_at)",
        """CREATE TABLE scan_scores (scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            dimension TEXT NOT NULL, score REAL, PRIMARY KEY (scan_id, dimension))""",
        """CREATE TABLE scan_counts (scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            kind TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (scan_id, kind, key))""",
        """CREATE TABLE scan_findings (scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL, rule TEXT, category TEXT, severity TEXT, path TEXT, line INTEGER,
            message TEXT, owners TEXT, age_days REAL, author TEXT, evidence TEXT)""",
        "CREATE INDEX scan_findings_scan ON scan_findings (scan_id)",
    ],
    # Notebook findings keep their cell, so reports point to "cell 4, line 2".
    2: ["ALTER TABLE scan_findings ADD COLUMN cell INTEGER"],
    # The digest of the configuration a scan ran with: the same commit scanned again with the same
    # configuration replaces the earlier row instead of counting twice in every trend.
    3: ["ALTER TABLE scans ADD COLUMN settings TEXT"],
}


class HistoryError(Exception):
    """The history file cannot be used; the CLI exits with code 2 and the file is untouched."""


@dataclass
class ScanRecord:
    repo: str
    scanned_at: float
    commit_sha: str | None
    branch: str | None
    tool_version: str
    source: str  # scan | backfill | import
    score: float | None
    grade: str | None
    rollback_minutes: int | None
    python_lines: int
    dimensions: dict[str, float] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)  # JSON findings (see json_report)
    id: int | None = None
    recorded_at: float | None = None
    settings: str | None = None  # digest of the configuration (Config.digest)

    def counts(self, kind: str) -> Counter:
        if kind == "owner":
            counter: Counter = Counter()
            for f in self.findings:
                for owner in f.get("owners") or ["(no owner)"]:
                    counter[owner] += 1
            return counter
        return Counter(f.get(kind) for f in self.findings)


def repo_identity(remote_url: str | None, fallback: Path | str) -> str:
    """A stable name for a repository: its remote as host/path (no scheme, credentials or .git
    suffix), so https and ssh clones of one repository agree; else ``fallback``: the scanned
    folder's name, or a name given outright (a results file's)."""
    url = (remote_url or "").strip().rstrip("/").removesuffix(".git")
    if not url or url.startswith(("/", ".", "~", "file:")) or (len(url) > 1 and url[1] == ":"):
        return fallback.resolve().name if isinstance(fallback, Path) else fallback
    if "://" in url:
        rest = url.split("://", 1)[1]
        host, _, path = rest.partition("/")
        return f"{host.rsplit('@', 1)[-1]}/{path}".rstrip("/")
    if "@" in url and ":" in url:  # scp-like: git@github.com:org/repo
        host, _, path = url.split("@", 1)[1].partition(":")
        return f"{host}/{path}"
    return url


def record_from_json(data: dict[str, Any], *, repo: str | None = None, scanned_at: float | None = None,
                     source: str = "import", fallback_name: str = "repo") -> ScanRecord:
    """A record from mlaudit's JSON output (a scan result collected from a repository's CI). Its
    repository is named by ``repo``, else the name the scan was given (``--name``), else its git
    remote, else ``fallback_name`` (the results file's name): never the folder a report runs in."""
    if not isinstance(data, dict) or data.get("tool", {}).get("name") != "mlaudit" or "findings" not in data:
        raise HistoryError("not an mlaudit JSON scan result")
    git = data.get("git") or {}
    readiness = data.get("readiness") or {}
    when = scanned_at if scanned_at is not None else data.get("scanned_at_epoch") or data.get("scanned_at")
    if isinstance(when, str):
        from datetime import datetime

        try:
            when = datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()
        except ValueError:
            when = None
    return ScanRecord(
        repo=repo or data.get("repository") or repo_identity(git.get("remote_url"), fallback_name),
        scanned_at=float(when) if when else time.time(),
        commit_sha=git.get("head"), branch=git.get("branch"),
        tool_version=str(data.get("tool", {}).get("version", "")), source=source,
        score=readiness.get("score"), grade=readiness.get("grade"),
        rollback_minutes=readiness.get("rollback_minutes"),
        python_lines=int(data.get("scanned", {}).get("python_lines", 0)),
        dimensions={name: d.get("score") for name, d in (readiness.get("dimensions") or {}).items()},
        findings=[f for f in data["findings"] if isinstance(f, dict) and f.get("fingerprint")],
        settings=data.get("settings") if isinstance(data.get("settings"), str) else None,
    )


class History:
    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise HistoryError(f"no history at {self.path} (record scans with `mlaudit scan --record`)")
        if self.path.exists() and self.path.is_dir():
            raise HistoryError(f"{self.path} is a directory, not a history file")
        try:
            self._refuse_foreign()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA journal_mode=WAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.path} is not a readable mlaudit history ({exc}); it was left untouched: "
                               "move it aside to start a new one") from None
        except OSError as exc:
            raise HistoryError(f"cannot open history {self.path}: {exc}") from None

    def _refuse_foreign(self) -> None:
        """An existing file that is not an mlaudit history (another program's SQLite database, say)
        is refused before anything writes to it: opening it for writing would switch its journal
        and add our tables. Errors reading it are the caller's to report."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        probe = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            tables = {name for (name,) in probe.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            ours = "meta" in tables and probe.execute(
                "SELECT 1 FROM meta WHERE name='schema_version'").fetchone() is not None
        finally:
            probe.close()
        if not ours:
            raise HistoryError(f"{self.path} is an SQLite database but not an mlaudit history; it was left "
                               "untouched: give another --history file")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _migrate(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            row = self.db.execute("SELECT value FROM meta WHERE name='schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise HistoryError(f"{self.path} was written by a newer mlaudit (schema {version}); upgrade mlaudit")
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    self.db.execute(statement)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def record(self, record: ScanRecord) -> int:
        """Store one scan atomically; returns its id."""
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if record.commit_sha and record.settings:  # the same scan again: it replaces the earlier row
                self.db.execute("DELETE FROM scans WHERE repo=? AND commit_sha=? AND settings=?",
                                (record.repo, record.commit_sha, record.settings))
            cursor = self.db.execute(
                "INSERT INTO scans (repo, scanned_at, recorded_at, commit_sha, branch, tool_version, source, score,"
                " grade, rollback_minutes, findings, python_lines, settings) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (record.repo, record.scanned_at, now, record.commit_sha, record.branch, record.tool_version,
                 record.source, record.score, record.grade, record.rollback_minutes, len(record.findings),
                 record.python_lines, record.settings))
            scan_id = cursor.lastrowid
            self.db.executemany("INSERT INTO scan_scores VALUES (?,?,?)",
                                [(scan_id, k, v) for k, v in record.dimensions.items()])
            rows = [(scan_id, kind, str(key), count) for kind in ("category", "severity", "rule", "owner")
                    for key, count in record.counts(kind).items()]
            self.db.executemany("INSERT INTO scan_counts VALUES (?,?,?,?)", rows)
            self.db.executemany(
                "INSERT INTO scan_findings (scan_id, fingerprint, rule, category, severity, path, line, message,"
                " owners, age_days, author, evidence, cell) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(scan_id, f["fingerprint"], f.get("rule"), f.get("category"), f.get("severity"), f.get("path"),
                  f.get("line"), f.get("message"), json.dumps(f.get("owners") or []),
                  (f.get("evidence") or {}).get("age_days"), (f.get("evidence") or {}).get("author"),
                  json.dumps(f.get("evidence") or {}, default=str), f.get("cell")) for f in record.findings])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return scan_id

    def has_commit(self, repo: str, commit: str) -> bool:
        return self.db.execute("SELECT 1 FROM scans WHERE repo=? AND commit_sha=?", (repo, commit)).fetchone() is not None

    def repos(self) -> list[str]:
        return [r for (r,) in self.db.execute("SELECT DISTINCT repo FROM scans ORDER BY repo")]

    def scans(self, repo: str | None = None, since: float | None = None, with_findings: bool = True) -> list[ScanRecord]:
        query = "SELECT id, repo, scanned_at, recorded_at, commit_sha, branch, tool_version, source, score, grade," \
                " rollback_minutes, python_lines FROM scans WHERE 1=1"
        args: list[Any] = []
        if repo is not None:
            query += " AND repo=?"
            args.append(repo)
        if since is not None:
            query += " AND scanned_at>=?"
            args.append(since)
        records = []
        for row in self.db.execute(query + " ORDER BY scanned_at, id", args).fetchall():
            record = ScanRecord(id=row[0], repo=row[1], scanned_at=row[2], recorded_at=row[3], commit_sha=row[4],
                                branch=row[5], tool_version=row[6], source=row[7], score=row[8], grade=row[9],
                                rollback_minutes=row[10], python_lines=row[11])
            record.dimensions = dict(self.db.execute(
                "SELECT dimension, score FROM scan_scores WHERE scan_id=?", (record.id,)).fetchall())
            if with_findings:
                record.findings = [self._finding(r) for r in self.db.execute(
                    "SELECT fingerprint, rule, category, severity, path, line, message, owners, age_days, author,"
                    " evidence, cell FROM scan_findings WHERE scan_id=?", (record.id,))]
            records.append(record)
        return records

    @staticmethod
    def _finding(row: Iterable[Any]) -> dict[str, Any]:
        fp, rule, category, severity, path, line, message, owners, age, author, evidence, cell = row
        return {"fingerprint": fp, "rule": rule, "category": category, "severity": severity, "path": path,
                "line": line, "cell": cell, "message": message, "owners": json.loads(owners or "[]"),
                "evidence": json.loads(evidence or "{}")}
