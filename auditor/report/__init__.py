"""Reporters: pure functions of a ScanResult that return the rendered text, one module a format
(text, JSON, HTML, SARIF, GitLab, JUnit, GitHub annotations, Markdown), their shared helpers
(``common``), source links (``links``) and writing several reports from one scan (``outputs``).

It may import the CI layer (the gate's verdict is part of every report), the engine's result types
and everything below; it never imports the history store or the command line.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import PurePath
from typing import Callable, Iterator

# Format -> (module, function). Imported when a report of that format is written: a scan imports
# the reporters it uses, not all eight (the HTML one brings jinja2).
_RENDERERS = {
    "text": ("text", "render_text"),
    "json": ("json_report", "render_json"),
    "html": ("html", "render_html"),
    "sarif": ("sarif", "render_sarif"),
    "gitlab": ("gitlab", "render_gitlab"),
    "junit": ("junit", "render_junit"),
    "github": ("github", "render_github"),
    "markdown": ("markdown", "render_markdown"),
}


class _Formats(Mapping):
    """Format name -> its renderer, imported on first use."""

    def __getitem__(self, fmt: str) -> Callable[..., str]:
        module, function = _RENDERERS[fmt]
        return getattr(importlib.import_module(f"auditor.report.{module}"), function)

    def __iter__(self) -> Iterator[str]:
        return iter(_RENDERERS)

    def __len__(self) -> int:
        return len(_RENDERERS)


FORMATS: Mapping[str, Callable[..., str]] = _Formats()

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
