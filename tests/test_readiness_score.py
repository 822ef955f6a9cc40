"""The readiness score as a whole: JSON shape, weights and their validation, grades, determinism,
the rollback estimate, and what the terminal and JSON reports show (on the demo too)."""

import json

import pytest

from auditor.cli.settings import build_config
from auditor.config import ConfigError
from auditor.readiness.score import DEFAULT_WEIGHTS, grade
from auditor.report import FORMATS
from auditor.report.text import render_text
from auditor.testing import make_repo, scan_repo

ALIAS_AND_CI = {
    "promote.py": "import mlflow\nfrom mlflow import MlflowClient\nv = mlflow.register_model(uri, 'churn')\n"
                  "MlflowClient().set_registered_model_alias('churn', 'champion', v.version)\n",
    "serve.py": "import mlflow\nfrom fastapi import FastAPI\nmodel = mlflow.pyfunc.load_model('models:/churn@champion')\n",
    ".github/workflows/deploy.yml": "on: [workflow_dispatch]\njobs:\n  d:\n    steps:\n"
                                   "      - run: kubectl apply -f k8s/\n",
}
VERSIONED_MANUAL = {
    "train.py": "import mlflow\nmlflow.sklearn.log_model(model, 'model')\n",
    "serve.py": "import joblib\nfrom fastapi import FastAPI\nmodel = joblib.load('models/model.joblib')\n",
}
OVERWRITTEN = {
    "train.py": "import joblib\nMODEL_PATH = 'models/model.joblib'\njoblib.dump(model, MODEL_PATH)\n",
    "serve.py": "import joblib\nfrom fastapi import FastAPI\nmodel = joblib.load('models/model.joblib')\n",
}


def readiness(tmp_path, files, config=None):
    root = make_repo(tmp_path, files)
    return scan_repo(root, config, now=1_800_000_000).readiness


def test_json_shape(tmp_path):
    r = readiness(tmp_path, VERSIONED_MANUAL)
    assert set(r) == {"score", "grade", "rollback_minutes", "rollback", "dimensions", "formula"}
    assert set(r["rollback"]) == {"estimate_minutes", "reasoning", "to_get_under_5"}
    assert list(r["dimensions"]) == list(DEFAULT_WEIGHTS)
    for dim in r["dimensions"].values():
        assert set(dim) == {"score", "weight", "checks"}
        for c in dim["checks"]:
            assert set(c) == {"id", "title", "status", "evidence", "fix", "rejected"}
            assert c["status"] in ("pass", "partial", "fail")
            assert all(set(e) == {"path", "line", "cell", "why"} for e in c["evidence"])
    ids = [c["id"] for d in r["dimensions"].values() for c in d["checks"]]
    assert len(ids) == len(set(ids))
    json.dumps(r)  # plain JSON


def test_score_is_the_weighted_mean_of_dimensions(tmp_path):
    r = readiness(tmp_path, VERSIONED_MANUAL)
    dims = r["dimensions"]
    expected = sum(d["score"] * d["weight"] for d in dims.values()) / sum(d["weight"] for d in dims.values())
    assert r["score"] == pytest.approx(expected, abs=0.05)
    assert r["grade"] == grade(r["score"])
    for d in dims.values():
        points = [{"pass": 1, "partial": 0.5, "fail": 0}[c["status"]] for c in d["checks"]
                  if not c["title"].startswith("Findings")]
        if len(points) == len(d["checks"]):
            assert d["score"] == pytest.approx(100 * sum(points) / len(points), abs=0.05)


def test_same_input_same_score(tmp_path):
    first = readiness(tmp_path / "a", OVERWRITTEN)
    second = readiness(tmp_path / "b", OVERWRITTEN)
    assert first == second


def test_weights_are_configurable(tmp_path):
    files = dict(ALIAS_AND_CI)
    default = readiness(tmp_path / "a", files)
    rollback_heavy = readiness(tmp_path / "b", files, {"readiness": {"weights": {"rollback": 100}}})
    assert rollback_heavy["dimensions"]["rollback"]["weight"] == 100
    assert rollback_heavy["score"] > default["score"]  # rollback is this repository's strong point
    assert "100*rollback" in rollback_heavy["formula"]


@pytest.mark.parametrize("table,message", [
    ({"weights": {"rolback": 10}}, "did you mean 'rollback'"),
    ({"weights": {"rollback": -1}}, "non-negative"),
    ({"weights": {"rollback": True}}, "non-negative"),
    ({"weights": {k: 0 for k in DEFAULT_WEIGHTS}}, "cannot all be zero"),
    ({"weight": {}}, "unknown key 'weight'"),
    ({"weights": [1, 2]}, "table of dimension"),
    ("heavy", "must be a table"),
])
def test_invalid_weights_are_clear_errors(table, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        build_config({"readiness": table}, "pyproject.toml", {})


def test_grades():
    assert [grade(s) for s in (100, 85, 84.9, 70, 55, 40, 39.9, 0)] == ["A", "A", "B", "B", "C", "D", "F", "F"]


def test_rollback_alias_and_automated_deploy_is_five_minutes(tmp_path):
    r = readiness(tmp_path, ALIAS_AND_CI)
    assert r["rollback_minutes"] == 5
    assert r["rollback"]["to_get_under_5"] == []
    assert any("alias" in reason for reason in r["rollback"]["reasoning"])


def test_rollback_versioned_files_manual_redeploy_is_half_an_hour_or_more(tmp_path):
    r = readiness(tmp_path, VERSIONED_MANUAL)
    assert r["rollback_minutes"] == 40  # 30, plus 10 because no procedure is written down
    steps = " ".join(r["rollback"]["to_get_under_5"])
    assert "alias" in steps and "CI" in steps
    documented = readiness(tmp_path / "doc", {**VERSIONED_MANUAL, "RUNBOOK.md": "# Rollback\n\n1. ...\n"})
    assert documented["rollback_minutes"] == 30


def test_rollback_overwritten_artifact_means_retraining(tmp_path):
    r = readiness(tmp_path, OVERWRITTEN)
    assert r["rollback_minutes"] >= 240
    assert any("retrained" in reason for reason in r["rollback"]["reasoning"])
    assert any("version" in step for step in r["rollback"]["to_get_under_5"])


def test_rollback_automatic_on_alarm_is_five_minutes(tmp_path):
    r = readiness(tmp_path, {
        "assets/deploy.yml": "Resources:\n  Model:\n    Properties:\n      ModelDataUrl: !Sub "
                             "s3://bucket/model-${TrainJobId}/model.tar.gz\n  Api:\n    Properties:\n"
                             "      DeploymentPreference:\n        Type: Canary10Percent5Minutes\n",
        "buildspec.yml": "phases:\n  build:\n    commands:\n      - aws cloudformation deploy --template assets/deploy.yml\n",
    })
    assert r["rollback_minutes"] == 5
    assert "rolled back automatically" in r["rollback"]["reasoning"][0]


def test_rollback_newest_file_deploys_cost_extra(tmp_path):
    files = {**VERSIONED_MANUAL, "deploy.sh": "#!/bin/sh\nMODEL=$(ls -t models/ | head -1)\nkubectl apply -f k8s\n"}
    r = readiness(tmp_path, files)
    assert r["rollback_minutes"] == 50  # versioned, manual (30), undocumented (+10), newest file (+10)


def test_rollback_not_applicable_without_models(tmp_path):
    r = readiness(tmp_path, {"README.md": "# a library\n", "lib.py": "def f():\n    return 1\n"})
    assert r["rollback_minutes"] is None


def test_reports_show_readiness(tmp_path):
    root = make_repo(tmp_path, OVERWRITTEN)
    result = scan_repo(root)
    data = json.loads(FORMATS['json'](result))
    assert data["readiness"] == json.loads(json.dumps(result.readiness))
    text = render_text(result)
    assert f"Operational readiness: {result.readiness['score']:.1f}/100" in text
    assert "rollback about 8 hours" in text  # no command retrains it
    assert "R-ROLL-01" not in text and "check(s) do not pass: -v shows each" in text  # compact by default
    verbose = render_text(result, verbose=True)
    assert "Rollback to the previous model: about 8 hours" in verbose
    assert "R-ROLL-01" in verbose and "How the score is computed" in verbose
    assert "R-ROLL-01" not in render_text(result, quiet=True)


def test_demo_score_and_rollback_are_explained(tmp_path):
    from auditor.demo import build_demo

    build_demo(tmp_path / "demo")
    result = scan_repo(tmp_path / "demo")
    r = result.readiness
    text = render_text(result, verbose=True)  # the reasoning and the checks: -v
    assert r["grade"] in "DF" and 20 < r["score"] < 55  # planted debt everywhere, some good practice
    assert r["rollback_minutes"] == 40
    statuses = {c["id"]: c["status"] for d in r["dimensions"].values() for c in d["checks"]}
    assert statuses["R-TRACE-01"] == "pass"  # DVC and a snapshot date
    assert statuses["R-ROLL-01"] == "partial"  # baseline.py overwrites its artifact in place
    assert statuses["R-MON-02"] == "fail"  # prometheus-client installed, never used
    for expected in ("grade", "Rollback to the previous model: about 40 minutes, because", "To get under 5 minutes",
                     "DVC output", "R-ROLL-04", "How the score is computed"):
        assert expected in text
