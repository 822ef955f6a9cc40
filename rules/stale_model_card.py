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

from auditor.ml.tracking import METRICS_FILE_NAMES, metric_name
from auditor.rule import Invalid, ProjectRule, Valid

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


def _cards(project) -> list[tuple[str, dict[str, list[tuple[int, float, float]]]]]:
    """(path, metric -> values stated) of every model card: a card by its name (its tables and any
    model-index), and any Markdown document whose front matter holds a model-index."""
    cards = []
    for file in sorted(project.files.values(), key=lambda f: f.path):
        named = _is_card(file.path) and file.doc is not None
        front = file.front_matter if file.text and file.text.startswith("---") else None
        if not named and not (front and isinstance(front.data, dict) and "model-index" in front.data):
            continue
        stated = model_index_metrics(front)
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
                metric = metric_name(path[-1])
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
