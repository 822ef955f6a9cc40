"""A file to fix, as the lines the scan analysed, and writing it back with nothing else changed.

A Python file keeps its encoding (UTF-8, with or without a byte-order mark), its line endings and
its final newline. A notebook is edited through the Python text the scan analysed (code cells
joined, magics neutralised); each edit lands in the one cell it belongs to, and the notebook JSON is
written back with the same indentation, key order, escaping and trailing newline, so a diff of the
file shows only the changed source lines. A notebook whose JSON layout cannot be reproduced exactly
is left alone rather than reformatted.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from auditor.fix.edits import Edit, apply_edits
from auditor.model.sources import NotText, parse_notebook


class CannotFix(Exception):
    """The file, or this edit of it, cannot be written back faithfully; the message says why."""


@dataclass
class FixTarget:
    path: str  # relative to the repository root, as findings name it
    raw: bytes
    lines: list[str]  # the analysed lines, without line endings
    newline: str = "\n"
    final_newline: bool = True
    bom: bool = False
    notebook: dict | None = None  # the notebook's JSON document
    line_map: list[tuple[int, int]] = field(default_factory=list)  # analysed line -> (cell, line in cell)
    json_layout: tuple | None = None  # (indent, ensure_ascii, separators) that reproduce the file

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def is_notebook(self) -> bool:
        return self.notebook is not None

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def render(self, edits: list[Edit]) -> bytes:
        """The file's new bytes with ``edits`` applied."""
        if self.notebook is not None:
            return self._render_notebook(edits)
        new = apply_edits(self.lines, edits)
        body = self.newline.join(new) + (self.newline if new and self.final_newline else "")
        return (b"\xef\xbb\xbf" if self.bom else b"") + body.encode("utf-8")

    # -- notebooks ------------------------------------------------------------------------------
    def cell_of(self, edit: Edit) -> int:
        """The cell an edit belongs to; CannotFix when it spans cells or rewrites a neutralised magic."""
        if edit.inserts:  # before line ``start``, in its cell; or after line ``start - 1``, in that one's
            anchor = min(edit.start - 1 if edit.after and edit.start > 1 else edit.start, len(self.line_map))
            if anchor < 1:
                raise CannotFix("the notebook has no code cell")
            return self.line_map[anchor - 1][0]
        cells = {self.line_map[n - 1][0] for n in range(edit.start, edit.end + 1) if 1 <= n <= len(self.line_map)}
        if len(cells) != 1 or edit.end > len(self.line_map):
            raise CannotFix("the edit spans more than one cell")
        return cells.pop()

    def analysed_line(self, line: int | None, cell: int | None) -> int | None:
        """The line of the analysed text that a finding's (line, cell) names."""
        if self.notebook is None or line is None:
            return line
        try:
            return self.line_map.index((cell, line)) + 1
        except ValueError:
            return None

    def _render_notebook(self, edits: list[Edit]) -> bytes:
        assert self.notebook is not None and self.json_layout is not None
        document = json.loads(self.raw.decode("utf-8-sig"))
        cells = document["cells"]
        by_cell: dict[int, list[Edit]] = {}
        for edit in edits:
            by_cell.setdefault(self.cell_of(edit), []).append(edit)
        for number, cell_edits in by_cell.items():
            cell = cells[number - 1]
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            original = source.split("\n")
            if source.endswith("\n"):
                original.pop()
            if original != source.splitlines():
                raise CannotFix(f"cell {number} has line separators other than newlines")
            first = next(i for i, (c, _) in enumerate(self.line_map, start=1) if c == number)
            local = []
            for edit in cell_edits:
                for n in range(edit.start, edit.end + 1):
                    if self.lines[n - 1] != original[self.line_map[n - 1][1] - 1]:
                        raise CannotFix(f"the edit rewrites an IPython magic in cell {number}")
                local.append(Edit(edit.start - first + 1, edit.end - first + 1, edit.lines))
            changed = apply_edits(original, local)
            text = "\n".join(changed) + ("\n" if source.endswith("\n") and changed else "")
            cell["source"] = text if isinstance(cell["source"], str) else text.splitlines(keepends=True)
        indent, ascii_only, separators = self.json_layout
        trailing = "\n" if self.raw.endswith(b"\n") else ""
        return (json.dumps(document, indent=indent, ensure_ascii=ascii_only, separators=separators)
                + trailing).encode("utf-8")


_INDENT = re.compile(r'\{\r?\n( +)"')


def _json_layout(raw: bytes, document: dict) -> tuple[int | None, bool, tuple[str, str] | None] | None:
    """(indent, ensure_ascii, separators) with which ``json.dumps`` gives back ``raw`` exactly
    (nbformat's indented JSON, or the compact JSON some hosted notebooks save), or None."""
    text = raw.decode("utf-8")
    match = _INDENT.match(text)
    indent = len(match.group(1)) if match else None
    trailing = "\n" if text.endswith("\n") else ""
    for separators in ((None, (",", ":")) if indent is None else (None,)):
        for ascii_only in (False, True):
            if json.dumps(document, indent=indent, ensure_ascii=ascii_only, separators=separators) + trailing == text:
                return indent, ascii_only, separators
    return None


def read_target(root: Path, path: str) -> FixTarget:
    """The file at ``path`` (relative to ``root``) ready to edit; CannotFix says why it is not."""
    absolute = root / path
    if absolute.is_symlink() or not absolute.is_file():
        raise CannotFix("not a regular file")
    try:
        raw = absolute.read_bytes()
    except OSError as exc:
        raise CannotFix(f"cannot be read: {exc.strerror or exc}") from None
    if path.endswith(".ipynb"):
        return _notebook_target(path, raw)
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw[3 if bom else 0:].decode("utf-8")
    except UnicodeDecodeError:
        raise CannotFix("not UTF-8: left as it is") from None
    crlf = text.count("\r\n")
    if crlf and crlf != text.count("\n") or "\r" in text.replace("\r\n", ""):
        raise CannotFix("mixed line endings: left as it is")
    newline = "\r\n" if crlf else "\n"
    final_newline = text.endswith(newline)
    lines = text.split(newline)
    if final_newline:
        lines.pop()
    return FixTarget(path, raw, lines, newline, final_newline, bom)


def _notebook_target(path: str, raw: bytes) -> FixTarget:
    try:
        document = json.loads(raw.decode("utf-8"))
        parsed = parse_notebook(raw)
    except (UnicodeDecodeError, ValueError, NotText) as exc:
        raise CannotFix(f"not a readable notebook: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise CannotFix("an nbformat 3 notebook (no top-level cell list): left as it is")
    layout = _json_layout(raw, document)
    if layout is None:
        raise CannotFix("its JSON layout is not one that can be written back unchanged: left as it is")
    lines = parsed.code.split("\n")
    if parsed.code.endswith("\n"):
        lines.pop()
    return FixTarget(path, raw, lines, notebook=document, line_map=list(parsed.line_map), json_layout=layout)


def parses(target: FixTarget, new: bytes) -> str | None:
    """None when the new bytes parse as Python (every cell of a notebook that parsed before still
    parses); otherwise why not."""
    import ast

    if target.notebook is not None:
        before = {c.cell for c in parse_notebook(target.raw).broken_cells}
        try:
            after = {c.cell for c in parse_notebook(new).broken_cells}
        except NotText as exc:
            return str(exc)
        broken = sorted(after - before)
        return f"cell {broken[0]} no longer parses" if broken else None
    try:
        ast.parse(new.decode("utf-8-sig"))
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    return None
