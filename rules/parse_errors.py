"""Files that cannot be parsed: reported, never a crash, never silently dropped."""

from __future__ import annotations

from auditor.ml.paths import is_exercise_path
from auditor.ml.teaching import READER_BLANK_MARKER
from auditor.model.project import CONFIG, LOCK
from auditor.rule import FileRule, Invalid, PassRule, Valid


class PythonParseError(PassRule):
    """A Python file or notebook cell has a syntax error, so nothing else in it is checked.

    The per-file phase reports this itself before any other module rule runs; this class carries
    the rule's identity and documentation.
    """

    made_by = "the per-file phase (auditor/scan/worker.py), when a module does not parse"
    scope = "module"

    id = "ML001"
    name = "python-parse-error"
    category = "parse-error"
    severity = "medium"
    confidence = "high"
    rationale = ("Code that does not parse cannot run: a training script or DAG with a syntax error fails "
                 "the moment a scheduler imports it, and every other check is blind to it.")
    remediation = "Fix the syntax error, or delete the file if it is an abandoned draft."
    examples = (
        Valid("def train(data):\n    return data\n"),
        Invalid("def train(data:\n    return data\n", expect=[1]),
    )


class ConfigParseError(FileRule):
    """A YAML, TOML or JSON configuration file does not parse."""

    id = "ML002"
    name = "config-parse-error"
    category = "parse-error"
    severity = "medium"
    confidence = "high"
    kinds = frozenset({CONFIG, LOCK})
    rationale = ("A pipeline or training config that does not parse fails at run time, often in a scheduler "
                 "far from the person who edited it.")
    remediation = "Fix the syntax at the reported line; validate configs in CI with a schema or a loader test."
    examples = (
        Valid({"params.yaml": "train:\n  lr: 0.1\n  epochs: 3\n"}),
        Invalid({"params.yaml": "train:\n  lr: 0.1\n   epochs: [3\n"}, expect=[("params.yaml", 3)]),
        Valid({"chart/templates/deploy.yaml": "replicas: {{ .Values.replicas }}\n"},
              note="templated YAML (Helm, Jinja) is not plain YAML and is not reported"),
        Valid({".devcontainer/devcontainer.json": '{\n  // the image\n  "image": "python:3.11",\n}\n'},
              note="JSON with comments, as VS Code reads a dev container's configuration"),
    )

    def check(self, file, project):
        if file.parse_error is None or (file.text and "{{" in file.text):
            return
        line, message = file.parse_error
        if is_exercise_path(file.path) and READER_BLANK_MARKER.search(file.text or ""):
            # a lab's copy with blanks for the reader; its solution is elsewhere
            yield self.finding(file.path, line, f"cannot parse {file.name}: {message} (course material with "
                               "blanks left for the reader)", anchor=message, severity="info")
            return
        yield self.finding(file.path, line, f"cannot parse {file.name}: {message}", anchor=message)
