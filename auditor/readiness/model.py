"""What a readiness check returns: a status, the places that show it, and how to fix what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from auditor.finding import Finding

PASS, PARTIAL, FAIL = "pass", "partial", "fail"
POINTS = {PASS: 1.0, PARTIAL: 0.5, FAIL: 0.0}
MAX_EVIDENCE = 6


@dataclass(frozen=True, order=True)
class Evidence:
    """A place that shows something a check looks for. ``line`` counts within ``cell`` in a notebook
    (as findings do), so a reader lands on it in one click; ``why`` says what the place shows and
    which part of the check it satisfies ("calls `mlflow.log_params`: records parameters")."""

    path: str
    line: int | None = None
    cell: int | None = None
    why: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "cell": self.cell, "why": self.why}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Evidence":
        return cls(data["path"], data.get("line"), data.get("cell"), data.get("why") or "")

    def place(self) -> tuple[str, int | None, int | None]:
        return self.path, self.cell, self.line

    def shown(self) -> str:
        """``path:line``, ``path cell C:line`` in a notebook, or the path alone."""
        where = self.path + (f" cell {self.cell}" if self.cell else "")
        return f"{where}:{self.line}" if self.line else where


def because(role: str, items: Iterable[Evidence]) -> list[Evidence]:
    """``items`` as evidence of ``role`` (the part of the check they satisfy): each keeps what it
    shows and gains the role, "calls `mlflow.log_params`" -> "calls `mlflow.log_params`: records
    parameters"."""
    return [replace(item, why=f"{item.why}: {role}" if item.why else role) for item in items]


def evidence(items: Iterable[Evidence | tuple | None], limit: int = MAX_EVIDENCE) -> list[Evidence]:
    """Distinct places, capped, in the order the check gave them (strongest first), each with the
    first reason given for it; the index walks files in sorted order, so the same repository always
    gives the same list."""
    seen: dict[tuple, Evidence] = {}
    for item in items:
        if item is None:
            continue
        ev = item if isinstance(item, Evidence) else Evidence(*item)
        seen.setdefault(ev.place(), ev)
    return list(seen.values())[:limit]


@dataclass
class Check:
    id: str
    title: str
    status: str
    evidence: list[Evidence] = field(default_factory=list)
    fix: str = ""  # for pass: what was found; otherwise what is missing and how to fix it
    points: float | None = None  # None: from the status; findings checks score continuously
    rejected: list[Evidence] = field(default_factory=list)  # candidates that did not count, each with why

    def score(self) -> float:
        return POINTS[self.status] if self.points is None else self.points

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status,
                "evidence": [e.to_json() for e in self.evidence], "fix": self.fix,
                "rejected": [e.to_json() for e in self.rejected]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Check":
        """A check gathered by an earlier scan (findings checks, which score continuously, are
        never stored: they are judged afresh)."""
        return cls(data["id"], data["title"], data["status"], [Evidence.from_json(e) for e in data["evidence"]],
                   data["fix"], rejected=[Evidence.from_json(e) for e in data.get("rejected", ())])


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


def no_gathering(ix: Any) -> None:
    return None


@dataclass(frozen=True)
class Rung:
    """One step of a check's ladder: the status it gives, what earns it (``means``, for `explain`
    and the docs), and the check's text at that step (``text``: what was found, or what is missing
    and how to fix it; ``{names}`` in it are filled from the verdict's values)."""

    key: str
    status: str
    means: str
    text: str


@dataclass(frozen=True)
class Verdict:
    """What a gatherer or a judge found: the rung it reached, the places that show it, the values
    its rung's text names, and the points of a check that scores continuously (findings checks)."""

    rung: str
    found: Iterable = ()
    values: dict[str, Any] = field(default_factory=dict)
    points: float | None = None
    rejected: Iterable = ()  # candidates looked at and not counted, each saying why (shown with -v)


def verdict(rung: str, found: Iterable = (), points: float | None = None, *, rejected: Iterable = (),
            **values: Any) -> Verdict:
    return Verdict(rung, tuple(found), values, points, tuple(rejected))


def apply_ladder(id: str, title: str, ladder: tuple[Rung, ...], reached: Verdict) -> Check:
    """The one place a check's status and text are decided: the rung the verdict names."""
    for rung in ladder:
        if rung.key == reached.rung:
            text = rung.text.format(**reached.values) if reached.values else rung.text
            return Check(id, title, rung.status, evidence(reached.found), text, reached.points,
                         evidence(reached.rejected))
    raise KeyError(f"{id} has no rung {reached.rung!r}")


@dataclass(frozen=True)
class ReadinessCheck:
    """A readiness check, declared like a rule: what it is, what it reads, and its ladder as data.

    ``gather(index)`` reads the repository and returns a ``Verdict`` naming one rung of ``ladder``.
    A findings check (``judge`` set) weighs the scan's findings instead: ``gather`` returns JSON-able
    data, cached with the other checks, and the judge of that name (auditor/readiness/judge.py)
    turns it and the findings into a verdict on the same ladder, so an edit that only changes
    findings is re-judged without reading the repository or importing the checks."""

    id: str
    title: str
    dimension: str
    looks_at: str
    ladder: tuple[Rung, ...]
    gather: Callable[[Any], Any]
    judge: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    weight: float = 1.0

    def run(self, ix: Any) -> Check:
        return apply_ladder(self.id, self.title, self.ladder, self.gather(ix))

    def problems(self) -> list[str]:
        """Declaration errors (tests/test_readiness_declared.py runs this on every check)."""
        errors = []
        statuses = {rung.status for rung in self.ladder}
        if not {PASS, FAIL} <= statuses:
            errors.append("the ladder needs a pass and a fail rung")
        keys = [rung.key for rung in self.ladder]
        if len(set(keys)) != len(keys):
            errors.append("rung keys must be unique")
        if any(not rung.means.strip() or not rung.text.strip() for rung in self.ladder):
            errors.append("every rung says what it means and what the check says there")
        if not (self.title.strip() and self.looks_at.strip()) or self.weight <= 0:
            errors.append("title, looks_at and a positive weight are required")
        return errors
