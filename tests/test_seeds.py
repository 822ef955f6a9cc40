"""Seed rules beyond their examples: the tables, the facts, the whole-program flow, the demo."""

import re

import pytest

from auditor import registry
from auditor.demo import build_demo
from auditor.ml.paths import is_test_support_path
from auditor.rules import seed_tables
from auditor.rules.seeds import SeedFlow
from auditor.testing import make_repo, scan_repo

SEED_RULES = ("ML201", "ML202", "ML203", "ML204")


def scan(tmp_path, files, select=("ML2",)):
    root = make_repo(tmp_path / "repo", files)
    result = scan_repo(root, {"select": list(select)})
    assert not result.errors, result.errors
    return result


def test_tables_are_well_formed():
    for name, draw in {**seed_tables.DRAWS, **{f"{k[0]}..{k[1]}": v for k, v in seed_tables.PACKAGE_DRAWS.items()}}.items():
        assert draw.library in (None, "random", "numpy", "torch", "tensorflow"), name
        assert draw.seed_args or draw.library, f"{name}: nothing can pin it"
        if draw.when:
            assert len(draw.when) == 3, name
    for name, libraries in seed_tables.SEED_SETTERS.items():
        assert libraries and set(libraries) <= {"random", "numpy", "torch", "tensorflow"}, name
    assert seed_tables.lookup_draw("sklearn.model_selection._split.train_test_split").when == ("shuffle", True, True)
    assert seed_tables.lookup_draw("sklearn.ensemble.RandomForestClassifier").library == "numpy"
    assert seed_tables.lookup_draw("numpy.random.default_rng").library is None
    assert seed_tables.lookup_draw("numpy.linalg.norm") is None
    assert seed_tables.is_non_pin_source("secrets.randbits")


LIBRARIES = {  # library -> how an example shows it is about that library
    "random": r"\bimport random\b", "numpy": r"numpy", "torch": r"import torch", "tensorflow": r"tensorflow",
    "keras": r"\bkeras\b", "jax": r"\bjax\b", "sklearn": r"sklearn", "pandas": r"pandas", "xgboost": r"xgboost",
    "lightgbm": r"lightgbm", "catboost": r"catboost", "hyperopt": r"hyperopt", "optuna": r"optuna",
    "transformers": r"transformers", "lightning": r"lightning", "ray": r"ray\.tune",
}


@pytest.mark.parametrize("library", sorted(LIBRARIES))
def test_every_library_has_valid_and_invalid_examples(library):
    pattern = re.compile(LIBRARIES[library])
    kinds = set()
    for rule_id in ("ML201", "ML202"):
        for example in registry.all_rules()[rule_id].examples:
            text = "".join(c for c in example.files.values() if isinstance(c, str))
            if pattern.search(text):
                kinds.add("valid" if example.valid else "invalid")
    assert kinds == {"valid", "invalid"}, library


def test_draw_facts_carry_cells_states_and_details(tmp_path):
    notebook = ('{"cells": [{"cell_type": "code", "source": ["import time\\n", "import numpy as np\\n"]},'
                ' {"cell_type": "markdown", "source": ["text"]},'
                ' {"cell_type": "code", "source": ["x = 1\\n", "rng = np.random.default_rng(int(time.time()))"]}],'
                ' "nbformat": 4}')
    result = scan(tmp_path, {"nb.ipynb": notebook})
    draws = result.project.fact("seeds")["nb.ipynb"]["draws"]
    assert [(d["call"], d["state"], d["detail"], d["where"][1:]) for d in draws] == [
        ("numpy.random.default_rng", "non-pin", "time.time", [2, 3])]
    finding = next(f for f in result.findings if f.rule == "ML202")
    assert (finding.line, finding.cell) == (2, 3)
    assert finding.evidence["source"] == "time.time"


def test_seed_followed_through_helper_module_and_class_constructor(tmp_path):
    files = {
        "pkg/__init__.py": "",
        "pkg/seeding.py": "import torch\n\ndef seed_all(s=0):\n    torch.manual_seed(s)\n",
        "pkg/model.py": "import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n"
                        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 1)\n"
                        "        self.noise = torch.randn(2)\n",
        "pkg/setup.py": "from pkg.seeding import seed_all\n\ndef prepare():\n    seed_all(1)\n",
        "pkg/train.py": "from pkg.setup import prepare\nfrom pkg.model import Net\n\n"
                        "def main():\n    prepare()\n    return Net()\n\nif __name__ == '__main__':\n    main()\n",
        "pkg/serve.py": "from pkg.model import Net\n\nif __name__ == '__main__':\n    Net()\n",
    }
    seeded = dict(files)
    del seeded["pkg/serve.py"]
    assert not [f for f in scan(tmp_path / "a", seeded, ["ML201"]).findings]
    findings = scan(tmp_path / "b", files, ["ML201"]).findings
    assert sorted((f.path, f.line) for f in findings) == [("pkg/model.py", 7), ("pkg/model.py", 8)]
    finding = findings[0]
    assert finding.confidence == "medium"  # torch is seeded on one path, not on serve's
    assert finding.evidence["unseeded_path"][-1].startswith("pkg/serve.py")
    assert finding.evidence["seeded_elsewhere"] == ["pkg/seeding.py seed_all line 4"]


def test_confidence_high_when_nothing_seeds_the_library(tmp_path):
    files = {"run.py": "import random\n\ndef pick(xs):\n    return random.choice(xs)\n\n"
                       "if __name__ == '__main__':\n    pick([1])\n"}
    [finding] = scan(tmp_path, files, ["ML201"]).findings
    assert finding.confidence == "high" and finding.line == 4
    assert finding.evidence["library"] == "random"
    assert "pass" not in finding.message or "seed random first" in finding.message


def test_functions_without_known_callers_are_left_alone_when_the_project_seeds(tmp_path):
    # train_loop is handed to a framework (a reference, not a call): we cannot see when it runs.
    files = {"train.py": "import numpy as np\nfrom ray.train.torch import TorchTrainer\n\n"
                         "def train_loop(config):\n    return np.random.rand()\n\n"
                         "def main():\n    np.random.seed(0)\n    TorchTrainer(train_loop).fit()\n\n"
                         "if __name__ == '__main__':\n    main()\n"}
    assert not scan(tmp_path, files, ["ML201"]).findings


def test_recursion_and_odd_calls_do_not_crash(tmp_path):
    files = {"odd.py": "import random\nimport numpy as np\n\n"
                       "def a(n):\n    return b(n - 1) + random.random() if n else 0\n\n"
                       "def b(n):\n    random.seed(*[n])\n    return a(n)\n\n"
                       "np.random.seed(**{})\nnp.random.shuffle()\nrandom.seed()\nx = np.random.default_rng(*[1])\n"
                       "if __name__ == '__main__':\n    a(3)\n"}
    result = scan(tmp_path, files)
    assert not result.errors


def test_test_paths():
    assert is_test_support_path("tests/unit/helpers.py") and is_test_support_path("src/test_model.py")
    assert is_test_support_path("pkg/model_test.py") and is_test_support_path("conftest.py")
    assert is_test_support_path("src/accelerate/test_utils/scripts/run.py")
    assert not is_test_support_path("src/contest.py") and not is_test_support_path("src/latest/train.py")


def test_seed_flow_api(tmp_path):
    files = {"t.py": "import random\n\ndef seed():\n    random.seed(1)\n\n"
                     "def main():\n    random.random()\n    seed()\n    return random.random()\n"}
    result = scan(tmp_path, files, ["ML201"])
    flow = SeedFlow(result.project)
    assert flow.always("t.py::seed") == {"random"}
    assert flow.before("t.py::main", 7) == frozenset()
    assert flow.before("t.py::main", 9) == {"random"}


def test_demo_planted_seed_cases_found_and_clean_ones_not(tmp_path):
    build_demo(tmp_path / "demo")
    result = scan_repo(tmp_path / "demo", {"select": list(SEED_RULES)})
    found = {(f.rule, f.path, f.line, f.cell) for f in result.findings}
    assert found == {
        ("ML201", "src/churn/baseline.py", 14, None),  # train_test_split on an entry point that never seeds
        ("ML201", "notebooks/exploration.ipynb", 2, 4),  # np.random.choice in a notebook without a seed
    }
    # train.py's split is pinned: set_seeds() (utils.py) seeds numpy, whose global state sklearn uses
    assert not [f for f in result.findings if f.path in ("src/churn/train.py", "src/churn/evaluate.py")]


def test_a_recording_call_with_nested_keyword_unpacking_does_not_break_the_extractor(tmp_path):
    # found in the standard library (calendar.py): a keyword without a name inside the arguments
    from auditor.testing import make_repo, scan_repo

    code = "import mlflow\n\ndef log(cfg):\n    mlflow.log_params(dict(**cfg))\n"
    result = scan_repo(make_repo(tmp_path / "r", {"a.py": code}), {"select": ["ML2"]})
    assert result.errors == []
