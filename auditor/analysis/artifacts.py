"""Model artifacts as first-class objects: recognised by name and magic bytes, never loaded.

``find_artifacts(project)`` lists every artifact of the repository: model files committed to git
(sniffed from the first bytes the engine reads), Git LFS pointer files, TensorFlow SavedModel and
MLflow model directories, and DVC-tracked outputs (``*.dvc`` files and ``dvc.lock`` outs), whose
history is their pointer's. ``dvc_outputs`` lists what DVC stages produce, and ``candidates``
resolves a path written in code the way the running program would (repository root or the file's
own directory).
"""

from __future__ import annotations

import json
import posixpath
import re
import struct
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from auditor.model.project import Project, RepoFile

HEADER_BYTES = 512
# A safetensors header is JSON of any length; metadata is read from it up to this size.
SAFETENSORS_MAX_HEADER = 1_000_000
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
_LEGACY_TORCH = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
_PICKLE = re.compile(rb"^\x80[\x02-\x05]")

# Formats that only ever hold models; the generic ones (pickle, HDF5, unknown .bin) need a hint.
MODEL_FORMATS = {
    "pytorch", "pytorch-legacy", "safetensors", "onnx", "keras", "keras-h5", "tflite", "gguf",
    "xgboost", "lightgbm", "catboost", "tf-savedmodel", "mlflow-model", "coreml", "torchserve",
    "pmml", "joblib", "checkpoint",
}
_MODEL_WORDS = re.compile(
    r"model|weights?|ckpt|checkpoint|clf|classifier|regressor|estimator|predictor|encoder|"
    r"vectori[sz]er|scaler|pipeline|booster|lin_reg|logreg|xgb|lgbm|bert|gpt|net\b|_net|resnet",
    re.I,
)
_EXTENSION_FORMATS = {
    ".pkl": "pickle", ".pickle": "pickle", ".sav": "pickle", ".dill": "pickle", ".joblib": "joblib",
    ".pt": "pytorch", ".pth": "pytorch", ".ckpt": "checkpoint", ".safetensors": "safetensors",
    ".onnx": "onnx", ".h5": "hdf5", ".hdf5": "hdf5", ".keras": "keras", ".pb": "tf-graph",
    ".tflite": "tflite", ".mlmodel": "coreml", ".cbm": "catboost", ".xgb": "xgboost",
    ".ubj": "xgboost", ".lgb": "lightgbm", ".model": "model-file", ".bin": "binary",
    ".gguf": "gguf", ".mar": "torchserve", ".pmml": "pmml", ".npz": "numpy",
}
# Where a path in code may point to a model artifact (what a loader's argument must look like).
MODEL_SUFFIXES = frozenset(_EXTENSION_FORMATS) - {".npz", ".pb"}
_TEST_WORDS = {"test", "tests", "testing", "fixture", "fixtures", "testdata"}
_TEST_DIRS = {"tests", "test", "testing", "fixtures", "testdata", "test_data", "examples_test"}


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

    @property
    def in_tests(self) -> bool:
        """Under a test or fixture directory ("tests", "test_data", "integration-test", ...)."""
        parts = PurePosixPath(self.path).parts[:-1]
        return any(part.lower() in _TEST_DIRS or _TEST_WORDS & set(re.split(r"[-_.]", part.lower()))
                   for part in parts)


def read_header(handle: BinaryIO, path: str) -> bytes:
    """The bytes the engine keeps of an artifact: 512, or a safetensors file's whole JSON header."""
    header = handle.read(HEADER_BYTES)
    if path.lower().endswith(".safetensors") and len(header) >= 8:
        (length,) = struct.unpack("<Q", header[:8])
        if HEADER_BYTES < 8 + length <= 8 + SAFETENSORS_MAX_HEADER:
            header += handle.read(8 + length - len(header))
    return header


def _zip_first_name(header: bytes) -> str:
    if len(header) < 30:
        return ""
    name_length = struct.unpack("<H", header[26:28])[0]
    return header[30:30 + name_length].decode("utf-8", errors="replace")


def _may_be_safetensors(header: bytes, suffix: str) -> bool:
    """An 8-byte little-endian header length, then the JSON header."""
    return len(header) > 9 and header[8:9] == b"{" and suffix in (".safetensors", "", ".bin")


# Magic bytes in the order they are tried: the first that matches names the format. Order
# matters: a safetensors header length may begin with the bytes of a pickle protocol marker.
_MAGIC = (
    (lambda header, suffix: header.startswith(_LEGACY_TORCH), "pytorch-legacy"),
    (lambda header, suffix: header.startswith(b"\x89HDF\r\n\x1a\n"), "hdf5"),
    (lambda header, suffix: header[4:8] == b"TFL3", "tflite"),
    (lambda header, suffix: header.startswith(b"GGUF"), "gguf"),
    (lambda header, suffix: header.startswith(b"CBM1"), "catboost"),
    (lambda header, suffix: header.startswith((b"binf", b'{"learner"')), "xgboost"),
    (lambda header, suffix: header.startswith(b"tree\nversion=v"), "lightgbm"),
    (_may_be_safetensors, "safetensors"),
    (lambda header, suffix: bool(_PICKLE.match(header)), "pickle"),
    (lambda header, suffix: suffix == ".onnx" and header[:1] == b"\x08", "onnx"),
)
# Generic containers that the extension names more precisely.
_SUFFIX_VARIANTS = {("hdf5", ".keras"): "keras-h5", ("pickle", ".joblib"): "joblib"}
_KERAS_ZIP_ENTRIES = ("metadata.json", "config.json", "model.weights.h5")


def sniff(header: bytes, name: str) -> tuple[str | None, dict[str, Any]]:
    """(format, metadata) from magic bytes, falling back on the extension; None if unknown."""
    suffix = PurePosixPath(name).suffix.lower()
    if header.startswith(LFS_POINTER):
        return _EXTENSION_FORMATS.get(suffix, "lfs-object"), _lfs_metadata(header)
    if header.startswith(b"PK\x03\x04"):
        first = _zip_first_name(header)
        return _zip_format(first, suffix), {"first_entry": first}
    for matches, fmt in _MAGIC:
        if not matches(header, suffix):
            continue
        if fmt == "safetensors":
            info = _safetensors_metadata(header)
            if info is None:  # not JSON after all: try the other formats
                continue
            return fmt, info
        return _SUFFIX_VARIANTS.get((fmt, suffix), fmt), {}
    return _EXTENSION_FORMATS.get(suffix), {}


def _lfs_metadata(header: bytes) -> dict[str, Any]:
    text = header.decode("utf-8", errors="replace")
    size = re.search(r"^size (\d+)", text, re.M)
    oid = re.search(r"^oid (\S+)", text, re.M)
    return {"lfs_size": int(size.group(1)) if size else None, "lfs_oid": oid.group(1) if oid else None}


def _zip_format(first: str, suffix: str) -> str:
    """The format of a zip archive from the name of its first entry."""
    if first.endswith(("data.pkl", "/version")) or "/data/" in first:
        return "pytorch"
    if first in _KERAS_ZIP_ENTRIES and suffix in (".keras", ""):
        return "keras"
    if first.endswith(".npy"):
        return "numpy"
    if suffix == ".mar" or first.startswith("MAR-INF"):
        return "torchserve"
    return _EXTENSION_FORMATS.get(suffix, "zip")


def _safetensors_metadata(header: bytes) -> dict[str, Any] | None:
    (length,) = struct.unpack("<Q", header[:8])
    body = header[8:8 + length]
    if len(body) < length:
        return {"header_truncated": True}
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict):
        return None
    tensors = {k: v for k, v in parsed.items() if k != "__metadata__" and isinstance(v, dict)}
    info: dict[str, Any] = {"tensors": len(tensors)}
    dtypes = sorted({str(v.get("dtype")) for v in tensors.values() if v.get("dtype")})
    if dtypes:
        info["dtypes"] = dtypes
    meta = parsed.get("__metadata__")
    if isinstance(meta, dict):
        info["metadata"] = {str(k): str(v)[:200] for k, v in list(meta.items())[:20]}
    return info


def looks_like_model(path: str, fmt: str | None) -> bool:
    if fmt in MODEL_FORMATS:
        return True
    if fmt == "numpy":
        return False
    p = PurePosixPath(path)
    return bool(_MODEL_WORDS.search(p.name)) or any(part.lower() in ("models", "model", "checkpoints", "weights")
                                                   for part in p.parts[:-1])


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
    return sorted(artifacts.values(), key=lambda a: a.path)


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
        fmt = _EXTENSION_FORMATS.get(PurePosixPath(out.path).suffix.lower())
        if fmt is None and not _MODEL_WORDS.search(PurePosixPath(out.path).name):
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
