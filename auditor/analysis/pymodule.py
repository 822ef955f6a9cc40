"""A parsed Python module (or notebook view) as rules see it: text, tree, comments, imports.

Built inside the per-file worker and thrown away once its facts and findings are taken, so no
syntax tree outlives the file that produced it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator

from auditor.finding import Finding, normalise_anchor
from auditor.model.sources import NOTEBOOK_FLAGS

_NOT_ASKED = object()  # a node qualified_name has not resolved yet


@dataclass(frozen=True)
class Comment:
    line: int  # line in the module text (for notebooks: in the joined code; see ParsedModule.location)
    col: int
    text: str  # including the leading '#'


@dataclass
class ParsedModule:
    path: str  # repository-relative POSIX path
    module_name: str  # dotted name, best effort ("pkg.sub.mod"; notebooks get their stem)
    text: str
    tree: ast.Module
    is_notebook: bool = False
    line_map: list[tuple[int, int]] | None = None  # notebooks: code line -> (cell, line in cell)
    lines: list[str] = field(init=False)
    imports: dict[str, str] = field(init=False)  # local name -> qualified name it is bound to
    _comments: list[Comment] | None = field(init=False, default=None)
    _parents: dict[int, ast.AST] | None = field(init=False, default=None)
    _by_type: dict[type, list[ast.AST]] | None = field(init=False, default=None)
    # qualified_name of each node asked about: a dozen rules and extractors ask about every call's
    # callee. Keyed by the node itself, which the entry keeps alive, so an id is never reused.
    _qualified: dict[ast.AST, str | None] = field(init=False, default_factory=dict)
    # Results that several rules derive from this module (e.g. radon metrics), computed once by the
    # first rule that needs them and dropped with the module.
    memo: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()
        self.imports = collect_imports(self.nodes(ast.Import, ast.ImportFrom), self.module_name,
                                       self.path.endswith("__init__.py"))

    # -- positions ------------------------------------------------------------------------------
    def location(self, line: int | None) -> tuple[int | None, int | None]:
        """(line, cell) as users see them: notebook lines are relative to their cell."""
        if line is None or not self.line_map:
            return line, None
        if 1 <= line <= len(self.line_map):
            cell, cell_line = self.line_map[line - 1]
            return cell_line, cell
        return line, None

    def line_text(self, line: int | None) -> str:
        if line is None or not 1 <= line <= len(self.lines):
            return ""
        return self.lines[line - 1]

    def finding(self, rule: Any, line: int | None, message: str, *, end_line: int | None = None,
                symbol: str | None = None, anchor: str | None = None, severity: str | None = None,
                confidence: str | None = None, evidence: dict | None = None) -> Finding:
        """Build a finding of ``rule`` at a line of this module, mapped to its notebook cell."""
        shown_line, cell = self.location(line)
        shown_end = self.location(end_line)[0] if end_line else None
        return Finding(
            rule=rule.id, name=rule.name, category=rule.category,
            severity=severity or rule.severity, confidence=confidence or rule.confidence,
            path=self.path, line=shown_line, end_line=shown_end, cell=cell, message=message,
            symbol=symbol, anchor=anchor or symbol or normalise_anchor(self.line_text(line)) or message,
            evidence=dict(evidence or {}),
        )

    # -- comments -------------------------------------------------------------------------------
    @property
    def comments(self) -> list[Comment]:
        """Real comments only: a '#' inside a string literal is not a comment."""
        if self._comments is None:
            self._comments = list(_find_comments(self.lines, lambda: self.nodes(ast.Constant, ast.JoinedStr)))
        return self._comments

    # -- tree helpers ---------------------------------------------------------------------------
    def _index(self) -> None:
        """One walk of the tree, shared by every rule and extractor: nodes by type and parents."""
        by_type: dict[type, list[ast.AST]] = {}
        parents: dict[int, ast.AST] = {}
        todo = [self.tree]
        pop, push = todo.pop, todo.append
        while todo:
            node = pop()
            kind = node.__class__
            same = by_type.get(kind)
            if same is None:
                by_type[kind] = [node]
            else:
                same.append(node)
            # children pushed last field first, last item first: popped in pre-order
            for name in _REVERSED_FIELDS[kind]:
                value = getattr(node, name, None)
                if value.__class__ is list:
                    for item in value[::-1]:
                        if isinstance(item, ast.AST):
                            parents[id(item)] = node
                            push(item)
                elif isinstance(value, ast.AST):
                    parents[id(value)] = node
                    push(value)
        self._by_type, self._parents = by_type, parents

    def parent(self, node: ast.AST) -> ast.AST | None:
        if self._parents is None:
            self._index()
        return self._parents.get(id(node))

    def nodes(self, *types: type) -> list[ast.AST]:
        """Every node of the given types, from one walk of the tree shared by all rules.

        Within a type, nodes come in pre-order (a parent before its children, siblings in source
        order), as ``ast.NodeVisitor`` visits them, not ``ast.walk``'s breadth-first order.
        Expression contexts and operators (``ast.Load``, ``ast.Add``: shared singletons) are not
        indexed."""
        if self._by_type is None:
            self._index()
        if len(types) == 1:
            return self._by_type.get(types[0], [])
        return [node for t in types for node in self._by_type.get(t, [])]

    def qualified_name(self, node: ast.AST) -> str | None:
        """The imported name an expression refers to: ``np.random.rand`` -> ``numpy.random.rand``.

        Returns None for names that are not bound by an import in this module.
        """
        found = self._qualified.get(node, _NOT_ASKED)
        if found is _NOT_ASKED:
            found = self._qualified[node] = self._qualify(node)
        return found

    def _qualify(self, node: ast.AST) -> str | None:
        spelled = dotted_name(node)
        if spelled is None:
            return None
        head, dot, rest = spelled.partition(".")
        base = self.imports.get(head)
        return None if base is None else base + dot + rest

    def dotted_name(self, node: ast.AST) -> str | None:
        """The source spelling of a name or attribute chain (``self.model.fit``), or None."""
        return dotted_name(node)


# Fields that hold only expression contexts and operators: one shared instance per kind, which no
# rule asks for, so the index and the walkers skip them.
_SINGLETON_FIELDS = frozenset({"ctx", "op", "ops"})
# Nodes whose fields never hold nodes (identifiers, constants): nothing to look at below them. Names
# and constants are half of all nodes.
_LEAVES = frozenset({ast.Name, ast.Constant, ast.alias, ast.Pass, ast.Break, ast.Continue, ast.Global,
                     ast.Nonlocal})


class _FieldsByKind(dict):
    """Node class -> the names of its fields that may hold child nodes, in order (or reversed)."""

    def __init__(self, reverse: bool) -> None:
        super().__init__()
        self.reverse = reverse

    def __missing__(self, kind: type) -> tuple[str, ...]:
        fields = [] if kind in _LEAVES else [name for name in kind._fields if name not in _SINGLETON_FIELDS]
        self[kind] = tuple(reversed(fields) if self.reverse else fields)
        return self[kind]


_CHILD_FIELDS = _FieldsByKind(reverse=False)
_REVERSED_FIELDS = _FieldsByKind(reverse=True)


class _VisitMethods(dict):
    """Node class -> the walker's ``visit_<Class>`` function, its ``generic_visit``, or None for
    a leaf it has no method for (nothing to do: not even a call)."""

    def __init__(self, walker: type) -> None:
        super().__init__()
        self.walker = walker

    def __missing__(self, kind: type):
        method = getattr(self.walker, "visit_" + kind.__name__, None)
        if method is None and kind not in _LEAVES:
            method = self.walker.generic_visit
        self[kind] = method
        return method


class NodeWalker:
    """``ast.NodeVisitor`` for the extractors' walks, two to three times as fast: the
    ``visit_<Class>`` method of each node class is looked up once per class rather than by name on
    every node, ``generic_visit`` reads the fields directly and calls the children's methods itself
    (one call per node, not two), and leaves without a method (names, constants) are not called at
    all. Children come in the same order; expression contexts and operators are not visited (see
    ``_SINGLETON_FIELDS``), so a ``visit_Load`` or ``visit_Add`` is never called."""

    _methods: _VisitMethods

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._methods = _VisitMethods(cls)

    def visit(self, node: ast.AST) -> None:
        method = self._methods[node.__class__]
        if method is not None:
            method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        methods = self._methods
        for name in _CHILD_FIELDS[node.__class__]:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        method = methods[item.__class__]
                        if method is not None:
                            method(self, item)
            elif isinstance(value, ast.AST):
                method = methods[value.__class__]
                if method is not None:
                    method(self, value)


def parse_python(text: str, *, notebook: bool = False) -> ast.Module:
    """Parse with the stdlib parser: it is ~10x faster than a concrete syntax tree (bench/)."""
    flags = NOTEBOOK_FLAGS if notebook else ast.PyCF_ONLY_AST
    return compile(text, "<module>", "exec", flags=flags, dont_inherit=True)


def resolve_relative(module_name: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    parts = module_name.split(".") if module_name else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if target:
        parts.append(target)
    return ".".join(parts)


def collect_imports(nodes, module_name: str, is_package: bool) -> dict[str, str]:
    """Map every imported local name to its qualified name (all scopes, last binding wins)."""
    imports: dict[str, str] = {}
    for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    imports[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = resolve_relative(module_name, is_package, node.level, node.module)
            for alias in node.names:
                if alias.name == "*":
                    continue
                imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return imports


def _string_spans(nodes, lines: set[int]) -> dict[int, list[tuple[int, int]]]:
    """Per line of ``lines``, the byte-column spans covered by string literals (-1: to end of line)."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for node in nodes:
        start, end = node.lineno, node.end_lineno or node.lineno
        if start == end and start not in lines:
            continue  # most literals: one line, and no '#' on it
        if not (isinstance(node, ast.JoinedStr) or isinstance(node.value, (str, bytes))):
            continue
        if start == end:
            spans.setdefault(start, []).append((node.col_offset, node.end_col_offset or -1))
            continue
        if start in lines:
            spans.setdefault(start, []).append((node.col_offset, -1))
        for line in range(start + 1, end):
            if line in lines:
                spans.setdefault(line, []).append((0, -1))
        if end in lines:
            spans.setdefault(end, []).append((0, node.end_col_offset or -1))
    return spans


def dotted_name(node: ast.AST) -> str | None:
    """The source spelling of a name or attribute chain (``self.model.fit``), or None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def comments_of_unparsed(text: str) -> list[Comment]:
    """The comments of source that does not parse as a whole: the tokenizer's up to where it stops,
    then the lines that are comments from their first character on (a '#' after code there may be
    inside a string the tokenizer never reached, so it is left out)."""
    import io
    import tokenize

    found: list[Comment] = []
    reached = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            reached = token.start[0]
            if token.type == tokenize.COMMENT:
                found.append(Comment(token.start[0], token.start[1], token.string))
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        if number > reached and line.lstrip().startswith("#"):
            found.append(Comment(number, len(line) - len(line.lstrip()), line.lstrip()))
    return found


def unparsed_module(path: str, module_name: str, text: str) -> "ParsedModule":
    """A module for the rules that read only comments, made from source that does not parse."""
    module = ParsedModule(path, module_name, text, ast.Module(body=[], type_ignores=[]))
    module._comments = comments_of_unparsed(text)
    return module


def _find_comments(lines: list[str], string_nodes) -> Iterator[Comment]:
    with_hash = [number for number, line in enumerate(lines, start=1) if "#" in line]
    if not with_hash:
        return
    # only the lines holding a '#' need to know where strings are
    spans = _string_spans(string_nodes(), set(with_hash))
    for number in with_hash:
        line = lines[number - 1]
        line_spans = spans.get(number)
        if not line_spans:
            col = line.index("#")
            yield Comment(number, col, line[col:])
            continue
        encoded = line.encode("utf-8", errors="replace")
        position = 0
        while True:
            position = encoded.find(b"#", position)
            if position < 0:
                break
            if not any(s <= position and (e == -1 or position < e) for s, e in line_spans):
                col = len(encoded[:position].decode("utf-8", errors="replace"))
                yield Comment(number, col, line[col:])
                break
            position += 1


class Extractor:
    """Collects compact, JSON-serialisable facts from each Python module for project rules.

    Runs in the per-file worker next to the module rules; its result is stored under ``name`` in
    the module's facts (``project.facts[path][name]``) and cached with them.
    """

    name: ClassVar[str]
    # Keys of the result stored as fact kinds of their own (kind -> keys): a kind is decoded only
    # when a reader asks for it, so what few readers need (the program graph's per-scope calls)
    # costs nothing to the others, nor to a scan that reuses what it was made into.
    parts: ClassVar[dict[str, tuple[str, ...]]] = {}

    def extract(self, module: ParsedModule) -> Any:
        raise NotImplementedError
