"""Experiment tracking: the libraries that record a run, and the calls that log its parameters and
metrics or register a model. Read by the readiness checks (traceability) and the seed rules (a
tracker given a whole config records the seed in it)."""

from __future__ import annotations

# Libraries and integrations that record a training run (parameters, metrics, the code version).
EXPERIMENT_TRACKERS = ("mlflow", "wandb", "neptune", "comet_ml", "clearml", "aim", "dvclive", "sagemaker.experiments",
                       "azureml.core.Run", "azure.ai.ml", "ray.air.integrations.mlflow", "ray.air.integrations.wandb",
                       "ray.tune.integration.mlflow", "ray.tune.integration.wandb", "pytorch_lightning.loggers",
                       "lightning.pytorch.loggers", "transformers.integrations.WandbCallback",
                       "transformers.integrations.MLflowCallback", "transformers.integrations.NeptuneCallback",
                       "transformers.integrations.CometCallback", "transformers.integrations.ClearMLCallback",
                       "transformers.integrations.DVCLiveCallback")
# Top-level packages whose runs keep the whole configuration they were given, so a seed in it is
# recorded: the trackers that are packages of their own, TensorBoard's writer, and Hydra (it saves
# the composed config of every run).
RUN_RECORDERS = frozenset({t for t in EXPERIMENT_TRACKERS if "." not in t} | {"tensorboardX", "hydra"})
# Logger callbacks of training frameworks log the run's config and every reported metric themselves.
LOGGER_CALLBACKS = (".MLflowLoggerCallback", ".WandbLoggerCallback", ".MLFlowLogger", ".WandbLogger",
                    ".WandbCallback", ".MLflowCallback", ".NeptuneLogger", ".CometLogger")
# Calls (qualified, or ".method" on any object) that log parameters, and metrics.
PARAM_LOGGING_CALLS = (".log_param", ".log_params", ".log_hyperparams", "wandb.config.update", ".autolog",
                       ".set_hyperparameters")
METRIC_LOGGING_CALLS = (".log_metric", ".log_metrics", "wandb.log", ".autolog", ".report_scalar")
# Calls that put a model in a registry (a version with a name that a deployment can point at).
MODEL_REGISTRY_CALLS = ("mlflow.register_model", ".register_model", "azureml.core.Model.register",
                        "azureml.core.model.Model.register", ".create_model_version", ".create_registered_model",
                        ".set_registered_model_alias", ".transition_model_version_stage", ".link_model",
                        ".link_artifact", ".create_model_package", "sagemaker.workflow.step_collections.RegisterModel",
                        "google.cloud.aiplatform.Model.upload", "bentoml.models.create", ".push_to_hub",
                        ".add_version_aliases")
# Calls that log a run's configuration through a logger (`logger.log_config(cfg)`).
CONFIG_LOGGING_CALLS = (".log_config",)
# Calls that point a name at a registered version (an alias, a stage, an approval status), so that a
# deployment follows the name and a rollback moves it.
MODEL_ALIAS_CALLS = (".set_registered_model_alias", ".transition_model_version_stage", ".update_model_package",
                     ".add_version_aliases", ".set_model_version_alias")


# --- evaluation metrics as documents and metrics files name them -----------------------------------

# Spellings of the common evaluation metrics (lower case, without spaces, dashes or underscores),
# each to one name: what a model card's table and a metrics file (metrics.json, dvc metrics, a
# dvclive summary) are compared by.
METRIC_SPELLINGS = {
    "accuracy": "accuracy", "acc": "accuracy", "f1": "f1", "f1score": "f1", "fscore": "f1",
    "precision": "precision", "recall": "recall", "auc": "roc_auc", "rocauc": "roc_auc", "aucroc": "roc_auc",
    "prauc": "pr_auc", "averageprecision": "pr_auc", "rmse": "rmse", "mae": "mae", "mse": "mse", "r2": "r2",
    "logloss": "log_loss", "mape": "mape",
}
# Files a pipeline writes its evaluation to, by name (dvc.yaml `metrics:` outputs are added to these);
# eval_results.json, test_results.json and all_results.json are what Hugging Face's Trainer.save_metrics writes.
METRICS_FILE_NAMES = frozenset({"metrics.json", "scores.json", "evaluation.json", "eval_metrics.json",
                                "eval_results.json", "test_results.json", "all_results.json"})
# The held-out split a metrics file's key may start with (the Trainer's eval_accuracy, test_f1)
_HELD_OUT_PREFIXES = ("validation", "valid", "eval", "test", "val")


def metric_name(text: str) -> str | None:
    """The metric a column, row or key names (``F1-score`` -> ``f1``), or None."""
    key = "".join(ch for ch in text.lower() if ch.isalnum())
    return METRIC_SPELLINGS.get(key)


def metrics_file_metric(key: str) -> str | None:
    """The metric a metrics file's key names, with a held-out split's prefix (``eval_accuracy`` ->
    ``accuracy``); a card's "Validation accuracy" is not read this way: it may not be the file's split."""
    name = metric_name(key)
    if name is not None:
        return name
    split = next((prefix for prefix in _HELD_OUT_PREFIXES if key.lower().startswith(prefix)), None)
    return metric_name(key[len(split):]) if split else None
