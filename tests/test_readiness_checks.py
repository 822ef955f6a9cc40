"""Each readiness check passes, partly passes and fails on small repositories built on the fly."""

import pytest

from auditor.testing import make_repo, scan_repo


def readiness(tmp_path, files, config=None, ages=None):
    root = make_repo(tmp_path / "repo", files, ages)
    result = scan_repo(root, config)
    assert not [e for e in result.errors if e["rule"] == "readiness"], result.errors
    return result.readiness


def check(result, check_id):
    for dim in result["dimensions"].values():
        for c in dim["checks"]:
            if c["id"] == check_id:
                return c
    raise KeyError(check_id)


EMPTY = {"README.md": "# nothing here\n"}

CASES = [
    # (check, expected status, files)
    ("R-TRACE-01", "pass", {"dvc.yaml": "stages:\n  prep:\n    cmd: python prep.py\n    outs: [data/clean.csv]\n"}),
    ("R-TRACE-01", "pass", {"configs/train.yaml": "data:\n  table: events\n  snapshot_date: '2026-01-31'\n"}),
    ("R-TRACE-01", "pass", {"etl.py": "df = spark.read.format('delta').option('versionAsOf', 3).load(p)\n"}),
    ("R-TRACE-01", "partial", {"train.py": "import wandb\nrun = wandb.init()\ndata = run.use_artifact('ds')\n"}),
    ("R-TRACE-01", "fail", {"train.py": "import pandas as pd\ndf = pd.read_csv('data.csv')\n",
                            "configs/train.yaml": "lr: 0.1\n"}),
    ("R-TRACE-02", "pass", {"train.py": "import mlflow\nmlflow.log_params(cfg)\nmlflow.log_metric('auc', 1)\n"
                                        "mlflow.log_param('seed', 42)\nmlflow.set_tag('git_commit', sha)\n"}),
    ("R-TRACE-02", "partial", {"train.py": "import mlflow\nmlflow.log_params(cfg)\nmlflow.log_metric('auc', 1)\n"}),
    ("R-TRACE-02", "fail", {"train.py": "import pandas\nprint('auc', 0.9)\n"}),
    ("R-TRACE-03", "pass", {"train.py": "import mlflow\nmlflow.sklearn.log_model(m, 'model', "
                                        "registered_model_name='churn')\n"}),
    ("R-TRACE-03", "pass", {"promote.py": "from mlflow.tracking import MlflowClient\n"
                                          "MlflowClient().create_model_version('churn', src, run_id)\n"}),
    ("R-TRACE-03", "partial", {"train.py": "import mlflow\nmlflow.sklearn.log_model(m, 'model')\n"}),
    ("R-TRACE-03", "fail", {"train.py": "import joblib\njoblib.dump(m, 'model.joblib')\n"}),
    ("R-TRACE-04", "pass", {"configs/train.yaml": "lr: 0.1\n", "train.py": "import yaml\nc = yaml.safe_load(f)\n"}),
    ("R-TRACE-04", "partial", {"train.py": "import argparse\np = argparse.ArgumentParser()\n"}),
    ("R-TRACE-04", "fail", {"train.py": "LR = 0.1  # was 0.3 in v2\n"}),
    ("R-REPRO-01", "pass", {"train.py": "import numpy as np\nnp.random.seed(0)\n"}),
    ("R-REPRO-01", "fail", EMPTY),
    ("R-REPRO-02", "pass", {"requirements.txt": "numpy==1.26.4\npandas==2.2.1  # data\n"}),
    ("R-REPRO-02", "pass", {"uv.lock": "version = 1\n", "pyproject.toml": "[project]\nname = 'x'\n"}),
    ("R-REPRO-02", "partial", {"requirements.txt": "numpy==1.26.4\npandas\n"}),
    ("R-REPRO-02", "fail", {"requirements.txt": "numpy\npandas>=2\n"}),
    ("R-REPRO-02", "fail", EMPTY),
    ("R-REPRO-03", "pass", {"Dockerfile": "FROM python:3.11.9-slim AS build\nFROM build\nRUN true\n"}),
    ("R-REPRO-03", "pass", {"environment.yml": "dependencies:\n  - python=3.11\n"}),
    ("R-REPRO-03", "partial", {"Dockerfile": "FROM python:latest\n"}),
    ("R-REPRO-03", "fail", EMPTY),
    ("R-REPRO-04", "pass", {"Makefile": "train:\n\tpython -m pkg.train\n"}),
    ("R-REPRO-04", "pass", {"dvc.yaml": "stages: {}\n"}),
    ("R-REPRO-04", "partial", {"src/train.py": "def main():\n    pass\n\nif __name__ == '__main__':\n    main()\n"}),
    ("R-REPRO-04", "fail", EMPTY),
    ("R-ROLL-01", "pass", {"train.py": "import mlflow\nmlflow.sklearn.log_model(model, 'model')\n"}),
    ("R-ROLL-01", "partial", {"train.py": "import joblib\njoblib.dump(model, f'models/model-{version}.joblib')\n"}),
    ("R-ROLL-01", "fail", {"train.py": "import joblib\nMODEL = 'models/model.joblib'\njoblib.dump(model, MODEL)\n"}),
    ("R-ROLL-01", "fail", {"train.py": "import pickle\nwith open('models/m.pkl', 'wb') as h:\n"
                                       "    pickle.dump(model, h)\n"}),
    ("R-ROLL-01", "partial", {"train.py": "import joblib\njoblib.dump(model, 'models/model.joblib')\n",
                              "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    outs:\n"
                                          "      - models/model.joblib\n"}),
    ("R-ROLL-02", "pass", {"promote.py": "import mlflow\nfrom mlflow import MlflowClient\n"
                                         "v = mlflow.register_model(uri, 'churn')\n"
                                         "MlflowClient().set_registered_model_alias('churn', 'champion', v.version)\n"}),
    ("R-ROLL-02", "partial", {"promote.py": "import mlflow\nmlflow.register_model(uri, 'churn')\n"}),
    ("R-ROLL-02", "fail", EMPTY),
    ("R-ROLL-03", "pass", {"serve.py": "import mlflow\nfrom fastapi import FastAPI\n"
                                       "model = mlflow.pyfunc.load_model('models:/churn@champion')\n"}),
    ("R-ROLL-03", "pass", {"k8s/isvc.yaml": "kind: InferenceService\nspec:\n  predictor:\n"
                                            "    storageUri: gs://models/churn/v12\n"}),
    ("R-ROLL-03", "fail", {"serve.py": "import mlflow\nfrom fastapi import FastAPI\n"
                                       "model = mlflow.pyfunc.load_model('models:/churn/latest')\n"}),
    ("R-ROLL-03", "fail", {"serve.py": "import glob, os, joblib\nfrom flask import Flask\n"
                                       "path = max(glob.glob('models/*.joblib'), key=os.path.getmtime)\n"
                                       "model = joblib.load(path)\n"}),
    ("R-ROLL-03", "partial", {"serve.py": "import joblib\nfrom fastapi import FastAPI\n"
                                          "model = joblib.load('models/model.joblib')\n"}),
    ("R-ROLL-03", "fail", EMPTY),
    ("R-ROLL-04", "pass", {".github/workflows/deploy.yml": "on: [push]\njobs:\n  ship:\n    runs-on: x\n    steps:\n"
                                                          "      - run: helm upgrade churn ./chart\n"}),
    ("R-ROLL-04", "partial", {"scripts/release.sh": "#!/bin/sh\nkubectl apply -f k8s/\n"}),
    ("R-ROLL-04", "fail", {".github/workflows/docs.yml": "jobs:\n  docs:\n    steps:\n      - run: mkdocs gh-deploy\n"}),
    ("R-ROLL-05", "pass", {"README.md": "# Churn\n\n## Rollback\n\nSet the alias back.\n"}),
    ("R-ROLL-05", "pass", {"infra/endpoint.yaml": "DeploymentConfig:\n  AutoRollbackConfiguration:\n    Alarms: []\n"}),
    ("R-ROLL-05", "partial", {"README.md": "# Churn\n\nWe can roll back if needed.\n"}),
    ("R-ROLL-05", "fail", EMPTY),
    ("R-MON-01", "pass", {"serve.py": "import structlog\nfrom fastapi import FastAPI\nlog = structlog.get_logger()\n"}),
    ("R-MON-01", "partial", {"serve.py": "import logging\nfrom fastapi import FastAPI\n"}),
    ("R-MON-01", "fail", {"serve.py": "from fastapi import FastAPI\nprint('up')\n"}),
    ("R-MON-02", "pass", {"serve.py": "from prometheus_client import Histogram\nLATENCY = Histogram('lat', 'x')\n"}),
    ("R-MON-02", "partial", {"serve.py": "from prometheus_client import Counter\nREQS = Counter('reqs', 'x')\n"}),
    ("R-MON-02", "fail", {"Dockerfile": "FROM python:3.11\nRUN pip install prometheus-client\n"}),
    ("R-MON-03", "pass", {"monitor.py": "from evidently.report import Report\n"}),
    ("R-MON-03", "partial", {"monitor.py": "from scipy.stats import ks_2samp\nks_2samp(a, b)\n"}),
    ("R-MON-03", "fail", EMPTY),
    ("R-MON-04", "pass", {"checks.py": "import pandera as pa\n"}),
    ("R-MON-04", "partial", {"serve.py": "from pydantic import BaseModel\nclass Row(BaseModel):\n    x: int\n"}),
    ("R-MON-04", "fail", EMPTY),
    ("R-MON-05", "pass", {"evaluate.py": "from snorkel.slicing import slicing_function\n"}),
    ("R-MON-05", "pass", {"evaluate.py": "def per_segment_metrics(df):\n    return df.groupby('plan').mean()\n"}),
    ("R-MON-05", "fail", {"evaluate.py": "from sklearn.metrics import f1_score\nf1_score(y, p)\n"}),
    ("R-MON-06", "pass", {"monitoring/alerts.yaml": "groups:\n  - name: churn\n    rules:\n"
                                                    "      - alert: HighLatency\n        expr: x > 1\n"}),
    ("R-MON-06", "partial", {"dags/train.py": "from airflow import DAG\nargs = {'email_on_failure': True}\n"}),
    ("R-MON-06", "fail", EMPTY),
    ("R-REL-01", "pass", {"train.py": "from sklearn.model_selection import train_test_split\n"
                                      "from sklearn.metrics import roc_auc_score\n"
                                      "a, b = train_test_split(df)\nroc_auc_score(y, p)\n"}),
    ("R-REL-01", "partial", {"train.py": "from sklearn.metrics import roc_auc_score\nroc_auc_score(y, p)\n"}),
    ("R-REL-01", "fail", EMPTY),
    ("R-REL-02", "pass", {"k8s/seldon.yaml": "kind: SeldonDeployment\nspec:\n  predictors:\n"
                                             "    - name: candidate\n      shadow: true\n"}),
    # a serving function named for shadow scoring is a name: nothing shows it runs (partial at most)
    ("R-REL-02", "partial", {"serve.py": "from fastapi import FastAPI\ndef shadow_predict(x):\n    pass\n"}),
    ("R-REL-02", "fail", {"img.py": "def draw(shadow_color):\n    pass\n"}),
    ("R-REL-03", "pass", {"k8s/isvc.yaml": "kind: InferenceService\nspec:\n  predictor:\n"
                                           "    canaryTrafficPercent: 10\n"}),
    ("R-REL-03", "pass", {"k8s/vs.yaml": "kind: VirtualService\nspec:\n  http:\n    - route:\n"
                                        "        - destination: {host: a}\n          weight: 90\n"
                                        "        - destination: {host: b}\n          weight: 10\n"}),
    # every request to one version is the opposite of a canary
    ("R-REL-03", "fail", {"k8s/vs.yaml": "kind: VirtualService\nspec:\n  http:\n    - route:\n"
                                        "        - destination: {host: a}\n          weight: 100\n"}),
    ("R-REL-03", "fail", {"k8s/isvc.yaml": "kind: InferenceService\nspec:\n  predictor:\n"
                                           "    canaryTrafficPercent: 100\n"}),
    ("R-REL-03", "fail", {"train.yaml": "loss:\n  weight: 3\n"}),
    # a name alone is a hint (partial); an experimentation library or two models served by alias pass
    ("R-REL-04", "partial", {"serve.py": "from fastapi import FastAPI\nHOLDOUT_PERCENT = 5\n"}),
    ("R-REL-04", "pass", {"serve.py": "from fastapi import FastAPI\nfrom growthbook import GrowthBook\n"}),
    ("R-REL-04", "pass", {"serve.py": "import mlflow\nfrom fastapi import FastAPI\n"
                                      "champion = mlflow.pyfunc.load_model('models:/churn@champion')\n"
                                      "challenger = mlflow.pyfunc.load_model('models:/churn@challenger')\n"}),
    # champion and challenger as mere parameter names say nothing; a registry alias set by a resolved call does
    ("R-REL-04", "fail", {"evaluate.py": "def compare(champion, challenger):\n    pass\n"}),
    ("R-REL-04", "partial", {"promote.py": "from mlflow import MlflowClient\n\nclient = MlflowClient()\n"
                                           "client.set_registered_model_alias('churn', 'challenger', 7)\n"}),
    ("R-REL-04", "fail", {"train.py": "X_holdout = df.sample(frac=0.1)\n"}),
    ("R-OWN-01", "pass", {"CODEOWNERS": "* @team\n", "src/a.py": "x = 1\n"}),
    ("R-OWN-01", "partial", {"CODEOWNERS": "/src/ @team\n", "src/a.py": "x = 1\n", "dags/d.py": "x = 1\n"}),
    ("R-OWN-01", "fail", {"src/a.py": "x = 1\n"}),
    ("R-OWN-02", "pass", {"tests/test_a.py": "".join(f"def test_{i}():\n    pass\n" for i in range(5))}),
    ("R-OWN-02", "partial", {"tests/test_a.py": "def test_one():\n    pass\n"}),
    ("R-OWN-02", "fail", {"src/a.py": "x = 1\n"}),
    ("R-OWN-03", "pass", {"tests/data/test_schema.py": "def test_columns():\n    pass\n",
                          "tests/test_model.py": "def test_invariance():\n    model.predict(x)\n"}),
    ("R-OWN-03", "partial", {"tests/test_features.py": "def test_build_features_produces_model_inputs():\n    pass\n"}),
    ("R-OWN-03", "fail", {"tests/test_utils.py": "def test_slugify():\n    pass\n"}),
    ("R-OWN-04", "pass", {".github/workflows/ci.yml": "on: [push]\njobs:\n  t:\n    steps:\n"
                                                      "      - run: python -m pytest -q\n"}),
    ("R-OWN-04", "partial", {"Makefile": "test:\n\tpytest\n", "tests/test_a.py": "def test_a():\n    pass\n"}),
    ("R-OWN-04", "fail", {"tests/test_a.py": "def test_a():\n    pass\n"}),
    # Regressions found on real repositories (see the issue 7 report).
    ("R-ROLL-03", "pass", {"assets/deploy.yml": "Resources:\n  Model:\n    Properties:\n      ModelDataUrl: !Sub "
                                                "s3://bucket/${ModelName}-${TrainJobId}/output/model.tar.gz\n"}),
    ("R-ROLL-03", "fail", {".github/workflows/cd.yml": "jobs:\n  d:\n    steps:\n      - run: |\n"
                                                      "          RUN_ID=$(aws s3api list-objects-v2 --bucket b "
                                                      "--query 'sort_by(Contents, &LastModified)[-1].Key')\n"
                                                      "          terraform apply -auto-approve\n"}),
    ("R-ROLL-03", "pass", {"serve.py": "from ray import serve\nclass Deployment:\n    def __init__(self, run_id):\n"
                                       "        self.model = load(run_id=run_id)\n"}),
    ("R-ROLL-05", "pass", {"template.yml": "Api:\n  Properties:\n    AutoPublishAlias: live\n"
                                          "    DeploymentPreference:\n      Type: Canary10Percent5Minutes\n"}),
    ("R-ROLL-02", "fail", {"model-registry.ipynb": '{"cells": [{"cell_type": "code", "source": ["from mlflow import '
                                                   'MlflowClient\\n", "MlflowClient().transition_model_version_stage'
                                                   '(\'m\', 1, \'Production\')"]}], "nbformat": 4}'}),
    ("R-ROLL-04", "pass", {".pipelines/cd.yml": "steps:\n  - script: az ml model deploy --name churn\n"}),
    ("R-TRACE-02", "partial", {"train.py": "from ray.air.integrations.mlflow import MLflowLoggerCallback\n"
                                           "cb = MLflowLoggerCallback(tracking_uri=u, save_artifact=True)\n"}),
    ("R-REPRO-02", "partial", {"environment.yml": "dependencies:\n  - python=3.10\n  - numpy=1.26\n  - pandas\n"}),
    ("R-REPRO-02", "pass", {"environment.yml": "dependencies:\n  - numpy=1.26\n  - pip:\n    - pandas==2.2.1\n"}),
]


@pytest.mark.parametrize("check_id,expected,files", CASES,
                         ids=[f"{c}-{s}-{i}" for i, (c, s, _) in enumerate(CASES)])
def test_check_status(tmp_path, check_id, expected, files):
    result = readiness(tmp_path, files)
    found = check(result, check_id)
    assert found["status"] == expected, found


def test_evidence_points_at_the_line_that_shows_it(tmp_path):
    result = readiness(tmp_path, {"src/train.py": "import joblib\n\nMODEL = 'models/model.joblib'\n\n"
                                                  "def fit(m):\n    joblib.dump(m, MODEL)\n"})
    assert check(result, "R-ROLL-01")["evidence"] == [
        {"path": "src/train.py", "line": 6, "cell": None, "why": "saves a model with `joblib.dump`"}]
    assert "models/model.joblib" in check(result, "R-ROLL-01")["fix"]


def test_findings_check_scales_with_findings_and_size(tmp_path):
    seedless = "import numpy as np\nx = np.random.rand(3)\n"
    small = readiness(tmp_path / "a", {"train.py": seedless})
    padded = readiness(tmp_path / "b", {"train.py": seedless, "big.py": "x = 1\n" * 20000})
    assert check(small, "R-REPRO-05")["status"] in ("partial", "fail")
    # the same finding in a repository twenty times larger weighs twenty times less
    assert padded["dimensions"]["reproducibility"]["score"] > small["dimensions"]["reproducibility"]["score"]
    clean = readiness(tmp_path / "c", {"train.py": "import numpy as np\nrng = np.random.default_rng(0)\n",
                                       "requirements.txt": "numpy==1.26.4\n"})
    assert check(clean, "R-REPRO-05")["status"] == "pass"
