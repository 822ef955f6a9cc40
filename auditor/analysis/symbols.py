"""The ``symbols`` extractor: the per-module facts the whole-program graph (``auditor.analysis.program``) and
the dead-code, unused-feature and seed rules are built on."""

from __future__ import annotations

import ast
import re
from typing import Any

from auditor.analysis.import_roots import sys_path_dirs
from auditor.analysis.pymodule import Extractor, resolve_relative
from auditor.analysis.symbol_visitor import MAX_DATA_STRINGS, SymbolVisitor


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


# The fact kind of each scope's calls, references and local names: only the program graph reads
# them, for the modules whose edges it resolves (a scan after an edit replays the others' edges).
# They are two thirds of the symbols facts' text, and five sixths of the time it takes to decode.
SYMBOL_USES = "symbol_uses"


class SymbolFacts(Extractor):
    """Definitions, imports, calls per scope, and every name, attribute and identifier string used."""

    name = "symbols"
    parts = {SYMBOL_USES: ("calls", "refs", "locals")}

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
            # a name an import also binds is an import guard's fallback (`except ImportError: comet_ml = None`),
            # not a constant of its own
            "consts": {name: value for name, value in visitor.consts.items()
                       if name not in visitor.globals_declared and name not in module.imports},
            "attr_stores": sorted(visitor.attr_stores),
            "flag_ifs": visitor.flag_ifs,
            "import_flags": _import_flags(module),
            "columns": visitor.columns.facts(),
            "handlers": visitor.handlers,
            "getattrs": sorted(visitor.getattrs),
            "dynamic_imports": sorted(visitor.dynamic_imports),
            "config_files": sorted(visitor.config_files),
            # None when there are too many to keep: what data the module names is then unknown
            "data_strings": sorted(visitor.data_strings) if len(visitor.data_strings) <= MAX_DATA_STRINGS else None,
            "computed_data_reads": visitor.computed_data_reads,
            "sys_path": sys_path_dirs(module),
            "executed": sorted(visitor.executed),
            "loaded_packages": sorted(visitor.loaded_packages),
            "value_names": sorted(visitor.value_names),
            "value_attrs": sorted(visitor.value_attrs),
            **visitor.local_use.facts(),
            "name_prefixes": sorted(visitor.name_prefixes),
        }


# A line that starts an import statement (at any indentation: inside a function or a try block).
_IMPORT_LINE = re.compile(r"^\s*(?:from\s+\.*[\w.]*\s+import\b|import\s+[\w.])")
RECOVERED_IMPORTS = "recovered_imports"  # the fact kind of a module that does not parse
WRITTEN_MODULES = "written_modules"  # a notebook's %%writefile Python files: path -> their imports


def recover_imports(text: str, module_name: str, is_package: bool) -> list[list[Any]]:
    """The import statements of a module that does not parse as a whole (a course lab with
    ``x = # TODO`` placeholders), each parsed on its own: [local, target, line] as in the symbols
    facts. What such a module imports is still used, though nothing else about it is known."""
    lines = text.splitlines()
    found: list[list[Any]] = []
    index = 0
    while index < len(lines):
        if not _IMPORT_LINE.match(lines[index]):
            index += 1
            continue
        statement, end = lines[index].strip(), index
        while (statement.count("(") > statement.count(")") or statement.endswith("\\")) \
                and end + 1 < len(lines) and end - index < 100:
            end += 1
            statement = statement.rstrip("\\") + " " + lines[end].strip()
        try:
            node = ast.parse(statement).body[0]
        except (SyntaxError, ValueError, IndexError):
            node = None
        for local, target in _imported(node, module_name, is_package):
            found.append([local, target, index + 1])
        index = end + 1
    return found


def _imported(node: ast.AST | None, module_name: str, is_package: bool) -> list[tuple[str, str]]:
    if isinstance(node, ast.Import):
        return [(alias.asname or alias.name.split(".")[0], alias.name) for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = resolve_relative(module_name, is_package, node.level, node.module)
        return [("*", base) if alias.name == "*" else (alias.asname or alias.name, f"{base}.{alias.name}" if base else alias.name)
                for alias in node.names]
    return []


def written_modules(notebook_path: str, written: list[tuple[str, str]]) -> dict[str, list[list[Any]]]:
    """The imports of each Python file a notebook writes with ``%%writefile``, by the file's
    repository path (the notebook runs from its own folder); paths leaving the repository are
    dropped."""
    folder = notebook_path.rsplit("/", 1)[0].split("/") if "/" in notebook_path else []
    found: dict[str, list[list[Any]]] = {}
    for target, body in written:
        parts = list(folder)
        for part in target.split("/"):
            if part == "..":
                if not parts:
                    break
                parts.pop()
            elif part not in ("", "."):
                parts.append(part)
        else:
            path = "/".join(parts)
            stem = parts[-1][:-3] if parts else ""
            found.setdefault(path, []).extend(recover_imports(body, stem, stem == "__init__"))
    return found
