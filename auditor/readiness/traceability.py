"""Traceability: can you tell which data, code, parameters and seed produced the model in production?"""

from __future__ import annotations

import re
from dataclasses import replace

from auditor.ml.models import MODEL_SUFFIXES, looks_like_model
from auditor.ml.tracking import (
    CONFIG_LOGGING_CALLS,
    EXPERIMENT_TRACKERS,
    LOGGER_CALLBACKS,
    METHOD_OWNERS,
    METRIC_LOGGING_CALLS,
    PARAM_LOGGING_CALLS,
)
from auditor.model.project import CONFIG
from auditor.pathnames import posix_path
from auditor.readiness.index import Index
from auditor.readiness.model import FAIL, PARTIAL, PASS, Evidence, ReadinessCheck, Rung, Verdict, because, verdict
from auditor.readiness.stores import dagster_model_assets, model_artifact_logs, registrations

_DVC_FILE = re.compile(r"(^|/)dvc\.(yaml|lock)$|\.dvc$")
_LAKEFS = re.compile(r"lakefs", re.I)
_TIME_TRAVEL = re.compile(r"versionAsOf|timestampAsOf|VERSION AS OF|TIMESTAMP AS OF|snapshot-id|as-of-timestamp",
                          re.I)
# Keys in a training config that pin the data: a snapshot date, a query version, a dataset version.
_DATA_VERSION_KEY = re.compile(r"^\s*[\"']?(data_?)?(snapshot(_date|_id)?|as_of(_date)?|data_version|dataset_version|"
                               r"query_version|partition_date|cutoff(_date)?|revision)[\"']?\s*[:=]", re.I | re.M)
_SAGEMAKER_EXPERIMENTS = re.compile(r"ExperimentConfig|ExperimentName:|TrialComponentDisplayName")
_DATA_FILE = re.compile(r"(^|/)(data|datasets?)/[^/]+\.(csv|tsv|parquet|jsonl?|feather|arrow)$", re.I)
# The code version recorded with a run: a tracker tag or parameter naming the commit, or the commit
# asked of git (`git rev-parse HEAD`); `git tag` to find a release to download records nothing.
_TRACKER_TAG_CALLS = ("mlflow.set_tag", "mlflow.set_tags", "mlflow.log_param", "mlflow.log_params", "wandb.init",
                      "mlflow.start_run")
_GIT_COMMAND_CALLS = ("subprocess.check_output", "subprocess.run", "git.Repo")
_GIT_REVISION = re.compile(r"rev-parse|describe|head\.commit|hexsha", re.I)
_GIT_WORD = re.compile(r"git|commit|sha|rev-parse", re.I)
_SEED_WORD = re.compile(r"seed", re.I)
_CONFIG_LIBS = ("hydra", "omegaconf", "gin", "ml_collections", "pydantic_settings", "yaml", "tomllib", "toml",
                "jsonargparse", "simple_parsing")
_CLI_LIBS = ("argparse", "click", "typer", "fire", "absl.flags")
# Training configuration: files in config folders, or named as a config, params or hyperparameters.
_CONFIG_PATH = re.compile(r"(^|/)(conf|configs?|hparams|hyperparameters)/[^/]+\.(ya?ml|toml|json)$"
                          r"|(^|/)(config|params|hparams|hyperparameters)[^/]*\.(ya?ml|toml|json)$|(^|/)MLproject$", re.I)


def _holds_model(path: str) -> bool:
    """A `.dvc` pointer's file is a model or a pickled object rather than a dataset."""
    return looks_like_model(path, None) or posix_path(path).suffix.lower() in MODEL_SUFFIXES


def _data_versioning(ix: Index) -> Verdict:
    # Data pointers first (a `.dvc` file of a dataset says more than dvc.yaml); a pointer to a model
    # is not evidence that the data is versioned.
    pointers_to_models = [Evidence(ev.path, None, None, "points at a model or a pickled object, not training data")
                          for ev in ix.files(_DVC_FILE) if ev.path.endswith(".dvc") and _holds_model(ev.path[:-4])]
    dvc_files = [ev for ev in ix.files(_DVC_FILE) if ev.path not in {p.path for p in pointers_to_models}]
    dvc_files.sort(key=lambda ev: not ev.path.endswith(".dvc"))
    found = because("DVC versions the data", dvc_files)
    found += because("reads data through a versioning API", ix.imports("dvc.api", "lakefs", "lakefs_client", "lakefs_sdk"))
    found += because("lakeFS versions the data", ix.configs(_LAKEFS))
    found += because("reads a table version (time travel)", ix.grep(_TIME_TRAVEL) + ix.markers("time-travel"))
    found += because("the config pins a data version", ix.configs(_DATA_VERSION_KEY, path_pattern=_CONFIG_PATH))
    found += because("reads a Delta table (time travel)", ix.calls("delta.tables.DeltaTable"))
    if found:
        return verdict("versioned", found, rejected=pointers_to_models)
    artifacts = because("data comes through a tracker or hub", ix.calls(
        "wandb.use_artifact", ".use_artifact", "mlflow.log_input", "mlflow.data", "datasets.load_dataset"))
    artifacts += [Evidence(p, None, None, "a dataset committed to git") for p in sorted(ix.project.files)
                  if _DATA_FILE.search(p) and ix.project.git.last_commit_time(p) is not None][:3]
    if artifacts:
        return verdict("unversioned-source", artifacts, rejected=pointers_to_models)
    return verdict("none", rejected=pointers_to_models)


def _dvc_stage_records(file, stage: str, spec: dict, records: dict[str, list[Evidence]]) -> None:
    """What DVC records of one stage of a locked dvc.yaml."""
    params = [str(p) for p in spec.get("params") or [] if isinstance(p, (str, dict))]
    at_params = file.line_of("stages", stage, "params")
    if params:
        records["params"].append(Evidence(file.path, at_params, None, f"stage `{stage}` records its parameters in dvc.lock"))
    if any(_SEED_WORD.search(p) for p in params):
        records["seed"].append(Evidence(file.path, at_params, None, f"stage `{stage}` records its seed parameter in dvc.lock"))
    if any(str(dep).endswith(".py") for dep in spec.get("deps") or []):
        records["code"].append(Evidence(file.path, file.line_of("stages", stage, "deps"), None,
                                        f"dvc.lock records the hash of the code stage `{stage}` ran"))
    if spec.get("metrics"):
        records["metrics"].append(Evidence(file.path, file.line_of("stages", stage, "metrics"), None,
                                           f"stage `{stage}` writes metrics DVC tracks"))


def _dvc_records(ix: Index) -> dict[str, list[Evidence]]:
    """What DVC records of each run, from dvc.yaml when a dvc.lock is committed beside it: a stage's
    `params:` (their values go into dvc.lock), `metrics:` files, and the hash of every dependency,
    code included, so the commit of dvc.lock names the code, parameters and seed that made the model."""
    records: dict[str, list[Evidence]] = {"tracker": [], "params": [], "metrics": [], "code": [], "seed": []}
    locked = {f.path.rsplit("dvc.lock", 1)[0] for f in ix.project.files.values() if f.name == "dvc.lock"}
    for file in ix.text_files((CONFIG,)):
        if file.name != "dvc.yaml" or file.path.rsplit("dvc.yaml", 1)[0] not in locked or not isinstance(file.data, dict):
            continue
        stages = file.data.get("stages")
        for stage, spec in (stages.items() if isinstance(stages, dict) else ()):
            if isinstance(spec, dict):
                _dvc_stage_records(file, stage, spec, records)
        if file.data.get("metrics"):
            records["metrics"].append(Evidence(file.path, file.line_of("metrics"), None, "metrics files DVC tracks"))
        if any(records.values()):
            records["tracker"].append(Evidence(file.path, None, None, "a DVC pipeline with a committed dvc.lock"))
    return records


def _experiment_tracking(ix: Index) -> Verdict:
    dvc = _dvc_records(ix)
    tracker = because("an experiment tracker", ix.imports(*EXPERIMENT_TRACKERS, paths=ix.source_paths) +
                      ix.configs(_SAGEMAKER_EXPERIMENTS)) + dvc["tracker"]
    if not tracker:
        return verdict("no-tracker")
    # SageMaker training jobs record their hyperparameters and metric definitions with the job.
    callbacks = ix.library_calls(LOGGER_CALLBACKS, METHOD_OWNERS) + \
        ix.configs(re.compile(r"^\s*(HyperParameters|MetricDefinitions):", re.M))
    params = ix.library_calls((*PARAM_LOGGING_CALLS, *CONFIG_LOGGING_CALLS), METHOD_OWNERS, paths=ix.source_paths) + callbacks
    params += ix.kwargs("config", paths=[e.path for e in ix.calls("wandb.init")])
    params += ix.kwargs("hyperparameters", paths=ix.source_paths)
    params = because("records parameters", params) + dvc["params"]
    metrics = ix.library_calls(METRIC_LOGGING_CALLS, METHOD_OWNERS, paths=ix.source_paths) + callbacks + \
        ix.kwargs("metric_definitions", paths=ix.source_paths)
    # Azure ML runs log with `run.log(name, value)`: a plain `.log` counts only next to the tracker's import.
    metrics += ix.methods("log", "log_row", "log_list", paths=[e.path for e in ix.imports("azureml.core")])
    # dvclive's Live object logs metrics (`live.log_metric`, `live.summary`).
    metrics += ix.methods("log_metric", "log_sklearn_plot", paths=[e.path for e in ix.imports("dvclive")])
    metrics = because("records metrics", metrics) + dvc["metrics"]
    autocapture = ix.imports("mlflow", "wandb", "neptune", "comet_ml", "clearml")  # these log the git commit
    git_sha = because("records the code version", ix.string_args(_TRACKER_TAG_CALLS, _GIT_WORD) +
                      ix.string_args(_GIT_COMMAND_CALLS, _GIT_REVISION)) + dvc["code"]
    seed = because("records the seed", ix.string_args((".log_param", ".log_params", ".set_tag", "wandb.config.update"),
                                                      _SEED_WORD)) + dvc["seed"]
    missing = [label for label, ok in (("parameters", params), ("metrics", metrics),
                                        ("the git SHA", git_sha or autocapture), ("the seed", seed)) if not ok]
    found = tracker[:2] + params[:1] + metrics[:1] + git_sha[:1] + seed[:1]
    if not missing:
        note = "" if git_sha else " (the git commit is captured by the tracker itself when runs start in a git checkout)"
        return verdict("complete", found, note=note)
    return verdict("incomplete" if params or metrics else "little-logged", found, missing=", ".join(missing))


def _model_registry(ix: Index) -> Verdict:
    registered = registrations(ix)
    if registered:
        return verdict("registered", registered)
    logged = ix.calls(".log_model", "wandb.Artifact", paths=ix.source_paths) + \
        model_artifact_logs(ix, ix.calls("wandb.log_artifact", ".log_artifact", paths=ix.source_paths)) + \
        ix.kwargs("save_artifact", "log_model", "log_checkpoints", paths=ix.source_paths)
    stored, local = [], []
    for model in dagster_model_assets(ix):  # Dagster records the run and the inputs of each materialization
        if model.store == "local":
            local.append(replace(model.at, why=f"Dagster asset `{model.asset}` keeps its model on the local disk of the "
                                               f"run ({model.manager})"))
        else:
            stored.append(replace(model.at, why=f"Dagster asset `{model.asset}` fits a model, stored in {model.store} by "
                                                f"{model.manager}: Dagster records each materialization's run and inputs"))
    logged = because("logs a model to the tracker", logged) + stored
    if logged:
        return verdict("logged", logged, rejected=local)
    return verdict("plain-files", rejected=local)


# Helm templates and Kubernetes manifests configure a cluster (a template does not even parse as YAML);
# a front end's or the docs' settings configure those.
_CLUSTER_FOLDER = re.compile(r"(^|/)(templates|k8s|kubernetes|manifests|helm|charts?|kustomize|frontend|ui|web|static|"
                             r"docs?)/", re.I)


def _is_manifest(data: object) -> bool:
    """A Kubernetes-style manifest (RBAC, a ConfigMap, a Deployment) configures a cluster, not training."""
    docs = data if isinstance(data, list) else [data]
    return any(isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc for doc in docs)


def _config_as_code(ix: Index) -> Verdict:
    configs = [Evidence(ev.path, None, None, "a configuration file") for ev in ix.files(_CONFIG_PATH)
               if ix.project.files[ev.path].kind == CONFIG and ev.path not in ix.ci_paths and not ev.path.startswith(".github/")
               and not _CLUSTER_FOLDER.search(ev.path)
               and not _is_manifest(ix.project.files[ev.path].data)]
    libs = because("loads configuration", ix.imports(*_CONFIG_LIBS, paths=ix.source_paths))
    if configs and (libs or ix.calls("yaml.safe_load", "json.load", "hydra.main")):
        return verdict("loaded-configs", configs[:3] + libs[:2])
    if configs or libs or ix.imports("hydra", "omegaconf"):
        return verdict("hydra" if ix.imports("hydra", "omegaconf") else "configs-not-loaded", configs + libs)
    # Flags of a repository script (a CI helper) are not the training configuration.
    cli = because("training reads command-line flags", ix.imports(*_CLI_LIBS, paths=ix.pipeline_paths))
    if cli:
        return verdict("cli-only", cli)
    return verdict("none")


# Texts two rungs share: the same advice at a partial and a fail step.
_TRACKER_MISSES = ("A tracker is used but does not record {missing}: log them with the run (`mlflow.log_params(config)`, "
                   "`mlflow.log_metric(...)`, `mlflow.set_tag('git_commit', sha)`, `mlflow.log_param('seed', seed)`).")
_CONFIGS_NOT_LOADED = ("Config files exist but are not clearly loaded by the training code: load them (`yaml.safe_load`, Hydra, "
                       "OmegaConf) and log the resolved config with the run.")


data_versioning = ReadinessCheck(
    "R-TRACE-01", "Training data is versioned (DVC, lakeFS, table time travel, or a snapshot in the config)",
    "traceability",
    "DVC files, lakeFS and Delta Lake use, time-travel reads, data-version keys in training configs; datasets "
    "committed to git or read through a tracker or hub",
    (
        Rung("versioned", PASS, "a data version is recorded: DVC, lakeFS, time travel or a snapshot key in a config",
             "Data version found (DVC, lakeFS, time travel or a snapshot key)."),
        Rung("unversioned-source", PARTIAL, "datasets are committed or come through a tracker or hub, with no version "
             "pinned by the training code",
             "Datasets are committed to git or come through a tracker or hub, but the training code does not pin a "
             "version: pass a revision, alias or commit (`load_dataset(..., revision=)`, `use_artifact('data:v3')`) "
             "and record it with the run."),
        Rung("none", FAIL, "nothing versions the training data",
             "No data version found. Track the training data with DVC (`dvc add data/...`) or lakeFS, read tables with "
             "time travel (`versionAsOf`), or at least put the snapshot date or query version in the training config "
             "(not in a comment) and log it with the run."),
    ),
    _data_versioning)

experiment_tracking = ReadinessCheck(
    "R-TRACE-02", "Experiment tracking records parameters, metrics, code version (git SHA) and seed", "traceability",
    "tracker imports (auditor/ml/tracking.py), parameter and metric logging calls, logger callbacks, the git SHA and "
    "the seed passed to the tracker",
    (
        Rung("complete", PASS, "a tracker records parameters, metrics, the code version and the seed",
             "Parameters, metrics, code version and seed are logged{note}."),
        Rung("incomplete", PARTIAL, "a tracker logs parameters or metrics but misses some of the four",
             _TRACKER_MISSES),
        Rung("little-logged", FAIL, "a tracker is imported but logs neither parameters nor metrics",
             _TRACKER_MISSES),
        Rung("no-tracker", FAIL, "no experiment tracker in the training code",
             "No experiment tracker (MLflow, W&B, Neptune, Comet, ClearML) in the training code: log parameters, "
             "metrics, the git SHA and the seed of every training run."),
    ),
    _experiment_tracking)

model_registry = ReadinessCheck(
    "R-TRACE-03", "Models are registered with lineage (a model registry, or models logged to the tracker)",
    "traceability",
    "model registry calls (auditor/ml/tracking.py), `registered_model_name=`, `models:/` URIs; models logged to a "
    "tracker, or returned by a Dagster asset to an object-storage IO manager",
    (
        Rung("registered", PASS, "models are registered in a model registry", "Models are registered in a model registry."),
        Rung("logged", PARTIAL, "models are logged to the tracker but never registered",
             "Models are logged to the tracker but never registered: register them (`mlflow.register_model` or "
             "`log_model(..., registered_model_name=...)`) so each deployed version links back to its run."),
        Rung("plain-files", FAIL, "models are plain files with no link to the run that produced them",
             "Models are plain files with no link to the run that produced them: log them to the tracker and register "
             "them in a model registry (MLflow, W&B, SageMaker, Vertex AI)."),
    ),
    _model_registry)

config_as_code = ReadinessCheck(
    "R-TRACE-04", "Training configuration is code or config files, not values in comments", "traceability",
    "config files in config folders (conf/, configs/, params.yaml, MLproject), config libraries and loaders "
    "(Hydra, OmegaConf, YAML), command-line parsers",
    (
        Rung("loaded-configs", PASS, "config files exist and the training code loads them",
             "Training is configured from versioned files."),
        Rung("hydra", PASS, "Hydra or OmegaConf composes the configuration",
             _CONFIGS_NOT_LOADED),
        Rung("configs-not-loaded", PARTIAL, "config files or a config library exist, but nothing shows the training "
             "code loads them",
             _CONFIGS_NOT_LOADED),
        Rung("cli-only", PARTIAL, "hyperparameters come only from command-line flags",
             "Hyperparameters come only from command-line flags, so a run is reproducible only if someone wrote the "
             "command down: keep them in a config file in the repository and log it."),
        Rung("none", FAIL, "no training configuration found",
             "No training configuration found: move hyperparameters, data paths and versions into a config file "
             "(YAML, Hydra) checked into the repository instead of constants and comments."),
    ),
    _config_as_code)

CHECKS = (data_versioning, experiment_tracking, model_registry, config_as_code)
