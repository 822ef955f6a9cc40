"""Reporters: pure functions of a ScanResult that return the rendered text."""

from __future__ import annotations

from pathlib import PurePath
from typing import Callable

from auditor.report.github import render_github
from auditor.report.gitlab import render_gitlab
from auditor.report.html import render_html
from auditor.report.json_report import render_json
from auditor.report.junit import render_junit
from auditor.report.markdown import render_markdown
from auditor.report.sarif import render_sarif
from auditor.report.text import render_text

FORMATS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "html": render_html,
    "sarif": render_sarif,
    "gitlab": render_gitlab,
    "junit": render_junit,
    "github": render_github,
    "markdown": render_markdown,
}

# File name endings that say which format is meant (``-o report.html``).
EXTENSIONS = {
    ".html": "html", ".htm": "html", ".sarif": "sarif", ".sarif.json": "sarif", ".xml": "junit",
    ".md": "markdown", ".markdown": "markdown", ".txt": "text", ".json": "json",
}


def infer_format(path: str | PurePath) -> str | None:
    """The format a file name asks for, or None. GitLab's conventional report name
    (``gl-code-quality-report.json``, anything with "codequality" or "code-quality") means gitlab."""
    name = PurePath(path).name.lower()
    if name.endswith(".json") and any(k in name.replace("_", "-") for k in ("code-quality", "codequality")):
        return "gitlab"
    for ending in sorted(EXTENSIONS, key=len, reverse=True):
        if name.endswith(ending):
            return EXTENSIONS[ending]
    return None
