"""CODEOWNERS: GitHub and GitLab locations and syntax; the last matching pattern wins."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pathspec

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
_SECTION = re.compile(r"^\^?\[[^\]]+\](\[\d+\])?(\s+.*)?$")


@dataclass
class OwnerRule:
    pattern: str
    owners: tuple[str, ...]
    line: int
    spec: pathspec.PathSpec


@dataclass
class CodeOwners:
    path: str | None = None
    rules: list[OwnerRule] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def owners_of(self, path: str) -> tuple[str, ...]:
        for rule in reversed(self.rules):
            if rule.spec.match_file(path):
                return rule.owners
        return ()

    def matching_rule(self, path: str) -> OwnerRule | None:
        for rule in reversed(self.rules):
            if rule.spec.match_file(path):
                return rule
        return None


def _to_gitwildmatch(pattern: str) -> str:
    # CODEOWNERS follows gitignore rules, except that a pattern is never negated.
    return pattern.lstrip("!") if pattern.startswith("!") else pattern


def parse_codeowners(text: str, path: str) -> CodeOwners:
    owners = CodeOwners(path=path)
    section_defaults: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if _SECTION.match(line):  # GitLab section header, possibly with default owners
            section_defaults = tuple(t for t in line.split("]", 1)[-1].split() if t.startswith("@") or "@" in t)
            continue
        tokens = line.split()
        pattern, names = tokens[0], tuple(tokens[1:]) or section_defaults
        try:
            spec = pathspec.GitIgnoreSpec.from_lines([_to_gitwildmatch(pattern)])
        except Exception as exc:  # pathspec raises several types for malformed patterns
            owners.errors.append((number, f"invalid pattern {pattern!r}: {exc}"))
            continue
        owners.rules.append(OwnerRule(pattern, names, number, spec))
    return owners
