"""Framework awareness of the dead-code analysis: code that a framework calls is never reported.

Every case also plants one really unused function (``_planted``/``planted_unused``), so each test
proves the analysis ran and still finds real dead code next to the framework code it must keep.
"""

import pytest

from auditor.ml.frameworks import decorator_reason, function_reason, method_reason
from auditor.testing import make_repo, scan_repo

PLANTED = "\n\ndef _planted():\n    return 'dead'\n"


def unused(tmp_path, files, rules=("ML101", "ML102", "ML103")):
    root = make_repo(tmp_path / "repo", files)
    result = scan_repo(root, {"select": list(rules)})
    assert not result.errors, result.errors
    return {(f.path, f.symbol) for f in result.findings}


CASES = {
    "pytorch-module": {"model.py": (
        "import torch\nimport torch.nn as nn\n\n\nclass Encoder(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.proj = nn.Linear(2, 2)\n        self.register_forward_hook(self._log_hook)\n\n"
        "    def forward(self, x):\n        return self.proj(x)\n\n    def extra_repr(self):\n        return 'enc'\n\n"
        "    def _log_hook(self, module, inputs, output):\n        return None\n\n\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.encoder = Encoder()\n\n"
        "    def forward(self, x):\n        return self.encoder(x)\n\n\nif __name__ == '__main__':\n    Net()(torch.ones(2))\n"
        + PLANTED)},
    "lightning": {"lit.py": (
        "import lightning.pytorch as pl\n\n\nclass LitModel(pl.LightningModule):\n    def training_step(self, batch, idx):\n"
        "        return batch\n\n    def configure_optimizers(self):\n        return None\n\n"
        "    def on_train_epoch_end(self):\n        pass\n\n\nif __name__ == '__main__':\n    pl.Trainer().fit(LitModel())\n"
        + PLANTED)},
    "keras": {"layer.py": (
        "from tensorflow import keras\n\n\nclass Scale(keras.layers.Layer):\n    def build(self, shape):\n        pass\n\n"
        "    def call(self, x):\n        return x\n\n    def get_config(self):\n        return {}\n\n\n"
        "if __name__ == '__main__':\n    keras.Sequential([Scale()])\n" + PLANTED)},
    "sklearn-estimator": {"est.py": (
        "from sklearn.base import BaseEstimator, TransformerMixin\nfrom sklearn.pipeline import make_pipeline\n\n\n"
        "class Clip(BaseEstimator, TransformerMixin):\n    def fit(self, X, y=None):\n        return self\n\n"
        "    def transform(self, X):\n        return X\n\n\nclass DuckModel:\n    def fit(self, X, y):\n        return self\n\n"
        "    def predict(self, X):\n        return X\n\n    def get_params(self, deep=True):\n        return {}\n\n"
        "    def score(self, X, y):\n"
        "        return 1.0\n\n\nif __name__ == '__main__':\n    make_pipeline(Clip(), DuckModel())\n" + PLANTED)},
    "dunders-and-init-subclass": {"base.py": (
        "class Registry:\n    items = {}\n\n    def __init_subclass__(cls, **kw):\n        Registry.items[cls.__name__] = cls\n\n"
        "    def __repr__(self):\n        return 'r'\n\n    def __eq__(self, other):\n        return True\n\n    __hash__ = None\n\n\n"
        "class Plugin(Registry):\n    pass\n\n\nprint(Registry.items)\n" + PLANTED)},
    "dataclass-pydantic-namedtuple-enum": {"types_.py": (
        "import enum\nfrom dataclasses import dataclass\nfrom typing import NamedTuple\n\nfrom pydantic import BaseModel\n\n\n"
        "@dataclass\nclass TrainConfig:\n    lr: float = 0.1\n    epochs: int = 3\n\n\nclass Request(BaseModel):\n    text: str\n"
        "    top_k: int = 5\n\n\nclass Point(NamedTuple):\n    x: float\n    y: float\n\n\nclass Stage(enum.Enum):\n    TRAIN = 'train'\n"
        "    SERVE = 'serve'\n\n\nif __name__ == '__main__':\n    print(TrainConfig(), Request(text='a'), Point(1, 2), Stage['TRAIN'])\n"
        + PLANTED)},
    "abstract-and-protocol": {"iface.py": (
        "import abc\nfrom typing import Protocol\n\n\nclass Scorer(abc.ABC):\n    @abc.abstractmethod\n    def score(self, x):\n"
        "        ...\n\n    @abc.abstractmethod\n    def explain(self, x):\n        ...\n\n\nclass Loader(Protocol):\n"
        "    def load_batch(self, path: str) -> list:\n        ...\n\n\ndef run(scorer: Scorer, loader: Loader):\n"
        "    return scorer.score(loader)\n\n\nif __name__ == '__main__':\n    run(None, None)\n" + PLANTED)},
    "external-base-overrides": {"handlers.py": (
        "import json\nimport logging\n\n\nclass SlackHandler(logging.Handler):\n    def emit(self, record):\n        pass\n\n"
        "    def custom_override_of_unknown_base(self):\n        pass\n\n\nclass Encoder(json.JSONEncoder):\n    def default(self, o):\n"
        "        return str(o)\n\n\nlogging.getLogger().addHandler(SlackHandler())\nprint(json.dumps({}, cls=Encoder))\n" + PLANTED)},
    "project-polymorphism": {"poly.py": (
        "class Step:\n    def run(self):\n        return self.execute()\n\n    def execute(self):\n        raise NotImplementedError\n\n\n"
        "class Clean(Step):\n    def execute(self):\n        return 'clean'\n\n\nfor step in [Clean()]:\n    step.run()\n" + PLANTED)},
    "fastapi-flask": {
        "api.py": ("from fastapi import APIRouter, FastAPI\n\napp = FastAPI()\nrouter = APIRouter()\n\n\n@app.get('/health')\n"
                   "def health():\n    return {'ok': True}\n\n\n@router.post('/predict')\nasync def predict(x: dict):\n    return x\n\n\n"
                   "@app.on_event('startup')\ndef load():\n    pass\n\n\napp.include_router(router)\n" + PLANTED),
        "web.py": "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route('/')\ndef index():\n    return 'hi'\n"},
    "click-typer": {"cli.py": (
        "import click\nimport typer\n\napp = typer.Typer()\n\n\n@click.group()\ndef cli():\n    pass\n\n\n@cli.command()\ndef train():\n"
        "    pass\n\n\n@app.command()\ndef evaluate(run_id: str = ''):\n    pass\n\n\n@app.callback()\ndef main_callback():\n    pass\n\n\n"
        "if __name__ == '__main__':\n    app()\n" + PLANTED)},
    "pytest": {
        "tests/conftest.py": ("import pytest\n\n\ndef pytest_addoption(parser):\n    parser.addoption('--slow')\n\n\n"
                              "@pytest.fixture(scope='session')\ndef dataset():\n    return [1]\n" + PLANTED),
        "tests/test_model.py": ("import unittest\n\n\nclass ModelTester(unittest.TestCase):\n    def setUp(self):\n        pass\n\n"
                                "    def test_fit(self):\n        pass\n\n\ndef test_dataset(dataset):\n    assert dataset\n")},
    "airflow": {"dags/etl.py": (
        "from datetime import datetime\n\nfrom airflow.decorators import dag, task\n"
        "from airflow.operators.python import PythonOperator\n\n\n"
        "def export():\n    pass\n\n\n@task\ndef extract():\n    return 1\n\n\n@dag(start_date=datetime(2025, 1, 1))\ndef etl():\n"
        "    extract()\n    PythonOperator(task_id='export', python_callable=export)\n\n\netl()\n"),
        "pipelines/__init__.py": "", "pipelines/lib.py": PLANTED},
    "prefect-dagster-kubeflow": {"flows.py": (
        "from dagster import asset, job, op\nfrom kfp import dsl\nfrom prefect import flow, task\n\n\n"
        "@task\ndef fetch():\n    return 1\n\n\n"
        "@flow\ndef pipeline():\n    fetch()\n\n\n@asset\ndef features():\n    return 1\n\n\n@op\ndef clean():\n    return 1\n\n\n"
        "@job\ndef nightly():\n    clean()\n\n\n@dsl.component\ndef train_component():\n    pass\n\n\n@dsl.pipeline(name='p')\n"
        "def kf_pipeline():\n    train_component()\n" + PLANTED)},
    "ray-celery": {"workers.py": (
        "import ray\nfrom celery import Celery, shared_task\nfrom ray import serve\n\napp = Celery('w')\n\n\n@ray.remote\n"
        "def score(x):\n    return x\n\n\n@serve.deployment\nclass Predictor:\n    def __call__(self, request):\n        return 1\n\n"
        "    def reconfigure(self, config):\n        pass\n\n\n@app.task\ndef retrain():\n    pass\n\n\n@shared_task\ndef cleanup():\n"
        "    pass\n" + PLANTED)},
    "registry-decorator": {"models.py": (
        "MODELS = {}\n\n\ndef register(name):\n    def wrap(fn):\n        MODELS[name] = fn\n        return fn\n    return wrap\n\n\n"
        "@register('linear')\ndef build_linear():\n    return 'linear'\n\n\nif __name__ == '__main__':\n    print(MODELS['linear']())\n"
        + PLANTED)},
    "serverless-handlers": {
        "lambda_function.py": "def lambda_handler(event, context):\n    return {'statusCode': 200}\n" + PLANTED,
        "inference.py": "def model_fn(model_dir):\n    return None\n\n\ndef predict_fn(data, model):\n    return data\n",
        "score_handler.py": "def score_records(event, context):\n    return []\n"},
    "external-attributes-and-getattr": {"setup_env.py": (
        "import importlib\n\nimport torch\n\ntorch._dynamo.config.suppress_errors = True\nPLUGIN_NAME = 'plugins.fast'\n\n\n"
        "def fast_path():\n    return 1\n\n\nhandler = getattr(importlib.import_module(__name__), 'fast_path')\n"
        "importlib.import_module(PLUGIN_NAME)\n" + PLANTED)},
    "runner-discovered-subclasses": {
        "animations/intro.py": "from manim import Scene\n\n\nclass Intro(Scene):\n    def construct(self):\n        pass\n",
        "load/locustfile.py": "from locust import HttpUser, LoadTestShape, task\n\n\nclass Scorer(HttpUser):\n    @task\n"
                              "    def score(self):\n        pass\n\n\nclass Ramp(LoadTestShape):\n    def tick(self):\n"
                              "        return (10, 1)\n",
        "tools/export.py": "import json\n\n\nclass _PlantedEncoder(json.JSONEncoder):\n    pass\n" + PLANTED},
    "tfx-module-file": {  # the Trainer and Transform load module files by path and call these functions by name
        "runner.py": ("import os\n\nTRAINER_MODULE = os.path.join('pipeline', 'model.py')\n\n\n"
                      "if __name__ == '__main__':\n    print(TRAINER_MODULE)\n"),
        "pipeline/model.py": (
            "import tensorflow as tf\n\nimport features\n\n\ndef _input_fn(files, batch_size):\n"
            "    return tf.data.Dataset.from_tensor_slices(files).batch(batch_size)\n\n\n"
            "def _build_keras_model(units):\n    return tf.keras.Sequential([tf.keras.layers.Dense(units)])\n\n\n"
            "def run_fn(fn_args):\n    model = _build_keras_model(features.HIDDEN_UNITS)\n"
            "    model.fit(_input_fn(fn_args.train_files, 32))\n" + PLANTED),
        "pipeline/features.py": (
            "HIDDEN_UNITS = 8\nLABEL_KEY = 'label'\n\n\ndef transformed_name(key):\n    return key + '_xf'\n\n\n"
            "def preprocessing_fn(inputs):\n    return {transformed_name(LABEL_KEY): inputs[LABEL_KEY]}\n")},
    "cloud-functions": {  # Google Cloud Functions import main.py from the deployed folder and call the entry point
        "functions/predict/requirements.txt": "scikit-learn\n",
        "functions/predict/main.py": (
            "import joblib\nfrom flask import jsonify\n\n\ndef _load():\n    return joblib.load('model.joblib')\n\n\n"
            "def predict_http(request):\n    features = request.get_json()['features']\n"
            "    return jsonify(prediction=_load().predict([features]).tolist())\n\n\n"
            "def on_upload(cloud_event):\n    return cloud_event.data['name']\n" + PLANTED),
        "functions/predict/helpers.py": "def unrelated(request):\n    return request\n"},
    "exec-configs": {  # nanoGPT style: a configurator exec's a config file named on the command line
        "train.py": ("batch_size = 12\nlearning_rate = 6e-4\nexec(open('configurator.py').read())\n"
                     "print(batch_size, learning_rate)\n"),
        "configurator.py": ("import sys\nfor arg in sys.argv[1:]:\n    if '=' not in arg:\n"
                            "        exec(open(arg).read())\n"),
        "config/train_small.py": "import math\nbatch_size = 4\nlearning_rate = 1e-3\nwarmup = math.ceil(2.5)\n",
        "tools/report.py": "import json\n" + PLANTED},
    "names-built-at-run-time": {  # getattr(module, "Model" + size), eval("build_" + kind), globals()[name]
        "zoo.py": ("class ModelSmall:\n    pass\n\n\nclass ModelLarge:\n    pass\n\n\ndef build_cnn():\n    return 1\n\n\n"
                   "def build_rnn():\n    return 2\n\n\ndef make(size, kind):\n    import zoo\n"
                   "    model = getattr(zoo, 'Model' + size)()\n    return model, eval('build_' + kind)()\n\n\n"
                   "if __name__ == '__main__':\n    make('Small', 'cnn')\n" + PLANTED)},
    "two-letter-prefix-in-its-own-module": {  # eval("TF" + name): a TensorFlow port's layers, looked up by name
        "tf_port.py": ("class TFConv:\n    pass\n\n\nclass TFC3:\n    pass\n\n\ndef parse(layers):\n"
                       "    return [eval('TF' + name)() for name in layers]\n\n\n"
                       "if __name__ == '__main__':\n    parse(['Conv', 'C3'])\n" + PLANTED)},
    "torch-hub": {"hubconf.py": ("dependencies = ['torch']\n\n\ndef _build(depth):\n    return depth\n\n\n"
                                "def resnet18(pretrained=False):\n    return _build(18)\n" + PLANTED)},
    "dunder-all": {"main.py": "import lib.api\n", "lib/__init__.py": "", "lib/api.py": (
        "__all__ = ['public_entry']\n\n\ndef public_entry():\n    return 1\n" + PLANTED)},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_framework_code_is_kept_and_real_dead_code_found(case, tmp_path):
    files = CASES[case]
    found = unused(tmp_path, files)
    planted_paths = {path for path, text in files.items() if "_planted" in text}
    expected = {(path, "_planted") for path in planted_paths}
    if case == "runner-discovered-subclasses":  # an unused JSONEncoder in a script is still dead
        expected.add(("tools/export.py", "_PlantedEncoder"))
    if case == "cloud-functions":  # (request) makes an entry point only in main.py, which the runtime loads
        expected.add(("functions/predict/helpers.py", "unrelated"))
    assert found == expected


def test_config_and_packaging_entry_points(tmp_path):
    files = {
        "pkg/__init__.py": "",
        "pkg/hydra_target.py": "class Model:\n    pass\n",
        "pkg/scripts.py": "def cli():\n    pass\n\n\ndef gui():\n    pass\n" + PLANTED,
        "pkg/cfg_entry.py": "def run():\n    pass\n",
        "pkg/setup_entry.py": "def go():\n    pass\n",
        "conf/model.yaml": "model:\n  _target_: pkg.hydra_target.Model\n",
        "pyproject.toml": "[project]\nname = 'x'\n[project.scripts]\nx = 'pkg.scripts:cli'\n"
                          "[project.gui-scripts]\nxg = 'pkg.scripts:gui'\n",
        "setup.cfg": "[metadata]\nname = x\n\n[options.entry_points]\nconsole_scripts =\n    y = pkg.cfg_entry:run\n",
        "setup.py": "from setuptools import setup\n\nsetup(entry_points={'console_scripts': ['z = pkg.setup_entry:go']})\n",
    }
    found = unused(tmp_path, files, rules=("ML101", "ML102", "ML105"))
    assert found == {("pkg/scripts.py", "_planted")}


def test_user_entrypoints_setting(tmp_path):
    root = make_repo(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/job.py": "def run():\n    pass\n",
                                         "pkg/other.py": "def run():\n    pass\n"})
    result = scan_repo(root, {"select": ["ML105"], "entrypoints": ["pkg.job"]})
    assert [f.path for f in result.findings] == ["pkg/other.py"]
    considered = result.findings[0].evidence["entry_points_considered"]
    assert any("pkg/job.py" in entry for entry in considered)


def test_a_dotted_glob_in_entrypoints_is_a_whitelist_of_plugin_modules(tmp_path):
    """``entrypoints = ["pkg.plugins.*"]``: modules a plugin loader finds by itself, every top-level
    name used; the rest of the package is still judged by use."""
    root = make_repo(tmp_path / "repo", {
        "pkg/__init__.py": "", "pkg/plugins/__init__.py": "",
        "pkg/plugins/resize.py": "def apply(img):\n    return img\n\n\nclass Resize:\n    pass\n",
        "pkg/plugins/crop.py": "def apply(img):\n    return img\n",
        "pkg/core.py": "def helper():\n    return 1\n",
        "main.py": "import pkg.core\n\nif __name__ == '__main__':\n    print('run')\n",
    })
    result = scan_repo(root, {"select": ["ML101", "ML102", "ML105"], "entrypoints": ["pkg.plugins.*"]})
    assert {(f.path, f.symbol) for f in result.findings} == {("pkg/core.py", "helper")}


def test_dagster_definitions_loaded_by_package_and_from_a_dg_defs_folder(tmp_path):
    """``load_defs(pkg.defs)`` and ``load_assets_from_modules([...])`` import every module they are
    given; a ``dg`` project's defs folder is loaded by path. Their modules are not dead; a module
    outside them that nothing imports still is."""
    asset = "import dagster as dg\n\n\n@dg.asset\ndef orders():\n    return 1\n"
    root = make_repo(tmp_path / "repo", {
        "etl/pyproject.toml": "[project]\nname = 'etl'\n\n[tool.dg.project]\nroot_module = 'etl'\n",
        "etl/src/etl/__init__.py": "",
        "etl/src/etl/definitions.py": "import dagster as dg\nfrom dagster.components import load_defs\n"
                                      "import etl.defs\n\ndefs = dg.Definitions.merge(load_defs(etl.defs))\n",
        "etl/src/etl/defs/__init__.py": "", "etl/src/etl/defs/sales/__init__.py": "",
        "etl/src/etl/defs/sales/assets.py": asset,
        "etl/src/etl/stale_helpers.py": "def unused_helper():\n    return 2\n",
        "bi/src/bi/__init__.py": "", "bi/requirements.txt": "dagster==1.11.0\n",
        "bi/src/bi/definitions.py": "from dagster import Definitions, load_assets_from_modules\n"
                                    "from bi import reports, exports\n\n"
                                    "defs = Definitions(assets=load_assets_from_modules([reports, exports]))\n",
        "bi/src/bi/reports.py": asset, "bi/src/bi/exports.py": asset.replace("orders", "exports"),
        "dagster_cloud.yaml": "locations:\n  - location_name: etl\n    code_source:\n"
                              "      module_name: etl.definitions\n  - location_name: bi\n    code_source:\n"
                              "      module_name: bi.definitions\n",
    })
    result = scan_repo(root, {"select": ["ML101", "ML105"]})
    assert {(f.path, f.rule) for f in result.findings} == {("etl/src/etl/stale_helpers.py", "ML105")}


def test_tables_explain_their_reasons():
    assert decorator_reason("app.post") == "FastAPI/Starlette route"
    assert decorator_reason("pytest.fixture") == "pytest fixture or hook"
    assert decorator_reason("functools.lru_cache") is None
    assert decorator_reason("my_project.timer").startswith("decorated with")
    assert method_reason("forward") == "PyTorch nn.Module / Dataset"
    assert method_reason("training_step") == "PyTorch Lightning"
    assert method_reason("__len__") == "special method"
    assert method_reason("compute_statistics") is None
    assert function_reason("lambda_handler") == "AWS Lambda handler"
    assert function_reason("pytest_configure") == "pytest hook"
    assert function_reason("compute_statistics") is None


def test_explain_dead_says_why_a_name_is_used_or_unused(tmp_path):
    from click.testing import CliRunner

    from auditor.cli.main import main

    root = make_repo(tmp_path / "repo", {"app.py": "def used():\n    return 1\n\n\ndef forgotten():\n    return 2\n\n\n"
                                                   "if __name__ == '__main__':\n    print(used())\n"})
    output = CliRunner().invoke(main, ["scan", str(root), "--explain-dead", "used", "--explain-dead", "app.forgotten",
                                       "--explain-dead", "nothing_here"]).output
    used, forgotten, missing = output.split("\n\n")[:3]
    assert used.startswith("function used at app.py:1") and "referenced from live code: app.py" in used
    assert forgotten.startswith("function forgotten at app.py:5") and "unused (confidence" in forgotten
    assert '[tool.mlaudit] entrypoints ("app:forgotten")' in forgotten
    assert "no definition or module of the project is named 'nothing_here'" in missing
