"""Git metadata from one batched history pass: no process per file.

Without git (or outside a repository) the history is empty and ``available`` is False; rules
that need history then say so instead of guessing from file times.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from auditor.model.gitsafe import git_command, git_env, git_output

_RECORD = "\x1e"
_FIELD = "\x1f"
LOG_TIMEOUT_SECONDS = 120


@dataclass
class PathHistory:
    last_commit_time: int  # unix seconds of the newest commit touching the path
    last_author: str


@dataclass
class GitHistory:
    available: bool = False
    reason: str = ""  # why history is unavailable or partial
    head: str | None = None
    branch: str | None = None
    remote_url: str | None = None
    shallow: bool = False
    partial: bool = False
    paths: dict[str, PathHistory] = field(default_factory=dict)
    # author email (lower case) -> name and newest commit: CODEOWNERS names people by handle or
    # email, git by name, so ownership rules need both to match one to the other.
    author_emails: dict[str, tuple[str, int]] = field(default_factory=dict)
    _log: Any = field(default=None, repr=False, compare=False)  # a _PendingLog until it is read

    def settle(self) -> None:
        """Wait for the log being read (then ``partial`` and ``reason`` say whether it was cut
        short, and it is in the cache); parsing it still waits for its first use."""
        if self._log is not None:
            self._log.finish()

    def last_commit_time(self, path: str) -> int | None:
        info = self.paths.get(path)
        return info.last_commit_time if info else None

    def as_metadata(self) -> dict:
        return {"available": self.available, "head": self.head, "branch": self.branch,
                "remote_url": self.remote_url, "shallow": self.shallow, "partial": self.partial,
                "reason": self.reason or None}


def _git(root: Path, *args: str) -> str | None:
    return git_output(root, *args, timeout=30)


def _unquote(name: str) -> str:
    if name.startswith('"') and name.endswith('"'):
        try:
            return name[1:-1].encode("latin-1").decode("unicode_escape").encode("latin-1").decode("utf-8")
        except (UnicodeError, ValueError):
            return name[1:-1]
    return name


def parse_log(output: str, prefix: str = "", emails: dict[str, tuple[str, int]] | None = None,
              ) -> dict[str, PathHistory]:
    """Parse ``git log --name-only`` output in our record format (newest commit first).

    ``emails``, when given, is filled with author email -> (name, newest commit time)."""
    paths: dict[str, PathHistory] = {}
    for record in output.split(_RECORD):
        if not record.strip():
            continue
        header, _, names = record.partition("\n")
        parts = header.split(_FIELD)
        if len(parts) < 3:
            continue
        try:
            when = int(parts[1])
        except ValueError:
            continue
        author = parts[2]
        if emails is not None and len(parts) > 3 and parts[3].strip():
            emails.setdefault(parts[3].strip().lower(), (author, when))
        for raw in names.splitlines():
            name = _unquote(raw.strip())
            if not name:
                continue
            if prefix:
                if not name.startswith(prefix):
                    continue
                name = name[len(prefix):]
            if name not in paths:  # the log runs newest first: the first commit seen is the last change
                paths[name] = PathHistory(when, author)
    return paths


def _repository_state(root: Path, rev: str) -> GitHistory | tuple[GitHistory, str]:
    """HEAD, branch, remote, shallowness and where ``root`` sits in the work tree: three git runs
    in the usual case (each costs milliseconds, and a warm scan is made of little else). Returns
    (history without its log, the path of ``root`` in the work tree), or an empty history that
    says why there is none."""
    state = _git(root, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository", "--show-prefix",
                 "--abbrev-ref", "HEAD")
    lines = state.split("\n") if state is not None else []
    head = _git(root, "log", "-1", "--format=%H %ct", rev, "--") if len(lines) == 4 and lines[0] == "true" else None
    if head is None or len(head.split()) != 2:
        if _git(root, "rev-parse", "--is-inside-work-tree") != "true":
            return GitHistory(reason="not a git repository: ages come from file times where a rule needs them")
        return GitHistory(reason="git repository without commits")
    _, shallow, prefix, branch = lines
    sha, when = head.split()
    return GitHistory(available=True, head=sha, branch=branch,
                      remote_url=_git(root, "config", "--get", "remote.origin.url") or None,
                      shallow=shallow == "true"), prefix


def read_history(root: Path, cache=None, rev: str = "HEAD") -> GitHistory:
    """History of the work tree at ``root`` up to ``rev``; ``cache`` (a ResultCache) keeps the
    log per commit. The log is read in the background from here on, and parsed when a rule first
    asks for it: a scan reads it while its workers analyse files, and a scan answered from the
    cache does not parse it at all."""
    found = _repository_state(root, rev)
    if isinstance(found, GitHistory):
        return found
    history, prefix = found
    log_format = f"--format={_RECORD}%H{_FIELD}%ct{_FIELD}%aN{_FIELD}%aE"
    cache_key = f"{history.head}:{prefix}:{history.shallow}:{log_format}"
    cached = cache.get("git-log", cache_key) if cache is not None else None
    log = _PendingLog(history, prefix, cached if isinstance(cached, str) else None,
                      git_command(root, "log", "--no-renames", "--name-only", log_format, history.head, "--", ".",
                                  quote_paths=False),
                      lambda output: cache.put("git-log", cache_key, output) if cache is not None else None)
    history._log = log
    history.paths, history.author_emails = _Deferred(log, "paths"), _Deferred(log, "author_emails")  # type: ignore[assignment]
    if history.shallow:
        history.partial = True
        history.reason = "shallow clone: history is truncated, so ages may be understated"
    return history


class _PendingLog:
    """A history's ``git log``: cached text, or a run in a background thread; parsed once."""

    def __init__(self, history: GitHistory, prefix: str, text: str | None, command: list[str], store) -> None:
        self.history, self.prefix, self.text, self.store = history, prefix, text, store
        self.paths: dict[str, PathHistory] = {}
        self.author_emails: dict[str, tuple[str, int]] = {}
        self._outcome: tuple[str, str | None, bool] | None = None  # (output, failure, complete)
        self._thread: threading.Thread | None = None
        self._done = False
        self._lock = threading.Lock()
        if text is None:
            self._thread = threading.Thread(target=self._run, args=(command,), daemon=True)
            self._thread.start()

    def _run(self, command: list[str]) -> None:
        try:
            done = subprocess.run(command, capture_output=True, timeout=LOG_TIMEOUT_SECONDS, env=git_env())
            error = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            failure = None if done.returncode == 0 else f"git log failed: {error[-1] if error else done.returncode}"
            self._outcome = (done.stdout.decode("utf-8", errors="replace"), failure, done.returncode == 0)
        except subprocess.TimeoutExpired as exc:
            output = (exc.stdout or b"").decode("utf-8", errors="replace")
            self._outcome = (output[: output.rfind(_RECORD)], "timeout", False)  # drop the commit cut off
        except OSError as exc:
            self._outcome = ("", f"git could not run: {exc}", False)

    def finish(self) -> None:
        """The log's text, once its run ends; a complete run is stored in the cache (from the
        caller's thread, where the cache's SQLite connection lives)."""
        with self._lock:
            if self.text is not None:
                return
            self._thread.join()
            output, failure, complete = self._outcome or ("", "git log did not finish", False)
            if complete:
                self.store(output)
            elif failure == "timeout":
                self.history.partial = True
                self.history.reason = f"history read for {LOG_TIMEOUT_SECONDS} s only; older commits ignored"
            elif failure and _RECORD in output:
                # A damaged repository (a corrupt or missing object) stops the log part-way: what
                # was read is kept, and the history says it is partial and why.
                output = output[: output.rfind(_RECORD)]  # the commit it stopped in may be incomplete
                self.history.partial = True
                self.history.reason = f"history read only in part ({failure}); older commits ignored"
            elif failure:
                self.history.available, self.history.reason = False, failure
            self.text = output

    def resolve(self) -> None:
        self.finish()
        with self._lock:
            if not self._done:
                self._done = True
                # --show-prefix is relative to the top level while log paths with "-- ." are too.
                self.paths = parse_log(self.text or "", self.prefix, self.author_emails)


class _Deferred(Mapping):
    """One of a history's tables, read from its log on first use."""

    def __init__(self, log: _PendingLog, name: str) -> None:
        self._log, self._name = log, name

    def _table(self) -> dict:
        self._log.resolve()
        return getattr(self._log, self._name)

    def __getitem__(self, key: Any) -> Any:
        return self._table()[key]

    def __iter__(self) -> Iterator:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())
