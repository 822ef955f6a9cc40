"""Traceability: can you tell which data, code, parameters and seed produced the model in production?"""

from __future__ import annotations

import re

from auditor.ml.tracking import (EXPERIMENT_TRACKERS, LOGGER_CALLBACKS, METRIC_LOGGING_CALLS, MODEL_REGISTRY_CALLS,
                                 PARAM_LOGGING_CALLS)
from auditor.model.project import CONFIG
from auditor.readiness.index import Index
from auditor.readiness.model import FAIL, PARTIAL, PASS, Check, Evidence, check

_DVC_FILE = re.compile(r"(^|/)dvc\.(yaml|lock)$|\.dvc$")
_LAKEFS = re.compile(r"lakefs", re.I)
_TIME_TRAVEL = re.compile(r"versionAsOf|timestampAsOf|VERSION AS OF|TIMESTAMP AS OF|snapshot-id|as-of-timestamp",
                          re.I)
# Keys in a training config that pin the data: a snapshot date, a query version, a dataset version.
_DATA_VERSION_KEY = re.compile(r"^\s*[\"']?(data_?)?(snapshot(_date|_id)?|as_of(_date)?|data_version|dataset_version|"
                               r"query_version|partition_date|cutoff(_date)?|revision)[\"']?\s*[:=]", re.I | re.M)
_SAGEMAKER_EXPERIMENTS = re.compile(r"ExperimentConfig|ExperimentName:|TrialComponentDisplayName")
_DATA_FILE = re.compile(r"(^|/)(data|datasets?)/[^/]+\.(csv|tsv|parquet|jsonl?|feather|arrow)$", re.I)
_GIT_TAG_CALLS = ("mlflow.set_tag", "mlflow.set_tags", "mlflow.log_param", "mlflow.log_params", "wandb.init",
                  "subprocess.check_output", "subprocess.run", "git.Repo", "mlflow.start_run")
_GIT_WORD = re.compile(r"git|commit|sha|rev-parse", re.I)
_SEED_WORD = re.compile(r"seed", re.I)
_CONFIG_LIBS = ("hydra", "omegaconf", "gin", "ml_collections", "pydantic_settings", "yaml", "tomllib", "toml",
                "jsonargparse", "simple_parsing")
_CLI_LIBS = ("argparse", "click", "typer", "fire", "absl.flags")
_CONFIG_PATH = re.compile(r"(^|/)(conf|configs?|params|hparams|hyperparameters|experiments?)(/|[^/]*\.(ya?ml|toml|json)$)"
                          r"|(^|/)params\.ya?ml$|(^|/)MLproject$", re.I)


def data_versioning(ix: Index) -> Check:
    title = "Training data is versioned (DVC, lakeFS, table time travel, or a snapshot in the config)"
    found = ix.files(_DVC_FILE) + ix.imports("dvc.api", "lakefs", "lakefs_client", "lakefs_sdk")
    found += ix.configs(_LAKEFS) + ix.grep(_TIME_TRAVEL) + ix.markers("time-travel")
    found += ix.configs(_DATA_VERSION_KEY, path_pattern=_CONFIG_PATH) + ix.calls("delta.tables.DeltaTable")
    if found:
        return check("R-TRACE-01", title, PASS, found, "Data version found (DVC, lakeFS, time travel or a snapshot key).")
    artifacts = ix.calls("wandb.use_artifact", ".use_artifact", "mlflow.log_input", "mlflow.data", "datasets.load_dataset")
    artifacts += [Evidence(p) for p in sorted(ix.project.files) if _DATA_FILE.search(p) and
                  ix.project.git.last_commit_time(p) is not None][:3]
    if artifacts:
        return check("R-TRACE-01", title, PARTIAL, artifacts,
                     "Datasets are committed to git or come through a tracker or hub, but the training code does not "
                     "pin a version: pass a revision, alias or commit (`load_dataset(..., revision=)`, "
                     "`use_artifact('data:v3')`) and record it with the run.")
    return check("R-TRACE-01", title, FAIL, (),
                 "No data version found. Track the training data with DVC (`dvc add data/...`) or lakeFS, read "
                 "tables with time travel (`versionAsOf`), or at least put the snapshot date or query version in "
                 "the training config (not in a comment) and log it with the run.")


def experiment_tracking(ix: Index) -> Check:
    title = "Experiment tracking records parameters, metrics, code version (git SHA) and seed"
    tracker = ix.imports(*EXPERIMENT_TRACKERS, paths=ix.source_paths) + ix.configs(_SAGEMAKER_EXPERIMENTS)
    if not tracker:
        return check("R-TRACE-02", title, FAIL, (),
                     "No experiment tracker (MLflow, W&B, Neptune, Comet, ClearML) in the training code: log "
                     "parameters, metrics, the git SHA and the seed of every training run.")
    # SageMaker training jobs record their hyperparameters and metric definitions with the job.
    callbacks = ix.calls(*LOGGER_CALLBACKS) + ix.configs(re.compile(r"^\s*(HyperParameters|MetricDefinitions):", re.M))
    params = ix.calls(*PARAM_LOGGING_CALLS) + ix.kwargs("config", paths=[e.path for e in ix.calls("wandb.init")]) + callbacks
    params += ix.kwargs("hyperparameters", paths=ix.source_paths)
    metrics = ix.calls(*METRIC_LOGGING_CALLS) + callbacks + ix.kwargs("metric_definitions", paths=ix.source_paths)
    # Azure ML runs log with `run.log(name, value)`: a plain `.log` counts only next to the tracker's import.
    metrics += ix.methods("log", "log_row", "log_list", paths=[e.path for e in ix.imports("azureml.core")])
    autocapture = ix.imports("mlflow", "wandb", "neptune", "comet_ml", "clearml")  # these log the git commit
    git_sha = ix.string_args(_GIT_TAG_CALLS, _GIT_WORD) + ix.markers("git-sha", paths=ix.source_paths)
    seed = ix.string_args((".log_param", ".log_params", ".set_tag", "wandb.config.update"), _SEED_WORD)
    missing = [label for label, ok in (("parameters", params), ("metrics", metrics),
                                        ("the git SHA", git_sha or autocapture), ("the seed", seed)) if not ok]
    found = tracker[:2] + params[:1] + metrics[:1] + git_sha[:1] + seed[:1]
    if not missing:
        note = "" if git_sha else " (the git commit is captured by the tracker itself when runs start in a git checkout)"
        return check("R-TRACE-02", title, PASS, found, "Parameters, metrics, code version and seed are logged" + note + ".")
    status = PARTIAL if params or metrics else FAIL
    return check("R-TRACE-02", title, status, found,
                 f"A tracker is used but does not record {', '.join(missing)}: log them with the run "
                 "(`mlflow.log_params(config)`, `mlflow.log_metric(...)`, `mlflow.set_tag('git_commit', sha)`, "
                 "`mlflow.log_param('seed', seed)`).")


def model_registry(ix: Index) -> Check:
    title = "Models are registered with lineage (a model registry, or models logged to the tracker)"
    registered = ix.calls(*MODEL_REGISTRY_CALLS) + ix.kwargs("registered_model_name")
    registered += [ev for ev, _ in ix.uris(re.compile(r"^models:/"))]
    if registered:
        return check("R-TRACE-03", title, PASS, registered, "Models are registered in a model registry.")
    logged = ix.calls(".log_model", "wandb.log_artifact", ".log_artifact", "wandb.Artifact") + \
        ix.kwargs("save_artifact", "log_model", "log_checkpoints")
    if logged:
        return check("R-TRACE-03", title, PARTIAL, logged,
                     "Models are logged to the tracker but never registered: register them "
                     "(`mlflow.register_model` or `log_model(..., registered_model_name=...)`) so each deployed "
                     "version links back to its run.")
    return check("R-TRACE-03", title, FAIL, (),
                 "Models are plain files with no link to the run that produced them: log them to the tracker and "
                 "register them in a model registry (MLflow, W&B, SageMaker, Vertex AI).")


def config_as_code(ix: Index) -> Check:
    title = "Training configuration is code or config files, not values in comments"
    configs = [ev for ev in ix.files(_CONFIG_PATH) if ix.project.files[ev.path].kind == CONFIG]
    libs = ix.imports(*_CONFIG_LIBS, paths=ix.source_paths)
    if configs and (libs or ix.calls("yaml.safe_load", "json.load", "hydra.main")):
        return check("R-TRACE-04", title, PASS, configs[:3] + libs[:2], "Training is configured from versioned files.")
    if configs or libs or ix.imports("hydra", "omegaconf"):
        return check("R-TRACE-04", title, PASS if ix.imports("hydra", "omegaconf") else PARTIAL, configs + libs,
                     "Config files exist but are not clearly loaded by the training code: load them "
                     "(`yaml.safe_load`, Hydra, OmegaConf) and log the resolved config with the run.")
    cli = ix.imports(*_CLI_LIBS, paths=ix.pipeline_paths or ix.source_paths)
    if cli:
        return check("R-TRACE-04", title, PARTIAL, cli,
                     "Hyperparameters come only from command-line flags, so a run is reproducible only if someone "
                     "wrote the command down: keep them in a config file in the repository and log it.")
    return check("R-TRACE-04", title, FAIL, (),
                 "No training configuration found: move hyperparameters, data paths and versions into a config "
                 "file (YAML, Hydra) checked into the repository instead of constants and comments.")


CHECKS = (data_versioning, experiment_tracking, model_registry, config_as_code)
