"""Model files and the calls that write and read them: what mlaudit knows about model artifacts.

Three kinds of knowledge, each in one table: the file formats (extensions, and the magic bytes that
name a format without trusting the extension; ``sniff`` never loads a file), the calls that save and
load a model (with the position of their path argument), and the words that make a generic file
(a pickle, an HDF5 file, a ``.bin``) a model. The analysis of a repository's artifacts
(auditor/analysis/artifacts.py, artifact_io.py), the usage facts of readiness and the rules read them
from here.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any, BinaryIO

from auditor.pathnames import posix_path

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
MODEL_WORDS = re.compile(
    r"model|weights?|ckpt|checkpoint|clf|classifier|regressor|estimator|predictor|encoder|"
    r"vectori[sz]er|scaler|pipeline|booster|lin_reg|logreg|xgb|lgbm|bert|gpt|net\b|_net|resnet",
    re.I,
)
EXTENSION_FORMATS = {
    ".pkl": "pickle", ".pickle": "pickle", ".sav": "pickle", ".dill": "pickle", ".joblib": "joblib",
    ".pt": "pytorch", ".pth": "pytorch", ".ckpt": "checkpoint", ".safetensors": "safetensors",
    ".onnx": "onnx", ".h5": "hdf5", ".hdf5": "hdf5", ".keras": "keras", ".pb": "tf-graph",
    ".tflite": "tflite", ".mlmodel": "coreml", ".cbm": "catboost", ".xgb": "xgboost",
    ".ubj": "xgboost", ".lgb": "lightgbm", ".model": "model-file", ".bin": "binary",
    ".gguf": "gguf", ".mar": "torchserve", ".pmml": "pmml", ".npz": "numpy",
}
# Where a path in code may point to a model artifact (what a loader's argument must look like).
MODEL_SUFFIXES = frozenset(EXTENSION_FORMATS) - {".npz", ".pb"}


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
    suffix = posix_path(name).suffix.lower()
    if header.startswith(LFS_POINTER):
        return EXTENSION_FORMATS.get(suffix, "lfs-object"), _lfs_metadata(header)
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
    return EXTENSION_FORMATS.get(suffix), {}


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
    return EXTENSION_FORMATS.get(suffix, "zip")


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


# Words of a pickle's name that say it holds something else than a model, even in a models/ folder
# (``model/pickle/bias_detection_results.pkl``), unless the name also has a model word.
NOT_MODEL_WORDS = re.compile(r"results?|metrics?|report|stats|statistics|history|scores|predictions|"
                             r"embeddings|cache|dataset|data|features|schema|baseline", re.I)


# Names of objects a "model save" writes that are not models: a tokenizer or processor saved beside
# the model, a data frame or arrays pickled for later (`pickle.dump(df, f)`).
NOT_MODEL_OBJECTS = re.compile(r"tokeni[sz]er|processor|feature_extractor|^dfs?\d*$|^data(set|frame)?s?\d*$|^X_|"
                               r"^(x|y)_(train|test|val)|^features?$", re.I)


def names_something_else(path: str) -> bool:
    """The file's name says it holds results, metrics, data or another non-model object
    (``bias_results.pkl``), and no model word says otherwise."""
    p = posix_path(path)
    return bool(NOT_MODEL_WORDS.search(p.stem)) and not MODEL_WORDS.search(p.name)


def looks_like_model(path: str, fmt: str | None) -> bool:
    if fmt in MODEL_FORMATS:
        return True
    if fmt == "numpy":
        return False
    p = posix_path(path)
    if MODEL_WORDS.search(p.name):
        return True
    if NOT_MODEL_WORDS.search(p.stem):
        return False
    return any(part.lower() in ("models", "model", "checkpoints", "weights") for part in p.parts[:-1])


# Calls that write a model object to a path: qualified name -> position of the path argument.
MODEL_SAVE_CALLS: dict[str, int] = {
    "pickle.dump": 1, "cloudpickle.dump": 1, "dill.dump": 1, "joblib.dump": 1, "sklearn.externals.joblib.dump": 1,
    "torch.save": 1, "torch.jit.save": 1, "torch.onnx.export": 2, "onnx.save": 1, "onnx.save_model": 1,
    "tensorflow.saved_model.save": 1, "tensorflow.keras.models.save_model": 1, "keras.models.save_model": 1,
    "keras.saving.save_model": 1, "safetensors.torch.save_file": 1, "safetensors.numpy.save_file": 1,
    "skops.io.dump": 1,
    # Checkpoint callbacks write the model file during fit.
    "tensorflow.keras.callbacks.ModelCheckpoint": 0, "keras.callbacks.ModelCheckpoint": 0,
}
# Calls that read a model from a path: qualified name -> position of the path argument (None: the
# path is passed by keyword only, e.g. ``xgboost.Booster(model_file=...)``).
MODEL_LOAD_CALLS: dict[str, int | None] = {
    "pickle.load": 0, "cloudpickle.load": 0, "dill.load": 0, "joblib.load": 0, "torch.load": 0,
    "torch.jit.load": 0, "onnx.load": 0, "onnx.load_model": 0, "onnxruntime.InferenceSession": 0,
    "tensorflow.keras.models.load_model": 0, "keras.models.load_model": 0, "keras.saving.load_model": 0,
    "tensorflow.saved_model.load": 0, "safetensors.torch.load_file": 0, "safetensors.safe_open": 0,
    "skops.io.load": 0, "xgboost.Booster": None, "lightgbm.Booster": None, "tensorflow.lite.Interpreter": 0,
    "catboost.CatBoost": None,
}
# Methods that save or load a model whatever object they are called on (the path is the first argument).
MODEL_SAVE_METHODS = frozenset({"save_model", "save_pretrained", "save_weights"})
MODEL_LOAD_METHODS = frozenset({"load_model", "from_pretrained", "load_weights"})
# Methods that save or load a model only on a model: `.save` is also an image's or a data frame's,
# `.load` a JSON module's. A caller decides from the receiver or the path (see ``MODEL_PATH_WORD``).
GENERIC_SAVE_METHODS = frozenset({"save", "save_checkpoint", "dump", "export", "export_model", "save_to_disk",
                                  "to_onnx"})
GENERIC_LOAD_METHODS = frozenset({"load", "load_from_checkpoint", "InferenceSession", "Booster", "Interpreter"})
# Calls that train a model in place (``model.fit(X, y)``) or return one (``xgboost.train(...)``).
FIT_METHODS = frozenset({"fit", "partial_fit", "fit_generator", "train", "train_model"})
TREE_TRAINERS = frozenset({"xgboost.train", "lightgbm.train", "catboost.train"})
# A path literal that names a model file (or a JSON file saved next to one, or "model" anywhere).
MODEL_PATH_WORD = re.compile(
    r"\.(" + "|".join(sorted(s[1:] for s in (EXTENSION_FORMATS.keys() | {".json"}) - {".npz"})) + r")$|model", re.I)


# -- how model files are fetched at run time -------------------------------------------------------
# A command line that downloads or copies a file in: a course notebook's ``!wget URL``, a README's
# ``gsutil cp gs://bucket/model.h5 .``. The names it brings in are provided, not missing.
_DOWNLOAD_COMMAND = re.compile(r"(?:^|[\s!`$(;&|])(wget|curl|gsutil|gdown|aws\s+s3|gcloud\s+storage|azcopy|kaggle|"
                               r"huggingface-cli\s+download|hf\s+download|dvc\s+get|dvc\s+pull|COPY|ADD)\b")
_URL = re.compile(r"\b(?:https?|gs|s3|ftp)://[^\s'\"<>)\]]+")


def downloaded_names(line: str, links_too: bool = False) -> set[str]:
    """File names a download or copy command on this line brings in: the last part of each URL and
    every file-like argument after the command. Empty when the line runs no such command, unless
    ``links_too`` (documentation: a link to the file says where to get it)."""
    names = {url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] for url in _URL.findall(line)}
    match = _DOWNLOAD_COMMAND.search(line)
    if match is None:
        return {name for name in names if "." in name} if links_too else set()
    for token in re.split(r"[\s\[\],\"']+", line[match.end():]):
        base = token.rstrip("/").rsplit("/", 1)[-1]
        if "." in base and not base.startswith("-"):
            names.add(base)
    return {name for name in names if name.strip(".")}


def is_local_model_path(name: str) -> bool:
    """A ``from_pretrained`` argument that names a folder of the repository, not a Hub id: a path
    that starts with ``./`` or ``../`` (or is relative to the module), or has three or more parts
    (``models/judges/x``). A Hub id is one or two parts (``bert-base-uncased``, ``org/name``,
    optionally ``@revision``); an absolute path or a URL is outside the repository either way."""
    if "://" in name or name.startswith("/"):
        return False
    if name.startswith(("./", "../", "@file/")):
        return True
    return len([part for part in name.split("/") if part]) >= 3
