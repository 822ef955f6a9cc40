"""ML710: a model, data or schema version kept in a comment (issue 24, stale-doc: "bake versioning
into your pipeline config, not as comments"). What a comment states is read by auditor/ml/stated_versions.py;
the code a comment speaks of is the code on its line, or for a comment on a line of its own the next
line of code."""

from __future__ import annotations

import re
from functools import partial
from typing import Callable

from auditor.ml.stated_versions import code_versions, same_version, stated_version, states_use
from auditor.model.project import CONFIG
from auditor.rule import Extractor, Invalid, ProjectRule, Valid

FACTS = "version_comments"
_HASH_COMMENT_SUFFIXES = (".yaml", ".yml", ".toml", ".cfg", ".ini", ".conf")


def _next_code(lines: list[str], index: int) -> str:
    """The first line after ``index`` (0-based) that is neither blank nor a comment."""
    for text in lines[index + 1:index + 4]:
        if text.strip() and not text.lstrip().startswith("#"):
            return text
    return ""


def _stated(line: int, comment: str, code_of: Callable[[], str]) -> dict | None:
    """The version ``comment`` states, with the versions its code names (``code_of``: asked only
    when there is a statement, which few comments make)."""
    stated = stated_version(comment)
    if stated is None:
        return None
    kind, version = stated
    return {"line": line, "kind": kind, "version": version, "comment": comment.strip()[:160],
            "named": sorted(code_versions(code_of(), kind))}


def _code_beside(module, comment) -> str:
    """The code a comment speaks of: the code before it on its line, else the next code line."""
    before = module.line_text(comment.line)[:comment.col]
    return before if before.strip() else _next_code(module.lines, comment.line - 1)


def _config_code(lines: list[str], index: int, start: int) -> str:
    """The config a ``#`` comment at ``start`` of line ``index`` speaks of: what precedes it, else the next line."""
    code = lines[index][:start]
    return code if code.strip() else _next_code(lines, index)


def _config_comments(text: str) -> list[dict]:
    """Version comments of a config with ``#`` comments; a ``#`` inside quotes is not one."""
    lines, found = text.splitlines(), []
    for index, line in enumerate(lines):
        match = re.search(r"(?:^|\s)#", line)
        if match is None or line[:match.start()].count('"') % 2 or line[:match.start()].count("'") % 2:
            continue
        stated = _stated(index + 1, line[match.start():], partial(_config_code, lines, index, match.start()))
        if stated:
            found.append(stated)
    return found


class VersionCommentExtractor(Extractor):
    """Comments of each Python module that state a model, data or schema version, with the versions
    the code they speak of names."""

    name = FACTS

    def extract(self, module):
        if module.path.endswith(".ipynb"):
            return []  # a notebook's comments are a session's notes
        found = []
        for comment in module.comments:
            stated = _stated(comment.line, comment.text, partial(_code_beside, module, comment))
            if stated:
                found.append(stated)
        return found


def _carried_by_config(project, kind: str, version: str) -> bool:
    """Whether any config file names the version, or has a version key for the kind."""
    token = re.compile(rf"(?<![A-Za-z0-9]){re.escape(version.lstrip('v'))}(?![0-9])")
    key = re.compile(rf"{kind}[_-]?version|version", re.I)
    for file in project.of_kind(CONFIG):
        text = "\n".join(re.split(r"(?:^|\s)#", line, maxsplit=1)[0] for line in (file.text or "").splitlines())
        if any(key.search(line) and token.search(line) for line in text.splitlines()):
            return True
        if version.startswith("v") and re.search(rf"(?<![A-Za-z0-9]){re.escape(version)}(?![0-9.])", text, re.I):
            return True
        if not version.startswith("v") and version in text:
            return True
    return False


class VersionInComment(ProjectRule):
    """A comment states a model, data or schema version (``# uses model v3``, ``# trained on the
    2024-03 snapshot``) that the code or config beside it contradicts (medium), or that says it is the
    version in use ("uses", "trained on", "current") and that no config carries at all (low, low
    confidence): the version lives only where no pipeline reads it.

    A comment about software (an API, Python, a library, a file format, a named architecture such as
    YOLO v5) is never a model's version; a comment naming two versions says nothing for sure."""

    id = "ML710"
    name = "version-in-comment"
    category = "stale-doc"
    severity = "medium"
    confidence = "medium"
    rationale = ("A version written in a comment is read by people, never by the pipeline: when the model, data "
                 "or schema changes, the code changes and the comment stays, so the next reader trusts a version "
                 "that is no longer the one used, and no run records which one it was.")
    remediation = ("Bake the version into the pipeline's config (a `model_version` or `data_version` key, a DVC "
                   "or registry version) and read it in the code; then delete the comment or make it refer to the key.")
    examples = (
        Invalid({"serve.py": 'MODEL_PATH = "models/churn_v4.pkl"  # uses model v3\n'}, [("serve.py", 1)],
                note="the comment says v3; the path beside it is v4"),
        Invalid({"params.yaml": "train:\n  # trained on the 2024-03 snapshot\n  data: data/snapshots/2024-05/train.csv\n"},
                [("params.yaml", 2)], note="the config's data path is a later snapshot"),
        Invalid({"serve.py": "import joblib\n\n# uses schema version 2\nFEATURES = ['age', 'plan']\n"}, [("serve.py", 3)],
                note="no config carries the schema version: low, low confidence"),
        Valid({"report.py": "# Model v2\nplt.plot(y_pred)\n"}, note="a heading, not a statement of the version in use"),
        Valid({"load.py": "#rows = load_json('Snapshot 2024-08-24.json')\nrows = load_json('Snapshot 2024-09-17.json')\n"},
              note="commented-out code is ML107's, not a version statement"),
        Valid({"serve.py": 'MODEL_PATH = "models/churn_v3.pkl"  # uses model v3\n'}, note="comment and code agree"),
        Valid({"serve.py": "import joblib\n\n# uses schema version 2\nFEATURES = ['age', 'plan']\n",
               "config.yaml": "schema_version: 2\n"}, note="the config carries the version"),
        Valid({"client.py": "# TF v2 API: the model is loaded with tf.saved_model\nmodel = load()\n"},
              note="an API's version, not a model's"),
        Valid({"detect.py": "# YOLO v5 model from the hub\nmodel = hub_load('yolov5s')\n"}, note="an architecture's name"),
        Valid({"features.py": "# Bucketed age was tried for the v1 model; nothing reads it any more.\nAGE_BINS = [0, 30, 60]\n"},
              note="history, not the version in use (the demo's features.py)"),
        Valid({"env.py": "# needs Python 3.10 for the model code\nimport sys\n"}, note="a language version"),
        Valid({"serve.py": '# model v3 or v4, whichever is deployed\nMODEL = "models/churn.pkl"\n',
               "config.yaml": "name: churn\n"}, note="two versions named: nothing certain"),
    )

    def check(self, project):
        stated = [(path, entry) for path, entries in sorted(project.fact(FACTS).items()) for entry in entries or ()]
        for file in sorted(project.of_kind(CONFIG), key=lambda f: f.path):
            if file.suffix in _HASH_COMMENT_SUFFIXES and file.text and "#" in file.text:
                stated += [(file.path, entry) for entry in _config_comments(file.text)]
        for path, entry in stated:
            yield from self._judge(project, path, entry)

    def _judge(self, project, path: str, entry: dict):
        kind, version, named = entry["kind"], entry["version"], entry["named"]
        verdicts = [same_version(version, other) for other in named]
        if any(verdicts):
            return
        evidence = {"kind": kind, "comment_version": version, "named": named}
        if False in verdicts:
            other = named[verdicts.index(False)]
            yield self.finding(path, entry["line"], f"the comment says {kind} {version}, but the code beside it names "
                               f"{other}: the version kept in the comment is out of date", anchor=f"version {kind} {version}",
                               evidence=evidence)
        elif not named and states_use(entry["comment"]) and not _carried_by_config(project, kind, version):
            yield self.finding(path, entry["line"], f"the {kind} version {version} is kept only in a comment: no config "
                               "carries it, so no run records it", anchor=f"version {kind} {version}",
                               severity="low", confidence="low", evidence=evidence)
