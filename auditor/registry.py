"""Finds the rules and extractors shipped in ``auditor.rules``, and those of installed plugins
(the ``mlaudit.rules`` entry-point group: docs/plugins.md), and selects among them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import lru_cache
from importlib import metadata
from typing import Any

from auditor.config import Config, ConfigError
from auditor.finding import CATEGORIES, SEVERITIES
from auditor.rule import Extractor, FileRule, ModuleRule, PassRule, ProjectRule, Rule

_KINDS = (ModuleRule, FileRule, ProjectRule, PassRule)
# Extractors that serve a subsystem rather than one rule live with that subsystem.
EXTRACTOR_MODULES = ("auditor.readiness.facts",)
# Engine modules that define extractors shared by many rules (besides those in auditor.rules).
CORE_EXTRACTOR_MODULES = ("auditor.analysis.symbols", "auditor.analysis.directives")


class RegistryError(Exception):
    pass


def _defined_in(module) -> list[type]:
    return [obj for _, obj in inspect.getmembers(module, inspect.isclass) if obj.__module__ == module.__name__]


def _add_extractor(extractors: dict[str, type[Extractor]], obj: type[Extractor]) -> None:
    if obj.name in extractors and extractors[obj.name] is not obj:
        raise RegistryError(f"extractor name {obj.name} is defined twice")
    extractors[obj.name] = obj


PLUGIN_GROUP = "mlaudit.rules"


def _add_rule(rules: dict[str, type[Rule]], names: dict[str, str], obj: type[Rule], plugin: bool = False) -> None:
    problems = obj.problems(plugin=plugin)
    if problems:
        raise RegistryError(f"rule {obj.__qualname__} in {obj.__module__}: {'; '.join(problems)}")
    if obj.id in rules:
        raise RegistryError(f"rule id {obj.id} is defined twice")
    if obj.name in names:
        raise RegistryError(f"rule name {obj.name} is used by {names[obj.name]} and {obj.id}")
    rules[obj.id] = obj
    names[obj.name] = obj.id


def _is_rule(obj: type) -> bool:
    # A shared base class inside a rule module has no id; it is not a rule of its own.
    return issubclass(obj, _KINDS) and obj not in _KINDS and not inspect.isabstract(obj) and hasattr(obj, "id")


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, type[Rule]], dict[str, type[Extractor]]]:
    import auditor.rules as package

    rules: dict[str, type[Rule]] = {}
    extractors: dict[str, type[Extractor]] = {}
    names: dict[str, str] = {}
    # Flat and non-recursive on purpose: every rule module sits directly in rules/.
    rule_modules = [f"auditor.rules.{info.name}"
                    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name)]
    for module_name in [*CORE_EXTRACTOR_MODULES, *rule_modules, *EXTRACTOR_MODULES]:
        for obj in _defined_in(importlib.import_module(module_name)):
            if issubclass(obj, Extractor) and obj is not Extractor:
                _add_extractor(extractors, obj)
            elif module_name in rule_modules and _is_rule(obj):
                _add_rule(rules, names, obj)
    _load_plugins(rules, extractors, names)
    return dict(sorted(rules.items())), extractors


# Plugins that could not be loaded: (entry point, distribution, why). Reported, never fatal.
PLUGIN_PROBLEMS: list[tuple[str, str, str]] = []


def _load_plugins(rules: dict[str, type[Rule]], extractors: dict[str, type[Extractor]], names: dict[str, str]) -> None:
    """Rules of the ``mlaudit.rules`` entry points: a module (its rules and extractors) or one rule
    class. Each is validated like a built-in rule; one that fails to import or to validate is
    skipped with its reason (``PLUGIN_PROBLEMS``), and the others still load."""
    PLUGIN_PROBLEMS.clear()
    for entry in sorted(metadata.entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        dist = entry.dist
        provided_by = f"{dist.metadata['Name']} {dist.version}" if dist is not None else entry.value
        try:
            loaded = entry.load()
            found = _defined_in(loaded) if inspect.ismodule(loaded) else [loaded]
            new_rules, new_extractors = dict(rules), dict(extractors)
            new_names = dict(names)
            for obj in found:
                if inspect.isclass(obj) and issubclass(obj, Extractor) and obj is not Extractor:
                    _add_extractor(new_extractors, obj)
                elif inspect.isclass(obj) and _is_rule(obj):
                    obj.provided_by = provided_by
                    _add_rule(new_rules, new_names, obj, plugin=True)
            if len(new_rules) == len(rules):
                raise RegistryError("it defines no rule")
        except Exception as exc:  # a plugin's bug must not stop a scan: it is skipped and said
            PLUGIN_PROBLEMS.append((entry.name, provided_by, f"{type(exc).__name__}: {exc}"))
            continue
        rules.update(new_rules)
        extractors.update(new_extractors)
        names.update(new_names)


def plugin_versions() -> list[str]:
    """The installed plugins and their versions, read from their metadata without importing them:
    part of the cache key (a plugin upgrade re-runs its rules; a cached scan still loads no rule)."""
    found = set()
    for entry in metadata.entry_points(group=PLUGIN_GROUP):
        dist = entry.dist
        found.add(f"{entry.name}={entry.value}@" + (f"{dist.metadata['Name']} {dist.version}" if dist else "?"))
    return sorted(found)


def all_rules() -> dict[str, type[Rule]]:
    return _load()[0]


def all_extractors() -> dict[str, type[Extractor]]:
    return _load()[1]


def get_rule(key: str) -> type[Rule] | None:
    rules = all_rules()
    if key.upper() in rules:
        return rules[key.upper()]
    for rule in rules.values():
        if rule.name == key:
            return rule
    return None


def selector_matches(selector: str, rule: type[Rule]) -> bool:
    """A selector is a rule id, an id prefix (``ML2``), a rule name or a category."""
    return (
        rule.id == selector.upper()
        or (selector[-1:].isdigit() and rule.id.startswith(selector.upper()))  # ML2, a plugin's ACME1
        or rule.name == selector
        or rule.category == selector
        or selector.upper() == "ALL"
    )


def validate_selector(selector: str) -> bool:
    return selector in CATEGORIES or any(selector_matches(selector, r) for r in all_rules().values())


def select_rules(select: list[str] | None, ignore: list[str]) -> list[type[Rule]]:
    chosen = []
    for rule in all_rules().values():
        if select and not any(selector_matches(s, rule) for s in select):
            continue
        if any(selector_matches(s, rule) for s in ignore):
            continue
        chosen.append(rule)
    return chosen


def check_config(config: "Config", where: str) -> None:
    """The rules named in the configuration exist, and each rule's options are its own and valid."""

    for label, selectors in (("select", config.select or []), ("ignore", config.ignore)):
        for selector in selectors:
            if not validate_selector(selector):
                raise ConfigError(f"{where}: '{label}' names unknown rule or category '{selector}'")
    for pattern, selectors in config.per_file_ignores.items():
        for selector in selectors:
            if not validate_selector(selector):
                raise ConfigError(f"{where}: [per-file-ignores] '{pattern}' names unknown rule or category '{selector}'")
    for rule_id, value in config.severity.items():
        if get_rule(rule_id) is None:
            raise ConfigError(f"{where}: [severity] names unknown rule '{rule_id}'")
        if value not in SEVERITIES:
            raise ConfigError(f"{where}: [severity] {rule_id} must be one of {', '.join(SEVERITIES)}, got {value!r}")
    for rule_id, options in config.rules.items():
        rule = get_rule(rule_id)
        if rule is None:
            raise ConfigError(f"{where}: [rules] names unknown rule '{rule_id}'")
        for key, value in options.items():
            option = rule.options.get(key)
            if option is None:
                known = ", ".join(rule.options) or "none"
                raise ConfigError(f"{where}: rule {rule.id} has no option '{key}' (options: {known})")
            if not isinstance(value, option.type) or isinstance(value, bool) != (option.type is bool):
                raise ConfigError(
                    f"{where}: option '{key}' of rule {rule.id} must be {option.type.__name__}, got {value!r}")
            problem = option.check(value) if option.check else None
            if problem:
                raise ConfigError(f"{where}: option '{key}' of rule {rule.id} {problem}")


def rule_options(config: "Config", rule_id: str) -> dict[str, Any]:
    """The options the configuration gives the rule ``rule_id`` (by id or name)."""

    for key, options in config.rules.items():
        rule = get_rule(key)
        if rule is not None and rule.id == rule_id:
            return dict(options)
    return {}
