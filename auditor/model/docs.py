"""Documents as a Markdown parser reads them (markdown-it-py, CommonMark): their code blocks, inline
code spans and links, each with its line, for the stale-doc rules. Never regular expressions over a
whole document: a ``python train.py`` inside a paragraph, a fence or an HTML comment means different
things, and only a parser tells them apart.

Which documents describe the code (READMEs, ``docs/``, model cards) as opposed to its history
(changelogs, release notes, which quote commands that worked once on purpose) is decided here too.
reStructuredText is read by docutils into the same ``Document`` (auditor/model/rst.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

MARKDOWN_SUFFIXES = (".md", ".markdown")
RST_SUFFIXES = (".rst",)
# Documents that record the past: a command quoted there worked when it was written.
_HISTORY_WORDS = ("changelog", "changes", "history", "release", "news", "migration", "upgrad", "whatsnew",
                  "what-s-new", "what_s_new", "roadmap", "authors", "license", "code_of_conduct", "code-of-conduct")
_DOC_FOLDERS = ("docs", "doc", "documentation")


@dataclass(frozen=True)
class CodeBlock:
    line: int  # line of the block's first content line (1-based)
    language: str  # the fence's info word, lower case; "" for an indented or unlabelled block
    text: str
    section: int  # number of the heading-delimited section it is in (0 before the first heading)


@dataclass(frozen=True)
class InlineCode:
    line: int
    text: str
    section: int


@dataclass(frozen=True)
class Link:
    line: int
    target: str
    image: bool
    section: int = 0  # as a code block's (Markdown only; reStructuredText links say 0)


@dataclass(frozen=True)
class Heading:
    line: int
    level: int  # 1 for ``#``, 2 for ``##``, ...
    text: str  # as written, inline code and emphasis marks included
    section: int  # the section it opens


@dataclass(frozen=True)
class TableRow:
    line: int
    cells: tuple[str, ...]  # each cell's text as written
    table: int  # which table of the document (0, 1, ...); its first row is the header


@dataclass(frozen=True)
class FrontMatter:
    """The YAML block a Markdown document may open with (``---`` ... ``---``): a Hugging Face
    model card keeps its ``model-index`` (the evaluation results) there."""

    data: Any  # what the safe loader read; None when it could not
    lines: dict[tuple, int]  # key path (keys and list indexes) -> line in the document
    error: str | None = None  # why it was not read (malformed, too long): the scan reports it as degraded


@dataclass
class Document:
    blocks: list[CodeBlock] = field(default_factory=list)
    spans: list[InlineCode] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    rows: list[TableRow] = field(default_factory=list)  # GitHub-style tables, row by row
    headings: list[Heading] = field(default_factory=list)  # Markdown only
    error: str | None = None  # why the document could not be read (it then has nothing in it)


def document_to_json(document: Document) -> dict[str, Any]:
    """A document as the result cache keeps it (``auditor.scan.incremental.StoredDocuments``): each
    part as rows of its fields, so a code edit does not parse every document again."""
    return {"blocks": [[b.line, b.language, b.text, b.section] for b in document.blocks],
            "spans": [[c.line, c.text, c.section] for c in document.spans],
            "links": [[k.line, k.target, k.image, k.section] for k in document.links],
            "rows": [[r.line, list(r.cells), r.table] for r in document.rows],
            "headings": [[h.line, h.level, h.text, h.section] for h in document.headings],
            "error": document.error}


def document_from_json(data: Any) -> Document:
    """``document_to_json``'s value made a ``Document`` again; TypeError, ValueError or KeyError when
    it is not one."""
    error = data["error"]
    if error is not None and not isinstance(error, str):
        raise TypeError("error")
    return Document(blocks=[CodeBlock(int(line), str(language), str(text), int(section))
                            for line, language, text, section in data["blocks"]],
                    spans=[InlineCode(int(line), str(text), int(section)) for line, text, section in data["spans"]],
                    links=[Link(int(line), str(target), bool(image), int(section))
                           for line, target, image, section in data["links"]],
                    rows=[TableRow(int(line), tuple(str(c) for c in cells), int(table)) for line, cells, table in data["rows"]],
                    headings=[Heading(int(line), int(level), str(text), int(section))
                              for line, level, text, section in data["headings"]],
                    error=error)


def describes_code(path: str) -> bool:
    """A Markdown or reStructuredText document that tells a reader how the code works today: a
    README, a page under ``docs/``, a model card, a contributing guide; not a changelog, release note
    or licence."""
    p = PurePosixPath(path)
    if p.suffix.lower() not in (*MARKDOWN_SUFFIXES, *RST_SUFFIXES):
        return False
    name = p.name.lower()
    if any(word in name for word in _HISTORY_WORDS) or any(
            word in part.lower() for part in p.parts[:-1] for word in ("changelog", "release", "news", "blog")):
        return False
    return (name.startswith(("readme", "contributing", "model_card", "modelcard", "model-card"))
            or any(part.lower() in _DOC_FOLDERS for part in p.parts[:-1]))


@lru_cache(maxsize=1)
def _parser():
    """One parser for every document (making one compiles its rules: a sixth of a document's parse)."""
    from markdown_it import MarkdownIt  # imported when a document is first read

    return MarkdownIt("commonmark").enable("table")


def parse_document(text: str) -> Document:
    """The code blocks, inline code and links of a Markdown text. A text the parser cannot read
    gives an empty document with the reason, never an exception."""
    document = Document()
    try:
        tokens = _parser().parse(text)
    except Exception as exc:  # the parser's own bug on hostile input: reported, not fatal  # noqa: BLE001
        document.error = f"Markdown not parsed: {type(exc).__name__}: {exc}"[:300]
        return document
    section, tables, row, heading = 0, -1, None, None
    for token in tokens:
        if token.type == "heading_open":
            section += 1
            heading = Heading((token.map[0] + 1) if token.map else 0, int(token.tag[1:]), "", section)
        elif token.type == "heading_close" and heading is not None:
            document.headings.append(heading)
            heading = None
        elif token.type == "table_open":
            tables += 1
        elif token.type == "tr_open" and token.map:
            row = TableRow(token.map[0] + 1, (), tables)
        elif token.type == "tr_close" and row is not None:
            document.rows.append(row)
            row = None
        elif token.type in ("fence", "code_block") and token.map:
            first = token.map[0] + (2 if token.type == "fence" else 1)
            language = token.info.strip().split(" ")[0].lower().strip("{}.") if token.type == "fence" else ""
            document.blocks.append(CodeBlock(first, language, token.content, section))
        elif token.type == "inline" and token.map:
            _inline(token, section, document)
            if heading is not None:
                heading = Heading(heading.line, heading.level, token.content.strip(), heading.section)
            if row is not None:
                row = TableRow(row.line, (*row.cells, token.content.strip()), row.table)
    return document


def _inline(token, section: int, document: Document) -> None:
    """Code spans and links of one paragraph, each at its own line (line breaks counted)."""
    line = token.map[0] + 1
    for child in token.children or ():
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "code_inline":
            document.spans.append(InlineCode(line, child.content, section))
        elif child.type in ("link_open", "image"):
            target = child.attrs.get("href" if child.type == "link_open" else "src")
            if isinstance(target, str):
                document.links.append(Link(line, target, child.type == "image", section))
        if child.type == "text" or child.type == "code_inline":
            line += child.content.count("\n")
