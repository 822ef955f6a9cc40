"""The readiness step of a scan: what readiness reads from the repository, gathered beside the
project rules or taken from the cache where it still holds, and the score, which weighs the
findings too (``auditor.readiness``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditor.model.sources import NOTEBOOK_CELLS
from auditor.scan import forked, incremental
from auditor.scan.forked import ForkedCall
from auditor.scan.worker import format_error

if TYPE_CHECKING:
    from auditor.model.project import Project
    from auditor.scan.cache import ResultCache
    from auditor.scan.engine import ScanResult


# Above this much Python the gatherer is not forked: the child shares the model's pages, but it
# copies those it touches and its resident set counts them all again, while gathering is only a
# few percent of such a scan (1M lines: 0.8 of 15 s, for 50-80 MiB).
FORK_GATHER_MAX_LINES = 400_000


def start_gathering(project: Project, python_lines: int) -> ForkedCall | None:
    """What readiness reads from the repository, gathered in a forked child while the project
    rules run here (it needs the model, not the findings); None where processes are not forked,
    or past FORK_GATHER_MAX_LINES (it is then gathered after the rules, in this process)."""
    if not forked.available() or python_lines > FORK_GATHER_MAX_LINES:
        return None
    from auditor.readiness.gathering import gather_with_questions

    project.git.settle()  # no thread may run at the fork: the log's reader is the only one so far
    for kind in ("usage", NOTEBOOK_CELLS):
        if project.facts.loads_from_cache(kind):
            project.fact(kind)  # decoded here: the child must not use this process's SQLite connection
    return ForkedCall(gather_with_questions, project)


def readiness_score(project: Project, result: ScanResult, cache: ResultCache | None, key: str | None,
               reusable: incremental.StoredGathering | None, gathering: ForkedCall | None,
               readiness_facts: dict[str, str]) -> dict[str, Any] | None:
    """The readiness score, after the findings, which feed it. What it reads from the repository
    is the stored gathering where that holds (``incremental.reusable_gathering``), its stale checks run again;
    so an edit that changes only findings, or code no check asks about, re-weighs the findings
    without gathering. Else it comes from ``gathering``, or is gathered here. Stored under ``key``
    with the questions it asked and the modules' facts, unless nothing changed."""
    from auditor.readiness import compute_readiness  # here: a scan answered from the cache never needs it
    from auditor.readiness.gathering import gather_with_questions

    settings = project.config.readiness
    categories = {rule.category for rule in result.selected_rules()}
    try:
        if reusable is not None and not reusable.stale:
            asked = reusable.entry
        elif reusable is not None:
            asked = gather_with_questions(project, reusable.entry, reusable.stale)
        else:
            asked = gathering.result() if gathering is not None else None
            if not isinstance(asked, dict) or not isinstance(asked.get("gathered"), dict):
                asked = gather_with_questions(project)
        readiness = compute_readiness(project, result.findings, result.python_lines, settings, categories,
                                      asked["gathered"], result.lines_by_path)
    except Exception:
        if reusable is not None:  # a damaged or foreign entry: gather afresh
            return readiness_score(project, result, cache, key, None, None, readiness_facts)
        result.errors.append({"rule": "readiness", "path": "", "error": format_error()})
        return None
    if cache is not None and key and (reusable is None or reusable.stale or reusable.facts_changed):
        cache.put("readiness", key, {**asked, "facts": readiness_facts})
    return readiness
