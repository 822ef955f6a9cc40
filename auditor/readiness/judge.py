"""The findings checks' judges: a verdict from what was gathered from the repository and the scan's
findings, on a ladder declared here. Light on purpose (no patterns, no repository access): a scan
whose repository facts are unchanged re-judges only these, with the gathered data from the cache
(auditor/readiness/compute.py)."""

from __future__ import annotations

from typing import Any, Callable

from auditor.readiness.debt import FINDINGS_LADDER, judge_findings
from auditor.readiness.model import FAIL, PARTIAL, PASS, Check, Evidence, Findings, Rung, Verdict, apply_ladder, verdict

SEEDS_LADDER = (
    Rung("seeded", PASS, "seeds are set and no unpinned-seed finding is open",
         "Seeds are set and no unseeded randomness was found."),
    Rung("some-unseeded", PARTIAL, "seeds are set, but some places draw randomness without one",
         "Seeds are set, but {count} place(s) draw randomness without one: pass the configured seed to each "
         "(see the unpinned-seed findings)."),
    Rung("unseeded", FAIL, "no seed is set anywhere",
         "No seed is set anywhere: set one seed from the config for every library (random, numpy, torch, ...) and "
         "pass `random_state=` to splits and estimators."),
)
DEPENDENCIES_LADDER = (
    Rung("lock-file", PASS, "a lock file pins every dependency", "A lock file pins every dependency."),
    Rung("all-pinned", PASS, "every requirement is pinned to an exact version, and no unpinned-dependency finding",
         "Every requirement is pinned to an exact version."),
    Rung("some-pinned", PARTIAL, "some requirements are pinned",
         "{pinned} of {total} requirements are pinned: pin the rest (`pip-compile`, `uv lock`, `poetry lock`) so a "
         "rebuild installs what the model was trained with."),
    Rung("unpinned", FAIL, "nothing pins the dependency versions",
         "Nothing pins the dependency versions: commit a lock file (uv.lock, poetry.lock, pip-compile output) or "
         "exact `==` versions."),
)


def judge_seeds(places: list[list], found: Findings) -> Verdict:
    seeded = [Evidence(path, line) for path, line in places]
    open_findings = found.findings_in(("unpinned-seed",))
    if seeded and not open_findings:
        return verdict("seeded", seeded)
    if seeded:
        return verdict("some-unseeded", [(f.path, f.line) for f in open_findings] + seeded, count=len(open_findings))
    return verdict("unseeded", [(f.path, f.line) for f in open_findings])


def judge_dependencies(gathered: dict[str, list], found: Findings) -> Verdict:
    locks = [Evidence(path, line) for path, line in gathered["locks"]]
    requirement_lines = gathered["requirements"]
    unpinned = [(p, line) for p, line, pinned in requirement_lines if not pinned]
    pinned = [(p, line) for p, line, pinned in requirement_lines if pinned]
    open_findings = found.findings_in(("unpinned-dependency",))
    if locks:
        return verdict("lock-file", locks)
    if requirement_lines and not unpinned and not open_findings:
        return verdict("all-pinned", pinned)
    if pinned:
        return verdict("some-pinned", unpinned + [(f.path, f.line) for f in open_findings],
                       pinned=len(pinned), total=len(requirement_lines))
    return verdict("unpinned", unpinned[:6])

LEAKAGE_LADDER = (
    Rung("clean", PASS, "no data-leakage finding of medium or high confidence (or none of the data-leakage rules ran)",
         "No fit was found to see the rows its model is scored on{note}."),
    Rung("suspected", PARTIAL, "data-leakage findings, none of them of high confidence",
         "{count} possible leak(s) of held-out rows into a fit (medium confidence): check them "
         "(`mlaudit scan --select data-leakage`); the offline score may be better than the model."),
    Rung("leaky", FAIL, "a data-leakage finding of high confidence",
         "{count} fit(s) saw the rows their model is scored on, so the offline evaluation is too good to trust: fit "
         "preprocessing and oversampling on the training rows only (or in a Pipeline), then re-evaluate "
         "(`mlaudit scan --select data-leakage`)."),
)


def judge_leakage(_: None, found: Findings) -> Verdict:
    # low-confidence findings (a shuffled time series, a vocabulary) are hints, not evidence of a leak
    leaks = [f for f in found.findings_in(("data-leakage",)) if f.confidence != "low"]
    certain = [f for f in leaks if f.confidence == "high"]
    where = [(f.path, f.line) for f in (certain or leaks)][:20]
    if certain:
        return verdict("leaky", where, count=len(certain))
    if leaks:
        return verdict("suspected", where, count=len(leaks))
    ran = found.rule_categories is None or "data-leakage" in found.rule_categories
    return verdict("clean", note="" if ran else " (none of the data-leakage rules ran)")


# Judge name -> (the judge, its ladder).
JUDGES: dict[str, tuple[Callable[..., Verdict], tuple[Rung, ...]]] = {
    "findings": (judge_findings, FINDINGS_LADDER),
    "seeds": (judge_seeds, SEEDS_LADDER),
    "dependencies": (judge_dependencies, DEPENDENCIES_LADDER),
    "leakage": (judge_leakage, LEAKAGE_LADDER),
}


def judge(entry: dict[str, Any], found: Findings) -> Check:
    """A gathered findings check, judged: ``{"judge": name, "params": {"id", "title", ...}, "data": ...}``."""
    fn, ladder = JUDGES[entry["judge"]]
    params = dict(entry["params"])
    id, title = params.pop("id"), params.pop("title")
    return apply_ladder(id, title, ladder, fn(entry["data"], found, **params))


