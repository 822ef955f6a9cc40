"""A Hydra application's composed configuration, read statically: the primary config file and the
config groups its ``defaults`` list selects, for checking the ``key=value`` overrides a document
passes to the script. Only plain compositions are read (``group: option`` entries and ``_self_``);
a package directive, an ``override``, an optional or interpolated entry, a missing group file makes
the composition unknown (None), and nothing is reported."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any, Callable

Lookup = Callable[[str], Any]  # repository path -> (parsed data, text) of a YAML file, or None


@dataclass
class Composed:
    config: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)  # group -> the options its folder offers
    primary: str = ""


def _options(paths: set[str], folder: str) -> set[str]:
    return {posixpath.splitext(posixpath.basename(p))[0] for p in paths
            if posixpath.dirname(p) == folder and p.endswith((".yaml", ".yml"))}


def _load(lookup: Lookup, stem: str) -> dict | None:
    for suffix in (".yaml", ".yml"):
        found = lookup(stem + suffix)
        if found is not None:
            data, text = found
            if "@package" in (text or "") or not isinstance(data, (dict, type(None))):
                return None  # placed somewhere else in the config, or not a mapping: not read
            return data or {}
    return None


def compose(lookup: Lookup, paths: set[str], config_dir: str, config_name: str) -> Composed | None:
    primary = _load(lookup, posixpath.join(config_dir, config_name.removesuffix(".yaml")))
    if primary is None:
        return None
    composed = Composed(primary=posixpath.join(config_dir, config_name.removesuffix(".yaml") + ".yaml"))
    defaults = primary.get("defaults", [])
    if not isinstance(defaults, list):
        return None
    for entry in defaults:
        if entry == "_self_":
            continue
        if not (isinstance(entry, dict) and len(entry) == 1):
            return None
        [(group, option)] = entry.items()
        if not isinstance(group, str) or not isinstance(option, str) or any(c in group + option for c in " $/{}:?"):
            return None
        data = _load(lookup, posixpath.join(config_dir, group, option))
        if data is None:
            return None
        composed.config[group] = data
        composed.groups[group] = _options(paths, posixpath.join(config_dir, group))
    composed.config.update({k: v for k, v in primary.items() if k != "defaults"})
    return composed


def key_paths(tree: Any, prefix: str = "") -> list[str]:
    """Every dotted key of a config."""
    found = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            path = f"{prefix}{key}"
            found.append(path)
            found.extend(key_paths(value, path + "."))
    return found


def has_key(tree: Any, dotted: str) -> bool | None:
    """Whether a dotted key is in the config; None when a value on the way is not a mapping (a
    ``???`` or null to be filled in: anything may go below it)."""
    node = tree
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        if part not in node:
            return False
        node = node[part]
    return True


def choose(composed: Composed, lookup: Lookup, config_dir: str, group: str, option: str) -> bool:
    """Compose another option of a group (``model=vit`` on the command line); False when it cannot be read."""
    data = _load(lookup, posixpath.join(config_dir, group, option))
    if data is None:
        return False
    composed.config[group] = data
    return True
