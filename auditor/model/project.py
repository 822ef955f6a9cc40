"""The repository model: every file classified once, non-Python files parsed once, shared by all
rules together with the per-module facts, git history and CODEOWNERS."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Callable, Iterable

from auditor.config import Config
from auditor.ml.models import EXTENSION_FORMATS
from auditor.model.codeowners import CodeOwners
from auditor.model.docs import MARKDOWN_SUFFIXES, RST_SUFFIXES, FrontMatter, parse_document
from auditor.model.factstore import FactsView
from auditor.model.gitinfo import GitHistory
from auditor.model.rst import parse_rst
from auditor.model.units import ROOT, Units
from auditor.pathnames import posix_path

if TYPE_CHECKING:
    from auditor.analysis.artifacts import Artifact
    from auditor.analysis.program import ProgramGraph
    from auditor.model.docs import Document
    from auditor.model.factstore import FactStore

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# The C implementation of PyYAML's safe loader where it is built (it is in the common wheels):
# the same safe constructors, several times faster on large configs.


_LOADER: Any = None


def _yaml():
    """PyYAML and its safe loader (the C one where built), imported when a YAML file is first
    read: a scan answered from the cache reads none. The loader reads an application's own tags
    (mkdocs' ``!!python/name:``, ``!ENV``, CloudFormation's ``!Ref``) as the plain scalar, list or
    mapping they are written as: it never constructs them, so nothing is imported or run, and the
    file is not reported as broken because another program gives its tags a meaning."""
    global _LOADER
    import yaml

    if _LOADER is None:
        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class TagTolerantLoader(base):  # type: ignore[misc,valid-type]  # the C or Python safe loader
            pass

        def plain(loader, _suffix, node):
            if isinstance(node, yaml.MappingNode):
                return loader.construct_mapping(node)
            if isinstance(node, yaml.SequenceNode):
                return loader.construct_sequence(node)
            return loader.construct_scalar(node)

        TagTolerantLoader.add_multi_constructor("", plain)
        _LOADER = TagTolerantLoader
    return yaml, _LOADER

# A YAML document whose aliases expand beyond this many nodes is refused: a few hundred bytes of
# nested aliases ("billion laughs") would otherwise make every walk over the data run for hours.
MAX_YAML_NODES = 1_000_000


class YAMLTooLarge(ValueError):
    pass


def _expanded_nodes(node: Any, sizes: dict[int, int]) -> int:
    """How many nodes the document has once every alias is expanded (capped past the limit);
    aliases are the same node objects, so each is counted once and multiplied where used."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_YAML_NODES + 1  # a cycle (an alias inside its own anchor) is too large too
    total = 1
    value = node.value
    if isinstance(value, list):
        for item in value:
            for child in (item if isinstance(item, tuple) else (item,)):
                total += _expanded_nodes(child, sizes)
                if total > MAX_YAML_NODES:
                    break
    sizes[id(node)] = min(total, MAX_YAML_NODES + 1)
    return sizes[id(node)]


def load_yaml_documents(text: str) -> list[Any]:
    """Every document of a YAML text through the safe loader, each refused (``YAMLTooLarge``) when
    its aliases would expand beyond ``MAX_YAML_NODES``. Raises yaml.YAMLError when it does not parse."""
    yaml, loader_class = _yaml()
    loader = loader_class(text)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            if _expanded_nodes(node, {}) > MAX_YAML_NODES:
                line = node.start_mark.line + 1 if node.start_mark else None
                raise YAMLTooLarge(f"line {line}: aliases expand to more than {MAX_YAML_NODES:,} nodes (not read)")
            documents.append(loader.construct_document(node))
        return documents
    finally:
        loader.dispose()


def yaml_key_lines(text: str) -> dict[tuple, int]:
    """Key path -> line (1-based) of every key and list item of a YAML text; empty when it does
    not parse."""
    index: dict[tuple, int] = {}
    yaml, loader = _yaml()
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return index

    walked: set[int] = set()

    def walk(node: Any, path: tuple) -> None:
        if id(node) in walked:  # an alias: its keys' lines were recorded where it was defined
            return
        walked.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    sub = (*path, key.value)
                    index.setdefault(sub, key.start_mark.line + 1)
                    walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                index.setdefault((*path, i), item.start_mark.line + 1)
                walk(item, (*path, i))

    walk(node, ())
    return index


# Front matter is a few lines of metadata; a longer block is not read (and the document says so).
MAX_FRONT_MATTER_CHARS = 64_000
_FRONT_MATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)


def read_front_matter(text: str) -> FrontMatter | None:
    """The YAML between a document's first line ``---`` and the next ``---`` (or ``...``), read
    with the safe loader; None when the document does not open with one. Front matter that does not
    parse, or is longer than ``MAX_FRONT_MATTER_CHARS``, gives its reason in ``error``."""
    first = text.split("\n", 1)[0]
    if first.rstrip() != "---":
        return None
    end = _FRONT_MATTER_END.search(text, len(first) + 1)
    if end is None:
        return None  # a thematic break, not front matter
    if end.start() > MAX_FRONT_MATTER_CHARS:
        return FrontMatter(None, {}, f"front matter longer than {MAX_FRONT_MATTER_CHARS:,} characters (not read)")
    block = text[text.index("\n") + 1:end.start()]
    yaml, _ = _yaml()
    try:
        documents = load_yaml_documents(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}: " if mark else ""
        return FrontMatter(None, {}, f"front matter not read: {where}{' '.join(str(getattr(exc, 'problem', exc)).split())}")
    except (YAMLTooLarge, RecursionError, ValueError) as exc:
        return FrontMatter(None, {}, f"front matter not read: {exc}"[:300])
    data = documents[0] if len(documents) == 1 else None
    return FrontMatter(data, {path: line + 1 for path, line in yaml_key_lines(block).items()})


PYTHON, NOTEBOOK, CONFIG, REQUIREMENTS, LOCK, DOCKERFILE = "python", "notebook", "config", "requirements", "lock", "dockerfile"
ARTIFACT, CODEOWNERS, DOC, BUILD, OTHER = "artifact", "codeowners", "doc", "build", "other"
SCRIPT = "script"  # shell scripts: how a repository trains and deploys is often only written there
TEXT_KINDS = {CONFIG, REQUIREMENTS, LOCK, DOCKERFILE, CODEOWNERS, DOC, BUILD, SCRIPT}

LOCK_NAMES = {"poetry.lock", "uv.lock", "pipfile.lock", "pdm.lock", "conda-lock.yml", "conda-lock.yaml"}
CONFIG_SUFFIXES = {".yaml", ".yml", ".toml", ".json", ".cfg", ".ini", ".conf"}
DOC_SUFFIXES = {".md", ".rst", ".txt", ".adoc"}
_REQUIREMENTS = re.compile(r"(^|[-_.])(requirements|constraints|reqs)([-_.].*)?\.(txt|in|pip)$", re.I)


# Exact file names (lower case) and suffixes of each kind, checked in this order: names first,
# so "requirements.txt" is a requirements file before ".txt" makes it a document.
_BY_NAME = {
    "codeowners": CODEOWNERS, "owners": CODEOWNERS, **{n: LOCK for n in LOCK_NAMES}, "pipfile": REQUIREMENTS,
    "dockerfile": DOCKERFILE, "containerfile": DOCKERFILE,
    **{n: BUILD for n in ("makefile", "gnumakefile", "justfile", "procfile", "crontab", "jenkinsfile")},
    "mlmodel": ARTIFACT, "saved_model.pb": ARTIFACT, "dvc.lock": CONFIG, ".dvc": CONFIG,
    "readme": DOC, "runbook": DOC,
}
_BY_SUFFIX = {  # model files by their extension (auditor/ml/models.py), unless a config or document's
    ".py": PYTHON, ".pyw": PYTHON, ".ipynb": NOTEBOOK, ".mk": BUILD, ".cron": BUILD, ".sh": SCRIPT, ".bash": SCRIPT,
    ".dockerfile": DOCKERFILE, ".dvc": CONFIG, **dict.fromkeys(EXTENSION_FORMATS, ARTIFACT),
    **{s: CONFIG for s in CONFIG_SUFFIXES}, **{s: DOC for s in DOC_SUFFIXES},
}


def _is_requirements(p: PurePosixPath, name: str) -> bool:
    in_requirements_dir = any(part.lower() in ("requirements", "requirements.d") for part in p.parts[:-1])
    return bool(_REQUIREMENTS.search(name)) or (p.suffix.lower() in (".txt", ".in") and in_requirements_dir)


def classify(path: str) -> str:
    p = posix_path(path)
    name = p.name.lower()
    suffix = p.suffix.lower()
    if suffix in (".py", ".pyw", ".ipynb"):
        return _BY_SUFFIX[suffix]
    if name in _BY_NAME:
        return _BY_NAME[name]
    if _is_requirements(p, name):
        return REQUIREMENTS
    if name.startswith("dockerfile."):
        return DOCKERFILE
    if name in (".env", ".envrc") or name.startswith(".env."):
        return BUILD  # environment of the commands run here (PYTHONPATH: auditor/analysis/import_roots.py)
    return _BY_SUFFIX.get(suffix, OTHER)


@dataclass
class RepoFile:
    path: str  # repository-relative POSIX path
    kind: str
    size: int
    text: str | None = None  # decoded content for text kinds (configs, requirements, docs, ...)
    header: bytes = b""  # first bytes, for artifacts: sniffed, never loaded
    mtime: float | None = None  # file time: only for ages outside git (see auditor.analysis.artifacts)
    note: str | None = None  # decoding note (UTF-16, BOM, replacement characters)
    # A config or lock file: ``data`` (YAML documents are a list when there are several) and
    # ``parse_error`` ((line, message) when it does not parse) are parsed when first read, so a
    # scan answered from the cache never parses them.
    parses: bool = False

    @cached_property
    def _parsed(self) -> tuple[Any, tuple[int | None, str] | None]:
        return parse_config(self) if self.parses else (None, None)

    @property
    def data(self) -> Any:
        return self._parsed[0]

    @property
    def parse_error(self) -> tuple[int | None, str] | None:
        return self._parsed[1]

    @cached_property
    def doc(self) -> "Document | None":
        """A Markdown or reStructuredText document's code blocks, inline code and links
        (auditor/model/docs.py, auditor/model/rst.py), parsed when first read; None for any other file."""
        if self.kind != DOC or self.text is None:
            return None
        if self.suffix in RST_SUFFIXES:
            return parse_rst(self.text)
        return parse_document(self.text) if self.suffix in MARKDOWN_SUFFIXES else None

    @cached_property  # asked for many times per file by rules and the readiness index
    def name(self) -> str:
        return posix_path(self.path).name

    @cached_property
    def suffix(self) -> str:
        return posix_path(self.path).suffix.lower()

    @cached_property
    def front_matter(self) -> FrontMatter | None:
        """A Markdown document's YAML front matter (a Hugging Face model card's ``model-index``),
        read when first asked for; None when the document has none."""
        if self.kind != DOC or not self.text or self.suffix not in MARKDOWN_SUFFIXES:
            return None
        return read_front_matter(self.text)

    @property
    def caveats(self) -> str | None:
        """Why the file was read only in part, for the scan's degraded list: its decoding note, and
        front matter that does not read (said at once: the document itself is parsed when a rule asks)."""
        front = self.front_matter if self.text and self.text.startswith("---") else None
        reasons = [reason for reason in (self.note, front.error if front else None) if reason]
        return "; ".join(reasons) or None

    @cached_property
    def _yaml_lines(self) -> dict[tuple, int]:
        return yaml_key_lines(self.text) if self.text is not None else {}

    def line_of(self, *key_path: Any) -> int | None:
        """Best-effort line of a key in a config file (exact for YAML, textual otherwise)."""
        if self.text is None or not key_path:
            return None
        if self.suffix in (".yaml", ".yml", ".dvc") or self.name in ("dvc.lock",):
            line = self._yaml_lines.get(tuple(key_path))
            if line:
                return line
        last = str(key_path[-1])
        for number, text in enumerate(self.text.splitlines(), start=1):
            stripped = text.strip()
            if stripped.startswith((f'"{last}"', f"'{last}'", f"{last} ", f"{last}=", f"{last}:", f"[{last}]")) or \
                    stripped.endswith(f".{last}]"):
                return number
        return None

    def lines(self) -> list[str]:
        return self.text.splitlines() if self.text is not None else []


# JSON read by tools that accept comments and trailing commas (VS Code's JSONC: dev containers,
# editor settings, TypeScript configs): parsed as their readers parse them.
_JSONC_NAMES = frozenset({"devcontainer.json", ".devcontainer.json", "tsconfig.json", "jsconfig.json",
                          ".eslintrc.json", "launch.json", "settings.json", "tasks.json", "extensions.json"})
_JSONC_TOKENS = re.compile(r'("(?:\\.|[^"\\\n])*")|//[^\n]*|/\*[\s\S]*?\*/|,(?=\s*[}\]])')


def _is_jsonc(file: RepoFile) -> bool:
    name = file.name.lower()
    return file.suffix == ".jsonc" or name in _JSONC_NAMES or name.startswith("tsconfig.") or \
        file.path.startswith(".vscode/")


def _without_jsonc_extras(text: str) -> str:
    """JSONC as plain JSON: comments and trailing commas blanked (newlines kept, so a parse
    error's line is still the file's); strings left as they are."""
    return _JSONC_TOKENS.sub(lambda m: m.group(1) or re.sub(r"[^\n]", " ", m.group(0)), text)


def parse_config(file: RepoFile) -> tuple[Any, tuple[int | None, str] | None]:
    """(data, parse error) of a config file. YAML only through the safe loader."""
    text = file.text or ""
    yaml, loader = _yaml()
    try:
        if file.suffix in (".yaml", ".yml") or file.name in ("dvc.lock", "conda-lock.yml"):
            docs = load_yaml_documents(text)
            return (docs[0] if len(docs) == 1 else docs), None
        if file.suffix == ".toml" or file.name.lower() in ("pipfile", "poetry.lock", "uv.lock", "pdm.lock"):
            return tomllib.loads(text), None
        if file.suffix in (".json", ".jsonc") or file.name.lower() == "pipfile.lock":
            if _is_jsonc(file):
                text = _without_jsonc_extras(text)
            return (json.loads(text) if text.strip() else None), None
        if file.suffix == ".dvc":
            docs = load_yaml_documents(text)
            return (docs[0] if docs else None), None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, ((mark.line + 1) if mark else None, " ".join(str(getattr(exc, "problem", exc)).split()))
    except tomllib.TOMLDecodeError as exc:
        return None, (getattr(exc, "lineno", None), str(exc).split(" (at line")[0])
    except YAMLTooLarge as exc:
        return None, (None, str(exc))
    except (ValueError, RecursionError) as exc:
        return None, (getattr(exc, "lineno", None), str(exc).split(": line")[0])
    return None, None


# Files that serve every project of a repository: CI definitions and ownership.
_SHARED_PREFIXES = (".github/", ".gitlab/", ".circleci/", ".buildkite/", ".azure-pipelines/", "docs/CODEOWNERS")
_SHARED_NAMES = {"codeowners", "owners", ".gitlab-ci.yml", "azure-pipelines.yml", "jenkinsfile", "cloudbuild.yaml",
                 ".pre-commit-config.yaml", "renovate.json", ".travis.yml", "bitbucket-pipelines.yml"}


def is_shared_infrastructure(path: str) -> bool:
    return path.startswith(_SHARED_PREFIXES) or ("/" not in path and path.lower() in _SHARED_NAMES)


@dataclass
class Project:
    """What project-wide rules see. Built once per scan; rules must not modify it."""

    root: Path
    config: Config
    files: dict[str, RepoFile]
    facts: "FactStore"  # Python path -> extractor name -> facts, decoded a kind at a time (auditor/model/factstore.py)
    module_names: dict[str, str]  # Python path -> dotted module name
    git: GitHistory = field(default_factory=GitHistory)
    codeowners: CodeOwners = field(default_factory=CodeOwners)
    units: Units = field(default_factory=Units)  # the independent projects inside (auditor/model/units.py)
    now: float = 0.0  # scan time (unix seconds), injectable for reproducible tests
    # Files git tracks that the work tree lacks (their content is unknown, not missing)
    absent: frozenset[str] = frozenset()
    # Paths listed but not read (submodules, symbolic links to folders, unreadable files): what is
    # inside them is unknown, so a link into one is not a link to nothing
    unlisted: frozenset[str] = frozenset()
    # What analysis derives from the model on first use ("artifacts", "program"), given by the engine:
    # the model is below the analysis that reads it and imports none of it.
    builders: dict[str, Callable[["Project"], Any]] = field(default_factory=dict)

    def of_kind(self, *kinds: str) -> list[RepoFile]:
        return [f for f in self.files.values() if f.kind in kinds]

    def owners_of(self, path: str) -> tuple[str, ...]:
        return self.codeowners.owners_of(path)

    def age_days(self, path: str) -> float | None:
        when = self.git.last_commit_time(path)
        if when is None:
            return None
        return max(0.0, (self.now - when) / 86400)

    @cached_property
    def artifacts(self) -> list["Artifact"]:
        """Model artifacts: committed, LFS and DVC-tracked (auditor/analysis/artifacts.py), found on
        first use by the builder the engine gave."""
        return self.builders["artifacts"](self)

    @property
    def program(self) -> "ProgramGraph":
        """The whole-program graph (auditor/analysis/program.py), built on first use, once per scan,
        for every rule, by the builder the engine gave. Building it releases the symbols facts only
        the graph reads (``program.GRAPH_INPUTS``), so the memory they took serves the rules after it.
        Each use is noted (``FactStore.touch``): a rule that uses a graph another rule built depends
        on the facts that rule read."""
        self.facts.touch("program")
        built = self.__dict__.get("program")
        if built is None:
            built = self.__dict__["program"] = self.builders["program"](self)
        return built

    def restricted_to(self, unit: str, members: Iterable[str] | None = None) -> "Project":
        """The project as one of its units sees it: the unit's own files (``members``, when the
        caller has grouped them already), and the files that serve the whole repository (CI
        definitions, CODEOWNERS: ``is_shared_infrastructure``)."""
        own = set(members) if members is not None else {p for p in self.files if self.units.of(p) == unit}
        files = {p: f for p, f in self.files.items() if p in own or is_shared_infrastructure(p)}
        return replace(self, files=files, facts=FactsView(self.facts, set(files)),
                       module_names={p: n for p, n in self.module_names.items() if p in files},
                       units=Units([unit] if unit == ROOT else [ROOT, unit]))

    def fact(self, name: str) -> dict[str, Any]:
        """One extractor's facts for every Python module that produced them."""
        return self.facts.kind(name)
