"""What training is, by path and by command, in one place for the rules and the readiness checks.

Where training starts (``TRAINING_ENTRY``: the skew rule's training side) is narrower than what
counts as training code (``TRAINING_MODULE``: readiness, with the orchestrators of
``PIPELINE_LIBS``). A training command is how a repository starts training (``python train.py``,
``dvc repro``, ``make train``, ``kedro run``...), in a Makefile target, a CI job, a script or a doc.
"""

from __future__ import annotations

import re

# Where training starts, by path: a path part that is a training word followed by a separator or
# the end ("train.py", "training/loop.py", "fit_model.py"; not "trainer.py" or "constraints.py").
# The training-serving skew rule roots its training side here.
TRAINING_ENTRY = re.compile(r"(^|[/_])(train|training|fit)([/_.]|$)")
# A module about training or a pipeline, by its file name ("train_utils.py", "trainer.py",
# "retrain_job.py", "pipeline.py") or a folder named train*: what the readiness checks read as
# training code when it imports no orchestrator.
TRAINING_MODULE = re.compile(r"(^|[/_])(train|training|fit|retrain|pipeline)s?[^/]*\.py$|(^|/)train[^/]*/")
# Orchestrators whose import makes a module a pipeline definition.
PIPELINE_LIBS = ("airflow", "prefect", "dagster", "kedro", "zenml", "metaflow", "kfp", "luigi", "flytekit",
                 "sagemaker.workflow", "azure.ai.ml", "azureml.pipeline", "google.cloud.aiplatform", "mlflow.projects")

# A Makefile target that trains.
TRAIN_TARGET = re.compile(r"^(train|retrain|training|pipeline|repro|all)\s*:", re.M)
# A command that starts training. `(?<!\S)`: a `*train*.sh` word is tried from its first character
# only. Without it the regex engine retried `\S*train` from every character of every word (a third
# of the readiness time on a docs-heavy repository); the first match of each file is the same.
TRAIN_COMMAND = re.compile(r"(python3?[ \t]+(-m[ \t]+)?\S*(train|pipeline)\S*|dvc\s+repro|mlflow\s+run|kedro\s+run|make[ \t]+(re)?train\b"
                           r"|(?<!\S)\S*train\S*\.sh|zenml\s+pipeline\s+run|metaflow|sagemaker\S*pipeline)", re.I)

# A CI or build step that retrains or launches an ML pipeline (a GitHub workflow, a Cloud Build
# step): narrower than TRAIN_COMMAND, because a CI file mentions tools it only installs
# (`pip install metaflow`), and a CML step that only comments metrics (`cml comment`) trains nothing.
RETRAIN_STEP = re.compile(r"\bdvc\s+(repro|exp\s+run)\b|\bcml\s+runner\b|\bpython3?\s+(-m\s+)?\S*train\w*(\.py)?\b|"
                          r"\bkfp\s+(run|pipeline)|run_pipeline|dsl-compile|\btfx\s+(pipeline|run)\b|"
                          r"gcloud\s+(beta\s+)?ai\s+custom-jobs\s+create|gcloud\s+ai-platform\s+jobs\s+submit|"
                          r"az\s+ml\s+job\s+create")


def is_training_entry(path: str) -> bool:
    return bool(TRAINING_ENTRY.search(path.lower()))


def is_training_module(path: str) -> bool:
    return bool(TRAINING_MODULE.search(path.lower()))
