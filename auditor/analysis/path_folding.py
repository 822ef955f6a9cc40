"""Constant folding of path expressions, for finding which files a module writes and reads.

``PathFolder.fold(node)`` gives the constant string a path expression evaluates to, or None:
a literal, a module-level constant, f-strings of those, ``+`` and ``/`` joins, ``os.path.join``,
``pathlib`` constructors and ``joinpath``, ``.parent`` / ``.parents[n]``, ``os.path.dirname``.
A path built from ``__file__`` is kept as ``@file/...``, relative to the module.
"""

from __future__ import annotations

import ast
import posixpath

FILE_DIR = "@file"
_FILE = f"{FILE_DIR}/__file__"
_PATH_CONSTRUCTORS = {"pathlib.Path", "pathlib.PurePath", "pathlib.PurePosixPath", "str", "os.fspath"}
# One-argument calls that keep a folded path (abspath & co.: the repository-relative path stays).
_SINGLE_PATH_CALLS = {
    "os.path.dirname": lambda path: _dirname(path),
    "os.path.abspath": lambda path: path,
    "os.path.realpath": lambda path: path,
    "os.path.normpath": lambda path: path,
}
_SAME_PATH_METHODS = {"resolve", "absolute", "expanduser"}


def _join(left: str, right: str) -> str:
    if right.startswith("/") or right.startswith(FILE_DIR):
        return right
    return posixpath.join(left, right) if left else right


def _dirname(path: str) -> str:
    if path == _FILE:
        return FILE_DIR
    if path.startswith(FILE_DIR):
        rest = path[len(FILE_DIR):].lstrip("/")
        return f"{FILE_DIR}/{rest}/.." if rest else f"{FILE_DIR}/.."
    return posixpath.dirname(path.rstrip("/"))


def _join_all(parts: list[str | None]) -> str | None:
    """All parts joined in order; None if there are none or one cannot be folded."""
    if not parts or any(part is None for part in parts):
        return None
    result = parts[0]
    for part in parts[1:]:
        result = _join(result, part)
    return result


def _is_os_join(name: str) -> bool:
    return name.rsplit(".", 1)[-1] == "join" and name.startswith(("os.path", "posixpath"))


def _is_path_constructor(name: str) -> bool:
    return name in _PATH_CONSTRUCTORS or (name.endswith(".Path") and name.startswith("pathlib"))


MAX_FOLDED_LENGTH = 4096  # longer than any real path: a longer constant is not folded


class PathFolder:
    """Folds path expressions of one module; ``constants`` maps module-level names to paths."""

    def __init__(self, module) -> None:
        self.module = module
        self.constants: dict[str, str] = {}

    def fold(self, node: ast.AST | None) -> str | None:
        """The constant string a path expression evaluates to, or None (also when it would be
        longer than any path: ``A1 = A0 + A0`` repeated doubles a string each line)."""
        handler = _FOLDERS.get(type(node))
        folded = handler(self, node) if handler is not None else None
        return folded if folded is None or len(folded) <= MAX_FOLDED_LENGTH else None

    def _constant(self, node: ast.Constant) -> str | None:
        return node.value if isinstance(node.value, str) else None

    def _name(self, node: ast.Name) -> str | None:
        if node.id == "__file__":
            return _FILE
        return self.constants.get(node.id)

    def _f_string(self, node: ast.JoinedStr) -> str | None:
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
                continue
            # A formatted value with a format spec (f"{x:>3}") is not a path part we can fold.
            inner = self.fold(value.value) if isinstance(value, ast.FormattedValue) and value.format_spec is None \
                else None
            if inner is None:
                return None
            parts.append(inner)
        return "".join(parts)

    def _binary(self, node: ast.BinOp) -> str | None:
        left, right = self.fold(node.left), self.fold(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Div):  # pathlib's path / "name"
            return _join(left, right)
        return None

    def _attribute(self, node: ast.Attribute) -> str | None:
        if node.attr != "parent":
            return None
        base = self.fold(node.value)
        return _dirname(base) if base is not None else None

    def _subscript(self, node: ast.Subscript) -> str | None:
        """``path.parents[n]``: n + 1 directories up."""
        if not (isinstance(node.value, ast.Attribute) and node.value.attr == "parents"):
            return None
        base = self.fold(node.value.value)
        index = node.slice
        if base is None or not (isinstance(index, ast.Constant) and isinstance(index.value, int)):
            return None
        # A path has as many parents as parts (and a few ".." above a module's folder): a larger
        # index fails at run time, and walking up to it would take as long as the number is large.
        if not 0 <= index.value <= base.count("/") + 8:
            return None
        for _ in range(index.value + 1):
            base = _dirname(base)
        return base

    def _call(self, node: ast.Call) -> str | None:
        name = self.module.qualified_name(node.func) or self.module.dotted_name(node.func) or ""
        if _is_os_join(name):
            return _join_all([self.fold(arg) for arg in node.args])
        if _is_path_constructor(name):
            return None if node.keywords else _join_all([self.fold(arg) for arg in node.args])
        if name in _SINGLE_PATH_CALLS and len(node.args) == 1:
            inner = self.fold(node.args[0])
            return _SINGLE_PATH_CALLS[name](inner) if inner is not None else None
        if isinstance(node.func, ast.Attribute):
            return self._path_method(node, node.func)
        return None

    def _path_method(self, node: ast.Call, func: ast.Attribute) -> str | None:
        """``Path(...).resolve()`` and ``Path(...).joinpath(...)``."""
        if func.attr in _SAME_PATH_METHODS and not node.args:
            return self.fold(func.value)
        if func.attr == "joinpath":
            return _join_all([self.fold(func.value)] + [self.fold(arg) for arg in node.args])
        return None


_FOLDERS = {
    ast.Constant: PathFolder._constant,
    ast.Name: PathFolder._name,
    ast.JoinedStr: PathFolder._f_string,
    ast.BinOp: PathFolder._binary,
    ast.Attribute: PathFolder._attribute,
    ast.Subscript: PathFolder._subscript,
    ast.Call: PathFolder._call,
}
