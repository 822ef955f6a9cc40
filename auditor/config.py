"""``[tool.mlaudit]`` configuration: strict validation, clear errors, command line wins."""

from __future__ import annotations

import difflib
import hashlib
import json
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from auditor.finding import CATEGORIES, CONFIDENCES, SEVERITIES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class ConfigError(Exception):
    """A mistake in the user's configuration or command line; the CLI exits with code 2."""


@dataclass
class Config:
    select: list[str] | None = None  # None: every rule
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)  # gitignore-style patterns
    fail_on: str = "high"
    # low-confidence findings (a name mentioned where a dynamic lookup may reach it) are hidden
    # unless asked for: a false "unused" costs more trust than a missed one
    min_confidence: str = "medium"
    min_severity: str = "info"  # findings below this severity are left out of every output
    max_file_size: int = 2_000_000  # bytes; larger source files are skipped with a reason
    entrypoints: list[str] = field(default_factory=list)  # extra roots for whole-program analysis
    severity: dict[str, str] = field(default_factory=dict)  # rule id -> severity override
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule id -> options
    jobs: int = 0  # 0: decide from the size of the repository
    readiness: dict[str, Any] = field(default_factory=dict)  # [tool.mlaudit.readiness]: weights of the score
    # The CI gate (auditor/ci/gate.py) and only-new-debt mode (auditor/ci/baseline.py, auditor/scan/suppress.py).
    fail_under: float | None = None  # minimum readiness score (0-100)
    fail_on_category: list[str] = field(default_factory=list)  # any finding in these categories fails
    baseline: str | None = None  # baseline file, relative to the scanned directory
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)  # path glob -> selectors
    source: str | None = None  # where the configuration came from, for messages and reports
    # Links from reports to the code, e.g. "https://git.example/{path}?at={commit}#L{line}";
    # None: derived from the git remote for GitHub and GitLab (auditor/report/links.py).
    source_url_template: str | None = None
    # The independent projects inside the repository (auditor/model/units.py): directory globs, or
    # None to detect them; ["."] makes the whole repository one unit.
    units: list[str] | None = None
    # "application" or "library": whether the public names of the distributed package are used from
    # outside the repository (a library's are; an application's are judged by use). None: decided
    # from packaging, publishing and deployment files (auditor/analysis/entrypoints.py).
    kind: str | None = None

    def digest(self) -> str:
        """What shapes the findings, hashed: two scans of one commit with the same digest are the
        same scan (the history keeps the later one). Where output goes and how fast it runs do not count."""
        shaping = {key: value for key, value in sorted(vars(self).items())
                   if key not in ("source", "jobs", "source_url_template", "baseline", "fail_on", "fail_under",
                                  "fail_on_category")}
        return hashlib.sha256(json.dumps(shaping, sort_keys=True, default=str).encode()).hexdigest()[:16]


# key in TOML -> (field name, checker description, checker)
def _list_of_str(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)




def _unit_glob_ok(glob: str) -> bool:
    """A unit glob is a relative directory pattern inside the repository."""
    parts = glob.strip().strip("/").split("/")
    return bool(glob.strip()) and not glob.startswith("/") and ".." not in parts and "\\" not in glob


_KEYS: dict[str, tuple[str, str, Any]] = {
    "select": ("select", "a list of strings", _list_of_str),
    "ignore": ("ignore", "a list of strings", _list_of_str),
    "exclude": ("exclude", "a list of strings", _list_of_str),
    "fail-on": ("fail_on", f"one of {', '.join(SEVERITIES)} or none", lambda v: v in (*SEVERITIES, "none")),
    "fail-under": ("fail_under", "a number from 0 to 100 (the readiness score)",
                   lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 100),
    "fail-on-category": ("fail_on_category", f"a list of categories ({', '.join(CATEGORIES)})",
                         lambda v: _list_of_str(v) and all(c in CATEGORIES for c in v)),
    "baseline": ("baseline", "a path to a baseline file (mlaudit baseline)", lambda v: isinstance(v, str) and v.strip()),
    "per-file-ignores": ("per_file_ignores", "a table of path glob = list of rule ids or categories",
                         lambda v: isinstance(v, dict) and all(_list_of_str(s) for s in v.values())),
    "min-confidence": ("min_confidence", f"one of {', '.join(CONFIDENCES)}", lambda v: v in CONFIDENCES),
    "min-severity": ("min_severity", f"one of {', '.join(SEVERITIES)}", lambda v: v in SEVERITIES),
    "max-file-size": ("max_file_size", "a positive integer (bytes)",
                      lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0),
    "entrypoints": ("entrypoints", "a list of strings", _list_of_str),
    "severity": ("severity", "a table of rule id = severity", lambda v: isinstance(v, dict)),
    "rules": ("rules", "a table of rule id = table of options",
              lambda v: isinstance(v, dict) and all(isinstance(o, dict) for o in v.values())),
    "readiness": ("readiness", "a table such as { weights = { rollback = 30 } }", lambda v: isinstance(v, dict)),
    "jobs": ("jobs", "a non-negative integer",
             lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0),
    "units": ("units", 'a list of directory globs such as ["labs/*/*"] (["."]: one unit)',
              lambda v: _list_of_str(v) and all(_unit_glob_ok(g) for g in v)),
    "kind": ("kind", 'one of "application" or "library"', lambda v: v in ("application", "library")),
    "source-url-template": ("source_url_template",
                            "an http(s) URL with {path} and optionally {commit}, {branch}, {line}",
                            lambda v: isinstance(v, str)),
}


def pattern_problem(pattern: str) -> str | None:
    """Why a gitignore-style pattern cannot be used (``!`` alone, a lone backslash), or None."""
    import pathspec  # only when a configuration has patterns

    try:
        pathspec.GitIgnoreSpec.from_lines([pattern])
    except (ValueError, TypeError) as exc:  # pathspec's GitIgnorePatternError is a ValueError
        return str(exc) or "not a gitignore-style pattern"
    return None


def check_patterns(patterns: list[str], where: str) -> None:
    for pattern in patterns:
        problem = pattern_problem(pattern)
        if problem:
            raise ConfigError(f"{where}: invalid pattern {pattern!r} ({problem})")


def _suggest(key: str, options: list[str]) -> str:
    close = difflib.get_close_matches(key, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def find_config(root: Path, explicit: Path | None) -> tuple[dict[str, Any], str | None]:
    """The raw ``[tool.mlaudit]`` table and where it came from (``{}`` when there is none)."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"configuration file {explicit} does not exist")
        doc = _read_toml(explicit)
        table = doc.get("tool", {}).get("mlaudit") if isinstance(doc.get("tool"), dict) else None
        return (table if table is not None else doc), str(explicit)
    if root.is_dir():
        dedicated = root / "mlaudit.toml"
        if dedicated.is_file():
            return _read_toml(dedicated), str(dedicated)
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            try:
                doc = _read_toml(pyproject)
            except ConfigError:
                # A broken pyproject.toml that holds no mlaudit table is the scanned project's
                # problem, not a configuration error of ours; it is reported as a finding.
                try:
                    text = pyproject.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    text = ""
                if "[tool.mlaudit" in text:
                    raise
                return {}, None
            tool = doc.get("tool")
            if isinstance(tool, dict) and "mlaudit" in tool:
                return tool["mlaudit"], f"{pyproject} [tool.mlaudit]"
    return {}, None


def build_config(raw: dict[str, Any], source: str | None, overrides: dict[str, Any]) -> Config:
    """Validate the file table, then apply command-line overrides (already in field names)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [tool.mlaudit] must be a table")
    where = source or "configuration"
    config = Config(source=source)
    for key, value in raw.items():
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key '{key}'{_suggest(key, list(_KEYS))}")
        attr, description, check = _KEYS[key]
        if not check(value):
            raise ConfigError(f"{where}: '{key}' must be {description}, got {value!r}")
        setattr(config, attr, value)
    check_patterns(config.exclude, f"{where}: 'exclude'")
    check_patterns(list(config.per_file_ignores), f"{where}: [per-file-ignores]")
    names = {f.name for f in fields(Config)}
    for attr, value in overrides.items():
        if attr not in names:
            raise ValueError(attr)
        if value is not None:
            setattr(config, attr, value)
    return config


def load_config(root: Path, explicit: Path | None = None, **overrides: Any) -> Config:
    raw, source = find_config(root, explicit)
    return build_config(raw, source, overrides)
