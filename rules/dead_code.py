"""Dead code: definitions, imports, modules and statements nothing uses, commented-out code, and
feature flags fixed so that one branch can never run.

Whole-program rules read the shared analysis in ``auditor.analysis.liveness``; statement-level rules run per
module on the syntax tree (one walk over statements only).
"""

from __future__ import annotations

import ast
import re
import textwrap

from auditor.analysis.liveness import analyse
from auditor.ml.frameworks import SIDE_EFFECT_IMPORTS
from auditor.rule import Fix, Invalid, ModuleRule, Option, ProjectRule, Valid

_KIND_WORD = {"function": "function", "method": "method", "class": "class", "variable": "constant"}


class _UnusedDefinition(ProjectRule):
    kinds: tuple[str, ...] = ()

    def check(self, project):
        analysis = analyse(project)
        for dead in analysis.dead_definitions():
            d = dead.definition
            if d.kind not in self.kinds:
                continue
            lines = d.end_line - d.line + 1
            word = _KIND_WORD.get(d.kind, d.kind)
            message = f"{word} `{d.qualname}` is never used ({lines} line{'s' if lines != 1 else ''})"
            if dead.used_by_dead:
                message += f"; only referenced from unused code ({', '.join(n.split('::')[-1] for n in dead.used_by_dead[:3])})"
            elif dead.mentions:
                message += "; its name appears elsewhere as a string or attribute, check for dynamic use"
            yield self.finding(
                d.path, d.line, message, symbol=d.qualname, end_line=d.end_line, confidence=dead.confidence,
                evidence={"definition": f"{d.path}:{d.line}", "kind": d.kind, "lines": lines,
                          "referenced_from_dead_code": dead.used_by_dead, "name_mentioned_in": dead.mentions,
                          "entry_points_considered": analysis.entry_summary()},
            )


class UnusedFunction(_UnusedDefinition):
    """A function or method that nothing in the program calls or references.

    Understands frameworks: nn.Module ``forward``, Lightning and Keras hooks, the scikit-learn estimator
    protocol, dunders, routes, CLI commands, fixtures, pipeline tasks, registry decorators, overrides of
    external base classes, TFX module-file functions, torch.hub ``hubconf.py`` entries, Cloud Functions
    ``main.py`` handlers and serverless handlers are all called for you and are never reported.
    Public functions of a package that re-exports an API are not reported either. Imports resolve
    against the ``sys.path`` each file runs with (Airflow ``dags/``, ``src/`` layouts, ``PYTHONPATH``,
    copies of a package in several labs: docs/units.md); names a computed ``getattr``/``eval``/
    ``globals()`` lookup could build, files run by ``exec(open(path).read())`` and what an unparseable
    module or a notebook's ``%%writefile`` file imports all count as used. ``mlaudit scan
    --explain-dead NAME`` says why a name is taken for used or unused; ``[tool.mlaudit] entrypoints``
    is the whitelist for what mlaudit cannot see.
    """

    id = "ML101"
    fix = Fix("unsafe", "delete the function, its decorators and the comment right above it")
    name = "unused-function"
    category = "dead-code"
    severity = "low"
    confidence = "medium"
    kinds = ("function", "method")
    rationale = ("Unused functions are dead experimental paths kept 'just in case': every reader must "
                 "understand them, every refactor must keep them compiling, and they invite someone to call "
                 "stale logic in production.")
    remediation = "Delete the function (version control keeps it), or call it from where it belongs."
    examples = (
        Invalid({"pkg/__init__.py": "", "pkg/util.py": "def used():\n    return 1\n\n\ndef legacy():\n    return 2\n",
                 "pkg/main.py": "from pkg.util import used\n\nif __name__ == '__main__':\n    used()\n"},
                expect=[("pkg/util.py", 5)]),
        Invalid({"app.py": "def _helper():\n    return 1\n\n\ndef _only_from_helper():\n    return _helper()\n\n\n"
                           "if __name__ == '__main__':\n    print('hi')\n"},
                expect=[("app.py", 5), ("app.py", 1)], note="a function used only by dead code is dead"),
        Invalid({"m.py": "class Model:\n    def fit(self, x):\n        return self\n\n    def old_score(self, x):\n"
                         "        return 0\n\n\nModel().fit(1)\n"},
                expect=[("m.py", 5)], note="methods of a project class with no external base"),
        Valid({"net.py": "import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return x\n\n"
                         "    def extra_repr(self):\n        return 'net'\n\n    def custom_hook(self):\n        return 1\n\n\n"
                         "net = Net()\nnet(1)\n"},
              note="forward/extra_repr and any override of an external base"),
        Valid({"serve.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.post('/predict')\n"
                           "def predict(payload: dict) -> dict:\n    return payload\n"}),
        Valid({"tests/test_x.py": "import pytest\n\n\n@pytest.fixture\ndef data():\n    return 1\n\n\n"
                                  "def test_data(data):\n    assert data == 1\n",
               "tests/conftest.py": "def pytest_configure(config):\n    pass\n"}),
        Valid({"pkg/__init__.py": "", "pkg/cli.py": "def main():\n    return 0\n",
               "pyproject.toml": "[project]\nname = 'p'\n[project.scripts]\np = 'pkg.cli:main'\n"}),
        Valid({"handler.py": "def handle_event(event, context):\n    return {'ok': True}\n"}),
        Valid({"pkg/__init__.py": "", "pkg/plugins.py": "def plugin_a():\n    return 1\n",
               "conf/config.yaml": "model:\n  _target_: pkg.plugins.plugin_a\n"}),
    )


class UnusedClass(_UnusedDefinition):
    """A class that nothing instantiates, subclasses, references or annotates with."""

    id = "ML102"
    fix = Fix("unsafe", "delete the class, its decorators and the comment right above it")
    name = "unused-class"
    category = "dead-code"
    severity = "low"
    confidence = "medium"
    kinds = ("class",)
    rationale = ("An unused class is a dead design: it keeps imports, tests and reviewers busy and misleads "
                 "readers into thinking it is part of the system.")
    remediation = "Delete the class, or wire it in where it was meant to be used."
    examples = (
        Invalid({"app.py": "class OldModel:\n    pass\n\n\nclass Model:\n    pass\n\n\nif __name__ == '__main__':\n"
                           "    Model()\n"}, expect=[("app.py", 1)]),
        Valid({"app.py": "from dataclasses import dataclass\n\n\n@dataclass\nclass Config:\n    lr: float = 0.1\n\n\n"
                         "def run(config: Config):\n    return config.lr\n\n\nif __name__ == '__main__':\n    run(None)\n"},
              note="used only in an annotation, decorated dataclass"),
        Valid({"app.py": "import enum\n\n\nclass Color(enum.Enum):\n    RED = 1\n    BLUE = 2\n\n\n"
                         "print(Color['RED'])\n"}, note="enum members looked up by string are class attributes"),
    )


class UnusedConstant(_UnusedDefinition):
    """A module-level constant (a literal value) that nothing reads."""

    id = "ML103"
    fix = Fix("unsafe", "delete the constant's assignment")
    name = "unused-constant"
    category = "dead-code"
    severity = "info"
    confidence = "medium"
    kinds = ("variable",)
    rationale = "Stale constants look like live configuration: someone tunes a value that nothing reads."
    remediation = "Delete the constant, or read it where the value is meant to apply."
    examples = (
        Invalid({"app.py": "THRESHOLD = 0.5\nOLD_THRESHOLD = 0.7\n\nif __name__ == '__main__':\n    print(THRESHOLD)\n"},
                expect=[("app.py", 2)]),
        Valid({"app.py": "import torch\n\ntorch._dynamo.config.suppress_errors = True\napp_state = object()\n"
                         "__version__ = '1.0'\n"},
              note="attributes set on external objects, computed values and dunders are not reported"),
        Valid({"pkg/__init__.py": "", "pkg/settings.py": "BATCH = 32\n",
               "pkg/train.py": "from pkg import settings\n\nif __name__ == '__main__':\n    print(getattr(settings, 'BATCH'))\n"}),
    )


class UnusedImport(ProjectRule):
    """An import whose name is never used in its module, nor re-exported to other modules.

    High confidence in a module with no ``__all__`` that nothing star-imports; imports marked
    ``# noqa``, explicit re-exports (``import x as x``), ``__init__.py`` files, imports for side
    effects and imports inside ``try``/``if`` blocks are left alone.
    """

    id = "ML104"
    fix = Fix("safe", "delete the import (only the unused name of a multi-name import)")

    @classmethod
    def fix_for(cls, finding):
        if finding.confidence == "low":  # a project module: importing it may register things
            return {"applicability": "unsafe", "description": "delete the import of a project module "
                    "(its import may run code that registers things)"}
        return cls.fix.to_json()
    name = "unused-import"
    category = "dead-code"
    severity = "info"
    confidence = "high"
    rationale = ("Unused imports slow start-up (ML libraries take seconds to import), add dependencies the "
                 "code does not need, and hide which modules a file really depends on.")
    remediation = "Delete the import; mark deliberate side-effect imports with `# noqa: F401`."
    examples = (
        Invalid("import os\nimport pickle\n\nprint(os.getcwd())\n", expect=[2]),
        Invalid("from sklearn.ensemble import RandomForestClassifier, GradientBoostingClassifier\n\n"
                "model = RandomForestClassifier()\n", expect=[1]),
        Valid("from __future__ import annotations\nimport torch_xla  # noqa: F401\nimport numpy as np\n\n"
              "def f(x: 'np.ndarray'):\n    return x\n"),
        Valid({"pkg/__init__.py": "from pkg.core import run\n", "pkg/core.py": "def run():\n    return 1\n"}),
        Valid({"pkg/__init__.py": "", "pkg/a.py": "from os import path\n",
               "pkg/b.py": "from pkg.a import path\nprint(path)\n"}, note="re-exported to another module"),
        Valid("try:\n    import ujson as json\nexcept ImportError:\n    import json\n"),
    )

    def check(self, project):
        analysis = analyse(project)
        imported = analysis.imported_names()
        star = analysis.star_imported()
        for path, facts in analysis.symbols.items():
            if path.endswith(("__init__.py", ".ipynb")):
                continue
            module_name = project.module_names.get(path, "")
            names = set(facts.get("names", ()))
            for local, target, line in self._candidates(facts):
                if self._used_here(names, facts.get("strings", ()), local, target):
                    continue
                if module_name and f"{module_name}.{local}" in imported:
                    continue  # re-exported: another module imports it from here
                yield self._finding(analysis, path, facts, path in star, local, target, line)

    @staticmethod
    def _candidates(facts):
        """(local, target, line) of imports not declared as kept: no ``*``, ``__future__``, names in
        ``__all__``, ``import x as x`` or ``# noqa`` lines; each (name, line) once."""
        flags = facts.get("import_flags", {})
        keep = set(facts.get("all") or ()) | set(flags.get("reexport", ()))
        noqa = set(flags.get("noqa", ()))
        seen = set()
        for local, target, line in facts.get("imports", ()):
            if local == "*" or target.startswith("__future__") or local in keep or line in noqa:
                continue
            if (local, line) not in seen:
                seen.add((local, line))
                yield local, target, line

    @staticmethod
    def _used_here(names, strings, local, target) -> bool:
        """Read in the module, imported for its side effects, or named in a string (``"np.float32"``)."""
        if local in names or target in SIDE_EFFECT_IMPORTS or target.split(".")[0] in SIDE_EFFECT_IMPORTS:
            return True
        return any(s == local or s.startswith(local + ".") for s in strings)

    def _finding(self, analysis, path, facts, star_imported, local, target, line):
        has_all = facts.get("all") is not None
        confidence = "high"
        if analysis.graph.resolve_qualified(target) in analysis.symbols:
            confidence = "low"  # a project module: may be imported to register things
        elif has_all or star_imported:
            confidence = "medium"
        return self.finding(
            path, line, f"`{local}` is imported but never used", symbol=f"import {local}",
            confidence=confidence,
            evidence={"imported": target, "module_has_all": has_all, "star_imported_elsewhere": star_imported},
        )


class DeadModule(ProjectRule):
    """A module that nothing imports and that is not an entry point.

    Entry points: ``__main__`` guards, tests and ``conftest.py``, notebooks, console scripts in packaging
    files, modules named in configs, Dockerfiles, Makefiles, CI and docs, modules doing work at import
    time, script and example directories, and the ``entrypoints`` setting.
    """

    id = "ML105"
    fix = Fix("unsafe", "delete the module's file")

    @classmethod
    def fix_for(cls, finding):
        return None if finding.path.endswith("__init__.py") else cls.fix.to_json()
    name = "dead-module"
    category = "dead-code"
    severity = "medium"
    confidence = "high"
    rationale = ("A module nobody imports is a dead experimental path: it rots silently, still gets "
                 "reviewed, and looks like supported code to the next person who finds it.")
    remediation = ("Delete the module, or declare how it is run (console script, `__main__` guard, or the "
                   "`entrypoints` setting of mlaudit).")
    examples = (
        Invalid({"pkg/__init__.py": "", "pkg/core.py": "def run():\n    return 1\n",
                 "pkg/legacy.py": "def old():\n    return 0\n",
                 "main.py": "from pkg.core import run\n\nif __name__ == '__main__':\n    run()\n"},
                expect=[("pkg/legacy.py", 1)]),
        Valid({"pkg/__init__.py": "", "pkg/worker.py": "def run():\n    return 1\n",
               "Dockerfile": "FROM python:3.11\nCMD [\"python\", \"-m\", \"pkg.worker\"]\n"}),
        Valid({"pkg/__init__.py": "", "pkg/plugin.py": "def run():\n    return 1\n",
               "pkg/load.py": "import importlib\n\nif __name__ == '__main__':\n    importlib.import_module('pkg.plugin')\n"}),
        Valid({"pkg/__init__.py": "", "pkg/job.py": "def run():\n    return 1\n"},
              config={"entrypoints": ["pkg/job.py"]}),
        Valid({"app/__init__.py": "", "app/registry.py": "import importlib\nimport pkgutil\n\nimport app.rules as package\n\n"
               "for info in pkgutil.iter_modules(package.__path__):\n    importlib.import_module(f'app.rules.{info.name}')\n",
               "app/rules/__init__.py": "", "app/rules/naming.py": "class NamingRule:\n    pass\n",
               "main.py": "import app.registry\n"},
              note="plugin modules loaded by a computed name, and the classes the loader inspects"),
    )

    def check(self, project):
        analysis = analyse(project)
        for path, dead in analysis.dead_modules.items():
            lines = analysis.graph.last_lines.get(path, 1)
            why = f"imported only by dead modules ({', '.join(dead.importers)})" if dead.importers else "nothing imports it"
            yield self.finding(
                path, 1, f"module `{project.module_names.get(path, path)}` is never used: {why}, and it is not "
                f"an entry point ({len(analysis.entries)} entry points considered)",
                symbol=project.module_names.get(path, path), confidence=dead.confidence,
                evidence={"lines": lines, "importers": dead.importers,
                          "entry_points_considered": analysis.entry_summary(12)},
            )


# -- statements that can never run -----------------------------------------------------------------

# Statement class -> its fields that hold statements: bodies, or handlers and cases that have one.
_BLOCK_FIELDS: dict[type, tuple[str, ...]] = {}


def _nested_blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists directly inside a statement, in field order (most statements: none)."""
    kind = type(stmt)
    fields = _BLOCK_FIELDS.get(kind)
    if fields is None:
        fields = _BLOCK_FIELDS[kind] = tuple(
            name for name in ("body", "orelse", "finalbody", "handlers", "cases") if name in kind._fields)
    blocks = []
    for name in fields:
        child = getattr(stmt, name)
        if name in ("handlers", "cases"):
            blocks.extend(part.body for part in child)
        elif isinstance(child, list) and child and isinstance(child[0], ast.stmt):
            blocks.append(child)
    return blocks

_EXITS = {"sys.exit", "os._exit", "exit", "quit", "os.abort"}


def _terminates(stmt: ast.stmt, module) -> bool:
    if isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        name = module.qualified_name(stmt.value.func) or module.dotted_name(stmt.value.func)
        return name in _EXITS
    if isinstance(stmt, ast.If):
        return bool(stmt.orelse) and _block_terminates(stmt.body, module) and _block_terminates(stmt.orelse, module)
    if isinstance(stmt, ast.Try) and not stmt.finalbody:
        body_ends = _block_terminates(stmt.body, module) or _block_terminates(stmt.orelse, module)
        return body_ends and all(_block_terminates(h.body, module) for h in stmt.handlers)
    return False


def _block_terminates(body: list[ast.stmt], module) -> bool:
    return any(_terminates(stmt, module) for stmt in body)


def _constant_false(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and test.value in (False, 0, None, "") and not isinstance(test.value, float)


def _trivial(stmts: list[ast.stmt]) -> bool:
    """``return; yield`` makes an empty generator on purpose; a lone ``pass`` or ``...`` is harmless."""
    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, (ast.Yield, ast.YieldFrom)))
               or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is Ellipsis)
               for s in stmts)


class UnreachableCode(ModuleRule):
    """Statements that can never run: after return, raise, continue, break or sys.exit, after an
    if/elif/else whose every branch leaves, or under ``if False:``/``if 0:``/``while False:``."""

    id = "ML106"
    name = "unreachable-code"
    category = "dead-code"
    severity = "medium"
    confidence = "high"
    rationale = ("Unreachable code looks like behaviour: readers believe it runs, and a fix made there "
                 "silently does nothing in production.")
    remediation = "Delete the unreachable statements, or restore the control flow that was meant to reach them."
    examples = (
        Invalid("def f(x):\n    return x\n    print('never')\n", expect=[3]),
        Invalid("def f(plan):\n    if plan == 'a':\n        return 1\n    elif plan == 'b':\n        return 2\n"
                "    else:\n        return 0\n    print('unreachable')\n", expect=[8]),
        Invalid("if False:\n    import debug_tools\n\nfor i in range(3):\n    continue\n    print(i)\n",
                expect=[2, 6]),
        Valid("def gen():\n    return\n    yield\n"),
        Valid("def f(x):\n    if x:\n        return 1\n    print('reachable')\n    return 0\n"),
        Valid("import pytest\n\ndef test_raises():\n    with pytest.raises(ValueError):\n        raise ValueError\n"
              "    assert True\n", note="a raise inside a with block may be suppressed"),
        Valid("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import numpy\nwhile True:\n    break\n"),
    )

    def check(self, module):
        todo: list[list[ast.stmt]] = [module.tree.body]
        while todo:
            body = todo.pop()
            for index, stmt in enumerate(body):
                if _BLOCK_FIELDS.get(type(stmt)) != ():  # most statements hold none
                    todo.extend(_nested_blocks(stmt))
                if isinstance(stmt, (ast.If, ast.While)) and _constant_false(stmt.test):
                    yield self._report(module, stmt.body, f"`{type(stmt).__name__.lower()} "
                                       f"{ast.unparse(stmt.test)}:` never runs its body", "a constant false test")
                if index + 1 < len(body) and _terminates(stmt, module):
                    rest = body[index + 1:]
                    if module.is_notebook and body is module.tree.body:
                        break  # notebook cells run one by one
                    if not _trivial(rest):
                        leaving = type(stmt).__name__.lower()
                        if isinstance(stmt, ast.If):
                            leaving = "if/else whose every branch leaves"
                        elif isinstance(stmt, ast.Try):
                            leaving = "try whose every path leaves"
                        elif isinstance(stmt, ast.Expr):
                            leaving = "exit call"
                        yield self._report(module, rest, f"unreachable: follows a {leaving} (line "
                                           f"{module.location(stmt.lineno)[0]})", leaving)
                    break

    fix = Fix("safe", "delete the statements after the return, raise, continue or break")

    @classmethod
    def fix_for(cls, finding):
        # Only a statement that always leaves makes the code after it certainly dead; an exit call
        # may be patched, and a constant test may be edited by hand for a debug run.
        return cls.fix.to_json() if finding.evidence.get("follows") in ("return", "raise", "continue", "break") \
            else None

    def _report(self, module, stmts, message, follows):
        first, last = stmts[0], stmts[-1]
        end = getattr(last, "end_lineno", None) or last.lineno
        return module.finding(self, first.lineno, message, end_line=end,
                              evidence={"statements": len(stmts), "lines": end - first.lineno + 1,
                                        "first": module.line_text(first.lineno).strip()[:120], "follows": follows})


# -- commented-out code -----------------------------------------------------------------------------
_CODE_HINT = re.compile(
    r"(^(import|from|def|class|return|for|while|if|elif|else|try|except|with|raise|print|assert|del|yield|async|await)\b)"
    r"|(^[\w.\[\]'\"]+\s*(=|\+=|-=|\*=)\s*\S)|(^[\w.]+\(.*\)\s*$)|([\w\]\)]\.[a-z_]\w*\()")
_NOT_CODE = re.compile(r"^(>>>|\.\.\.|\$ |%|!|-{3,}|={3,}|\*{3,}|#|type:|noqa|pylint:|fmt:|isort:|mypy:|pragma)|"
                       r"copyright|license|spdx", re.I)


# Prose that introduces an example of usage: the code after it is documentation, not a dead path.
# ... and an option a template offers ("Uncomment below to add more features"): a documented switch
_EXAMPLE_INTRO = re.compile(r"\b(you can|e\.g\.|for example|for instance|example|usage|such as|like this|like so|"
                            r"uncomment)\b"
                            r"|:\s*$", re.I)


def _looks_like_code(text: str) -> bool:
    return bool(text) and not _NOT_CODE.search(text) and bool(_CODE_HINT.search(text))


def _is_trivial_code(tree: ast.Module) -> bool:
    """Parsed, but only as bare names or constants: prose like ``# see above`` never gets here, but
    ``# TODO`` or ``# Args`` would."""
    return all(isinstance(s, ast.Expr) and isinstance(s.value, (ast.Name, ast.Constant, ast.Attribute))
               for s in tree.body)


class CommentedOutCode(ModuleRule):
    """A block of consecutive comment lines that is Python code: a dead experiment kept "just in case".

    A candidate block must look like code line by line and parse as Python statements once the ``#``
    is removed; prose, license headers, doctest examples, shell commands and linter pragmas do not.
    """

    id = "ML107"
    fix = Fix("unsafe", "delete the commented-out lines")
    name = "commented-out-code"
    category = "dead-code"
    severity = "low"
    confidence = "high"
    options = {"min-lines": Option(int, 3, "shortest block of commented-out lines to report")}
    rationale = ("Commented-out code is an experiment nobody dared to delete: it drifts out of date with "
                 "the code around it, misleads readers about what runs, and version control already keeps it.")
    remediation = "Delete the block; recover it from version control if it is ever needed, or make it a real, tested option."
    examples = (
        Invalid("x = 1\n# old_model = GradientBoostingClassifier(n_estimators=100)\n# old_model.fit(X_train, y_train)\n"
                "# score = old_model.score(X_test, y_test)\n# print('gbm', score)\n", expect=[2]),
        Invalid("def f():\n    # for batch in loader:\n    #     loss = model(batch)\n    #     loss.backward()\n"
                "    return 1\n", expect=[2]),
        Valid("# Copyright 2024 Acme Inc.\n# Licensed under the Apache License, Version 2.0 (the \"License\");\n"
              "# you may not use this file except in compliance with the License.\nx = 1\n"),
        Valid("# The model is trained on weekly snapshots and evaluated on\n# the last month; see the runbook for\n"
              "# details on retraining and rollback.\nx = 1\n"),
        Valid("# Example:\n# >>> model = train(data)\n# >>> model.predict(x)\nx = 1\n"),
        Valid("# You can pass `gather_output=True` to have the output\n# available on all GPUs\n# model = prepare(\n#     model,\n"
              "#     gather_outputs=True\n# )\nx = 1\n", note="an example of usage introduced by prose"),
        Invalid("def f():\n    return 1\n\n\n# Disabled until the tracer supports resnet\n# def test_resnet():\n"
                "#     model = resnet34()\n#     output = model(inputs)\n#     # check the outputs on the last process\n"
                "#     assert output is None\n", expect=[6], note="a nested comment does not split the block"),
        Valid("# x = 1\n# y = 2\nz = 3\n", note="shorter than min-lines"),
        Valid({"nb.ipynb": '{"cells": [{"cell_type": "code", "source": ["x = 1\\n", "# y = 2\\n", "# z = 3"]},'
                           ' {"cell_type": "code", "source": ["# w = 4\\n", "print(x)"]}], "nbformat": 4}'},
              note="two lines at the end of one cell and one at the start of the next are not one block (g9)"),
        Valid("FEATURES = ['a']\n# Uncomment below to add the bucketized location features.\n# BUCKETS = [\n"
              "#     'pickup_latitude', 'pickup_longitude',\n# ]\n# FEATURES += BUCKETS\n",
              note="an option a template documents"),
    )

    def check(self, module):
        minimum = self.settings["min-lines"]
        block: list = []
        last_line = None
        for comment in [*module.comments, None]:
            own_line = comment is not None and module.line_text(comment.line)[:comment.col].strip() == ""
            if own_line and last_line is not None and comment.line == last_line + 1 and \
                    module.location(comment.line)[1] == module.location(last_line)[1]:  # a block never spans cells
                block.append(comment)
            else:
                yield from self._judge(module, block, minimum)
                block = [comment] if own_line else []
            last_line = comment.line if own_line else None

    def _judge(self, module, block, minimum):
        if len(block) < minimum:
            return
        texts = [c.text[1:] for c in block]
        for run in _code_runs(texts):
            if len(run) < minimum or _introduced(texts, run) or not _parses_as_code(texts, run):
                continue
            first, last = block[run[0]], block[run[-1]]
            yield module.finding(self, first.line, f"{len(run)} lines of commented-out code",
                                 end_line=last.line, evidence={"lines": len(run), "first": first.text.strip()[:120]})


def _code_runs(texts: list[str]):
    """Indices of consecutive comment lines that look like code (with the comments inside it)."""
    run: list[int] = []
    for i, text in enumerate(texts):
        stripped = text.strip()
        if _looks_like_code(stripped) or (run and stripped and (_continues(stripped) or stripped.startswith("#"))):
            run.append(i)  # code, its continuation, or a comment inside the commented-out code
            continue
        if run:
            yield run
        run = []
    if run:
        yield run


def _introduced(texts: list[str], run: list[int]) -> bool:
    """An example of usage introduced by prose just above it ("for example:", "usage:")."""
    return any(_EXAMPLE_INTRO.search(t) for t in texts[max(0, run[0] - 3):run[0]])


def _parses_as_code(texts: list[str], run: list[int]) -> bool:
    source = textwrap.dedent("\n".join(texts[j][1:] if texts[j].startswith(" ") else texts[j] for j in run))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return not _is_trivial_code(tree)


def _continues(text: str) -> bool:
    """A line that only makes sense inside code: closing brackets, continuation of a call."""
    return bool(re.match(r"^[\)\]\}]|^\w+=|^['\"].*['\"],?$|^[\w.]+,\s*$", text))


# -- feature flags --------------------------------------------------------------------------------
class FixedFeatureFlag(ProjectRule):
    """A feature flag or config switch with a fixed value, so one branch of every ``if FLAG:`` is dead.

    Conservative: the flag is a module-level constant assigned once to a literal, never reassigned
    (no ``global``, no ``module.FLAG = ...`` anywhere, no string naming it as for ``monkeypatch``).
    """

    id = "ML108"
    fix = Fix("unsafe", "replace the if statement with the branch that runs")
    name = "fixed-feature-flag"
    category = "dead-code"
    severity = "low"
    confidence = "medium"
    rationale = ("A switch fixed in code keeps two paths alive in the source but only one in production: "
                 "the other rots, and flipping the flag later ships code nobody has run for months.")
    remediation = ("Delete the dead branch and the flag, or make the switch real configuration that tests "
                   "exercise both ways.")
    examples = (
        Invalid("USE_NEW_TOKENIZER = False\n\n\ndef tokenize(text):\n    if USE_NEW_TOKENIZER:\n"
                "        return text.split('|')\n    return text.split()\n", expect=[6]),
        Invalid({"pkg/__init__.py": "", "pkg/flags.py": "ENABLE_CACHE = True\n",
                 "pkg/run.py": "from pkg.flags import ENABLE_CACHE\n\n\ndef load(x):\n    if not ENABLE_CACHE:\n"
                               "        return None\n    return x\n"},
                expect=[("pkg/run.py", 6)]),
        Valid("DEBUG = False\n\n\ndef main():\n    global DEBUG\n    DEBUG = True\n    if DEBUG:\n        print('x')\n"),
        Valid({"pkg/__init__.py": "", "pkg/flags.py": "USE_V2 = False\n",
               "pkg/run.py": "from pkg import flags\n\n\ndef f():\n    if flags.USE_V2:\n        return 2\n    return 1\n",
               "tests/test_run.py": "from pkg import flags\n\n\ndef test_v2(monkeypatch):\n"
                                    "    monkeypatch.setattr(flags, 'USE_V2', True)\n"}),
        Valid("import os\nUSE_GPU = os.environ.get('GPU') == '1'\n\nif USE_GPU:\n    print('gpu')\n"),
        Valid("VERBOSE = False\n\nif VERBOSE:\n    print('x')\nVERBOSE = True\n"),
    )

    def check(self, project):
        analysis = analyse(project)
        stores = set()
        for facts in analysis.symbols.values():
            stores.update(facts.get("attr_stores", ()))
        for path, facts in analysis.symbols.items():
            if path.endswith(".ipynb"):
                continue  # facts carry joined-code lines, not cell lines; cells are edited live anyway
            imports = {local: target for local, target, _ in facts.get("imports", ())}
            for name, negated, line, body_start, body_end, else_start, else_end in facts.get("flag_ifs", ()):
                owner, value = self._flag(analysis, path, facts, imports, name)
                if owner is None or name in stores or name in analysis.string_index:
                    continue
                truthy = bool(value) != bool(negated)
                start, end = (else_start, else_end) if truthy else (body_start, body_end)
                if not start:
                    continue
                branch = "else branch" if truthy else "body"
                yield self.finding(
                    path, start, f"`{name}` is fixed to {value!r} in {owner}, so the {branch} of `if "
                    f"{'not ' if negated else ''}{name}:` (line {line}) never runs",
                    symbol=f"{name}@{branch}", end_line=end,
                    evidence={"flag": name, "value": value, "defined_in": owner, "if_line": line,
                              "dead_lines": end - start + 1},
                )

    @staticmethod
    def _flag(analysis, path, facts, imports, name):
        if name in facts.get("consts", {}) and not name.startswith("_") and name.isupper():
            line, value = facts["consts"][name]
            return (f"{path}:{line}", value) if value in (True, False, 0, 1) and not isinstance(value, str) else (None, None)
        target = imports.get(name)
        if target:
            node = analysis.graph.resolve_qualified(target)
            if node and "::" in node:
                source, _, qualname = node.partition("::")
                consts = analysis.symbols.get(source, {}).get("consts", {})
                if qualname in consts and qualname.isupper():
                    line, value = consts[qualname]
                    if value in (True, False, 0, 1) and not isinstance(value, str):
                        return f"{source}:{line}", value
        return None, None
