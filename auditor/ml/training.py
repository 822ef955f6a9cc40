"""What training is, by path and by command: one definition for the rules and the readiness checks.

A training module is named for it (``train.py``, ``training/``, ``trainer.py``, ``retrain_job.py``,
``fit_model.py``); a training pipeline is a module that imports an orchestrator (``PIPELINE_LIBS``)
or is named ``pipeline``. A training command is how a repository starts one (``python train.py``,
``dvc repro``, ``make train``, ``kedro run``...), in a Makefile target, a CI job, a script or a doc.
"""

from __future__ import annotations

import re

# The path of a training script or package: a path part that is (or starts or ends with) one of
# the training words, followed by a separator or the end ("train_utils.py", "model_trainer.py",
# "training/loop.py"; not "constraints.py" or "fitness.py").
TRAINING_PATH = re.compile(r"(^|[/_])(train|training|retrain|fit)(s|er|ers)?([/_.]|$)")
# A training pipeline's module by name ("pipeline.py", "train_pipeline.py", "pipelines/daily.py").
PIPELINE_PATH = re.compile(r"(^|[/_])pipelines?([/_.]|$)")
# Orchestrators whose import makes a module a pipeline definition.
PIPELINE_LIBS = ("airflow", "prefect", "dagster", "kedro", "zenml", "metaflow", "kfp", "luigi", "flytekit",
                 "sagemaker.workflow", "azure.ai.ml", "azureml.pipeline", "google.cloud.aiplatform", "mlflow.projects")

# A Makefile target that trains.
TRAIN_TARGET = re.compile(r"^(train|retrain|training|pipeline|repro|all)\s*:", re.M)
# A command that starts training. `(?<!\S)`: a `*train*.sh` word is tried from its first character
# only. Without it the regex engine retried `\S*train` from every character of every word (a third
# of the readiness time on a docs-heavy repository); the first match of each file is the same.
TRAIN_COMMAND = re.compile(r"(python3?\s+(-m\s+)?\S*(train|pipeline)\S*|dvc\s+repro|mlflow\s+run|kedro\s+run|make\s+train"
                           r"|(?<!\S)\S*train\S*\.sh|zenml\s+pipeline\s+run|metaflow|sagemaker\S*pipeline)", re.I)


def is_training_path(path: str) -> bool:
    """The file is a training script or lies in a training package, by its path."""
    return bool(TRAINING_PATH.search(path.lower()))
