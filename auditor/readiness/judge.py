"""The findings checks' judges: a check from what was gathered from the repository and the scan's
findings. Light on purpose (no patterns, no repository access): a scan whose repository facts are
unchanged re-judges only these, with the gathered data from the cache (auditor/readiness/compute.py)."""

from __future__ import annotations

from typing import Any, Callable

from auditor.readiness.debt import judge_findings
from auditor.readiness.model import FAIL, PARTIAL, PASS, Check, Evidence, Findings, check


def judge_seeds(places: list[list], found: Findings) -> Check:
    title = "Random seeds are set for training"
    seeded = [Evidence(path, line) for path, line in places]
    open_findings = found.findings_in(("unpinned-seed",))
    if seeded and not open_findings:
        return check("R-REPRO-01", title, PASS, seeded, "Seeds are set and no unseeded randomness was found.")
    if seeded:
        return check("R-REPRO-01", title, PARTIAL, [(f.path, f.line) for f in open_findings] + seeded,
                     f"Seeds are set, but {len(open_findings)} place(s) draw randomness without one: pass the "
                     "configured seed to each (see the unpinned-seed findings).")
    return check("R-REPRO-01", title, FAIL, [(f.path, f.line) for f in open_findings],
                 "No seed is set anywhere: set one seed from the config for every library (random, numpy, "
                 "torch, ...) and pass `random_state=` to splits and estimators.")


def judge_dependencies(gathered: dict[str, list], found: Findings) -> Check:
    title = "Dependencies are pinned (a lock file or exact versions)"
    locks = [Evidence(path, line) for path, line in gathered["locks"]]
    requirement_lines = gathered["requirements"]
    unpinned = [(p, line) for p, line, pinned in requirement_lines if not pinned]
    pinned = [(p, line) for p, line, pinned in requirement_lines if pinned]
    open_findings = found.findings_in(("unpinned-dependency",))
    if locks:
        return check("R-REPRO-02", title, PASS, locks, "A lock file pins every dependency.")
    if requirement_lines and not unpinned and not open_findings:
        return check("R-REPRO-02", title, PASS, pinned, "Every requirement is pinned to an exact version.")
    if pinned:
        total = len(requirement_lines)
        return check("R-REPRO-02", title, PARTIAL, unpinned + [(f.path, f.line) for f in open_findings],
                     f"{len(pinned)} of {total} requirements are pinned: pin the rest (`pip-compile`, `uv lock`, "
                     "`poetry lock`) so a rebuild installs what the model was trained with.")
    return check("R-REPRO-02", title, FAIL, unpinned[:6],
                 "Nothing pins the dependency versions: commit a lock file (uv.lock, poetry.lock, "
                 "pip-compile output) or exact `==` versions.")


def _findings(_: None, found: Findings, id: str, title: str, categories: list[str]) -> Check:
    return judge_findings(id, title, found, tuple(categories))


JUDGES: dict[str, Callable[..., Check]] = {
    "findings": _findings,
    "seeds": judge_seeds,
    "dependencies": judge_dependencies,
}


def judge(entry: dict[str, Any], found: Findings) -> Check:
    """A gathered findings check, judged: ``{"judge": name, "params": {...}, "data": ...}``."""
    return JUDGES[entry["judge"]](entry["data"], found, **entry["params"])
