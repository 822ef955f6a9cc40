"""Undocumented hacks in comments: debt markers without a ticket, suppressions without a reason.

Code-level hacks (swallowed errors, monkeypatches, ...) are in ``code_hacks.py``. Every rule of the
``undocumented-hack`` category gets the age and author of its line from ``auditor.scan.blame`` after the
scan, and its severity rises one step past ``escalate-after-days`` (see ``AGE_OPTIONS``).
"""

from __future__ import annotations

import re

from auditor.ml.paths import is_exercise_path, is_teaching_path
from auditor.ml.teaching import ADDRESSES_READER, IMPERATIVE_DEBT, PLACEHOLDER_STATEMENT, READER_INSTRUCTION
from auditor.rule import Fix, Invalid, ModuleRule, Option, Valid, regex_check
from auditor.rules.noqa_codes import needed_codes

# Shared by every undocumented-hack rule; read by auditor.scan.blame when it attaches ages.
AGE_OPTIONS = {
    "escalate-after-days": Option(int, 365, "raise the severity one step when the line is older than "
                                            "this many days (git blame); 0 turns it off"),
}

# Markers are matched in upper case (as written by convention) anywhere in a comment; other
# spellings count only at the start of a comment and followed by a colon or parenthesis
# ("# Todo: ...", "# hack(bob): ..."), so prose such as "# temp directory" or "# the hack: ..."
# is left alone; so is a marker used as a noun ("the TODO was fixed"). TEMP, TMP and TBD are common words
# in upper-case prose ("TMP dir"), so they
# count only at the start of a comment.
_MARKER = re.compile(
    r"(?<![\w/.$-])(?<!\b[Tt]he )(?<!\b[Aa] )(?<!\b[Tt]his )(?<!\b[Tt]hat )(?<!\b[Nn]o )(?<!\b[Aa]ny )"
    r"(?P<marker>TODO|TO-DO|FIXME|FIX-ME|FIX ME|HACK|XXX|KLUDGE|WORKAROUND)(?![\w-]|\.\w)"
    r"|^#+\s*(?P<start>TEMP|TMP|TBD)(?![\w-])"
    r"|^#+\s*(?P<lower>(?i:todo|to-do|fixme|fix-me|hack|xxx|kludge|workaround|temp|tbd))(?=\s*[:(])"
    # a comment that calls itself a hack: "# Hack to prevent warnings", "# Workaround for the tokenizer"
    r"|^#+\s*(?P<self>(?i:hack|kludge|workaround))(?=\s+(?i:to|for|around|because|so|until|while)\b)",
)
_OWNER = re.compile(r"\s*\(([^()]{1,40})\)")
# What every _MARKER match needs (its lookbehinds make a search of each comment slow): one of the
# upper-case markers anywhere, or one of the start words right after the leading '#'s and spaces.
_UPPER_MARKERS = ("TODO", "TO-DO", "FIXME", "FIX-ME", "FIX ME", "HACK", "XXX", "KLUDGE", "WORKAROUND")
_START_MARKERS = ("TEMP", "TMP", "TBD")
_START_WORDS = ("todo", "to-do", "fixme", "fix-me", "hack", "xxx", "kludge", "workaround", "temp", "tbd")


def _may_hold_marker(text: str) -> bool:
    if any(marker in text for marker in _UPPER_MARKERS):
        return True
    head = text.lstrip("#").lstrip()
    if head.startswith(_START_MARKERS):
        return True
    start = head[:10]
    return not start.isascii() or start.lower().startswith(_START_WORDS)  # beyond ASCII: let _MARKER say
# Issue and tracker references. ``ABC-123`` excludes standard and encoding names (UTF-8, SHA-256).
DEFAULT_TICKET_PATTERN = (
    r"(?:#\d+\b"
    r"|\bb/\d{4,}\b"  # Google's issue tracker: TODO(b/123456)
    r"|\b(?!(?:UTF|UCS|ISO|SHA|MD|FP|BF|INT|UINT|GPT|RFC|PEP|CVE|COVID|TLS|SSL|HTTP)-)[A-Z][A-Z0-9]+-\d+\b"
    r"|\b(?!(?:utf|ucs|iso|sha|md|fp|bf|int|uint|gpt|rfc|pep|cve|covid|tls|ssl|http|top|py|python|step|v|ver"
    r"|version|epoch|layer|fold|k|n)-)[a-z][a-z0-9]{1,9}-\d{2,}\b"  # a project key in lower case: ml-123
    r"|https?://\S*(?:/issues?/|/pulls?/|/merge_requests/|/browse/|/tickets?/|/bugs?/|/work_items/|"
    r"show_bug|jira|linear\.app|youtrack|/-/issues)\S*"
    r"|\b(?:gh|GH|issue|Issue|bug|Bug|ticket|Ticket)[- ]?#?\d+\b)"
)


class UnticketedDebtMarker(ModuleRule):
    """A TODO, FIXME, HACK, XXX or similar comment with no ticket reference.

    Only real comments in code count: markers inside strings, docstrings and notebook outputs are
    not reported. A marker with no explanation at all is reported at a higher severity than one
    that says what is wrong but points to no ticket. Tickets are ``#123``, ``ABC-123`` or ``abc-123``
    (also as ``TODO(ABC-123)``), ``b/123456``, ``gh-123`` / ``issue 123`` and issue-tracker URLs;
    ``ticket-pattern`` replaces that list. A marker that instructs the reader of course or template
    material (``TODO 3: your code here``, ``TODO(step 6): Uncomment here to ...``, a marker over a
    ``pass`` or ``...`` stub, a blank such as ``--region=# TODO``, any marker in course material under
    ``labs/``, ``exercises/``, ``homework/``) is an exercise, not debt: it is reported at ``info``. Age raises the
    severity only in code that runs in production (not notebooks, tests, labs or examples).
    """

    id = "ML401"
    reads_comments_only = True  # also run on files that do not parse (auditor/scan/worker.py)
    name = "unticketed-debt-marker"
    category = "undocumented-hack"
    severity = "low"
    confidence = "high"
    options = {
        "ticket-pattern": Option(str, DEFAULT_TICKET_PATTERN,
                                 "regular expression for what counts as a ticket reference", regex_check),
        **AGE_OPTIONS,
    }
    rationale = ("A TODO without a ticket is debt nobody tracks: it is never prioritised, its author moves "
                 "on, and the workaround it describes becomes the behaviour production depends on.")
    remediation = ("Open a ticket and reference it in the comment (`# TODO(ML-123): ...` or an issue URL), "
                   "or fix the problem now and delete the comment.")
    examples = (
        Valid("x = 1  # TODO(ML-123): drop once the upstream fix lands\n"),
        Valid("# FIXME #42 handle empty batches\n# HACK: see https://github.com/org/repo/issues/7\n"),
        Valid("# TODO: gh-17 retry on timeouts\n# XXX issue 88: labels are shifted\n"
              "# HACK https://acme.atlassian.net/browse/DATA-7\n# Todo(CHURN-9) drop the v1 schema\n",
              note="every default ticket form"),
        Valid('msg = "TODO: this is a string, not a comment"\n"""FIXME in a docstring"""\n'),
        Valid("# temp directory for checkpoints\n# the hack: prose that mentions a hack is not a marker\n"
              "# write the TMP files first, TBD later\npath = '/tmp/TODO'  # see $TODO_DIR and TODO.md\n"
              "# the TODO list lives in the README; no HACK is needed here\n"),
        Valid("# TODO(team): use the new sampler\n", config={"rules": {"ML401": {"ticket-pattern": r"TODO\(team\)"}}},
              note="a custom ticket pattern"),
        Valid("# TODO(b/157598477) pass the parameters from the CLI handler\n# FIXME ml-204: flaky on GPU\n",
              note="Google's issue tracker and a lower-case project key"),
        Invalid("# todo: tune the threshold\n# Workaround: the API drops rows\n", expect=[1, 2]),
        Invalid("# Hack to prevent warnings from the old tokenizer\nx = 1\n# Workaround for the broken CSV export\n"
                "y = 2\n# hacks are documented in the wiki\n", expect=[1, 3],
                note="a comment that calls itself a hack or a workaround"),
        Invalid("def clean(df):\n    # TODO: handle missing values properly\n    return df.dropna()\n",
                expect=[2]),
        Invalid("x = 1  # XXX\n# HACK\n# TEMP: disable augmentation\n# FIX-ME later\n# TODO(alice):\n",
                expect=[1, 2, 3, 4, 5], note="an owner in parentheses is not an explanation"),
        Invalid("# TODO: see https://stackoverflow.com/q/123 for the idea\n# TODO: convert to UTF-8\n",
                expect=[1, 2], note="a Q&A link or an encoding name is not a ticket"),
        Invalid({"explore.ipynb": '{"cells": [{"cell_type": "markdown", "source": ["TODO in markdown"]},'
                                  ' {"cell_type": "code", "source": ["x = 1\\n", "# FIXME: leakage"],'
                                  ' "outputs": [{"text": ["# TODO in output"]}]}], "nbformat": 4}'},
                expect=[("explore.ipynb", 2, 2)]),
    )

    def __init__(self, options=None):
        super().__init__(options)
        self.ticket = re.compile(self.settings["ticket-pattern"])

    def check(self, module):
        for comment in module.comments:
            match = _MARKER.search(comment.text) if _may_hold_marker(comment.text) else None
            if match is None:
                continue
            if self.ticket.search(comment.text):
                continue
            marker = (match.group("marker") or match.group("start") or match.group("lower") or match.group("self")).upper()
            rest = comment.text[match.end():]
            owner = _OWNER.match(rest)  # a name in parentheses is an owner, not a ticket
            if owner:
                rest = rest[owner.end():]
            explanation = rest.strip(" \t:-()[]#")
            bare = len(re.sub(r"\W", "", explanation)) < 3
            placeholder = self._placeholder(module, comment, match, owner)
            if placeholder:
                message = f"{marker} in an exercise or template: {comment.text.strip().lstrip('#').strip()}"
            elif bare:
                message = f"{marker} with no explanation and no ticket"
            else:
                message = f"{marker} without a ticket: {explanation}"
            yield module.finding(
                self, comment.line, message, severity="info" if placeholder else "medium" if bare else None,
                evidence={"marker": marker, "comment": comment.text.strip()[:200], "bare": bare,
                          "owner": owner.group(1).strip() if owner else None, "placeholder": placeholder},
            )

    @staticmethod
    def _placeholder(module, comment, match, owner) -> bool:
        """An instruction to the reader of course or template material, a blank to fill in
        (``--region=# TODO``), a marker over a stub, or any marker in course material."""
        if is_exercise_path(module.path):
            return True
        after = comment.text[match.end():]
        before = comment.text[: match.start()].lstrip("#").strip()
        if before.endswith(("=", ":", "# ")) or (before and not after.strip(" \t\\:")):
            return True  # the marker stands where a value goes
        if owner and re.match(r"\s*\(\s*step\b", after, re.I):
            return True
        if READER_INSTRUCTION.search(after):
            # "implement X" instructs a course's reader; in other code it is the work left to do
            return is_teaching_path(module.path) or not IMPERATIVE_DEBT.match(after) or bool(ADDRESSES_READER.search(after))
        following = [line for line in module.lines[comment.line:comment.line + 3] if line.strip()]
        return bool(following) and PLACEHOLDER_STATEMENT.match(following[0]) is not None


# -- suppressions ------------------------------------------------------------------------------

_CODE = r"[A-Z]+[0-9]+"
# Each directive: name -> pattern with an optional ``codes`` group. ``scope`` of a match is "line"
# unless the pattern is file-wide by definition. Order matters only for the message.
_DIRECTIVES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("flake8: noqa", "file", re.compile(r"#\s*flake8[:=]\s*noqa\b(?::\s*(?P<codes>[A-Z0-9, ]+))?", re.I)),
    ("ruff: noqa", "file", re.compile(r"#\s*ruff\s*:\s*noqa\b(?::\s*(?P<codes>[A-Z0-9, ]+))?", re.I)),
    ("noqa", "line", re.compile(rf"#\s*noqa\b(?::\s*(?P<codes>{_CODE}(?:[,\s]+{_CODE})*))?", re.I)),
    ("type: ignore", "line", re.compile(r"#\s*type:\s*ignore\b(?:\[(?P<codes>[^\]]+)\])?")),
    ("pyright: ignore", "line", re.compile(r"#\s*pyright:\s*ignore\b(?:\s*\[(?P<codes>[^\]]+)\])?")),  # pyright allows the space
    ("mypy: ignore-errors", "file", re.compile(r"#\s*mypy:\s*ignore-errors\b")),
    ("pylint: skip-file", "file", re.compile(r"#\s*pylint:\s*skip-file\b")),
    ("pylint: disable", "line", re.compile(r"#\s*pylint:\s*disable(?:-next)?\s*=\s*(?P<codes>[\w\-]+(?:\s*,\s*[\w\-]+)*)")),
    ("nosec", "line", re.compile(r"#\s*nosec\b(?::?\s*(?P<codes>B\d{3}(?:[,\s]+B\d{3})*))?")),
    ("fmt: off", "region", re.compile(r"#\s*fmt:\s*off\b")),
    ("yapf: disable", "region", re.compile(r"#\s*yapf:\s*disable\b")),
)
_FMT_ON = re.compile(r"#\s*(?:fmt:\s*on|yapf:\s*enable)\b")
# mlaudit's own ``# mlaudit: ignore[...]`` is checked by the suppression handling of the CI gate
# (reasonless ones are reported there, as undocumented hacks); this rule leaves them alone so a
# reasonless mlaudit suppression is reported exactly once.
MLAUDIT_DIRECTIVE = re.compile(r"#\s*mlaudit\s*:", re.I)
_MLAUDIT_IGNORE = re.compile(r"#\s*mlaudit\s*:\s*[\w-]*(?:\[[^\]]*\])?", re.I)
_REASON_SEPARATORS = " \t-–—:;,.()[]#"


def _reason(rest: str) -> str:
    """What is left of a comment once its directives are removed, if it reads as a reason."""
    text = rest
    if _names_a_directive(text):  # most comments name none: nothing to remove
        for _, _, pattern in _DIRECTIVES:
            text = pattern.sub(" ", text)
        text = _MLAUDIT_IGNORE.sub(" ", _FMT_ON.sub(" ", text))
    text = text.strip(_REASON_SEPARATORS)
    return text if len(re.findall(r"[A-Za-z]{2,}", text)) >= 2 else ""


class SuppressionWithoutReason(ModuleRule):
    """A `# noqa`, `# type: ignore`, `# nosec`, `# pylint: disable` or `# fmt: off` that says nothing
    about why.

    A reason is text after the directive (`# noqa: E402 -- path set by the runner`, or a second
    `# ...` comment) or a comment line right above it. A suppression that names its codes
    (`# noqa: F401`, `# type: ignore[attr-defined]`, `# pylint: disable=too-many-locals`) already
    says what it hides and is left alone unless ``require-reason-for-codes`` is set: the code is the
    part that tools such as ruff (RUF100) and mypy (``warn_unused_ignores``) can check, and a blanket
    suppression is the one that silently hides new, unrelated errors. A bare `# noqa` on an import in
    an `__init__.py` is a re-export and not reported. File-wide suppressions (`# flake8: noqa`,
    `# mypy: ignore-errors`, ...) are reported at a higher severity, formatter regions (`# fmt: off`)
    at the lowest. Blanket one-line suppressions of one kind are grouped into one finding per file,
    which age never raises above low. mlaudit's own `# mlaudit: ignore[...]` comments are checked by
    the suppression handling, not here.
    """

    id = "ML402"
    fix = Fix("safe", "narrow a blanket # noqa to the codes its line needs, where they can be known")

    @classmethod
    def fix_for(cls, finding):
        return cls.fix.to_json() if finding.evidence.get("noqa_codes") else None
    reads_comments_only = True
    name = "suppression-without-reason"
    category = "undocumented-hack"
    severity = "low"
    confidence = "high"
    options = {
        "require-reason-for-codes": Option(bool, False, "also report suppressions that name their codes "
                                                        "but give no reason"),
        **AGE_OPTIONS,
    }
    rationale = ("A blanket suppression hides every present and future warning on its line or file, including "
                 "the one that would have caught the next bug; without a reason nobody can tell whether it "
                 "is still needed, so it is never removed.")
    remediation = ("Name the code being silenced and say why (`# noqa: E402 -- sys.path set by the launcher`, "
                   "`# type: ignore[attr-defined]  # stubs lag torch 2.3`), or fix the warning and drop the "
                   "suppression.")
    examples = (
        Valid("import os  # noqa: F401\nx = f()  # type: ignore[attr-defined]\n"
              "y = g()  # pylint: disable=no-member\nz = h()  # nosec B301\n"),
        Valid("import torch_xla  # noqa -- registers the XLA device on import\n"
              "y = g()  # type: ignore  # the stubs do not know lazy attributes\n"
              "# the generated client has no stubs\nz = h()  # type: ignore\n"),
        Valid({"pkg/__init__.py": "from .core import Model  # noqa\nfrom .io import *  # noqa\n"},
              note="a bare noqa on an import in __init__.py is a re-export"),
        Valid('MSG = "add # noqa to silence it"\n"""# type: ignore in a docstring"""\n'),
        Valid("x = f()  # mlaudit: ignore[ML201]\n",
              note="mlaudit's own suppressions are checked by the suppression handling, not here"),
        Invalid("import os  # noqa  # mlaudit: ignore[ML101]\n", expect=[1],
                note="an mlaudit directive next to a blanket noqa is not the noqa's reason"),
        Invalid("import os  # noqa\nx = f()  # type: ignore\ny = g()  # NOQA:\nz = h()  # nosec\n",
                expect=[1, 2, 4], note="the two blanket noqa of the file are one finding, at the first"),
        Invalid("a = f()  # type: ignore\nb = g()  # type: ignore\nc = h()  # type: ignore\n"
                "d = k()  # pyright: ignore [reportAttributeAccessIssue]\n", expect=[1],
                note="three blanket type: ignore grouped; pyright accepts a space before the rule"),
        Invalid("# flake8: noqa\nimport os\nx = f(a,b)  # NOQA E231\n", expect=[1, 3],
                note="flake8 reads `# noqa CODE` without a colon as a blanket noqa"),
        Invalid("# pylint: disable=all\nx = 1\n# mypy: ignore-errors\n", expect=[1, 3]),
        Invalid("import os  # noqa: F401\nx = f()  # type: ignore[attr-defined]\n",
                expect=[1, 2], config={"rules": {"ML402": {"require-reason-for-codes": True}}}),
        Invalid("# fmt: off\nGRID = [1,0,\n        0,1]\n# fmt: on\n", expect=[1]),
        Invalid("import sys\nsys.path.insert(0, 'src')\nimport os  # noqa\nsquare = lambda x: x * x  # noqa\n",
                expect=[3], note="mlaudit fix narrows them: E402 and F401, E731 (the codes each line needs)"),
        Invalid({"pkg/models.py": "from .core import Model  # noqa\n"}, expect=[("pkg/models.py", 1)],
                note="outside __init__.py a blanket noqa on an import is not a re-export"),
        Invalid({"nb.ipynb": '{"cells": [{"cell_type": "code", "source": ["import seaborn  # noqa\\n"],'
                             ' "outputs": [{"text": ["# noqa in output"]}]}], "nbformat": 4}'},
                expect=[("nb.ipynb", 1, 1)]),
    )

    def check(self, module):
        is_init = module.path.endswith("__init__.py")
        comment_lines = {c.line: c for c in module.comments}
        first_code_line = _first_code_line(module)
        blanket_lines: dict[str, list] = {}  # directive -> its reasonless blanket one-line findings
        for comment in module.comments:
            if not _DIRECTIVE_HINT.search(comment.text):
                continue
            if MLAUDIT_DIRECTIVE.match(comment.text):
                continue
            found = self._reasonless(module, comment, comment_lines, is_init, first_code_line)
            if found is None:
                continue
            if found.evidence["scope"] == "line" and found.evidence["codes"] is None:
                blanket_lines.setdefault(found.evidence["directive"], []).append((comment.line, found))
            else:
                yield found
        for label, found in blanket_lines.items():
            yield found[0][1] if len(found) == 1 else self._grouped(module, label, found)

    def _grouped(self, module, label: str, found: list):
        """Blanket one-line suppressions of one kind in a file: one finding, at the first, listing
        the lines (a file with forty ``# type: ignore`` is one decision to revisit, not forty)."""
        lines = [f"{f.cell}:{f.line}" if f.cell else str(f.line) for _, f in found]
        shown = ", ".join(lines[:12]) + (f" and {len(lines) - 12} more" if len(lines) > 12 else "")
        line, first = found[0]
        return module.finding(
            self, line, f"{len(lines)} blanket `# {label}` without a reason in this file (lines {shown}): "
            f"each hides every present and future error on its line",
            severity="low", anchor=f"blanket {label}",
            evidence={**first.evidence, "lines": lines, "count": len(lines), "no_escalation": True,
                      "noqa_codes": _all_known([f for _, f in found])})

    def _reasonless(self, module, comment, comment_lines, is_init, first_code_line):
        for label, scope, pattern in _DIRECTIVES:
            match = pattern.search(comment.text)
            if match is None:
                continue
            codes = (match.groupdict().get("codes") or "").strip(" ,")
            own_line = not module.line_text(comment.line)[:comment.col].strip()
            blanket = not codes or codes.lower() == "all"
            if own_line:
                scope = _own_line_scope(label, scope, blanket, comment.line < first_code_line)
            if self._excused(module, comment, comment_lines, label, scope, blanket, is_init):
                return None
            what = f"`# {label}{(': ' + codes) if codes else ''}`"
            message = _message(what, label, scope, blanket, comment.text[match.end():])
            evidence = {"directive": label, "codes": codes or None, "scope": scope,
                        "comment": comment.text.strip()[:200]}
            if scope == "region":
                evidence["region_end_line"] = _region_end(module, comment.line)
            severity = {"file": "medium", "region": "info"}.get(scope, "low")
            if scope == "line":
                evidence["no_escalation"] = True  # a one-line suppression stays hygiene however old
                if label == "noqa" and blanket and comment.text.strip().lower().lstrip("# ").rstrip() == "noqa":
                    codes_needed = needed_codes(module, comment.line, comment.col)
                    if codes_needed:  # what `mlaudit fix` narrows it to
                        evidence["noqa_codes"] = {str(comment.line): codes_needed}
            return module.finding(self, comment.line, message, severity=severity, evidence=evidence)
        return None

    def _excused(self, module, comment, comment_lines, label, scope, blanket, is_init) -> bool:
        """Directives that need no reason (by default, ones naming codes for one line), have one, or
        are the usual re-export in a package's __init__.py."""
        if not blanket and scope == "line" and not self.settings["require-reason-for-codes"]:
            return True
        if _reason(comment.text) or _reason_above(module, comment, comment_lines):
            return True
        return label == "noqa" and blanket and is_init and _is_import_line(module.line_text(comment.line))


def _all_known(found: list) -> dict[str, list[str]] | None:
    """The codes of every grouped ``# noqa``, or None when one of them is not known."""
    codes: dict[str, list[str]] = {}
    for finding in found:
        if not finding.evidence.get("noqa_codes"):
            return None
        codes.update(finding.evidence["noqa_codes"])
    return codes


def _own_line_scope(label: str, scope: str, blanket: bool, before_code: bool) -> str:
    """The scope of a directive alone on its line, which some tools read as file-wide."""
    if label == "type: ignore" and before_code:
        return "file"  # mypy reads a leading type: ignore as ignoring the whole file
    if label == "pylint: disable" and blanket:
        return "file"
    return scope


def _message(what: str, label: str, scope: str, blanket: bool, after: str) -> str:
    if scope == "file":
        return f"file-wide {what} with no reason: every warning in this file is hidden"
    if scope == "region":
        return f"{what} region with no reason"
    if blanket and label == "noqa" and re.match(r"\s*[A-Z]+[0-9]+\b", after):
        return (f"{what} without a colon before its codes is a blanket noqa: it hides every "
                "warning on this line")
    if blanket:
        return f"blanket {what} with no reason: it hides every warning on this line"
    return f"{what} with no reason"


_DIRECTIVE_HINT = re.compile(r"noqa|type:|pyright:|mypy:|pylint:|nosec|fmt:|yapf:", re.I)
# The words, one of which every pattern _reason removes contains (_DIRECTIVES, _FMT_ON, _MLAUDIT_IGNORE).
_DIRECTIVE_WORDS = ("noqa", "type:", "pyright:", "mypy:", "pylint:", "nosec", "fmt:", "yapf:", "mlaudit")
_ANY_DIRECTIVE = re.compile("|".join(re.escape(word) for word in _DIRECTIVE_WORDS), re.I)


def _names_a_directive(text: str) -> bool:
    if text.isascii():  # the same as the case-insensitive search, and several times faster
        lowered = text.lower()
        return any(word in lowered for word in _DIRECTIVE_WORDS)
    return _ANY_DIRECTIVE.search(text) is not None


def _reason_above(module, comment, comment_lines) -> bool:
    """A comment-only line directly above (pylint's convention: the reason precedes the pragma)."""
    above = comment_lines.get(comment.line - 1)
    if above is None or module.line_text(above.line)[:above.col].strip():
        return False
    if _DIRECTIVE_HINT.search(above.text) and not _reason(above.text):
        return False
    return bool(_reason(above.text))


def _is_import_line(text: str) -> bool:
    return text.lstrip().startswith(("import ", "from "))


def _first_code_line(module) -> int:
    body = getattr(module.tree, "body", None)
    return body[0].lineno if body else len(module.lines) + 1


def _region_end(module, start: int) -> int | None:
    for comment in module.comments:
        if comment.line > start and _FMT_ON.search(comment.text):
            return comment.line
    return None  # to the end of the file
