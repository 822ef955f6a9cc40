"""Turning raw bytes into analysable Python text: encodings, binary detection, notebooks.

Everything here is a pure function of the bytes, so it can run in worker processes and be cached
by content hash.
"""

from __future__ import annotations

import ast
import codecs
import io
import json
import re
import tokenize
from dataclasses import dataclass, field
from typing import Any


class NotText(Exception):
    """The bytes are not text that mlaudit can analyse; the message is the reason shown to users."""


@dataclass
class Decoded:
    text: str
    note: str | None = None  # set when decoding was not plain UTF-8 (BOM, UTF-16, replacement)


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _looks_utf16(data: bytes) -> str | None:
    """Guess UTF-16 without a BOM: ASCII text in UTF-16 has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def decode_text(data: bytes, *, python: bool = False) -> Decoded:
    """Decode a text file the way Python (for source) or pip (for requirements) would.

    UTF-16 is recognised by its BOM or its byte pattern; for Python source a PEP 263 coding
    cookie is honoured. Undecodable UTF-8 is decoded with replacement characters and a note,
    so the file is still analysed rather than dropped. Raises NotText for binary content.
    """
    if data.startswith(_UTF16_BOMS):
        try:
            return Decoded(data.decode("utf-16"), "decoded as UTF-16 (byte-order mark)")
        except UnicodeDecodeError as exc:
            raise NotText(f"UTF-16 byte-order mark but undecodable content: {exc.reason}") from None
    guess = _looks_utf16(data)
    if guess:
        try:
            return Decoded(data.decode(guess), f"decoded as {guess.upper()} (no byte-order mark)")
        except UnicodeDecodeError:
            pass
    if b"\0" in data[:8192]:
        raise NotText("binary content (NUL bytes)")
    note = None
    encoding = "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        note = "UTF-8 byte-order mark"
    if python:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            encoding = "utf-8"
        if encoding not in ("utf-8", "utf-8-sig"):
            note = f"decoded as {encoding} (coding declaration)"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        text = data.decode("utf-8", errors="replace")
        note = f"not valid {encoding}; undecodable bytes replaced"
    if text.startswith("\ufeff"):
        text = text[1:]
    return Decoded(text, note)


# ---------------------------------------------------------------------------------------------
# Notebooks

_LINE_MAGIC = re.compile(r"^\s*(%|!|\?)")
# IPython's automagic: shell-like magics typed without % (``ls ./data/``, ``cd ..``, ``pip install x``,
# ``matplotlib inline``). Only where the line is not Python: a name followed by an argument that
# no Python operator or call would start with.
_AUTOMAGIC = re.compile(r"^\s*(?:ls|cd|pwd|cat|mkdir|rmdir|rm|cp|mv|pip|conda|less|man|clear|load_ext|matplotlib)"
                        r"\s+(?![=(\[,:)\]+*%<>!&|^@]|-=|/[=\s]|in\b|if\b|for\b|and\b|or\b|is\b|not\b)\S")
_ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.,\s]+?=\s*)[!%]")
_HELP_SUFFIX = re.compile(r"^\s*[\w.]+\?\??\s*$")
# Cell magics whose body is still Python; any other %%magic makes the whole cell non-Python.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "memit", "scalene"}


# IPython runs top-level ``await`` in cells, so notebooks are parsed with that flag.
NOTEBOOK_FLAGS = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass
class Notebook:
    """The code cells of a notebook joined into one Python text, with a map back to cells.

    ``line_map[i]`` is the (cell number, line in cell) of line i+1 of ``code``; cells are numbered
    from 1 over all cells as a notebook UI shows them, lines from 1 within the cell.
    """

    code: str
    line_map: list[tuple[int, int]]
    cell_count: int
    broken_cells: list["BrokenCell"] = field(default_factory=list)
    # Python files the notebook writes with ``%%writefile PATH`` (PATH as written, the cell's body):
    # a lab's pipeline or trainer often exists only there.
    written: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class BrokenCell:
    """A code cell that does not parse: where, why, and what tells an intended error apart (the
    failing line and the one above it; whether the saved outputs show the error, as a tutorial
    that demonstrates a syntax error does)."""

    cell: int
    line: int
    message: str
    text: str = ""
    previous: str = ""
    error_shown: bool = False


def _neutralise(line: str) -> str:
    """Make an IPython-only line valid Python, keeping the line count. A magic becomes ``pass`` at
    its own indentation (it may be the only statement of an ``if`` block) with the text as a comment."""
    assigned = _ASSIGNED_MAGIC.match(line)
    if assigned:
        prefix = assigned.group(1)
        return prefix + "None  # " + line[len(prefix):]
    if _LINE_MAGIC.match(line) or _HELP_SUFFIX.match(line) or _AUTOMAGIC.match(line):
        indent = line[: len(line) - len(line.lstrip())]
        return f"{indent}pass  # {line.lstrip()}"
    return line


def _neutralise_lines(lines: list[str]) -> list[str]:
    """Neutralise each line; a magic or shell escape continued with a backslash takes its
    continuation lines with it (as comments)."""
    out: list[str] = []
    continuing = False
    for line in lines:
        if continuing:
            out.append("# " + line)
        else:
            converted = _neutralise(line)
            out.append(converted)
            continuing = converted is not line and line.rstrip().endswith("\\")
            continue
        continuing = line.rstrip().endswith("\\")
    return out


def _cell_list(data: bytes) -> list:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotText(f"not a readable notebook: {exc}") from None
    except RecursionError:
        raise NotText("not a readable notebook: its JSON nests deeper than Python can read") from None
    if not isinstance(doc, dict):
        raise NotText("not a readable notebook: top level is not an object")
    cells = doc.get("cells")
    if cells is None and isinstance(doc.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in doc["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise NotText("not a readable notebook: no cell list")
    return cells


def _code_cells(cells: list):
    """(cell number over all cells, source) of each code cell with readable source."""
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            yield number, source


def _python_lines(source: str) -> list[str]:
    """The cell's lines as Python: magics and shell escapes neutralised, line count kept."""
    cell_lines = source.splitlines()
    if not (cell_lines and cell_lines[0].lstrip().startswith("%%")):
        return _neutralise_lines(cell_lines)
    words = cell_lines[0].strip()[2:].split()
    if words and words[0] in _PYTHON_CELL_MAGICS:
        return ["# " + cell_lines[0]] + _neutralise_lines(cell_lines[1:])
    # The body of a non-Python cell (%%bash, %%sql, %%writefile ...) becomes blank lines: its text
    # is not Python, so neither its code nor its "comments" are analysed.
    return ["# " + cell_lines[0]] + [""] * (len(cell_lines) - 1)


def _cell_error(number: int, cell_lines: list[str]) -> tuple[int, str] | None:
    """(line, message) of the cell's syntax error, if it has one."""
    try:
        compile("\n".join(cell_lines) + "\n", f"<cell {number}>", "exec", flags=NOTEBOOK_FLAGS, dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.msg or "invalid syntax"
    except (ValueError, RecursionError) as exc:
        return 1, str(exc)
    return None


def _shows_syntax_error(cell: Any) -> bool:
    """The cell's saved outputs hold the syntax error it raises: shown on purpose."""
    outputs = cell.get("outputs") if isinstance(cell, dict) else None
    return isinstance(outputs, list) and any(
        isinstance(out, dict) and out.get("output_type") == "error"
        and out.get("ename") in ("SyntaxError", "IndentationError", "TabError") for out in outputs)


def parse_notebook(data: bytes) -> Notebook:
    """Read nbformat JSON without any notebook library. Outputs are ignored entirely; a cell that
    does not parse is recorded and left out, so the other cells are still analysed."""
    cells = _cell_list(data)
    lines: list[str] = []
    line_map: list[tuple[int, int]] = []
    broken: list[BrokenCell] = []
    written: list[tuple[str, str]] = []
    for number, source in _code_cells(cells):
        target = _written_python_file(source)
        if target is not None:
            written.append((target, source.split("\n", 1)[1] if "\n" in source else ""))
        cell_lines = _python_lines(source)
        error = _cell_error(number, cell_lines)
        if error:
            line, message = error
            text = cell_lines[line - 1] if 0 < line <= len(cell_lines) else ""
            previous = cell_lines[line - 2] if 1 < line <= len(cell_lines) + 1 else ""
            broken.append(BrokenCell(number, line, message, text, previous, _shows_syntax_error(cells[number - 1])))
            cell_lines = ["# (unparseable cell)"] * len(cell_lines)
        lines.extend(cell_lines)
        line_map.extend((number, index) for index in range(1, len(cell_lines) + 1))
    return Notebook("\n".join(lines) + ("\n" if lines else ""), line_map, len(cells), broken, written)


def _written_python_file(source: str) -> str | None:
    """The path of a ``%%writefile [-a] PATH.py`` cell, when it is a plain relative path."""
    first = source.lstrip().split("\n", 1)[0].split()
    if len(first) < 2 or first[0] != "%%writefile":
        return None
    path = first[-1].strip("'\"")
    if not path.endswith(".py") or any(c in path for c in "{}$~\\") or path.startswith("/"):
        return None
    return path


# The fact under which each notebook keeps where its cells start, so that any layer can turn a line
# of the joined code into (cell, line in the cell), as findings and readiness evidence show it.
NOTEBOOK_CELLS = "notebook-cells"


def cell_starts(line_map: list[tuple[int, int]]) -> list[list[int]]:
    """[cell number, first line of the cell in the joined code] for each code cell."""
    starts: list[list[int]] = []
    for index, (cell, line_in_cell) in enumerate(line_map, start=1):
        if line_in_cell == 1:
            starts.append([cell, index])
    return starts


def to_cell(starts: list[list[int]], line: int) -> tuple[int, int] | None:
    """(cell, line in the cell) of a line of the joined notebook code."""
    found = None
    for cell, first in starts:
        if first > line:
            break
        found = (cell, line - first + 1)
    return found
