"""Rollback: can you go back to the previous model in under five minutes, and how long would it take?"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

from auditor.ml.models import NOT_MODEL_OBJECTS, names_something_else
from auditor.ml.operations import PLACEHOLDER, ci_steps, names_a_version
from auditor.model.project import BUILD, CONFIG, DOCKERFILE, SCRIPT
from auditor.readiness.index import Index
from auditor.readiness.model import FAIL, PARTIAL, PASS, Evidence, ReadinessCheck, Rung, Verdict, because, verdict
from auditor.readiness.stores import (
    ALIAS_URI,
    aliases,
    dagster_model_assets,
    dvc_model_outputs,
    dvc_outputs,
    model_artifact_logs,
    registrations,
)

TRACKER_SAVES = re.compile(r"(^|\.)(log_model|log_artifact|log_artifacts)$")
_VERSION_URI = re.compile(r"^models:/[^/@]+/\d+$")
_LATEST_URI = re.compile(r"latest|newest", re.I)
_MODEL_REF = re.compile(  # a whole key: `--saved_model_path=` of a training job is not `model_path`
    r"(?<![\w-])(storageUri|modelUri|model_uri|MODEL_URI|MODEL_VERSION|model_version|ModelDataUrl|ModelPackageName|"
    r"ModelPackageArn|MODEL_NAME_OR_PATH|MODEL_PATH|model_path|MODEL_TAG|model_tag)[\"']?\s*[:=]\s*(?:!\w+\s+)?[\"']?"
    r"([^\s\"'#,}]+)")  # `!Sub` and other YAML tags (CloudFormation) come before the value
_DEPLOY = re.compile(
    # `deploy` as a word or command, not an environment variable (`DEPLOYMENT_NAME`, `${DEPLOY_ENV}`); `terraform
    # apply` provisions infrastructure, which is not releasing a model.
    r"(?<![$\w{])((?-i:[Dd]eploy)\w*|kubectl\s+(apply|set\s+image|rollout)|helm\s+(upgrade|install)|"
    r"gcloud\s+[\w\s-]*deploy|aws\s+(ecs|sagemaker|lambda)\s+\S*(update|create)|sam\s+deploy|cdk\s+deploy|"
    r"serverless\s+deploy|argocd|az\s+ml\s+online-(deployment|endpoint)|anyscale\s+service|"
    r"bentoml\s+deploy|modal\s+deploy|fly\s+deploy|serve\s+deploy|create_endpoint|update_endpoint)\b", re.I)
_GITOPS = re.compile(r"AWS::CodePipeline::Pipeline|AWS::CodeDeploy|argoproj\.io/v1alpha1[\s\S]{0,200}kind:\s*Application"
                     r"|kind:\s*(Rollout|Canary)\b")  # a bare InferenceService manifest is applied by someone
# Deploys of documentation and packages, usage lines, and installs of the platform itself (a tracking
# server, Kubeflow's manifests, monitoring) are not a path for releasing a model.
_NOT_MODEL_DEPLOY = re.compile(r"pages|mkdocs|gh-deploy|docs|documentation|sphinx|pypi|twine|npm|(^\s*|run:\s*|-\s*)echo\b|usage:|"
                               r"github\.com/|helm\s+(install|upgrade)\s+(--\S+\s+)*(mlflow|kubeflow|prometheus|grafana|"
                               r"airflow|argo|istio|cert-manager|ingress)", re.I)
# A deploy word in a CI file counts on a command, not on a workflow's, job's or step's name.
_NOT_DEPLOY_STEP = re.compile(rf"{_NOT_MODEL_DEPLOY.pattern}|^\s*-?\s*(name|description|displayName):", re.I)
_IMAGE_PUSH = re.compile(r"docker\s+push|docker/build-push-action|push:\s*true", re.I)
_DEPLOY_METHODS = (".deploy", ".create_endpoint", ".update_endpoint", ".begin_create_or_update")
_ROLLBACK_DOC = re.compile(r"roll[\s-]?back|revert(ing)?\s+(to\s+)?(the\s+)?(deploy\w*|release|model|previous)",
                           re.I)
_ROLLBACK_HEADING = re.compile(r"^\s*(#+|=+|\*\*)\s*[^\n]*roll[\s-]?back", re.I | re.M)
_AUTO_ROLLBACK = re.compile(r"AutoRollbackConfiguration|auto_?rollback|rollbackWindow|kubectl\s+rollout\s+undo|"
                            r"DeploymentPreference:|"  # SAM traffic shifting: CodeDeploy rolls back on its alarms

                            r"helm\s+rollback|RollbackOnFailure|abortScaleDownDelaySeconds|progressDeadlineAbort",
                            re.I)
# Deploy steps that pick the newest object: `sort_by(Contents, &LastModified)[-1]`, `ls -t | head -1`.
_NEWEST_TEXT = re.compile(r"LastModified\)?\s*\[\s*-1\s*\]|ls\s+-\w*t\w*\s[^\n|]*\|\s*head\s+-(n\s*)?1\b|"
                          r"sort\s+-\w*r\w*[^\n|]*\|\s*head\s+-(n\s*)?1\b")
_TRAINING_CONFIG = re.compile(r"(^|/)(re)?train(ing)?([_-]\w+)?(/|\.)", re.I)
_RUNBOOK = re.compile(r"(^|/)(runbooks?|playbooks?)(/|\.|$)", re.I)


def _norm(path: str) -> str:
    return str(PurePosixPath(path.replace("\\", "/"))).lstrip("./")


@dataclass
class Saves:
    tracked: list[Evidence] = field(default_factory=list)  # logged to a tracker or registry
    dvc: list[Evidence] = field(default_factory=list)  # constant path, but a DVC output
    parameterised: list[Evidence] = field(default_factory=list)
    in_place: list[Evidence] = field(default_factory=list)  # constant path overwritten by each run
    in_place_paths: list[str] = field(default_factory=list)


def classify_saves(ix: Index) -> Saves:
    saves = Saves()
    outs = set(dvc_outputs(ix))
    for path, entry in ix.io("saves", paths=ix.production_paths):
        where = ix.at(path, entry.get("line"), f"saves a model with `{entry.get('call', '').lstrip('.')}`")
        if TRACKER_SAVES.search(entry.get("call", "")) and "." in entry.get("call", "").lstrip("."):
            saves.tracked.append(where)
        elif NOT_MODEL_OBJECTS.search(entry.get("saved", "")):
            continue  # `tokenizer.save_pretrained(...)`, `pickle.dump(df, f)`: not a model
        elif entry.get("kind") == "literal" and entry.get("path") and names_something_else(entry["path"]):
            continue  # `pickle.dump(bias_output, open("bias_results.pkl", "wb"))` saves results, not a model
        elif entry.get("kind") == "literal" and entry.get("path"):
            target = _norm(entry["path"])
            if any(target == out or target.startswith(out + "/") for out in outs):
                saves.dvc.append(where)
            else:
                saves.in_place.append(where)
                saves.in_place_paths.append(entry["path"])
        else:
            saves.parameterised.append(where)
    saves.tracked += model_artifact_logs(ix, ix.calls("wandb.log_artifact", "mlflow.log_artifact", "mlflow.log_artifacts",
                                                      paths=ix.source_paths))
    # Logger callbacks that upload checkpoints (Ray's MLflowLoggerCallback, Lightning's loggers).
    saves.tracked += ix.kwargs("save_artifact", "log_model", "log_checkpoints", paths=ix.source_paths)
    saves.tracked = because("keeps each model as a tracker artifact", saves.tracked)
    saves.dvc = because("a DVC output, so each version is kept", saves.dvc)
    return saves


def _overwritten_by_dagster(ix: Index) -> list[Evidence]:
    """Models Dagster IO managers store: each materialization overwrites the asset's one path
    (auditor/ml/tracking.py), so no earlier version is kept. Shown with -v as not counted."""
    return [replace(model.at, why=f"Dagster asset `{model.asset}`'s model is stored by {model.manager}, which writes "
                                  "each materialization over the last: earlier versions are not kept")
            for model in dagster_model_assets(ix)]


def _versioned_artifacts(ix: Index) -> Verdict:
    saves = classify_saves(ix)
    overwritten = _overwritten_by_dagster(ix)
    saves.tracked += because("each version lives at its own path", versioned_refs(ix))
    has_lock = any(f.name == "dvc.lock" for f in ix.project.files.values())
    kept = saves.tracked + registrations(ix) + (saves.dvc if has_lock else []) + dvc_model_outputs(ix)
    if saves.in_place:
        names = ", ".join(sorted(set(saves.in_place_paths))[:3])
        return verdict("overwritten-some-kept" if kept or saves.dvc else "overwritten",
                       saves.in_place + kept + saves.dvc, names=names, rejected=overwritten)
    if kept:
        return verdict("kept", kept, rejected=overwritten)
    if saves.dvc:
        return verdict("dvc-unlocked", saves.dvc, rejected=overwritten)
    if saves.parameterised:
        return verdict("runtime-paths", saves.parameterised, rejected=overwritten)
    return verdict("none", rejected=overwritten)


def _registry_aliases(ix: Index) -> Verdict:
    named, registered = aliases(ix), registrations(ix)
    if named and registered:
        return verdict("aliased", named + registered)
    if registered or named:
        return verdict("registered", registered + named)
    return verdict("none")


def versioned_refs(ix: Index) -> list[Evidence]:
    """Deploy manifests that point at an artifact by version (``.../model-${TrainJobId}/model.tar.gz``):
    each version lives at its own path, so earlier ones are still there."""
    return [ev for ev in deploy_pinning(ix).pinned if ix.project.files[ev.path].kind != "python"
            and not ix.has_usage(ev.path)]


@dataclass
class Pinning:
    pinned: list[Evidence] = field(default_factory=list)
    latest: list[Evidence] = field(default_factory=list)
    constant: list[Evidence] = field(default_factory=list)
    placeholders: list[Evidence] = field(default_factory=list)  # not counted: shown with -v


def deploy_pinning(ix: Index) -> Pinning:
    result = Pinning()
    result.latest += ix.grep(_NEWEST_TEXT, kinds=(SCRIPT, BUILD)) + ix.grep(_NEWEST_TEXT, paths=ix.ci_paths)
    _registry_uris(ix, result)
    _manifest_refs(ix, result)
    # Serving that takes the run id or version to load from its deployment is pinned by whoever deploys it.
    result.pinned += ix.kwargs("run_id", "model_version", paths=ix.serving_paths)
    result.pinned += [ev for ev, _ in ix.uris(re.compile(r"^runs:/\w+")) if ev.path in ix.serving_paths]
    _serving_loads(ix, result)
    return result


def _registry_uris(ix: Index, result: Pinning) -> None:
    """``models:/name/latest`` against ``models:/name/3`` or ``models:/name@champion`` in production code."""
    for ev, uri in ix.uris(re.compile(r"^models:/")):
        if ev.path not in ix.production_paths:
            continue
        if _LATEST_URI.search(uri):
            result.latest.append(ev)
        elif _VERSION_URI.match(uri) or ALIAS_URI.match(uri):
            result.pinned.append(ev)


def _manifest_refs(ix: Index, result: Pinning) -> None:
    """Model references in configs, Dockerfiles and scripts (CI files only when they deploy a model; a
    training pipeline's model output is not a deployment)."""
    for file in ix.text_files((CONFIG, DOCKERFILE, SCRIPT, BUILD)):
        if file.path in ix.ci_paths and not ix.grep(_DEPLOY, paths=[file.path], exclude=_NOT_MODEL_DEPLOY):
            continue
        if _TRAINING_CONFIG.search(file.path):
            continue
        text = file.text or ""
        for match in _MODEL_REF.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            value = match.group(2)
            if value.startswith(("$(", "`")):
                continue  # computed by the shell when the step runs
            if _LATEST_URI.search(value):
                result.latest.append(Evidence(file.path, line, None, f"`{match.group(1)}` follows the latest: `{value}`"))
            elif names_a_version(value):
                result.pinned.append(Evidence(file.path, line, None, f"`{match.group(1)}` names a version: `{value}`"))
            elif PLACEHOLDER.search(value):
                result.placeholders.append(Evidence(file.path, line, None, f"`{value}` is a placeholder, not a version"))
            else:
                result.constant.append(Evidence(file.path, line, None, f"`{match.group(1)}` is a fixed path: `{value}`"))


def _serving_loads(ix: Index, result: Pinning) -> None:
    """Model loads in serving code: the newest file, "latest", or a fixed path."""
    newest = {ev.path for ev in ix.newest_files(paths=ix.serving_paths)}
    for path, entry in ix.io("loads", paths=ix.serving_paths):
        literal = entry.get("path") or ""
        where = ix.at(path, entry.get("line"), f"serving loads `{literal or entry.get('call', '').lstrip('.')}`")
        if path in newest or _LATEST_URI.search(literal):
            result.latest.append(where)
        elif literal.startswith("models:/"):
            continue  # counted with the URIs above
        elif entry.get("kind") == "literal":
            result.constant.append(where)


def _pinned_deploys(ix: Index) -> Verdict:
    pins = deploy_pinning(ix)
    rejected = pins.placeholders
    if pins.latest:
        return verdict("latest-some-pinned" if pins.pinned else "latest", pins.latest + pins.pinned, rejected=rejected)
    if pins.pinned:
        return verdict("pinned", pins.pinned, rejected=rejected)
    if pins.constant:
        return verdict("fixed-path", pins.constant, rejected=rejected)
    return verdict("none", rejected=rejected)


# In a CI command or an action's name, "deploy" as a command, a script or an action (`gcloud run deploy`,
# `./deploy_app.sh`, `azure/webapps-deploy`), not `--deployment` or a `get_branch_deployment` action.
# An Azure ML deployment created or updated from a variable endpoint type (`az ml $(type)-deployment create`).
_DEPLOY_STEP = re.compile(_DEPLOY.pattern.replace(r"(?<![$\w{])((?-i:[Dd]eploy)\w*",
                                                  r"(?<![$\w{])(?<!--)(?<!\s-)((?-i:[Dd]eploy)(?!ment)\w*") +
                          r"|\baz\s+ml\s+\S*-deployment\s+(create|update)\b", re.I)


_RUNNERS = frozenset({"bash", "sh", "zsh", "source", ".", "python", "python3", "sudo", "exec"})
_PATH_LIKE = re.compile(r"/|\.\w+$")


def _deploys(command: str) -> bool:
    """A CI command that deploys: a deploy command (`gcloud run deploy`, `kubectl apply`), or a deploy
    script that it runs (`./deploy_app.sh`, `bash scripts/deploy.sh`), not one it only touches
    (`chmod +x deploy_app.sh`, `cat deploy.yaml`)."""
    match = _DEPLOY_STEP.search(command)
    if match is None or _NOT_MODEL_DEPLOY.search(command) or command.startswith("#"):
        return False
    quoted = command[:match.start()]
    if quoted.count('"') % 2 or quoted.count("'") % 2:
        return False  # a word in a message: `gum style "Select services to deploy"`
    begin = command.rfind(" ", 0, match.start()) + 1  # the word the match is in
    end = command.find(" ", match.end())
    word = command[begin:] if end < 0 else command[begin:end]
    if not _PATH_LIKE.search(word):
        return True  # a command or a sub-command: `ci deploy`, `serverless deploy`, `kubectl apply`
    before = command[:begin].split()
    return not before or (len(before) == 1 and before[0] in _RUNNERS)


def _ci_deploy_steps(ix: Index) -> list[Evidence]:
    """CI steps that deploy, read as their schema (auditor/ml/operations.py): a command or an action
    that deploys, or an Azure Pipelines deployment job. A CI file that is not YAML (a Jenkinsfile) is
    searched as text."""
    found = []
    for path in ix.ci_paths:
        file = ix.project.files[path]
        if not isinstance(file.data, (dict, list)):
            found += ix.grep(_DEPLOY, paths=[path], exclude=_NOT_DEPLOY_STEP)
            continue
        for key_path, offset, text, kind in ci_steps(file.data):
            if kind == "deployment-job":
                why = f"Azure Pipelines deployment job `{text}`"
            elif _deploys(text):
                why = f"`{text if len(text) <= 80 else text[:77] + '...'}`"
            else:
                continue
            line = file.line_of(*key_path)
            found.append(Evidence(path, line + offset if line else None, None, why))
    return found


def _script_deploys(ix: Index) -> list[Evidence]:
    """The first command of each script or build file that deploys (as a CI command is judged:
    `kubectl logs deployment/x` or `cat deploy.yaml` does not)."""
    found: dict[str, Evidence] = {}
    for ev in ix.grep(_DEPLOY_STEP, kinds=(SCRIPT, BUILD), exclude=_NOT_MODEL_DEPLOY, per_file=50):
        lines = ix.project.files[ev.path].lines()
        command = lines[ev.line - 1].strip() if ev.line and ev.line <= len(lines) else ""
        if ev.path not in found and _deploys(command):
            found[ev.path] = ev
    return list(found.values())


def _automated_deploy(ix: Index) -> Verdict:
    ci = _ci_deploy_steps(ix) + ix.configs(_GITOPS)
    if ci:
        return verdict("ci", because("CI deploys", ci))
    manual = _script_deploys(ix) + ix.calls(*_DEPLOY_METHODS, paths=ix.production_paths)
    pushes = ix.grep(_IMAGE_PUSH, paths=ix.ci_paths)
    if manual or pushes:
        return verdict("manual", because("deploys by hand", manual) + because("CI pushes an image", pushes))
    return verdict("none")


def automatic_rollback(ix: Index) -> list[Evidence]:
    """Where a failed release is rolled back without a human (alarms, progressive delivery)."""
    return ix.grep(_AUTO_ROLLBACK, kinds=(CONFIG, SCRIPT, BUILD)) + ix.grep(_AUTO_ROLLBACK, paths=ix.ci_paths)


def _rollback_procedure(ix: Index) -> Verdict:
    automated = automatic_rollback(ix)
    headings = ix.docs(_ROLLBACK_HEADING) + [ev for ev in ix.files(_RUNBOOK)]
    if automated or headings:
        return verdict("procedure", automated + headings)
    mentions = ix.docs(_ROLLBACK_DOC)
    if mentions:
        return verdict("mentioned", mentions)
    return verdict("none")


# Texts two rungs share: the same advice at a partial and a fail step.
_OVERWRITTEN = ("Training overwrites {names} in place, so the previous model is gone after each run: write each version "
                "to its own path (run id or version in the name), log it to the tracker, or make the file a DVC "
                "output and commit dvc.lock.")
_FOLLOWS_LATEST = ("Serving resolves \"latest\" or the newest file, so what runs changes without a deploy and rolling back "
                   "means deleting the new model: pin a version or an alias in the deploy manifest.")


versioned_artifacts = ReadinessCheck(
    "R-ROLL-01", "Model artifacts are versioned and kept, not overwritten in place", "rollback",
    "where training saves models (fixed paths, paths built at run time, trackers, DVC outputs with dvc.lock), "
    "registry calls in production code, versioned references in deploy manifests",
    (
        Rung("kept", PASS, "every saved model is kept as its own version (tracker, registry, DVC with dvc.lock)",
             "Each trained model is kept as its own version."),
        Rung("overwritten-some-kept", PARTIAL, "training overwrites a model file in place, though some models are kept",
             _OVERWRITTEN),
        Rung("dvc-unlocked", PARTIAL, "the model is a DVC output but no dvc.lock is committed",
             "The model is a DVC output but no dvc.lock is committed, so earlier versions cannot be checked out by "
             "commit: run `dvc repro`, commit dvc.lock and `dvc push`."),
        Rung("runtime-paths", PARTIAL, "models are saved to paths built at run time",
             "Models are saved to paths built at run time; make sure the path carries a version or run id and old "
             "versions are kept (or log them to a tracker or registry)."),
        Rung("overwritten", FAIL, "training overwrites a model file in place and nothing keeps earlier versions",
             _OVERWRITTEN),
        Rung("none", FAIL, "no versioned model store was found",
             "No versioned model store was found (no tracker, registry or DVC output for the model): keep every "
             "trained model as its own version."),
    ),
    _versioned_artifacts)

registry_aliases = ReadinessCheck(
    "R-ROLL-02", "The registry has versions with aliases or stages, so rollback is a pointer change", "rollback",
    "registry calls and alias or stage calls in production code, `models:/name@alias` URIs, approval statuses in "
    "configs",
    (
        Rung("aliased", PASS, "models are registered and served through an alias or stage",
             "Registered versions carry aliases or stages: rolling back is moving the alias."),
        Rung("registered", PARTIAL, "models are registered (or aliases exist) but not both",
             "Models are registered but serving does not follow an alias or stage: set one "
             "(`MlflowClient().set_registered_model_alias(name, 'champion', version)`) and serve "
             "`models:/name@champion`, so a rollback is moving the alias back."),
        Rung("none", FAIL, "no model registry versions",
             "No model registry versions: register each model and deploy by alias or stage."),
    ),
    _registry_aliases)

pinned_deploys = ReadinessCheck(
    "R-ROLL-03", "Deployments pin a model version (not \"latest\" or the newest file)", "rollback",
    "model references in deploy manifests and serving code: pinned versions, \"latest\" or the newest file, "
    "fixed paths",
    (
        Rung("pinned", PASS, "deploy manifests and serving name an explicit model version",
             "Deploy manifests and serving name an explicit model version."),
        Rung("latest-some-pinned", PARTIAL, "some deploys pin a version, others resolve \"latest\" or the newest file",
             _FOLLOWS_LATEST),
        Rung("fixed-path", PARTIAL, "serving loads whatever file sits at a fixed path",
             "Serving loads whatever file sits at a fixed path, so the running version is whatever was copied there "
             "last: name the version in the deploy manifest (a registry URI with a version or alias, or a versioned "
             "path)."),
        Rung("latest", FAIL, "serving resolves \"latest\" or the newest file and nothing pins a version",
             _FOLLOWS_LATEST),
        Rung("none", FAIL, "no deploy manifest or serving code names a model version",
             "No deploy manifest or serving code that names a model version was found: pin the model version (or "
             "alias) in the manifest that deploys it."),
    ),
    _pinned_deploys)

automated_deploy = ReadinessCheck(
    "R-ROLL-04", "An automated deploy path exists (CI/CD or GitOps)", "rollback",
    "deploy steps of CI workflows read as their schema (commands run, deploy actions, Azure deployment jobs; "
    "not job or step names), GitOps and deployment-pipeline configs; deploy scripts, deploy calls in code "
    "and image pushes",
    (
        Rung("ci", PASS, "deploys run from CI/CD or GitOps",
             "Deploys run from CI/CD, so redeploying an earlier version is a re-run."),
        Rung("manual", PARTIAL, "deploying is a script, a call in code or an image push, not a CI deploy",
             "Deploying is a script or a manual step: run it from CI (on a tag or a manual dispatch with the model "
             "version as input) so a rollback is one click."),
        Rung("none", FAIL, "no deploy step in CI and no deploy script",
             "No deploy step in CI and no deploy script: add a CI job that deploys a given model version."),
    ),
    _automated_deploy)

rollback_procedure = ReadinessCheck(
    "R-ROLL-05", "Rollback is documented or automated", "rollback",
    "automatic rollback settings (alarms, progressive delivery), rollback headings in docs, runbooks, mentions of "
    "rollback",
    (
        Rung("procedure", PASS, "a rollback procedure is written down under its own heading, or automated",
             "A rollback procedure is written down or automated."),
        Rung("mentioned", PARTIAL, "rollback is mentioned but has no procedure",
             "Rollback is mentioned but has no procedure: write the steps (which command, which version, who "
             "approves) under a \"Rollback\" heading in the README or a runbook."),
        Rung("none", FAIL, "no rollback procedure",
             "No rollback procedure: document how to return to the previous model (commands, where versions live, "
             "how to verify), or automate it (alarm-triggered rollback)."),
    ),
    _rollback_procedure)

CHECKS = (versioned_artifacts, registry_aliases, pinned_deploys, automated_deploy, rollback_procedure)
