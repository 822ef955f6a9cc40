"""Versions of a model, a data set or a schema as people write them in comments (``# uses model v3``,
``# trained on the 2024-03 snapshot``, ``# schema version 2``), and the versions code or config beside
such a comment names (``churn_v4.pkl``, ``model_version: 4``, ``data/2024-05/``).

Strict on purpose: only a version word next to a kind word counts (``model v3``, ``the v3 model``,
``snapshot 2024-03``), and a comment that speaks of software (an API, Python, a library, a file format)
is never a model's version: ``# TF v2 API``, ``# Python 3.10``, ``# requires torch 2.1 (model code)``; nor
is a comment that tells history (``# tried for the v1 model; nothing reads it any more``).
"""

from __future__ import annotations

import re

# The words that say what is versioned, by kind (lower case, whole words).
VERSIONED_KINDS = {
    "model": ("model", "models", "checkpoint", "checkpoints", "weights", "classifier", "regressor", "estimator"),
    "data": ("data", "dataset", "datasets", "snapshot", "snapshots", "extract", "dump", "corpus", "training set"),
    "schema": ("schema", "schemas"),
}
# Words in code or a config that show it is about the same kind of thing (a path, a key, a variable)
_CODE_WORDS = {
    "model": ("model", "ckpt", "checkpoint", "weights", "clf", "estimator", "classifier", "regressor"),
    "data": ("data", "dataset", "snapshot", "corpus", ".csv", ".parquet", ".jsonl", ".tsv"),
    "schema": ("schema",),
}
# A comment with one of these words speaks of software, not of a model or data version.
SOFTWARE_WORDS = frozenset({
    "python", "py", "api", "apis", "sdk", "library", "package", "pip", "conda", "tf", "tensorflow", "torch",
    "pytorch", "keras", "sklearn", "scikit", "pandas", "numpy", "scipy", "xgboost", "lightgbm", "catboost", "cuda",
    "cudnn", "onnx", "opset", "protocol", "pickle", "format", "spec", "kubernetes", "k8s", "helm", "docker",
    "compose", "openapi", "swagger", "http", "https", "tls", "ssl", "node", "java", "mlflow", "airflow", "dvc",
    "spark", "pydantic", "fastapi", "flask", "transformers", "huggingface", "jax", "release", "deprecated",
    "compat", "compatibility", "compatible", "backward", "backwards", "syntax", "yolo", "yolov", "resnet", "bert",
    "gpt", "llama", "efficientnet", "mobilenet", "inception", "vgg", "version.py",
})

# A comment in the past tense tells history ("tried for the v1 model"), not the version in use.
HISTORY_WORDS = frozenset({"was", "were", "tried", "old", "older", "previous", "previously", "legacy", "earlier",
                           "former", "formerly", "until", "anymore", "removed", "replaced", "superseded", "obsolete"})

# Words that say the version is the one in use: without one, a comment such as "# Model v2" over a
# plot is a heading, and is said nothing about unless the code beside it disagrees.
USE_WORDS = frozenset({"use", "uses", "using", "trained", "serve", "serves", "serving", "deployed", "deploys", "loads",
                       "loading", "current", "currently", "production", "latest", "expects", "pinned", "built"})
# Commented-out code ("#load('Snapshot 2024-08-24.json')", "# model = load_v2()") is not a statement
_CODE_LIKE = re.compile(r"\w\(|\w\s*=[^=]|['\"`]")

_KIND_WORD = "|".join(sorted({re.escape(w) for words in VERSIONED_KINDS.values() for w in words}, key=len, reverse=True))
_VERSION = r"v\d+(?:\.\d+)*|\d{4}-\d{2}(?:-\d{2})?"
# "model v3", "model version 3", "snapshot 2024-03"; "the v3 model", "the 2024-03 snapshot"
_STATED = re.compile(
    rf"\b(?P<kind>{_KIND_WORD})\s+(?:(?:version|ver\.?|rev\.?)\s+(?P<number>\d+(?:\.\d+)*)\b|(?P<after>{_VERSION})\b)"
    rf"|\b(?:the|our|this|a|an|of|on|from|uses?|using)\s+(?P<before>{_VERSION})\s+(?P<kind2>{_KIND_WORD})\b",
    re.I)
_HAS_DIGIT = re.compile(r"\d")
_ANY_VERSION = re.compile(rf"(?<![A-Za-z0-9])({_VERSION})(?![A-Za-z0-9])", re.I)
# A version in code or config text: "_v4" in a path, "2024-05" in a path, "version: 4" / "version = '4'"
_CODE_VERSION = re.compile(r"(?<![A-Za-z0-9])(v\d+(?:\.\d+)*)(?![A-Za-z0-9])|(?<!\d)(\d{4}-\d{2}(?:-\d{2})?)(?!\d)"
                           r"|version[\"']?\s*[=:]\s*[\"']?v?(\d+(?:\.\d+)*)", re.I)


def _kind_of(word: str) -> str:
    word = word.lower()
    return next(kind for kind, words in VERSIONED_KINDS.items() if word in words)


def normal_version(text: str) -> str:
    """A version as compared: ``V3`` and ``3`` are ``v3``; a date stays a date."""
    text = text.lower()
    return text if text.startswith("v") or "-" in text else f"v{text}"


def stated_version(comment: str) -> tuple[str, str] | None:
    """(kind, version) a comment states for a model, data set or schema, or None: also None when it
    is commented-out code, speaks of software (an API, Python, a library, a format) or of the past
    ("was tried for the v1 model"), or names more than one version."""
    if not _HAS_DIGIT.search(comment):
        return None  # every stated version has a digit and most comments none: the cheap test first
    lower = comment.lower()
    words = set(re.findall(r"[a-z][a-z0-9_.]*", lower))
    if _CODE_LIKE.search(comment) or words & (SOFTWARE_WORDS | HISTORY_WORDS) or "no longer" in lower or "any more" in lower:
        return None  # commented-out code, software, or history
    if len({normal_version(v) for v in _ANY_VERSION.findall(comment)}) > 1:
        return None  # "model v3 or v4", "v2 to v3": which one is meant is not said
    found = {(_kind_of(m.group("kind") or m.group("kind2")), normal_version(m.group("number") or m.group("after")
                                                                            or m.group("before")))
             for m in _STATED.finditer(comment)}
    return found.pop() if len(found) == 1 else None


def code_versions(code: str, kind: str) -> set[str]:
    """The versions a line of code or config names for a thing of ``kind`` (a model path, a data
    folder, a ``model_version`` key); empty when the line is not about such a thing."""
    lower = code.lower()
    if not any(word in lower for word in _CODE_WORDS[kind]):
        return set()
    return {normal_version(next(g for g in m.groups() if g)) for m in _CODE_VERSION.finditer(code)}


def same_version(stated: str, named: str) -> bool | None:
    """Whether a stated and a named version agree; None when they are not comparable (a number and a
    date). A date agrees with a longer or shorter date it begins or ends ("2024-03" and "2024-03-15")."""
    if stated.startswith("v") != named.startswith("v"):
        return None
    separator = "." if stated.startswith("v") else "-"
    shorter, longer = sorted((stated.split(separator), named.split(separator)), key=len)
    return longer[:len(shorter)] == shorter


def states_use(comment: str) -> bool:
    """Whether a comment says its version is the one in use ("uses", "trained on", "current")."""
    return bool(set(re.findall(r"[a-z]+", comment.lower())) & USE_WORDS)
