"""The ``symbols`` extractor: the per-module facts the whole-program graph (``auditor.analysis.program``) and
the dead-code, unused-feature and seed rules are built on."""

from __future__ import annotations

import ast
from typing import Any

from auditor.analysis.import_roots import sys_path_dirs
from auditor.analysis.pymodule import Extractor, resolve_relative
from auditor.analysis.symbol_visitor import SymbolVisitor


def _import_flags(module) -> dict[str, list]:
    """Top-level imports a linter is told to keep (``# noqa``) or that re-export (``import x as x``)."""
    noqa, reexport = [], []
    for node in module.tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            text = module.line_text(node.lineno)
            if "noqa" in text or "pragma" in text or "isort:skip" in text:
                noqa.append(node.lineno)
            for alias in node.names:
                if alias.asname and alias.asname == alias.name.split(".")[-1]:
                    reexport.append(alias.asname)
    return {"noqa": noqa, "reexport": reexport}


class SymbolFacts(Extractor):
    """Definitions, imports, calls per scope, and every name, attribute and identifier string used."""

    name = "symbols"

    def extract(self, module) -> dict[str, Any]:
        visitor = SymbolVisitor(module)
        visitor.visit(module.tree)
        imports = []
        for node in module.tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name == "*" and isinstance(node, ast.ImportFrom):
                        # the module whose public names land here (a star re-export)
                        imports.append(["*", resolve_relative(module.module_name, module.path.endswith("__init__.py"),
                                                              node.level, node.module), node.lineno])
                        continue
                    local = alias.asname or alias.name.split(".")[0]
                    # `import a.b` binds `a` but loads (and depends on) `a.b`
                    target = alias.name if isinstance(node, ast.Import) and not alias.asname \
                        else module.imports.get(local, alias.name)
                    imports.append([local, target, node.lineno])
        return {
            "defs": visitor.defs,
            "calls": {scope: calls for scope, calls in visitor.calls.items() if calls},
            "refs": {scope: sorted(refs) for scope, refs in visitor.refs.items() if refs},
            "imports": imports,
            "names": sorted(visitor.names),
            "attrs": sorted(visitor.attrs),
            "strings": sorted(visitor.strings),
            "main_guard": visitor.main_guard,
            "all": visitor.all,
            "locals": {scope: sorted(names) for scope, names in visitor.locals.items() if names},
            "script": visitor.script,
            "consts": {name: value for name, value in visitor.consts.items()
                       if name not in visitor.globals_declared},
            "attr_stores": sorted(visitor.attr_stores),
            "flag_ifs": visitor.flag_ifs,
            "import_flags": _import_flags(module),
            "columns": visitor.columns.facts(),
            "handlers": visitor.handlers,
            "getattrs": sorted(visitor.getattrs),
            "dynamic_imports": sorted(visitor.dynamic_imports),
            "config_files": sorted(visitor.config_files),
            "sys_path": sys_path_dirs(module),
        }
