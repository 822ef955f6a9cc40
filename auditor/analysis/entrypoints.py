"""Where a repository's code is started from, besides its own imports.

Collected from packaging files (console scripts and entry points), configs (Hydra ``_target_``,
Airflow ``python_callable``, any dotted path that names project code), commands in Dockerfiles,
Makefiles, CI workflows and docs (``python path/to/x.py``, ``python -m pkg.mod``, ``uvicorn pkg.app:app``),
strings in code (``importlib.import_module("pkg.mod")``, ``"pkg.mod:func"``) and the user's
``entrypoints`` setting. Each root keeps the place it came from, for evidence.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from typing import Any, Iterator

from auditor.ml.frameworks import ENTRY_FILE_NAMES, SCRIPT_DIRECTORIES
from auditor.pathnames import posix_path

_PY_PATH = re.compile(r"(?<![\w.-])((?:[\w.-]+/)*[\w-]+\.py)\b")
_DASH_M = re.compile(r"(?<![\w-])-m[\s\"',]+([A-Za-z_][\w.]*)")
_DOTTED = re.compile(r"(?<![\w./-])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?::[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*|(?:\.[A-Za-z_]\w*)))(?![\w/])")
_SETUP_CFG_ENTRY = re.compile(r"^\s*[\w.-]+\s*=\s*([\w.]+(?::[\w.]+)?)", re.M)
COMMAND_KINDS = ("dockerfile", "build", "config", "doc", "other")


def _walk_strings(data: Any, depth: int = 0) -> Iterator[tuple[str | None, str]]:
    """(key, string value) pairs of a parsed config, keys included as values of nothing."""
    if depth > 30:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                yield (str(key), value)
            else:
                yield from _walk_strings(value, depth + 1)
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, str):
                yield (None, item)
            else:
                yield from _walk_strings(item, depth + 1)


def packaging_targets(project) -> list[tuple[str, str]]:
    """(dotted target, where) of console scripts and entry points declared for the project."""
    found: list[tuple[str, str]] = []
    pyproject = project.files.get("pyproject.toml")
    data = pyproject.data if pyproject is not None and isinstance(pyproject.data, dict) else {}
    proj = data.get("project") if isinstance(data.get("project"), dict) else {}
    tables = [proj.get("scripts"), proj.get("gui-scripts")]
    entry_points = proj.get("entry-points")
    if isinstance(entry_points, dict):
        tables.extend(entry_points.values())
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    tables.append(poetry.get("scripts"))
    plugins = poetry.get("plugins")
    if isinstance(plugins, dict):
        tables.extend(plugins.values())
    for table in tables:
        if isinstance(table, dict):
            for value in table.values():
                if isinstance(value, str):
                    found.append((value.split("[")[0].strip(), "pyproject.toml"))
                elif isinstance(value, dict) and isinstance(value.get("callable"), str):
                    found.append((value["callable"], "pyproject.toml"))
    setup_cfg = project.files.get("setup.cfg")
    if setup_cfg is not None and setup_cfg.text and "entry_points" in setup_cfg.text:
        section = setup_cfg.text.split("entry_points", 1)[1]
        section = re.split(r"^\[(?!options\.entry_points)", section, maxsplit=1, flags=re.M)[0]
        found.extend((m.group(1), "setup.cfg") for m in _SETUP_CFG_ENTRY.finditer(section))
    return found


def distribution_name(project) -> str | None:
    pyproject = project.files.get("pyproject.toml")
    data = pyproject.data if pyproject is not None and isinstance(pyproject.data, dict) else {}
    for table in (data.get("project"), (data.get("tool") or {}).get("poetry") if isinstance(data.get("tool"), dict) else None):
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            return table["name"]
    setup_cfg = project.files.get("setup.cfg")
    if setup_cfg is not None and setup_cfg.text:
        match = re.search(r"^\[metadata\][^\[]*?^name\s*=\s*(\S+)", setup_cfg.text, re.M | re.S)
        if match:
            return match.group(1)
    for path in project.module_names:
        if posix_path(path).name == "setup.py" and "/" not in path:
            return "setup.py"
    return None


# A package published to an index: the commands that upload one, and the metadata only an index reads.
_PUBLISHES = re.compile(r"twine\s+upload|gh-action-pypi-publish|\b(?:poetry|flit|hatch|uv|pdm)\s+publish\b|"
                        r"\bpypi\.org/p/|trusted.publish", re.I)
_CLASSIFIERS = re.compile(r"^\s*classifiers\s*=|classifiers\s*=\s*\[", re.M)
# What an application ships: an image, a pipeline, a service definition.
_APPLICATION_FILES = ("dockerfile", "docker-compose.yml", "docker-compose.yaml", "compose.yaml", "dvc.yaml",
                      "procfile", "app.yaml", "serverless.yml", "dagster_cloud.yaml", "mlproject", "bentofile.yaml")


def project_kind(project) -> tuple[str, str]:
    """("application" | "library", why). In a library the public names of the distributed package
    are its API, used from outside the repository; in an application they are judged by use.
    ``[tool.mlaudit] kind`` decides when set; else a repository with no distribution metadata is an
    application, one that publishes its package (an upload command in CI, a Makefile or a script,
    or index classifiers in its metadata) a library, and one that ships an image or a pipeline
    without publishing an application."""
    configured = getattr(project.config, "kind", None)
    if configured:
        return configured, "set by kind in the configuration"
    name = distribution_name(project)
    if name is None:
        return "application", "no distribution metadata (pyproject.toml [project], setup.cfg, setup.py)"
    shown = "setup.py" if name == "setup.py" else f"distribution {name}"
    automation = [file for path, file in project.files.items()
                  if path.startswith((".github/", ".gitlab", ".circleci/", ".azure", "scripts/")) or path == "Makefile"]
    for file in automation:
        if file.text and _PUBLISHES.search(file.text):
            return "library", f"{shown}, published to a package index by {file.path}"
    for path in ("pyproject.toml", "setup.cfg", "setup.py"):
        file = project.files.get(path)
        if file is not None and file.text and _CLASSIFIERS.search(file.text):
            return "library", f"{shown}, with package-index classifiers in {path}"
    shipped = sorted(path for path in project.files if posix_path(path).name.lower().startswith(_APPLICATION_FILES))
    if shipped:
        return "application", f"{shown} is not published, and {shipped[0]} ships the code"
    return "library", shown


def config_targets(project) -> list[tuple[str, str]]:
    """Dotted paths in parsed configs (``_target_``, ``python_callable``, ``module.path:func``)."""
    found = []
    for file in project.files.values():
        if file.kind != "config" or file.data is None:
            continue
        for _, value in _walk_strings(file.data):
            if len(value) <= 200:
                for match in _DOTTED.finditer(value):
                    if "." in match.group(1) or ":" in match.group(1):
                        found.append((match.group(1), file.path))
    return found


def command_targets(project, python_paths: set[str]) -> list[tuple[str, str]]:
    """Modules run by commands written in Dockerfiles, Makefiles, CI, docs and configs.

    Returns (python path or dotted name, where). Paths are matched by suffix, so ``python train.py``
    run from a sub-directory still names ``src/train.py``.
    """
    found = []
    by_name: dict[str, list[str]] = {}
    for path in python_paths:
        by_name.setdefault(posix_path(path).name, []).append(path)
    for file in project.files.values():
        if file.kind not in COMMAND_KINDS or not file.text or len(file.text) > 2_000_000:
            continue
        text = file.text
        if ".py" in text:
            for match in _PY_PATH.finditer(text):
                mentioned = match.group(1).lstrip("./")
                for path in by_name.get(posix_path(mentioned).name, ()):
                    if path == mentioned or path.endswith("/" + mentioned) or "/" not in mentioned:
                        found.append((path, file.path))
        if "-m" in text:
            found.extend((m.group(1), file.path) for m in _DASH_M.finditer(text))
        if file.kind != "doc" and ":" in text:
            for match in _DOTTED.finditer(text):
                if ":" in match.group(1) and "." in match.group(1):
                    found.append((match.group(1), file.path))
    return found


def _dotted_glob(entry: str) -> bool:
    return any(ch in entry for ch in "*?[") and "/" not in entry and not entry.endswith((".py", ".ipynb"))


def whitelisted_modules(project) -> set[str]:
    """Modules an ``entrypoints`` dotted glob names (``pkg.plugins.*``): loaded by something mlaudit
    cannot see, with every top-level name used (the whitelist of a plugin package)."""
    globs = [entry for entry in project.config.entrypoints if _dotted_glob(entry)]
    return {path for path, name in project.module_names.items()
            if any(fnmatch.fnmatchcase(name, glob) for glob in globs)} if globs else set()


def user_entrypoints(project, python_paths: set[str]) -> list[tuple[str, str]]:
    """The ``entrypoints`` setting: paths, globs or dotted names (dotted globs: ``whitelisted_modules``)."""
    found = []
    for entry in project.config.entrypoints:
        if _dotted_glob(entry):
            continue
        if any(ch in entry for ch in "*?[") or entry.endswith((".py", ".ipynb")) or "/" in entry:
            found.extend((p, "configuration") for p in python_paths if fnmatch.fnmatch(p, entry) or p == entry)
        else:
            found.append((entry, "configuration"))
    return found


# A pure function of a path, asked for every definition of a project: answered once per path.
@lru_cache(maxsize=1 << 16)
def is_script_path(path: str) -> bool:
    p = posix_path(path)
    return p.name in ENTRY_FILE_NAMES or any(part in SCRIPT_DIRECTORIES for part in p.parts[:-1])
