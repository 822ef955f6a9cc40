"""Where Python looks for the modules a file imports: the ``sys.path`` each way of starting the code
gives it, worked out from the files that set it.

An import resolves against the folders on ``sys.path`` when the code runs, and those depend on how
it is started: ``python lab/train.py`` puts ``lab/`` first, ``python -m trainer.task`` the current
folder, Airflow its ``dags/`` and ``plugins/`` folders, pytest its ``pythonpath`` setting, a
Dockerfile or Makefile whatever its ``PYTHONPATH`` says, and a script its own
``sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))``. Each such root applies to
the files under the folder that declares it (its scope). The analysis tries every root that
applies to a file (the file's own folder, the folder above its outermost package, the declared
roots, the repository root) and keeps every module found: a name that could be two modules marks
both as used, never one as dead.
"""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Iterable

from auditor.analysis.pymodule import dotted_name
from auditor.pathnames import posix_path

# -- sys.path edits in code (run by the symbols extractor, per module) -----------------------------
_SYS_PATH_CALLS = {"sys.path.insert": 1, "sys.path.append": 0, "site.addsitedir": 0}
_FILE = ("<file>",)  # the value of __file__: the module itself, one level below its folder
_PASS_THROUGH = {"os.path.abspath", "os.path.realpath", "os.path.normpath", "str", "os.fspath", "Path", "pathlib.Path",
                 "os.path.expanduser"}
_PASS_METHODS = {"resolve", "absolute", "as_posix", "expanduser"}
_CWD = {"os.getcwd", "Path.cwd", "pathlib.Path.cwd", "os.getcwdb"}


Parts = tuple[str, ...]


def _path_value(node: ast.AST, depth: int = 0) -> Parts | None:
    """A path expression as parts relative to the module's folder (``..`` allowed, ``<file>`` for
    the module itself), when it is built from constants, ``__file__`` and the working folder only."""
    if depth > 12:
        return None
    evaluate = _EVALUATORS.get(type(node))
    return evaluate(node, depth + 1) if evaluate is not None else None


def _constant(node: ast.Constant, depth: int) -> Parts | None:
    if not isinstance(node.value, str) or node.value.startswith(("/", "~")) or "$" in node.value:
        return None
    return tuple(p for p in PurePosixPath(node.value).parts if p != ".")


def _name(node: ast.Name, depth: int) -> Parts | None:
    return _FILE if node.id == "__file__" else None


def _divided(node: ast.BinOp, depth: int) -> Parts | None:
    """``Path(...) / "src"``."""
    if not isinstance(node.op, ast.Div):
        return None
    return _join_all([_path_value(node.left, depth), _path_value(node.right, depth)])


def _attribute(node: ast.Attribute, depth: int) -> Parts | None:
    """``Path(__file__).parent``."""
    base = _path_value(node.value, depth) if node.attr == "parent" else None
    return None if base is None else _parent(base)


def _subscript(node: ast.Subscript, depth: int) -> Parts | None:
    """``Path(__file__).parents[1]``."""
    index = node.slice
    if not (isinstance(node.value, ast.Attribute) and node.value.attr == "parents" and isinstance(index, ast.Constant)
            and isinstance(index.value, int) and 0 <= index.value < 8):
        return None
    base = _path_value(node.value.value, depth)
    for _ in range(index.value + 1 if base is not None else 0):
        base = _parent(base)
    return base


def _call(node: ast.Call, depth: int) -> Parts | None:
    """``os.path.join(os.path.dirname(__file__), "..")``, ``os.getcwd()``, ``str(...)``, ``.resolve()``."""
    name = dotted_name(node.func)
    args = [_path_value(arg, depth) for arg in node.args]
    if name in _CWD:
        return ()
    if name == "os.path.dirname" and len(args) == 1:
        return None if args[0] is None else _parent(args[0])
    if (name == "os.path.join" and args) or (name in ("Path", "pathlib.Path") and len(args) > 1):
        return _join_all(args)
    if name in _PASS_THROUGH and len(args) == 1:
        return args[0]
    if isinstance(node.func, ast.Attribute) and node.func.attr in _PASS_METHODS and not node.args:
        return _path_value(node.func.value, depth)
    return None


_EVALUATORS: dict[type, Any] = {ast.Constant: _constant, ast.Name: _name, ast.BinOp: _divided,
                                ast.Attribute: _attribute, ast.Subscript: _subscript, ast.Call: _call}


def _join_all(values: list[Parts | None]) -> Parts | None:
    parts: Parts = ()
    for value in values:
        if value is None:
            return None
        parts = _join(parts, value)
    return parts


def _join(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[str, ...]:
    return right if right[:1] == _FILE else left + right


def _parent(parts: tuple[str, ...]) -> tuple[str, ...]:
    if parts == _FILE:
        return ()
    if not parts or parts[-1] == "..":
        return (*parts, "..")
    return parts[:-1]


def sys_path_dirs(module: Any) -> list[str]:
    """Folders a module adds to ``sys.path`` with a path it computes from constants, ``__file__``
    or the working folder (taken to be the module's own folder, as for a notebook or a script
    started where it lives), as repository-relative POSIX paths; edits it cannot follow are left out."""
    found = []
    folder = posix_path(module.path).parent
    for node in module.nodes(ast.Call):
        name = dotted_name(node.func)
        if name not in _SYS_PATH_CALLS or len(node.args) <= _SYS_PATH_CALLS[name]:
            continue
        parts = _path_value(node.args[_SYS_PATH_CALLS[name]])
        if parts is None or parts[:1] == _FILE:
            continue
        resolved = _normalise(folder, parts)
        if resolved is not None and resolved not in found:
            found.append(resolved)
    return found


def _normalise(folder: PurePosixPath, parts: Iterable[str]) -> str | None:
    """``folder`` joined with ``parts``, ``..`` applied; None when it leaves the repository."""
    stack = [p for p in folder.parts if p not in ("", ".")]
    for part in parts:
        if part == "..":
            if not stack:
                return None
            stack.pop()
        elif part not in ("", "."):
            stack.append(part)
    return "/".join(stack)


# -- PYTHONPATH and pythonpath in build files, containers, CI and test settings --------------------
_PYTHONPATH = re.compile(r"""PYTHONPATH["']?\s*(?:[=:]|\s)\s*["']?([^\s"';&|]+)""")
_HERE = re.compile(r"^(\.|\$\(?PWD\)?|\$\{PWD\}|\$\(shell pwd\)|\$\(CURDIR\)|\$\{\{\s*github\.workspace\s*\}\}|"
                   r"\$GITHUB_WORKSPACE|\$\{GITHUB_WORKSPACE\}|`pwd`|\$\(pwd\))$")
_WORKSPACE = re.compile(r"\$\{\{\s*github\.workspace\s*\}\}")  # GitHub Actions' checkout folder
_SELF_REFERENCE = re.compile(r"^\$\{?PYTHONPATH(:-[^}]*)?\}?$")


@dataclass(frozen=True)
class DeclaredRoot:
    folder: str  # the folder put on sys.path ("" for the repository root)
    scope: str  # the files it applies to: those under this folder ("" for all)
    source: str  # where it is declared, for evidence


def _entries(value: str) -> list[str]:
    return [v for v in value.strip("\"'").split(":") if v and not _SELF_REFERENCE.match(v)]


def _relative_entry(entry: str, base: str, folders: set[str], workdir: str | None = None) -> str | None:
    """A PYTHONPATH entry as a repository folder: relative to ``base``; an absolute path inside a
    container is matched to the repository by its longest tail that is a folder under ``base``."""
    if _HERE.match(entry) or (workdir and entry.rstrip("/") == workdir.rstrip("/")):
        return base
    for prefix in ("$(PWD)/", "${PWD}/", "$PWD/", "$(CURDIR)/", "${{ github.workspace }}/", "$GITHUB_WORKSPACE/",
                   "${GITHUB_WORKSPACE}/", "./"):
        if entry.startswith(prefix):
            entry = entry[len(prefix):]
            break
    if "$" in entry or "`" in entry:
        return None
    if entry.startswith("/"):
        if workdir and entry.startswith(workdir.rstrip("/") + "/"):
            entry = entry[len(workdir.rstrip("/")) + 1:]
        else:
            parts = [p for p in entry.split("/") if p]
            for cut in range(len(parts)):
                candidate = _normalise(PurePosixPath(base), parts[cut:])
                if candidate is not None and candidate in folders:
                    return candidate
            return None
    resolved = _normalise(PurePosixPath(base), entry.split("/"))
    return resolved if resolved is not None and (resolved == "" or resolved in folders) else None


def _build_context(dockerfile: str) -> str:
    """A Dockerfile's build context: its folder, or the folder above a ``docker/`` folder ("" for
    the repository root)."""
    folder = PurePosixPath(dockerfile).parent
    context = (folder.parent if folder.name.lower() == "docker" else folder).as_posix()
    return "" if context == "." else context


def _dockerfile_roots(path: str, text: str, folders: set[str]) -> list[DeclaredRoot]:
    """``ENV PYTHONPATH=...`` of a Dockerfile, relative to its build context (its folder, or the
    folder above a ``docker/`` folder); ``WORKDIR`` tells which container path is the context."""
    context = _build_context(path)
    workdir = None
    roots = []
    for line in text.splitlines():
        stripped = line.strip()
        upper = stripped.upper()
        if upper.startswith("WORKDIR "):
            workdir = stripped.split(None, 1)[1].strip()
        elif upper.startswith(("ENV ", "ARG ")) and "PYTHONPATH" in stripped:
            match = _PYTHONPATH.search(stripped)
            for entry in _entries(match.group(1)) if match else ():
                resolved = _relative_entry(entry, context, folders, workdir)
                if resolved is not None:
                    roots.append(DeclaredRoot(resolved, context, path))
    return roots


def _text_roots(path: str, text: str, base: str, folders: set[str]) -> list[DeclaredRoot]:
    """``PYTHONPATH=...`` anywhere in a Makefile, shell script, compose file, workflow or ``.env``."""
    roots = []
    text = _WORKSPACE.sub("$GITHUB_WORKSPACE", text)
    for match in _PYTHONPATH.finditer(text):
        for entry in _entries(match.group(1)):
            resolved = _relative_entry(entry, base, folders)
            if resolved is not None:
                roots.append(DeclaredRoot(resolved, base, path))
    return roots


def _pytest_roots(path: str, file: Any, base: str, folders: set[str]) -> list[DeclaredRoot]:
    """pytest's ``pythonpath`` setting (pytest.ini, tox.ini, setup.cfg, pyproject.toml)."""
    name = posix_path(path).name.lower()
    values: list[str] = []
    if name == "pyproject.toml":
        data = file.data if isinstance(file.data, dict) else {}
        options = data.get("tool", {}).get("pytest", {}).get("ini_options", {}) if isinstance(data.get("tool"), dict) else {}
        value = options.get("pythonpath") if isinstance(options, dict) else None
        values = value.split() if isinstance(value, str) else [v for v in value or () if isinstance(v, str)]
    elif name in ("pytest.ini", "tox.ini", "setup.cfg") and file.text:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(file.text)
        except configparser.Error:
            return []
        for section in ("pytest", "tool:pytest"):
            if parser.has_option(section, "pythonpath"):
                values = parser.get(section, "pythonpath").split()
    roots = []
    for value in values:
        resolved = _relative_entry(value, base, folders)
        if resolved is not None:
            roots.append(DeclaredRoot(resolved, base, path))
    return roots


def declared_roots(files: dict[str, Any], folders: set[str]) -> list[DeclaredRoot]:
    """Every root that the repository's files declare, with the files it applies to."""
    roots: list[DeclaredRoot] = []
    for path in sorted(files):
        file = files[path]
        text = getattr(file, "text", None)
        p = posix_path(path)
        base = "" if p.parent.as_posix() == "." else p.parent.as_posix()
        name = p.name.lower()
        if name in ("pyproject.toml", "pytest.ini", "tox.ini", "setup.cfg"):
            roots += _pytest_roots(path, file, base, folders)
        if text is None or "PYTHONPATH" not in text:
            continue
        if file.kind == "dockerfile":
            roots += _dockerfile_roots(path, text, folders)
        elif path.startswith((".github/workflows/", ".gitlab-ci", ".circleci/", "azure-pipelines")):
            roots += _text_roots(path, text, "", folders)  # CI runs from the repository root
        elif file.kind in ("build", "script", "config"):
            roots += _text_roots(path, text, base, folders)
    return roots


def layout_roots(paths: Iterable[str]) -> list[DeclaredRoot]:
    """Roots that a layout implies: an Airflow home puts its ``dags/`` and ``plugins/`` folders on
    ``sys.path``; a ``src/`` layout is installed or put on the path for the project around it."""
    roots = []
    folders = sorted({p.rsplit("/", 1)[0] for p in paths if p.endswith(".py") and "/" in p})
    seen = set()
    for folder in folders:
        parts = folder.split("/")
        for depth, part in enumerate(parts):
            here = "/".join(parts[: depth + 1])
            parent = "/".join(parts[:depth])
            if here in seen:
                continue
            if part == "dags":
                seen.add(here)
                roots.append(DeclaredRoot(here, here, f"{here}/ (Airflow puts its dags folder on sys.path)"))
                plugins = f"{parent}/plugins" if parent else "plugins"
                roots.append(DeclaredRoot(plugins, parent, f"{plugins}/ (Airflow puts its plugins folder on sys.path)"))
            elif part == "src":
                seen.add(here)
                roots.append(DeclaredRoot(here, parent, f"{here}/ (src layout)"))
    return roots


def _working_folders(project: Any) -> list[DeclaredRoot]:
    """Folders commands run from, which ``python -m`` puts on ``sys.path``: each project's folder
    (auditor/model/units.py) and each Dockerfile's build context (its ``WORKDIR`` holds the copy)."""
    roots = [DeclaredRoot(unit, unit, f"{unit}/ (a project folder, where its commands run)")
             for unit in getattr(project.units, "dirs", ()) if unit != "."]
    for path, file in project.files.items():
        if file.kind == "dockerfile":
            context = _build_context(path)
            if context:
                roots.append(DeclaredRoot(context, context, f"{path} (its build context)"))
    return roots


def _folders(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of ``paths`` (string operations: this runs for every file)."""
    folders: set[str] = set()
    for path in paths:
        cut = path.rfind("/")
        while cut > 0:
            folder = path[:cut]
            if folder in folders:
                break
            folders.add(folder)
            cut = path.rfind("/", 0, cut)
    return folders


class ImportRoots:
    """The folders each Python file of the project imports from, nearest first."""

    def __init__(self, project: Any, symbols: dict[str, dict[str, Any]]) -> None:
        paths = list(project.files)
        folders = _folders(paths)
        self.declared = declared_roots(project.files, folders) + layout_roots(paths) + _working_folders(project)
        for path, facts in sorted(symbols.items()):
            folder = posix_path(path).parent.as_posix()
            for added in facts.get("sys_path", ()):
                self.declared.append(DeclaredRoot(added, "" if folder == "." else folder, path))
        self.module_names = project.module_names
        self._by_scope: dict[str, list[str]] = {}
        for root in self.declared:
            bucket = self._by_scope.setdefault(root.scope, [])
            if root.folder not in bucket:
                bucket.append(root.folder)
        self._cache: dict[str, tuple[str, ...]] = {}

    def of(self, path: str) -> tuple[str, ...]:
        """The folders ``path`` imports from ("" for the repository root), nearest first: its own
        folder (a script's folder is on sys.path), the folder above its outermost package (the
        package's own imports), the roots declared for a folder above it, then the repository root."""
        cached = self._cache.get(path)
        if cached is not None:
            return cached
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        roots = [folder, self._anchor(path, folder)]
        scope = folder
        while True:
            roots += self._by_scope.get(scope, ())
            if not scope:
                break
            scope = scope.rsplit("/", 1)[0] if "/" in scope else ""
        roots.append("")
        result = tuple(dict.fromkeys(roots))
        self._cache[path] = result
        return result

    def _anchor(self, path: str, folder: str) -> str:
        """The folder above the outermost package holding ``path`` (where its dotted name starts)."""
        name = self.module_names.get(path, "")
        folders = folder.split("/") if folder else []
        depth = name.count(".") + 1 if name else 1
        if not path.endswith("/__init__.py") and path != "__init__.py":
            depth -= 1
        depth = min(depth, len(folders))
        return "/".join(folders[: len(folders) - depth])
