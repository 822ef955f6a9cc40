"""Unused features beyond the rule examples: every way of producing and consuming a column."""

import pytest

from auditor.testing import make_repo, scan_repo


def unused_features(tmp_path, files, rules=("ML151",)):
    root = make_repo(tmp_path / "repo", files)
    result = scan_repo(root, {"select": list(rules), "min-confidence": "low"})
    assert not result.errors, result.errors
    return {f.symbol: f for f in result.findings}


PRODUCERS = {
    "subscript": "def build(df):\n    df['x_new'] = df['a'] + 1\n    return df\n",
    "loc": "def build(df):\n    df.loc[:, 'x_new'] = 0\n    return df\n",
    "list-assign": "def build(df):\n    df[['x_new', 'a2']] = df[['a', 'a']]\n    return df[['a2']]\n",
    "assign": "def build(frame):\n    return frame.assign(x_new=lambda d: d['a'] * 2)\n",
    "rename": "def build(df):\n    return df.rename(columns={'a': 'x_new'})\n",
    "spark": "def build(sdf):\n    return sdf.withColumn('x_new', sdf.a + 1)\n",
    "polars": "import polars as pl\n\n\ndef build(lf):\n    return lf.with_columns(pl.col('a').alias('x_new'))\n",
    "returned-keys": "def compute_features(row):\n    return {'x_new': row['a'] * 2}\n",
    "feature-store": "from feast import Field\n\nfields = [Field(name='x_new', dtype=None)]\n",
    "annotated-frame": "import pandas as pd\n\n\ndef build(raw: pd.DataFrame):\n    raw['x_new'] = 1\n    return raw\n",
    "frame-from-pandas": "import pandas as pd\n\nframe_src = pd.read_csv('a.csv')\ntable = frame_src.copy()\ntable['x_new'] = 1\n",
}


@pytest.mark.parametrize("how", sorted(PRODUCERS))
def test_each_way_of_producing_a_column(how, tmp_path):
    found = unused_features(tmp_path, {"features.py": PRODUCERS[how]})
    assert set(found) == {"x_new"}
    assert found["x_new"].evidence["produced_at"].startswith("features.py:")


CONSUMERS = {
    "subscript-other-module": "from features import build\n\n\ndef train(df):\n    return build(df)['x_new']\n",
    "feature-list-constant": "FEATURES = ['a', 'x_new']\n",
    "concatenated-lists": "BASE = ['a']\nEXTRA = ['x_new']\nALL = BASE + EXTRA\n",
    "usecols": "import pandas as pd\n\ndf = pd.read_csv('f.csv', usecols=['x_new'])\n",
    "column-transformer": "from sklearn.compose import ColumnTransformer\nfrom sklearn.preprocessing import StandardScaler\n\n"
                          "ct = ColumnTransformer([('num', StandardScaler(), ['x_new'])])\n",
    "attribute-access": "def train(df):\n    return df.x_new.mean()\n",
    "groupby": "def report(df):\n    return df.groupby('x_new').size()\n",
}


@pytest.mark.parametrize("how", sorted(CONSUMERS))
def test_each_way_of_consuming_a_column(how, tmp_path):
    files = {"features.py": PRODUCERS["subscript"], "train.py": CONSUMERS[how]}
    assert unused_features(tmp_path, files) == {}


def test_consumed_in_a_loaded_config(tmp_path):
    files = {"features.py": PRODUCERS["subscript"], "params.yaml": "train:\n  features: [a, x_new]\n"}
    assert unused_features(tmp_path, files) == {}


def test_drop_is_not_a_use_but_pop_is(tmp_path):
    dropped = "def build(df):\n    df['x_new'] = df['a'] + 1\n    df = df.drop('x_new', axis=1)\n    del df['x_new']\n    return df\n"
    assert set(unused_features(tmp_path / "a", {"features.py": dropped})) == {"x_new"}
    popped = "def build(df):\n    df['x_new'] = df['a'] + 1\n    return df.pop('x_new')\n"
    assert unused_features(tmp_path / "b", {"features.py": popped}) == {}


def test_confidence_drops_when_frames_escape(tmp_path):
    files = {"features.py": PRODUCERS["subscript"],
             "job.py": "from features import build\n\nbuild(load()).to_parquet(out_path())\n"}
    assert unused_features(tmp_path / "a", files)["x_new"].confidence == "medium"
    files["explore.py"] = "def numeric(df):\n    return df.select_dtypes('number')\n"
    finding = unused_features(tmp_path / "b", files)["x_new"]
    assert finding.confidence == "low"
    assert finding.evidence["dynamic_column_selection"] == ["explore.py:2 select_dtypes"]
    assert unused_features(tmp_path / "c", {"features.py": PRODUCERS["subscript"]})["x_new"].confidence == "high"


def test_dicts_payloads_and_notebooks_are_not_features(tmp_path):
    files = {
        "api.py": "def handle(request):\n    payload = {}\n    payload['status'] = 'ok'\n    headers = {}\n"
                  "    headers['X-Trace'] = request.id\n    return payload, headers\n",
        "explore.ipynb": '{"cells": [{"cell_type": "code", "source": ["df[\'tmp_plot\'] = df[\'a\'] * 2"]}], "nbformat": 4}',
    }
    assert unused_features(tmp_path, files) == {}


def test_unproduced_config_feature(tmp_path):
    files = {
        "configs/train.yaml": "model:\n  numeric_features:\n    - age\n    - tenure_days\n  target: churn\n",
        "train.py": "import yaml\n\ncfg = yaml.safe_load(open('configs/train.yaml'))\n\n\ndef fit(df):\n"
                    "    df['age'] = df['birth'].dt.year\n    return df[cfg['model']['numeric_features']]\n",
    }
    found = unused_features(tmp_path, files, rules=("ML152",))
    assert set(found) == {"model.numeric_features:tenure_days"}
    finding = found["model.numeric_features:tenure_days"]
    assert finding.line == 4 and finding.confidence == "medium"
    assert finding.evidence["config_loaded_by_code"] is True


def test_legacy_feature_read_only_by_dead_code_in_another_module(tmp_path):
    files = {
        "pkg/__init__.py": "",
        "pkg/features.py": "def build(df):\n    df['ratio'] = df['a'] / df['b']\n    df['v1_score'] = df['a'] * 3\n    return df\n",
        "pkg/models.py": "import pandas as pd\n\n\ndef current(df: pd.DataFrame):\n    return df['ratio']\n\n\n"
                         "def v1_model(df: pd.DataFrame):\n    return df['v1_score']\n",
        "pkg/train.py": "from pkg.features import build\nfrom pkg.models import current\n\n"
                        "if __name__ == '__main__':\n    current(build(None))\n",
    }
    found = unused_features(tmp_path, files, rules=("ML151", "ML153"))
    assert set(found) == {"v1_score"}
    assert found["v1_score"].rule == "ML153"
    assert found["v1_score"].evidence["dead_readers"] == ["pkg/models.py::v1_model"]


def test_skew_needs_both_paths_and_a_serving_side_that_computes_features(tmp_path):
    train = ("FEATURES = ['ratio', 'tenure']\n\n\ndef build(df):\n    df['ratio'] = df['a'] / df['b']\n"
             "    df['tenure'] = df['end'] - df['start']\n    return df[FEATURES]\n\n\nif __name__ == '__main__':\n    build(None)\n")
    serve = ("from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.post('/predict')\ndef predict(row: dict):\n"
             "    df = to_frame(row)\n    df['ratio'] = df['a'] / df['b']\n    return df\n")
    found = unused_features(tmp_path / "a", {"train.py": train, "serve.py": serve}, rules=("ML154",))
    assert set(found) == {"tenure"}
    assert found["tenure"].evidence["training_produces_at"] == "train.py:6"
    assert unused_features(tmp_path / "b", {"train.py": train}, rules=("ML154",)) == {}
