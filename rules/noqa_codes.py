"""Which lint codes a line's blanket ``# noqa`` silences, when that can be known without running a
linter: ML402 records them so that ``mlaudit fix`` can narrow ``# noqa`` to ``# noqa: CODES``.

Known only for a one-line statement written the canonical way (its code is exactly what
``ast.unparse`` prints, so no spacing code such as E231 can apply) on a line that stays within 79
characters once narrowed (so no line-length code can apply): an import whose name nothing uses
(F401), a star import (F403), an import after module code (E402), a lambda bound to a name (E731).
Anything else is unknown, and the ``# noqa`` is left as it is.
"""

from __future__ import annotations

import ast
from functools import lru_cache

MAX_LINE = 79  # the shortest default line length of the linters that read # noqa (flake8)


def needed_codes(module, line: int, comment_col: int) -> list[str] | None:
    """The codes the statement on ``line`` needs silenced, or None when they cannot be known."""
    statement = _one_line_statement(module, line)
    text = module.line_text(line)
    if statement is None or text[:comment_col].strip() != ast.unparse(statement):
        return None
    codes = []
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        if isinstance(statement, ast.ImportFrom) and any(a.name == "*" for a in statement.names):
            codes.append("F403")
        elif _unused_binding(module, statement):
            codes.append("F401")
        after_code = _after_module_code(module, statement)
        if after_code is None:
            return None
        if after_code:
            codes.append("E402")
    elif isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Lambda):
        codes.append("E731")
    if not codes or len(text[:comment_col].rstrip()) + len("  # noqa: ") + len(",".join(codes)) > MAX_LINE:
        return None
    return sorted(codes)


@lru_cache(maxsize=4)
def _index(tree: ast.Module) -> tuple[dict[int, list[ast.stmt]], frozenset[str]]:
    """Statements by first line, and every name the module reads: one walk per module, however
    many ``# noqa`` it has."""
    by_line: dict[int, list[ast.stmt]] = {}
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            by_line.setdefault(node.lineno, []).append(node)
        elif isinstance(node, ast.Name):
            names.add(node.id)
    return by_line, frozenset(names)


def _one_line_statement(module, line: int) -> ast.stmt | None:
    found = _index(module.tree)[0].get(line, [])
    if len(found) != 1 or found[0].end_lineno != line or isinstance(found[0], (ast.If, ast.For, ast.While, ast.With,
                                                                                ast.Try, ast.FunctionDef, ast.ClassDef)):
        return None
    return found[0]


def _unused_binding(module, statement: ast.Import | ast.ImportFrom) -> bool:
    used = _index(module.tree)[1]
    exported = set()
    for node in module.tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            exported.update(c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant) and isinstance(c.value, str))
    for alias in statement.names:
        bound = alias.asname or alias.name.split(".")[0]
        if bound not in used and bound not in exported:
            return True
    return False


def _after_module_code(module, statement: ast.stmt) -> bool | None:
    """True when module code precedes the import (E402), False when only imports, docstrings and
    dunder assignments do, None when an if or try before it makes it a linter's judgement."""
    if statement not in module.tree.body:
        return False  # an import inside a block is not E402's business
    for node in module.tree.body:
        if node is statement:
            return False
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and all(
                isinstance(t, ast.Name) and t.id.startswith("__") and t.id.endswith("__")
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])):
            continue
        if isinstance(node, (ast.If, ast.Try)):
            return None
        return True
    return False
