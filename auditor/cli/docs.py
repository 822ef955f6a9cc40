"""Documentation made from metadata: one text per rule and per readiness check, printed by
``mlaudit explain`` and written as a Markdown page (``docs/rules/ML401.md``,
``docs/checks/R-ROLL-02.md``), and the index table of each folder of such pages.

The same function makes the terminal text and the page, so the two never disagree. Regenerate the
pages with ``python -m auditor.cli.docs`` (from the repository root, or give the docs folder); the
test suite fails when a page is missing, out of date or left over. Each kind of page is one entry
of ``PAGE_KINDS``: its folder, its items, the text of one item and the index of the folder.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable

from auditor import registry
from auditor.finding import PRECISION_PROMISE, SEVERITIES
from auditor.rule import Example, Rule

REGENERATE = "python -m auditor.cli.docs"

_FENCE_LANGUAGES = {".py": "python", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json",
                    ".ipynb": "json", ".cfg": "ini", ".ini": "ini", ".sh": "bash", ".md": "markdown"}


def _fenced(name: str, content: str | bytes) -> str:
    """A file of an example as a fenced block, longer than any backtick run inside it."""
    path = PurePosixPath(name)
    language = "dockerfile" if path.name.startswith("Dockerfile") else _FENCE_LANGUAGES.get(path.suffix, "text")
    if isinstance(content, bytes):
        language, content = "text", f"<{len(content)} bytes>"
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"`{name}`:\n\n{fence}{language}\n{content.rstrip()}\n{fence}"


def _toml_lines(table: dict[str, Any], prefix: str) -> list[str]:
    """An example's configuration as the ``[tool.mlaudit]`` TOML a user would write."""
    plain = [f"{key} = {json.dumps(value)}" for key, value in table.items() if not isinstance(value, dict)]
    lines = [f"[{prefix}]", *plain] if plain else []
    for key, value in table.items():
        if isinstance(value, dict):
            lines += _toml_lines(value, f"{prefix}.{key}")
    return lines


def _location(expected: Any) -> str:
    if isinstance(expected, int):
        return f"example.py:{expected}"
    path, line, *cell = expected
    return (f"{path}:{line}" if line is not None else path) + (f" (cell {cell[0]})" if cell else "")


def _example_text(label: str, example: Example) -> str:
    parts = [f"## {label}"]
    if example.note:
        parts.append(example.note[0].upper() + example.note[1:] + ".")
    if example.config:
        parts.append("With this configuration:\n\n```toml\n" + "\n".join(_toml_lines(example.config, "tool.mlaudit"))
                     + "\n```")
    if example.git:
        ages = ", ".join(f"`{path}` {days:g} days ago" for path, days in example.git.items())
        parts.append(f"Git history: last commit to {ages}.")
    parts += [_fenced(name, content) for name, content in example.files.items()]
    if example.expect:
        parts.append("Reported at: " + ", ".join(f"`{_location(e)}`" for e in example.expect) + ".")
    return "\n\n".join(parts)


@lru_cache(maxsize=1)
def measured_precision() -> dict[str, Any]:
    """The evaluation set's figures (``bench/eval/score.py --record``): the repositories by commit,
    and per rule and severity how many findings were reported and how many were labelled true or false."""
    return json.loads(resources.files("auditor.cli").joinpath("measured_precision.json").read_text(encoding="utf-8"))


def promise_kept(severity: str, true: int, false: int) -> bool | None:
    """Whether labelled findings at this severity keep its promise; None when nothing is labelled
    or the severity promises nothing."""
    least = PRECISION_PROMISE.get(severity)
    if least is None or not true + false:
        return None
    return true / (true + false) >= least


def _measured_text(rule_id: str) -> str:
    measured = measured_precision()
    repositories = len(measured["repositories"])
    place = (f"the evaluation set (`bench/eval`: {repositories} public ML repositories of different kinds, "
             "each pinned by commit)")
    by_severity = measured["rules"].get(rule_id)
    if not by_severity:
        return (f"It reported nothing on {place}, so its precision on real code is not measured yet; "
                "its examples below run as tests.")
    rows = ["| severity | reported | labelled true | labelled false | precision | promise |", "|---|---|---|---|---|---|"]
    for severity in sorted(by_severity, key=SEVERITIES.index, reverse=True):
        counts = by_severity[severity]
        true, false = counts["true"], counts["false"]
        shown = f"{true / (true + false):.2f}" if true + false else "not labelled"
        least = PRECISION_PROMISE.get(severity)
        kept = promise_kept(severity, true, false)
        promise = ("none (context)" if least is None else
                   f"at least {least:.2f}" + {True: ": kept", False: ": NOT kept", None: ""}[kept])
        rows.append(f"| {severity} | {counts['reported']} | {true} | {false} | {shown} | {promise} |")
    return (f"On {place}, a reviewer read a sample of its findings and labelled each true or false "
            "(`bench/eval/labels.csv`; what each severity promises: `docs/severity.md`):\n\n" + "\n".join(rows))


def rule_text(rule: type[Rule]) -> str:
    """Everything about one rule, as Markdown that also reads as plain text in a terminal."""
    parts = [f"# {rule.id} {rule.name}",
             f"Category: {rule.category} · Severity: {rule.severity} · Confidence: {rule.confidence} · "
             f"Scope: {rule.kind()}"]
    if rule.confidence == "low":
        parts.append("Its findings are uncertain (confidence low), so a scan shows them only with "
                     "`--min-confidence low` (or `min-confidence = \"low\"` in `[tool.mlaudit]`).")
    if getattr(rule, "made_by", None):
        parts.append(f"Made by {rule.made_by}, not by a check of its own.")
    parts += ["## What it does", "\n".join(line.strip() for line in (rule.__doc__ or "").strip().splitlines()),
              "## Why it hurts in production", rule.rationale.strip(),
              "## How to fix", rule.remediation.strip()]
    if rule.fix is not None:
        parts.append(f"`mlaudit fix` can do it ({rule.fix.applicability}"
                     + (", applied with `--unsafe-fixes`" if rule.fix.applicability == "unsafe" else "")
                     + f"): {rule.fix.description}. Some findings may not be fixable; each finding's `fix` "
                     "says (docs/fix.md).")
    if rule.options:
        parts += ["## Options", f"In `[tool.mlaudit.rules.{rule.id}]`:",
                  "\n".join(f"- `{key}` ({option.type.__name__}, default `{option.default!r}`): {option.help}"
                            for key, option in rule.options.items())]
    parts += ["## Measured precision", _measured_text(rule.id)]
    for label, valid in (("Example that is reported", False), ("Example that is fine", True)):
        example = next((e for e in rule.examples if e.valid == valid), None)
        if example is not None:
            parts.append(_example_text(label, example))
    return "\n\n".join(parts) + "\n"


def rules_table(rules: Iterable[type[Rule]], link: Callable[[str], str] | None = None) -> str:
    """The Markdown table of ``mlaudit rules --format markdown``; ``link`` turns an id into a page link."""
    rows = ["| id | name | category | severity | confidence | fix | what it finds |", "|---|---|---|---|---|---|---|"]
    for rule in rules:
        shown = f"[{rule.id}]({link(rule.id)})" if link else rule.id
        fix = rule.fix.applicability if rule.fix is not None else ""
        rows.append(f"| {shown} | {rule.name} | {rule.category} | {rule.severity} | {rule.confidence} "
                    f"| {fix} | {rule.summary()} |")
    return "\n".join(rows) + "\n"


def _rules_index(rules: list[type[Rule]]) -> str:
    return ("# Rules\n\n"
            f"Generated by `{REGENERATE}` from the rules' own metadata, the same text as "
            "`mlaudit explain ID`. Ids are stable and never reused.\n\n"
            + rules_table(rules, link=lambda rule_id: f"{rule_id}.md"))


@dataclass(frozen=True)
class PageKind:
    """One folder of generated pages: ``items()`` (each with an ``id``), the page of one item, and
    the folder's ``README.md`` from all of them."""

    folder: str
    items: Callable[[], list[Any]]
    page: Callable[[Any], str]
    index: Callable[[list[Any]], str]


# Another kind of page is one more entry: its folder, its items in order, the text of one item
# (also what `mlaudit explain` prints for it) and the folder's index.
def _checks() -> list:
    from auditor.readiness.gathering import all_checks

    return list(all_checks().values())


def _check_page(check: Any) -> str:
    from auditor.readiness.explain import check_text

    return check_text(check)


def _checks_index(checks: list) -> str:
    from auditor.readiness.explain import checks_index

    return checks_index(checks)


PAGE_KINDS = [
    # mlaudit's own rules; an installed plugin documents its rules itself (and `mlaudit explain` shows them)
    PageKind("rules", lambda: [r for r in registry.all_rules().values() if not getattr(r, "provided_by", None)],
             rule_text, _rules_index),
    PageKind("checks", _checks, _check_page, _checks_index),
]


def generated_pages() -> dict[str, str]:
    """Every generated page by its path under the docs folder (``rules/ML401.md``), and the JSON
    Schemas (``schemas/report.schema.json``)."""
    from auditor.report.schema import SCHEMAS

    pages: dict[str, str] = {f"schemas/{name}.schema.json": json.dumps(make(), indent=2) + "\n"
                             for name, make in SCHEMAS.items()}
    for kind in PAGE_KINDS:
        items = kind.items()
        pages[f"{kind.folder}/README.md"] = kind.index(items)
        for item in items:
            pages[f"{kind.folder}/{item.id}.md"] = kind.page(item)
    return pages


def page_problems(docs: Path) -> list[str]:
    """What differs between the generated pages and the files under ``docs``: missing, out of date
    or extra pages, one line each."""
    expected = generated_pages()
    problems = []
    for relative, text in expected.items():
        path = docs / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{relative}: out of date")
    for kind in PAGE_KINDS:
        for path in sorted((docs / kind.folder).glob("*.md")):
            if f"{kind.folder}/{path.name}" not in expected:
                problems.append(f"{kind.folder}/{path.name}: not generated from any item (remove it)")
    return problems


def write_pages(docs: Path) -> list[str]:
    """Write every generated page under ``docs`` and remove pages of items that no longer exist;
    returns the paths changed."""
    expected = generated_pages()
    changed = []
    for kind in PAGE_KINDS:
        for path in sorted((docs / kind.folder).glob("*.md")):
            if f"{kind.folder}/{path.name}" not in expected:
                path.unlink()
                changed.append(f"{kind.folder}/{path.name} (removed)")
    for relative, text in expected.items():
        path = docs / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            changed.append(relative)
    return changed


def main(argv: list[str]) -> int:
    docs = Path(argv[0]) if argv else Path("docs")
    if not docs.is_dir():
        print(f"{docs} is not a directory: run from the repository root, or give the docs folder", file=sys.stderr)
        return 2
    changed = write_pages(docs)
    print(f"{len(changed)} page(s) written or removed under {docs}" + "".join(f"\n  {c}" for c in changed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
