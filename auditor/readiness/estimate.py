"""The rollback estimate: minutes to get the previous model serving again, with the chain of evidence.

The estimate follows the slowest step the repository forces on whoever is on call:
  registry alias + automated deploy ............ 5 min  (move the alias back, the deploy follows)
  registry alias, manual redeploy .............. 10 min
  versioned files + automated deploy ........... 15 min (revert the pinned version, CI redeploys)
  versioned files + manual redeploy ............ 30 min (+10 when no procedure is written down)
  only the latest artifact, overwritten ........ 240 min (retrain the previous version from code and data)
  ... and no single command that retrains ...... 480 min
  nothing saved or served ...................... None (no model to roll back)
"""

from __future__ import annotations

from typing import Any

from auditor.readiness.model import FAIL, PARTIAL, PASS, Check

UNDOCUMENTED_PENALTY = 10
NEWEST_PENALTY = 10


def _fmt(check: Check) -> str:
    where = ", ".join(e.shown() for e in check.evidence[:2])
    return f"{check.id} {check.status}" + (f" ({where})" if where else "")


def estimate_rollback(checks: dict[str, Check], *, has_models: bool, kept_by: list[str],
                      retrain: Check, automatic: list | None = None) -> dict[str, Any]:
    """``kept_by``: why earlier model versions survive a new training run (tracker, DVC, git, versioned paths)."""
    versioned, alias, pinned, deploy, procedure = (checks[k] for k in
                                                   ("R-ROLL-01", "R-ROLL-02", "R-ROLL-03", "R-ROLL-04", "R-ROLL-05"))
    if not has_models and versioned.status == FAIL and alias.status == FAIL and pinned.status == FAIL:
        reasoning = ["no model is saved, registered or served by this repository, so there is nothing to roll back"]
        return {"estimate_minutes": None, "reasoning": reasoning, "to_get_under_5": []}

    automated = deploy.status == PASS
    reasoning: list[str] = []
    to_get_under_5: list[str] = []
    if automatic and kept_by and automated:
        minutes = 5
        where = ", ".join(f"{e.path}:{e.line}" for e in automatic[:2])
        reasoning.append(f"a failed release is rolled back automatically (alarm-driven traffic shifting) [{where}]")
        reasoning.extend(f"earlier versions are kept: {why}" for why in kept_by)
    elif alias.status == PASS:
        minutes = 5 if automated else 10
        reasoning.append(f"registered versions with aliases or stages: rollback moves the alias back [{_fmt(alias)}]")
    elif alias.status == PARTIAL or kept_by:
        minutes = 15 if automated else 30
        reasoning += _kept_versions(alias, versioned, kept_by)
    else:
        minutes = 240 if retrain.status != FAIL else 480
        reasoning += _retrain_only(versioned, retrain)
        to_get_under_5.append("keep every trained model as its own version (tracker, registry or DVC output)")
    if minutes < 240:
        minutes += _redeploy(reasoning, deploy, pinned, procedure)
    to_get_under_5 += _advice(alias, deploy, pinned, procedure)
    return {"estimate_minutes": minutes, "reasoning": reasoning,
            "to_get_under_5": [] if minutes <= 5 else to_get_under_5}


def _kept_versions(alias: Check, versioned: Check, kept_by: list[str]) -> list[str]:
    reasoning = []
    if alias.status == PARTIAL:
        reasoning.append(f"models are registered, so earlier versions still exist [{_fmt(alias)}]")
    reasoning.extend(f"earlier versions are kept: {why}" for why in kept_by)
    if versioned.status != PASS:
        reasoning.append(f"but not every artifact is versioned [{_fmt(versioned)}]: finding and restoring the "
                         "previous one is a manual checkout")
    return reasoning


def _retrain_only(versioned: Check, retrain: Check) -> list[str]:
    one_command = "is one command" if retrain.status == PASS else "is not one command"
    doubles = "" if retrain.status != FAIL else ", which doubles the time"
    return [f"only the latest artifact exists (overwritten in place or not kept) [{_fmt(versioned)}]: "
            "the previous model has to be retrained from the previous code and data",
            f"retraining {one_command} [{_fmt(retrain)}]" + doubles]


def _redeploy(reasoning: list[str], deploy: Check, pinned: Check, procedure: Check) -> int:
    """Explains redeploying the kept version (appended to ``reasoning``); returns the extra minutes."""
    automated = deploy.status == PASS
    extra = 0
    if automated:
        reasoning.append(f"deploys are automated, so redeploying is a re-run [{_fmt(deploy)}]")
    else:
        reasoning.append(f"deploying is manual [{_fmt(deploy)}]")
    if pinned.status == PASS:
        reasoning.append(f"deploy manifests pin the model version [{_fmt(pinned)}]")
    elif pinned.status == FAIL and pinned.evidence:
        extra += NEWEST_PENALTY
        reasoning.append(f"deploys take \"latest\" or the newest file [{_fmt(pinned)}], so going back means "
                         f"overriding that choice by hand (+{NEWEST_PENALTY} min)")
    else:
        reasoning.append(f"the deployed version is not pinned [{_fmt(pinned)}], so someone must first work out "
                         "which version was serving")
    if procedure.status == PASS:
        reasoning.append(f"a rollback procedure is written down or automated [{_fmt(procedure)}]")
    elif not automated:
        extra += UNDOCUMENTED_PENALTY
        reasoning.append(f"no rollback procedure is written down (+{UNDOCUMENTED_PENALTY} min) [{_fmt(procedure)}]")
    return extra


def _advice(alias: Check, deploy: Check, pinned: Check, procedure: Check) -> list[str]:
    """What would bring the rollback under five minutes, one line per check that does not pass."""
    steps = (
        (alias, "register each model and serve it by alias (`models:/name@champion`), so rollback is "
                "moving the alias back"),
        (deploy, "deploy from CI with the model version as input, so redeploying is one click"),
        (pinned, "pin the model version or alias in the deploy manifest instead of \"latest\" or a fixed path"),
        (procedure, "write the rollback steps down (or automate them on an alarm)"),
    )
    return [advice for check, advice in steps if check.status != PASS]
