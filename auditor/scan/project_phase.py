"""The project phase: the file and project rules, each answered from the cache when the facts it
read last time are as they were (``auditor/scan/incremental.py`` makes the keys), else run with what
it reads recorded; and how findings are kept in the cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from auditor.finding import Finding
from auditor.model.project import Project
from auditor.rule import FileRule, ProjectRule
from auditor.scan import incremental
from auditor.scan.cache import ResultCache, code_digest
from auditor.scan.worker import format_error

if TYPE_CHECKING:
    from auditor.scan.engine import ScanResult


def stored_rows(findings: list[Finding]) -> Iterator[dict[str, Any]]:
    """Findings as a cache entry holds them, made one at a time (``ResultCache.put_in_parts``)."""
    return (f.to_json() | {"anchor": f.anchor} for f in findings)


def stored_findings(state: Any) -> tuple[list[Finding], list[dict[str, str]]] | None:
    """Findings and internal errors from a project-phase cache entry (its findings made ``Finding``
    objects by ``get_in_parts``), or None when it is missing, damaged or foreign."""
    if not isinstance(state, dict) or not isinstance(state.get("errors"), list):
        return None
    try:
        errors = [{"rule": str(e["rule"]), "path": str(e["path"]), "error": str(e["error"])} for e in state["errors"]]
        findings = list(state["findings"])
        return (findings, errors) if all(isinstance(f, Finding) for f in findings) else None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def run_rules(rules: list[type], options: dict[str, dict[str, Any]], project: Project,
              result: ScanResult) -> list[Finding]:
    """File rules on each file of their kinds, then project rules; a rule that raises is an
    internal error for that rule and file, and the others go on."""
    findings: list[Finding] = []
    for rule_cls in rules:
        if not issubclass(rule_cls, (FileRule, ProjectRule)):
            continue  # module rules ran in the workers; pass rules are made by their pass
        kind = rule_cls.kind()
        rule = rule_cls(options.get(rule_cls.id))
        targets = [f for f in project.files.values() if f.kind in rule_cls.kinds] if kind == "file" else [None]
        for target_file in targets:
            try:
                findings.extend(rule.check(target_file, project) if kind == "file" else rule.check(project))
            except Exception:
                result.errors.append({"rule": rule_cls.id, "path": target_file.path if target_file else "",
                                      "error": format_error()})
    return findings


def project_findings(result: ScanResult, cache: ResultCache | None, project: Project, rules: list[type],
                     keys: incremental.ProjectKeys | None, options: dict[str, dict[str, Any]]) -> list[Finding]:
    """Each file and project rule's findings, in the rules' order: from the cache when the facts it
    read last time are as they were, else from running it (what it reads is recorded, and kept with
    its findings)."""
    result.cache["project_phase_reused"] = True
    found_by_rule: list[list[Finding]] = []
    ran: list[tuple[type, list[Finding], set[str], set[str], list[dict[str, str]]]] = []
    documents = None  # the documents' parses, kept between scans once a rule runs
    result.cache["project_rules"], result.cache["project_rules_reused"] = len(rules), 0
    for rule in rules:
        stored = _stored_rule_findings(cache, keys, rule) if keys is not None else None
        if stored is not None:
            found, errors = stored
            result.errors.extend(errors)
            found_by_rule.append(found)
            result.cache["project_rules_reused"] += 1
            continue
        result.cache["project_phase_reused"] = False
        if cache is not None and documents is None:
            documents = incremental.StoredDocuments(cache, code_digest())
            documents.restore(project.files)
        errors_before = len(result.errors)
        with project.facts.recording() as (reads, touched):
            found = run_rules([rule], options, project, result)
        found_by_rule.append(found)
        ran.append((rule, found, reads, touched, result.errors[errors_before:]))
    if keys is not None and ran:
        _store_rule_findings(cache, keys, ran)
    if documents is not None:
        documents.store(project.files)
    return [finding for found in found_by_rule for finding in found]


def _stored_rule_findings(cache: ResultCache, keys: incremental.ProjectKeys,
                          rule: type) -> tuple[list[Finding], list[dict[str, str]]] | None:
    file_times = bool(getattr(rule, "reads_file_times", False))
    kinds = cache.get("rule-reads", keys.reads_key(rule.id, file_times))
    if not isinstance(kinds, list) or not all(isinstance(kind, str) for kind in kinds):
        return None
    return stored_findings(cache.get_in_parts("project", keys.rule_key(rule.id, file_times, kinds), Finding.from_json))


def _store_rule_findings(cache: ResultCache, keys: incremental.ProjectKeys,
                         ran: list[tuple[type, list[Finding], set[str], set[str], list[dict[str, str]]]]) -> None:
    """What each rule that ran found, under the facts it read. A shared analysis (the program graph,
    the dead-code analysis) is made by the first rule that uses it and grown by the others: a rule
    that used one depends on what every rule that used it read. A rule that raised raises again
    on the same facts, so its error is kept with its findings."""
    read_through: dict[str, set[str]] = {}
    for _rule, _found, reads, touched, _errors in ran:
        for analysis in touched:
            read_through.setdefault(analysis, set()).update(reads)
    for rule, found, reads, touched, errors in ran:
        kinds = sorted(reads.union(*(read_through[analysis] for analysis in touched)))
        file_times = bool(getattr(rule, "reads_file_times", False))
        cache.put("rule-reads", keys.reads_key(rule.id, file_times), kinds)
        cache.put_in_parts("project", keys.rule_key(rule.id, file_times, kinds), {"errors": errors},
                           {"findings": stored_rows(found)})
