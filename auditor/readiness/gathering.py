"""What the readiness score reads from the repository: every check run on the repository model,
findings checks gathering the data their judges need, and the rollback estimate."""

from __future__ import annotations

from typing import Any

from auditor.model.project import ARTIFACT, NOTEBOOK, PYTHON, Project
from auditor.readiness import monitoring, ownership, release, reproducibility, rollback, traceability
from auditor.readiness.estimate import estimate_rollback
from auditor.readiness.index import Index
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


def gather(project: Project) -> dict[str, Any]:
    """Everything the score reads from the repository rather than from the findings, as JSON:
    each check's result (a findings check's gathered data instead), and the rollback estimate,
    which rests on checks of the repository alone. Cached by the engine with the project phase.
    A repository of several units (auditor/model/units.py) is gathered unit by unit, each seeing
    its own files and the repository's shared infrastructure: ``{"units": [{"unit": ..., ...}]}``;
    units without code of their own are left out."""
    if not project.units.many:
        return gather_unit(project)
    members: dict[str, list[str]] = {}
    for path in project.files:
        members.setdefault(project.units.of(path), []).append(path)
    units = []
    for unit in project.units.dirs:
        own = members.get(unit, [])
        if any(project.files[p].kind in (PYTHON, NOTEBOOK) for p in own):
            units.append({"unit": unit, **gather_unit(project.restricted_to(unit, own))})
    return {"units": units}


def gather_unit(project: Project) -> dict[str, Any]:
    """``gather`` for a project of one unit."""
    ix = Index(project)
    checks: dict[str, list[dict[str, Any]]] = {}
    for name, dimension in DIMENSIONS.items():
        checks[name] = []
        for declared in dimension:
            if declared.judge:
                params = {"id": declared.id, "title": declared.title, **declared.params}
                checks[name].append({"judge": declared.judge, "params": params, "data": declared.gather(ix),
                                     "weight": declared.weight})
            else:
                result = declared.run(ix)
                assert result.points is None, f"{result.id} scores continuously: give it a judge"
                checks[name].append({"check": result.to_json(), "weight": declared.weight})
    by_id = {entry["check"]["id"]: Check.from_json(entry["check"])
             for entries in checks.values() for entry in entries if "check" in entry}
    saves = rollback.classify_saves(ix)
    artifacts = sorted(p for p, f in project.files.items() if f.kind == ARTIFACT)
    has_models = bool(ix.io("saves") or ix.io("loads") or saves.tracked or artifacts)
    refs = rollback.versioned_refs(ix)
    kept_by = _kept_by(project, saves, artifacts, refs)
    if by_id["R-ROLL-01"].status == PASS and not kept_by:
        kept_by.append("each trained model is kept as its own version")
    estimate = estimate_rollback(by_id, has_models=has_models or bool(refs), kept_by=kept_by,
                                 retrain=by_id["R-REPRO-04"], automatic=rollback.automatic_rollback(ix))
    return {"checks": checks, "rollback": estimate}


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
