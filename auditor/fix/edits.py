"""A fix as line edits of one file, and the merging of several fixes of the same file.

Lines are those of the text the scan analysed: a Python file's lines, or for a notebook the code
cells joined (``auditor.model.sources.parse_notebook``), so a finding's line maps to them directly.
Each fixer returns the whole new text and the span it may change; the edit is that span's new
lines, so every fix can be checked against its finding, shown as a diff, and given to SARIF as
replacements.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Edit:
    """Replace lines ``start``..``end`` (1-based, inclusive) with ``lines``; ``end == start - 1``
    inserts ``lines`` before line ``start``. Lines are given without their line endings."""

    start: int
    end: int
    lines: tuple[str, ...]
    # An insertion that follows line ``start - 1`` (a constant after the imports) rather than
    # preceding line ``start`` (a directive above its line): in a notebook, the two are in
    # different cells when ``start`` opens a cell.
    after: bool = False

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "lines": list(self.lines)}

    @property
    def inserts(self) -> bool:
        return self.end < self.start

    def conflicts(self, other: "Edit") -> bool:
        """Both were computed on the same text; they apply together unless they replace a common
        line, one inserts inside the other's range, or both insert different lines at one place."""
        if self.inserts and other.inserts:
            return self.start == other.start and self != other
        if self.inserts or other.inserts:
            insertion, replacement = (self, other) if self.inserts else (other, self)
            return replacement.start < insertion.start <= replacement.end
        return self.start <= other.end and other.start <= self.end


@dataclass
class Plan:
    """One finding's fix: its edits of one file, or why it cannot be made."""

    finding: object  # auditor.finding.Finding
    path: str
    applicability: str
    description: str
    edits: list[Edit] = field(default_factory=list)
    skipped: str | None = None  # why no fix was made (the finding stays)
    kind: str = ""  # what was fixed, for the per-kind counts ("unused import", "yaml.safe_load", ...)


def merge(plans: list[Plan]) -> tuple[list[Plan], list[Plan]]:
    """Split one file's plans into those that apply together and those deferred to the next
    round, in order of position. Edits identical in two plans (the ``SEED = 42`` two seed fixes
    both insert) are made once."""
    accepted: list[Plan] = []
    deferred: list[Plan] = []
    taken: list[Edit] = []
    for plan in sorted(plans, key=lambda p: (p.edits[0].start if p.edits else 0, p.edits[0].end if p.edits else 0)):
        fresh = [e for e in plan.edits if e not in taken]
        if any(e.conflicts(t) for e in fresh for t in taken):
            deferred.append(plan)
            continue
        accepted.append(plan)
        taken.extend(fresh)
    return accepted, deferred


def apply_edits(lines: list[str], edits: list[Edit]) -> list[str]:
    """``lines`` with non-overlapping ``edits`` applied (each set once)."""
    result = list(lines)
    for edit in sorted(set(edits), key=lambda e: (e.start, e.end), reverse=True):
        result[edit.start - 1:edit.end] = list(edit.lines)
    return result
