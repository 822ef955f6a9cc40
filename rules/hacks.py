"""Undocumented hacks: debt that nobody tracks."""

from __future__ import annotations

import re

from auditor.rule import Invalid, ModuleRule, Option, Valid, regex_check

# Markers are matched in upper case (as written by convention); the common lower-case spellings
# count only at the start of a comment and followed by a colon ("# todo: ..."), so prose such as
# "# temp directory" or "# the hack: ..." is left alone.
_MARKER = re.compile(
    r"(?<![\w/.-])(?P<marker>TODO|FIXME|FIX ME|HACK|XXX|KLUDGE|WORKAROUND|TEMP|TMP|TBD)(?![\w-])"
    r"|^#+\s*(?P<lower>todo|fixme|hack|kludge|workaround)(?=\s*[:(])",
)
DEFAULT_TICKET_PATTERN = (
    r"(?:#\d+\b|\b[A-Z][A-Z0-9]+-\d+\b|https?://\S+|\b(?:gh|GH|issue|bug|ticket)[- ]?#?\d+\b)"
)


class UnticketedDebtMarker(ModuleRule):
    """A TODO, FIXME, HACK, XXX or similar comment with no ticket reference.

    Only real comments in code count: markers inside strings, docstrings and notebook outputs are
    not reported. A marker with no explanation at all is reported at a higher severity than one
    that says what is wrong but points to no ticket.
    """

    id = "ML401"
    name = "unticketed-debt-marker"
    category = "undocumented-hack"
    severity = "low"
    confidence = "high"
    options = {
        "ticket-pattern": Option(str, DEFAULT_TICKET_PATTERN,
                                 "regular expression for what counts as a ticket reference", regex_check),
    }
    rationale = ("A TODO without a ticket is debt nobody tracks: it is never prioritised, its author moves "
                 "on, and the workaround it describes becomes the behaviour production depends on.")
    remediation = ("Open a ticket and reference it in the comment (`# TODO(ML-123): ...` or an issue URL), "
                   "or fix the problem now and delete the comment.")
    examples = (
        Valid("x = 1  # TODO(ML-123): drop once the upstream fix lands\n"),
        Valid("# FIXME #42 handle empty batches\n# HACK: see https://github.com/org/repo/issues/7\n"),
        Valid('msg = "TODO: this is a string, not a comment"\n"""FIXME in a docstring"""\n'),
        Valid("# temp directory for checkpoints\n# the hack: prose that mentions a hack is not a marker\n"),
        Invalid("# todo: tune the threshold\n", expect=[1]),
        Invalid("def clean(df):\n    # TODO: handle missing values properly\n    return df.dropna()\n",
                expect=[2]),
        Invalid("x = 1  # XXX\n# HACK\n", expect=[1, 2]),
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
            match = _MARKER.search(comment.text)
            if match is None:
                continue
            if self.ticket.search(comment.text):
                continue
            marker = (match.group("marker") or match.group("lower")).upper()
            explanation = comment.text[match.end():].strip(" \t:-()[]#")
            bare = len(re.sub(r"\W", "", explanation)) < 3
            if bare:
                message = f"{marker} with no explanation and no ticket"
            else:
                message = f"{marker} without a ticket: {explanation[:80]}"
            yield module.finding(
                self, comment.line, message, severity="medium" if bare else None,
                evidence={"marker": marker, "comment": comment.text.strip()[:200]},
            )
