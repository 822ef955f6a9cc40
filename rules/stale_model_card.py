"""ML706: a model card whose metrics disagree with the metrics file the pipeline writes (issue 24,
stale-doc). Only what both sides state is compared: a metric a card's table names (a row per metric,
or a column per metric) and a metrics file (``metrics.json``, a dvc.yaml stage's ``metrics``) that has
the same metric. A card value is read at the precision it is written (0.93 stands for 0.925-0.935;
93.1% for 0.931); when the card or the file gives several values for a metric (train and test), the
card is reported only when none of its values matches any of the file's.

A Hugging Face model card (a README or card whose YAML front matter holds ``model-index``: results ->
metrics -> type, value) states its metrics there; they are compared the same way. A ratio written
above 1 there (accuracy 93.1) may be a percentage, and matches either way."""

from __future__ import annotations

import posixpath
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from auditor.analysis.artifacts import candidates, last_change
from auditor.ml.tracking import METRICS_FILE_NAMES, metric_name, metrics_file_metric
from auditor.rule import Invalid, Option, ProjectRule, Valid

_CARD_NAMES = ("model_card", "modelcard", "model-card")
_NUMBER = re.compile(r"^\s*(-?\d+(?:\.(\d+))?)\s*(%?)")  # one cell's leading number, its decimals, a percent sign


def _is_card(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return name.endswith((".md", ".markdown")) and name.startswith(_CARD_NAMES)


def _cell_value(cell: str) -> tuple[float, float] | None:
    """(value, half of the last written digit) of a cell that starts with a number."""
    match = _NUMBER.match(cell.replace("**", "").replace("`", ""))
    if match is None:
        return None
    decimals = len(match.group(2) or "")
    value, tolerance = float(match.group(1)), 0.5 * 10 ** -decimals
    if match.group(3):
        return value / 100, tolerance / 100
    return value, tolerance


def card_metrics(rows) -> dict[str, list[tuple[int, float, float]]]:
    """metric -> [(line, value, tolerance)] from a document's tables: rows that start with a metric's
    name, and columns whose header is one."""
    found: dict[str, list[tuple[int, float, float]]] = {}
    tables: dict[int, list] = {}
    for row in rows:
        tables.setdefault(row.table, []).append(row)
    for table in tables.values():
        header, body = table[0], table[1:]
        columns = {i: metric_name(cell) for i, cell in enumerate(header.cells) if metric_name(cell)}
        for row in body:
            named = metric_name(row.cells[0]) if row.cells else None
            for index, cell in enumerate(row.cells):
                metric = named if named and index > 0 else columns.get(index)
                value = _cell_value(cell) if metric else None
                if value is not None:
                    found.setdefault(metric, []).append((row.line, *value))
    return found


# Metrics a card may state as a percentage (93.1 for 0.931) without a percent sign
_RATIO_METRICS = frozenset({"accuracy", "f1", "precision", "recall", "roc_auc", "pr_auc"})


def _yaml_number(value: Any) -> tuple[float, float] | None:
    """(value, half of the last written digit) of a YAML scalar: a number, or a string that is one."""
    if isinstance(value, str):
        return _cell_value(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        exponent = Decimal(repr(value)).as_tuple().exponent
    except (InvalidOperation, ValueError):
        return None
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return float(value), 0.5 * 10 ** -decimals


def _listed(mapping: Any, key: str) -> list[tuple[int, Any]]:
    items = mapping.get(key) if isinstance(mapping, dict) else None
    return list(enumerate(items)) if isinstance(items, list) else []


def model_index_metrics(front) -> dict[str, list[tuple[int, float, float]]]:
    """metric -> [(line, value, tolerance)] from a Hugging Face card's front matter ``model-index``
    (models -> results -> metrics, each with a type or name and a value)."""
    found: dict[str, list[tuple[int, float, float]]] = {}
    if front is None or not isinstance(front.data, dict):
        return found
    first = front.lines.get(("model-index",), 1)
    for i, model in _listed(front.data, "model-index"):
        for j, result in _listed(model, "results"):
            for k, entry in _listed(result, "metrics"):
                if not isinstance(entry, dict):
                    continue
                metric = metric_name(str(entry.get("type", ""))) or metric_name(str(entry.get("name", "")))
                stated = _yaml_number(entry.get("value")) if metric else None
                if stated is None:
                    continue
                line = front.lines.get(("model-index", i, "results", j, "metrics", k, "value"), first)
                found.setdefault(metric, []).append((line, *stated))
                if metric in _RATIO_METRICS and 1 < stated[0] <= 100:  # a percentage written without its sign
                    found[metric].append((line, stated[0] / 100, stated[1] / 100))
    return found


def card_files(project) -> list[tuple[Any, bool]]:
    """(file, named a card) of every model card: a Markdown document named as one, and any Markdown
    document whose front matter holds a Hugging Face ``model-index``."""
    cards = []
    for file in sorted(project.files.values(), key=lambda f: f.path):
        named = _is_card(file.path) and file.doc is not None
        front = file.front_matter if file.text and file.text.startswith("---") else None
        if named or (front and isinstance(front.data, dict) and "model-index" in front.data):
            cards.append((file, named))
    return cards


def _cards(project) -> list[tuple[str, dict[str, list[tuple[int, float, float]]]]]:
    """(path, metric -> values stated) of every model card: its model-index, and a named card's tables."""
    cards = []
    for file, named in card_files(project):
        stated = model_index_metrics(file.front_matter)
        for metric, values in (card_metrics(file.doc.rows) if named else {}).items():
            stated.setdefault(metric, []).extend(values)
        cards.append((file.path, stated))
    return cards


def _leaves(data: Any, path: tuple = ()) -> Iterable[tuple[tuple, float]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, str(key)))
    elif isinstance(data, (int, float)) and not isinstance(data, bool) and path:
        yield path, float(data)


def _metrics_files(project) -> list:
    """The metrics files a pipeline writes: by name, or a dvc.yaml stage's ``metrics`` outputs."""
    named = {p for p, f in project.files.items() if f.name.lower() in METRICS_FILE_NAMES}
    for file in project.files.values():
        stages = file.data.get("stages") if file.name == "dvc.yaml" and isinstance(file.data, dict) else None
        for stage in (stages or {}).values():
            for entry in (stage.get("metrics") or []) if isinstance(stage, dict) else []:
                path = next(iter(entry)) if isinstance(entry, dict) else entry
                named.add(posixpath.normpath(posixpath.join(posixpath.dirname(file.path), str(path))))
    return [project.files[p] for p in sorted(named) if p in project.files and isinstance(project.files[p].data, dict)]


class ModelCardMetricMismatch(ProjectRule):
    """A model card (MODEL_CARD.md's tables, a Hugging Face README's ``model-index``) reports a metric
    that the metrics file the pipeline writes (metrics.json, a dvc.yaml stage's metrics) gives a
    different value for: the card describes another model, or an evaluation nobody re-ran into it."""

    id = "ML706"
    name = "model-card-metric-mismatch"
    category = "stale-doc"
    severity = "medium"
    confidence = "medium"
    rationale = ("A model card is what reviewers, auditors and downstream teams read to decide whether a model "
                 "is fit for use. When it says accuracy 0.95 and the pipeline's last evaluation wrote 0.91, the "
                 "decision was made on a model that is no longer the one deployed.")
    remediation = ("Regenerate the card's metrics from the evaluation output (template them from metrics.json in "
                   "the pipeline), or say which evaluation and model version the card's numbers come from.")
    _card = "# Churn model card\n\n## Evaluation\n\n| Metric | Value |\n|---|---|\n| Accuracy | {acc} |\n| F1 | 0.88 |\n"
    _hf_card = ("---\nlanguage: en\nlicense: mit\nmodel-index:\n- name: churn-classifier\n  results:\n  - task:\n"
                "      type: tabular-classification\n    metrics:\n    - {{type: accuracy, value: {acc}}}\n"
                "    - type: f1\n      value: 0.88\n---\n\n# churn-classifier\n")
    examples = (
        Invalid({"MODEL_CARD.md": _card.format(acc="0.95"), "metrics.json": '{"accuracy": 0.912, "f1": 0.881}'},
                [("MODEL_CARD.md", 7)], note="the card's accuracy is from an earlier model"),
        Valid({"MODEL_CARD.md": _card.format(acc="91.2%"), "metrics.json": '{"accuracy": 0.912, "f1": 0.881}'},
              note="the same values, written as a percentage and rounded"),
        Valid({"MODEL_CARD.md": _card.format(acc="0.95"),
               "eval/scores.json": '{"train": {"accuracy": 0.95}, "test": {"accuracy": 0.91}}'},
              note="one of the file's values for the metric is the card's"),
        Invalid({"README.md": _hf_card.format(acc="0.95"), "metrics.json": '{"accuracy": 0.912, "f1": 0.881}'},
                [("README.md", 10)], note="a Hugging Face card's model-index states the accuracy of an earlier model"),
        Valid({"README.md": _hf_card.format(acc="91.2"), "metrics.json": '{"accuracy": 0.912, "f1": 0.881}'},
              note="model-index values written as percentages"),
        Valid({"README.md": _hf_card.format(acc="0.95"), "reports/summary.json": '{"accuracy": 0.912}'},
              note="no metrics file the pipeline writes: nothing to compare with"),
        Invalid({"README.md": _hf_card.format(acc="0.95"), "output/eval_results.json": '{"epoch": 3.0, "eval_accuracy": 0.912}'},
                [("README.md", 10)], note="against what Hugging Face's Trainer.save_metrics wrote"),
        Valid({"README.md": "---\nmodel-index:\n- name: churn\n  results: [{metrics: [{type: accuracy, value: 0.95\n---\n",
               "metrics.json": '{"accuracy": 0.912}'}, note="front matter that does not parse: a degraded file, no finding"),
    )

    def check(self, project):
        files = _metrics_files(project)
        if not files:
            return
        computed: dict[str, list[tuple[str, str, float]]] = {}
        for file in files:
            for path, value in _leaves(file.data):
                metric = metrics_file_metric(path[-1])
                if metric:
                    computed.setdefault(metric, []).append((file.path, ".".join(path), value))
        for card, metrics in _cards(project):
            for metric, stated in sorted(metrics.items()):
                written = computed.get(metric)
                if not written or any(abs(v - c) <= t + 1e-9 for _, v, t in stated for _, _, c in written):
                    continue
                line, value, _ = stated[0]
                where, key, actual = written[0]
                yield self.finding(card, line, f"the model card reports {metric} {value:g}, but {where} (the metrics "
                                   f"the pipeline writes) has {key} = {actual:g}", anchor=f"card-metric {metric}",
                                   evidence={"metric": metric, "card": [v for _, v, _ in stated],
                                             "file": where, "key": key, "value": actual})


DAY = 86400.0
_PICKLE = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s."  # pickle of {"a": 1}


def _described_artifact(card, models: dict) -> tuple[Any, int | None] | None:
    """(artifact, line) the card describes: the one model artifact its links and inline code name
    by a repository path, else the only model artifact in the card's own folder; None when it names
    several, or none and its folder holds none or several."""
    named: dict[str, int] = {}
    doc = card.doc
    written = [(link.target.split("#")[0], link.line) for link in doc.links] + [(s.text.strip(), s.line) for s in doc.spans]
    for raw, line in written:
        for path in candidates(raw, card.path):
            if path in models:
                named.setdefault(path, line)
    if len(named) == 1:
        path, line = next(iter(named.items()))
        return models[path], line
    if named:
        return None
    folder = posixpath.dirname(card.path)
    beside = [a for p, a in models.items() if posixpath.dirname(p) == folder]
    return (beside[0], None) if len(beside) == 1 else None


def _committed_time(project, artifact) -> float | None:
    """The artifact's last commit: git's clock only, never a file time (so the rule is not one of
    those that read file times, which a scan re-runs when a file is touched outside git)."""
    when, clock = last_change(project, artifact)
    return when if clock == "git" else None


class ModelCardOlderThanModel(ProjectRule):
    """A model card whose last commit is older, by more than a margin, than the last commit of the
    model artifact it describes: the model was retrained or replaced and its card was not touched.

    The artifact is the one model file the card names by a repository path (a link or inline code),
    or else the only model file in the card's folder. Ages come from git alone (a DVC-tracked model's
    ``.dvc`` file; never ``dvc.lock``, which any stage's run changes); without history nothing is said."""

    id = "ML709"
    name = "model-card-older-than-model"
    category = "stale-doc"
    severity = "low"
    confidence = "medium"
    options = {"margin-days": Option(int, 30, "how much older than its model's last commit a model card may be",
                                     check=lambda v: None if v >= 0 else "must be 0 or more")}
    rationale = ("A model card describes one model: its data, metrics, limits and intended use. When the model "
                 "file was committed again weeks after the card last changed, the card most likely describes the "
                 "model before it, and whoever reads it decides on facts about another model.")
    remediation = ("Review the card when the model changes: update its metrics, data and date in the commit that "
                   "replaces the model (or generate the card in the training pipeline).")
    _card = "# Churn model card\n\nThe model is `models/churn.pkl`, trained on the 2024 customer table.\n"
    examples = (
        Invalid({"MODEL_CARD.md": _card, "models/churn.pkl": _PICKLE}, [("MODEL_CARD.md", 3)],
                git={"MODEL_CARD.md": 200, "models/churn.pkl": 12}, note="the model was replaced half a year after its card"),
        Valid({"MODEL_CARD.md": _card, "models/churn.pkl": _PICKLE}, git={"MODEL_CARD.md": 20, "models/churn.pkl": 12},
              note="the card was written a week before the model's last commit: within the margin"),
        Valid({"MODEL_CARD.md": _card, "models/churn.pkl": _PICKLE}, git={"MODEL_CARD.md": 12, "models/churn.pkl": 200},
              note="the card is newer than its model"),
        Valid({"MODEL_CARD.md": _card, "models/churn.pkl": _PICKLE}, note="no git history: nothing is said"),
        Invalid({"models/README.md": "---\nmodel-index:\n- name: churn\n---\n# churn\n", "models/churn.pkl": _PICKLE},
                [("models/README.md", None)], git={"models/README.md": 300, "models/churn.pkl": 5},
                note="a Hugging Face card beside its only model file"),
        Valid({"models/README.md": "---\nmodel-index:\n- name: churn\n---\n# churn\n", "models/churn.pkl": _PICKLE,
               "models/churn_v2.pkl": _PICKLE}, git={"models/README.md": 300, "models/churn.pkl": 5},
              note="two model files beside the card, and it names neither: which one it describes is unknown"),
        Valid({"README.md": "# Churn\n\nThe model is `models/churn.pkl`.\n", "models/churn.pkl": _PICKLE},
              git={"README.md": 300, "models/churn.pkl": 5}, note="a README that is not a model card"),
    )

    def check(self, project):
        if not project.git.available:
            return
        models = {a.path: a for a in project.artifacts if a.model and not a.in_tests and a.pointer != "dvc.lock"}
        margin = self.settings["margin-days"] * DAY
        for card, _ in card_files(project):
            card_time = project.git.last_commit_time(card.path)
            described = _described_artifact(card, models) if card_time and card.doc else None
            if described is None:
                continue
            artifact, line = described
            model_time = _committed_time(project, artifact)
            if model_time is None or model_time - card_time <= margin:
                continue
            days = int((model_time - card_time) // DAY)
            yield self.finding(card.path, line, f"the model card was last committed {days} days before {artifact.path}, "
                               "the model it describes: it may still describe the model before it",
                               anchor=f"card-older {artifact.path}",
                               evidence={"model": artifact.path, "card_commit": card_time, "model_commit": model_time,
                                         "days": days})
