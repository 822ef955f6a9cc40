"""How long the language server takes to re-check after a file is saved.

    python bench/lsp_recheck.py TREE [--repeat 5] [--pause 0.5]

Copies TREE to a temporary directory, starts `mlaudit server` with pygls's client over stdio (the
way an editor does), opens a module in the middle of the tree and waits for its diagnostics (the
first scan, cold), then saves edits to it and measures, from the save notification to the
diagnostics that follow it: an edit that leaves the module's facts as they were (a comment
appended) and a code edit (a function added in the middle of the module). Prints the median and
the slowest of each, in seconds. Needs the server extra (pip install "mlaudit[server]").

Between saves it waits ``--pause`` seconds (default 0.5) after the diagnostics, as a person
editing does: the server finishes a scan's cache writes after it has published its findings, and a
save sent the instant they arrive would wait for those writes. ``--pause 0`` measures saves sent
back to back.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

WAIT = 600.0


async def _published(client: LanguageClient) -> asyncio.Queue:
    queue: asyncio.Queue = asyncio.Queue()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        queue.put_nowait((time.perf_counter(), params))

    return queue


async def _next_for(queue: asyncio.Queue, uri: str) -> tuple[float, int]:
    while True:
        arrived, params = await asyncio.wait_for(queue.get(), WAIT)
        if params.uri == uri:
            return arrived, len(params.diagnostics)


def _module(tree: Path) -> Path:
    """A module in the middle of the tree."""
    modules = sorted(p for p in tree.rglob("*.py") if p.is_file() and not p.is_symlink())
    return modules[len(modules) // 2]


async def measure(tree: Path, repeat: int, cache_home: Path, pause: float = 0.5) -> dict[str, list[float]]:
    client = LanguageClient("bench", "1")
    queue = await _published(client)
    await client.start_io(sys.executable, "-m", "auditor", "server", cwd=str(cache_home),
                          env={**os.environ, "XDG_CACHE_HOME": str(cache_home)})
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=tree.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=tree.as_uri(), name=tree.name)]))
    client.initialized(types.InitializedParams())
    times: dict[str, list[float]] = {"open (cold scan)": [], "save, comment appended": [], "save, function added": []}
    path = _module(tree)
    uri = path.as_uri()
    sent = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=path.read_text(encoding="utf-8", errors="replace"))))
    times["open (cold scan)"].append((await _next_for(queue, uri))[0] - sent)
    for _ in range(repeat):
        for label, edit in (("save, comment appended", _append_comment), ("save, function added", _add_function)):
            await asyncio.sleep(pause)
            edit(path, tree)
            sent = time.perf_counter()
            client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
            times[label].append((await _next_for(queue, uri))[0] - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times


def _append_comment(path: Path, tree: Path) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"\n# benchmark edit {time.time_ns()}\n")


def _add_function(path: Path, tree: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    lines = text.split("\n")
    at = len(lines) // 2
    while at < len(lines) and lines[at].strip() and not lines[at].startswith(("def ", "class ", "@")):
        at += 1  # a top-level boundary below the middle
    lines.insert(at, f"\ndef _benchmark_added_{time.time_ns()}(value):\n    return [value] * 2\n\n")
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between the diagnostics and the next save")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlaudit-lsp-bench-") as tmp:
        tree = Path(tmp) / args.tree.name
        shutil.copytree(args.tree, tree, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        cache = Path(tmp) / "cache"
        cache.mkdir()
        times = asyncio.run(measure(tree, max(args.repeat, 1), cache, max(args.pause, 0.0)))
        modules = [p for p in tree.rglob("*.py") if p.is_file() and not p.is_symlink()]
        lines = sum(p.read_bytes().count(b"\n") for p in modules)
    print(f"{args.tree.name}: {len(modules):,} Python files, {lines:,} lines")
    for label, values in times.items():
        print(f"  {label}: median {statistics.median(values):.3f} s, slowest {max(values):.3f} s ({len(values)} run(s))")


if __name__ == "__main__":
    main()
