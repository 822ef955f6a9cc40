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
