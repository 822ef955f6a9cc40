"""The configuration a command runs with: ``[tool.mlaudit]`` and the command line, every part
checked by its owner before anything runs.

``auditor.config`` checks its own keys and types. What the values name belongs to other parts:
the rules and their options (auditor/registry.py), the readiness weights
(auditor/readiness/score.py) and the source link template (auditor/report/links.py). Each checks its
own; this module asks each of them, so a mistake anywhere is a configuration error (exit 2)
before the scan starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor import config as config_module
from auditor import registry
from auditor.config import Config, ConfigError
from auditor.report.links import template_problem


def check(config: Config, where: str) -> None:
    """Raise ConfigError for the first value that its owner refuses."""
    registry.check_config(config, where)
    if config.readiness:  # nothing to check otherwise: importing readiness would load every check
        from auditor.readiness.score import validate_readiness

        problem = validate_readiness(config.readiness)
        if problem:
            raise ConfigError(f"{where}: [readiness] {problem}")
    if config.source_url_template is not None and template_problem(config.source_url_template):
        raise ConfigError(f"{where}: 'source-url-template' must be an http(s) URL with {{path}} and optionally "
                          f"{{commit}}, {{branch}}, {{line}}, got {config.source_url_template!r}")


def build_config(raw: dict[str, Any], source: str | None, overrides: dict[str, Any]) -> Config:
    config = config_module.build_config(raw, source, overrides)
    check(config, source or "configuration")
    return config


def load_config(root: Path, explicit: Path | None = None, **overrides: Any) -> Config:
    raw, source = config_module.find_config(root, explicit)
    return build_config(raw, source, overrides)
