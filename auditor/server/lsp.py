"""``mlaudit server``: a Language Server over stdio (pygls, from the ``mlaudit[server]`` extra).

Each open file belongs to a repository (the workspace folder holding it, else its git work tree,
else its folder). On open and on save, the repository is scanned with the engine and its result
cache, so a re-check after one saved file analyses that file and reuses everything else, and the
findings of every open file of the repository are published as diagnostics. An open notebook
(synchronised as a notebook) gets its findings on its cells. Scans run one at a time
in a thread of their own; saves that arrive during a scan ask for one more scan after it, however
many they are. The scan reads the files on disk: diagnostics describe the saved text.

Code actions are the fixes of ``mlaudit fix`` for the findings under the cursor (unsafe ones say so
in their title and are never preferred), offered only while the editor's text is the text on disk,
the one they were planned on. Hover shows ``mlaudit explain`` for the rules of the findings on the
line (of a file or a notebook cell; a notebook has no quick fixes). The server writes nothing into
the repository: a fix is an edit the editor applies.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from auditor import __version__, registry
from auditor.config import Config, ConfigError
from auditor.finding import Finding
from auditor.fix.run import planned_edits
from auditor.fix.targets import CannotFix, read_target
from auditor.scan.cache import default_cache_dir
from auditor.scan.engine import ScanError, ScanResult, ScanSession, scan
from auditor.server.diagnostics import diagnostic, lines_of, text_edit

# Notebooks are synchronised as notebooks (their cells are documents of their own), for Jupyter
# notebooks with Python cells; saving one re-checks it as saving a file does.
NOTEBOOK_SYNC = types.NotebookDocumentSyncOptions(
    notebook_selector=[types.NotebookDocumentFilterWithCells(cells=[types.NotebookCellLanguage(language="python")],
                                                             notebook="jupyter-notebook")], save=True)


@dataclass(frozen=True)
class Commands:
    """What the command line hands to the server: the checked configuration of a repository
    (raises ConfigError), the text of ``mlaudit explain`` for a rule, and the git work tree that
    holds a path (None outside git)."""

    load_config: Callable[[Path], Config]
    rule_text: Callable[[type], str]
    repository_of: Callable[[Path], Path | None]


@dataclass
class Repository:
    """One scanned repository: its last result, and the scan running or asked for."""

    root: Path
    result: ScanResult | None = None
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # by repository-relative path
    running: asyncio.Task | None = None
    again: bool = False  # a file was saved during the running scan: scan once more after it
    scans: ScanSession | None = None  # its open cache, made by its first scan (on the scanning thread)


class Session:
    """The server's state: the workspace folders, the repositories of open files, their scans."""

    def __init__(self, server: LanguageServer, commands: Commands, cache: bool = True) -> None:
        self.server = server
        self.commands = commands
        self.cache = cache
        self.folders: list[Path] = []
        self.repositories: dict[Path, Repository] = {}
        self.scanner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlaudit-scan")
        self.last_duration: float | None = None  # seconds of the last scan, for the log

    # -- where a file belongs

    def repository_for(self, path: Path) -> Repository:
        folder = next((f for f in sorted(self.folders, key=lambda f: -len(f.parts)) if path.is_relative_to(f)), None)
        root = folder or self.commands.repository_of(path) or path.parent
        return self.repositories.setdefault(root, Repository(root))

    def open_paths(self, repository: Repository) -> dict[str, str]:
        """Repository-relative path -> URI of each open document of the repository."""
        opened = {}
        for uri in list(self.server.workspace.text_documents):
            path = _path_of(uri)
            if path is not None and path.is_relative_to(repository.root):
                opened[path.relative_to(repository.root).as_posix()] = uri
        return opened

    # -- scanning

    def check(self, uri: str) -> None:
        """Scan the repository of ``uri`` (now, or after the scan under way) and publish."""
        path = _path_of(uri)
        if path is None:
            return
        repository = self.repository_for(path)
        if repository.running is not None and not repository.running.done():
            repository.again = True
            return
        repository.running = asyncio.get_running_loop().create_task(self._scan_until_current(repository))

    async def _scan_until_current(self, repository: Repository) -> None:
        loop = asyncio.get_running_loop()
        while True:
            repository.again = False
            outcome = await loop.run_in_executor(self.scanner, self._scan, repository)
            if isinstance(outcome, str):
                self._say(types.MessageType.Error, outcome, show=True)
            else:
                self._accept(repository, outcome)
            if repository.scans is not None:  # the scan's cache writes, once the editor has its findings
                problem = await loop.run_in_executor(self.scanner, _settle, repository.scans)
                if problem:
                    self._say(types.MessageType.Warning, problem)
            if not repository.again:
                return

    def _scan(self, repository: Repository) -> ScanResult | str:
        """The repository's scan, or what stopped it (a configuration error and the like)."""
        started = time.perf_counter()
        root = repository.root
        if repository.scans is None:  # the cache stays open on this thread between saves
            repository.scans = ScanSession(default_cache_dir(root) if self.cache else None)
        try:
            config = self.commands.load_config(root)
            # keep_analyses=False: diagnostics and quick fixes read the findings and the model's files,
            # never the program graph, which is released before post-processing (less to hold between
            # saves, and less for the collector to walk after each scan)
            result = scan(root, config, display_root=str(root), keep_analyses=False, session=repository.scans)
        except (ConfigError, ScanError) as exc:
            return f"mlaudit: {exc}"
        except Exception as exc:  # the server stays up; the log says what broke
            return f"mlaudit: internal error: {type(exc).__name__}: {exc}"
        self.last_duration = time.perf_counter() - started
        return result

    def _accept(self, repository: Repository, result: ScanResult) -> None:
        repository.result = result
        repository.findings = {}
        for finding in result.findings:
            repository.findings.setdefault(finding.path, []).append(finding)
        for error in result.errors:
            self._say(types.MessageType.Warning, f"mlaudit: internal error in {error['rule']} on "
                      f"{error['path'] or 'the project'}; its findings are missing:\n{error['error']}")
        self._say(types.MessageType.Info, f"mlaudit: scanned {repository.root} in {self.last_duration:.2f} s: "
                  f"{len(result.findings)} findings, {len(result.skipped)} files skipped")
        for relative, uri in self.open_paths(repository).items():
            self.publish(uri, repository.findings.get(relative, []))
        for relative, notebook in self.open_notebooks(repository).items():
            self.publish_cells(notebook, repository.findings.get(relative, []))

    def publish(self, uri: str, findings: list[Finding]) -> None:
        document = self.server.workspace.get_text_document(uri)
        lines = lines_of(document.source)
        # A notebook opened as a plain file shows its JSON: its findings go on its cells (publish_cells).
        diagnostics = [diagnostic(f, lines, _page_url(f.rule)) for f in findings if f.cell is None]
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version))

    def publish_cells(self, notebook: types.NotebookDocument, findings: list[Finding]) -> None:
        """A notebook's findings on its cells: mlaudit numbers cells from 1 over all cells, as the
        editor's notebook lists them, and counts lines within the cell. A finding of the whole
        notebook (no cell) goes on its first code cell."""
        by_cell: dict[int, list[Finding]] = {}
        code_cells = [n for n, c in enumerate(notebook.cells, start=1) if c.kind == types.NotebookCellKind.Code]
        for finding in findings:
            cell = finding.cell if finding.cell is not None else (code_cells[0] if code_cells else None)
            if cell is not None:
                by_cell.setdefault(cell, []).append(finding)
        for number in code_cells:
            uri = notebook.cells[number - 1].document
            lines = lines_of(self.server.workspace.get_text_document(uri).source)
            diagnostics = [diagnostic(f if f.cell is not None else dataclasses.replace(f, line=None, end_line=None),
                                      lines, _page_url(f.rule)) for f in by_cell.get(number, [])]
            self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    def open_notebooks(self, repository: Repository) -> dict[str, types.NotebookDocument]:
        """Repository-relative path -> each open notebook of the repository."""
        opened = {}
        for uri, notebook in list(self.server.workspace.notebook_documents.items()):
            path = _path_of(uri)
            if path is not None and path.is_relative_to(repository.root):
                opened[path.relative_to(repository.root).as_posix()] = notebook
        return opened

    def _say(self, kind: types.MessageType, message: str, show: bool = False) -> None:
        self.server.window_log_message(types.LogMessageParams(type=kind, message=message))
        if show:
            self.server.window_show_message(types.ShowMessageParams(type=kind, message=message))

    # -- what the editor asks

    def findings_at(self, uri: str, first: int, last: int) -> tuple[Repository | None, list[Finding]]:
        """The findings of the document (or notebook cell) whose lines meet ``first``..``last`` (0-based)."""
        path, cell = _path_of(uri), None
        notebook = self.server.workspace.get_notebook_document(cell_uri=uri) if path is None else None
        if notebook is not None:
            path = _path_of(notebook.uri)
            cell = next((n for n, c in enumerate(notebook.cells, start=1) if c.document == uri), None)
        if path is None:
            return None, []
        repository = self.repository_for(path)
        relative = path.relative_to(repository.root).as_posix()
        found = [f for f in repository.findings.get(relative, []) if f.cell == cell and
                 (f.line or 1) - 1 <= last and (f.end_line or f.line or 1) - 1 >= first]
        return repository, found

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        repository, found = self.findings_at(uri, params.range.start.line, params.range.end.line)
        fixable = [f for f in found if f.fix is not None and f.fingerprint]
        if repository is None or repository.result is None or not fixable:
            return []
        relative = fixable[0].path
        if relative.endswith(".ipynb"):
            return []  # a notebook's fixes are edits of its cells' JSON strings, not of the editor's view
        try:
            target = read_target(repository.root, relative)
        except CannotFix:
            return []
        if self.server.workspace.get_text_document(uri).source != _decoded(target.raw):
            return []  # unsaved changes: the fixes were planned on the text on disk
        planned = planned_edits(repository.root, dataclasses.replace(repository.result, findings=fixable),
                                default_cache_dir(repository.root) if self.cache else None)
        actions = []
        for finding in fixable:
            plan = planned.get(finding.fingerprint)
            if plan is not None:
                action = _code_action(uri, finding, plan, target)
                if action is not None:
                    actions.append(action)
        return actions

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        line = params.position.line
        _, found = self.findings_at(params.text_document.uri, line, line)
        parts = []
        for rule_id in dict.fromkeys(f.rule for f in found):
            rule = registry.get_rule(rule_id)
            messages = "\n".join(f"- {f.message}" for f in found if f.rule == rule_id)
            parts.append(f"**mlaudit {rule_id}**\n\n{messages}\n\n{self.commands.rule_text(rule) if rule else ''}")
        if not parts:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)))


def _path_of(uri: str) -> Path | None:
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(path).resolve() if path else None


def _page_url(rule_id: str) -> str | None:
    rule = registry.get_rule(rule_id)
    return rule.page_url() if rule is not None else None


def _decoded(raw: bytes) -> str:
    """A Python file's text as an editor holds it (without a byte-order mark)."""
    return raw.decode("utf-8").removeprefix("\ufeff")


def _code_action(uri: str, finding: Finding, plan: dict, target) -> types.CodeAction | None:
    """The planned fix of one finding as a quick fix replacing the lines it changes."""
    from auditor.fix.edits import Edit

    edits = [Edit(e["start"], e["end"], tuple(e["lines"])) for e in plan["edits"]]
    edit = text_edit(_decoded(target.raw), _decoded(target.render(edits)))
    if edit is None:
        return None
    unsafe = plan["applicability"] == "unsafe"
    title = f"mlaudit: {plan['description']} ({finding.rule}{', unsafe: may change behaviour' if unsafe else ''})"
    return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, is_preferred=not unsafe,
                            diagnostics=None, edit=types.WorkspaceEdit(changes={uri: [edit]}))


def create_server(commands: Commands, cache: bool = True) -> LanguageServer:
    """The language server with its features registered."""
    server = LanguageServer("mlaudit", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full,
                            notebook_document_sync=NOTEBOOK_SYNC)
    session = Session(server, commands, cache)

    @server.feature(types.INITIALIZED)
    def initialized(ls: LanguageServer, params: types.InitializedParams) -> None:
        folders = [_path_of(f.uri) for f in (ls.workspace.folders or {}).values()]
        root = _path_of(ls.workspace.root_uri) if ls.workspace.root_uri else None
        session.folders = [f for f in [*folders, root] if f is not None]

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        session.check(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        session.check(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_did_open(ls: LanguageServer, params: types.DidOpenNotebookDocumentParams) -> None:
        session.check(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_did_save(ls: LanguageServer, params: types.DidSaveNotebookDocumentParams) -> None:
        session.check(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_did_close(ls: LanguageServer, params: types.DidCloseNotebookDocumentParams) -> None:
        for cell in params.cell_text_documents:
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=cell.uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: LanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return session.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LanguageServer, params: types.HoverParams) -> types.Hover | None:
        return session.hover(params)

    return server


def serve(commands: Commands, cache: bool = True) -> None:
    """Serve over stdin and stdout until the client says exit.

    The protocol reads and writes duplicates of the two descriptors, while ``sys.stdin`` reads
    nothing and ``sys.stdout`` writes to stderr: a stray print cannot corrupt the protocol, and the
    scan's worker processes, forked while the protocol's reader waits on its stream (and holds its
    lock), close a ``sys.stdin`` that nobody holds (multiprocessing does, and closing the held one
    deadlocks the worker).
    """
    protocol_in = os.fdopen(os.dup(sys.stdin.fileno()), "rb")
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdin = open(os.devnull, encoding="utf-8")
    sys.stdout = sys.stderr
    create_server(commands, cache).start_io(protocol_in, protocol_out)


def _settle(scans: ScanSession) -> str | None:
    """A scan's cache writes (on the scanning thread); what went wrong, for the log."""
    try:
        scans.settle()
    except Exception as exc:  # only the cache is behind: the next scan computes what it lacks
        return f"mlaudit: could not write the cache: {type(exc).__name__}: {exc}"
    return None
