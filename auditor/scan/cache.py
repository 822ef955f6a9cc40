"""A per-file result cache keyed by content, so a re-scan only re-analyses what changed.

Entries are JSON text in an SQLite file (stdlib, atomic, safe for concurrent scans): never
pickle, because a cache can be shared through CI storage and is as untrusted as the repository.
The key covers the file's bytes, its path and module name, mlaudit's own code and the settings
that change per-file work, so a stale entry is never used; an entry that does not decode or does
not match is ignored and rebuilt. The scanned repository is never written to: the default
location is the user's cache directory, one folder per repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

import auditor

SCHEMA = 2  # 2: entries keyed by (kind, key), so one file's facts and results share its key
FLUSH_EVERY = 100  # entries per write transaction


def default_cache_dir(root: Path) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    resolved = str(root.resolve())
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(resolved).name)[:40] or "root"
    return Path(base) / "mlaudit" / f"{name}-{hashlib.sha256(resolved.encode()).hexdigest()[:12]}"


@lru_cache(maxsize=1)
def code_digest() -> str:
    """mlaudit's own version and code: a development change to a rule invalidates old entries."""
    digest = hashlib.sha256(auditor.__version__.encode())
    package = Path(auditor.__file__).parent
    import auditor.rules as rules_package

    for directory in (package, Path(rules_package.__file__).parent):
        for path in sorted(directory.rglob("*.py")):
            try:
                stat = path.stat()
            except OSError:
                continue
            digest.update(f"{path.relative_to(directory)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def settings_digest(rule_ids: list[str], rule_options: dict[str, dict[str, Any]], max_size: int) -> str:
    payload = json.dumps({"rules": sorted(rule_ids), "options": rule_options, "max": max_size}, sort_keys=True)
    return hashlib.sha256(f"{code_digest()}:{payload}".encode()).hexdigest()[:16]


class ResultCache:
    """Get and put JSON values by key; all failures degrade to a cache miss."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "cache.sqlite"
        self.hits = 0
        self.misses = 0
        self._pending: list[tuple[str, str, str]] = []
        self._db = self._open()

    def _open(self) -> sqlite3.Connection | None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tag = self.directory.parent / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# mlaudit cache: safe to delete\n")
            for attempt in range(2):
                try:
                    db = sqlite3.connect(self.path, timeout=10)
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT, kind TEXT, value TEXT, PRIMARY KEY (kind, key))")
                    db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
                    row = db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
                    if row is None:
                        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
                        db.commit()
                    elif row[0] != str(SCHEMA):
                        raise sqlite3.DatabaseError("cache schema mismatch")
                    return db
                except sqlite3.DatabaseError:
                    # Corrupt or foreign file: it is only a cache, so start again.
                    if attempt == 0:
                        for suffix in ("", "-wal", "-shm"):
                            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        except OSError:
            return None
        return None

    @property
    def usable(self) -> bool:
        return self._db is not None

    def get(self, kind: str, key: str) -> Any:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM entries WHERE key=? AND kind=?", (key, kind)).fetchone()
            value = json.loads(row[0]) if row else None
        except (sqlite3.Error, ValueError, TypeError):
            value = None
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def get_encoded(self, kind: str, key: str) -> str | None:
        """An entry's JSON text as stored, or None when there is none: a stored ``null`` is not
        a miss (``get`` cannot tell them apart)."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM entries WHERE key=? AND kind=?", (key, kind)).fetchone()
        except sqlite3.Error:
            row = None
        return row[0] if row and isinstance(row[0], str) else None

    def put(self, kind: str, key: str, value: Any) -> None:
        self.put_encoded(kind, key, json.dumps(value, separators=(",", ":")))

    def put_encoded(self, kind: str, key: str, text: str) -> None:
        """``put`` of a value already encoded as JSON text (the caller needed the text anyway)."""
        if self._db is not None:
            self._pending.append((key, kind, text))
            if len(self._pending) >= FLUSH_EVERY:  # written in batches: a large scan's JSON is not all held
                self._flush()

    def _flush(self) -> None:
        try:
            if self._pending and self._db is not None:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", self._pending)
        except sqlite3.Error:
            pass  # a cache that cannot be written is only a slower next scan
        self._pending = []

    def close(self) -> None:
        if self._db is None:
            return
        self._flush()
        try:
            self._db.close()
        except sqlite3.Error:
            pass
        self._db = None
