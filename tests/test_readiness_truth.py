"""Readiness evidence that tells the truth (issue 18): evidence from values and resolved calls, not
from words; each piece says what it shows; checks that share a fact agree; and small repositories
that each do one thing right score where a reviewer would put them."""

import json

import pytest

from auditor.ml import operations, tracking
from auditor.ml.operations import failure_notices, gradual_release, names_a_version
from auditor.readiness.index import Index
from auditor.testing import make_repo, scan_repo

# -- the tables of auditor/ml/operations.py, with an example that counts and one that does not -----


def test_an_airflow_email_alerts_unless_mails_on_failure_are_switched_off():
    assert failure_notices({"owner": "ml", "email": object()}) == ["email"]
    assert failure_notices({"owner": "ml", "email": object(), "email_on_failure": False}) == []
    assert failure_notices({"email_on_failure": True}) == ["email_on_failure"]
    assert failure_notices({"on_failure_callback": object()}) == ["on_failure_callback"]
    assert failure_notices({"on_failure_callback": None}) == []
    # an address beside no task settings is a contact, not an alert
    assert failure_notices({"name": "Dana", "email": object()}) == []


@pytest.mark.parametrize("doc, counts", [
    ({"kind": "InferenceService", "spec": {"predictor": {"canaryTrafficPercent": 10}}}, True),
    ({"kind": "InferenceService", "spec": {"predictor": {"canaryTrafficPercent": 100}}}, False),
    ({"spec": {"http": [{"route": [{"weight": 90}, {"weight": 10}]}]}}, True),
    ({"spec": {"http": [{"route": [{"weight": 100}]}]}}, False),
    ({"traffic": {"blue": 90, "green": 10}}, True),
    ({"traffic": {"blue": 100, "green": 0}}, False),
    ({"traffic_split": {"0": 100}}, False),
    ({"kind": "Rollout", "spec": {"strategy": {"canary": {"steps": [{"setWeight": 20}]}}}}, True),
    ({"apiVersion": "flagger.app/v1beta1", "kind": "Canary"}, True),
    ({"ProductionVariants": [{"InitialVariantWeight": 1}, {"InitialVariantWeight": 1}]}, True),
    ({"ProductionVariants": [{"InitialVariantWeight": 1}]}, False),
    ({"loss": {"weight": 3}}, False),
    ({"name": "churn", "ray_serve_config": {"applications": []}, "rollout_strategy": "ROLLOUT"}, True),
    ({"name": "churn", "applications": [{"import_path": "serve:app"}], "canary_percent": 10}, True),
    ({"name": "churn", "applications": [{"import_path": "serve:app"}], "rollout_strategy": "IN_PLACE"}, False),
    ({"name": "churn", "applications": [{"import_path": "serve:app"}], "canary_percent": 100}, False),
    ({"name": "web", "strategy": {"rollout_strategy": "ROLLOUT"}}, False),
])
def test_a_release_is_gradual_only_when_two_versions_both_get_a_share(doc, counts):
    assert bool(list(gradual_release(doc))) is counts


@pytest.mark.parametrize("value, counts", [
    ("models:/churn/3", True), ("gs://models/churn/v12", True), ("registry.io/churn:1.4.2", True),
    ("s3://models/${TrainJobId}/model.tar.gz", True), ("models:/churn@champion", True),
    ("gs://[YOUR_BUCKET]/resnet_101", False), ("gs://models/resnet_101", False), ("gs://models/churn/", False),
    ("<your-bucket>/model/v3", False), ("http://172.31.13.90:8000/churn/model.joblib", False),
    ("http://models.internal:8000/churn/v3/model.joblib", True),
])
def test_a_version_reference_names_a_version_not_a_placeholder(value, counts):
    assert names_a_version(value) is counts


# -- the tables of auditor/ml/tracking.py: each entry with a module where it counts and one where it does not

TRACKING_TABLES = {"tracker": tracking.EXPERIMENT_TRACKERS, "params": tracking.PARAM_LOGGING_CALLS,
                   "metrics": tracking.METRIC_LOGGING_CALLS, "config": tracking.CONFIG_LOGGING_CALLS,
                   "callbacks": tracking.LOGGER_CALLBACKS, "registry": tracking.MODEL_REGISTRY_CALLS,
                   "alias": tracking.MODEL_ALIAS_CALLS}
TRACKING_ENTRIES = sorted({entry for table in TRACKING_TABLES.values() for entry in table})


@pytest.fixture(scope="module")
def tracking_examples(tmp_path_factory):
    """One repository holding every entry's two examples, each a module of its own."""
    files = {}
    for number, entry in enumerate(TRACKING_ENTRIES):
        counts, does_not = tracking.TRACKING_EXAMPLES[entry]
        files[f"pkg/ok_{number}.py"], files[f"pkg/no_{number}.py"] = counts, does_not
    files["pkg/__init__.py"] = ""
    result = scan_repo(make_repo(tmp_path_factory.mktemp("tracking"), files))
    return Index(result.project)


def test_every_method_entry_of_the_tracking_tables_names_the_libraries_that_have_it():
    assert set(TRACKING_ENTRIES) == set(tracking.TRACKING_EXAMPLES)
    assert {e for e in TRACKING_ENTRIES if e.startswith(".")} == set(tracking.METHOD_OWNERS)


@pytest.mark.parametrize("number, entry", list(enumerate(TRACKING_ENTRIES)), ids=TRACKING_ENTRIES)
def test_a_tracking_entry_counts_in_its_example_and_not_in_its_counter_example(tracking_examples, number, entry):
    ix = tracking_examples
    if entry in tracking.EXPERIMENT_TRACKERS:
        def found(path):
            return ix.imports(entry, paths=[path])
    else:
        def found(path):
            return ix.library_calls((entry,), tracking.METHOD_OWNERS, paths=[path])
    assert found(f"pkg/ok_{number}.py"), tracking.TRACKING_EXAMPLES[entry][0]
    assert not found(f"pkg/no_{number}.py"), tracking.TRACKING_EXAMPLES[entry][1]


# -- small repositories -----------------------------------------------------------------------------

def readiness(tmp_path, files):
    root = make_repo(tmp_path / "repo", files, ages={})
    result = scan_repo(root)
    assert not [e for e in result.errors if e["rule"] == "readiness"], result.errors
    return result


def check(result, check_id):
    for dim in result.readiness["dimensions"].values():
        for c in dim["checks"]:
            if c["id"] == check_id:
                return c
    raise KeyError(check_id)


# Each false pattern seen on public repositories, rewritten small: the check must not pass on it (each
# passed, or for alerts was partial, before these checks read values instead of words).
KEYWORD_TRAPS = [
    ("R-REL-03", {"train.py": "import torch\ncanary_warmup_steps = 5\nt_warmup = 100\n"}),
    ("R-REL-03", {"deploy.py": "from google.cloud import aiplatform\nendpoint = aiplatform.Endpoint('e')\n"
                               "model = aiplatform.Model('m')\nmodel.deploy(endpoint=endpoint, traffic_split={'0': 100})\n"}),
    ("R-MON-05", {"train.py": "import torch.distributed as dist\ngroups = dist.new_subgroups()\n"
                              "per_group_rank = dist.get_rank(groups[0])\n"}),
    ("R-MON-02", {"serve.py": "import numpy as np\nfrom fastapi import FastAPI\n"
                              "counts, edges = np.histogram(feature, bins=10)\n"}),
    ("R-MON-01", {"airflow.cfg": "[logging]\n# log_format = JsonFormatter is available\nlogging_level = INFO\n",
                  "dags/train.py": "from airflow import DAG\n"}),
    ("R-MON-06", {"dags/train.py": "from airflow import DAG\n"
                                   "default_args = {'owner': 'ml', 'email': ['ml@x.io'], 'email_on_failure': False}\n"
                                   "dag = DAG('train', default_args=default_args)\n"}),
    ("R-MON-06", {"dags/report.py": "from airflow import DAG\nowner_email = props['owner']['email']\n"}),
    ("R-MON-06", {".github/workflows/ci.yml": "on: [push]\njobs:\n  t:\n    steps:\n      - name: Notify on success\n"
                                              "        run: echo done\n      - run: echo '${{ secrets.CLIENT_EMAIL }}'\n"}),
    ("R-ROLL-03", {"k8s/configmap.yaml": "data:\n  MODEL_PATH: gs://[YOUR_BUCKET]/resnet_101\n"}),
    ("R-TRACE-04", {"config/rbac.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nrules: []\n",
                    "train.py": "import yaml\n"}),
    ("R-MON-04", {"pipelines/orders.py": "from dagster import asset\n\n@asset\ndef orders(context):\n"
                                         "    context.add_output_metadata({'nrows': 10, 'freshness_hours': 2})\n"}),
    ("R-ROLL-04", {".github/workflows/ci.yml": "on:\n  push:  # for a full deployment\njobs:\n  t:\n    steps:\n"
                                              "      - run: pytest\n"}),
    ("R-ROLL-04", {"scripts/install.sh": "#!/bin/sh\nif [ -z \"${DEPLOYMENT_NAME}\" ]; then\n  echo 'usage: install.sh "
                                         "[DEPLOYMENT_NAME]'\nfi\nterraform apply\nhelm install mlflow ./chart\n"
                                         "kubectl apply -k github.com/kubeflow/pipelines/manifests/kustomize/base\n"}),
]


# The same on six more public repositories (a library, a course, a research repository): each passed,
# or for R-ROLL-03 pinned, before.
KEYWORD_TRAPS += [
    ("R-REL-01", {"configurator.py": "import sys\nfor arg in sys.argv[1:]:\n    key, val = arg.split('=')\n"}),
    ("R-MON-05", {"loader.py": "def slice_tensors(x, s):\n    return x[s]\n\nslice_fn = slice_tensors\n"}),
    ("R-REPRO-04", {"README.md": "# Trees\n\n* `n_jobs=-1` (optional - to make training faster)\n",
                    "train.py": "import sklearn\n"}),
    ("R-ROLL-04", {".github/workflows/ci.yml": "on: [push]\njobs:\n  t:\n    steps:\n      - run: pytest\n"
                                              "      - run: echo \"All tests passed, proceeding to deployment.\"\n",
                   "k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"}),
    ("R-TRACE-04", {".github/ISSUE_TEMPLATE/config.yml": "blank_issues_enabled: false\n"}),
    ("R-OWN-03", {"tests/test_launcher.py": "def test_validate_launch_command():\n    pass\n\n\n"
                                            "def test_infer_auto_device_map():\n    pass\n\n\n"
                                            "def test_data_loader_batches():\n    pass\n",
                  "tests/test_modeling_utils.py": "def test_split_between_processes():\n    pass\n"}),
    ("R-REL-01", {"train.py": "from sklearn.linear_model import LinearRegression\nfrom sklearn.metrics import r2_score\n"
                              "model = LinearRegression().fit(X_train, y_train)\n"
                              "print(r2_score(y_train, model.predict(X_train)))\n"}),
]
# Where a check keeps a partial step for what remains true of the repository.
PARTIAL_TRAPS = {
    "R-TRACE-04": "the script imports a YAML loader, but the manifest is not its configuration",
}


@pytest.mark.parametrize("check_id, files", KEYWORD_TRAPS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(KEYWORD_TRAPS)])
def test_words_are_not_evidence(tmp_path, check_id, files):
    status = check(readiness(tmp_path, files), check_id)["status"]
    assert status == "fail" or (status == "partial" and check_id in PARTIAL_TRAPS and "rbac.yaml" in str(files))


def test_a_deepspeed_config_from_transformers_integrations_is_not_an_experiment_tracker(tmp_path):
    tracking = check(readiness(tmp_path, {"train.py": "from transformers.integrations import HfDeepSpeedConfig\n"}),
                     "R-TRACE-02")
    assert tracking["status"] == "fail" and tracking["evidence"] == [] and "No experiment tracker" in tracking["fix"]


def test_a_tokenizer_or_a_data_frame_saved_is_not_a_model_saved(tmp_path):
    result = readiness(tmp_path, {"prep.py": "import pickle\nfrom transformers import AutoTokenizer\n"
                                             "tokenizer = AutoTokenizer.from_pretrained('bert-base-uncased')\n"
                                             "tokenizer.save_pretrained('out/tokenizer')\n"
                                             "with open('data/frame.pkl', 'wb') as f:\n    pickle.dump(df, f)\n"})
    assert check(result, "R-ROLL-01")["evidence"] == []


def test_an_address_and_a_port_are_not_a_model_version(tmp_path):
    result = readiness(tmp_path, {"k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
                                                   "spec:\n  predictor:\n    model:\n"
                                                   "      storageUri: http://10.0.0.5:8000/churn/model.joblib\n"})
    pins = check(result, "R-ROLL-03")
    assert pins["status"] == "partial" and "fixed path" in pins["evidence"][0]["why"]


def test_an_orchestrator_check_of_the_data_is_a_data_quality_check(tmp_path):
    result = readiness(tmp_path, {"pipelines/orders.py": "from dagster import asset, asset_check, AssetCheckResult\n\n"
                                                         "@asset_check(asset='orders')\ndef orders_not_empty():\n"
                                                         "    return AssetCheckResult(passed=True)\n"})
    assert check(result, "R-MON-04")["status"] == "pass"


def test_a_switched_on_alert_and_a_failure_notice_in_ci_count(tmp_path):
    dag = readiness(tmp_path / "a", {"dags/train.py": "from airflow import DAG\n"
                                                      "default_args = {'owner': 'ml', 'email': ['ml@x.io']}\n"})
    assert check(dag, "R-MON-06")["status"] == "partial"
    assert check(dag, "R-MON-06")["evidence"][0]["why"] == "sets `email`: notifies on failure"
    ci = readiness(tmp_path / "b", {".github/workflows/train.yml": "on: [push]\njobs:\n  t:\n    steps:\n"
                                    "      - run: python train.py\n      - if: failure()\n"
                                    "        uses: slackapi/slack-github-action@v1\n"})
    assert check(ci, "R-MON-06")["status"] == "partial"
    needs = readiness(tmp_path / "c", {".github/workflows/nightly.yml": "on:\n  schedule:\n    - cron: '0 2 * * *'\n"
                                       "jobs:\n  report:\n    needs: [tests]\n    if: always()\n    steps:\n"
                                       "      - if: needs.tests.result == 'failure'\n"
                                       "        uses: slackapi/slack-github-action@v2\n"})
    assert check(needs, "R-MON-06")["status"] == "partial"


def test_evidence_in_a_notebook_points_at_its_cell_and_line(tmp_path):
    cells = [{"cell_type": "markdown", "source": ["# Experiment\n"]},
             {"cell_type": "code", "source": ["import mlflow\n", "mlflow.log_param('seed', 3)\n"], "outputs": []}]
    notebook = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    result = readiness(tmp_path, {"experiment.ipynb": notebook})
    places = {(e["path"], e["cell"], e["line"]) for e in check(result, "R-TRACE-02")["evidence"]}
    assert ("experiment.ipynb", 2, 2) in places  # the log_param line, in the second cell


# -- positive controls: each does one thing right the way its ecosystem does it -------------------

DVC_PROJECT = {
    "dvc.yaml": "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n      - src/train.py\n"
                "      - data/clean.csv\n    params:\n      - train.seed\n      - train.n_estimators\n"
                "    outs:\n      - models/model.pkl\n    metrics:\n      - metrics.json\n"
                "artifacts:\n  churn:\n    path: models/model.pkl\n    type: model\n",
    "dvc.lock": "schema: '2.0'\nstages:\n  train:\n    cmd: python src/train.py\n",
    "data/clean.csv.dvc": "outs:\n- md5: 1\n  path: clean.csv\n",
    "params.yaml": "train:\n  seed: 7\n  n_estimators: 100\n",
    ".devcontainer.json": "{\"image\": \"mcr.microsoft.com/devcontainers/python:3.11\"}\n",
    "src/train.py": "import pickle\nimport yaml\nimport pandas as pd\nfrom dvclive import Live\n"
                    "from sklearn.ensemble import RandomForestClassifier\n\n"
                    "params = yaml.safe_load(open('params.yaml'))['train']\n"
                    "df = pd.read_csv('data/clean.csv')\n"
                    "model = RandomForestClassifier(random_state=params['seed']).fit(df[['x']], df['y'])\n"
                    "with Live() as live:\n    live.log_params(params)\n    live.log_metric('acc', 1.0)\n"
                    "with open('models/model.pkl', 'wb') as f:\n    pickle.dump(model, f)\n",
}
MLFLOW_REGISTRY = {
    "src/train.py": "import mlflow\nimport subprocess\nfrom mlflow import MlflowClient\n"
                    "from sklearn.linear_model import LogisticRegression\n\n"
                    "def main(config):\n    with mlflow.start_run():\n        mlflow.log_params(config)\n"
                    "        mlflow.log_param('seed', config['seed'])\n"
                    "        mlflow.set_tag('git_commit', subprocess.check_output(['git', 'rev-parse', 'HEAD']))\n"
                    "        model = LogisticRegression(random_state=config['seed']).fit(X, y)\n"
                    "        mlflow.log_metric('auc', 0.9)\n"
                    "        info = mlflow.sklearn.log_model(model, 'model', registered_model_name='churn')\n"
                    "    MlflowClient().set_registered_model_alias('churn', 'champion', info.registered_model_version)\n",
    "src/serve.py": "import mlflow\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
                    "model = mlflow.pyfunc.load_model('models:/churn@champion')\n",
    ".github/workflows/deploy.yml": "on:\n  workflow_dispatch:\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
                                    "    steps:\n      - run: kubectl apply -f k8s/serve.yaml\n",
    "k8s/serve.yaml": "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
                      "        - env:\n            - name: MODEL_URI\n              value: models:/churn@champion\n",
}
KSERVE_PROJECT = {
    "k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nspec:\n  predictor:\n"
                     "    canaryTrafficPercent: 10\n    model:\n      storageUri: gs://acme-models/churn/v12\n",
    "monitoring/drift.py": "from evidently.report import Report\nfrom evidently.metric_preset import DataDriftPreset\n\n"
                           "def check(reference, current):\n    report = Report(metrics=[DataDriftPreset()])\n"
                           "    report.run(reference_data=reference, current_data=current)\n    return report\n",
    "src/train.py": "from sklearn.linear_model import LogisticRegression\n\n"
                    "def train(X, y):\n    return LogisticRegression().fit(X, y)\n",
}
NOTHING = {
    "train.py": "import pickle\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n"
                "df = pd.read_csv('data.csv')\nmodel = LogisticRegression().fit(df[['x']], df['y'])\n"
                "pickle.dump(model, open('model.pkl', 'wb'))\n",
}

CONTROLS = {"dvc": DVC_PROJECT, "mlflow": MLFLOW_REGISTRY, "kserve": KSERVE_PROJECT}
# What a reviewer expects each control to pass: the checks it covers.
COVERED = {
    "dvc": ["R-TRACE-01", "R-TRACE-02", "R-TRACE-03", "R-TRACE-04", "R-REPRO-03", "R-REPRO-04", "R-ROLL-01"],
    "mlflow": ["R-TRACE-02", "R-TRACE-03", "R-ROLL-01", "R-ROLL-02", "R-ROLL-03", "R-ROLL-04"],
    "kserve": ["R-REL-03", "R-MON-03", "R-ROLL-03"],
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    results = {name: readiness(tmp_path_factory.mktemp(name), files) for name, files in CONTROLS.items()}
    results["nothing"] = readiness(tmp_path_factory.mktemp("nothing"), NOTHING)
    return results


@pytest.mark.parametrize("name", sorted(COVERED))
def test_each_control_passes_the_checks_it_covers_and_the_empty_repository_fails_them(scanned, name):
    for check_id in COVERED[name]:
        assert check(scanned[name], check_id)["status"] == "pass", (name, check(scanned[name], check_id))
        assert check(scanned["nothing"], check_id)["status"] != "pass", check_id


def test_the_controls_score_above_the_repository_that_does_nothing(scanned):
    nothing = scanned["nothing"].readiness["score"]
    for name in CONTROLS:
        assert scanned[name].readiness["score"] > nothing + 5, name


@pytest.mark.parametrize("name", ["dvc", "mlflow", "kserve", "nothing"])
def test_every_piece_of_evidence_says_what_it_shows(scanned, name):
    for dim in scanned[name].readiness["dimensions"].values():
        for c in dim["checks"]:
            for item in c["evidence"]:
                assert item["why"], (c["id"], item)


@pytest.mark.parametrize("name", ["dvc", "mlflow", "kserve", "nothing"])
def test_checks_that_share_a_fact_agree_with_each_other_and_with_the_findings(scanned, name):
    result = scanned[name]
    categories = {f.category for f in result.findings}
    # one registry: registered models for traceability means versions to roll back to
    registered = check(result, "R-TRACE-03")["status"] == "pass"
    assert registered == (check(result, "R-ROLL-02")["status"] != "fail")
    # a passing dependency check and an unpinned-dependency finding cannot both be true
    if check(result, "R-REPRO-02")["status"] == "pass":
        assert "unpinned-dependency" not in categories
    # "seeds are set" and an unseeded draw cannot both be true
    if check(result, "R-REPRO-01")["status"] == "pass":
        assert "unpinned-seed" not in categories


def test_a_lock_file_with_installs_outside_it_is_partial_not_every_dependency_pinned(tmp_path):
    result = readiness(tmp_path, {"uv.lock": "version = 1\n", "pyproject.toml": "[project]\nname = 'x'\n",
                                  "Dockerfile": "FROM python:3.11.9-slim\nRUN pip install requests\n"})
    assert "unpinned-dependency" in {f.category for f in result.findings}
    dependencies = check(result, "R-REPRO-02")
    assert dependencies["status"] == "partial"
    assert "outside it" in dependencies["fix"]


def test_candidates_that_do_not_count_are_listed_with_why_not(tmp_path):
    from click.testing import CliRunner

    from auditor.cli.main import main

    files = {"k8s/isvc.yaml": "kind: InferenceService\nspec:\n  predictor:\n    canaryTrafficPercent: 100\n"
                              "    storageUri: gs://[YOUR_BUCKET]/resnet_101\n",
             "dags/train.py": "from airflow import DAG\n"
                              "args = {'owner': 'ml', 'email': ['ml@x.io'], 'email_on_failure': False}\n",
             "data/model.pkl.dvc": "outs:\n- md5: 1\n  path: model.pkl\n",
             "data/raw.csv.dvc": "outs:\n- md5: 2\n  path: raw.csv\n"}
    result = readiness(tmp_path, files)
    rejected = {c: [e["why"] for e in check(result, c)["rejected"]] for c in ("R-REL-03", "R-ROLL-03", "R-MON-06",
                                                                               "R-TRACE-01")}
    assert rejected["R-REL-03"] == ["`canaryTrafficPercent` sends every request to one version"]
    assert rejected["R-ROLL-03"] == ["`gs://[YOUR_BUCKET]/resnet_101` is a placeholder, not a version"]
    assert rejected["R-MON-06"] == ["`email_on_failure` is False: the task's e-mail is never sent"]
    assert rejected["R-TRACE-01"] == ["points at a model or a pickled object, not training data"]
    assert check(result, "R-TRACE-01")["status"] == "pass"  # the dataset's pointer still counts
    out = CliRunner().invoke(main, ["scan", str(tmp_path / "repo"), "-v", "--no-cache"]).output
    assert "not counted: k8s/isvc.yaml:4  `canaryTrafficPercent` sends every request to one version" in out


AZURE_TESTS = {
    "ops/pipelines/unit-tests.yml": "trigger:\n  paths:\n    include: [src/*]\npool:\n  vmImage: ubuntu-22.04\n"
                                    "stages:\n- stage: UnitTest\n  jobs:\n  - job: Run\n    steps:\n"
                                    "    - template: /ci/templates/unit-tests.yml\n",
    "ci/templates/unit-tests.yml": "steps:\n- script: pip install pytest\n- script: pytest -q src\n",
    "src/test_model.py": "def test_model():\n    assert True\n",
}


def test_an_azure_pipeline_found_by_its_schema_runs_the_tests_of_its_template(tmp_path):
    result = readiness(tmp_path, AZURE_TESTS)
    ci = check(result, "R-OWN-04")
    assert ci["status"] == "pass"
    assert ci["evidence"][0]["path"] == "ci/templates/unit-tests.yml" and ci["evidence"][0]["line"] == 3


def test_installing_the_test_runner_is_not_running_the_tests(tmp_path):
    files = {**AZURE_TESTS, "ci/templates/unit-tests.yml": "steps:\n- script: pip install pytest\n"}
    assert check(readiness(tmp_path, files), "R-OWN-04")["status"] != "pass"


DAGSTER_RESOURCES = ("import dagster as dg\nfrom dagster_aws.s3 import S3PickleIOManager, S3Resource\n\n"
                     "resources = {\n    'LOCAL': {'model_io_manager': dg.FilesystemIOManager()},\n"
                     "    'PROD': {'model_io_manager': S3PickleIOManager(s3_bucket='models', s3_resource=S3Resource())},\n}\n")
DAGSTER_ASSETS = ("import dagster as dg\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n\n"
                  "@dg.asset(io_manager_key='model_io_manager')\ndef churn_model(features: pd.DataFrame):\n"
                  "    return LogisticRegression().fit(features[['x']], features['y'])\n\n\n"
                  "@dg.asset(io_manager_key='model_io_manager')\ndef churn_report(features: pd.DataFrame) -> pd.DataFrame:\n"
                  "    return features.describe()\n")


def test_a_dagster_asset_that_fits_a_model_into_an_object_store_io_manager_is_a_model_with_lineage_not_a_kept_version(tmp_path):
    result = readiness(tmp_path, {"pipelines/resources.py": DAGSTER_RESOURCES, "pipelines/assets.py": DAGSTER_ASSETS})
    lineage = check(result, "R-TRACE-03")
    assert lineage["status"] == "partial"
    assert [(e["path"], e["line"]) for e in lineage["evidence"]] == [("pipelines/assets.py", 7)]  # churn_model, not the report
    assert "stored in S3 by `S3PickleIOManager` (pipelines/resources.py:6)" in lineage["evidence"][0]["why"]
    versions = check(result, "R-ROLL-01")
    assert versions["status"] == "fail" and versions["evidence"] == []
    assert "earlier versions are not kept" in versions["rejected"][0]["why"]


def test_a_dagster_model_kept_on_the_local_disk_of_the_run_is_not_logged(tmp_path):
    resources = "import dagster as dg\n\nresources = {'model_io_manager': dg.FilesystemIOManager()}\n"
    result = readiness(tmp_path, {"pipelines/resources.py": resources, "pipelines/assets.py": DAGSTER_ASSETS})
    lineage = check(result, "R-TRACE-03")
    assert lineage["status"] == "fail"
    assert "local disk" in lineage["rejected"][0]["why"]


@pytest.mark.parametrize("name", sorted(tracking.DAGSTER_MODEL_IO_MANAGERS))
def test_a_dagster_object_store_io_manager_is_known_under_its_integration_package_only(name):
    package = {"S3": "dagster_aws.s3", "GCS": "dagster_gcp.gcs", "ADLS": "dagster_azure.adls2"}
    store = tracking.DAGSTER_MODEL_IO_MANAGERS[name]
    assert tracking.dagster_io_manager_store(f"{package[store]}.{name}") == store
    assert tracking.dagster_io_manager_store(f"pipelines.storage.{name}") is None  # a project's own class of that name


def test_dagster_io_managers_that_keep_models_on_local_disk_or_in_a_warehouse_are_told_apart():
    assert tracking.dagster_io_manager_store("dagster.FilesystemIOManager") == "local"
    assert tracking.dagster_io_manager_store("dagster_snowflake_pandas.SnowflakePandasIOManager") is None
    assert tracking.dagster_io_manager_store("dagster_duckdb_pandas.DuckDBPandasIOManager") is None


def test_an_anyscale_service_rolled_out_in_place_is_not_a_gradual_release(tmp_path):
    service = "name: churn\napplications:\n  - import_path: serve:app\nrollout_strategy: {}\n"
    gradual = check(readiness(tmp_path / "a", {"service.yaml": service.format("ROLLOUT")}), "R-REL-03")
    assert gradual["status"] == "pass" and gradual["evidence"][0]["line"] == 4
    in_place = check(readiness(tmp_path / "b", {"service.yaml": service.format("IN_PLACE")}), "R-REL-03")
    assert in_place["status"] == "fail"
    assert in_place["rejected"] == [{"path": "service.yaml", "line": 4, "cell": None,
                                     "why": "`rollout_strategy` sends every request to one version"}]


# -- names are hints, resolved code is evidence (held-out sets, holdout cohorts, the newest file) -----

SCORES_BY_NAME = "from sklearn.metrics import accuracy_score\nval = load_rows('val.csv')\nprint(accuracy_score(labels, preds))\n"


@pytest.mark.parametrize("code, status", [
    (SCORES_BY_NAME, "partial"),  # a held-out name beside a metric: a hint
    ("from sklearn.metrics import accuracy_score\nprint(accuracy_score(y_test, model.predict(X_test)))\n", "pass"),
    ("from sklearn.metrics import f1_score\n\n\ndef report(model, rows):\n    return f1_score(rows.y, model.predict(rows.X))\n\n\n"
     "report(model, test_df)\n", "pass"),  # the held-out rows are scored one call away
    ("from sklearn.metrics import accuracy_score\n\n\ndef log(rows):\n    print(len(rows))\n\n\nlog(test_df)\n"
     "print(accuracy_score(labels, preds))\n", "partial"),  # the function given the test rows scores nothing
])
def test_a_held_out_set_counts_when_a_metric_scores_it_and_a_name_alone_is_a_hint(tmp_path, code, status):
    offline = check(readiness(tmp_path, {"evaluate.py": code}), "R-REL-01")
    assert offline["status"] == status, offline
    if status == "partial":
        assert "a hint" in offline["evidence"][0]["why"]


def test_serving_that_reads_a_model_file_s_time_without_picking_the_newest_does_not_follow_the_latest(tmp_path):
    logs_time = ("import os\nimport joblib\nfrom fastapi import FastAPI\n\nmodel = joblib.load('models/churn.joblib')\n"
                 "print('model written at', os.path.getmtime('models/churn.joblib'))\n")
    assert check(readiness(tmp_path / "a", {"serve.py": logs_time}), "R-ROLL-03")["status"] == "partial"  # a fixed path
    newest = logs_time.replace("model = joblib.load('models/churn.joblib')",
                               "model = joblib.load(sorted(paths, key=lambda p: p.stat().st_mtime)[-1])")
    assert check(readiness(tmp_path / "b", {"serve.py": newest}), "R-ROLL-03")["status"] == "fail"  # the newest file


def test_a_champion_named_in_serving_code_is_a_hint_not_a_live_holdout(tmp_path):
    named = check(readiness(tmp_path, {"serve.py": "from fastapi import FastAPI\nchampion_threshold = 0.5\n"}), "R-REL-04")
    assert named["status"] == "partial" and "a hint" in named["evidence"][0]["why"]


# -- configs read as their schema (auditor/ml/operations.py): an example that counts and one that does not

def _counted(reader, doc):
    return [counts for _, _, counts in reader(doc)]


DBT_MODEL = {"name": "orders", "columns": [{"name": "id", "tests": ["unique", "not_null"]}]}


@pytest.mark.parametrize("reader, doc, expected", [
    (operations.dbt_tests, {"version": 2, "models": [DBT_MODEL]}, [True]),
    (operations.dbt_tests, {"models": [{"name": "orders", "data_tests": [{"relationships": {"to": "ref('users')"}}]}]}, [True]),
    (operations.dbt_tests, {"sources": [{"name": "raw", "tables": [{"name": "orders", "columns": [{"name": "id",
                                                                                                  "tests": ["unique"]}]}]}]},
     [True]),
    (operations.dbt_tests, {"models": [{"name": "orders", "columns": [{"name": "id", "tests": []}]}]}, [False]),
    (operations.dbt_tests, {"tests": ["unit", "integration"]}, []),
    (operations.alert_rules, {"groups": [{"name": "serving", "rules": [{"alert": "HighLatency", "expr": "p99 > 0.5"}]}]},
     [True]),
    (operations.alert_rules, {"groups": [{"name": "serving", "rules": [{"record": "job:p99", "expr": "x"}]}]}, []),
    (operations.alert_rules, {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
                              "spec": {"groups": [{"name": "g", "rules": [{"alert": "Down", "expr": "up == 0"}]}]}}, [True]),
    (operations.alert_rules, {"apiVersion": 1, "groups": [{"name": "g", "rules": [{"title": "errors", "condition": "C",
                                                                                     "data": [{"refId": "A"}]}]}]}, [True]),
    (operations.alert_rules, {"apiVersion": 1, "groups": [{"name": "g", "rules": [{"title": "errors", "condition": "C",
                                                                                     "data": [{"refId": "A"}],
                                                                                     "isPaused": True}]}]}, [False]),
    (operations.alert_rules, {"Resources": {"Errors": {"Type": "AWS::CloudWatch::Alarm",
                                                       "Properties": {"AlarmActions": ["arn:aws:sns:topic"]}}}}, [True]),
    (operations.alert_rules, {"Resources": {"Errors": {"Type": "AWS::CloudWatch::Alarm", "Properties": {}}}}, [False]),
    (operations.alert_rules, {"route": {"receiver": "team"}, "receivers": [{"name": "team", "slack_configs": [{}]}]},
     [True]),
    (operations.alert_rules, {"route": {"receiver": "null"}, "receivers": [{"name": "null"}]}, [False]),
    (operations.alert_rules, {"receivers": {"otlp": {"protocols": {"grpc": {}}}}}, []),  # a collector's receivers
    (operations.alert_rules, {"displayName": "errors", "conditions": [{}], "notificationChannels": ["projects/p/c/1"]},
     [True]),
    (operations.alert_rules, {"displayName": "errors", "conditions": [{}], "notificationChannels": []}, [False]),
    (operations.percentile_queries, {"panels": [{"targets": [{"expr": "histogram_quantile(0.99, rate(s_bucket[5m]))"}]}]},
     [True]),
    (operations.percentile_queries, {"panels": [{"title": "p99 latency", "targets": [{"expr": "rate(s_count[5m])"}]}]}, []),
    (operations.shadow_settings, {"http": [{"route": [{}], "mirror": {"host": "churn-v2"},
                                           "mirrorPercentage": {"value": 10}}]}, [True]),
    (operations.shadow_settings, {"http": [{"mirror": {"host": "churn-v2"}, "mirrorPercentage": {"value": 0}}]}, [False]),
    (operations.shadow_settings, {"ShadowProductionVariants": [{"VariantName": "shadow"}]}, [True]),
    (operations.shadow_settings, {"filters": [{"type": "RequestMirror", "requestMirror": {"backendRef": {}}}]}, [True]),
    (operations.shadow_settings, {"predictors": [{"name": "v2", "shadow": True}]}, [True]),
    (operations.shadow_settings, {"predictors": [{"name": "v2", "shadow": False}]}, [False]),
    (operations.shadow_settings, {"theme": {"card": {"shadow": "0 1px 2px"}}}, []),
    (operations.held_out_sets, {"train": "train2017.txt", "val": "val2017.txt", "names": {0: "person"}}, [True]),
    (operations.held_out_sets, {"train": "images/train2017", "val": "images/train2017", "names": ["a"]}, [False]),
    (operations.held_out_sets, {"train": ["images/a", "images/b"], "val": ["images/b"], "test": ["images/c"], "nc": 1},
     [False, True]),
    (operations.held_out_sets, {"train": "a.txt", "val": "b.txt"}, []),
])
def test_a_config_setting_counts_by_its_schema_and_value(reader, doc, expected):
    assert _counted(reader, doc) == expected


# Words in configs that counted before the files were read as their schema.
CONFIG_TRAPS = [
    ("R-MON-04", {"models/pipeline.yml": "steps:\n  - name: train\n    tests:\n      - pytest\n"}),
    ("R-MON-06", {"config/contacts.yaml": "escalation:\n  pagerduty: https://example.pagerduty.com\n"}),
    ("R-MON-02", {"grafana/dashboard.json": '{"panels": [{"title": "p99 latency", "targets": [{"expr": "avg(latency)"}]}]}'}),
    ("R-REL-02", {"ui/theme.yaml": "card:\n  shadow: 0 1px 2px\n", "serve.py": "from fastapi import FastAPI\n"}),
]


@pytest.mark.parametrize("check_id, files", CONFIG_TRAPS, ids=[c for c, _ in CONFIG_TRAPS])
def test_words_in_a_config_are_not_a_setting(tmp_path, check_id, files):
    assert check(readiness(tmp_path, files), check_id)["status"] == "fail"


def test_schema_settings_count_in_a_repository_and_the_switched_off_ones_are_shown_as_not_counted(tmp_path):
    files = {"dbt/models/schema.yml": "version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: id\n"
                                      "        tests: [unique, not_null]\n      - name: note\n        tests: []\n",
             "monitoring/rules.yml": "groups:\n  - name: serving\n    rules:\n      - alert: HighLatency\n"
                                     "        expr: histogram_quantile(0.99, rate(request_seconds_bucket[5m])) > 0.5\n",
             "k8s/vs.yaml": "kind: VirtualService\nspec:\n  http:\n    - mirror:\n        host: churn-v2\n"
                            "      mirrorPercentage:\n        value: 0\n"}
    result = readiness(tmp_path, files)
    quality = check(result, "R-MON-04")
    assert quality["status"] == "pass" and (quality["evidence"][0]["path"], quality["evidence"][0]["line"]) == \
        ("dbt/models/schema.yml", 6)
    assert [e["line"] for e in quality["rejected"]] == [8]
    assert check(result, "R-MON-06")["status"] == "pass"
    assert check(result, "R-MON-02")["status"] == "pass"
    shadow = check(result, "R-REL-02")
    assert shadow["status"] == "fail" and shadow["rejected"][0]["line"] == 4


@pytest.mark.parametrize("files, status, line", [
    ({".github/workflows/cd.yml": "on: [push]\njobs:\n  deploy:\n    name: Deploy\n    runs-on: ubuntu-latest\n"
                                  "    steps:\n      - run: pytest\n"}, "fail", None),  # a job named deploy that tests
    ({".github/workflows/cd.yml": "on: [push]\njobs:\n  d:\n    steps:\n      - run: |\n          chmod +x deploy.sh\n"
                                  "          cat deploy.sh\n"}, "fail", None),  # a deploy script touched, not run
    ({".github/workflows/cd.yml": "on: [push]\njobs:\n  d:\n    steps:\n      - run: |\n          chmod +x deploy.sh\n"
                                  "          ./deploy.sh\n"}, "pass", 7),
    ({".github/workflows/cd.yml": "on: [push]\njobs:\n  d:\n    steps:\n"
                                  "      - uses: google-github-actions/deploy-cloudrun@v2\n"}, "pass", 5),
    ({".gitlab-ci.yml": "release:\n  stage: deploy\n  script:\n    - helm upgrade --install churn ./chart\n"}, "pass", 4),
    ({"azure-pipelines.yml": "trigger: [main]\npool:\n  vmImage: ubuntu-22.04\njobs:\n- deployment: Prod\n"
                             "  environment: prod\n  strategy:\n    runOnce:\n      deploy:\n        steps:\n"
                             "        - script: echo done\n"}, "pass", 5),
])
def test_a_ci_deploy_is_a_step_that_deploys_read_as_the_ci_schema(tmp_path, files, status, line):
    deploy = check(readiness(tmp_path, files), "R-ROLL-04")
    assert deploy["status"] == status, deploy
    if line:
        assert deploy["evidence"][0]["line"] == line


def test_a_script_that_reads_a_deployment_s_logs_does_not_deploy(tmp_path):
    logs = {"scripts/debug.sh": "#!/bin/sh\nkubectl logs deployment/churn --tail=50\ncat deploy.yaml\n"}
    assert check(readiness(tmp_path / "a", logs), "R-ROLL-04")["status"] == "fail"
    applies = {"scripts/release.sh": "#!/bin/sh\nkubectl logs deployment/churn --tail=50\nkubectl apply -f k8s/\n"}
    manual = check(readiness(tmp_path / "b", applies), "R-ROLL-04")
    assert manual["status"] == "partial" and manual["evidence"][0]["line"] == 3


def test_deploy_in_a_quoted_message_is_not_a_deploy_command(tmp_path):
    files = {"scripts/menu.sh": "#!/bin/sh\ngum style \"Select services to deploy\"\n"}
    assert check(readiness(tmp_path, files), "R-ROLL-04")["status"] == "fail"


def test_a_dataset_config_s_validation_split_is_held_out_unless_it_is_the_training_data(tmp_path):
    scores = "import torch\nfrom pycocotools.cocoeval import COCOeval\n\nresult = COCOeval(gt, dt).evaluate()\n"
    held_out = {"data/shapes.yaml": "train: images/train\nval: images/val\nnames: [square, circle]\n", "val.py": scores}
    offline = check(readiness(tmp_path / "a", held_out), "R-REL-01")
    assert offline["status"] == "pass" and offline["evidence"][0]["path"] == "data/shapes.yaml"
    same = {**held_out, "data/shapes.yaml": "train: images/train\nval: images/train\nnames: [square, circle]\n"}
    trained_on = check(readiness(tmp_path / "b", same), "R-REL-01")
    assert trained_on["status"] != "pass"
    assert "its training data" in trained_on["rejected"][0]["why"]
