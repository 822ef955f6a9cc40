"""ML706: a model card whose metrics disagree with the metrics file the pipeline writes (issue 24,
stale-doc). Only what both sides state is compared: a metric a card's table names (a row per metric,
or a column per metric) and a metrics file (``metrics.json``, a dvc.yaml stage's ``metrics``) that has
the same metric. A card value is read at the precision it is written (0.93 stands for 0.925-0.935;
93.1% for 0.931); when the card or the file gives several values for a metric (train and test), the
card is reported only when none of its values matches any of the file's.

A Hugging Face model card (a README or card whose YAML front matter holds ``model-index``: results ->
metrics -> type, value) states its metrics there; they are compared the same way. A ratio written
above 1 there (accuracy 93.1) may be a percentage, and matches either way.

ML709 dates a card against the model it describes; ML711 looks for the training data a card names
(a Hugging Face ``datasets:`` list, data files under a "Training data" heading) in what the
repository's code, configs, stages and scripts name."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from auditor.analysis.artifacts import candidates, last_change
from auditor.ml.models import MODEL_SUFFIXES
from auditor.ml.tracking import METRICS_FILE_NAMES, metric_name, metrics_file_metric
from auditor.model.project import BUILD, CONFIG, DOCKERFILE, NOTEBOOK, PYTHON, SCRIPT
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


# A heading that says the section names the training data: "Training data", "3. Training dataset",
# "Training and evaluation data", "Data", "Datasets"
_DATA_HEADING = re.compile(r"^(?:[\d.]+\s*)?(?:training(?:\s+(?:and|&)\s+evaluation)?\s+)?"
                           r"(?:data|dataset|datasets|data\s*set)$", re.I)
_DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".json", ".jsonl", ".feather", ".arrow", ".npy", ".npz", ".h5",
                  ".hdf5", ".xlsx", ".xls", ".avro", ".orc", ".tfrecord", ".tfrecords")
_COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst")
_DATA_FOLDERS = frozenset({"data", "datasets", "dataset"})
_TEMPLATE_PART = re.compile(r"\{[^{}]*\}|%[-+ #0-9.]*[sdifr]")
_SEARCHED_KINDS = (CONFIG, SCRIPT, BUILD, DOCKERFILE)  # text that runs or configures a pipeline


def _data_path(written: str, folder: str = "") -> str | None:
    """The repository path inline code or a link (followed from ``folder``) names as data, or None:
    a relative path with a data format's suffix (compressed or not), or a file under a data folder
    (a ``.txt`` only there); never a model file, a site or a pattern."""
    text = written.strip().split("#")[0].split("?")[0]
    if not text or any(c in text for c in " \t*{}<>$") or "://" in text or text.startswith(("/", "~")):
        return None
    path = posixpath.normpath(posixpath.join(folder, text))
    if path.startswith(".."):
        return None
    name = posixpath.basename(path).lower()
    bare = name[: -len(next(s for s in _COMPRESSED if name.endswith(s)))] if name.endswith(_COMPRESSED) else name
    suffix = posixpath.splitext(bare)[1]
    if not suffix or (suffix in MODEL_SUFFIXES and suffix not in _DATA_SUFFIXES):
        return None
    in_data_folder = any(part.lower() in _DATA_FOLDERS for part in path.split("/")[:-1])
    return path if bare.endswith(_DATA_SUFFIXES) or in_data_folder else None


def _mention(needle: str) -> re.Pattern:
    """``needle`` as a whole name inside a longer text: ``train.csv`` in ``data/train.csv`` or
    ``gs://b/train.csv.gz``, not in ``train.csv2`` or ``old_train.csv``; ``imdb`` in ``stanfordnlp/imdb``."""
    return re.compile(r"(?<![\w-])" + re.escape(needle) + r"(?![\w-])", re.I)


def _template_matches(template: str, name: str) -> bool:
    """A computed file name (``f"train_{year}.csv"``, ``"%s.csv"``, a glob) that may be ``name``: its
    last part, with a literal suffix, matches the name."""
    last = _TEMPLATE_PART.sub("*", template.replace("\\", "/")).rsplit("/", 1)[-1]
    literal = last.replace("*", "")
    return "*" in last and "." in literal and fnmatch.fnmatchcase(name.lower(), last.lower())


def _dvc_stages(project) -> int:
    stages = [f.data.get("stages") for f in project.files.values() if f.name == "dvc.yaml" and isinstance(f.data, dict)]
    return sum(len(found) for found in stages if isinstance(found, dict))


def _code_strings(modules) -> set[str]:
    """Every string the modules' ``symbols`` facts keep: identifier-like and path-like ones."""
    found: set[str] = set()
    for facts in modules:
        found.update(facts.get("strings") or ())
        found.update(facts.get("data_strings") or ())
    return found


class _Readers:
    """What the repository's pipelines name: every module's and notebook's strings, and the text of
    its configs (dvc.yaml and params files included), scripts, Makefiles and Dockerfiles, and the code
    blocks of documents other than the ``cards``. ``known`` is False when a module's strings are
    unknown (it did not parse, or names too many) or it reads data from a path or id computed at run
    time (``pd.read_csv(args.data)``, ``load_dataset(name)``): then any data may be read."""

    def __init__(self, project, cards: set[str]) -> None:
        symbols = project.fact("symbols")
        code = [f.path for f in project.of_kind(PYTHON, NOTEBOOK)]
        self.modules = sum(1 for p in code if project.files[p].kind == PYTHON)
        self.notebooks = len(code) - self.modules
        self.stages = _dvc_stages(project)
        self.known = all(symbols.get(p, {}).get("data_strings") is not None
                         and not symbols.get(p, {}).get("computed_data_reads") for p in code)
        self.strings = _code_strings(symbols[p] for p in code if p in symbols)
        self.templates = [s for s in self.strings if "*" in s or _TEMPLATE_PART.search(s)]
        self.texts = {f.path: f.text for f in project.files.values()
                      if f.kind in _SEARCHED_KINDS and f.text and f.suffix != ".dvc"}
        # and the commands documents give (``python train.py --data data/train.csv`` in a README):
        # the code blocks of every document but the cards, whose own mentions are what is checked
        self.texts.update({f"{f.path}#code": "\n".join(b.text for b in f.doc.blocks)
                           for f in project.files.values() if f.doc is not None and f.doc.blocks
                           and f.path not in cards})

    @property
    def pipeline(self) -> bool:
        return bool(self.modules or self.notebooks or self.stages)

    def read(self, needle: str, name: str | None, exclude: str | None = None) -> bool:
        """Whether anything names ``needle`` (a dataset id, a file name), or a template that may be file ``name``."""
        pattern = _mention(needle)
        if any(pattern.search(s) for s in self.strings):
            return True
        if name and any(_template_matches(t, name) for t in self.templates):
            return True
        return any(pattern.search(text) for path, text in self.texts.items() if path != exclude)

    def searched(self) -> dict[str, int]:
        return {"python_modules": self.modules, "notebooks": self.notebooks, "dvc_stages": self.stages,
                "config_and_script_files": len(self.texts)}


def _card_datasets(card) -> list[tuple[str, int | None]]:
    """(dataset id, line) of a card's front matter ``datasets:`` list (Hugging Face metadata)."""
    front = card.front_matter
    if front is None or not isinstance(front.data, dict):
        return []
    listed = front.data.get("datasets")
    items = [listed] if isinstance(listed, str) else listed if isinstance(listed, list) else []
    first = front.lines.get(("datasets",))
    return [(item.strip(), front.lines.get(("datasets", i), first)) for i, item in enumerate(items)
            if isinstance(item, str) and item.strip() and not any(c.isspace() for c in item.strip())]


def _card_paths(card, project) -> list[tuple[str, int]]:
    """(path, line) of the data files a card's training-data sections name in inline code or links.
    A link is followed from the card's folder and must lead to a file (one that does not is ML702's);
    inline code names a path from the repository root, and must hold a folder or be a file there."""
    doc = card.doc
    sections = {h.section for h in doc.headings if _DATA_HEADING.match(h.text.replace("*", "").replace("_", " ").strip(" :#"))}
    if not sections:
        return []
    found: list[tuple[str, int]] = []
    folder = posixpath.dirname(card.path)
    for span in doc.spans:
        path = _data_path(span.text) if span.section in sections else None
        if path and ("/" in path or path in project.files):
            found.append((path, span.line))
    for link in doc.links:
        path = _data_path(link.target, folder) if link.section in sections and not link.image else None
        if path in project.files or path in project.absent:
            found.append((path, link.line))
    return found


_MODEL_KEYS = ("model-index", "pipeline_tag", "library_name", "base_model", "model_name")


def _data_cards(project) -> list:
    """The model cards (``card_files``), and Markdown whose front matter lists ``datasets`` beside a
    key only a Hugging Face model card has (``pipeline_tag``, ``library_name``, ``base_model``)."""
    cards = [file for file, _ in card_files(project)]
    known = {file.path for file in cards}
    for file in sorted(project.files.values(), key=lambda f: f.path):
        front = file.front_matter if file.path not in known and file.text and file.text.startswith("---") else None
        data = front.data if front else None
        if isinstance(data, dict) and "datasets" in data and any(key in data for key in _MODEL_KEYS):
            cards.append(file)
    return cards


class ModelCardDataUnread(ProjectRule):
    """A model card names training data (its front matter's ``datasets:``, or a data file its
    "Training data" section names) that no code, config or pipeline stage in the repository reads.

    A dataset id (``imdb``, ``org/name``) is read when a Python or notebook string names it
    (``load_dataset("imdb")``, ``"stanfordnlp/imdb"``) or a config, script or Makefile does; a data
    file when its name occurs in a string (a template such as ``f"train_{year}.csv"`` or a glob
    may be it), a config (a dvc.yaml dependency), a script or a Makefile. Nothing is said in a
    repository without a pipeline (no Python, notebook or dvc.yaml stage: a card for a model
    trained elsewhere), nor when a module did not parse (what it reads is unknown)."""

    id = "ML711"
    name = "model-card-data-unread"
    category = "stale-doc"
    severity = "low"
    confidence = "medium"
    rationale = ("A model card's training data is what reviewers check for licence, consent, bias and leakage. "
                 "When no code, config or stage in the repository reads the data the card names, the model was "
                 "most likely retrained on other data since, and the card vouches for data the model never saw.")
    remediation = ("Update the card's training data to what the pipeline reads now (or generate that section "
                   "from the pipeline's config), or say where the named data is read if it is outside this repository.")
    _hf = "---\nlicense: mit\npipeline_tag: text-classification\ndatasets:\n- imdb\nmetrics:\n- accuracy\n---\n\n# sentiment-model\n"
    _load = "from datasets import load_dataset\n\nrows = load_dataset({name!r}, split='train')\n"
    _card = ("# Churn model card\n\n## Training data\n\nTrained on `data/train_2023.csv`, the 2023 customer "
             "table.\n\n## Evaluation\n\nSee `reports/eval.md`.\n")
    _read = "import pandas as pd\n\nframe = pd.read_csv({path!r})\n"
    examples = (
        Invalid({"README.md": _hf, "train.py": _load.format(name="yelp_review_full")}, [("README.md", 5)],
                note="the card's dataset is no longer the one the training script loads"),
        Valid({"README.md": _hf, "train.py": _load.format(name="imdb")}),
        Valid({"README.md": _hf, "train.py": _load.format(name="stanfordnlp/imdb")},
              note="the same dataset under its organisation"),
        Invalid({"MODEL_CARD.md": _card, "train.py": _read.format(path="data/train_2024.csv")},
                [("MODEL_CARD.md", 5)], note="the pipeline moved on to the 2024 table"),
        Valid({"MODEL_CARD.md": _card, "train.py": _read.format(path="data/train_2023.csv")}),
        Valid({"MODEL_CARD.md": _card, "train.py": "import sys\nimport pandas as pd\n\nframe = pd.read_csv(sys.argv[1])\n",
               "dvc.yaml": "stages:\n  train:\n    cmd: python train.py data/train_2023.csv\n    deps:\n"
                           "    - data/train_2023.csv\n    - train.py\n"},
              note="a dvc.yaml stage depends on it"),
        Valid({"MODEL_CARD.md": _card, "train.py": "import pandas as pd\n\nYEAR = 2023\n"
                                                   "frame = pd.read_csv(f'data/train_{YEAR}.csv')\n"},
              note="a computed path that may be the card's"),
        Valid({"MODEL_CARD.md": _card}, note="a card alone: the model was trained elsewhere"),
        Valid({"MODEL_CARD.md": "# Churn model card\n\n## Limitations\n\nDo not score `data/train_2023.csv` "
                                "again: it was seen in training.\n",
               "train.py": _read.format(path="data/train_2024.csv")},
              note="a path named outside a training-data section"),
        Valid({"README.md": _hf, "train.py": _load.format(name="yelp_review_full"), "legacy.py": "def broken(:\n"},
              note="a module that does not parse may read it: unknown, nothing said"),
        Valid({"README.md": _hf, "train.py": "import sys\n\nfrom datasets import load_dataset\n\n"
                                             "train = load_dataset(sys.argv[1], split='train')\n"},
              note="the dataset is named on the command line: any dataset may be read, nothing said"),
        Valid({"MODEL_CARD.md": _card, "train.py": "import argparse\nimport csv\n\n"
                                                   "parser = argparse.ArgumentParser()\nparser.add_argument('--data')\n"
                                                   "rows = list(csv.reader(open(parser.parse_args().data)))\n",
               "docs/training.md": "# Training\n\n```bash\npython train.py --data data/train_2023.csv\n```\n"},
              note="a document's command passes the card's file to the training script"),
    )

    def check(self, project):
        cards = _data_cards(project)
        if not cards:
            return
        readers = _Readers(project, {card.path for card in cards})
        if not readers.pipeline or not readers.known:
            return
        for card in cards:
            named = [(dataset, line, None) for dataset, line in _card_datasets(card)]
            named += [(path, line, path) for path, line in (_card_paths(card, project) if card.doc else [])]
            seen: set[str] = set()
            for data, line, path in named:
                if data in seen:
                    continue
                seen.add(data)
                name = posixpath.basename(path) if path else None
                if readers.read(name or data, name, exclude=path):
                    continue
                what = data if path else f"the dataset {data}"
                yield self.finding(card.path, line, f"the model card names {what} as training data, but no code, "
                                   "config or pipeline stage in the repository reads it: the model may have been "
                                   "trained on other data since", anchor=f"card-data {data}",
                                   evidence={"data": data, "kind": "file" if path else "dataset",
                                             "searched": readers.searched()})
