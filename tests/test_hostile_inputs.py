"""Hostile inputs that once stopped a scan or corrupted its report: each is now a clear
configuration error (exit 2) or a skipped or degraded file, and the report is always valid."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from auditor.cli.main import main
from auditor.cli.settings import build_config
from auditor.config import ConfigError
from auditor.report.json_report import _dumps


def _scan(*args: str):
    return CliRunner().invoke(main, ["scan", *args])


def test_an_unusable_exclude_pattern_is_a_configuration_error(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    done = _scan(str(tmp_path), "--no-cache", "--exclude", "!")
    assert done.exit_code == 2 and "--exclude: invalid pattern '!'" in done.output
    with pytest.raises(ConfigError, match="'exclude': invalid pattern"):
        build_config({"exclude": ["data/**", "!"]}, "pyproject.toml", {})
    with pytest.raises(ConfigError, match=r"\[per-file-ignores\]: invalid pattern"):
        build_config({"per-file-ignores": {"\\": ["ML401"]}}, "pyproject.toml", {})


@pytest.mark.parametrize("weight", [math.inf, -math.inf, math.nan])
def test_a_weight_that_is_not_a_finite_number_is_a_configuration_error(weight):
    with pytest.raises(ConfigError, match="non-negative finite number"):
        build_config({"readiness": {"weights": {"rollback": weight}}}, "pyproject.toml", {})


def test_json_output_never_holds_nan_or_infinity():
    text = _dumps({"score": math.nan, "nested": [1.5, math.inf, {"x": -math.inf}]}, indent=2)
    assert json.loads(text) == {"score": None, "nested": [1.5, None, {"x": None}]}
    assert _dumps({"fine": 1.5}) == '{"fine": 1.5}'


def test_an_invalid_line_in_a_repository_gitignore_is_ignored_and_said(tmp_path):
    # Outside git, mlaudit applies .gitignore files itself; a line git would reject must not stop it.
    (tmp_path / ".gitignore").write_text("!\n*.log\n")
    (tmp_path / "train.py").write_text("x = 1\n")
    (tmp_path / "debug.log").write_text("noise\n")
    out = tmp_path.parent / f"{tmp_path.name}-report.json"
    done = _scan(str(tmp_path), "--no-cache", "--format", "json", "-o", str(out))
    assert done.exit_code in (0, 1), done.output
    report = json.loads(out.read_text())
    assert {"path": ".gitignore", "reason": "1 invalid pattern(s) ignored, e.g. '!'"} in report["scanned"]["skipped"]
    assert report["scanned"]["files"] >= 1 and not report["errors"]
