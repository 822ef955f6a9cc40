"""``mlaudit server`` end to end: pygls's client starts it over stdio, opens a file of a small
repository, receives diagnostics, saves a change, receives the new diagnostics, asks for a quick fix
and for hover text. Each wait has a timeout, so a broken server fails the test instead of hanging."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from auditor.finding import Finding  # noqa: E402
from auditor.server.diagnostics import finding_range, lines_of, text_edit  # noqa: E402

WAIT = 20.0  # seconds for one answer; a cold scan of the small repository takes well under one

CODE = """\
import os
import yaml


def load(path):
    with open(path) as fh:
        return yaml.load(fh)
"""


class Diagnostics:
    """The diagnostics the server published, per URI, and a way to wait for the next ones."""

    def __init__(self, client: LanguageClient) -> None:
        self.latest: dict[str, list[types.Diagnostic]] = {}
        self.arrived = asyncio.Event()

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.latest[params.uri] = params.diagnostics
            self.arrived.set()

    async def next(self, uri: str) -> list[types.Diagnostic]:
        self.latest.pop(uri, None)
        while uri not in self.latest:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), WAIT)
        return self.latest[uri]


def make_finding(line: int | None, end_line: int | None = None) -> Finding:
    return Finding("ML401", "unticketed-debt-marker", "undocumented-hack", "low", "high", "a.py", line, "TODO",
                   end_line=end_line)


def _repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "train.py").write_text(CODE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


async def _session(root: Path, cache_home: Path) -> None:
    client = LanguageClient("mlaudit-test", "1")
    diagnostics = Diagnostics(client)
    # Started outside the checkout (whose rules/ only the installed package maps to auditor.rules),
    # with a cache of the test's own.
    await client.start_io(sys.executable, "-m", "auditor", "server", cwd=str(cache_home),
                          env={**os.environ, "XDG_CACHE_HOME": str(cache_home)})
    try:
        await asyncio.wait_for(client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="repo")])), WAIT)
        client.initialized(types.InitializedParams())
        await _exercise(client, diagnostics, root)
        await asyncio.wait_for(client.shutdown_async(None), WAIT)
        client.exit(None)
    finally:
        await asyncio.wait_for(client.stop(), WAIT)


async def _exercise(client: LanguageClient, diagnostics: Diagnostics, root: Path) -> None:
    path = root / "train.py"
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=CODE)))
    first = await diagnostics.next(uri)
    by_rule = {d.code: d for d in first}
    assert {"ML104", "ML453"} <= set(by_rule)  # the unused import, yaml.load without a loader
    unsafe_load = by_rule["ML453"]
    assert unsafe_load.source == "mlaudit"
    assert unsafe_load.range.start == types.Position(6, 8) and unsafe_load.range.end.line == 6
    assert unsafe_load.severity == types.DiagnosticSeverity.Warning  # a medium finding
    assert unsafe_load.code_description.href.endswith("/docs/rules/ML453.md")

    # Saved without the unused import: its diagnostic goes, the others move up a line.
    edited = CODE.replace("import os\n", "")
    path.write_text(edited)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)]))
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    second = {d.code: d for d in await diagnostics.next(uri)}
    assert "ML104" not in second and second["ML453"].range.start.line == 5

    actions = await asyncio.wait_for(client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=second["ML453"].range,
        context=types.CodeActionContext(diagnostics=[second["ML453"]]))), WAIT)
    assert len(actions) == 1 and actions[0].kind == types.CodeActionKind.QuickFix and actions[0].is_preferred
    [change] = actions[0].edit.changes[uri]
    assert change.range.start.line == 5 and change.new_text == "        return yaml.safe_load(fh)\n"
    assert path.read_text() == edited  # the server never writes: the editor applies the edit

    hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(5, 10))), WAIT)
    assert "ML453" in hover.contents.value and "safe_load" in hover.contents.value


def test_language_server_over_stdio(tmp_path):
    root = _repository(tmp_path)
    cache_home = tmp_path / "cache"
    cache_home.mkdir()
    asyncio.run(asyncio.wait_for(_session(root, cache_home), 4 * WAIT))
    assert sorted(p.name for p in root.iterdir()) == [".git", "train.py"]  # nothing written into the repository


def test_diagnostic_range_spans_the_findings_lines_from_the_first_non_blank_character():
    lines = lines_of("a = 1\n    b = 'é'\r\n    c\n")
    assert lines == ["a = 1\n", "    b = 'é'\r\n", "    c\n"]
    found = finding_range(make_finding(line=2, end_line=3), lines)
    assert (found.start.line, found.start.character, found.end.line, found.end.character) == (1, 4, 2, 5)
    beyond = finding_range(make_finding(line=40), lines)  # a file changed since: clamped to its end
    assert beyond.start.line == 2


def test_text_edit_replaces_only_the_changed_lines():
    edit = text_edit("a\nb\nc\n", "a\nB\nc\n")
    assert (edit.range.start.line, edit.range.end.line, edit.new_text) == (1, 2, "B\n")
    at_end = text_edit("a\nb", "a\nb\nc")  # no line break at the end: the edit ends at the last character
    assert (at_end.range.start.line, at_end.range.end.line, at_end.range.end.character, at_end.new_text) == (1, 1, 1, "b\nc")
    assert text_edit("same\n", "same\n") is None


def test_server_without_the_extra_says_how_to_install_it(monkeypatch):
    from click.testing import CliRunner

    from auditor.cli import main

    monkeypatch.delitem(sys.modules, "auditor.server.lsp", raising=False)
    monkeypatch.setitem(sys.modules, "pygls.lsp.server", None)  # as if pygls were not installed
    result = CliRunner().invoke(main, ["server"])
    assert result.exit_code == 2
    assert 'pip install "mlaudit[server]"' in result.output


NOTEBOOK_CELLS = [
    ("markdown", "# Explore the churn data"),
    ("code", "import json\n\nprint(json.dumps({'rows': 3}))"),
    ("code", "import pickle\n\nwith open(path, 'rb') as fh:\n    frame = pickle.load(fh)"),
    ("code", "print(frame.head())"),
]


def _notebook_json(cells) -> str:
    import json

    return json.dumps({"cells": [{"cell_type": kind, "metadata": {}, "source": text,
                                  **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                                 for kind, text in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


async def _notebook_session(root: Path, cache_home: Path) -> None:
    """A notebook opened the way an editor's notebook view opens it: its cells are documents of
    their own, and the findings arrive on the cell they are in, at the line within the cell."""
    client = LanguageClient("mlaudit-test", "1")
    diagnostics = Diagnostics(client)
    await client.start_io(sys.executable, "-m", "auditor", "server", cwd=str(cache_home),
                          env={**os.environ, "XDG_CACHE_HOME": str(cache_home)})
    try:
        notebooks = types.NotebookDocumentClientCapabilities(synchronization=types.NotebookDocumentSyncClientCapabilities())
        result = await asyncio.wait_for(client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(notebook_document=notebooks), root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="repo")])), WAIT)
        assert result.capabilities.notebook_document_sync is not None
        client.initialized(types.InitializedParams())
        notebook_uri = (root / "explore.ipynb").as_uri()
        cell_uris = [f"vscode-notebook-cell:{(root / 'explore.ipynb').as_posix()}#cell{n}" for n in range(4)]
        client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=notebook_uri, notebook_type="jupyter-notebook", version=1,
                cells=[types.NotebookCell(kind=types.NotebookCellKind.Markup if kind == "markdown"
                                          else types.NotebookCellKind.Code, document=uri)
                       for (kind, _), uri in zip(NOTEBOOK_CELLS, cell_uris)]),
            cell_text_documents=[types.TextDocumentItem(uri=uri, language_id="markdown" if kind == "markdown" else "python",
                                                        version=1, text=text)
                                 for (kind, text), uri in zip(NOTEBOOK_CELLS, cell_uris)]))
        on_cell = await diagnostics.next(cell_uris[2])
        pickle_load = next(d for d in on_cell if d.code == "ML451")
        assert pickle_load.range.start.line == 3  # the fourth line of its cell (the seventh of the code joined)
        assert cell_uris[0] not in diagnostics.latest  # a Markdown cell gets nothing
        assert "ML451" not in {d.code for d in diagnostics.latest.get(cell_uris[1], [])}
        hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=cell_uris[2]), position=types.Position(3, 12))), WAIT)
        assert hover is not None and "ML451" in hover.contents.value
        await asyncio.wait_for(client.shutdown_async(None), WAIT)
        client.exit(None)
    finally:
        await asyncio.wait_for(client.stop(), WAIT)


def test_language_server_publishes_a_notebooks_findings_on_its_cells(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "explore.ipynb").write_text(_notebook_json(NOTEBOOK_CELLS))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    cache_home = tmp_path / "cache"
    cache_home.mkdir()
    asyncio.run(asyncio.wait_for(_notebook_session(root, cache_home), 4 * WAIT))
