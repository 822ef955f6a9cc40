"""The installed package finds its rules, templates and demo from any directory."""

import importlib
import pathlib

import jinja2

import auditor
from auditor import registry

PROJECT = pathlib.Path(__file__).resolve().parents[1]


def test_every_rule_module_imports_as_auditor_rules():
    for path in sorted((PROJECT / "rules").glob("*.py")):
        if path.name != "__init__.py":
            importlib.import_module(f"auditor.rules.{path.stem}")


def test_rules_come_from_the_mapped_package_only():
    modules = {rule.__module__ for rule in registry.all_rules().values()}
    assert all(m.startswith("auditor.rules.") for m in modules)


def test_templates_package_is_loadable():
    env = jinja2.Environment(loader=jinja2.PackageLoader("auditor.templates", "."), autoescape=True)
    assert env.list_templates() is not None
    import auditor.templates  # noqa: F401 -- the mapped package must import (editable installs need __init__)


def test_version_is_exposed():
    assert auditor.__version__.count(".") == 2


# Import name -> distribution, where they differ.
_DISTRIBUTION = {"yaml": "pyyaml", "tomli": "tomli", "markdown_it": "markdown-it-py"}
# Declared and not imported yet, each with why.
_DECLARED_FOR = {"libcst": "mlaudit fix rewrites files with libcst, keeping their formatting (issue 22)"}


def test_what_is_imported_is_declared_and_what_is_declared_is_imported():
    import ast
    import sys

    import pytest

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    declared = set()
    # The required dependencies, and the server extra's (only auditor.server imports them, and
    # `mlaudit server` says how to install them when they are missing).
    for requirement in project["dependencies"] + project["optional-dependencies"]["server"]:
        declared.add(requirement.split(";")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower())
    imported = set()
    for folder in ("auditor", "rules"):
        for path in (PROJECT / folder).rglob("*.py"):
            if "demo/files" in path.as_posix():
                continue  # the planted demo project: data, not mlaudit's code
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in ("auditor", "__future__"):
                        imported.add(_DISTRIBUTION.get(top, top).lower())
    assert imported - declared == set(), "imported but not declared in pyproject.toml"
    assert declared - imported - set(_DECLARED_FOR) == set(), "declared but never imported"
