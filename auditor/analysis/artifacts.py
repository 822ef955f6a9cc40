"""Model artifacts as first-class objects: recognised by name and magic bytes (auditor/ml/models.py),
never loaded.

``find_artifacts(project)`` lists every artifact of the repository: model files committed to git
(sniffed from the first bytes the engine reads), Git LFS pointer files, TensorFlow SavedModel and
MLflow model directories, and DVC-tracked outputs (``*.dvc`` files and ``dvc.lock`` outs), whose
history is their pointer's. ``dvc_outputs`` lists what DVC stages produce, and ``candidates``
resolves a path written in code the way the running program would (repository root or the file's
own directory).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.ml.models import EXTENSION_FORMATS, LFS_POINTER, MODEL_WORDS, looks_like_model, sniff
from auditor.ml.paths import folders_of_tests, in_test_folder
from auditor.pathnames import posix_path

if TYPE_CHECKING:
    from auditor.model.project import Project, RepoFile


@dataclass
class Artifact:
    path: str  # the artifact's repository path (a directory for SavedModel / MLflow models)
    format: str
    size: int | None
    tracked_by: str  # "git", "lfs" or "dvc"
    pointer: str  # the file whose history is the artifact's (itself, its .dvc file, dvc.lock)
    pointer_line: int | None = None
    is_dir: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    model: bool = True  # False for generic formats whose name does not say "model"
    in_tests: bool = False  # under a test or fixture folder (set by find_artifacts: ``folders_of_tests``)


def _norm(path: str) -> str | None:
    normal = posixpath.normpath(path.replace("\\", "/"))
    if normal.startswith("../") or normal == "..":
        return None
    return "" if normal == "." else normal


def candidates(raw: str, from_file: str) -> list[str]:
    """Repository paths a path written in ``from_file`` may mean: relative to the repository root
    (where scripts are usually run from) or to the file's own directory. ``@file/`` marks a path
    built from ``__file__``. Absolute paths, URIs and home-relative paths give nothing."""
    if not raw or "://" in raw or raw.startswith(("~", "/", "$")) or re.match(r"^[A-Za-z]:[\\/]", raw) or \
            re.match(r"^[a-z]+:/", raw):
        return []
    here = posixpath.dirname(from_file)
    if raw.startswith("@file"):
        rest = raw[len("@file"):].lstrip("/")
        found = _norm(posixpath.join(here, rest) if rest else here)
        return [found] if found is not None else []
    result = []
    for base in ("", here):
        found = _norm(posixpath.join(base, raw) if base else raw)
        if found is not None and found not in result:
            result.append(found)
    return result


@dataclass
class DvcOutput:
    path: str  # repository path of the output (file or directory)
    source: str  # dvc.yaml, dvc.lock or the .dvc file
    line: int | None
    stage: str | None
    deps: list[str] = field(default_factory=list)  # repository paths the stage depends on
    cmd: str = ""


def _out_paths(items: Any) -> list[str]:
    paths = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            paths.append(item)
        elif isinstance(item, dict):
            if isinstance(item.get("path"), str):
                paths.append(item["path"])
            else:
                paths.extend(k for k in item if isinstance(k, str))
    return [p for p in paths if "${" not in p]


def dvc_outputs(project: "Project") -> list[DvcOutput]:
    """Outputs declared by dvc.yaml stages, dvc.lock and ``*.dvc`` files (paths from the repo root)."""
    found: list[DvcOutput] = []
    for file in project.files.values():
        if not isinstance(file.data, dict):
            continue
        if file.name.lower() in ("dvc.yaml", "dvc.lock"):
            found.extend(_pipeline_outputs(file))
        elif file.suffix == ".dvc":
            found.extend(_tracked_outputs(file))
    return found


# `python [options] path.py args...` in a stage command; the arguments are fixed unless a shell
# variable fills them ($VAR; DVC's own ${params.key} interpolation is fixed by params.yaml).
_STAGE_SCRIPT = re.compile(r"\bpython[0-9.]*\s+(?:-[A-Za-z]\S*\s+)*(?P<script>[\w./-]+\.py)(?P<args>[^;&|\n]*)")
_SHELL_VARIABLE = re.compile(r"\$(?!\{)\w|\$\((?!\()|`")


def fixed_stage_scripts(project: "Project") -> dict[str, str]:
    """Scripts that a dvc.yaml stage runs with fixed arguments (repository path -> stage): the
    paths they are given are the pipeline's own, not a user's."""
    found: dict[str, str] = {}
    for file in project.files.values():
        if file.name.lower() != "dvc.yaml" or not isinstance(file.data, dict) or not isinstance(file.data.get("stages"), dict):
            continue
        base = posixpath.dirname(file.path)
        for name, stage in file.data["stages"].items():
            if not isinstance(stage, dict):
                continue
            wdir = stage.get("wdir") if isinstance(stage.get("wdir"), str) else "."
            commands = stage.get("cmd")
            for command in commands if isinstance(commands, list) else [commands]:
                if not isinstance(command, str):
                    continue
                for match in _STAGE_SCRIPT.finditer(command):
                    if _SHELL_VARIABLE.search(match.group("args")):
                        continue
                    script = _norm(posixpath.join(base, wdir, match.group("script")))
                    if script is not None:
                        found.setdefault(script, str(name))
    return found


def _pipeline_outputs(file: "RepoFile") -> list[DvcOutput]:
    """The outs of every stage of a dvc.yaml or dvc.lock."""
    stages = file.data.get("stages")
    if not isinstance(stages, dict):
        return []
    found: list[DvcOutput] = []
    for stage_name, stage in stages.items():
        if isinstance(stage, dict):
            found.extend(_stage_outputs(file, stage_name, stage))
    return found


def _stage_outputs(file: "RepoFile", stage_name: Any, stage: dict[str, Any]) -> list[DvcOutput]:
    base = posixpath.dirname(file.path)
    wdir = stage.get("wdir") if isinstance(stage.get("wdir"), str) else "."
    stage_base = _norm(posixpath.join(base, wdir)) if base or wdir != "." else ""
    if stage_base is None:  # a working directory outside the repository
        return []
    deps = [_norm(posixpath.join(stage_base, d)) for d in _out_paths(stage.get("deps"))]
    cmd = _stage_command(stage.get("cmd"))
    found = []
    for index, out in enumerate(_out_paths(stage.get("outs"))):
        path = _norm(posixpath.join(stage_base, out))
        if path is None:
            continue
        line = file.line_of("stages", stage_name, "outs", index) or file.line_of("stages", stage_name, "outs")
        found.append(DvcOutput(path.rstrip("/"), file.path, line, str(stage_name), [d for d in deps if d], cmd))
    return found


def _stage_command(cmd: Any) -> str:
    """A stage's ``cmd``: one string, or a list of commands joined."""
    if isinstance(cmd, list):
        return " ".join(c for c in cmd if isinstance(c, str))
    return str(cmd or "")


def _tracked_outputs(file: "RepoFile") -> list[DvcOutput]:
    """The outs of a ``*.dvc`` file: data or models DVC tracks outside git."""
    base = posixpath.dirname(file.path)
    found = []
    for index, out in enumerate(_out_paths(file.data.get("outs"))):
        path = _norm(posixpath.join(base, out))
        if path is not None:
            found.append(DvcOutput(path.rstrip("/"), file.path, file.line_of("outs", index), None))
    return found


def find_artifacts(project: "Project") -> list[Artifact]:
    artifacts, model_dirs = _committed_artifacts(project)
    _add_model_directories(project, artifacts, model_dirs)
    _add_dvc_outputs(project, artifacts)
    _add_absent(project, artifacts)
    folders = folders_of_tests(project.files)
    for artifact in artifacts.values():
        artifact.in_tests = in_test_folder(artifact.path, folders)
    return sorted(artifacts.values(), key=lambda a: a.path)


def _add_absent(project: "Project", artifacts: dict[str, Artifact]) -> None:
    """Model files git tracks that the work tree lacks (a partial clone, a sparse checkout): their
    content is unknown, so the extension alone says what they are, and git history their age."""
    for path in project.absent:
        fmt = EXTENSION_FORMATS.get(posix_path(path).suffix.lower())
        if fmt is not None and path not in artifacts and not any(path.startswith(d + "/") for d in artifacts):
            artifacts[path] = Artifact(path, fmt, None, "git", path, metadata={"content": "not in the work tree"},
                                       model=looks_like_model(path, fmt))


def _committed_artifacts(project: "Project") -> tuple[dict[str, Artifact], dict[str, tuple[str, str]]]:
    """Model files in the repository (committed or LFS pointers), and the directories that are
    models as a whole (directory -> (format, marker file))."""
    from auditor.model.project import ARTIFACT, DOC, OTHER

    artifacts: dict[str, Artifact] = {}
    model_dirs: dict[str, tuple[str, str]] = {}
    for file in project.files.values():
        extensionless = file.kind == OTHER and not file.suffix and bool(file.header)
        if file.kind == ARTIFACT or extensionless:
            if _note_model_directory(file, model_dirs):
                continue
            artifact = _sniffed_artifact(file, extensionless)
            if artifact is not None:
                artifacts[file.path] = artifact
        elif file.kind == DOC and file.suffix == ".txt" and (file.text or "").startswith("tree\nversion=v"):
            artifacts[file.path] = Artifact(file.path, "lightgbm", file.size, "git", file.path)
    return artifacts, model_dirs


def _note_model_directory(file: "RepoFile", model_dirs: dict[str, tuple[str, str]]) -> bool:
    """Record the directory of a SavedModel or MLflow model marker; True if the file is one."""
    if file.name.lower() == "saved_model.pb":
        model_dirs.setdefault(posixpath.dirname(file.path), ("tf-savedmodel", file.path))
        return True
    if file.name == "MLmodel":
        model_dirs[posixpath.dirname(file.path)] = ("mlflow-model", file.path)
        return True
    return False


def _sniffed_artifact(file: "RepoFile", extensionless: bool) -> Artifact | None:
    fmt, metadata = sniff(file.header, file.name)
    if fmt is None or (extensionless and fmt in ("binary", "zip", "pickle")):
        return None  # an extensionless file counts only with a model's own magic bytes
    lfs = file.header.startswith(LFS_POINTER)
    return Artifact(file.path, fmt, metadata.get("lfs_size") if lfs else file.size, "lfs" if lfs else "git",
                    file.path, metadata=metadata, model=looks_like_model(file.path, fmt))


def _add_model_directories(project: "Project", artifacts: dict[str, Artifact],
                           model_dirs: dict[str, tuple[str, str]]) -> None:
    for directory, (fmt, marker) in model_dirs.items():
        inside = [a for a in list(artifacts) if a.startswith(directory + "/")]
        for path in inside:  # weights inside a model directory are part of it
            del artifacts[path]
        size = sum(f.size for p, f in project.files.items() if p.startswith(directory + "/"))
        artifacts[directory] = Artifact(directory or ".", fmt, size, "git", marker, is_dir=True)


def _add_dvc_outputs(project: "Project", artifacts: dict[str, Artifact]) -> None:
    for out in dvc_outputs(project):
        if out.source.endswith("dvc.yaml") or out.path in artifacts:
            continue  # dvc.yaml says what a stage makes, not that a version of it is tracked
        if any(p.startswith(out.path + "/") for p in artifacts):
            continue
        fmt = EXTENSION_FORMATS.get(posix_path(out.path).suffix.lower())
        if fmt is None and not MODEL_WORDS.search(posix_path(out.path).name):
            continue  # a data directory or metrics file, not a model
        artifacts[out.path] = Artifact(out.path, fmt or "directory", None, "dvc", out.source, out.line,
                                       is_dir=fmt is None, metadata={"stage": out.stage} if out.stage else {},
                                       model=looks_like_model(out.path, fmt))


def last_change(project: "Project", artifact: Artifact) -> tuple[float | None, str]:
    """(unix time of the artifact's last change, "git" or "file mtime"). Directories take their
    newest file. Without git, file times are the only clock; inside git they are never used."""
    paths = [artifact.pointer]
    if artifact.is_dir and artifact.tracked_by == "git":
        paths = [p for p in project.files if p.startswith(artifact.path.rstrip("/") + "/")] or paths
    if project.git.available:
        times = [t for t in (project.git.last_commit_time(p) for p in paths) if t is not None]
        return (max(times) if times else None), "git"
    mtimes = [f.mtime for f in (project.files.get(p) for p in paths) if f is not None and f.mtime]
    return (max(mtimes) if mtimes else None), "file mtime"


def path_time(project: "Project", path: str) -> float | None:
    """Last change of a source file by the same clock as ``last_change``."""
    if project.git.available:
        return project.git.last_commit_time(path)
    file = project.files.get(path)
    return file.mtime if file is not None else None
