"""A per-file result cache keyed by content, so a re-scan only re-analyses what changed.

Entries are JSON text in an SQLite file (stdlib, atomic, safe for concurrent scans): never
pickle, because a cache can be shared through CI storage and is as untrusted as the repository.
The key covers the file's bytes, its path and module name, mlaudit's own code and the settings
that change per-file work, so a stale entry is never used; an entry that does not decode or does
not match is ignored and rebuilt. The scanned repository is never written to: the default
location is the user's cache directory, one folder per repository.

Anyone who can write the cache folder (a cache restored from CI storage, a shared machine) could
edit what a scan reads back, for example empty a file's findings so a gate passes. So every entry
carries an HMAC of its kind, key and value under a secret key kept outside the cache folder
(``MLAUDIT_CACHE_KEY`` when set, for CI runners that share a cache; else a random key created once
in the user's configuration folder, readable by the user only); an entry whose HMAC does not match
is a miss, and is rebuilt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import auditor

SCHEMA = 4  # 2: entries keyed by (kind, key), so one file's facts and results share its key; 3: an HMAC each;
# 4: the generation that last used each entry (table ``used``)
# An entry that none of this many scans that computed anything (a warm scan that reads the whole
# result back does not count) used or kept is deleted: older versions of edited files, whole results
# and project rules' findings of earlier states, entries of an older mlaudit. Each edit of a
# 1,000,000-line tree adds about 9 MB of them; the cache stays a few times its live part.
KEEP_GENERATIONS = 16
# A whole result (kind "scan", about 5 MB at 1,000,000 lines) is only read back while its state
# lasts, or after an edit is undone: fewer of them are kept.
KEEP_WHOLE_RESULTS = 4
FLUSH_EVERY = 100  # entries per write transaction
FLUSH_TEXT = 8 << 20  # or this many characters of JSON, whichever comes first
# Rows (findings) per part of a value stored in parts (``put_in_parts``): a scan's 400,000 findings
# as one JSON text held the dicts, the text and its HMAC input at once, most of the scan's memory.
ROWS_PER_PART = 2000
# Keys per query of ``get_many_encoded``: under SQLite's oldest limit of 999 bound values.
KEYS_PER_QUERY = 500


def _key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "mlaudit" / "cache-key"


@lru_cache(maxsize=1)
def secret_key() -> bytes:
    """The key that authenticates cache entries: ``MLAUDIT_CACHE_KEY``, or the user's key file,
    created on first use (0600). Where neither can be had, a key for this process only: the cache
    then serves this run and no other, which is slower, never wrong."""
    given = os.environ.get("MLAUDIT_CACHE_KEY")
    if given:
        return hashlib.sha256(given.encode()).digest()
    path = _key_file()
    try:
        return path.read_bytes()[:64] or _new_key(path)
    except FileNotFoundError:
        return _new_key(path)
    except OSError:
        return secrets.token_bytes(32)


def _new_key(path: Path) -> bytes:
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
    except FileExistsError:  # another scan made it first
        return path.read_bytes()[:64] or key
    except OSError:
        pass
    return key


def _mac(kind: str, key: str, text: str) -> str:
    message = f"{kind}\0{key}\0".encode() + text.encode("utf-8", errors="surrogatepass")
    return hmac.new(secret_key(), message, hashlib.sha256).hexdigest()


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
    from auditor.registry import plugin_versions

    digest.update("\0".join(plugin_versions()).encode())
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
        self.forged = 0  # entries whose HMAC did not match
        self._pending: list[tuple[str, str, str, str]] = []
        self._pending_size = 0  # characters of text in _pending
        # This scan's generation, and the entries it read or keeps (``keep``): marked as used by it
        # when it ends (``end_scan``), which then deletes what no recent generation used.
        self.generation = 1
        self._used: list[tuple[str, str]] = []
        self._used_under: list[tuple[str, str]] = []  # (kind, key prefix): every entry whose key starts so
        self._db = self._open()

    @staticmethod
    def _read_generation(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT value FROM meta WHERE name='generation'").fetchone()
        try:
            return int(row[0]) if row is not None else 0
        except (TypeError, ValueError):
            return 0

    def _open(self) -> sqlite3.Connection | None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tag = self.directory / "CACHEDIR.TAG"  # in the cache folder itself: never beside it
            if not tag.exists():
                tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# mlaudit cache: safe to delete\n")
            for attempt in range(2):
                try:
                    db = sqlite3.connect(self.path, timeout=10)
                    db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # before the first table: pages freed by a sweep go back
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT, kind TEXT, value TEXT, mac TEXT, "
                               "PRIMARY KEY (kind, key))")
                    # the generation that last used each entry, apart: marking a row of entries would
                    # write its value again, and a module's facts are most of the cache's bytes
                    db.execute("CREATE TABLE IF NOT EXISTS used (kind TEXT, key TEXT, generation INTEGER, "
                               "PRIMARY KEY (kind, key)) WITHOUT ROWID")
                    db.execute("CREATE INDEX IF NOT EXISTS used_generation ON used (generation)")
                    db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
                    row = db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
                    if row is None:
                        db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
                        db.commit()
                    elif row[0] != str(SCHEMA):
                        raise sqlite3.DatabaseError("cache schema mismatch")
                    self.generation = self._read_generation(db) + 1
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
        text = self.get_encoded(kind, key)
        try:
            value = json.loads(text) if text is not None else None
        except (ValueError, TypeError):
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
            row = self._db.execute("SELECT value, mac FROM entries WHERE key=? AND kind=?", (key, kind)).fetchone()
        except sqlite3.Error:
            row = None
        if not row or not isinstance(row[0], str) or not isinstance(row[1], str):
            return None
        if not hmac.compare_digest(row[1], _mac(kind, key, row[0])):
            self.forged += 1
            return None  # edited outside mlaudit: not trusted, rebuilt
        self._used.append((kind, key))
        return row[0]

    def get_many_encoded(self, kind: str, keys: list[str]) -> Iterator[tuple[str, str]]:
        """(key, JSON text) of each of ``keys`` that has an entry, as ``get_encoded`` would give
        it, a few hundred keys per query: a scan reads one entry per module and fact kind, and a
        query each was most of the time it took. Made a query at a time, so the texts of a whole
        project are never held at once."""
        if self._db is None:
            return
        for start in range(0, len(keys), KEYS_PER_QUERY):
            chunk = keys[start:start + KEYS_PER_QUERY]
            try:
                rows = self._db.execute(  # only placeholders are formatted in: the keys are bound values
                    f"SELECT key, value, mac FROM entries WHERE kind=? AND key IN ({','.join('?' * len(chunk))})",
                    (kind, *chunk)).fetchall()
            except sqlite3.Error:
                continue
            for key, text, mac in rows:
                if not isinstance(text, str) or not isinstance(mac, str):
                    continue
                if not hmac.compare_digest(mac, _mac(kind, key, text)):
                    self.forged += 1
                    continue
                self._used.append((kind, key))
                yield key, text

    def put(self, kind: str, key: str, value: Any) -> None:
        self.put_encoded(kind, key, json.dumps(value, separators=(",", ":")))

    def put_encoded(self, kind: str, key: str, text: str) -> None:
        """``put`` of a value already encoded as JSON text (the caller needed the text anyway)."""
        if self._db is not None:
            self._pending.append((key, kind, text, _mac(kind, key, text)))
            self._pending_size += len(text)
            # written in batches, of entries or of text: a large scan's JSON is not all held
            if len(self._pending) >= FLUSH_EVERY or self._pending_size >= FLUSH_TEXT:
                self.flush()

    def put_in_parts(self, kind: str, key: str, head: dict[str, Any], lists: dict[str, Iterable[Any]]) -> None:
        """``head`` with each of ``lists`` stored in parts of ``ROWS_PER_PART`` rows under keys of
        their own (``key#name#n``), made and written a part at a time; ``get_in_parts`` reads it
        back. The head, written last, says how many parts each list has."""
        parts: dict[str, int] = {}
        for name, rows in lists.items():
            count, part = 0, []
            for row in rows:
                part.append(row)
                if len(part) == ROWS_PER_PART:
                    self.put(kind, f"{key}#{name}#{count}", part)
                    count, part = count + 1, []
            if part:
                self.put(kind, f"{key}#{name}#{count}", part)
                count += 1
            parts[name] = count
        self.put(kind, key, {**head, "parts": parts})

    def get_in_parts(self, kind: str, key: str, convert: Callable[[Any], Any]) -> dict[str, Any] | None:
        """The head ``put_in_parts`` stored, each list put back together with every row passed
        through ``convert`` a part at a time; None when the head or any part is missing or
        damaged, or ``convert`` refuses a row (KeyError, TypeError, ValueError, AttributeError)."""
        head = self.get(kind, key)
        if not isinstance(head, dict) or not isinstance(head.get("parts"), dict):
            return None
        value = {name: item for name, item in head.items() if name != "parts"}
        try:
            for name, count in head["parts"].items():
                rows: list[Any] = []
                for number in range(int(count)):
                    part = self.get(kind, f"{key}#{name}#{number}")
                    if not isinstance(part, list):
                        return None
                    rows += [convert(row) for row in part]
                value[name] = rows
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return value

    def flush(self) -> None:
        """Write the pending entries (a scan ends with this; a long-lived process keeps the cache open)."""
        try:
            if self._pending and self._db is not None:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)", self._pending)
                    self._db.executemany("INSERT OR REPLACE INTO used VALUES (?, ?, ?)",
                                         ((kind, key, self.generation) for key, kind, _, _ in self._pending))
        except sqlite3.Error:
            pass  # a cache that cannot be written is only a slower next scan
        self._pending, self._pending_size = [], 0

    def keep(self, kind: str, keys: Iterable[str]) -> None:
        """Entries this scan did not read but that hold its current state (the facts of a kind no
        rule asked for this time, a graph's edges a reused project phase did not replay): kept as
        if read."""
        self._used.extend((kind, key) for key in keys)

    def keep_under(self, kind: str, prefix: str) -> None:
        """``keep`` of every entry of ``kind`` whose key starts with ``prefix`` (a module's facts,
        one entry per kind: marked in one statement, not one each)."""
        self._used_under.append((kind, prefix))

    def end_scan(self, computed: bool) -> None:
        """Write what is pending and mark what this scan used. A scan that ``computed`` anything
        (it did not only read a whole result back) then makes its generation the cache's and
        deletes every entry that no scan of the last ``KEEP_GENERATIONS`` generations used. An
        entry is marked again only once half of that span has passed since it last was, so most
        scans write few marks."""
        self.flush()
        used, under, self._used, self._used_under = self._used, self._used_under, [], []
        if self._db is None:
            return
        generation, stale = self.generation, self.generation - KEEP_GENERATIONS // 2
        prefixes = set(under)
        try:
            with self._db:
                # a prefix's range: the keys from it up to the next string of its length
                self._db.executemany("UPDATE used SET generation=? WHERE kind=? AND key>=? AND key<? AND generation<?",
                                     ((generation, kind, prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1), stale)
                                      for kind, prefix in prefixes if prefix))
                self._db.executemany("UPDATE used SET generation=? WHERE kind=? AND key=? AND generation<?",
                                     ((generation, kind, key, stale) for kind, key in set(used)
                                      if not (prefixes and (kind, key.split(":", 1)[0] + ":") in prefixes)))
                if computed:
                    self._db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(generation),))
                    oldest, oldest_whole = generation - KEEP_GENERATIONS, generation - KEEP_WHOLE_RESULTS
                    self._db.execute("DELETE FROM entries WHERE (kind, key) IN (SELECT kind, key FROM used "
                                     "WHERE generation<? OR (kind='scan' AND generation<?))", (oldest, oldest_whole))
                    self._db.execute("DELETE FROM used WHERE generation<? OR (kind='scan' AND generation<?)",
                                     (oldest, oldest_whole))
            if computed:
                # The next scans reuse the pages a sweep frees; the file is made smaller only when a
                # quarter of it is free (an older mlaudit's entries gone), since moving pages costs
                # more than the sweep. As a script: a plain execute frees one page per step taken.
                free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
                if free * 4 > self._db.execute("PRAGMA page_count").fetchone()[0]:
                    self._db.executescript("PRAGMA incremental_vacuum;")
                # the next scan of a long-lived process (another may have counted meanwhile)
                self.generation = max(generation, self._read_generation(self._db)) + 1
        except sqlite3.Error:
            pass  # only a cache: the marks and the sweep wait for the next scan

    def close(self) -> None:
        if self._db is None:
            return
        self.flush()
        try:
            self._db.close()
        except sqlite3.Error:
            pass
        self._db = None
