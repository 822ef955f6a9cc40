"""The independent projects (units) inside a repository.

A course or platform monorepo holds dozens of projects that share nothing but the repository: a
seed set in one lab pins nothing in another, and a drift notebook in one lab is no evidence that
another lab is monitored. A unit is a folder with its own project file (``pyproject.toml``,
``setup.py``/``setup.cfg``, ``requirements*.txt``, ``environment.yml``, ``Pipfile``), ``dvc.yaml``,
``Dockerfile``, or Airflow ``dags/`` folder, that holds code of its own and is not a subpackage of an
enclosing Python package. Tests and documentation folders are part of the project around them. The
repository root is always a unit: it holds every file no deeper unit holds. ``[tool.mlaudit] units``
names the units by directory globs instead (``["."]``: one unit).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Iterable

from auditor.ml.paths import is_test_path
from auditor.pathnames import posix_path

ROOT = "."

# Files that make their folder a project of its own (lower-case names).
_PROJECT_FILES = {"pyproject.toml", "setup.py", "setup.cfg", "pipfile", "environment.yml", "environment.yaml",
                  "conda.yml", "conda.yaml", "dvc.yaml"}
_DOC_FOLDERS = {"doc", "docs", "documentation", "site"}
_CODE_SUFFIXES = (".py", ".ipynb")


def _marker_folder(path: str) -> str | None:
    """The folder a file makes a project of, or None."""
    p = posix_path(path)
    name = p.name.lower()
    folder = p.parent
    if name in _PROJECT_FILES or name.startswith("dockerfile") or name.endswith(".dockerfile") or (
            name.startswith("requirements") and name.endswith((".txt", ".in"))):
        if folder.name.lower() in ("requirements", "requirements.d", "docker", "src"):
            folder = folder.parent  # requirements/base.txt, docker/Dockerfile, src/requirements.txt: the project above
        return folder.as_posix()
    if len(p.parts) >= 2 and p.parts[-2] == "dags" and p.suffix == ".py":
        return folder.parent.as_posix()  # an Airflow home: dags/ (and plugins/) inside it
    return None


def _image_of_the_repository(path: str, folder: str, python_paths: set[str]) -> bool:
    """``utils/docker/Dockerfile`` where ``utils`` is a package: the images of the repository
    around it (they copy the whole tree), kept beside the helpers; the package is not a project."""
    return posix_path(path).parent.name.lower() == "docker" and f"{folder}/__init__.py" in python_paths


def _excluded(folder: str, python_paths: set[str]) -> bool:
    """Folders that are never a project of their own: the root (always one), hidden folders, tests,
    documentation, and subpackages of an enclosing package."""
    if folder in ("", ROOT):
        return True
    parts = PurePosixPath(folder).parts
    if any(part.startswith(".") for part in parts) or any(part.lower() in _DOC_FOLDERS for part in parts):
        return True
    if is_test_path(f"{folder}/x.py"):
        return True
    parent = PurePosixPath(folder).parent.as_posix()
    return parent not in ("", ROOT) and f"{parent}/__init__.py" in python_paths


@dataclass
class Units:
    """The repository's units, deepest first when a path is looked up."""

    dirs: list[str] = field(default_factory=lambda: [ROOT])  # sorted; ROOT first
    configured: bool = False  # named by [tool.mlaudit] units rather than detected
    _of: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._lookup = set(self.dirs)

    @property
    def many(self) -> bool:
        return len(self.dirs) > 1

    def of(self, path: str) -> str:
        """The unit holding ``path`` (the deepest unit folder above it)."""
        cached = self._of.get(path)
        if cached is not None:
            return cached
        unit = ROOT
        for folder in posix_path(path).parents:
            text = folder.as_posix()
            if text != ROOT and text in self._lookup:
                unit = text
                break
        self._of[path] = unit
        return unit

    def members(self, paths: Iterable[str], unit: str) -> list[str]:
        return [p for p in paths if self.of(p) == unit]


def detect_units(paths: Iterable[str], configured: list[str] | None = None) -> Units:
    """The units of a repository with these files (repository-relative POSIX paths)."""
    paths = sorted(paths)
    if configured is not None:
        return _configured_units(paths, configured)
    python_paths = {p for p in paths if p.endswith(".py")}
    candidates = {folder for p in paths if (folder := _marker_folder(p)) is not None
                  and not _image_of_the_repository(p, folder, python_paths)}
    units = Units(sorted({ROOT, *(c for c in candidates if not _excluded(c, python_paths))}, key=_order))
    return _with_code_only(units, [p for p in paths if p.endswith(_CODE_SUFFIXES)])


def _configured_units(paths: list[str], configured: list[str]) -> Units:
    """The folders ``[tool.mlaudit] units`` globs match, and the root."""
    folders = _with_ancestors({posix_path(p).parent.as_posix() for p in paths})
    patterns = [glob.strip().strip("/") for glob in configured]
    chosen = {f for f in folders for pattern in patterns if pattern not in ("", ROOT) and _glob_matches(f, pattern)}
    return Units(sorted({ROOT, *chosen}, key=_order), configured=True)


def _with_code_only(units: Units, code_paths: list[str]) -> Units:
    """A unit without code of its own (a docker/ folder, a data folder with a dvc.yaml of the
    parent's code) is part of the project around it: such units go, deepest first, until every one
    has code."""
    while True:
        with_code = {units.of(p) for p in code_paths}
        empty = [d for d in units.dirs if d != ROOT and d not in with_code]
        if not empty:
            return units
        deepest = max(d.count("/") for d in empty)
        units = Units(sorted(set(units.dirs) - {d for d in empty if d.count("/") == deepest}, key=_order))


def _glob_matches(folder: str, pattern: str) -> bool:
    """``labs/*/*`` matches folders two levels below labs/: ``*`` never crosses a ``/``."""
    parts, wanted = folder.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(fnmatch.fnmatchcase(p, w) for p, w in zip(parts, wanted))


def _with_ancestors(folders: set[str]) -> set[str]:
    found = set()
    for folder in folders:
        found.add(folder)
        found |= {p.as_posix() for p in posix_path(folder).parents}
    return found - {"", ROOT}


def _order(folder: str) -> tuple[int, str]:
    return (0, "") if folder == ROOT else (1, folder)
