"""What a docstring documents: its parameters (with the line of each) and whether it documents a
return value, in the three common styles:

- Google: an ``Args:`` (``Arguments:``, ``Parameters:``) section of indented ``name (type): text`` entries;
- NumPy: a ``Parameters`` heading underlined with dashes, entries ``name : type`` at the heading's indent;
- Sphinx: ``:param name:`` / ``:param type name:`` fields.

A docstring in none of them documents nothing (``params`` is None). Only what is certain is read: an
entry that does not look like a parameter name ends the section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_GOOGLE_ARGS = ("args:", "arguments:", "parameters:", "params:")
_NUMPY_ARGS = ("parameters", "params", "arguments")
_NUMPY_RETURNS = ("returns", "return")
_GOOGLE_ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_]\w*)\s*(?:\([^)]*\)\s*(?::|$)|:)")
_NUMPY_ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s*(?::.*)?$")
_SPHINX_PARAM = re.compile(r"^:(?:param|parameter|arg|argument)\s+(?:[^:]*\s)?(\*{0,2}[A-Za-z_]\w*)\s*:")
_SPHINX_RETURN = re.compile(r"^:(?:returns?|rtype)\s*:")


@dataclass
class Documented:
    params: dict[str, int] | None = None  # name -> line offset in the docstring; None: no parameter section
    returns: int | None = None  # line offset of a documented return, when one is
    returns_text: str = ""  # what the return section says (``None`` documents no value)
    styles: set[str] = field(default_factory=set)
    # Every entry of each parameter section was read (none ended it early by not looking like one):
    # only then does a name missing from the section mean it is undocumented.
    complete: bool = True


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _google(lines: list[str], start: int, found: Documented) -> None:
    """Entries of a Google ``Args:`` section whose header is ``lines[start]``."""
    header_indent = _indent(lines[start])
    entry_indent = None
    params = found.params if found.params is not None else {}
    for offset in range(start + 1, len(lines)):
        line = lines[offset]
        if not line.strip():
            continue
        indent = _indent(line)
        if indent <= header_indent:
            break
        if entry_indent is None:
            entry_indent = indent
        if indent > entry_indent:
            continue  # an entry's continuation
        if indent < entry_indent:
            break
        match = _GOOGLE_ENTRY.match(line.strip())
        if match is None or (match.group(1)[0].isupper() and line.strip() == f"{match.group(1)}:"):
            found.complete = False  # prose or a sub-heading (``Versions:``), not an entry
            break
        params[match.group(1).lstrip("*")] = offset
    found.params = params
    found.styles.add("google")


def _numpy(lines: list[str], start: int, found: Documented) -> None:
    """Entries of a NumPy ``Parameters`` section, whose dashes are ``lines[start + 1]``."""
    indent = _indent(lines[start])
    params = found.params if found.params is not None else {}
    for offset in range(start + 2, len(lines)):
        line = lines[offset]
        if not line.strip() or _indent(line) > indent:
            continue
        if _indent(line) < indent or (offset + 1 < len(lines) and set(lines[offset + 1].strip()) == {"-"}):
            break  # the next section's heading
        match = _NUMPY_ENTRY.match(line.strip())
        if match is None:
            found.complete = False
            break
        for name in match.group(1).split(","):
            params[name.strip().lstrip("*")] = offset
    found.params = params
    found.styles.add("numpy")


def _underlined(lines: list[str], index: int) -> bool:
    return index + 1 < len(lines) and len(lines[index + 1].strip()) >= 3 and set(lines[index + 1].strip()) == {"-"}


def read_docstring(text: str) -> Documented:
    found = Documented()
    lines = text.expandtabs().split("\n")
    for index, line in enumerate(lines):
        stripped = line.strip()
        lower = stripped.lower()
        if lower in _GOOGLE_ARGS:
            _google(lines, index, found)
        elif lower in ("returns:", "return:"):
            found.returns, found.returns_text = index, " ".join(lines[index + 1:index + 2]).strip()
        elif lower in _NUMPY_ARGS and _underlined(lines, index):
            _numpy(lines, index, found)
        elif lower in _NUMPY_RETURNS and _underlined(lines, index):
            found.returns, found.returns_text = index, " ".join(lines[index + 2:index + 3]).strip()
        elif stripped.startswith(":"):
            _sphinx(stripped, index, found)
    return found


def _sphinx(stripped: str, index: int, found: Documented) -> None:
    match = _SPHINX_PARAM.match(stripped)
    if match:
        if found.params is None:
            found.params = {}
        found.params.setdefault(match.group(1).lstrip("*"), index)
        found.styles.add("sphinx")
    elif _SPHINX_RETURN.match(stripped) and found.returns is None:
        found.returns, found.returns_text = index, stripped.split(":", 2)[-1].strip()
