"""Unpinned dependencies: environments that change under the code between two runs.

Application environments (requirements files, Pipfile, conda environment files, ``pip install``
in Dockerfiles) should pin every dependency exactly or be covered by a lock or constraints file;
a package's own metadata (pyproject, setup.cfg, setup.py) declares ranges by design and is only
reported, once, when no lock file pins what it resolves to.
"""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath
from typing import Any, Iterable

from auditor.ml.paths import is_test_path
from auditor.ml.requirements import (
    BARE,
    PINNED,
    RANGE,
    VCS,
    Requirement,
    docker_base_images,
    docker_pip_installs,
    environment_requirements,
    is_compiled,
    locked_names,
    parse_requirement,
    parse_requirements_text,
    pipfile_requirements,
    pyproject_requirements,
    setup_cfg_requirements,
)
from auditor.ml.versions import locked_versions, pinned_text
from auditor.model.project import DOCKERFILE, LOCK, REQUIREMENTS
from auditor.pathnames import posix_path
from auditor.rule import Extractor, FileRule, Fix, Invalid, ProjectRule, Valid

_DEV_WORDS = {"dev", "develop", "test", "tests", "testing", "doc", "docs", "lint", "linting", "style", "ci",
              "typing", "mypy", "format", "pre-commit"}
_ENVIRONMENT_FILE = re.compile(r"^(environment|conda|env)([-_.][\w.-]*)?\.ya?ml$", re.I)
_CONDA_LOCK = re.compile(r"(^conda-lock\.ya?ml$|\.conda-lock\.ya?ml$|^conda-[\w-]+\.lock$|-lock\.ya?ml$)", re.I)


def _parent(path: str) -> str:
    return str(posix_path(path).parent)


def _ancestors(path: str) -> list[str]:
    parent = posix_path(path).parent
    return [str(p) for p in [parent, *parent.parents]]


def _is_dev(path: str) -> bool:
    p = posix_path(path)
    words = set(re.split(r"[-_.]", p.stem.lower())) | {part.lower() for part in p.parts[:-1]}
    return bool(words & _DEV_WORDS)


def _describe(req: Requirement) -> str:
    if req.state == BARE:
        return f"{req.text} has no version: every build installs whatever is newest"
    if req.state == RANGE:
        return f"{req.text} allows a range of versions ({req.detail}): builds drift as new releases appear"
    if req.state == VCS:
        ref = f" at moving ref {req.detail!r}" if req.detail else " without a commit"
        return f"{req.text} installs from version control{ref}: the code installed changes with the branch"
    return req.text


def _resolve(base: str, target: str) -> str:
    parts: list[str] = []
    for part in PurePosixPath(base, target).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


_Parsed = dict[str, tuple[list[Requirement], list]]  # requirements file -> (requirements, includes)


def _requirements_files(project) -> tuple[_Parsed, set[str]]:
    """Every requirements file and the files its ``-r`` / ``-c`` lines include, parsed; and the
    files included as constraints."""
    files = project.files
    parsed: _Parsed = {}
    pending = [f.path for f in project.of_kind(REQUIREMENTS) if f.name.lower() != "pipfile"]
    constraint_files: set[str] = set()
    while pending:
        path = pending.pop()
        if path in parsed or path not in files or files[path].text is None:
            continue
        parsed[path] = parse_requirements_text(files[path].text or "")
        for include in parsed[path][1]:
            target = _resolve(_parent(path), include.target)
            if include.kind == "constraint":
                constraint_files.add(target)
            pending.append(target)
    return parsed, constraint_files


def _pinned_by_locks(project, parsed: _Parsed) -> dict[str, set[str]]:
    """Requirements file -> names pinned for it by its constraints files or its pip-compile output."""
    pinned_by: dict[str, set[str]] = {}
    for path, (_, includes) in parsed.items():
        names: set[str] = set()
        for include in includes:
            target = _resolve(_parent(path), include.target)
            if include.kind == "constraint" and target in parsed:
                names |= _pinned_names(parsed[target][0])
        compiled = re.sub(r"\.in$", ".txt", path)
        if path.endswith(".in") and compiled in parsed and is_compiled(project.files[compiled].text or ""):
            names |= _pinned_names(parsed[compiled][0])
        pinned_by[path] = names
    return pinned_by


def _lock_versions(project) -> dict[str, dict[str, str]]:
    """Lock file path -> {package: the version it resolves}, for every lock in the repository."""
    locks = {}
    for f in project.files.values():
        if f.kind == LOCK or _CONDA_LOCK.search(f.name):
            versions = locked_versions(f.name, f.data)
            if versions:
                locks[f.path] = versions
    return locks


def _nearest_lock(locks: dict[str, dict[str, str]], path: str, package: str) -> tuple[str, str] | None:
    """(version, lock) from the lock nearest to ``path`` that resolves ``package``: in its folder or
    a folder above, the project it belongs to. A lock beside it in another project of a monorepo
    pins another environment."""
    folders = _ancestors(path)
    for lock in sorted((lock for lock in locks if _parent(lock) in folders), key=lambda lock: folders.index(_parent(lock))):
        if package in locks[lock]:
            return locks[lock][package], lock
    return None


def _pinned_names(requirements: list[Requirement]) -> set[str]:
    return {r.name for r in requirements if r.state == PINNED}


def _manifests(project) -> list[tuple[str, list[Requirement]]]:
    """(path, requirements) of each package metadata file: pyproject.toml, setup.cfg, setup.py."""
    manifests: list[tuple[str, list[Requirement]]] = []
    for f in project.files.values():
        if f.text is None:
            continue
        if f.name == "pyproject.toml":
            manifests.append((f.path, pyproject_requirements(f.data, f.text)))
        elif f.name == "setup.cfg":
            manifests.append((f.path, setup_cfg_requirements(f.text)))
    for path, found in project.fact("setup_requires").items():
        if found:
            reqs = [parse_requirement(text, line) for text, line in found]
            manifests.append((path, [r for r in reqs if r is not None]))
    return sorted(manifests, key=lambda m: m[0])


class SetupRequires(Extractor):
    """``install_requires`` and ``extras_require`` of a setup.py, read from its syntax tree."""

    name = "setup_requires"

    def extract(self, module) -> list[list[Any]] | None:
        if posix_path(module.path).name != "setup.py":
            return None
        lists: dict[str, ast.AST] = {}
        for node in module.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                lists[node.targets[0].id] = node.value
        found: list[list[Any]] = []

        def strings(value: ast.AST | None, depth: int = 0) -> None:
            if isinstance(value, ast.Name) and depth < 2:
                strings(lists.get(value.id), depth + 1)
            elif isinstance(value, (ast.List, ast.Tuple)):
                for element in value.elts:
                    if isinstance(element, ast.Constant) and isinstance(element.value, str):
                        found.append([element.value, element.lineno])
            elif isinstance(value, ast.Dict):
                for element in value.values:
                    strings(element, depth)
            elif isinstance(value, ast.BinOp):
                strings(value.left, depth)
                strings(value.right, depth)

        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call):
                name = module.qualified_name(node.func) or module.dotted_name(node.func) or ""
                if name.split(".")[-1] == "setup":
                    for kw in node.keywords:
                        if kw.arg in ("install_requires", "extras_require"):
                            strings(kw.value)
        return found


class UnpinnedRequirement(ProjectRule):
    """A dependency of an application environment with no exact pin and no lock covering it.

    Reads requirements files (following ``-r`` includes; ``-c`` constraints and pip-compile
    output count as locks), Pipfile (covered by Pipfile.lock), conda environment files (covered
    by conda-lock) and ``pip install`` lines in Dockerfiles. A bare name, a version range and a
    VCS URL without a commit are reported; ``==`` pins, commits, wheels and local paths are not.
    Development, test and documentation environments are reported at low severity. pip, setuptools
    wheel and installers (pipenv, poetry, uv) installed in a Dockerfile are left alone: the
    environment they build is judged from its own lock.
    """

    id = "ML210"
    name = "unpinned-requirement"
    category = "unpinned-dependency"
    severity = "medium"
    confidence = "high"
    rationale = ("An unpinned dependency resolves to a different version on every fresh build: the model "
                 "retrained next month, or the serving image rebuilt during an incident, silently runs other "
                 "code than the one that was validated, and a rollback does not bring the old behaviour back.")
    remediation = ("Pin exact versions (pkg==1.2.3, VCS URLs at a commit), or keep loose ranges in a .in file and "
                   "commit its pip-compile / uv lock output, or a constraints file (-c) used by every install.")
    examples = (
        Valid({"requirements.txt": "# pinned\nnumpy==1.26.4\npandas==2.2.1 ; python_version >= '3.9'\n"
                                   "torch==2.2.0 \\\n    --hash=sha256:abc\n"
                                   "feature-utils @ git+https://github.com/acme/fu.git@3f2a9c1d\n-e .\n"}),
        Invalid({"requirements.txt": "# Training environment\npandas\nscikit-learn>=1.2  # range\nnumpy==1.26.4\n"
                                     "mlflow>=2.9,<3\ngit+https://github.com/acme/feature-utils.git\n"
                                     "torch[cuda] ; sys_platform == 'linux'\n"},
                expect=[("requirements.txt", 2), ("requirements.txt", 3), ("requirements.txt", 5),
                        ("requirements.txt", 6), ("requirements.txt", 7)]),
        Valid({"requirements.txt": "-c constraints.txt\npandas\nscikit-learn>=1.2\n",
               "constraints.txt": "pandas==2.2.1\nscikit-learn==1.4.1\n"},
              note="a constraints file pins what the requirements leave open"),
        Valid({"requirements.in": "pandas\nscikit-learn>=1.2\n",
               "requirements.txt": "# This file is autogenerated by pip-compile\npandas==2.2.1\n    # via -r requirements.in\n"
                                   "scikit-learn==1.4.1\n    # via -r requirements.in\n"},
              note="pip-compile output locks its .in file"),
        Invalid({"requirements.txt": "-r base.txt\nfastapi==0.110.0\n", "base.txt": "numpy==1.26.4\npandas\n"},
                expect=[("base.txt", 2)], note="-r includes are followed, even to files not named requirements"),
        Invalid({"requirements-dev.txt": b"\xff\xfep\x00y\x00t\x00e\x00s\x00t\x00\n\x00"},
                expect=[("requirements-dev.txt", 1)], note="UTF-16 with a byte-order mark, a dev file"),
        Invalid({"Pipfile": '[packages]\nrequests = "*"\nnumpy = "==1.26.4"\n\n[dev-packages]\npytest = ">=8"\n'},
                expect=[("Pipfile", 2), ("Pipfile", 6)]),
        Valid({"Pipfile": '[packages]\nrequests = "*"\n', "Pipfile.lock": '{"default": {"requests": {"version": "==2.31.0"}}}'}),
        Invalid({"environment.yml": "name: train\ndependencies:\n  - python=3.11\n  - numpy=1.26.4\n  - pandas\n"
                                    "  - scikit-learn>=1.2\n  - pip\n  - pip:\n    - mlflow==2.9.2\n    - optuna\n"},
                expect=[("environment.yml", 5), ("environment.yml", 6), ("environment.yml", 10)]),
        Invalid({"conda_dependencies.yml": "dependencies:\n  - python=3.7.*\n  - pip:\n    - azureml-sdk==1.27.*\n"},
                expect=[("conda_dependencies.yml", 4)], note="a python minor version is the usual pin; ==1.27.* is a range"),
        Valid({"environment.yml": "dependencies:\n  - pandas\n", "conda-lock.yml": "package:\n  - name: pandas\n"}),
        Invalid({"Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt \\\n"
                               "    && pip install --no-cache-dir prometheus-client\nRUN pip install -U pip setuptools\n"
                               "RUN python -m pip install uvicorn==0.29.0\nRUN pip install pipenv && pipenv install --system --deploy\n"},
                expect=[("Dockerfile", 3)]),
    )

    fix = Fix("safe", "pin the requirement to the version the repository's lock file resolves")

    @classmethod
    def fix_for(cls, finding):
        locked = finding.evidence.get("locked")
        if not locked or finding.evidence.get("state") not in ("bare", "range") or \
                pinned_text(str(finding.evidence.get("requirement", "")), locked["version"]) is None:
            return None  # nothing locked, or the lock's version is outside the range written
        return {"applicability": "safe", "description": f"pin {finding.evidence.get('package')}=="
                f"{locked['version']}, the version {locked['lock']} resolves"}

    def check(self, project):
        self._locks = _lock_versions(project)
        parsed, constraint_files = _requirements_files(project)
        pinned_by = _pinned_by_locks(project, parsed)
        for path, (requirements, _) in sorted(parsed.items()):
            name = posix_path(path).name.lower()
            if path in constraint_files or name.startswith("constraints"):
                continue  # a constraints file pins what others leave open; its own lines are not requirements
            for req in requirements:
                if not req.pinned and req.name not in pinned_by.get(path, set()):
                    yield self._report(path, req, low=_is_dev(path))
        yield from self._pipfiles(project)
        yield from self._environments(project)
        yield from self._dockerfiles(project)

    def _dockerfiles(self, project) -> Iterable:
        for f in project.of_kind(DOCKERFILE):
            for req, constrained in docker_pip_installs(f.text or ""):
                if not req.pinned and not constrained:
                    yield self._report(f.path, req, low=False, where="pip install in the image")

    def _report(self, path: str, req: Requirement, *, low: bool, where: str = ""):
        evidence = {"file": path, "line": req.line, "requirement": req.text, "state": req.state, "package": req.name}
        locked = _nearest_lock(self._locks, path, req.name)
        if locked:
            evidence["locked"] = {"version": locked[0], "lock": locked[1]}
        return self.finding(path, req.line, _describe(req) + (f" ({where})" if where else ""),
                            severity="low" if low else None, anchor=req.text, evidence=evidence)

    def _pipfiles(self, project) -> Iterable:
        for f in project.files.values():
            if f.name.lower() != "pipfile" or f.text is None:
                continue
            lock = project.files.get(str(PurePosixPath(_parent(f.path), "Pipfile.lock")).lstrip("./") or "Pipfile.lock")
            locked = locked_names("pipfile.lock", lock.data, lock.text or "") if lock else set()
            for req, dev in pipfile_requirements(f.data, f.text):
                if not req.pinned and req.name not in locked:
                    yield self._report(f.path, req, low=dev)

    def _environments(self, project) -> Iterable:
        for f in project.files.values():
            if not _ENVIRONMENT_FILE.match(f.name) or f.text is None or _CONDA_LOCK.search(f.name):
                continue
            data = f.data if isinstance(f.data, dict) else None
            if data is None or "dependencies" not in data:
                continue
            locked: set[str] = set()
            for other in project.files.values():
                if _CONDA_LOCK.search(other.name) and _parent(other.path) == _parent(f.path):
                    locked |= locked_names(other.name, other.data, other.text or "")
            for req in environment_requirements(data, f.text):
                if not req.pinned and req.name not in locked:
                    yield self._report(f.path, req, low=_is_dev(f.path))


class UnlockedPackageRanges(ProjectRule):
    """Package metadata (pyproject, setup.cfg, setup.py) with version ranges and no lock file.

    Ranges are how a library declares what it supports, so they are not reported one by one; but
    with no lock file (poetry.lock, uv.lock, pdm.lock) next to the project, nothing records the
    versions it was tested with. Reported once per file, at low severity.
    """

    id = "ML211"
    name = "unlocked-package-ranges"
    category = "unpinned-dependency"
    severity = "low"
    confidence = "medium"
    rationale = ("Without a lock, an install of the project resolves to the newest versions its ranges allow; "
                 "a training or serving environment built from it is not the one that was tested.")
    remediation = ("Commit a lock file (poetry lock, uv lock, pdm lock) or pip-compile the ranges into a pinned "
                   "requirements file that deployments install from.")
    examples = (
        Invalid({"pyproject.toml": '[project]\nname = "churn"\ndependencies = [\n    "pandas>=2",\n'
                                   '    "numpy==1.26.4",\n    "scikit-learn",\n]\n'},
                expect=[("pyproject.toml", 4)]),
        Valid({"pyproject.toml": '[project]\nname = "churn"\ndependencies = ["pandas>=2"]\n',
               "uv.lock": 'version = 1\n[[package]]\nname = "pandas"\nversion = "2.2.1"\n'}),
        Invalid({"pyproject.toml": '[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "^3.10"\n'
                                   'torch = "2.2.0"\npandas = "^2.1"\n'},
                expect=[("pyproject.toml", 7)], note="Poetry: a bare version is exact, ^ is a range"),
        Invalid({"setup.py": "from setuptools import setup\n\nREQS = ['numpy==1.26.4', 'torch>=2']\n"
                             "setup(name='x', install_requires=REQS)\n"},
                expect=[("setup.py", 3)]),
        Invalid({"setup.cfg": "[metadata]\nname = x\n\n[options]\ninstall_requires =\n    numpy==1.26.4\n    pandas\n"},
                expect=[("setup.cfg", 7)]),
        Valid({"pyproject.toml": '[project]\nname = "x"\nversion = "1"\n'}, note="no dependencies"),
    )

    def check(self, project):
        locks = {_parent(f.path) for f in project.of_kind(LOCK) if f.name.lower() in ("poetry.lock", "uv.lock", "pdm.lock")}
        for path, reqs in _manifests(project):
            if any(directory in locks for directory in _ancestors(path)):
                continue
            loose = [r for r in reqs if not r.pinned]
            if loose:
                yield self._unlocked(path, reqs, loose)

    def _unlocked(self, path: str, reqs: list[Requirement], loose: list[Requirement]):
        first = min(loose, key=lambda r: r.line)
        names = ", ".join(r.name or r.text for r in loose[:5]) + (", ..." if len(loose) > 5 else "")
        return self.finding(path, first.line,
                            f"{len(loose)} of {len(reqs)} dependencies are ranges or unversioned and no lock "
                            f"file pins them ({names})",
                            anchor=f"unlocked {path}",
                            evidence={"file": path, "unpinned": [r.text for r in loose[:30]],
                                      "count": len(loose), "lines": [r.line for r in loose[:30]]})


# Files that declare a project's packages (lower-case names), besides requirements files and locks.
_DEPENDENCY_FILES = {"pyproject.toml", "setup.py", "setup.cfg", "pipfile", "environment.yml", "environment.yaml",
                     "conda.yml", "conda.yaml", "conda-environment.yml", "meta.yaml"}


def _declares_dependencies(file) -> bool:
    """A file that declares packages; a Dockerfile always does: its base image (``FROM
    tensorflow/tfx:1.14``) is the environment, whether or not it installs more."""
    name = posix_path(file.path).name.lower()
    return file.kind in (REQUIREMENTS, LOCK, DOCKERFILE) or name in _DEPENDENCY_FILES


class NoDependencyFile(ProjectRule):
    """Python code that imports third-party packages, and no file that declares them.

    No `requirements*.txt`, `pyproject.toml`, `setup.py`/`setup.cfg`, `Pipfile`, `environment.yml`,
    lock file or Dockerfile (its base image is the environment), in the project's folder or above it: nobody can
    rebuild the environment the code ran in. Judged per unit of a monorepo (a lab with its own
    requirements is covered; one without is not). Reported once per unit, at the first import of a
    third-party package, with the packages it would need. Tests are left out.
    """

    id = "ML213"
    name = "no-dependency-file"
    category = "unpinned-dependency"
    severity = "medium"
    confidence = "high"
    rationale = ("Without a dependency file the environment exists only on the author's machine: the next "
                 "person installs whatever versions are newest, if they can even guess the package names.")
    remediation = ("Add a requirements.txt (pinned, e.g. with pip-compile) or a pyproject.toml with a lock file "
                   "listing the packages the code imports.")
    examples = (
        Invalid({"train.py": "import numpy as np\nimport pandas as pd\nimport os\n"}, expect=[("train.py", 1)]),
        Valid({"train.py": "import numpy as np\n", "requirements.txt": "numpy==1.26.4\n"}),
        Valid({"lab/train.py": "import sklearn\n", "pyproject.toml": "[project]\nname = 'x'\n"},
              note="a dependency file above the code covers it"),
        Valid({"tool.py": "import os\nimport json\nfrom helpers import run\n", "helpers.py": "def run():\n    pass\n"},
              note="the standard library and the project's own modules need no dependency file"),
        Valid({"app/main.py": "import fastapi\n", "app/Dockerfile": "FROM python:3.11\nRUN pip install fastapi==0.110.0\n",
               "pipeline/run.py": "import tfx\n", "pipeline/Dockerfile": "FROM tensorflow/tfx:1.14.0\nCOPY . .\n"},
              note="a Dockerfile installs the packages, or its base image holds them"),
        Invalid({"labs/a/requirements.txt": "numpy==1.26.4\n", "labs/a/run.py": "import numpy\n",
                 "labs/b/pyproject.toml": "[project]\nname = 'b'\n", "labs/b/run.py": "import torch\n",
                 "scripts/plot.py": "import matplotlib.pyplot as plt\n"},
                expect=[("scripts/plot.py", 1)], note="per unit: the root's own code has no dependency file"),
    )

    def check(self, project):
        import sys

        declared = {posix_path(path).parent.as_posix() for path, file in project.files.items()
                    if _declares_dependencies(file)}
        own = {part[:-3] if part.endswith(".py") else part for path in project.files for part in path.split("/")}
        stdlib = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names) | {"__future__"}
        needed: dict[str, list[tuple[str, int, str]]] = {}  # unit -> (path, line, package) in file order
        for path, facts in project.fact("symbols").items():
            if is_test_path(path) or not isinstance(facts, dict):
                continue
            for _local, target, line in facts.get("imports", ()):
                top = target.split(".")[0]
                if top and top not in stdlib and top not in own and not top.startswith("_"):
                    needed.setdefault(project.units.of(path), []).append((path, line, top))
        for unit, uses in needed.items():
            if self._covered(unit, uses, declared):
                continue
            packages = sorted({package for _, _, package in uses})
            path, line, _ = min(uses)
            shown = ", ".join(packages[:8]) + (f" and {len(packages) - 8} more" if len(packages) > 8 else "")
            where = "this repository" if unit == "." else f"the project {unit}"
            yield self.finding(path, line, f"no dependency file in {where} declares the packages its code imports "
                                           f"({shown})", anchor=f"no dependency file {unit}",
                               evidence={"unit": unit, "packages": packages})

    @staticmethod
    def _covered(unit: str, uses: list[tuple[str, int, str]], declared: set[str]) -> bool:
        """A dependency file in the unit's folder, above it, or in the folder (or above) of the code."""
        folders = {unit} | {posix_path(path).parent.as_posix() for path, _, _ in uses}
        for folder in folders:
            current = PurePosixPath(folder)
            for candidate in [current, *current.parents]:
                if candidate.as_posix() in declared:
                    return True
        return False


class UnpinnedBaseImage(FileRule):
    """A Dockerfile ``FROM`` with no tag or with ``:latest``: the base image changes under the build.

    A tag (``python:3.11-slim``) or a digest (``@sha256:...``) is accepted; build-stage aliases,
    ``scratch`` and images given by an undefined build argument are not reported.
    """

    id = "ML212"
    name = "unpinned-base-image"
    category = "unpinned-dependency"
    severity = "medium"
    confidence = "high"
    kinds = frozenset({DOCKERFILE})
    rationale = ("`latest` moves: a rebuild during an incident pulls a different OS, Python and system "
                 "libraries than the image that was tested, and the old image cannot be rebuilt.")
    remediation = "Use an explicit tag (python:3.11.9-slim) or, better, a digest (python@sha256:...)."
    examples = (
        Valid({"Dockerfile": "ARG BASE=python:3.11-slim\nFROM ${BASE} AS build\nFROM build\n"
                             "FROM python@sha256:0123abcd\nFROM scratch\n"}),
        Invalid({"Dockerfile": "FROM python:latest\nRUN echo hi\nFROM --platform=linux/amd64 nvidia/cuda AS gpu\n"},
                expect=[("Dockerfile", 1), ("Dockerfile", 3)]),
    )

    def check(self, file, project):
        for image in docker_base_images(file.text or ""):
            if image.state == PINNED:
                continue
            what = "the :latest tag" if image.state == "latest" else "no tag or digest"
            yield self.finding(file.path, image.line, f"base image {image.image} has {what}: rebuilds pull whatever "
                               "it points to that day", anchor=f"FROM {image.image}",
                               evidence={"file": file.path, "line": image.line, "image": image.image})
