"""Reproducibility: can you rebuild the same model from the repository, with one command?"""

from __future__ import annotations

import re

from auditor.ml.training import TRAIN_COMMAND, TRAIN_TARGET, is_training_module
from auditor.model.project import BUILD, CONFIG, DOC, DOCKERFILE, LOCK, REQUIREMENTS, SCRIPT
from auditor.readiness.debt import findings_check
from auditor.readiness.index import Index
from auditor.readiness.judge import DEPENDENCIES_LADDER, SEEDS_LADDER
from auditor.readiness.model import FAIL, PARTIAL, PASS, Evidence, ReadinessCheck, Rung, Verdict, because, verdict

SEED_CALLS = ("random.seed", "numpy.random.seed", "numpy.random.default_rng", "numpy.random.RandomState",
              "torch.manual_seed", "torch.cuda.manual_seed_all", "tensorflow.random.set_seed",
              "tensorflow.set_random_seed", "pytorch_lightning.seed_everything", "lightning.seed_everything",
              "lightning.pytorch.seed_everything", "transformers.set_seed", "accelerate.utils.set_seed",
              "keras.utils.set_random_seed", "tensorflow.keras.utils.set_random_seed", "jax.random.PRNGKey",
              "jax.random.key", "sklearn.utils.check_random_state")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._\-\[\], ]*)(.*)$")
_PINNED = re.compile(r"===?|@\s*\S+@[0-9a-f]{7,}|@\s*git\+\S+@[0-9a-f]{7,}|--hash")
_ENV_FILE = re.compile(r"(^|/)(environment|conda[-_\w]*|env)\.ya?ml$|(^|/)\.devcontainer(/|\.json$)|(^|/)(flake|shell|default)\.nix$"
                       r"|(^|/)\.python-version$|(^|/)runtime\.txt$|(^|/)cluster_env\.ya?ml$", re.I)
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.I | re.M)
def _seed_places(ix: Index) -> list[dict]:
    """Where seeds are set: seeding calls and ``random_state=``/``seed=`` arguments."""
    found = ix.calls(*SEED_CALLS, paths=ix.source_paths) + ix.kwargs("random_state", "seed", paths=ix.source_paths)
    return [ev.to_json() for ev in because("sets a seed", found)]


seeds = ReadinessCheck(
    "R-REPRO-01", "Random seeds are set for training", "reproducibility",
    "seeding calls and `random_state=`/`seed=` arguments in the code, and the scan's unpinned-seed findings",
    SEEDS_LADDER, _seed_places, judge="seeds")


def _requirement_lines(text: str) -> list[tuple[int, bool]]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-r", "-c", "--", "-e .", "-e.")) or line in (".",):
            continue
        lines.append((number, bool(_PINNED.search(line))))
    return lines


def _conda_lines(file) -> list[tuple[int, bool]]:
    """Dependencies of a conda environment file: ``numpy=1.26`` and pip's ``pandas==2.2`` are pinned."""
    if not _ENV_FILE.search(file.path) or not isinstance(file.data, dict):
        return []
    deps = file.data.get("dependencies")
    if not isinstance(deps, list):
        return []
    found = []
    for index, dep in enumerate(deps):
        items = [(dep, file.line_of("dependencies", index))] if isinstance(dep, str) else []
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            items += [(d, file.line_of("dependencies", index, "pip", i)) for i, d in enumerate(dep["pip"])
                      if isinstance(d, str)]
        for name, line in items:
            if name.split("=")[0].strip().lower() in ("python", "pip") or name.startswith("-"):
                continue
            found.append((line or 1, "=" in name or bool(_PINNED.search(name))))
    return found


def _dependency_lines(ix: Index) -> dict[str, list]:
    """Lock files, and each requirement line (requirements files, conda environments) with
    whether it is pinned."""
    locks = [[ev.path, ev.line] for ev in ix.files(re.compile(r".")) if ix.project.files[ev.path].kind == LOCK]
    requirement_lines = []
    for file in ix.text_files((REQUIREMENTS,)):
        requirement_lines += [[file.path, line, pinned] for line, pinned in _requirement_lines(file.text or "")]
    for file in ix.text_files((CONFIG,)):
        requirement_lines += [[file.path, line, pinned] for line, pinned in _conda_lines(file)]
    return {"locks": locks, "requirements": requirement_lines}


dependencies = ReadinessCheck(
    "R-REPRO-02", "Dependencies are pinned (a lock file or exact versions)", "reproducibility",
    "lock files, each line of requirements files and conda environments, and the scan's unpinned-dependency "
    "findings", DEPENDENCIES_LADDER, _dependency_lines, judge="dependencies")


def _environment(ix: Index) -> Verdict:
    dockerfiles = list(ix.text_files((DOCKERFILE,)))
    env_files = ix.files(_ENV_FILE)
    pinned_images, floating = [], []
    for file in dockerfiles:
        stages = set()  # `FROM builder` names an earlier stage, not an image
        for match in _FROM.finditer(file.text or ""):
            image = match.group(1)
            if match.group(2):
                stages.add(match.group(2).lower())
            if image.lower() in stages:
                continue
            line = (file.text or "").count("\n", 0, match.start()) + 1
            base = image.rsplit("/", 1)[-1]
            if "@sha256:" in image or (":" in base and not base.endswith((":latest", ":stable"))) or "$" in image:
                pinned_images.append(Evidence(file.path, line))
            elif image.lower() != "scratch":
                floating.append(Evidence(file.path, line))
    if (pinned_images and not floating) or env_files:
        return verdict("described", because("a pinned base image", pinned_images) +
                       because("describes the environment", env_files))
    if dockerfiles:
        return verdict("floating-image", because("a base image that floats", floating) or
                       [Evidence(f.path, None, None, "a Dockerfile") for f in dockerfiles])
    return verdict("none")


_TRAINS = re.compile(r"(^|[._])(re)?train|(^|\.)fit$", re.I)
ORCHESTRATORS = ("airflow", "prefect", "dagster", "kedro", "zenml", "metaflow", "kfp", "flytekit", "luigi",
                 "sagemaker.workflow", "azure.ai.ml.dsl", "azureml.pipeline")


def _trains(ix: Index, path: str) -> bool:
    """The module names training: it imports, calls or defines something that trains or fits."""
    return is_training_module(path) or any(_TRAINS.search(name)
                                           for name in ix.names_in(path, "imports", "calls", "methods", "defs"))


def _retrain_command(ix: Index) -> Verdict:
    project = ix.project
    found: list = []
    found += because("`dvc repro` reruns the pipeline", ix.files(re.compile(r"(^|/)dvc\.yaml$")))
    found += because("`mlflow run` reruns the project", ix.files(re.compile(r"(^|/)MLproject$")))
    found += because("a make target trains", ix.grep(TRAIN_TARGET, kinds=(BUILD,)))
    # An orchestrated pipeline counts when its module trains, not for importing the orchestrator.
    orchestrated = {ev.path: ev for ev in reversed(ix.imports(*ORCHESTRATORS, paths=ix.source_paths))}  # first per module
    found += because("an orchestrated pipeline that trains",
                     [ev for path, ev in sorted(orchestrated.items()) if _trains(ix, path)])
    found += because("a CI step or script runs training", ix.grep(TRAIN_COMMAND, paths=ix.ci_paths) +
                     ix.grep(TRAIN_COMMAND, kinds=(SCRIPT,)))
    pyproject = project.files.get("pyproject.toml")
    scripts = (pyproject.data or {}).get("project", {}).get("scripts", {}) if pyproject and isinstance(pyproject.data, dict) else {}
    if isinstance(scripts, dict) and any("train" in str(k) + str(v) for k, v in scripts.items()):
        found.append(Evidence("pyproject.toml", pyproject.line_of("project", "scripts"), None, "a console script trains"))
    if found:
        return verdict("command", found)
    scripts_with_main = [Evidence(p, None, None, "a training script with a main") for p in ix.pipeline_paths
                         if ix.module_fact(p, "main") and _trains(ix, p)]
    documented = because("the docs give a training command", ix.grep(TRAIN_COMMAND, kinds=(DOC,)))
    if scripts_with_main or documented:
        return verdict("script-only", scripts_with_main + documented)
    return verdict("none")


environment = ReadinessCheck(
    "R-REPRO-03", "The environment is specified (container image, conda environment, dev container)", "reproducibility",
    "Dockerfiles and their base images, conda environment files, dev containers, Nix files, .python-version",
    (
        Rung("described", PASS, "an environment file, or Dockerfiles whose base images are all pinned",
             "The runtime environment is described in the repository."),
        Rung("floating-image", PARTIAL, "a Dockerfile exists but a base image floats (`latest` or no tag)",
             "A Dockerfile exists but its base image floats (`latest` or no tag), so two builds differ: pin the tag "
             "(`python:3.11.9-slim`) or the digest (`@sha256:...`)."),
        Rung("none", FAIL, "no Dockerfile, conda environment or dev container",
             "No Dockerfile, conda environment or dev container: describe the runtime (Python version, system "
             "libraries, CUDA) in a file in the repository."),
    ),
    _environment)

retrain_command = ReadinessCheck(
    "R-REPRO-04", "One command or pipeline retrains the model", "reproducibility",
    "dvc.yaml and MLproject files, Makefile training targets, orchestrator imports, training commands in CI and "
    "scripts (auditor/ml/training.py), console scripts named for training; training scripts and documented commands",
    (
        Rung("command", PASS, "a pipeline definition or a named command retrains the model",
             "Training is a pipeline or a named command."),
        Rung("script-only", PARTIAL, "a training script or a documented command exists, but no pipeline or named "
             "command",
             "A training script exists but no pipeline ties data preparation, training and evaluation together: add a "
             "`dvc.yaml`, a Makefile `train` target or an orchestrator pipeline."),
        Rung("none", FAIL, "no way to retrain from the repository was found",
             "No way to retrain from the repository was found: add a single entry point (`make train`, `dvc repro`, "
             "a pipeline definition) that rebuilds the model from data."),
    ),
    _retrain_command)

open_findings = findings_check("R-REPRO-05", "Findings: unpinned seeds and dependencies, stale models", "reproducibility",
                               ("unpinned-seed", "unpinned-dependency", "stale-model"))

CHECKS = (seeds, dependencies, environment, retrain_command, open_findings)
