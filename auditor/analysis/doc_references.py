"""Code references in documents, and the names a module binds, for the stale-doc rule ML707.

A document names code two ways mlaudit reads: an import in a Python snippet or an inline code span
(``from acme.models import build_model``, ``import acme.data``), and a dotted name alone in an
inline code span when it is a call or four parts deep (``acme.train.main()``,
``acme.models.resnet.build_model``): a shorter one is as often a logger, a metric key or a
protobuf type named after the package. Snippets are parsed with
``ast`` (a whole block, else line by line, console prompts removed), never matched with a regular
expression over the document.

A module's bindings are every name its top level can define: definitions, assignments, imports,
``global`` names, in any ``if``/``try``/``for``/``with`` branch. A module that may define names
mlaudit cannot list (``from x import *``, a module ``__getattr__``, ``globals()``, ``exec``,
``sys.modules`` tricks) is ``dynamic``: nothing is said about names in it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "pycon", "ipython", "ipython3", "pytb"})
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_DYNAMIC_CALLS = frozenset({"globals", "locals", "vars", "exec", "setattr", "__import__"})


@dataclass(frozen=True)
class Reference:
    line: int
    dotted: str  # the module, or the module and the name it is said to define (``acme.models.build``)
    imported: tuple[str, ...]  # names a ``from dotted import a, b`` takes from the module; () otherwise
    text: str  # as written, for the message


def _imports(tree: ast.AST, first_line: int, text_of) -> list[Reference]:
    found = []
    for node in ast.walk(tree):
        line = first_line + node.lineno - 1 if hasattr(node, "lineno") else first_line
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = tuple(a.name for a in node.names if a.name != "*")
            if names:
                found.append(Reference(line, node.module, names, text_of(node)))
        elif isinstance(node, ast.Import):
            found.extend(Reference(line, alias.name, (), text_of(node)) for alias in node.names)
    return found


def _unprompted(text: str) -> str:
    lines = text.split("\n")
    if any(line.startswith(">>>") for line in lines):
        lines = [line[4:] if line.startswith((">>> ", "... ")) else line[3:] if line in (">>>", "...") else ""
                 for line in lines]
    return "\n".join(lines)


def _parse(text: str) -> ast.AST | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@lru_cache(maxsize=4096)  # a long-lived process (the language server) re-checks the same documents
def _block_references(text: str, first_line: int) -> tuple[Reference, ...]:
    """The imports of a Python snippet: the whole block when it parses, else each import line."""
    text = _unprompted(text)
    tree = _parse(text)
    lines = text.split("\n")
    if tree is not None:
        return tuple(_imports(tree, first_line, lambda node: lines[node.lineno - 1].strip()))
    found = []
    for offset, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(("from ", "import ")):
            tree = _parse(stripped)
            if tree is not None:
                found += _imports(tree, first_line + offset, lambda node, s=stripped: s)
    return tuple(found)


def _span_reference(text: str, line: int) -> list[Reference]:
    """An inline code span that is an import statement, or only a dotted name (``a.b.c`` or ``a.b.c()``)."""
    text = text.strip()
    if text.startswith(("from ", "import ")):
        tree = _parse(text)
        return _imports(tree, line, lambda node: text) if tree is not None else []
    name = text[:-2] if text.endswith("()") else text
    # A short dotted name is as often a logger, a metric or tag key, a protobuf type or a config key
    # (`acme.audit`, `acme.entity_count`, `acme.types.Value`) as code: only a call or a deep path counts.
    if _DOTTED.fullmatch(name) and (text.endswith("()") or name.count(".") >= 3):
        return [Reference(line, name, (), text)]
    return []


def references_in(document) -> list[Reference]:
    """Every code reference of a parsed Markdown document (auditor/model/docs.py), in line order."""
    found: list[Reference] = []
    for block in document.blocks:
        if block.language in PYTHON_LANGUAGES:
            found += _block_references(block.text, block.line)
    for span in document.spans:
        found += _span_reference(span.text, span.line)
    return sorted(found, key=lambda r: r.line)


# --- what a module binds -----------------------------------------------------------------------------


def _bound_by(statement: ast.stmt) -> list[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in statement.names]
    targets: list[ast.AST] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        targets = [statement.target]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in statement.items if item.optional_vars is not None]
    names = [n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)]
    for handler in getattr(statement, "handlers", None) or []:  # try / try*: ``except E as name``
        names += [handler.name] if handler.name else []
    return names


def _branches(statement: ast.stmt) -> list[ast.stmt]:
    """The statements nested in a top-level compound statement that still run at module level."""
    nested: list[ast.stmt] = []
    for field in ("body", "orelse", "finalbody"):
        nested += getattr(statement, field, None) or []
    for handler in getattr(statement, "handlers", None) or []:
        nested += handler.body
    for case in getattr(statement, "cases", None) or []:
        nested += case.body
    return nested


def module_bindings(module) -> dict[str, Any]:
    """The names the module's top level binds, and whether it may bind others mlaudit cannot list."""
    names: set[str] = set()
    dynamic = False
    pending = list(module.tree.body)
    while pending:
        statement = pending.pop()
        names.update(_bound_by(statement))
        if isinstance(statement, ast.ImportFrom) and any(a.name == "*" for a in statement.names):
            dynamic = True
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            pending += _branches(statement)
    for node in module.nodes(ast.Global, ast.Call, ast.Attribute):  # the walk every rule shares
        if isinstance(node, ast.Global):
            names.update(node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _DYNAMIC_CALLS:
            dynamic = True
        elif isinstance(node, ast.Attribute) and node.attr == "modules" and isinstance(node.value, ast.Name) \
                and node.value.id == "sys":
            dynamic = True
    if "__getattr__" in names:
        dynamic = True
    return {"names": sorted(names), "dynamic": dynamic}
