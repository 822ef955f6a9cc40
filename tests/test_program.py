"""The whole-program graph: calls and references resolved across modules."""

from auditor.analysis.program import ProgramGraph
from auditor.testing import make_repo, scan_repo

FILES = {
    "src/pkg/__init__.py": "from pkg.utils import set_seeds\n",
    "src/pkg/utils.py": (
        "import random\n\n"
        "def set_seeds(seed):\n    random.seed(seed)\n\n"
        "def unused():\n    return 1\n"
    ),
    "src/pkg/train.py": (
        "import pkg\nfrom pkg import utils\nfrom .model import Model\n\n"
        "def main(raw):\n    pkg.set_seeds(1)\n    utils.unused\n    m = Model()\n    m.fit(raw.copy())\n"
        "    return helper(raw)\n\n"
        "def helper(x):\n    return x\n\n"
        "raw = None\n\n"
        "if __name__ == '__main__':\n    main(raw)\n"
    ),
    "src/pkg/model.py": "class Model:\n    def fit(self, data):\n        return self.prepare(data)\n"
                        "    def prepare(self, data):\n        return data\n",
}


def build(tmp_path):
    root = make_repo(tmp_path / "repo", FILES)
    return ProgramGraph(scan_repo(root).project)


def test_calls_resolve_across_modules_packages_and_methods(tmp_path):
    g = build(tmp_path)
    main = "src/pkg/train.py::main"
    called = {target for target, _ in g.calls_from(main)}
    # through the package's re-export, the class constructor, and a module-level function
    assert "src/pkg/utils.py::set_seeds" in called
    assert "src/pkg/model.py::Model" in called
    assert "src/pkg/train.py::helper" in called
    assert {t for t, _ in g.calls_from("src/pkg/model.py::Model.fit")} == {"src/pkg/model.py::Model.prepare"}


def test_parameters_shadow_module_level_names(tmp_path):
    g = build(tmp_path)
    # `raw.copy()` inside main uses the parameter, not the module-level variable `raw`
    assert "src/pkg/train.py::raw" not in g.graph["src/pkg/train.py::main"]
    assert "src/pkg/train.py::raw" in g.graph["src/pkg/train.py"]


def test_entry_points_and_reachability(tmp_path):
    g = build(tmp_path)
    assert g.entry_modules == ["src/pkg/train.py"]
    reached = g.reachable_from(g.entry_modules)
    assert "src/pkg/utils.py::set_seeds" in reached
    assert "src/pkg/utils.py::unused" in reached  # referenced as an attribute of the module
    assert g.resolve_module("pkg.utils") == "src/pkg/utils.py"
    assert g.resolve_module("src.pkg.utils") == "src/pkg/utils.py"


def test_an_imported_function_that_is_called_keeps_its_call_edge(tmp_path):
    root = make_repo(tmp_path / "repo", {
        "helpers.py": "def set_seeds():\n    pass\n",
        "train.py": "from helpers import set_seeds\n\n\nset_seeds()\nset_seeds()\n",
    })
    g = ProgramGraph(scan_repo(root).project)
    # the import edge of the same pair must not hide the call, and the first call line is kept
    assert g.calls_from("train.py") == [("helpers.py::set_seeds", 4)]
