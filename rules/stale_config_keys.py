"""Config keys quoted in documents that the config file no longer has (issue 24, stale-doc): ML708.

A README that shows ``params.yaml`` as a YAML block (the file named in the block's first comment,
``# params.yaml``, or in inline code just before the block) is checked key by key against the
repository's file of that name. Only a snippet that is the file's own is judged: it shares a
top-level key with the file, holds no placeholder (``...``, ``<your-bucket>``), and the file does
not compose others (a Hydra ``defaults:`` list, a ``!include``), whose keys mlaudit would not see.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from typing import Any

from auditor.model.docs import describes_code
from auditor.model.project import CONFIG, DOC, load_yaml_documents
from auditor.rule import Invalid, ProjectRule, Valid

_YAML = ("yaml", "yml")
_FILE_NAME = re.compile(r"^#\s*([\w./-]+\.ya?ml)\s*$")
_CONFIG_PATH = re.compile(r"^[\w./-]+\.ya?ml$")
_PLACEHOLDER = re.compile(r"\.\.\.|<[^>]*>|\{\{|\$\{|YOUR_|your[-_]", re.I)
MAX_SNIPPET = 20_000  # characters: a document's example, not a copy of a large file
SPAN_WINDOW = 4  # lines before a block in which inline code may name the file it shows


def _key_paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path of a mapping, depth first (lists are values: their items are not keys)."""
    if not isinstance(data, dict):
        return []
    found = []
    for key, value in data.items():
        path = (*prefix, str(key))
        found.append(path)
        found.extend(_key_paths(value, path))
    return found


class StaleDocConfigKey(ProjectRule):
    """A key in a document's YAML snippet of one of the repository's config files that the file lacks.

    The snippet is tied to a file by its first line (``# params.yaml``) or by inline code naming
    the file in the lines just before it; the file is looked up beside the document, then from the
    repository root. Nothing is said for a snippet that shares no top-level key with the file (it
    shows another file of that name, or a new one), holds placeholders, or for a file that composes
    others (Hydra ``defaults:``, ``!include``, ``<<:`` merges).
    """

    id = "ML708"
    name = "stale-doc-config-key"
    category = "stale-doc"
    severity = "low"
    confidence = "medium"
    rationale = ("A README's configuration example is what a teammate copies to change a run. When the key was "
                 "renamed or moved in the file, the copied setting is ignored (or fails validation), and the run "
                 "trains with values nobody meant.")
    remediation = "Update the snippet to the file's current keys (the finding names the closest one), or restore the key."
    examples = (
        Invalid({"README.md": "# Churn\n\nSet the training run in `params.yaml`:\n\n```yaml\ntrain:\n  epochs: 10\n"
                              "  learning_rate: 0.01\n```\n",
                 "params.yaml": "train:\n  epochs: 10\n  lr: 0.01\n"},
                [("README.md", 8)], note="learning_rate was renamed lr in params.yaml"),
        Valid({"README.md": "# Churn\n\nSet the training run in `params.yaml`:\n\n```yaml\ntrain:\n  epochs: 10\n"
                            "  lr: 0.01\n```\n",
               "params.yaml": "train:\n  epochs: 10\n  lr: 0.01\n  batch_size: 64\n"},
              note="a snippet may show part of the file"),
        Invalid({"docs/serving.md": "# Serving\n\n```yaml\n# configs/serve.yaml\nmodel:\n  uri: models:/churn@champion\n"
                                    "  replicas: 2\n```\n",
                 "configs/serve.yaml": "model:\n  uri: models:/churn@champion\n  min_replicas: 2\n"},
                [("docs/serving.md", 7)], note="the file named in the block's first comment"),
        Valid({"README.md": "# Churn\n\n```yaml\n# params.yaml\ntrain:\n  epochs: ...\n  optimizer: <your optimizer>\n```\n",
               "params.yaml": "train:\n  epochs: 10\n"}, note="placeholders: a template, not the file"),
        Valid({"README.md": "# Churn\n\n```yaml\n# conf/config.yaml\ntrainer:\n  max_epochs: 5\n```\n",
               "conf/config.yaml": "defaults:\n  - trainer: default\n  - _self_\n"},
              note="a Hydra config composes others: its keys are not all in the file"),
        Valid({"README.md": "# Deploy\n\nCreate `deploy.yaml`:\n\n```yaml\nservice:\n  port: 8080\n```\n",
               "deploy.yaml": "image: churn:1.2\n"}, note="no top-level key in common: another file of that name"),
    )

    def check(self, project):
        for file in sorted((f for f in project.files.values() if f.kind == DOC and describes_code(f.path) and f.doc),
                           key=lambda f: f.path):
            for block in file.doc.blocks:
                if block.language not in _YAML or len(block.text) > MAX_SNIPPET or _PLACEHOLDER.search(block.text):
                    continue
                config = self._config_shown(project, file, block)
                if config is not None:
                    yield from self._missing_keys(file, block, config)

    @staticmethod
    def _config_shown(project, file, block):
        """The repository's config file a block shows: named in its first line or just before it."""
        first = block.text.splitlines()[0].strip() if block.text.strip() else ""
        named = _FILE_NAME.match(first)
        names = [named.group(1)] if named else [
            span.text.strip() for span in file.doc.spans
            if block.line - SPAN_WINDOW <= span.line < block.line and _CONFIG_PATH.match(span.text.strip())]
        home = posixpath.dirname(file.path)
        for name in names[-1:]:  # the nearest naming
            for candidate in (posixpath.normpath(posixpath.join(home, name)), posixpath.normpath(name)):
                found = project.files.get(candidate)
                if found is not None and found.kind == CONFIG and found.text is not None:
                    return found
        return None

    def _missing_keys(self, file, block, config):
        if re.search(r"^\s*(defaults|<<)\s*:|!include", config.text, re.M) or not isinstance(config.data, dict):
            return
        try:
            documents = load_yaml_documents(block.text)
        except Exception:  # noqa: BLE001 - a snippet that is not YAML (or too large, too deep): nothing to check
            return
        snippet = documents[0] if len(documents) == 1 else None
        if not isinstance(snippet, dict) or not set(map(str, snippet)) & set(map(str, config.data)):
            return
        known = set(_key_paths(config.data))
        lines = _snippet_key_lines(block.text)
        for path in _key_paths(snippet):
            if path in known or (len(path) > 1 and path[:-1] not in known):
                continue  # reported once, at the first key of a missing branch
            siblings = [p[-1] for p in known if p[:-1] == path[:-1]]
            close = difflib.get_close_matches(path[-1], siblings, n=1, cutoff=0.5)
            hint = f"; did you mean `{'.'.join((*path[:-1], close[0]))}`?" if close else ""
            line = block.line + lines.get(path, 0)
            yield self.finding(file.path, line, f"`{'.'.join(path)}` in this {config.name} snippet is not in "
                               f"{config.path}{hint}", anchor=f"doc-config-key {config.path} {'.'.join(path)}",
                               evidence={"config": config.path, "key": ".".join(path),
                                         "suggestion": ".".join((*path[:-1], close[0])) if close else None})


def _snippet_key_lines(text: str) -> dict[tuple, int]:
    """Each key path's line within the snippet (0-based), from indentation."""
    lines: dict[tuple, int] = {}
    stack: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines()):
        match = re.match(r"^(\s*)([\w.-]+)\s*:", raw)
        if not match or raw.lstrip().startswith("#"):
            continue
        indent, key = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
        lines.setdefault(tuple(k for _, k in stack), number)
    return lines
