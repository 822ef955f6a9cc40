"""What a readiness check returns: a status, the places that show it, and how to fix what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from auditor.finding import Finding

PASS, PARTIAL, FAIL = "pass", "partial", "fail"
POINTS = {PASS: 1.0, PARTIAL: 0.5, FAIL: 0.0}
MAX_EVIDENCE = 6


@dataclass(frozen=True, order=True)
class Evidence:
    path: str
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line}


def evidence(items: Iterable[Evidence | tuple | None], limit: int = MAX_EVIDENCE) -> list[Evidence]:
    """Distinct and capped, in the order the check gave them (strongest first); the index walks files
    in sorted order, so the same repository always gives the same list."""
    seen: dict[Evidence, None] = {}
    for item in items:
        if item is None:
            continue
        ev = item if isinstance(item, Evidence) else Evidence(*item)
        seen.setdefault(ev, None)
    return list(seen)[:limit]


@dataclass
class Check:
    id: str
    title: str
    status: str
    evidence: list[Evidence] = field(default_factory=list)
    fix: str = ""  # for pass: what was found; otherwise what is missing and how to fix it
    points: float | None = None  # None: from the status; findings checks score continuously

    def score(self) -> float:
        return POINTS[self.status] if self.points is None else self.points

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status,
                "evidence": [e.to_json() for e in self.evidence], "fix": self.fix}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Check":
        """A check gathered by an earlier scan (findings checks, which score continuously, are
        never stored: they are judged afresh)."""
        return cls(data["id"], data["title"], data["status"],
                   [Evidence(e["path"], e["line"]) for e in data["evidence"]], data["fix"])


@dataclass
class Findings:
    """What the findings checks weigh: the scan's findings, its lines of Python, and the
    categories of the rules that ran (None: unknown)."""

    findings: list["Finding"]
    python_lines: int = 0
    rule_categories: set[str] | None = None

    def findings_in(self, categories: Iterable[str]) -> list["Finding"]:
        chosen = set(categories)
        return [f for f in self.findings if f.category in chosen]


@dataclass(frozen=True)
class FindingsCheck:
    """A check that weighs the scan's findings. ``gather(ix)`` reads the repository and returns
    JSON-able data; the judge named ``judge`` (auditor/readiness/judge.py) gives the check from
    that data, ``params`` and the findings. The gathered part is cached with the other checks, so
    an edit that only changes findings is re-judged without reading the repository or importing
    the checks."""

    gather: Callable[[Any], Any]
    judge: str
    params: dict[str, Any] = field(default_factory=dict)


def no_gathering(ix: Any) -> None:
    return None


def check(id: str, title: str, status: str, found: Iterable = (), fix: str = "") -> Check:
    return Check(id, title, status, evidence(found), fix)
