"""Experiment tracking: the libraries that record a run, and the calls that log its parameters and
metrics or register a model. Read by the readiness checks (traceability) and the seed rules (a
tracker given a whole config records the seed in it)."""

from __future__ import annotations

from auditor.ml.models import TREE_TRAINERS

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
                     ".add_version_aliases")

# The libraries whose objects have each method entry above (a name starting with a dot). A method
# counts only on such an object: a call resolved under one of them (`mlflow.sklearn.autolog`), or a
# method called in a module that imports one (`client.log_param(...)` beside `import mlflow`); so
# `dataset.push_to_hub(...)` of a data-only module or a project's own `self.log_params(...)` is no tracker's.
_LIGHTNING = ("pytorch_lightning", "lightning")
_SAGEMAKER = ("sagemaker", "boto3", "botocore")
METHOD_OWNERS: dict[str, tuple[str, ...]] = {
    ".log_param": ("mlflow", "dvclive"), ".log_params": ("mlflow", "dvclive"), ".log_hyperparams": _LIGHTNING,
    ".autolog": ("mlflow",), ".set_hyperparameters": ("sagemaker",),
    ".log_metric": ("mlflow", "dvclive", "comet_ml", "neptune"),
    ".log_metrics": ("mlflow", "comet_ml", "ray", *_LIGHTNING), ".report_scalar": ("clearml",),
    ".register_model": ("mlflow", "azureml"), ".create_model_version": ("mlflow",),
    ".create_registered_model": ("mlflow",), ".set_registered_model_alias": ("mlflow",),
    ".transition_model_version_stage": ("mlflow",), ".link_model": ("wandb",), ".link_artifact": ("wandb",),
    ".create_model_package": _SAGEMAKER, ".update_model_package": _SAGEMAKER,
    ".push_to_hub": ("transformers", "huggingface_hub", "diffusers", "sentence_transformers", "timm", "peft", "setfit"),
    ".add_version_aliases": ("google.cloud.aiplatform",),
    ".log_config": ("torchtune",),  # torchtune's metric loggers (MLFlowLogger, WandBLogger) record the run's config
    ".MLflowLoggerCallback": ("ray",), ".WandbLoggerCallback": ("ray",), ".MLFlowLogger": (*_LIGHTNING, "torchtune"),
    ".WandbLogger": (*_LIGHTNING, "wandb"), ".WandbCallback": ("transformers", "wandb"),
    ".MLflowCallback": ("transformers",), ".NeptuneLogger": (*_LIGHTNING, "neptune"),
    ".CometLogger": (*_LIGHTNING, "comet_ml"),
}

# Each entry of the tables above with a module in which it counts and one in which it does not
# (tests/test_readiness_truth.py scans them): what a reader of the table can check an entry against.
_MLFLOW_CLIENT = "from mlflow import MlflowClient\nclient = MlflowClient()\n"
_SM_CLIENT = "import boto3\nsm = boto3.client('sagemaker')\n"
TRACKING_EXAMPLES: dict[str, tuple[str, str]] = {
    # trackers, by import
    "mlflow": ("import mlflow\n", "import mlflow_helpers\n"),
    "wandb": ("import wandb\n", "import wandb_addons_of_ours\n"),
    "neptune": ("import neptune\n", "import neptune_plots\n"),
    "comet_ml": ("from comet_ml import Experiment\n", "import comet\n"),
    "clearml": ("from clearml import Task\n", "import clear\n"),
    "aim": ("from aim import Run\n", "import aimet\n"),
    "dvclive": ("from dvclive import Live\n", "import dvc.api\n"),
    "sagemaker.experiments": ("from sagemaker.experiments import Run\n", "from sagemaker.estimator import Estimator\n"),
    "azureml.core.Run": ("from azureml.core import Run\n", "from azureml.core import Workspace\n"),
    "azure.ai.ml": ("from azure.ai.ml import MLClient\n", "from azure.identity import DefaultAzureCredential\n"),
    "ray.air.integrations.mlflow": ("from ray.air.integrations.mlflow import setup_mlflow\n", "from ray import tune\n"),
    "ray.air.integrations.wandb": ("from ray.air.integrations.wandb import setup_wandb\n", "from ray.air import session\n"),
    "ray.tune.integration.mlflow": ("from ray.tune.integration.mlflow import mlflow_mixin\n", "from ray.tune import run\n"),
    "ray.tune.integration.wandb": ("from ray.tune.integration.wandb import wandb_mixin\n",
                                   "from ray.tune.schedulers import ASHAScheduler\n"),
    "pytorch_lightning.loggers": ("from pytorch_lightning.loggers import MLFlowLogger\n",
                                  "from pytorch_lightning import Trainer\n"),
    "lightning.pytorch.loggers": ("from lightning.pytorch.loggers import WandbLogger\n",
                                  "from lightning.pytorch import Trainer\n"),
    "transformers.integrations.WandbCallback": ("from transformers.integrations import WandbCallback\n",
                                                "from transformers.integrations import HfDeepSpeedConfig\n"),
    "transformers.integrations.MLflowCallback": ("from transformers.integrations import MLflowCallback\n",
                                                 "from transformers import TrainerCallback\n"),
    "transformers.integrations.NeptuneCallback": ("from transformers.integrations import NeptuneCallback\n",
                                                  "from transformers import EarlyStoppingCallback\n"),
    "transformers.integrations.CometCallback": ("from transformers.integrations import CometCallback\n",
                                                "from transformers import PrinterCallback\n"),
    "transformers.integrations.ClearMLCallback": ("from transformers.integrations import ClearMLCallback\n",
                                                  "from transformers import ProgressCallback\n"),
    "transformers.integrations.DVCLiveCallback": ("from transformers.integrations import DVCLiveCallback\n",
                                                  "from transformers import DefaultFlowCallback\n"),
    # parameters
    ".log_param": ("import mlflow\nmlflow.log_param('seed', 3)\n", "import logging\nrun.log_param('seed', 3)\n"),
    ".log_params": ("from dvclive import Live\nlive = Live()\nlive.log_params(cfg)\n",
                    "from .tools import Recorder\nRecorder().log_params(cfg)\n"),
    ".log_hyperparams": ("import pytorch_lightning as pl\nclass M(pl.LightningModule):\n"
                         "    def setup(self, stage):\n        self.logger.log_hyperparams(self.hparams)\n",
                         "class Report:\n    def done(self):\n        self.log_hyperparams({})\n"),
    "wandb.config.update": ("import wandb\nwandb.config.update(cfg)\n", "import wandb\nsettings.config.update(cfg)\n"),
    ".autolog": ("import mlflow\nmlflow.sklearn.autolog()\n", "from mytools import audit\naudit.autolog()\n"),
    ".set_hyperparameters": ("from sagemaker.estimator import Estimator\nest = Estimator(image_uri=i, role=r)\n"
                             "est.set_hyperparameters(epochs=3)\n", "net.set_hyperparameters(epochs=3)\n"),
    ".log_config": ("from torchtune.training.metric_logging import MLFlowLogger\nlogger = MLFlowLogger()\n"
                    "logger.log_config(cfg)\n", "from sciutils import log_config\nlog_config('logs/')\n"),
    # metrics
    ".log_metric": ("from comet_ml import Experiment\nexp = Experiment()\nexp.log_metric('auc', 0.9)\n",
                    "import statsd\nstats.log_metric('latency', 3)\n"),
    ".log_metrics": ("import mlflow\nmlflow.log_metrics({'auc': 0.9})\n", "import prometheus_client\n"
                     "collector.log_metrics({'rps': 3})\n"),
    "wandb.log": ("import wandb\nwandb.log({'loss': 0.1})\n", "import wandb\nlogging.log(20, 'loss')\n"),
    ".report_scalar": ("from clearml import Logger\nLogger.current_logger().report_scalar('loss', 'train', 0.1, 1)\n",
                       "board.report_scalar('loss', 0.1)\n"),
    # logger callbacks
    ".MLflowLoggerCallback": ("from ray.air.integrations.mlflow import MLflowLoggerCallback\ncb = MLflowLoggerCallback()\n",
                              "from .callbacks import MLflowLoggerCallback\ncb = MLflowLoggerCallback()\n"),
    ".WandbLoggerCallback": ("from ray.air.integrations.wandb import WandbLoggerCallback\ncb = WandbLoggerCallback()\n",
                             "from .callbacks import WandbLoggerCallback\ncb = WandbLoggerCallback()\n"),
    ".MLFlowLogger": ("from pytorch_lightning.loggers import MLFlowLogger\nlogger = MLFlowLogger()\n",
                      "from .log import MLFlowLogger\nlogger = MLFlowLogger()\n"),
    ".WandbLogger": ("from lightning.pytorch.loggers import WandbLogger\nlogger = WandbLogger()\n",
                     "from .log import WandbLogger\nlogger = WandbLogger()\n"),
    ".WandbCallback": ("from wandb.integration.keras import WandbCallback\ncb = WandbCallback()\n",
                       "from .callbacks import WandbCallback\ncb = WandbCallback()\n"),
    ".MLflowCallback": ("from transformers.integrations import MLflowCallback\ncb = MLflowCallback()\n",
                        "from .callbacks import MLflowCallback\ncb = MLflowCallback()\n"),
    ".NeptuneLogger": ("from pytorch_lightning.loggers import NeptuneLogger\nlogger = NeptuneLogger()\n",
                       "from .log import NeptuneLogger\nlogger = NeptuneLogger()\n"),
    ".CometLogger": ("from pytorch_lightning.loggers import CometLogger\nlogger = CometLogger()\n",
                     "from .log import CometLogger\nlogger = CometLogger()\n"),
    # registry and aliases
    "mlflow.register_model": ("import mlflow\nmlflow.register_model('runs:/1/model', 'churn')\n",
                              "import mlflow\nmlflow.log_artifact('model.pkl')\n"),
    ".register_model": (_MLFLOW_CLIENT + "client.register_model('churn')\n",
                        "from .hub import Hub\nHub().register_model('churn')\n"),
    "azureml.core.Model.register": ("from azureml.core import Model\nModel.register(ws, model_path='m.pkl', model_name='c')\n",
                                    "from azureml.core import Workspace\nWorkspace.get('ws')\n"),
    "azureml.core.model.Model.register": ("from azureml.core.model import Model\nModel.register(ws, 'm.pkl', 'c')\n",
                                          "from azureml.core.model import Model\nModel.list(ws)\n"),
    ".create_model_version": (_MLFLOW_CLIENT + "client.create_model_version('churn', src, run_id)\n",
                              "versions.create_model_version('churn')\n"),
    ".create_registered_model": (_MLFLOW_CLIENT + "client.create_registered_model('churn')\n",
                                 "db.create_registered_model('churn')\n"),
    ".set_registered_model_alias": (_MLFLOW_CLIENT + "client.set_registered_model_alias('churn', 'champion', 3)\n",
                                    "store.set_registered_model_alias('churn', 'champion', 3)\n"),
    ".transition_model_version_stage": (_MLFLOW_CLIENT + "client.transition_model_version_stage('churn', 3, 'Production')\n",
                                        "board.transition_model_version_stage('churn', 3, 'Production')\n"),
    ".link_model": ("import wandb\nrun = wandb.init()\nrun.link_model('model.pt', 'churn')\n",
                    "graph.link_model('a', 'b')\n"),
    ".link_artifact": ("import wandb\nrun = wandb.init()\nrun.link_artifact(art, 'model-registry/churn')\n",
                       "docs.link_artifact('a')\n"),
    ".create_model_package": (_SM_CLIENT + "sm.create_model_package(ModelPackageGroupName='churn')\n",
                              "packager.create_model_package('churn')\n"),
    "sagemaker.workflow.step_collections.RegisterModel": (
        "from sagemaker.workflow.step_collections import RegisterModel\nstep = RegisterModel(name='r')\n",
        "from sagemaker.workflow.steps import TrainingStep\nstep = TrainingStep(name='t')\n"),
    "google.cloud.aiplatform.Model.upload": ("from google.cloud import aiplatform\naiplatform.Model.upload(display_name='m')\n",
                                             "from google.cloud import storage\nstorage.Client().bucket('b')\n"),
    "bentoml.models.create": ("import bentoml\nwith bentoml.models.create('churn') as m:\n    pass\n",
                              "import bentoml\nbentoml.models.get('churn:latest')\n"),
    ".push_to_hub": ("from transformers import AutoModel\nmodel = AutoModel.from_pretrained('x')\nmodel.push_to_hub('org/m')\n",
                     "from datasets import load_dataset\nds = load_dataset('csv', data_files='a.csv')\nds.push_to_hub('org/d')\n"),
    ".add_version_aliases": ("from google.cloud import aiplatform\nregistry = aiplatform.models.ModelRegistry(m)\n"
                             "registry.add_version_aliases(['champion'], '3')\n", "tags.add_version_aliases(['v3'])\n"),
    ".update_model_package": (_SM_CLIENT + "sm.update_model_package(ModelPackageArn=a, ModelApprovalStatus='Approved')\n",
                              "repo.update_model_package('churn')\n"),
}


# --- lineage of orchestrated assets -------------------------------------------------------------
# Dagster records every materialization of an asset (the run, the code version, the upstream
# assets), and the asset's IO manager stores what the asset returns. An asset that trains a model
# and returns it, stored by an IO manager that pickles any object to object storage, is a model
# logged with its lineage (traceability). It is not a kept version: these IO managers write each
# asset to one path, and "subsequent materializations of an asset will overwrite previous
# materializations" (dagster-aws docs, S3PickleIOManager), so rollback cannot reach the last one.
#   counts:      "model_io_manager": S3PickleIOManager(s3_bucket="models", ...)
#                @asset(io_manager_key="model_io_manager") def churn_model(...): return LogisticRegression().fit(X, y)
#   not counted: "model_io_manager": FilesystemIOManager()   (the local disk of the run that made it)
#   not counted: the same key on an asset that returns a data frame (no model is trained in it)
# Class -> where it keeps the object; keyed by the class name under its integration package.
DAGSTER_IO_MANAGER_PACKAGES = ("dagster_aws", "dagster_gcp", "dagster_azure")
DAGSTER_MODEL_IO_MANAGERS = {
    "S3PickleIOManager": "S3", "ConfigurablePickledObjectS3IOManager": "S3", "s3_pickle_io_manager": "S3",
    "GCSPickleIOManager": "GCS", "ConfigurablePickledObjectGCSIOManager": "GCS", "gcs_pickle_io_manager": "GCS",
    "ADLS2PickleIOManager": "ADLS", "ConfigurablePickledObjectADLS2IOManager": "ADLS",
    "adls2_pickle_io_manager": "ADLS",
}
# IO managers of dagster itself that keep objects on the local disk of the run: known, not counted.
DAGSTER_LOCAL_IO_MANAGERS = ("dagster.FilesystemIOManager", "dagster.fs_io_manager", "dagster.InMemoryIOManager",
                             "dagster.mem_io_manager")
DAGSTER_ASSET_DECORATORS = ("dagster.asset",)
# Calls in an asset's body that fit a model it can return (besides auditor/ml/models.py's FIT_METHODS).
FIT_CALLS = frozenset({"scipy.optimize.curve_fit", *TREE_TRAINERS})


def dagster_io_manager_store(qualified: str) -> str | None:
    """Where a Dagster IO manager class (a call's qualified name) keeps what an asset returns:
    "S3", "GCS", "ADLS" for the object-storage pickle IO managers, "local" for dagster's own, else None."""
    if qualified in DAGSTER_LOCAL_IO_MANAGERS:
        return "local"
    package, _, name = qualified.partition(".")
    if package in DAGSTER_IO_MANAGER_PACKAGES:
        return DAGSTER_MODEL_IO_MANAGERS.get(name.rsplit(".", 1)[-1])
    return None


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
