"""The commands a repository installs: console scripts declared in ``pyproject.toml``
(``[project.scripts]``, ``[tool.poetry.scripts]``), ``setup.cfg`` (``[options.entry_points]
console_scripts``) and ``setup.py`` (a literal ``entry_points={"console_scripts": [...]}``, or its INI text, in the
``setup()`` call, read from the syntax tree, never run), in any folder of the repository. The
stale-doc rules check a README's ``mytool train --epochs 3`` against the function a script names.
"""

from __future__ import annotations

import ast
import configparser
import posixpath
from typing import Any


def _entry(text: str) -> tuple[str, str] | None:
    """("name", "module:attr") of an entry point written ``name = module:attr [extra]``."""
    name, equals, target = text.partition("=")
    target = target.split("[")[0].strip()
    if not equals or not name.strip() or not target:
        return None
    return name.strip(), target


def setup_py_scripts(module) -> list[str]:
    """The console script entries of a ``setup.py``'s ``setup(entry_points=...)``, when literal."""
    found: list[str] = []
    for call in module.nodes(ast.Call):
        if (module.qualified_name(call.func) or "").rsplit(".", 1)[-1] != "setup":
            continue
        entry_points = next((k.value for k in call.keywords if k.arg == "entry_points"), None)
        if isinstance(entry_points, ast.Constant) and isinstance(entry_points.value, str):
            found.extend(_ini(entry_points.value, "console_scripts", None))  # the INI form: "[console_scripts]\n..."
        if not isinstance(entry_points, ast.Dict):
            continue
        for key, value in zip(entry_points.keys, entry_points.values):
            if isinstance(key, ast.Constant) and key.value == "console_scripts" and isinstance(value, (ast.List, ast.Tuple)):
                found.extend(e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return found


def _pyproject(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return []
    tables = [(data.get("project") or {}).get("scripts") if isinstance(data.get("project"), dict) else None]
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    tables.append(tool.get("poetry", {}).get("scripts") if isinstance(tool.get("poetry"), dict) else None)
    entries = []
    for table in tables:
        if isinstance(table, dict):
            entries += [f"{name} = {target}" for name, target in table.items() if isinstance(target, str)]
            entries += [f"{name} = {target['callable']}" for name, target in table.items()
                        if isinstance(target, dict) and isinstance(target.get("callable"), str)]
    return entries


def _ini(text: str, section: str, key: str | None) -> list[str]:
    """The entries of an INI section (``key=None``: its ``name = target`` lines) or of one key's value."""
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    try:
        parser.read_string(text)
        if key is None:
            return [f"{name} = {value}" for name, value in parser.items(section)] if parser.has_section(section) else []
        value = parser.get(section, key, fallback="")
    except configparser.Error:
        return []
    return [line for line in value.splitlines() if line.strip()]


def console_scripts(project, setup_py: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    """Command name -> (``module:attr`` it runs, the file that declares it). ``setup_py`` is each
    setup.py's entries (``setup_py_scripts``, gathered per module by an extractor)."""
    declared: dict[str, tuple[str, str]] = {}
    sources = [(path, entries) for path, entries in setup_py.items()]
    for path, file in project.files.items():
        name = posixpath.basename(path)
        if name == "pyproject.toml" and file.parses and file.parse_error is None:
            sources.append((path, _pyproject(file.data)))
        elif name == "setup.cfg" and file.text and "console_scripts" in file.text:
            sources.append((path, _ini(file.text, "options.entry_points", "console_scripts")))
    for path, entries in sorted(sources):
        for entry in entries:
            parsed = _entry(entry)
            if parsed is not None:
                declared.setdefault(parsed[0], (parsed[1], path))
    return declared
