"""Reporters: pure functions of a ScanResult that return the rendered text."""

from __future__ import annotations

from typing import Callable

from auditor.report.json_report import render_json
from auditor.report.text import render_text

FORMATS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
}
