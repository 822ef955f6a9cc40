"""Versions: what a lock file resolves each package to, whether a version meets a specifier, and a
requirement rewritten as an exact pin (``mlaudit fix`` pins requirements with these). Pure functions
of text and parsed data; no packaging library, no network.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.ml.requirements import NAME_PATTERN, normalise


def locked_versions(name: str, data: Any) -> dict[str, str]:
    """Normalised package name -> the exact version a lock file resolves it to (poetry, uv and pdm
    ``[[package]]`` tables, conda-lock's pip packages, Pipfile.lock's ``"==X"``)."""
    lower = name.lower()
    versions: dict[str, str] = {}
    if not isinstance(data, dict):
        return versions
    if lower == "pipfile.lock":
        for section in ("default", "develop"):
            for package, entry in (data.get(section) or {}).items():
                version = entry.get("version", "") if isinstance(entry, dict) else ""
                if isinstance(version, str) and version.startswith("=="):
                    versions.setdefault(normalise(str(package)), version[2:])
        return versions
    for package in data.get("package") or []:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        if package.get("manager", "pip") != "pip" and lower.endswith((".yml", ".yaml")):
            continue  # a conda package's version need not exist on PyPI
        version = package.get("version")
        if isinstance(version, str) and re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version):
            versions.setdefault(normalise(package["name"]), version)
    return versions


_SPECIFIER = re.compile(r"^\s*(~=|===|==|!=|<=|>=|<|>)\s*([0-9][0-9A-Za-z.*+!-]*)\s*$")


def _release(version: str) -> tuple[int, ...] | None:
    match = re.match(r"^(?:\d+!)?(\d+(?:\.\d+)*)$", version)
    return tuple(int(p) for p in match.group(1).split(".")) if match else None


def satisfies(version: str, specifier: str) -> bool | None:
    """Whether a final release ``version`` meets a specifier such as ``>=1.2,<3``; None when either
    is beyond this simple reading (pre-releases, wildcards, local versions)."""
    have = _release(version)
    if have is None:
        return None
    for clause in filter(None, (c.strip() for c in specifier.split(","))):
        match = _SPECIFIER.match(clause)
        want = _release(match.group(2)) if match else None
        if match is None or want is None:
            return None
        size = max(len(have), len(want))
        a, b = have + (0,) * (size - len(have)), want + (0,) * (size - len(want))
        operator = match.group(1)
        if operator == "~=":
            ok = a >= b and a[:len(want) - 1] == want[:-1]
        else:
            ok = {"==": a == b, "===": a == b, "!=": a != b, "<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b}[operator]
        if not ok:
            return False
    return True


def pinned_text(requirement: str, version: str) -> str | None:
    """``requirement`` (as written, without comment) pinned to ``==version``, keeping its extras and
    environment marker; None when it is not a named requirement or the version breaks its range."""
    body, marker = (requirement.split(";", 1) + [""])[:2] if ";" in requirement else (requirement, "")
    match = NAME_PATTERN.match(body)
    if not match or "://" in body or body.strip().startswith(("-", ".", "/")):
        return None
    name, extras, specifier = match.group(1), match.group(2) or "", match.group(3).strip()
    if specifier.startswith("@"):
        return None
    if specifier and satisfies(version, specifier) is not True:
        return None
    return f"{name}{extras}=={version}" + (f"; {marker.strip()}" if marker.strip() else "")
