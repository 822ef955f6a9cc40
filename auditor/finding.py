"""The vocabulary shared by every rule and every output: severities, confidences, categories, findings."""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, field, replace
from typing import Any

SEVERITIES = ("info", "low", "medium", "high", "critical")
CONFIDENCES = ("low", "medium", "high")

# What each severity promises (docs/severity.md): the least share of its findings on real code that
# a reviewer labels true. A `high` fails the default gate, so it must be right 19 times in 20; `info`
# is context and promises nothing.
PRECISION_PROMISE = {"critical": 0.95, "high": 0.95, "medium": 0.8, "low": 0.75}

# The fixed vocabulary of categories. Every output uses these strings; a new one is added only
# where an issue asks for it.
CATEGORIES = (
    "dead-code",
    "unused-feature",
    "unpinned-seed",
    "unpinned-dependency",
    "undocumented-hack",
    "stale-model",
    "ownerless-pipeline",
    "unsafe-load",
    "complexity",
    "parse-error",
    "data-leakage",
    "stale-doc",
)


# How far a fix can be trusted (`mlaudit fix`): a safe fix keeps the program's behaviour; an unsafe
# one may change it and is applied only with --unsafe-fixes.
FIX_APPLICABILITY = ("safe", "unsafe")


@dataclass(frozen=True)
class Fix:
    """What ``mlaudit fix`` does for a rule's findings: how far it can be trusted, and what it does."""

    applicability: str
    description: str

    def to_json(self) -> dict[str, str]:
        return {"applicability": self.applicability, "description": self.description}


def _shared_lines(excerpt: Any) -> Any:
    """An excerpt read back from JSON with its lines interned: the same source line (a blank, an
    ``else:``, a repeated TODO) is one string however many findings show it, not one per finding."""
    if isinstance(excerpt, dict) and isinstance(excerpt.get("lines"), list):
        excerpt["lines"] = [sys.intern(line) if isinstance(line, str) else line for line in excerpt["lines"]]
    return excerpt


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def confidence_rank(confidence: str) -> int:
    return CONFIDENCES.index(confidence)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in the scanned repository.

    ``anchor`` is the finding's logical identity inside its file (a symbol, a config key, or the
    whitespace-normalised source line); the fingerprint hashes it instead of the line number so
    that unrelated edits above a finding do not change its identity.
    """

    rule: str
    name: str
    category: str
    severity: str
    confidence: str
    path: str
    line: int | None
    message: str
    end_line: int | None = None
    cell: int | None = None
    symbol: str | None = None
    anchor: str = ""
    owners: tuple[str, ...] = ()
    unit: str = "."  # the project inside the repository that holds the file (auditor/model/units.py)
    evidence: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    # {"start": first line number, "lines": [...]}: the code around the finding, attached by the
    # scan so that reports never read the scanned repository (auditor/model/excerpt.py).
    excerpt: dict[str, Any] | None = None
    # {"applicability": "safe" | "unsafe", "description": ...} when `mlaudit fix` can repair it
    # (decided by the rule from the finding alone: auditor/rule.py Rule.fix_for); None otherwise.
    fix: dict[str, str] | None = None

    def with_changes(self, **changes: Any) -> "Finding":
        return replace(self, **changes)

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.line or 0, self.rule, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "name": self.name,
            "category": self.category,
            "severity": self.severity,
            "confidence": self.confidence,
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "cell": self.cell,
            "message": self.message,
            "symbol": self.symbol,
            "owners": list(self.owners),
            "unit": self.unit,
            "fingerprint": self.fingerprint,
            "evidence": self.evidence,
            "excerpt": self.excerpt,
            "fix": self.fix,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Finding":
        # the words every finding of a rule or file repeats are one string each, not one per
        # finding as JSON decodes them: a ninth of the memory of 440,000 findings read back
        return cls(
            rule=sys.intern(data["rule"]),
            name=sys.intern(data["name"]),
            category=sys.intern(data["category"]),
            severity=sys.intern(data["severity"]),
            confidence=sys.intern(data["confidence"]),
            path=sys.intern(data["path"]),
            line=data.get("line"),
            message=data["message"],
            end_line=data.get("end_line"),
            cell=data.get("cell"),
            symbol=data.get("symbol"),
            anchor=data.get("anchor", ""),
            owners=tuple(data.get("owners", ())),
            unit=sys.intern(data.get("unit", ".")),
            evidence=dict(data.get("evidence", {})),
            fingerprint=data.get("fingerprint", ""),
            excerpt=_shared_lines(data.get("excerpt")),
            fix=data.get("fix"),
        )


def assign_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Give each finding a fingerprint from (rule, path, anchor, occurrence), never the line.

    ``occurrence`` numbers findings that share rule, path and anchor in position order, so two
    identical TODO lines in one file stay distinct yet stable. ``findings`` is sorted and updated
    in place, and returned: each finding goes as its fingerprinted copy is made (a new list held
    every finding twice, a ninth of the peak of a scan with 440,000 findings).
    """
    seen: dict[tuple[str, str, str], int] = {}
    findings.sort(key=Finding.sort_key)
    for index, finding in enumerate(findings):
        key = identity_key(finding)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        findings[index] = finding.with_changes(fingerprint=make_fingerprint(key, occurrence))
    return findings


def identity_key(finding: Finding) -> tuple[str, str, str]:
    """What a fingerprint hashes besides the occurrence: (rule, path, anchor)."""
    return (finding.rule, finding.path, finding.anchor or finding.symbol or finding.message)


def make_fingerprint(key: tuple[str, str, str], occurrence: int = 0) -> str:
    return hashlib.sha256("\0".join((*key, str(occurrence))).encode("utf-8")).hexdigest()[:16]


# A trailing ``# mlaudit: ignore[...]`` is not part of a line's identity: adding, fixing or removing
# a suppression must not turn the finding on that line into a new one for a baseline.
_TRAILING_DIRECTIVE = re.compile(r"(?<=\S)\s*#\s*mlaudit\s*:.*$", re.I)


def normalise_anchor(text: str) -> str:
    return " ".join(_TRAILING_DIRECTIVE.sub("", text).split())
