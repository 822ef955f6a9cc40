"""The rule abstraction: self-describing, self-testing units of detection.

Three kinds, chosen by input:
- ``ModuleRule``: one Python module or notebook at a time, in the per-file worker;
- ``FileRule``: one non-Python file (config, requirements, artifact, ...) at a time;
- ``ProjectRule``: the whole repository model, after every file's facts are collected.

Rules never read files: they receive the parsed module, the file, or the project model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Union

from auditor.analysis.pymodule import Extractor  # noqa: F401 -- re-exported: the rule API is one import for rule authors
from auditor.finding import CATEGORIES, CONFIDENCES, SEVERITIES, Finding, Fix, normalise_anchor  # noqa: F401 -- Fix: for rule authors

if TYPE_CHECKING:
    from auditor.analysis.pymodule import ParsedModule
    from auditor.model.project import Project, RepoFile

RULE_ID = re.compile(r"^ML\d{3}$")
# A plugin's rules carry its own prefix (ML is mlaudit's): ACME101, SEC042.
PLUGIN_RULE_ID = re.compile(r"^(?!ML\d)[A-Z][A-Z0-9]{1,7}\d{3}$")
RULE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

FileContent = Union[str, bytes]
Expectation = Union[int, tuple]  # a line (single-file example) or (path, line) or (path, line, cell)


# A sentence ends at . ! or ? before a space and a capital or the end ("e.g. ``x``" does not end one).
_FIRST_SENTENCE = re.compile(r"(.+?(?<!e\.g)(?<!i\.e)(?<!\bvs)[.!?])(?=\s+[A-Z`(]|$)")


@dataclass(frozen=True)
class Option:
    """A per-rule setting: ``[tool.mlaudit.rules.ML301] max-age-days = 90``.

    ``check`` returns an error message for a value of the right type that is still invalid.
    """

    type: type
    default: Any
    help: str
    check: Any = None  # Callable[[Any], str | None]


def _nested_repeat(items) -> bool:
    """A repeated group that itself contains an unbounded repeat, as in ``(a+)+``."""
    try:  # the stdlib's own pattern parser (its modules were renamed in Python 3.11)
        from re import _constants as constants
        from re import _parser as parser
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_constants as constants
        import sre_parse as parser

    repeats = (constants.MAX_REPEAT, constants.MIN_REPEAT, getattr(constants, "POSSESSIVE_REPEAT", None))

    def walk(sub, inside_repeat: bool) -> bool:
        for op, arg in sub:
            if op in repeats:
                low, high, body = arg
                unbounded = high == constants.MAXREPEAT or high > 1
                if unbounded and inside_repeat:
                    return True
                if walk(body, inside_repeat or unbounded):
                    return True
            elif op == constants.SUBPATTERN and walk(arg[-1], inside_repeat):
                return True
            elif op == constants.BRANCH and any(walk(branch, inside_repeat) for branch in arg[1]):
                return True
        return False

    return walk(parser.parse(items), False)


def regex_check(value: str) -> str | None:
    """A regular expression from a repository's configuration: valid, and without a repeat inside a
    repeat (``(a+)+``), which Python's backtracking engine can take exponential time to match."""
    try:
        re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression: {exc}"
    if _nested_repeat(value):
        return ("repeats a group that itself repeats (like `(a+)+`): matching it can take exponential time; "
                "write it without the nested repeat")
    return None


@dataclass(frozen=True)
class Example:
    """A small repository and the findings the rule must give on it, run by the test suite.

    ``files`` maps repository paths to content; a plain string is ``example.py``. ``git`` maps
    paths to the age in days of the commit that last touched them (the test builds that history).
    ``expect`` lists (path, line) pairs, or bare lines for the single-file form; it is exact.
    ``authors`` names the author of a path's commit (default: Dana Demo <dana@example.com>).
    """

    files: dict[str, FileContent]
    expect: tuple[Expectation, ...] = ()
    git: dict[str, float] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    authors: dict[str, str] | None = None  # path -> "Name <email>" of the commit that last touched it

    @property
    def valid(self) -> bool:
        return not self.expect


def _files(code: str | dict[str, FileContent]) -> dict[str, FileContent]:
    return {"example.py": code} if isinstance(code, str) else dict(code)


def Valid(code: str | dict[str, FileContent], *, git: dict[str, float] | None = None,
          config: dict[str, Any] | None = None, note: str = "", authors: dict[str, str] | None = None) -> Example:
    """Code on which the rule must report nothing."""
    return Example(_files(code), (), git, config or {}, note, authors)


def Invalid(code: str | dict[str, FileContent], expect: Iterable[Expectation], *,
            git: dict[str, float] | None = None, config: dict[str, Any] | None = None,
            note: str = "", authors: dict[str, str] | None = None) -> Example:
    """Code on which the rule must report exactly the ``expect`` locations."""
    expected = tuple(expect)
    if not expected:
        raise ValueError("an Invalid example needs at least one expected finding")
    return Example(_files(code), expected, git, config or {}, note, authors)


class Rule:
    """Metadata shared by every rule kind. The class docstring says what the rule does."""

    id: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]
    severity: ClassVar[str]
    confidence: ClassVar[str]
    rationale: ClassVar[str]  # why it hurts in production
    remediation: ClassVar[str]  # how to fix it
    examples: ClassVar[tuple[Example, ...]]
    options: ClassVar[dict[str, Option]] = {}
    provided_by: ClassVar[str | None] = None  # "distribution version" of a plugin's rule; None: mlaudit's own
    help_uri: ClassVar[str | None] = None  # a plugin's page for the rule; mlaudit's own rules have docs/rules/ID.md
    fix: ClassVar[Fix | None] = None  # what `mlaudit fix` does for the rule's findings (auditor/fix/)

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        resolved = {key: opt.default for key, opt in self.options.items()}
        resolved.update(options or {})
        self.settings = resolved

    @classmethod
    def summary(cls) -> str:
        """The docstring's first sentence, whole even when it wraps over several lines."""
        paragraph = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        match = _FIRST_SENTENCE.match(paragraph)
        return match.group(1) if match else paragraph

    @classmethod
    def fix_for(cls, finding: Finding) -> dict[str, str] | None:
        """The fix offered for one finding (JSON ``fix``), from the finding alone. A rule whose fix
        depends on the case (a safe loader swap or an unsafe one) overrides this."""
        return cls.fix.to_json() if cls.fix is not None else None

    @classmethod
    def page_url(cls) -> str | None:
        """Where a reader learns the rule (SARIF helpUri): mlaudit's page for its own rules, the plugin's
        ``help_uri`` for a plugin's (none when it gives none: we never guess another project's site)."""
        if cls.provided_by is None:
            from auditor import rule_page_url

            return rule_page_url(cls.id)
        return cls.help_uri

    @classmethod
    def description(cls) -> str:
        return " ".join((cls.__doc__ or "").split())

    @classmethod
    def kind(cls) -> str:
        if issubclass(cls, PassRule):
            return cls.scope
        for base, label in ((ModuleRule, "module"), (FileRule, "file"), (ProjectRule, "project")):
            if issubclass(cls, base):
                return label
        return "?"

    @classmethod
    def problems(cls, plugin: bool = False) -> list[str]:
        """Metadata errors; the registry refuses a rule that has any."""
        errors = []
        if plugin and not PLUGIN_RULE_ID.match(getattr(cls, "id", "")):
            errors.append("a plugin rule's id is its own prefix and three digits, such as ACME101 (ML is mlaudit's)")
        elif not plugin and not RULE_ID.match(getattr(cls, "id", "")):
            errors.append("id must look like ML123")
        if not RULE_NAME.match(getattr(cls, "name", "")):
            errors.append("name must be kebab-case")
        if getattr(cls, "category", None) not in CATEGORIES:
            errors.append(f"category must be one of {CATEGORIES}")
        if getattr(cls, "severity", None) not in SEVERITIES:
            errors.append(f"severity must be one of {SEVERITIES}")
        if getattr(cls, "confidence", None) not in CONFIDENCES:
            errors.append(f"confidence must be one of {CONFIDENCES}")
        for attr in ("rationale", "remediation"):
            if not getattr(cls, attr, "").strip():
                errors.append(f"{attr} is empty")
        if not cls.summary():
            errors.append("docstring (what the rule does) is empty")
        examples = getattr(cls, "examples", ())
        if not any(e.valid for e in examples) or not any(not e.valid for e in examples):
            errors.append("needs at least one Valid and one Invalid example")
        return errors

    def finding(self, path: str, line: int | None, message: str, *, anchor: str | None = None,
                symbol: str | None = None, severity: str | None = None, confidence: str | None = None,
                end_line: int | None = None, cell: int | None = None,
                evidence: dict[str, Any] | None = None) -> Finding:
        return Finding(
            rule=self.id, name=self.name, category=self.category,
            severity=severity or self.severity, confidence=confidence or self.confidence,
            path=path, line=line, end_line=end_line, cell=cell, message=message, symbol=symbol,
            anchor=normalise_anchor(anchor or symbol or message), evidence=dict(evidence or {}),
        )


class ModuleRule(Rule):
    """Runs on each Python module and notebook, in the per-file worker. A rule whose findings the
    rest of the repository can qualify (a dvc.yaml stage fixing a script's arguments) sets
    ``refines_in_project`` and defines ``in_project``, which the project phase calls on each of its
    findings, cached or fresh."""

    refines_in_project: ClassVar[bool] = False

    def check(self, module: "ParsedModule") -> Iterable[Finding]:
        raise NotImplementedError

    @classmethod
    def in_project(cls, finding: Finding, project: "Project") -> Finding:
        return finding


class FileRule(Rule):
    """Runs on each non-Python file of the kinds in ``kinds``."""

    kinds: ClassVar[frozenset[str]] = frozenset()

    def check(self, file: "RepoFile", project: "Project") -> Iterable[Finding]:
        raise NotImplementedError


class PassRule(Rule):
    """Findings that a pass of the engine makes itself, not a ``check``: the per-file phase reports
    modules that do not parse (ML001), the suppression pass reports directives (ML420, ML421).
    The class carries the rule's identity, documentation and examples; ``made_by`` names the pass
    and ``scope`` what it reports on ("module" or "project")."""

    made_by: ClassVar[str]
    scope: ClassVar[str]


class ProjectRule(Rule):
    """Runs once on the whole repository model after the per-file phase.

    ``reads_file_times``: the rule compares file modification times, the clock of artifacts outside
    git (``auditor.analysis.artifacts.last_change``, ``path_time``). Only such rules run again when a
    file is merely touched (auditor/scan/incremental.py)."""

    reads_file_times: ClassVar[bool] = False

    def check(self, project: "Project") -> Iterable[Finding]:
        raise NotImplementedError

