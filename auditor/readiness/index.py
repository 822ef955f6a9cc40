"""Where things are in the repository, answered from the Project model once per scan.

Checks ask questions such as "which modules call mlflow.log_metric", "which configs mention
canaryTrafficPercent" or "which modules serve requests"; the index answers with evidence
(path, line), never by reading files.
"""

from __future__ import annotations

import posixpath
import re
from functools import cached_property, lru_cache
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable

from auditor.analysis.pipeline_configs import is_azure_pipeline
from auditor.ml.operations import FAILURE_CALLBACKS, FAILURE_SWITCHES
from auditor.ml.paths import is_test_path
from auditor.ml.serving import SERVING_LIBS, is_serving_module
from auditor.ml.training import PIPELINE_LIBS, is_training_module
from auditor.model.project import CONFIG, DOC, NOTEBOOK, PYTHON, Project
from auditor.model.sources import NOTEBOOK_CELLS, to_cell
from auditor.readiness.model import Evidence
from auditor.readiness.prefilter import fold, may_match

CI_PATH = re.compile(r"(^|/)\.github/workflows/[^/]+\.ya?ml$|(^|/)\.gitlab-ci\.ya?ml$|(^|/)azure-pipelines[^/]*\.ya?ml$"
                     r"|(^|/)\.circleci/config\.ya?ml$|(^|/)bitbucket-pipelines\.ya?ml$|(^|/)cloudbuild[^/]*\.ya?ml$"
                     r"|(^|/)buildspec[^/]*\.ya?ml$|(^|/)\.travis\.ya?ml$|(^|/)jenkinsfile$|(^|/)\.drone\.ya?ml$"
                     r"|(^|/)\.azure-pipelines/|(^|/)\.pipelines/[^/]+\.ya?ml$|(^|/)\.buildkite/[^/]+\.ya?ml$", re.I)


@lru_cache(maxsize=512)
def _prefix_sets(prefixes: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    return frozenset(prefixes), tuple(p for p in prefixes if p.startswith("."))


def _prefix_match(name: str, prefixes: Iterable[str]) -> bool:
    """``name`` is one of ``prefixes`` or lies under one on a dot boundary (``mlflow.sklearn.log_model``
    under ``mlflow``); a prefix starting with a dot matches as a suffix (``.log_model``). Set
    look-ups of the name's dotted heads, since this runs for every import and call of the project."""
    exact, suffixes = _prefix_sets(prefixes if isinstance(prefixes, tuple) else tuple(prefixes))
    if suffixes and name.endswith(suffixes):
        return True
    head = name
    while True:
        if head in exact:
            return True
        cut = head.rfind(".")
        if cut < 0:
            return False
        head = head[:cut]


_PREFIX_TABLES = ("calls", "imports", "scores")


def _heads(name: str) -> list[str]:
    """``a.b.c`` -> ``a.b.c``, ``a.b``, ``a`` (and ``""`` for a name starting with a dot), the keys
    under which ``_prefix_match`` would find it."""
    heads = [name]
    cut = name.rfind(".")
    while cut >= 0:
        name = name[:cut]
        heads.append(name)
        cut = name.rfind(".")
    return heads


_NOTICES = tuple(sorted(FAILURE_SWITCHES | FAILURE_CALLBACKS | {"email"}))

_TEMPLATE = re.compile(r"^\s*-?\s*template\s*:\s*['\"]?([^\s'\"@]+\.ya?ml)['\"]?\s*$", re.M)
_AZURE_KEYS = re.compile(r"^(pool|trigger|pr|schedules)\s*:", re.M)  # cheap test before parsing the YAML
_COMMENT_BEFORE = re.compile(r"(^|\s)#")

# What a row of each usage table shows, as evidence says it.
_SHOWS = {"calls": "calls `{}`", "imports": "imports `{}`", "methods": "calls `.{}()`", "kwargs": "passes `{}=`",
          "markers": "a name or string says {}",
          "notices": "sets `{}`", "scores": "calls `{}`", "scored_held_out": "{}", "newest": "picks the newest file: `{}`"}

# A usage table's rows (path, name, line), its look-up index, and its index by last dotted part.
_Table = tuple[list[tuple[str, str, int]], dict[str, list[int]], dict[str, list[int]]]


class Index:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.usage: dict[str, dict[str, Any]] = {
            path: facts for path, facts in sorted(project.fact("usage").items()) if isinstance(facts, dict)}
        self._tables: dict[str, _Table] = {}
        self._folded: dict[str, str] = {}  # text file -> its text as prefilter.may_match reads it
        self._cells: dict[str, Any] = project.fact(NOTEBOOK_CELLS)

    def at(self, path: str, line: int | None = None, why: str = "") -> Evidence:
        """Evidence at a line of ``path``; a line of a notebook's joined code becomes (cell, line in
        the cell), as findings show it, so the place is the one a reader opens."""
        starts = self._cells.get(path)
        if starts and line is not None:
            where = to_cell(starts, line)
            if where is not None:
                return Evidence(path, where[1], where[0], why)
        return Evidence(path, line, None, why)

    # -- file groups ----------------------------------------------------------------------------
    @cached_property
    def code_paths(self) -> list[str]:
        return sorted(p for p, f in self.project.files.items() if f.kind in (PYTHON, NOTEBOOK))

    @cached_property
    def test_paths(self) -> list[str]:
        return [p for p in self.code_paths if is_test_path(p)]

    @cached_property
    def source_paths(self) -> list[str]:
        """Python code that is not a test."""
        return [p for p in self.code_paths if not is_test_path(p)]

    @cached_property
    def production_paths(self) -> list[str]:
        """Modules, not notebooks or tests: a registry call in a tutorial notebook is not a release process."""
        return [p for p in self.source_paths if self.project.files[p].kind == PYTHON]

    def _paths_using(self, paths: list[str], libs: tuple[str, ...], named: Callable[[str], bool]) -> list[str]:
        """Those of ``paths`` that import one of ``libs`` or whose path says what they do."""
        return [path for path in paths
                if any(_prefix_match(imported, libs) for imported in self.usage.get(path, {}).get("imports", {}))
                or named(path)]

    @cached_property
    def serving_paths(self) -> list[str]:
        return self._paths_using(self.production_paths, SERVING_LIBS, is_serving_module)

    @cached_property
    def pipeline_paths(self) -> list[str]:
        """Training code and pipeline definitions (auditor/ml/training.py)."""
        return self._paths_using(self.source_paths, PIPELINE_LIBS, is_training_module)

    @cached_property
    def ci_paths(self) -> list[str]:
        """CI definitions: by their usual names, and Azure Pipelines by their schema wherever they are
        (auditor/analysis/pipeline_configs.py; `mlops/devops-pipelines/*.yml`)."""
        found = {p for p, f in self.project.files.items()
                 if CI_PATH.search(p) or (f.suffix in (".yml", ".yaml") and _AZURE_KEYS.search((f.text or "")[:20000])
                                          and is_azure_pipeline(f))}
        return sorted(found | self._templates_of(found))

    def _templates_of(self, ci: set[str]) -> set[str]:
        """Step templates of this repository that CI definitions include (`- template: /ci/tests.yml`;
        `file@other-repo` is another repository's): their steps run as part of the pipeline."""
        found: set[str] = set()
        queue = sorted(ci)
        while queue:
            path = queue.pop()
            for match in _TEMPLATE.finditer(self.project.files[path].text or ""):
                name = match.group(1)
                target = posixpath.normpath(name.lstrip("/") if name.startswith("/")
                                            else posixpath.join(posixpath.dirname(path), name))
                if target in self.project.files and target not in found and target not in ci:
                    found.add(target)
                    queue.append(target)
        return found

    def text_files(self, kinds: Iterable[str] | None = None, paths: Iterable[str] | None = None):
        chosen = set(kinds) if kinds is not None else None
        allowed = set(paths) if paths is not None else None
        for path in sorted(self.project.files):
            file = self.project.files[path]
            if file.text is None or (chosen is not None and file.kind not in chosen):
                continue
            if allowed is not None and path not in allowed:
                continue
            yield file

    # -- Python facts ---------------------------------------------------------------------------
    def _rows(self, table: str) -> _Table:
        """Every (path, name, line) of a usage table in path order, an index from each key a
        look-up can use to the rows: for prefix tables (calls, imports) every dotted head of the
        name (``a``, ``a.b``, ``a.b.c``), otherwise the name itself; and for prefix tables an
        index by the name's last dotted part, for suffix look-ups. Built once per table."""
        cached = self._tables.get(table)
        if cached is None:
            rows: list[tuple[str, str, int]] = []
            index: dict[str, list[int]] = {}
            tails: dict[str, list[int]] = {}
            prefixed = table in _PREFIX_TABLES
            for path, facts in self.usage.items():
                entries = facts.get(table, {})
                if not isinstance(entries, dict):
                    continue
                for name, line in entries.items():
                    for key in (_heads(name) if prefixed else (name,)):
                        index.setdefault(key, []).append(len(rows))
                    if prefixed:
                        tails.setdefault(name.rsplit(".", 1)[-1], []).append(len(rows))
                    rows.append((path, name, line))
            cached = self._tables[table] = (rows, index, tails)
        return cached

    def _table(self, table: str, names: Iterable[str], paths: Iterable[str] | None) -> list[Evidence]:
        rows, index, tails = self._rows(table)
        hits: set[int] = set()
        for name in names:
            hits.update(index.get(name, ()))
            if name.startswith(".") and table in _PREFIX_TABLES:  # a suffix: ".log_model"
                # a name ending with it ends with its last dotted part too
                candidates = tails.get(name.rsplit(".", 1)[-1], ())
                hits.update(i for i in candidates if rows[i][1].endswith(name))
        allowed = set(paths) if paths is not None else None
        shows = _SHOWS.get(table, "`{}`")
        return [self.at(rows[i][0], rows[i][2], shows.format(rows[i][1])) for i in sorted(hits)
                if allowed is None or rows[i][0] in allowed]

    def calls(self, *names: str, paths: Iterable[str] | None = None) -> list[Evidence]:
        """Calls of these qualified names or anything under them (``mlflow`` matches ``mlflow.log_metric``);
        a name starting with a dot matches the end (``.log_model`` matches ``mlflow.sklearn.log_model``)."""
        found = self._table("calls", names, paths)
        methods = [name[1:] for name in names if name.startswith(".")]
        if methods:  # `MlflowClient().create_model_version(...)`: a method of an object, not an import
            found += self._table("methods", methods, paths)
        return found

    def library_calls(self, names: Iterable[str], owners: dict[str, tuple[str, ...]],
                      paths: Iterable[str] | None = None) -> list[Evidence]:
        """``calls`` of ``names``, where a method name (``.log_params``) counts only on an object of a
        library ``owners`` gives it: a call resolved under one of them, or a method called in a module
        that imports one (``client.log_param(...)`` beside ``import mlflow``)."""
        names = tuple(names)
        allowed = set(paths) if paths is not None else None
        found = []
        for table, shows in (("calls", "calls `{}`"), ("methods", "calls `.{}()`")):
            rows, index, tails = self._rows(table)
            hits: set[int] = set()
            for name in names:
                libs = owners.get(name, ())
                if table == "calls" and not name.startswith("."):
                    hits.update(index.get(name, ()))
                elif table == "calls":
                    hits.update(i for i in tails.get(name[1:].rsplit(".", 1)[-1], ()) if rows[i][1].endswith(name)
                                and (_prefix_match(rows[i][1], libs) or self._imports_any(rows[i][0], libs)))
                elif name.startswith("."):
                    hits.update(i for i in index.get(name[1:], ()) if self._imports_any(rows[i][0], libs))
            found += [self.at(rows[i][0], rows[i][2], shows.format(rows[i][1])) for i in sorted(hits)
                      if allowed is None or rows[i][0] in allowed]
        return found

    def _imports_any(self, path: str, libraries: tuple[str, ...]) -> bool:
        return bool(libraries) and any(_prefix_match(name, libraries) for name in self.usage.get(path, {}).get("imports", {}))

    def imports(self, *modules: str, paths: Iterable[str] | None = None) -> list[Evidence]:
        return self._table("imports", modules, paths)

    def scores(self, *names: str, paths: Iterable[str] | None = None) -> list[Evidence]:
        """Metric calls whose rows are not named for training (``r2_score(y_test, ...)``)."""
        return self._table("scores", names, paths)

    def scored_held_out(self, paths: Iterable[str] | None = None) -> list[Evidence]:
        """Held-out names (``y_test``, ``val_ds``) passed to a metric or score call."""
        return self._table("scored_held_out", [name for _, name, _ in self._rows("scored_held_out")[0]], paths)

    def newest_files(self, paths: Iterable[str] | None = None) -> list[Evidence]:
        """Files picked by their modification time (``max(files, key=os.path.getmtime)``)."""
        return self._table("newest", [name for _, name, _ in self._rows("newest")[0]], paths)

    def methods(self, *names: str, paths: Iterable[str] | None = None) -> list[Evidence]:
        return self._table("methods", names, paths)

    def kwargs(self, *names: str, paths: Iterable[str] | None = None) -> list[Evidence]:
        return self._table("kwargs", names, paths)

    def markers(self, *names: str, paths: Iterable[str] | None = None) -> list[Evidence]:
        return self._table("markers", names, paths)

    def notices(self, paths: Iterable[str] | None = None, switched_off: bool = False) -> list[Evidence]:
        """Failure notices switched on in the code (auditor/ml/operations.py: an Airflow task's e-mail
        with mails on failure left on, a failure callback), or with ``switched_off`` those turned off."""
        if switched_off:
            return [Evidence(ev.path, ev.line, ev.cell, "`email_on_failure` is False: the task's e-mail is never sent")
                    for ev in self._table("notices_off", ("email_on_failure",), paths)]
        return self._table("notices", _NOTICES, paths)

    def defs(self, pattern: re.Pattern, paths: Iterable[str] | None = None) -> list[Evidence]:
        allowed = set(paths) if paths is not None else None
        return [self.at(path, line, f"defines `{name}`") for path, facts in self.usage.items()
                if allowed is None or path in allowed
                for name, line in facts.get("defs", {}).items() if pattern.search(name)]

    def string_args(self, call_names: Iterable[str], pattern: re.Pattern) -> list[Evidence]:
        """Calls of these names with a literal string argument matching ``pattern``."""
        names = tuple(call_names)
        found = []
        for path, facts in self.usage.items():
            for call, literals in facts.get("strings", {}).items():
                if _prefix_match(call, names) and isinstance(literals, dict):
                    found.extend(self.at(path, line, f"calls `{call}` with {text!r}")
                                 for text, line in literals.items() if pattern.search(text))
        return found

    def uris(self, pattern: re.Pattern) -> list[tuple[Evidence, str]]:
        return [(self.at(path, line, f"names `{uri}`"), uri) for path, facts in self.usage.items()
                for uri, line in facts.get("uris", {}).items() if pattern.search(uri)]

    def io(self, table: str, paths: Iterable[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
        """Model saves or loads: (path, {"call", "line", "path", "kind"})."""
        allowed = set(paths) if paths is not None else None
        return [(path, entry) for path, facts in self.usage.items()
                if allowed is None or path in allowed
                for entry in facts.get(table, []) if isinstance(entry, dict)]

    # -- text files -----------------------------------------------------------------------------
    def grep(self, pattern: re.Pattern, kinds: Iterable[str] | None = None, paths: Iterable[str] | None = None,
             path_pattern: re.Pattern | None = None, per_file: int = 1,
             exclude: re.Pattern | None = None) -> list[Evidence]:
        """Lines of text files (configs, docs, Dockerfiles, scripts, ...) matching ``pattern``;
        a match on a line that also matches ``exclude`` does not count. Files without the words the
        pattern needs are skipped unread by the pattern (``prefilter``). Never a notebook's JSON:
        its outputs and markdown are not code, and its lines are not the ones a reader sees (the
        usage facts hold its code)."""
        found = []
        for file in self.text_files(kinds, paths):
            if file.kind == NOTEBOOK:
                continue
            if path_pattern is not None and not path_pattern.search(file.path):
                continue
            text = file.text or ""
            if file.path not in self._folded:
                self._folded[file.path] = fold(text)
            if not may_match(pattern, self._folded[file.path]):
                continue
            count = 0
            comments = file.kind != DOC  # `#` starts a comment in YAML, shell, Dockerfiles and Makefiles
            for match in pattern.finditer(text):
                start = text.rfind("\n", 0, match.start()) + 1
                end = text.find("\n", match.end())
                if exclude is not None and exclude.search(text[start:end if end >= 0 else len(text)]):
                    continue
                if comments and _COMMENT_BEFORE.search(text[start:match.start()]):
                    continue  # said in a comment: `push:  # for full deployment`
                line_text = text[start:end if end >= 0 else len(text)].strip()
                shown = line_text if len(line_text) <= 80 else line_text[:77] + "..."
                found.append(Evidence(file.path, text.count("\n", 0, match.start()) + 1, None, f"`{shown}`"))
                count += 1
                if count >= per_file:
                    break
        return found

    def settings(self, reader: Callable[[Any], Iterable[tuple[tuple, str, bool]]],
                 paths: Iterable[str] | None = None) -> tuple[list[Evidence], list[Evidence]]:
        """The settings a schema ``reader`` (auditor/ml/operations.py) finds in each parsed config file:
        (those that count, those that do not, each at the line of its key)."""
        counted: list[Evidence] = []
        not_counted: list[Evidence] = []
        for file in self.text_files((CONFIG,), paths):
            data = file.data
            if not isinstance(data, (dict, list)):
                continue
            for key_path, meaning, counts in reader(data):
                (counted if counts else not_counted).append(Evidence(file.path, file.line_of(*key_path), None, meaning))
        return counted, not_counted

    def files(self, pattern: re.Pattern) -> list[Evidence]:
        return [Evidence(path) for path in sorted(self.project.files) if pattern.search(path)]

    def docs(self, pattern: re.Pattern) -> list[Evidence]:
        return self.grep(pattern, kinds=(DOC,))

    def configs(self, pattern: re.Pattern, path_pattern: re.Pattern | None = None) -> list[Evidence]:
        return self.grep(pattern, kinds=(CONFIG,), path_pattern=path_pattern)

    @staticmethod
    def short(path: str) -> str:
        return PurePosixPath(path).name
