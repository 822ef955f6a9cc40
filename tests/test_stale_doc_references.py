"""Code references in documents that point nowhere (ML707, issue 24): imports in snippets and inline
code, dotted calls, checked only against the repository's own packages as their modules bind names."""

from auditor.analysis.doc_references import references_in
from auditor.model.docs import parse_document
from auditor.testing import make_repo, scan_repo

PACKAGE = {
    "src/acme/__init__.py": "from acme.models import build_model\n\n__all__ = ['build_model']\n",
    "src/acme/models.py": "try:\n    from fast import kernel\nexcept ImportError:\n    kernel = None\n\n\n"
                          "if kernel:\n    def build_model():\n        return kernel\nelse:\n    def build_model():\n"
                          "        return None\n",
    "src/acme/plugins.py": "from acme.registry_impl import *\n",
    "pyproject.toml": "[project]\nname = 'acme'\n",
}


def ml707(tmp_path, readme: str, extra=None):
    root = make_repo(tmp_path / "r", {"README.md": readme, **PACKAGE, **(extra or {})})
    result = scan_repo(root, {"select": ["ML707"], "min-confidence": "low"})
    assert not result.errors, result.errors
    return [(f.line, f.message) for f in result.findings]


def test_snippets_are_read_whole_or_line_by_line_and_prompts_removed():
    doc = parse_document("# Use\n\n```pycon\n>>> from acme import (\n...     build_model,\n... )\n```\n\n"
                         "```python\nfrom acme.models import kernel\nthis is not python\nimport acme.plugins as p\n```\n"
                         "\nInline `from acme import x`, `acme.models.build_model()`, `acme.audit`, `a.b.c.d`.\n")
    found = [(r.line, r.dotted, r.imported) for r in references_in(doc)]
    assert found == [(4, "acme", ("build_model",)), (10, "acme.models", ("kernel",)), (12, "acme.plugins", ()),
                     (15, "acme", ("x",)), (15, "acme.models.build_model", ()), (15, "a.b.c.d", ())]


def test_names_bound_in_any_branch_of_the_top_level_exist(tmp_path):
    readme = "```python\nfrom acme.models import build_model, kernel\nfrom acme import build_model\n```\n"
    assert ml707(tmp_path, readme) == []


def test_a_missing_module_and_a_missing_name_are_reported_with_a_close_name(tmp_path):
    readme = "```python\nfrom acme.model import build_model\nfrom acme.models import build_modle\n```\n"
    found = ml707(tmp_path, readme)
    assert [line for line, _ in found] == [2, 3]
    assert "acme (src/acme/__init__.py) has no module or name model; did you mean `models`?" in found[0][1]
    assert "did you mean `build_model`?" in found[1][1]


def test_third_party_star_imported_namespace_and_tutorial_packages_are_not_judged(tmp_path):
    readme = ("```python\nimport numpy.nope\nfrom acme.plugins import anything\nfrom acme.generated.schema import Row\n"
              "from lab.helpers import missing\n```\n")
    extra = {"src/acme/generated/schema.proto": "message Row {}\n", "labs/one/lab/__init__.py": "",
             "labs/one/lab/helpers.py": "x = 1\n"}
    assert ml707(tmp_path, readme, extra) == []


def test_compiled_and_stub_modules_and_modules_the_reader_writes_are_not_judged(tmp_path):
    readme = ("```python\nfrom acme._ops import fused\nfrom acme.my_store import MyStore\n"
              "from acme.custom_provider import Provider\nfrom acme.stores import Store\n```\n")
    extra = {"src/acme/_ops.cpython-311-x86_64-linux-gnu.so": "binary", "src/acme/_ops.pyi": "def fused(): ...\n"}
    [(line, message)] = ml707(tmp_path, readme, extra)
    assert line == 5 and "has no module or name stores" in message
