"""mlaudit's own suppressions: ``# mlaudit: ignore[...] -- reason`` must say why and must still match.

The directives are read by auditor/analysis/directives.py. Both rules here are made by the
suppression pass (auditor/scan/suppress.py), which runs after every other rule: only it knows which
rules ran and which findings each directive hid.
"""

from __future__ import annotations

from auditor.rule import Invalid, PassRule, Valid

_TODO = "x = 1  # TODO: tidy\n"


class IgnoreWithoutReason(PassRule):
    """An `# mlaudit: ignore[...]` that gives no reason, names no rule, or has an unreadable expiry.

    Such a directive suppresses nothing: the finding it was meant to hide is still reported, and
    the directive itself is reported here. A reason follows ` -- ` (`# mlaudit: ignore[ML401] --
    tracked in DATA-12`); an expiry is `until=YYYY-MM-DD` before it. Works in Python, notebooks,
    YAML/TOML/INI configs, requirements files, Dockerfiles and shell scripts.
    """

    id = "ML420"
    name = "ignore-without-reason"
    category = "undocumented-hack"
    severity = "low"
    confidence = "high"
    rationale = ("A silenced warning with no reason is a decision nobody can review: the next reader cannot "
                 "tell whether the problem was judged harmless, is tracked elsewhere, or was hidden to get a "
                 "build green, so the suppression outlives the code it was written for.")
    remediation = ("Name the rule or category and say why after ` -- `: `# mlaudit: ignore[ML301] -- model is "
                   "retrained by the nightly job (DATA-12)`; add `until=YYYY-MM-DD` for a temporary exception.")
    examples = (
        Valid("x = 1  # TODO: tidy  # mlaudit: ignore[ML401] -- tracked in the cleanup epic\n"),
        Valid("# Write ``# mlaudit: ignore[RULE] -- reason`` to silence a finding.\nx = 1\n",
              note="a directive quoted in prose is documentation, not a directive"),
        Valid("# mlaudit: ignore[undocumented-hack] until=2030-01-01 -- vendored code, replaced in Q1\n" + _TODO),
        Valid({"requirements.txt": "# mlaudit: ignore-file[unpinned-dependency] -- resolved by the lock file\n"
                                   "numpy\n"}),
        Valid('MSG = "# mlaudit: ignore[ML401]"\n', note="text in a string is not a directive"),
        Invalid("x = 1  # TODO: tidy  # mlaudit: ignore[ML401]\n", expect=[1]),
        Invalid("# mlaudit: ignore[ML401] --\n" + _TODO + "y = 2  # mlaudit: ignore[ML401] legacy\n", expect=[1, 3]),
        Invalid("x = 1  # mlaudit: ignore -- everything here is fine\n", expect=[1],
                note="a blanket ignore names no rule"),
        Invalid("x = 1  # mlaudit: ignore[ML401] until=soon -- waiting for the upstream fix\n", expect=[1]),
        Invalid("x = 1  # mlaudit: ignore[ML999] -- no such rule\n", expect=[1]),
        Invalid({"configs/train.yaml": "lr: 0.1  # mlaudit: ignore[ML201]\n",
                 "Dockerfile": "FROM python:3.11\n# mlaudit: ignore-file[ML201]\n"},
                expect=[("configs/train.yaml", 1), ("Dockerfile", 2)]),
        Invalid({"nb.ipynb": '{"cells": [{"cell_type": "code", "source": ["x = 1\\n"]}, {"cell_type": "code", '
                             '"source": ["y = 2  # mlaudit: ignore[ML401]\\n"]}], "nbformat": 4}'},
                expect=[("nb.ipynb", 1, 2)]),
    )

    made_by = "the suppression pass (auditor/scan/suppress.py)"
    scope = "project"

    def ineffective(self, directive):
        return self.finding(
            directive.path, directive.line, f"mlaudit suppression {directive.problem}; it suppresses nothing",
            cell=directive.cell, anchor=directive.text,
            evidence={"directive": directive.text, "selectors": list(directive.selectors),
                      "problem": directive.problem},
        )


class UnusedIgnore(PassRule):
    """An `# mlaudit: ignore[...]` that no longer matches any finding.

    Reported only when every rule the directive names ran in this scan, so a `--select` that
    leaves a rule out never makes its suppressions look stale. An expired directive that still
    matches is not reported here: the finding it no longer hides says that it expired.
    """

    id = "ML421"
    name = "unused-ignore"
    category = "undocumented-hack"
    severity = "info"
    confidence = "high"
    rationale = ("A suppression whose problem is gone stays in the code as noise, and it silently hides the "
                 "next real finding of the same rule that lands on that line.")
    remediation = "Delete the directive (or move it to the line that still needs it)."
    examples = (
        Valid("# mlaudit: ignore[ML401] -- tracked in the cleanup epic\n" + _TODO,
              config={"select": ["ML401", "ML421"]}),
        Valid("# mlaudit: ignore[ML401] -- a\n# mlaudit: ignore[ML402] -- b\n" + _TODO,
              config={"select": ["ML401", "ML421"]}, note="ML402 did not run, so its directive is not judged"),
        Valid("x = 1  # mlaudit: ignore[ML401] -- gone\n", note="ML401 did not run"),
        Valid("# mlaudit: ignore[ML401] until=2001-01-01 -- expired\n" + _TODO,
              config={"select": ["ML401", "ML421"]}, note="the TODO is reported with the expiry instead"),
        Invalid("x = 1  # mlaudit: ignore[ML401] -- the TODO was fixed\n", expect=[1],
                config={"select": ["ML401", "ML421"]}),
        Invalid("# mlaudit: ignore[ML401] -- stale\n\n" + _TODO, expect=[1],
                config={"select": ["ML401", "ML421"]}, note="a blank line ends what a directive covers"),
        Invalid({"src/a.py": "# mlaudit: ignore-file[undocumented-hack] -- legacy module\nx = 1\n"},
                expect=[("src/a.py", 1)], config={"select": ["undocumented-hack"]}),
    )

    made_by = "the suppression pass (auditor/scan/suppress.py)"
    scope = "project"

    def unused(self, directive, project):
        what = ", ".join(directive.selectors)
        where = "in this file" if directive.scope == "file" else "on the lines it covers"
        return self.finding(
            directive.path, directive.line, f"mlaudit suppression of {what} matches no finding {where}; delete it",
            cell=directive.cell, anchor=directive.text,
            evidence={"directive": directive.text, "selectors": list(directive.selectors),
                      "reason": directive.reason},
        )
