"""What the readiness score reads from the repository: every check run on the repository model,
findings checks gathering the data their judges need, and the rollback estimate."""

from __future__ import annotations

from typing import Any

from auditor.model.project import ARTIFACT, NOTEBOOK, PYTHON, Project
from auditor.readiness import monitoring, ownership, release, reproducibility, rollback, traceability
from auditor.readiness.estimate import estimate_rollback
from auditor.readiness.index import Index, Questions
from auditor.readiness.model import PASS, Check, ReadinessCheck
from auditor.readiness.score import DEFAULT_WEIGHTS

DIMENSIONS = {
    "traceability": traceability.CHECKS,
    "reproducibility": reproducibility.CHECKS,
    "rollback": rollback.CHECKS,
    "monitoring": monitoring.CHECKS,
    "release_safety": release.CHECKS,
    "ownership_testing": ownership.CHECKS,
}
assert list(DIMENSIONS) == list(DEFAULT_WEIGHTS)


def all_checks() -> dict[str, ReadinessCheck]:
    """Every declared readiness check by id, in dimension order."""
    return {check.id: check for dimension in DIMENSIONS.values() for check in dimension}


def gather_with_questions(project: Project, stored: dict[str, Any] | None = None,
                          stale: set[str] | None = None) -> dict[str, Any]:
    """``gather`` with what it asked of the modules' usage facts, as one JSON value (a forked child
    returns one): ``{"gathered": ..., "questions": {group: [...]}, "modules": {path: {group: digest}}}``,
    a group being one check of one unit (or its rollback estimate), with its questions in the order
    asked and each module's digest of its part of their answers (``Questions``), which tell when
    a group's result holds after an edit (``index.module_answers``). With ``stored`` (an earlier
    such value) and ``stale`` (its groups that no longer hold), the other groups' results, questions
    and digests are taken from it; a unit with a stale group has its rollback estimate made again."""
    questions = Questions()
    reuse = (stored, stale or set()) if stored is not None else None
    gathered = gather(project, questions, reuse)
    asked = {group: list(found) for group, found in questions.asked.items()}
    modules = questions.module_digests()
    if reuse is not None:
        kept = set(stored["questions"]) - set(asked) - reuse[1]
        asked = {**{group: stored["questions"][group] for group in kept}, **asked}
        for path, groups in stored["modules"].items():
            for group in kept & groups.keys():
                modules.setdefault(path, {})[group] = groups[group]
    return {"gathered": gathered, "questions": asked, "modules": modules}


# An earlier gathering and its groups that no longer hold (``gather_with_questions``).
Reuse = tuple[dict[str, Any], set[str]]


def gather(project: Project, questions: Questions | None = None, reuse: Reuse | None = None) -> dict[str, Any]:
    """Everything the score reads from the repository rather than from the findings, as JSON:
    each check's result (a findings check's gathered data instead), and the rollback estimate,
    which rests on checks of the repository alone. Cached by the engine with the project phase.
    A repository of several units (auditor/model/units.py) is gathered unit by unit, each seeing
    its own files and the repository's shared infrastructure: ``{"units": [{"unit": ..., ...}]}``;
    units without code of their own are left out. ``questions`` and ``reuse``: see
    ``gather_with_questions``."""
    if not project.units.many:
        return gather_unit(project, questions, reuse, "")
    members: dict[str, list[str]] = {}
    for path in project.files:
        members.setdefault(project.units.of(path), []).append(path)
    units = []
    for unit in project.units.dirs:
        own = members.get(unit, [])
        if any(project.files[p].kind in (PYTHON, NOTEBOOK) for p in own):
            units.append({"unit": unit, **gather_unit(project.restricted_to(unit, own), questions, reuse, unit)})
    return {"units": units}


def _stored_unit(reuse: Reuse | None, unit: str) -> dict[str, Any] | None:
    if reuse is None:
        return None
    gathered = reuse[0]["gathered"]
    if "units" not in gathered:
        return gathered
    return next((entry for entry in gathered["units"] if entry.get("unit") == unit), None)


def _stored_entries(stored_unit: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """A stored unit's check entries by check id."""
    if stored_unit is None:
        return {}
    return {(entry["params"] if "judge" in entry else entry["check"])["id"]: entry
            for entries in stored_unit["checks"].values() for entry in entries}


def gather_unit(project: Project, questions: Questions | None = None, reuse: Reuse | None = None,
                unit: str = "") -> dict[str, Any]:
    """``gather`` for a project of one unit (``unit`` names its groups of questions)."""
    stale = reuse[1] if reuse is not None else set()
    stored_unit = _stored_unit(reuse, unit)
    if stored_unit is not None and not any(group.startswith(f"{unit}:") for group in stale):
        return {key: value for key, value in stored_unit.items() if key != "unit"}  # nothing it asked changed
    stored = _stored_entries(stored_unit)
    ix = Index(project, questions=questions)
    checks: dict[str, list[dict[str, Any]]] = {}
    for name, dimension in DIMENSIONS.items():
        checks[name] = []
        for declared in dimension:
            group = f"{unit}:{declared.id}"
            if declared.id in stored and group not in stale:
                checks[name].append(stored[declared.id])
                continue
            if questions is not None:
                questions.group = group
            checks[name].append(_check_entry(declared, ix))
    if questions is not None:
        questions.group = f"{unit}:rollback"
    return {"checks": checks, "rollback": _rollback_estimate(project, ix, checks)}


def _check_entry(declared: ReadinessCheck, ix: Index) -> dict[str, Any]:
    """A check's result, or a findings check's gathered data, as JSON."""
    if declared.judge:
        params = {"id": declared.id, "title": declared.title, **declared.params}
        return {"judge": declared.judge, "params": params, "data": declared.gather(ix), "weight": declared.weight}
    result = declared.run(ix)
    assert result.points is None, f"{result.id} scores continuously: give it a judge"
    return {"check": result.to_json(), "weight": declared.weight}


def _rollback_estimate(project: Project, ix: Index, checks: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The rollback estimate, from the unit's checks and what the repository keeps of its models."""
    by_id = {entry["check"]["id"]: Check.from_json(entry["check"])
             for entries in checks.values() for entry in entries if "check" in entry}
    saves = rollback.classify_saves(ix)
    artifacts = sorted(p for p, f in project.files.items() if f.kind == ARTIFACT)
    has_models = bool(ix.io("saves") or ix.io("loads") or saves.tracked or artifacts)
    refs = rollback.versioned_refs(ix)
    kept_by = _kept_by(project, saves, artifacts, refs)
    if by_id["R-ROLL-01"].status == PASS and not kept_by:
        kept_by.append("each trained model is kept as its own version")
    return estimate_rollback(by_id, has_models=has_models or bool(refs), kept_by=kept_by,
                             retrain=by_id["R-REPRO-04"], automatic=rollback.automatic_rollback(ix))


def _kept_by(project: Project, saves, artifacts: list[str], refs: list) -> list[str]:
    """Why earlier model versions survive a new training run, with the first place that shows it."""
    kept_by = []
    if saves.tracked:
        kept_by.append(f"models are logged to the tracker ({saves.tracked[0].path}:{saves.tracked[0].line})")
    if saves.dvc:
        kept_by.append(f"the model written at {saves.dvc[0].path}:{saves.dvc[0].line} is a DVC output")
    committed = [p for p in artifacts if project.git.last_commit_time(p) is not None]
    if committed:
        kept_by.append(f"model files are committed to git, which keeps each committed version ({committed[0]})")
    if refs:
        kept_by.append(f"deploy manifests point at artifacts by version, so each one keeps its own path "
                       f"({refs[0].path}:{refs[0].line})")
    if saves.parameterised and not saves.in_place:
        kept_by.append(f"models are saved to paths built at run time ({saves.parameterised[0].path})")
    return kept_by
