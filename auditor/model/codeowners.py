"""CODEOWNERS: GitHub and GitLab locations and syntax.

GitHub: the last matching pattern wins; a pattern with no owners makes the path explicitly
unowned. GitLab adds sections (``[Name]``, ``^[Optional]``, ``[Name][2]``, with default owners
after the header): inside a section the last match wins, and the owners of every section that
matches are combined. Patterns follow gitignore rules, except that ``!`` never negates, and a
backslash escapes a space or a leading ``#``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
_SECTION = re.compile(r"^\^?\[(?P<name>[^\]]+)\](\[\d+\])?(?P<rest>\s+.*)?$")


@dataclass
class OwnerRule:
    pattern: str
    owners: tuple[str, ...]
    line: int
    spec: pathspec.PathSpec
    section: str = ""  # lower-cased GitLab section name; "" before any section (and on GitHub)

    def matches(self, path: str) -> bool:
        """gitignore's matching, except as GitHub and GitLab read CODEOWNERS: a pattern whose last
        part is a wildcard (``/*``, ``docs/*``, ``*.py``) names files, so it covers the files it
        matches and not what lies in folders it matches (``/*`` is the root's files only)."""
        if not self.spec.match_file(path):
            return False
        direct = _files_only(self.pattern)
        return direct is None or direct.match(path) is not None


def _files_only(pattern: str) -> re.Pattern[str] | None:
    """For a pattern whose last part is a wildcard, the regex of the file paths it names itself."""
    body = pattern.lstrip("!")
    last = body.rstrip("/").rsplit("/", 1)[-1]
    if body.endswith("/") or not any(c in last for c in "*?[") or last == "**":
        return None
    anchored = "/" in body.rstrip("/")
    parts = []
    for token in re.split(r"(\*\*/|\*\*|\*|\?)", body.lstrip("/")):
        parts.append({"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token)))
    return re.compile(("^" if anchored else "^(?:.*/)?") + "".join(parts) + "$")


@dataclass
class CodeOwners:
    path: str | None = None
    rules: list[OwnerRule] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def matching_rules(self, path: str) -> list[OwnerRule]:
        """The rule that decides ``path`` in each section (last match wins), in file order."""
        decided: dict[str, OwnerRule] = {}
        for rule in reversed(self.rules):
            if rule.section not in decided and rule.matches(path):
                decided[rule.section] = rule
        return sorted(decided.values(), key=lambda r: r.line)

    def owners_of(self, path: str) -> tuple[str, ...]:
        owners: list[str] = []
        for rule in self.matching_rules(path):
            owners.extend(o for o in rule.owners if o not in owners)
        return tuple(owners)

    def matching_rule(self, path: str) -> OwnerRule | None:
        """The last matching rule of the whole file (GitHub's single winner)."""
        for rule in reversed(self.rules):
            if rule.matches(path):
                return rule
        return None


def _split(line: str) -> list[str]:
    """Whitespace-separated tokens, keeping backslash-escaped spaces inside a pattern."""
    tokens, current, escaped = [], "", False
    for char in line:
        if escaped:
            current += ("\\" + char) if char == "#" else char  # gitignore needs "\#" kept
            escaped = False
        elif char == "\\":
            escaped = True
        elif char.isspace():
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if current:
        tokens.append(current)
    return tokens


def _strip_comment(raw: str) -> str:
    stripped = raw.strip()
    if stripped.startswith("#"):
        return ""
    # An inline comment starts at an unescaped " #".
    match = re.search(r"(?<!\\)\s#", stripped)
    return stripped[: match.start()].strip() if match else stripped


# Matching a glob with k wildcards in one path segment can take time that grows as the segment's
# length to the power k (the matcher backtracks): real CODEOWNERS patterns have one or two, and a
# pattern with more is refused and reported rather than allowed to stall the scan.
MAX_WILDCARDS_PER_SEGMENT = 3


def _wildcard_problem(pattern: str) -> str | None:
    for segment in pattern.split("/"):
        if segment != "**" and segment.count("*") + segment.count("?") > MAX_WILDCARDS_PER_SEGMENT:
            return (f"more than {MAX_WILDCARDS_PER_SEGMENT} wildcards in one path segment ({segment[:40]!r}): "
                    "refused, since matching it can take exponential time")
    return None


def _to_gitignore(pattern: str) -> str:
    # CODEOWNERS follows gitignore rules, except that a pattern is never negated.
    return pattern.lstrip("!") if pattern.startswith("!") else pattern


def parse_codeowners(text: str, path: str) -> CodeOwners:
    import pathspec  # here: most repositories have no CODEOWNERS file

    owners = CodeOwners(path=path)
    section, section_defaults = "", ()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if not line:
            continue
        header = _SECTION.match(line)
        if header:
            section = header.group("name").strip().lower()
            section_defaults = tuple(_split(header.group("rest") or ""))
            continue
        tokens = _split(line)
        if not tokens:  # a line of escapes only ("\\"): no pattern (found by tests/test_fuzz.py)
            owners.errors.append((number, f"no pattern in {raw.strip()[:80]!r}"))
            continue
        pattern, names = tokens[0], tuple(tokens[1:]) or section_defaults
        problem = _wildcard_problem(pattern)
        if problem:
            owners.errors.append((number, f"invalid pattern {pattern[:80]!r}: {problem}"))
            continue
        try:
            # GitIgnoreSpec: gitignore semantics on pathspec>=0.10 without the deprecated "gitwildmatch".
            spec = pathspec.GitIgnoreSpec.from_lines([_to_gitignore(pattern)])
        except Exception as exc:  # pathspec raises several types for malformed patterns
            owners.errors.append((number, f"invalid pattern {pattern!r}: {exc}"))
            continue
        owners.rules.append(OwnerRule(pattern, names, number, spec, section))
    return owners
