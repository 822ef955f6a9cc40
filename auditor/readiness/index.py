"""Where things are in the repository, answered from the Project model once per scan.

Checks ask questions such as "which modules call mlflow.log_metric", "which configs mention
canaryTrafficPercent" or "which modules serve requests"; the index answers with evidence
(path, line), never by reading files.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import posixpath
import re
from functools import cached_property, lru_cache
from typing import Any, Callable, Iterable

from auditor.analysis.pipeline_configs import is_azure_pipeline
from auditor.ml.operations import FAILURE_CALLBACKS, FAILURE_SWITCHES
from auditor.ml.paths import is_test_path
from auditor.ml.serving import SERVING_LIBS, is_serving_module
from auditor.ml.training import PIPELINE_LIBS, is_training_module
from auditor.model.project import CONFIG, DOC, NOTEBOOK, PYTHON, Project
from auditor.model.sources import NOTEBOOK_CELLS, to_cell
from auditor.pathnames import posix_path
from auditor.readiness.model import Evidence
from auditor.readiness.prefilter import fold, may_match, needles

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


def _encoded(value: Any) -> Any:
    """A question's argument as JSON (a pattern as its source and flags)."""
    if isinstance(value, re.Pattern):
        return {"__re__": [value.pattern, int(value.flags)]}
    if isinstance(value, (list, tuple)):
        return [_encoded(item) for item in value]
    if isinstance(value, dict):
        return {key: _encoded(item) for key, item in value.items()}
    return value


def _decoded(value: Any) -> Any:
    if isinstance(value, dict) and "__re__" in value:
        return re.compile(value["__re__"][0], re.RegexFlag(value["__re__"][1]))
    if isinstance(value, list):
        return tuple(_decoded(item) for item in value)
    if isinstance(value, dict):
        return {key: _decoded(item) for key, item in value.items()}
    return value


def _item_path(item: Any) -> str:
    """The module an item of a question's answer comes from: an Evidence, (path, entry),
    (Evidence, uri) or a path."""
    if isinstance(item, tuple):
        item = item[0]
    return item.path if isinstance(item, Evidence) else item


# Questions about one module, named by their first argument; the others' answers are lists of
# items, each from one module (``_item_path``).
_ABOUT_ONE_MODULE = frozenset({"names_in", "module_fact", "has_usage"})


class Questions:
    """What a gathering asked of the modules' usage facts, by group (``group``: one check of one
    unit, set by the gatherer), and each module's part of each answer (before any ``paths``
    restriction): ``module_digests``."""

    def __init__(self) -> None:
        self.group = ""
        self.asked: dict[str, dict[str, None]] = {}  # group -> questions, in the order first asked
        self._parts: dict[str, dict[str, dict[str, str]]] = {}  # path -> group -> question -> part

    def record(self, question: str, name: str, args: tuple, answer: Any) -> None:
        self.asked.setdefault(self.group, {}).setdefault(question, None)
        if name in _ABOUT_ONE_MODULE:
            parts = {args[0]: [answer]}
        else:
            parts = {}
            for item in answer:
                parts.setdefault(_item_path(item), []).append(item)
        for path, part in parts.items():
            # a question asked again in the group gives a module the same part
            self._parts.setdefault(path, {}).setdefault(self.group, {}).setdefault(question, repr(part))

    def module_digests(self) -> dict[str, dict[str, str]]:
        """Module -> group -> a digest of the module's parts of the group's answers, for the
        modules and groups that have any."""
        return {path: {group: hashlib.sha256("\0".join(f"{q}\0{part}" for q, part in sorted(parts.items()))
                                             .encode("utf-8", "surrogatepass")).hexdigest()[:32]
                       for group, parts in groups.items()}
                for path, groups in self._parts.items()}


# The names of the methods that are questions: the only ones ``module_answers`` calls.
_QUESTIONS: set[str] = set()
# The index's own groups of modules, kept by name when a question is restricted to one of them.
_PATH_GROUPS = ("code_paths", "test_paths", "source_paths", "production_paths", "ci_paths",
                "serving_paths", "pipeline_paths")
_ROLE_OF = {"serving_paths": "serving", "pipeline_paths": "pipeline"}


def _question(method):
    """A method that reads the modules' usage facts. It answers for every module, and ``paths``
    (when given) keeps some modules' part. This wrapper keeps the question (its name, arguments
    and ``paths``: the name of one of the index's groups, or the list) and the answer in
    ``Index.questions``, so that ``module_answers`` can ask it again of one module and compare.
    A module outside ``paths`` has no part: whether it is inside rests on its path and kind
    (files are in the stored gathering's key), on its own answers (serving and pipeline modules
    are a question), or on what the check made of earlier answers of its group, which are the
    same while every module's parts of them are."""
    name = method.__name__
    _QUESTIONS.add(name)

    @functools.wraps(method)
    def asked(self, *args, paths: Iterable[str] | None = None, **kwargs):
        answer = method(self, *args, **kwargs)
        if paths is not None:
            allowed = set(paths)
            answer = [item for item in answer if _item_path(item) in allowed]
        if self.questions is not None:
            question = [name, _encoded(args), _encoded(kwargs)]
            if paths is not None:
                question.append(self._group_named(paths) or sorted(allowed))
            self.questions.record(json.dumps(question), name, args, answer)
        return answer
    return asked


class Index:
    """``usage`` and ``cells``: the modules' facts to answer from (default: every module's). With
    ``questions``, every question asked of the usage facts is kept there with its answer."""

    def __init__(self, project: Project, usage: dict[str, Any] | None = None, cells: dict[str, Any] | None = None,
                 questions: Questions | None = None) -> None:
        self.project = project
        self.usage: dict[str, dict[str, Any]] = {
            path: facts for path, facts in sorted((project.fact("usage") if usage is None else usage).items())
            if isinstance(facts, dict)}
        self._tables: dict[str, _Table] = {}
        self._texts: dict[str, tuple[list[str], str, list[int]]] = {}  # table -> ``_name_text``
        self._holding: dict[tuple[str, str], set[int]] = {}  # (table, needle) -> ``_names_holding``
        self._folded: dict[str, str] = {}  # text file -> its text as prefilter.may_match reads it
        self._cells: dict[str, Any] = project.fact(NOTEBOOK_CELLS) if cells is None else cells
        self.questions = questions
        self._paths_by_role: dict[str, list[str]] = {}

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

    def _group_named(self, paths: Any) -> str | None:
        """Which of ``_PATH_GROUPS`` ``paths`` is (the very list the index made), without using
        one that was not made yet (serving and pipeline modules are a question)."""
        for group in _PATH_GROUPS:
            made = self._paths_by_role.get(_ROLE_OF[group]) if group in _ROLE_OF else self.__dict__.get(group)
            if made is not None and made is paths:
                return group
        return None

    # Properties, not cached: each use is a question of the group that uses it (``paths_using``).
    @property
    def serving_paths(self) -> list[str]:
        return self.paths_using("serving")

    @property
    def pipeline_paths(self) -> list[str]:
        """Training code and pipeline definitions (auditor/ml/training.py)."""
        return self.paths_using("pipeline")

    @_question
    def paths_using(self, role: str) -> list[str]:
        """``serving``: production modules that import a serving library or are named for serving;
        ``pipeline``: source modules that import a pipeline library or are named for training."""
        found = self._paths_by_role.get(role)
        if found is None:
            if role == "serving":
                found = self._paths_using(self.production_paths, SERVING_LIBS, is_serving_module)
            else:
                found = self._paths_using(self.source_paths, PIPELINE_LIBS, is_training_module)
            self._paths_by_role[role] = found
        return found

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

    def _table(self, table: str, names: Iterable[str]) -> list[Evidence]:
        rows, index, tails = self._rows(table)
        hits: set[int] = set()
        for name in names:
            hits.update(index.get(name, ()))
            if name.startswith(".") and table in _PREFIX_TABLES:  # a suffix: ".log_model"
                # a name ending with it ends with its last dotted part too
                candidates = tails.get(name.rsplit(".", 1)[-1], ())
                hits.update(i for i in candidates if rows[i][1].endswith(name))
        shows = _SHOWS.get(table, "`{}`")
        return [self.at(rows[i][0], rows[i][2], shows.format(rows[i][1])) for i in sorted(hits)]

    # Each question below answers for every module; ``paths`` (see ``_question``) keeps those of
    # some modules only.
    @_question
    def calls(self, *names: str) -> list[Evidence]:
        """Calls of these qualified names or anything under them (``mlflow`` matches ``mlflow.log_metric``);
        a name starting with a dot matches the end (``.log_model`` matches ``mlflow.sklearn.log_model``)."""
        found = self._table("calls", names)
        methods = [name[1:] for name in names if name.startswith(".")]
        if methods:  # `MlflowClient().create_model_version(...)`: a method of an object, not an import
            found += self._table("methods", methods)
        return found

    @_question
    def library_calls(self, names: Iterable[str], owners: dict[str, tuple[str, ...]]) -> list[Evidence]:
        """``calls`` of ``names``, where a method name (``.log_params``) counts only on an object of a
        library ``owners`` gives it: a call resolved under one of them, or a method called in a module
        that imports one (``client.log_param(...)`` beside ``import mlflow``)."""
        names = tuple(names)
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
            found += [self.at(rows[i][0], rows[i][2], shows.format(rows[i][1])) for i in sorted(hits)]
        return found

    def _imports_any(self, path: str, libraries: tuple[str, ...]) -> bool:
        return bool(libraries) and any(_prefix_match(name, libraries) for name in self.usage.get(path, {}).get("imports", {}))

    @_question
    def imports(self, *modules: str) -> list[Evidence]:
        return self._table("imports", modules)

    @_question
    def scores(self, *names: str) -> list[Evidence]:
        """Metric calls whose rows are not named for training (``r2_score(y_test, ...)``)."""
        return self._table("scores", names)

    @_question
    def scored_held_out(self) -> list[Evidence]:
        """Held-out names (``y_test``, ``val_ds``) passed to a metric or score call."""
        return self._table("scored_held_out", [name for _, name, _ in self._rows("scored_held_out")[0]])

    @_question
    def newest_files(self) -> list[Evidence]:
        """Files picked by their modification time (``max(files, key=os.path.getmtime)``)."""
        return self._table("newest", [name for _, name, _ in self._rows("newest")[0]])

    @_question
    def methods(self, *names: str) -> list[Evidence]:
        return self._table("methods", names)

    @_question
    def kwargs(self, *names: str) -> list[Evidence]:
        return self._table("kwargs", names)

    @_question
    def markers(self, *names: str) -> list[Evidence]:
        return self._table("markers", names)

    @_question
    def notices(self, switched_off: bool = False) -> list[Evidence]:
        """Failure notices switched on in the code (auditor/ml/operations.py: an Airflow task's e-mail
        with mails on failure left on, a failure callback), or with ``switched_off`` those turned off."""
        if switched_off:
            return [Evidence(ev.path, ev.line, ev.cell, "`email_on_failure` is False: the task's e-mail is never sent")
                    for ev in self._table("notices_off", ("email_on_failure",))]
        return self._table("notices", _NOTICES)

    @_question
    def defs(self, pattern: re.Pattern) -> list[Evidence]:
        """Definitions whose name ``pattern`` finds."""
        rows, index, _ = self._rows("defs")
        hits = sorted(i for name in self._names_matching("defs", pattern) for i in index[name])
        return [self.at(rows[i][0], rows[i][2], f"defines `{rows[i][1]}`") for i in hits]

    def _names_matching(self, table: str, pattern: re.Pattern) -> list[str]:
        """The distinct names of a usage table that ``pattern`` finds. Searched only in the names
        that hold every string one way of matching needs (``prefilter.needles``); which names hold
        a string is found once per string, by scanning all the names' folded text at once (a
        1M-line tree has 46,000 distinct definition names, and six patterns search them)."""
        names = self._name_text(table)[0]
        ways = needles(pattern)
        if any(not way for way in ways):
            return [name for name in names if pattern.search(name)]
        candidates: set[int] = set()
        for way in ways:
            holding = sorted((self._names_holding(table, needle) for needle in way), key=len)
            candidates |= holding[0].intersection(*holding[1:])
        return [names[number] for number in sorted(candidates) if pattern.search(names[number])]

    def _names_holding(self, table: str, needle: str) -> set[int]:
        """The numbers of a table's distinct names whose folded form contains ``needle``."""
        key = (table, needle)
        found = self._holding.get(key)
        if found is None:
            _, text, starts = self._name_text(table)
            found = self._holding[key] = set()
            at = text.find(needle)
            while at >= 0:
                number = bisect.bisect_right(starts, at) - 1
                found.add(number)
                at = text.find(needle, starts[number + 1] if number + 1 < len(starts) else len(text))
        return found

    def _name_text(self, table: str) -> tuple[list[str], str, list[int]]:
        """A table's distinct names, their folded forms joined by newlines, and where each starts."""
        cached = self._texts.get(table)
        if cached is None:
            names = list(self._rows(table)[1])
            folded = [fold(name) for name in names]
            starts, at = [], 0
            for name in folded:
                starts.append(at)
                at += len(name) + 1
            cached = self._texts[table] = (names, "\n".join(folded), starts)
        return cached

    @_question
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

    @_question
    def uris(self, pattern: re.Pattern) -> list[tuple[Evidence, str]]:
        return [(self.at(path, line, f"names `{uri}`"), uri) for path, facts in self.usage.items()
                for uri, line in facts.get("uris", {}).items() if pattern.search(uri)]

    @_question
    def io(self, table: str) -> list[tuple[str, dict[str, Any]]]:
        """The entries of a usage table of records (model ``saves`` or ``loads``: {"call", "line",
        "path", "kind"}; Dagster ``assets`` and ``io_managers``), each with its module: (path, entry)."""
        return [(path, entry) for path, facts in self.usage.items()
                for entry in facts.get(table, []) if isinstance(entry, dict)]

    @_question
    def names_in(self, path: str, *tables: str) -> list[str]:
        """Every name of these usage tables of one module (imports, calls, methods, defs, ...)."""
        facts = self.usage.get(path, {})
        return [name for table in tables for name in (facts.get(table) or {})]

    @_question
    def module_fact(self, path: str, key: str) -> Any:
        """One entry of a module's usage facts (``main``, ``strings``), None where it has none."""
        return self.usage.get(path, {}).get(key)

    @_question
    def has_usage(self, path: str) -> bool:
        """Whether ``path`` is a module with usage facts (Python code that parsed)."""
        return path in self.usage

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
        return posix_path(path).name


def module_answers(project: Project, asked: dict[str, list[str]], path: str, usage: Any,
                   cells: Any) -> dict[str, str]:
    """One module's digest of its part of each group's answers (``asked``: group -> questions, as
    a gathering's ``Questions.asked`` kept them), from its facts alone, as
    ``Questions.module_digests`` gives it (groups where it has no part left out). Every answer is
    its modules' parts in path order, so a group whose questions get, module by module, the parts
    they got before asks the same questions again and comes to the same result: the early cutoff
    of the readiness score (auditor/scan/engine.py)."""
    questions = Questions()
    ix = Index(project, usage={path: usage}, cells={path: cells} if cells is not None else {}, questions=questions)
    for group, asked_in_group in asked.items():
        questions.group = group
        for question in asked_in_group:
            name, args, kwargs, *restricted = json.loads(question)
            if name not in _QUESTIONS or len(restricted) > 1:
                raise ValueError(f"not a question of the index: {name!r}")
            paths = restricted[0] if restricted else None
            if isinstance(paths, str):
                if paths not in _PATH_GROUPS:
                    raise ValueError(f"not a group of the index: {paths!r}")
                paths = getattr(ix, paths)
            try:
                getattr(ix, name)(*_decoded(args), paths=paths, **_decoded(kwargs))
            except re.error as exc:
                raise ValueError(f"a stored question's pattern does not compile: {exc}") from exc
    return questions.module_digests().get(path, {})
