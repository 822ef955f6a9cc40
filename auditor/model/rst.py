"""reStructuredText documents as docutils reads them, into the same ``Document`` as Markdown (code
blocks, inline literals, links and images, table rows, each with its line), so the stale-doc rules
read a README.rst or a Sphinx page as they read Markdown.

Read only, never run: file insertion (``include``, ``raw``/``csv-table`` with a file or URL) and raw
output are disabled, nothing halts the parse, and no message is printed. What plain docutils does not
know (Sphinx's ``toctree``, ``autoclass``, its roles ``:doc:`` and ``:class:``) becomes a system message
and is skipped with everything inside it: a command in an unknown directive is not read, so nothing is
said about it.
"""

from __future__ import annotations

import io

from auditor.model.docs import CodeBlock, Document, InlineCode, Link, TableRow

_SETTINGS = {
    "file_insertion_enabled": False,  # no include, no raw :file:/:url:, no csv-table :file:/:url:
    "raw_enabled": False,
    "halt_level": 5,  # never stop on an error: report it in the tree (skipped here)
    "report_level": 5,  # and print nothing
    "warning_stream": None,  # replaced per parse by a buffer
    "_disable_config": True,  # no docutils.conf from the scanned repository or the user
    "input_encoding": "unicode",
    "syntax_highlight": "none",  # no Pygments: the code's text is all that is read
    "tab_width": 8,
}


def parse_rst(text: str) -> Document:
    """The code blocks, inline literals, links and table rows of a reStructuredText text. A text
    docutils cannot read gives an empty document with the reason, never an exception."""
    document = Document()
    try:
        from docutils.core import publish_doctree  # imported when a .rst document is first read

        tree = publish_doctree(text, settings_overrides={**_SETTINGS, "warning_stream": io.StringIO()})
    except Exception as exc:  # docutils' own bug on hostile input: reported, not fatal  # noqa: BLE001
        document.error = f"reStructuredText not parsed: {type(exc).__name__}: {exc}"[:300]
        return document
    except SystemExit as exc:  # docutils exits on some fatal errors even with a high halt level
        document.error = f"reStructuredText not parsed: docutils stopped ({exc.code})"
        return document
    try:
        _Reader(text.splitlines(), document).walk(tree)
    except RecursionError:  # nesting docutils could build but not deeper: what was read is kept
        document.error = "reStructuredText read only in part: nested too deeply"
    return document


class _Reader:
    """One walk over the tree in document order, keeping the section and table counts."""

    def __init__(self, lines: list[str], document: Document) -> None:
        self.lines, self.document = lines, document
        self.section, self.tables = 0, -1

    def walk(self, node) -> None:
        from docutils import nodes

        for child in node.children:
            if isinstance(child, nodes.system_message):
                continue  # an unknown directive or role, with its source: not read
            if isinstance(child, nodes.section):
                self.section += 1
            elif isinstance(child, nodes.table):
                self.tables += 1
            elif isinstance(child, nodes.literal_block):
                self._block(child)
                continue
            elif isinstance(child, nodes.row):
                self._row(child)
            elif isinstance(child, nodes.TextElement):
                self._inline(child)  # with what is inside it: nothing below a paragraph is a block
                continue
            elif isinstance(child, nodes.image) and child.get("uri"):
                self.document.links.append(Link(self._image_line(child), child["uri"], True))
            if not isinstance(child, nodes.Text):
                self.walk(child)

    def _block(self, node) -> None:
        classes = node.get("classes", [])
        language = classes[1].lower() if len(classes) > 1 and classes[0] == "code" else ""
        text = node.astext()
        self.document.blocks.append(CodeBlock(self._block_line(node, text), language, text + "\n", self.section))

    def _block_line(self, node, text: str) -> int:
        """The line of a block's first content line: docutils gives a directive's block the line
        after it, a ``::`` block its first line, and a block inside a note or warning none (its
        container's line, before it); the source lines tell which."""
        wanted = [line.strip() for line in text.splitlines()]
        given = _line_of(node)
        nearby = (*range(max(1, given - len(wanted) - 2), given + 1), *range(given + 1, given + 200))
        for start in nearby:
            if [line.strip() for line in self.lines[start - 1:start - 1 + len(wanted)]] == wanted:
                return start
        return given

    def _image_line(self, node) -> int:
        """The line of an ``image`` or ``figure`` directive: docutils versions disagree on the line
        they give it (0.19 the one after), so the source line naming the path nearby says."""
        given = _line_of(node)
        for line in range(max(1, given - 3), min(len(self.lines), given + 1) + 1):
            if node["uri"] in self.lines[line - 1] and "::" in self.lines[line - 1]:
                return line
        return given

    def _row(self, node) -> None:
        from docutils import nodes

        cells = tuple(entry.astext().strip() for entry in node.children if isinstance(entry, nodes.entry))
        lines = [p.line for p in node.findall(nodes.paragraph) if p.line]
        self.document.rows.append(TableRow(min(lines) if lines else _line_of(node), cells, max(self.tables, 0)))

    def _inline(self, paragraph) -> None:
        """Inline literals and links of one paragraph (or title), each at its own line: the
        paragraph's first line plus the line breaks before it in the paragraph's source."""
        from docutils import nodes

        source, cursor, first = paragraph.rawsource or "", 0, _line_of(paragraph)
        for child in paragraph.findall(include_self=False):
            if isinstance(child, nodes.system_message):
                return  # an unknown role inside: the rest of the paragraph is not read as written
            found = source.find(child.rawsource, cursor) if getattr(child, "rawsource", "") else -1
            line = first + (source.count("\n", 0, found) if found >= 0 else 0)
            if found >= 0 and isinstance(child, (nodes.literal, nodes.reference)):
                cursor = found + len(child.rawsource)
            if isinstance(child, nodes.literal):
                self.document.spans.append(InlineCode(line, child.astext(), self.section))
            elif isinstance(child, nodes.reference) and child.get("refuri"):
                self.document.links.append(Link(line, child["refuri"], False))
            elif isinstance(child, nodes.image) and child.get("uri"):
                self.document.links.append(Link(line, child["uri"], True))


def _line_of(node) -> int:
    """A node's line, or its nearest ancestor's (docutils leaves many inline nodes without one)."""
    while node is not None:
        if getattr(node, "line", None):
            return node.line
        node = node.parent
    return 1
