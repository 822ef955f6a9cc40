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
    Rung("lock-file", PASS, "a lock file pins every dependency, and no unpinned-dependency finding",
         "A lock file pins every dependency."),
    Rung("lock-file-some-unpinned", PARTIAL, "a lock file exists, but the scan found installs it does not pin",
         "A lock file pins the project's dependencies, but {count} install(s) outside it are unpinned (see the "
         "unpinned-dependency findings): pin them or install from the lock file."),
    Rung("all-pinned", PASS, "every requirement is pinned to an exact version, and no unpinned-dependency finding",
         "Every requirement is pinned to an exact version."),
    Rung("some-pinned", PARTIAL, "some requirements are pinned",
         "{pinned} of {total} requirements are pinned: pin the rest (`pip-compile`, `uv lock`, `poetry lock`) so a "
         "rebuild installs what the model was trained with."),
    Rung("unpinned", FAIL, "nothing pins the dependency versions",
         "Nothing pins the dependency versions: commit a lock file (uv.lock, poetry.lock, pip-compile output) or "
         "exact `==` versions."),
)


def _findings_evidence(findings: list, role: str) -> list[Evidence]:
    return [Evidence(f.path, f.line, f.cell, f"{f.rule} finding: {role}") for f in findings]


def judge_seeds(places: list, found: Findings) -> Verdict:
    seeded = [Evidence.from_json(place) if isinstance(place, dict) else Evidence(*place, None, "sets a seed")
              for place in places]
    open_findings = found.findings_in(("unpinned-seed",))
    if seeded and not open_findings:
        return verdict("seeded", seeded)
    unseeded = _findings_evidence(open_findings, "draws randomness without a seed")
    if seeded:
        return verdict("some-unseeded", unseeded + seeded, count=len(open_findings))
    return verdict("unseeded", unseeded)


def judge_dependencies(gathered: dict[str, list], found: Findings) -> Verdict:
    locks = [Evidence(path, line, None, "a lock file pins the versions") for path, line in gathered["locks"]]
    requirement_lines = gathered["requirements"]
    unpinned = [Evidence(p, line, None, "an unpinned requirement") for p, line, pinned in requirement_lines if not pinned]
    pinned = [Evidence(p, line, None, "an exact version") for p, line, pinned in requirement_lines if pinned]
    open_findings = found.findings_in(("unpinned-dependency",))
    # One fact, one answer: a lock file does not make "every dependency pinned" true while the scan
    # reports installs it does not cover (a `pip install` in a Dockerfile, a second requirements file).
    if locks and not open_findings:
        return verdict("lock-file", locks)
    if locks:
        return verdict("lock-file-some-unpinned", _findings_evidence(open_findings, "installs outside the lock file")
                       + locks, count=len(open_findings))
    if requirement_lines and not unpinned and not open_findings:
        return verdict("all-pinned", pinned)
    if pinned:
        return verdict("some-pinned", unpinned + _findings_evidence(open_findings, "an unpinned dependency"),
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
    where = _findings_evidence((certain or leaks)[:20], "a fit saw rows its model is scored on")
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


