"""Git metadata from one batched history pass: no process per file.

Without git (or outside a repository) the history is empty and ``available`` is False; rules
that need history then say so instead of guessing from file times.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_RECORD = "\x1e"
_FIELD = "\x1f"
LOG_TIMEOUT_SECONDS = 120


@dataclass
class PathHistory:
    last_commit_time: int  # unix seconds of the newest commit touching the path
    last_author: str
    first_commit_time: int
    authors: dict[str, int] = field(default_factory=dict)  # author -> number of commits
    commits: int = 0


@dataclass
class GitHistory:
    available: bool = False
    reason: str = ""  # why history is unavailable or partial
    head: str | None = None
    branch: str | None = None
    remote_url: str | None = None
    shallow: bool = False
    partial: bool = False
    head_time: int | None = None
    paths: dict[str, PathHistory] = field(default_factory=dict)
    author_last_commit: dict[str, int] = field(default_factory=dict)
    # author email (lower case) -> name and newest commit: CODEOWNERS names people by handle or
    # email, git by name, so ownership rules need both to match one to the other.
    author_emails: dict[str, tuple[str, int]] = field(default_factory=dict)

    def last_commit_time(self, path: str) -> int | None:
        info = self.paths.get(path)
        return info.last_commit_time if info else None

    def as_metadata(self) -> dict:
        return {"available": self.available, "head": self.head, "branch": self.branch,
                "remote_url": self.remote_url, "shallow": self.shallow, "partial": self.partial,
                "reason": self.reason or None}


def _git(root: Path, *args: str, timeout: float = 30) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", errors="replace").strip()


def _unquote(name: str) -> str:
    if name.startswith('"') and name.endswith('"'):
        try:
            return name[1:-1].encode("latin-1").decode("unicode_escape").encode("latin-1").decode("utf-8")
        except (UnicodeError, ValueError):
            return name[1:-1]
    return name


def parse_log(output: str, prefix: str = "", emails: dict[str, tuple[str, int]] | None = None,
              ) -> tuple[dict[str, PathHistory], dict[str, int]]:
    """Parse ``git log --name-only`` output in our record format (newest commit first).

    ``emails``, when given, is filled with author email -> (name, newest commit time)."""
    paths: dict[str, PathHistory] = {}
    author_last: dict[str, int] = {}
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
        author_last.setdefault(author, when)
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
            info = paths.get(name)
            if info is None:
                paths[name] = PathHistory(when, author, when, {author: 1}, 1)
            else:
                info.first_commit_time = when
                info.authors[author] = info.authors.get(author, 0) + 1
                info.commits += 1
    return paths, author_last


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
                      shallow=shallow == "true", head_time=int(when) if when.isdigit() else None), prefix


def read_history(root: Path, cache=None, rev: str = "HEAD") -> GitHistory:
    """History of the work tree at ``root`` up to ``rev``; ``cache`` (a ResultCache) keeps the
    log per commit."""
    found = _repository_state(root, rev)
    if isinstance(found, GitHistory):
        return found
    history, prefix = found
    log_format = f"--format={_RECORD}%H{_FIELD}%ct{_FIELD}%aN{_FIELD}%aE"
    cache_key = f"{history.head}:{prefix}:{history.shallow}:{log_format}"
    cached = cache.get("git-log", cache_key) if cache is not None else None
    try:
        if isinstance(cached, str):
            output = cached
        else:
            done = subprocess.run(
                ["git", "-c", "core.quotepath=off", "-C", str(root), "log", "--no-renames",
                 "--name-only", log_format, history.head, "--", "."],
                capture_output=True, timeout=LOG_TIMEOUT_SECONDS,
            )
            output = done.stdout.decode("utf-8", errors="replace")
            if cache is not None and done.returncode == 0:
                cache.put("git-log", cache_key, output)
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode("utf-8", errors="replace")
        output = output[: output.rfind(_RECORD)]  # drop the commit that was cut off
        history.partial = True
        history.reason = f"history read for {LOG_TIMEOUT_SECONDS} s only; older commits ignored"
    except OSError as exc:
        return GitHistory(reason=f"git could not run: {exc}")
    # --show-prefix is relative to the top level while log paths with "-- ." are too.
    history.paths, history.author_last_commit = parse_log(output, prefix, history.author_emails)
    if history.shallow:
        history.partial = True
        history.reason = "shallow clone: history is truncated, so ages may be understated"
    return history
