"""Dead code beyond the rule examples: confidence tiers, evidence, libraries, notebooks, the demo."""

import json

from auditor.demo import build_demo
from auditor.testing import make_repo, scan_repo


def scan(tmp_path, files, select=("dead-code",), **config):
    root = make_repo(tmp_path / "repo", files)
    result = scan_repo(root, {"select": list(select), "min-confidence": "low", **config})
    assert not result.errors, result.errors
    return result.findings


def by_symbol(findings):
    return {f.symbol: f for f in findings}


def test_confidence_tiers(tmp_path):
    files = {
        "app.py": ("def _private_unused():\n    return 1\n\n\ndef public_unused():\n    return 2\n\n\n"
                   "def looked_up_dynamically():\n    return 3\n\n\nif __name__ == '__main__':\n    print('x')\n"),
        "other.py": "NAMES = ['looked_up_dynamically']\n\nif __name__ == '__main__':\n    print(NAMES)\n",
    }
    found = by_symbol(scan(tmp_path, files, select=("ML101",)))
    assert found["_private_unused"].confidence == "high"
    assert found["public_unused"].confidence == "medium"
    assert found["looked_up_dynamically"].confidence == "low"
    assert found["looked_up_dynamically"].evidence["name_mentioned_in"] == ["other.py (string)"]
    assert found["public_unused"].evidence["lines"] == 2


def test_a_mention_in_another_unit_cannot_reach_a_labs_definition(tmp_path):
    # two labs of a course, each a unit with its own copy of a helper; lab two names its copy in a
    # registry string, which says nothing about lab one's copy. Shared code at the root stays
    # reachable from any lab's mention.
    lab = ("def _reader(path):\n    return open(path)\n\n\ndef run():\n    return 1\n\n\n"
           "if __name__ == '__main__':\n    run()\n")
    files = {
        "labs/one/requirements.txt": "pandas==2.2.0\n", "labs/one/train.py": lab,
        "labs/two/requirements.txt": "pandas==2.2.0\n",
        "labs/two/train.py": lab.replace("return 1", "return globals()['_reader']"),
        "common/io_helpers.py": "def _shared_reader(path):\n    return open(path)\n",
        "labs/two/use.py": "NAMES = ['_shared_reader']\n\nif __name__ == '__main__':\n    print(NAMES)\n",
    }
    found = {(f.path, f.symbol): f for f in scan(tmp_path, files, select=("ML101",))}
    assert found[("labs/one/train.py", "_reader")].confidence == "high"
    assert found[("labs/two/train.py", "_reader")].confidence == "low"  # named by a string in its own lab
    assert found[("common/io_helpers.py", "_shared_reader")].confidence == "low"


def test_library_public_api_is_not_dead(tmp_path):
    files = {
        "pyproject.toml": "[project]\nname = 'mylib'\nversion = '1.0'\n",
        "src/mylib/__init__.py": "from mylib.core import fit\n",
        "src/mylib/core.py": "def fit(x):\n    return _prepare(x)\n\n\ndef _prepare(x):\n    return x\n\n\n"
                             "def transform(x):\n    return _scale(x)\n\n\ndef _scale(x):\n    return x\n\n\n"
                             "def _orphan():\n    return 0\n",
        "src/mylib/extras.py": "def helper():\n    return 1\n",
    }
    findings = scan(tmp_path, files)
    # public names (even uncalled ones, and a module nothing imports) are the package's API;
    # helpers they call are live; only the private orphan is dead
    assert {(f.rule, f.symbol) for f in findings} == {("ML101", "_orphan")}


def test_dead_module_evidence_lists_entry_points(tmp_path):
    files = {
        "pkg/__init__.py": "", "pkg/old.py": "def a():\n    return 1\n", "pkg/older.py": "from pkg.old import a\n",
        "run.py": "if __name__ == '__main__':\n    print('hi')\n",
    }
    findings = {f.path: f for f in scan(tmp_path, files, select=("ML105",))}
    assert set(findings) == {"pkg/old.py", "pkg/older.py"}
    assert findings["pkg/old.py"].evidence["importers"] == ["pkg/older.py"]
    assert findings["pkg/old.py"].confidence == "medium"
    assert findings["pkg/older.py"].confidence == "high"
    assert any(e.startswith("run.py") for e in findings["pkg/older.py"].evidence["entry_points_considered"])


def test_definitions_in_a_dead_module_are_reported_once_as_the_module(tmp_path):
    files = {"pkg/__init__.py": "", "pkg/old.py": "def a():\n    return 1\n\n\ndef _b():\n    return 2\n"}
    assert [(f.rule, f.path) for f in scan(tmp_path, files)] == [("ML105", "pkg/old.py")]


def test_unused_import_confidence_with_all_and_star_imports(tmp_path):
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "import os\nimport json\n\n__all__ = ['x']\nx = json.dumps({})\n",
        "pkg/b.py": "import sys\n",
        "pkg/c.py": "from pkg.b import *\n",
        "pkg/d.py": "import pkg.a\n",
        "pkg/e.py": "import re\n",
    }
    found = {(f.path, f.symbol): f.confidence for f in scan(tmp_path, files, select=("ML104",))}
    assert found == {("pkg/a.py", "import os"): "medium", ("pkg/b.py", "import sys"): "medium",
                     ("pkg/d.py", "import pkg"): "low", ("pkg/e.py", "import re"): "high"}


def test_sibling_imports_of_scripts_resolve_to_the_sibling(tmp_path):
    files = {
        "tests/code/utils.py": "def helper_a():\n    return 1\n",
        "tests/model/utils.py": "def get_label():\n    return 1\n\n\ndef unused_label():\n    return 2\n",
        "tests/code/test_a.py": "import utils\n\n\ndef test_a():\n    assert utils.helper_a()\n",
        "tests/model/test_b.py": "import utils\n\n\ndef test_b():\n    assert utils.get_label()\n",
    }
    assert [(f.path, f.symbol) for f in scan(tmp_path, files, select=("ML101",))] == \
        [("tests/model/utils.py", "unused_label")]


def test_unreachable_and_commented_code_in_notebooks_map_to_cells(tmp_path):
    notebook = {"cells": [
        {"cell_type": "code", "source": ["def f(x):\n", "    return x\n", "    print('never')\n"]},
        {"cell_type": "code", "source": ["# model = train(df)\n", "# model.fit(X, y)\n", "# score = model.score(X, y)\n",
                                         "x = 1\n"]},
        {"cell_type": "code", "source": ["raise SystemExit\n"]},
        {"cell_type": "code", "source": ["print('next cell still runs')\n"]},
    ], "nbformat": 4}
    findings = scan(tmp_path, {"nb.ipynb": json.dumps(notebook)}, select=("ML106", "ML107"))
    assert {(f.rule, f.cell, f.line) for f in findings} == {("ML106", 1, 3), ("ML107", 2, 1)}


def test_odd_configs_and_sources_do_not_crash(tmp_path):
    files = {
        "conf/a.yaml": "- 1\n- [2, 3]\n- {_target_: 5}\n", "conf/b.json": "[]", "conf/c.yaml": "just a string\n",
        "pyproject.toml": "[project]\nscripts = 'not a table'\n[project.entry-points]\nx = 3\n",
        "setup.cfg": "[options.entry_points]\n", "weird.py": "if 0:\n    pass\nwhile False:\n    x = 1\n",
        "empty.py": "",
    }
    findings = scan(tmp_path, files, select=("dead-code", "unused-feature"))
    assert {(f.rule, f.path, f.line) for f in findings} == {
        ("ML106", "weird.py", 2), ("ML106", "weird.py", 4), ("ML103", "weird.py", 4)}


def test_demo_planted_dead_code_is_found_and_clean_code_is_not(tmp_path):
    build_demo(tmp_path / "demo")
    result = scan_repo(tmp_path / "demo", {"select": ["dead-code", "unused-feature"]})
    assert not result.errors
    found = {(f.rule, f.path, f.symbol or f.evidence.get("first", "")) for f in result.findings}
    expected = {
        ("ML101", "src/churn/utils.py", "legacy_normalize"),
        ("ML105", "src/churn/legacy_report.py", "churn.legacy_report"),
        ("ML106", "src/churn/features.py", "print(\"unreachable\")"),
        ("ML107", "src/churn/train.py", "# old_model = GradientBoostingClassifier(n_estimators=100)"),
        ("ML108", "src/churn/evaluate.py", "LOG_FOLD_SCORES@body"),
        ("ML104", "src/churn/utils.py", "import os"),
        ("ML151", "src/churn/features.py", "tenure_bucket"),
        ("ML152", "configs/train.yaml", "features:days_since_signup"),
    }
    assert found == expected
    # clean counterparts: used helpers, the model's features, the FastAPI route, the DAG callable, tests
    symbols = {f.symbol for f in result.findings}
    for clean in ("set_seeds", "load_yaml", "predict", "export_scores", "build_features", "plan_discount",
                  "tenure_months", "monthly_spend_ratio", "test_build_features_produces_model_inputs"):
        assert clean not in symbols


def test_names_used_through_a_star_import_are_used(tmp_path):
    files = {"settings.py": "BATCH = 32\nUNUSED_SETTING = 1\n\n\ndef helper():\n    return 1\n",
             "train.py": "from settings import *\n\nif __name__ == '__main__':\n    print(BATCH, helper())\n"}
    found = {f.symbol for f in scan(tmp_path, files, select=("ML101", "ML103"))}
    assert found == {"UNUSED_SETTING"}


def test_low_confidence_findings_are_hidden_by_default_and_counted(tmp_path):
    files = {"app.py": "def _private_unused():\n    return 1\n\n\ndef looked_up_dynamically():\n    return 3\n",
             "other.py": "NAMES = ['looked_up_dynamically']\n\nif __name__ == '__main__':\n    print(NAMES)\n"}
    root = make_repo(tmp_path / "repo", files)
    result = scan_repo(root, {"select": ["ML101"]})
    assert [f.symbol for f in result.findings] == ["_private_unused"]
    assert result.below_min_confidence == 1
    shown = scan_repo(root, {"select": ["ML101"], "min-confidence": "low"})
    assert sorted(f.symbol for f in shown.findings) == ["_private_unused", "looked_up_dynamically"]
    assert shown.below_min_confidence == 0


def test_an_application_with_package_metadata_is_judged_by_use_and_says_so(tmp_path):
    # a pyproject and an __init__ that re-exports names, shipped as an image and never published:
    # an application, whose unused public functions are dead; published, the same code is a library
    files = {"pyproject.toml": "[project]\nname = 'rag-service'\nversion = '0.1'\n",
             "Dockerfile": "FROM python:3.11-slim\nCOPY . /app\n",
             "src/rag/__init__.py": "from rag.chain import answer\n",
             "src/rag/chain.py": "from rag.prompts import qa_prompt\n\n\ndef answer(q):\n    return qa_prompt(q)\n",
             "src/rag/prompts.py": "def qa_prompt(q):\n    return 'Answer: ' + q\n\n\n"
                                   "def summary_prompt(text):\n    return 'Summarise: ' + text\n",
             "src/rag/server.py": "from rag import answer\n\nif __name__ == '__main__':\n    answer('hi')\n"}
    root = make_repo(tmp_path / "app", files)
    result = scan_repo(root, {"select": ["ML101"]})
    assert [f.symbol for f in result.findings] == ["summary_prompt"]
    assert result.kind == ("application", "distribution rag-service is not published, and Dockerfile ships the code")
    published = make_repo(tmp_path / "lib", {**files, ".github/workflows/release.yml":
                                             "jobs:\n  publish:\n    steps:\n      - uses: pypa/gh-action-pypi-publish@v1\n"})
    library = scan_repo(published, {"select": ["ML101"]})
    assert library.findings == [] and library.kind[0] == "library"
    forced = scan_repo(published, {"select": ["ML101"], "kind": "application"})
    assert [f.symbol for f in forced.findings] == ["summary_prompt"]
    assert forced.kind == ("application", "set by kind in the configuration")


def test_a_published_librarys_live_class_keeps_its_public_methods(tmp_path):
    # a torch.hub-style repository: users call results.render() on what the model returns
    files = {"pyproject.toml": "[project]\nname = 'detector'\nversion = '1.0'\nclassifiers = ['Topic :: Scientific/Engineering']\n",
             "models/__init__.py": "",
             "models/common.py": "class Detections:\n    def render(self):\n        return 1\n\n"
                                 "    def _rotate(self):\n        return 2\n\n\ndef detect(x):\n    return Detections()\n",
             "detect.py": "from models.common import detect\n\nif __name__ == '__main__':\n    detect(1)\n"}
    library = {f.symbol for f in scan(tmp_path / "lib", files, select=("ML101",))}
    assert library == {"Detections._rotate"}  # private: nobody outside calls it
    application = {f.symbol for f in scan(tmp_path / "app", files, select=("ML101",), kind="application")}
    assert application == {"Detections.render", "Detections._rotate"}


def test_an_import_guards_fallback_is_not_an_unused_constant(tmp_path):
    files = {"train.py": "try:\n    import comet_ml  # must be imported before torch\nexcept ImportError:\n"
                         "    comet_ml = None\n\nUNUSED_LIMIT = 3\n\nif __name__ == '__main__':\n    print('train')\n"}
    assert {f.symbol for f in scan(tmp_path, files, select=("ML103",))} == {"UNUSED_LIMIT"}
