"""Imports resolve the way the interpreter would when the code runs (auditor/analysis/import_roots.py).

Each case is a small repository written for the test that mirrors a layout seen in public ML
repositories, with one really unused function planted next to the code the layout uses, so each
test also shows the dead-code analysis still finds what is dead there.
"""

import ast

import pytest

from auditor.analysis.import_roots import _dockerfile_roots, _text_roots, sys_path_dirs
from auditor.testing import make_repo, scan_repo

PLANTED = "\n\ndef planted_unused():\n    return 'dead'\n"


def dead_code(tmp_path, files, config=None):
    root = make_repo(tmp_path / "repo", files)
    result = scan_repo(root, {"select": ["ML101", "ML105"], **(config or {})})
    assert not result.errors, result.errors
    return {(f.path, f.symbol) for f in result.findings}


def test_airflow_dags_folder_with_init_imports_its_src_package(tmp_path):
    """Airflow puts dags/ on sys.path: ``from src.steps import f`` in dags/pipeline.py is
    dags/src/steps.py even though dags/ is itself a package."""
    found = dead_code(tmp_path, {
        "dags/__init__.py": "",
        "dags/src/__init__.py": "",
        "dags/src/steps.py": "def extract():\n    return 1\n\n\ndef transform(x):\n    return x\n" + PLANTED,
        "dags/pipeline.py": (
            "from airflow import DAG\nfrom airflow.operators.python import PythonOperator\n"
            "from src.steps import extract, transform\n\n"
            "with DAG('etl') as dag:\n    a = PythonOperator(task_id='e', python_callable=extract)\n"
            "    b = PythonOperator(task_id='t', python_callable=transform)\n"),
    })
    assert found == {("dags/src/steps.py", "planted_unused")}


def test_names_a_star_import_brings_in_are_used_with_what_they_call(tmp_path):
    """``from src.steps import *`` then ``python_callable=merge``: merge is used, and so is the
    helper only merge calls (not "only referenced from unused code")."""
    found = dead_code(tmp_path, {
        "dags/__init__.py": "",
        "dags/src/__init__.py": "",
        "dags/src/steps.py": ("def _write(df, path):\n    return path\n\n\ndef save_csv(df, path):\n    return _write(df, path)\n\n\n"
                              "def merge(a, b):\n    return save_csv(a + b, 'out.csv')\n" + PLANTED),
        "dags/merge_dag.py": ("from airflow import DAG\nfrom airflow.operators.python import PythonOperator\n"
                              "from src.steps import *\n\nwith DAG('merge') as dag:\n"
                              "    PythonOperator(task_id='m', python_callable=merge, op_args=[[1], [2]])\n"),
    })
    assert found == {("dags/src/steps.py", "planted_unused")}


def test_airflow_plugins_folder_is_importable_from_dags(tmp_path):
    found = dead_code(tmp_path, {
        "composer/dags/__init__.py": "",
        "composer/dags/train_dag.py": (
            "from airflow import DAG\nfrom operators.ml import TrainOperator\n\n"
            "with DAG('train') as dag:\n    TrainOperator(task_id='t')\n"),
        "composer/plugins/operators/ml.py": (
            "from airflow.models import BaseOperator\n\n\nclass TrainOperator(BaseOperator):\n"
            "    def execute(self, context):\n        return helper()\n\n\ndef helper():\n    return 1\n" + PLANTED),
    })
    assert found == {("composer/plugins/operators/ml.py", "planted_unused")}


def test_script_imports_its_sibling_module_even_inside_a_package(tmp_path):
    """``python train.py`` puts the script's folder first on sys.path, __init__.py or not."""
    found = dead_code(tmp_path, {
        "app/__init__.py": "",
        "app/data.py": "def load_data():\n    return [1]\n\n\ndef split_data(rows):\n    return rows, rows\n" + PLANTED,
        "app/train.py": "from data import load_data, split_data\n\nif __name__ == '__main__':\n"
                        "    print(split_data(load_data()))\n",
    })
    assert found == {("app/data.py", "planted_unused")}


def test_src_layout(tmp_path):
    found = dead_code(tmp_path, {
        "pyproject.toml": "[project]\nname = 'churn'\n",
        "src/churn/__init__.py": "",
        "src/churn/features.py": "def build_features(df):\n    return df\n" + PLANTED,
        "scripts/run.py": "from churn.features import build_features\n\nif __name__ == '__main__':\n"
                          "    build_features([])\n",
    })
    assert found == {("src/churn/features.py", "planted_unused")}


def test_pythonpath_from_a_dockerfile(tmp_path):
    """``ENV PYTHONPATH=/app/lib`` with the repository copied to /app: lib/ is an import root."""
    found = dead_code(tmp_path, {
        "service/Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY . /app\nENV PYTHONPATH=/app/lib:${PYTHONPATH}\n"
                              "CMD [\"python\", \"bin/serve.py\"]\n",
        "service/lib/scoring/__init__.py": "",
        "service/lib/scoring/model.py": "def score(x):\n    return x\n" + PLANTED,
        "service/bin/__init__.py": "",
        "service/bin/serve.py": "from scoring.model import score\n\nif __name__ == '__main__':\n    score(1)\n",
    })
    assert found == {("service/lib/scoring/model.py", "planted_unused")}


def test_python_dash_m_from_a_dockerfile_context_with_namespace_packages(tmp_path):
    """``WORKDIR /app`` + ``python -m api.main``: the build context is on sys.path, so api/ (a
    folder without __init__.py) is importable as ``api`` from anywhere in the image."""
    found = dead_code(tmp_path, {
        "services/scorer/Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"-m\", \"api.main\"]\n",
        "services/scorer/api/main.py": "from api.handlers import score\n\nif __name__ == '__main__':\n    score()\n",
        "services/scorer/api/handlers.py": "from core.model import predict\n\n\ndef score():\n    return predict()\n",
        "services/scorer/core/model.py": "def predict():\n    return 1\n" + PLANTED,
    })
    assert found == {("services/scorer/core/model.py", "planted_unused")}


def test_pythonpath_from_pytest_settings(tmp_path):
    found = dead_code(tmp_path, {
        "pyproject.toml": "[tool.pytest.ini_options]\npythonpath = [\"code\"]\n",
        "code/metrics.py": "def accuracy(a, b):\n    return 1.0\n" + PLANTED,
        "tests/__init__.py": "",
        "tests/unit/__init__.py": "",
        "tests/unit/test_metrics.py": "from metrics import accuracy\n\n\ndef test_accuracy():\n"
                                      "    assert accuracy([1], [1]) == 1.0\n",
    })
    assert found == {("code/metrics.py", "planted_unused")}


def test_pythonpath_from_a_makefile_and_a_sys_path_insert(tmp_path):
    found = dead_code(tmp_path, {
        "Makefile": "train:\n\tPYTHONPATH=$(PWD)/shared python jobs/train.py\n",
        "shared/__init__.py": "",
        "shared/tools/__init__.py": "",
        "shared/tools/io.py": "def read(path):\n    return path\n" + PLANTED,
        "jobs/__init__.py": "",
        "jobs/train.py": "from tools.io import read\n\nif __name__ == '__main__':\n    read('x')\n",
        "notebooks/explore.py": (
            "import os\nimport sys\nsys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', 'lib')))\n"
            "from helpers import plot\nplot()\n"),
        "lib/helpers.py": "def plot():\n    return None\n",
    })
    assert found == {("shared/tools/io.py", "planted_unused")}


def test_pythonpath_from_a_dotenv_file(tmp_path):
    found = dead_code(tmp_path, {
        "project/.env": "MLFLOW_TRACKING_URI=http://localhost:5000\nPYTHONPATH=./pipeline\n",
        "project/requirements.txt": "pandas\n",
        "project/pipeline/steps/__init__.py": "",
        "project/pipeline/steps/clean.py": "def clean(df):\n    return df\n" + PLANTED,
        "project/run/__init__.py": "",
        "project/run/main.py": "from steps.clean import clean\n\nif __name__ == '__main__':\n    clean([])\n",
    })
    assert found == {("project/pipeline/steps/clean.py", "planted_unused")}


def test_what_a_module_that_does_not_parse_imports_is_still_used(tmp_path):
    """A course lab's pipeline.py with ``op = # TODO`` placeholders does not parse; the components
    it imports (one import spread over lines, one inside a function) are still used by it."""
    found = dead_code(tmp_path, {
        "lab/pipeline/pipeline.py": (
            "import kfp\nfrom tuning import (\n    tune,\n)\n\n\ndef build():\n    from training import train\n"
            "    tune_op = # TODO: wrap tune in a component\n    return train\n"),
        "lab/pipeline/tuning.py": "def tune(x):\n    return x\n" + PLANTED,
        "lab/pipeline/training.py": "def train(x):\n    return x\n",
    })
    assert found == {("lab/pipeline/tuning.py", "planted_unused")}


def test_a_file_a_notebook_writes_with_writefile_uses_what_it_imports(tmp_path):
    """A lab notebook writes its pipeline with ``%%writefile ./pipeline/train_pipeline.py``; the
    file is not in the repository, but the helpers it imports from its folder are used."""
    import json as _json

    cell = ("%%writefile ./pipeline/train_pipeline.py\nimport kfp\nfrom helper_components import evaluate_model\n\n"
            "evaluate_op = # TODO: make evaluate_model a component\n")
    notebook = {"cells": [{"cell_type": "code", "source": cell, "metadata": {}, "outputs": []},
                          {"cell_type": "code", "source": "!dsl-compile --py pipeline/train_pipeline.py", "metadata": {},
                           "outputs": []}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    found = dead_code(tmp_path, {
        "lab/lab-02.ipynb": _json.dumps(notebook),
        "lab/pipeline/helper_components.py": "def evaluate_model(x):\n    return x\n" + PLANTED,
    })
    assert found == {("lab/pipeline/helper_components.py", "planted_unused")}


def test_four_labs_with_copies_of_the_same_package_each_use_their_own(tmp_path):
    """The same trainer/ package copied into four labs: each lab's relative import is its own copy.
    The first lab's copy never hides the other three (and a copy that is really unused is still
    reported in the lab where nothing uses it)."""
    files = {}
    for lab in ("lab1", "lab2", "lab3", "lab4"):
        files[f"{lab}/trainer/__init__.py"] = ""
        files[f"{lab}/trainer/model.py"] = "def build_model():\n    return 'm'\n\n\ndef train_and_evaluate():\n    return build_model()\n"
        files[f"{lab}/trainer/task.py"] = "from . import model\n\nif __name__ == '__main__':\n    model.train_and_evaluate()\n"
    files["lab4/trainer/task.py"] = "if __name__ == '__main__':\n    print('not wired up yet')\n"
    found = dead_code(tmp_path, files)
    assert found == {("lab4/trainer/model.py", "trainer.model")}


def test_a_name_two_modules_could_be_marks_both_used(tmp_path):
    """``import settings`` from a package module could be the package's sibling (run as a script)
    or the top-level module (run as part of the package): neither is reported."""
    found = dead_code(tmp_path, {
        "settings.py": "def load():\n    return {}\n",
        "pkg/__init__.py": "",
        "pkg/settings.py": "def load():\n    return {'x': 1}\n",
        "pkg/run.py": "import settings\n\nif __name__ == '__main__':\n    settings.load()\n" + PLANTED,
    })
    assert found == {("pkg/run.py", "planted_unused")}


def test_an_import_from_another_unit_is_not_resolved_there(tmp_path):
    """A lab's ``import tasks`` that no root of that lab holds is an external import: another
    project's tasks.py in the same repository is not imported by it, so its locust user class is
    still a file that locust runs (not a class nothing uses)."""
    root = make_repo(tmp_path / "repo", {
        "load/requirements.txt": "locust\n",
        "load/check.py": "import tasks\n\nif __name__ == '__main__':\n    tasks.main()\n" + PLANTED,
        "other/requirements.txt": "locust\n",
        "other/jobs/tasks.py": "import locust\n\n\nclass ApiUser(locust.HttpUser):\n    wait_time = 1\n",
        "other/main.py": "print('hi')\n",
    })
    result = scan_repo(root, {"select": ["ML101", "ML102"]})
    assert {(f.path, f.symbol) for f in result.findings} == {("load/check.py", "planted_unused")}


def _module(path, source):
    class Module:
        pass

    module = Module()
    module.path = path
    tree = ast.parse(source)
    module.nodes = lambda kind: [n for n in ast.walk(tree) if isinstance(n, kind)]
    return module


@pytest.mark.parametrize("source, expected", [
    ("import sys\nsys.path.insert(0, '../src')\n", ["labs/src"]),
    ("import os, sys\nsys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n", ["labs"]),
    ("import sys\nfrom pathlib import Path\nsys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'lib'))\n",
     ["labs/lib"]),
    ("import sys\nfrom pathlib import Path\nsys.path.append(str(Path(__file__).parent.parent))\n", ["labs"]),
    ("import sys, os\nsys.path.insert(0, os.getcwd())\n", ["labs/a"]),
    ("import sys\nsys.path.insert(0, '/opt/lib')\nsys.path.append(os.environ['X'])\n", []),
    ("import sys\nsys.path.insert(0, '../../../..')\n", []),  # leaves the repository: ignored
])
def test_sys_path_edits_are_followed_when_the_path_is_known(source, expected):
    assert sys_path_dirs(_module("labs/a/run.py", source)) == expected


def test_dockerfile_and_text_pythonpath_entries():
    folders = {"svc", "svc/src", "svc/lib"}
    roots = _dockerfile_roots("svc/Dockerfile", "FROM x\nWORKDIR /srv\nENV PYTHONPATH=/srv/src:/srv:$PYTHONPATH\n", folders)
    assert [(r.folder, r.scope) for r in roots] == [("svc/src", "svc"), ("svc", "svc")]
    roots = _text_roots(".github/workflows/ci.yml", "env:\n  PYTHONPATH: ${{ github.workspace }}/svc/lib\n", "", folders)
    assert [(r.folder, r.scope) for r in roots] == [("svc/lib", "")]
    assert _text_roots("Makefile", "export PYTHONPATH := $(HOME)/x\n", "", folders) == []


@pytest.mark.parametrize("cell, expected", [
    ("%%writefile trainer/task.py\nfrom trainer import model\n", {"labs/nb/trainer/task.py": [["model", "trainer.model", 1]]}),
    ("%%writefile -a ../shared/run.py\nimport numpy\n", {"labs/shared/run.py": [["numpy", "numpy", 1]]}),
    ("%%writefile {PIPELINE_DIR}/p.py\nimport x\n", {}),  # a path computed at run time
    ("%%writefile Dockerfile\nFROM python\n", {}),  # not Python
    ("%%writefile ../../../../escape.py\nimport x\n", {}),  # leaves the repository
])
def test_writefile_cells_become_modules_at_their_path(cell, expected):
    import json as _json

    from auditor.analysis.symbols import written_modules
    from auditor.model.sources import parse_notebook

    data = _json.dumps({"cells": [{"cell_type": "code", "source": cell}], "nbformat": 4}).encode()
    assert written_modules("labs/nb/lab.ipynb", parse_notebook(data).written) == expected


def test_a_dotted_name_in_a_labs_config_names_that_labs_copy(tmp_path):
    """Hydra's ``_target_: trainer.model.build`` in each lab's config names the lab's own copy of
    trainer/, so no copy's build() is reported."""
    files = {}
    for lab in ("lab1", "lab2"):
        files[f"{lab}/requirements.txt"] = "hydra-core==1.3.2\n"
        files[f"{lab}/conf/config.yaml"] = "model:\n  _target_: trainer.model.build\n"
        files[f"{lab}/trainer/__init__.py"] = ""
        files[f"{lab}/trainer/model.py"] = "def build(width=8):\n    return width\n"
        files[f"{lab}/run.py"] = "import hydra\n\nif __name__ == '__main__':\n    print('run')\n"
    files["lab2/trainer/model.py"] += PLANTED
    found = dead_code(tmp_path, files)
    assert found == {("lab2/trainer/model.py", "planted_unused")}
