"""The whole-program view shared by cross-module rules (dead code, seeds, artifacts).

Per module, the ``symbols`` extractor (``auditor.analysis.symbols``) records compact facts: definitions,
imports, and for each scope (module level, each function and method) the calls it makes with their
lines. The ``ProgramGraph`` joins them into one graph: nodes are modules (``path``) and symbols
(``path::qualname``); edges say "running this runs that" (calls, imports, class -> methods it
defines are *not* implied). Entry points are roots; rules ask what is reachable.

The rules walk a compact adjacency (plain dicts, each edge's kind and first line packed in one
int): on a large tree it is a fraction of the memory and build time of a networkx graph with
attribute dicts. ``ProgramGraph.graph`` hands the same graph to networkx for its algorithms.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Iterable, NamedTuple, Protocol

# MODULE and SymbolFacts are re-exported: rules import them from here with the graph.
from auditor.analysis.import_roots import ImportRoots
from auditor.analysis.symbol_visitor import MODULE
from auditor.analysis.symbols import RECOVERED_IMPORTS, SYMBOL_USES, WRITTEN_MODULES, SymbolFacts
from auditor.pathnames import posix_path

__all__ = ["MODULE", "Definition", "ProgramGraph", "SymbolFacts"]

# The symbols facts only the graph reads: the definitions it keeps as ``Definition``s, which the
# graph of ``Project.program`` releases as it goes (``release_inputs``). The per-scope calls,
# references and locals it reads too are a fact kind of their own (``SYMBOL_USES``), read one
# module at a time, and only for the modules whose edges are resolved, not replayed.
GRAPH_INPUTS = ("defs",)

# Edge kinds. An edge is stored as one int, ``line * 4 + kind`` (line -1 when it has none).
CALL, IMPORT, REF, MEMBER = range(4)
EDGE_KINDS = ("call", "import", "ref", "member")
_NO_SUCCESSORS: dict[str, int] = {}


def _pack(kind: int, line: int | None) -> int:
    return (-1 if line is None else line) * 4 + kind


def _unpack(packed: int) -> tuple[int, int | None]:
    line = packed >> 2
    return packed & 3, None if line < 0 else line


class Definition(NamedTuple):
    """A function, class, method, constant or class attribute of a module. A named tuple: the
    graph makes one per definition of the project, and it is the cheapest immutable record."""

    path: str
    qualname: str
    kind: str
    line: int
    end_line: int
    decorators: tuple[str, ...]
    bases: tuple[str, ...]
    node: str  # ``path::qualname``; the graph keys its edges by this same string


class EdgeStore(Protocol):
    """Where the graph keeps each module's resolved edges between scans, by the module's facts
    (``auditor/scan/engine.py`` gives one backed by the result cache). An entry holds the
    questions the module asked of the rest of the project (a dotted name and what it resolved to)
    and the edges it added; a later graph re-asks the questions and replays the edges when every
    answer is the same, so an edit elsewhere that leaves those answers alone (a function added,
    a body changed) costs nothing here."""

    def get(self, path: str) -> Any: ...

    def put(self, path: str, entry: dict[str, Any]) -> None: ...


def _edge_entry_ok(entry: Any) -> bool:
    """The shape ``ProgramGraph._resolve_edges`` stores. Entries are authenticated (the result cache
    refuses one edited outside mlaudit) and keyed by mlaudit's code, so only the outer shape is
    checked here, not each of the many rows."""
    return isinstance(entry, dict) and isinstance(entry.get("questions"), list) and isinstance(entry.get("edges"), list)


class _ModuleNames:
    """How the names used in one module's scopes resolve to graph nodes. Answers are remembered:
    a module uses the same imported names from many scopes, and sibling scopes see the same names
    through their enclosing scopes."""

    def __init__(self, graph: "ProgramGraph", path: str, facts: dict[str, Any], uses: dict[str, Any],
                 qualnames: set[str]) -> None:
        self.graph, self.path = graph, path
        self.qualnames = qualnames  # of the module's definitions
        self.members: dict[str, set[str]] = {}  # qualname ("" for the module) -> names defined directly in it
        for qualname in self.qualnames:
            enclosing, _, name = qualname.rpartition(".")
            self.members.setdefault(enclosing, set()).add(name)
        self.defined = set().union(*self.members.values())  # every name some definition here has
        # function scope -> its parameters and assigned names
        self.locals = {scope: set(names) for scope, names in uses.get("locals", {}).items()}
        self._visible: dict[str, dict[str, str | None]] = {}  # scope -> name -> qualname it names there
        self._imported: dict[str, tuple[str, ...]] = {}  # dotted name -> the nodes it can be
        self._classes: dict[str, str | None] = {}  # scope -> its enclosing class, for ``self.x`` uses
        # modules whose public names ``from m import *`` brings in
        self.star_modules = graph.star_modules(path, facts, ask=True)

    def nodes(self, scope: str, target: str) -> tuple[str, ...]:
        """The nodes a call made in ``scope`` names: ``import:pkg.mod.name``, ``local:name`` (or
        ``local:name.attr``) or ``self:method``."""
        kind, _, name = target.partition(":")
        if kind == "import":
            return self.imported(name)
        node = self.local(scope, name) if kind == "local" else self.method(scope, name) if kind == "self" else None
        return (node,) if node else ()

    def imported(self, name: str) -> tuple[str, ...]:
        """Every node an imported name can be (more than one when copies of a module could each be
        the one imported: all are used)."""
        found = self._imported.get(name)
        if found is None:
            found = self._imported[name] = tuple(self.graph._node(n) for n in self.graph.ask(self.path, name))
        return found

    def local(self, scope: str, name: str) -> str | None:
        head, _, rest = name.partition(".")
        # most names used are parameters, locals or builtins: no definition of the module has them
        qualname = self._visible_in(scope, head) if head in self.defined else None
        if qualname is None:
            return self._star_imported(head) if self.star_modules else None
        if rest and f"{qualname}.{rest}" in self.qualnames:
            qualname = f"{qualname}.{rest}"
        return self.graph.definitions[f"{self.path}::{qualname}"].node

    def _star_imported(self, name: str) -> str | None:
        """A top-level definition of a module this one imports with ``*`` (``from src.steps import *``
        then ``python_callable=extract``)."""
        return self.graph.star_definition(self.star_modules, name, ask=True)

    def method(self, scope: str, name: str) -> str | None:
        """``self.name`` in a method: the method of its class."""
        if scope not in self._classes:
            self._classes[scope] = self.graph._enclosing_class(self.path, scope)
        cls = self._classes[scope]
        d = self.graph.definitions.get(f"{self.path}::{cls}.{name}") if cls else None
        return d.node if d is not None else None

    def _visible_in(self, scope: str, head: str) -> str | None:
        """The qualname of this module's definition that ``head`` names in ``scope``: innermost
        enclosing scope first (nested functions, then module level); a parameter or local
        variable of an enclosing function shadows the module-level name."""
        seen = self._visible.get(scope)
        if seen is None:
            seen = self._visible[scope] = {}
        elif head in seen:
            return seen[head]
        if head in self.members.get(scope, ()):
            qualname = f"{scope}.{head}" if scope else head
        elif scope and head in self.locals.get(scope, ()):
            qualname = None
        else:
            qualname = self._visible_in(scope.rpartition(".")[0], head) if scope else None
        seen[head] = qualname
        return qualname


class ProgramGraph:
    """Modules and symbols of the project joined by "running this runs that" edges."""

    def __init__(self, project, release_inputs: bool = False, edges: EdgeStore | None = None) -> None:
        self.project = project
        self._edge_store = edges
        self.edges_reused = self.edges_resolved = 0  # modules whose edges came from ``edges`` / were resolved
        # While one module's edges are resolved for ``edges``: the questions it asks, in the order
        # first asked, and the (source, target) pairs it adds, in the order added.
        self._questions: dict[str, list[list[Any]]] | None = None
        self._new_pairs: list[tuple[str, str]] | None = None
        self.symbols: dict[str, dict[str, Any]] = project.fact("symbols")
        self.definitions: dict[str, Definition] = {}
        self.last_lines: dict[str, int] = {}  # module -> where its last definition ends
        self.module_paths: dict[str, str] = {}  # dotted name -> path (several spellings per module)
        self.module_paths_all: dict[str, list[str]] = {}  # dotted name -> every path spelled so
        self._under: dict[tuple[str, str], str | None] = {}  # (import root, dotted name) -> node
        self._from_roots: dict[tuple[tuple[str, ...], str], list[str]] = {}  # (a file's roots, dotted name) -> nodes
        self._in_unit: dict[tuple[str, str], list[str]] = {}  # (unit, dotted name) -> nodes spelled so there
        self._modules: dict[str, str] = {}  # module node -> the one string naming it (Definition.node for the others)
        self._succ: dict[str, dict[str, int]] = {}  # source -> {target: packed edge}, in insertion order
        self._pred: dict[str, list[str]] = {}  # target -> sources, in insertion order
        self._qualified: dict[str, str | None] = {}  # resolve_qualified answers
        self._replaced: dict[tuple[str, str], int] = {}  # (class, member) -> the edge add_member made a member edge
        self._networkx = None
        built = getattr(project, "__dict__", {}).get("program")
        if built is not None:  # Project.program released the facts this graph is made of
            self._copy_as_built(built)
        else:
            self._index_modules()
            self._build(release_inputs)

    def _copy_as_built(self, built: "ProgramGraph") -> None:
        """The graph ``built`` was before the dead-code analysis hung members off classes."""
        self.definitions, self.last_lines, self.module_paths = built.definitions, built.last_lines, built.module_paths
        self.module_paths_all, self.import_roots, self._under = built.module_paths_all, built.import_roots, built._under
        self._from_roots, self._in_unit, self._segments = built._from_roots, built._in_unit, built._segments
        self._module_bases, self.recovered = built._module_bases, built.recovered
        self._modules = dict(built._modules)
        for source, targets in built._succ.items():
            kept = {}
            for target, packed in targets.items():
                packed = built._replaced.get((source, target), packed)
                if packed & 3 != MEMBER:
                    kept[target] = packed
            if kept:
                self._succ[source] = kept
        for target, sources in built._pred.items():
            kept_sources = [source for source in sources if target in self._succ.get(source, ())]
            if kept_sources:
                self._pred[target] = kept_sources

    # -- module names ---------------------------------------------------------------------------
    def _index_modules(self) -> None:
        self.import_roots = ImportRoots(self.project, self.symbols)
        # modules that do not parse: their import statements, recovered one by one (auditor/analysis/symbols.py)
        self.recovered: dict[str, list[list[Any]]] = {
            path: rows for path, rows in self.project.fact(RECOVERED_IMPORTS).items() if path not in self.symbols}
        # and the Python files notebooks write with %%writefile, unless the repository has the file itself
        for modules in self.project.fact(WRITTEN_MODULES).values():
            for path, rows in modules.items():
                if path not in self.symbols:
                    self.recovered.setdefault(path, []).extend(rows)
        # every module's path without its suffix, and every package folder: what a dotted name can be
        self._module_bases = {path[: -len("/__init__.py")] if path.endswith("/__init__.py") else path[:-3]
                              for path in self.symbols if path.endswith(".py")}
        # every folder name and module name of the project: the first part of a name imported from it
        self._segments = {part.rsplit(".", 1)[0] if part.endswith(".py") else part
                          for path in self.symbols for part in path.split("/")}
        for path, name in self.project.module_names.items():
            if path not in self.symbols:
                continue
            spellings = {name}
            pure = posix_path(path)
            dotted = ".".join(pure.with_suffix("").parts)
            if dotted.endswith(".__init__"):
                dotted = dotted[: -len(".__init__")]
            spellings.add(dotted)
            for prefix in ("src.", "lib.", "python."):
                if dotted.startswith(prefix):
                    spellings.add(dotted[len(prefix):])
            for spelling in spellings:
                self.module_paths.setdefault(spelling, path)
                self.module_paths_all.setdefault(spelling, []).append(path)

    def resolve_module(self, dotted: str) -> str | None:
        return self.module_paths.get(dotted)

    def resolve_qualified(self, qualified: str) -> str | None:
        """Graph node for ``pkg.mod.func`` or ``pkg.mod.Class.method`` or a module, if in the project."""
        if qualified not in self._qualified:  # the same names are imported all over a project
            self._qualified[qualified] = self._resolve_qualified(qualified)
        return self._qualified[qualified]

    def _resolve_qualified(self, qualified: str) -> str | None:
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            path = self.module_paths.get(".".join(parts[:cut]))
            if path is not None:
                return self._member(path, parts[cut:], qualified, self.resolve_qualified, or_module=False)
        return None

    def resolve_from(self, path: str, qualified: str) -> str | None:
        """The first of ``resolve_all_from``, or None."""
        found = self.resolve_all_from(path, qualified)
        return found[0] if found else None

    def resolve_all_from(self, path: str, qualified: str) -> list[str]:
        """What ``qualified`` (``pkg.mod``, ``pkg.mod.func``) imported in the file at ``path`` can
        be: the module or definition under each folder on the ``sys.path`` the file runs with
        (``auditor.analysis.import_roots``), so a copy of a package in one lab resolves to that
        lab's copy. When no root has it, every module of the file's unit spelled that way (a name
        that could be several modules makes them all used); none: an external import."""
        roots = self.import_roots.of(path)
        key = (roots, qualified)  # the files of a folder share their roots, and import the same names
        under = self._from_roots.get(key)
        if under is None:
            if qualified.partition(".")[0] not in self._segments:  # numpy, os...: no module of the project
                under = self._from_roots[key] = []
            else:
                under = self._from_roots[key] = list(dict.fromkeys(
                    node for node in (self._resolve_under(root, qualified) for root in roots) if node is not None))
        # a module importing its own name means another module of that name (distutils/sysconfig.py's
        # ``from sysconfig import ...``), never itself
        found = [node for node in under if node.partition("::")[0] != path]
        if found:
            return found
        # No root has it: a module spelled so elsewhere in the same unit (a root mlaudit cannot see,
        # such as an installed package or a PYTHONPATH set outside the repository). Another
        # project of a monorepo is out of reach.
        units = self.project.units
        unit = units.of(path)
        key = (unit, qualified)
        anywhere = self._in_unit.get(key)
        if anywhere is None:
            anywhere = self._in_unit[key] = [n for n in self._resolve_everywhere(qualified)
                                             if units.of(n.split("::")[0]) == unit]
        return [n for n in anywhere if n.partition("::")[0] != path]

    def _resolve_under(self, root: str, qualified: str) -> str | None:
        key = (root, qualified)
        if key in self._under:
            return self._under[key]
        self._under[key] = None  # a re-export cycle ends here
        prefix = f"{root}/" if root else ""
        parts = qualified.split(".")
        result = None
        for cut in range(len(parts), 0, -1):
            base = prefix + "/".join(parts[:cut])
            if base not in self._module_bases:
                continue
            candidate = f"{base}.py" if f"{base}.py" in self.symbols else f"{base}/__init__.py"
            if candidate not in self.symbols:
                continue
            # a name the module re-exports resolves as the module itself imports it
            result = self._member(candidate, parts[cut:], qualified,
                                  lambda target, module=candidate: self.resolve_from(module, target))
            break
        self._under[key] = result
        return result

    def _member(self, module: str, rest: list[str], qualified: str, follow, or_module: bool = True) -> str | None:
        """``rest`` of a dotted name inside ``module``: its definition, a name the module imports
        (a package ``__init__`` re-exporting it: followed once with ``follow``; when that finds
        nothing, the module itself if ``or_module``), or the module."""
        if not rest:
            return module
        node = f"{module}::{'.'.join(rest)}"
        if node in self.definitions:
            return node
        for local, target, _ in self.symbols.get(module, {}).get("imports", []):
            if local == rest[0] and target != qualified:
                found = follow(".".join([target, *rest[1:]]))
                return found or module if or_module else found
        return module

    def _resolve_everywhere(self, qualified: str) -> list[str]:
        """Every module spelled ``qualified`` (or its longest module prefix) anywhere in the project."""
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            paths = self.module_paths_all.get(".".join(parts[:cut]))
            if not paths:
                continue
            found = []
            for module in paths:
                node = self._member(module, parts[cut:], qualified, self.resolve_qualified)
                if node not in found:
                    found.append(node)
            return found
        return []

    # -- graph --------------------------------------------------------------------------------
    def _build(self, release_inputs: bool) -> None:
        """Every module's definitions first (a use may name one in any module), then its edges.
        With ``release_inputs`` each module's inputs are dropped as soon as they are used, so the
        memory they took is reused by what the graph builds next."""
        qualnames: dict[str, set[str]] = {}
        for path, facts in self.symbols.items():
            self._modules[path] = path
            qualnames[path] = self._add_definitions(path, facts.get("defs", []))
            if release_inputs:
                for key in GRAPH_INPUTS:
                    facts.pop(key, None)
        # a replayed module's edges were made from its uses: the rule building the graph depends on them
        self.project.facts.depends_on(SYMBOL_USES)
        for path, facts in self.symbols.items():
            module_qualnames = qualnames.pop(path)
            if not self._replay_edges(path, facts):
                uses = self.project.facts.read_module(path, SYMBOL_USES) or {}
                self._resolve_edges(path, facts, uses, module_qualnames)
        for path, rows in self.recovered.items():
            self._modules[path] = path
            self._link_imports(path, rows, unknown_uses=True)

    def _resolve_edges(self, path: str, facts: dict[str, Any], uses: dict[str, Any], qualnames: set[str]) -> None:
        """A module's edges from its uses (``SYMBOL_USES``) and imports, kept in the edge store
        when there is one."""
        if self._edge_store is None:
            self._add_uses(path, facts, uses, qualnames)
            self._link_imports(path, facts.get("imports", []))
            return
        self.edges_resolved += 1
        self._questions, self._new_pairs = {}, []
        try:
            self._add_uses(path, facts, uses, qualnames)
            self._link_imports(path, facts.get("imports", []))
            entry = {"questions": [[q, answer] for q, answer in self._questions.items()],
                     "edges": [[source, target, self._succ[source][target]] for source, target in self._new_pairs]}
        finally:
            self._questions = self._new_pairs = None
        self._edge_store.put(path, entry)

    def _replay_edges(self, path: str, facts: dict[str, Any]) -> bool:
        """A module's stored edges added again, when each question it asked has the same answer
        now; False (nothing changed) when there is no usable entry or an answer differs."""
        if self._edge_store is None:
            return False
        entry = self._edge_store.get(path)
        if not _edge_entry_ok(entry):
            return False
        # asked in the order the module first asked them, as resolving it would: the answers are
        # remembered project-wide, and the order they are first made in is then the same too
        star_modules = None
        for question, answer in entry["questions"]:
            if question.startswith("*"):  # a name looked up in the modules imported with ``*``
                if star_modules is None:
                    star_modules = self.star_modules(path, facts)
                if self._star_answer(self.star_definition(star_modules, question[1:])) != answer:
                    return False
            elif self._answer(self.resolve_all_from(path, question)) != answer:
                return False
        succ, pred, node = self._succ, self._pred, self._node
        for source, target, packed in entry["edges"]:
            source, target = node(source), node(target)
            targets = succ.get(source)
            if targets is None:
                targets = succ[source] = {}
            targets[target] = packed
            pred.setdefault(target, []).append(source)
        self.edges_reused += 1
        return True

    def _answer(self, found: list[str]) -> list[list[Any]]:
        """What a question's answer is made of: each node, and whether it is a definition or module."""
        return [[node, node in self.definitions or node in self.symbols] for node in found]

    def star_modules(self, path: str, facts: dict[str, Any], ask: bool = False) -> list[str]:
        """The project's modules a module imports with ``from m import *``."""
        resolve = self.ask if ask else self.resolve_all_from
        return [module for local, target, _ in facts.get("imports", ()) if local == "*"
                for module in resolve(path, target) if module in self.symbols]

    def star_definition(self, star_modules: list[str], name: str, ask: bool = False) -> str | None:
        """The public top-level definition ``name`` of the first of ``star_modules`` that has one;
        with ``ask``, kept as a question (``*name``) of the module whose edges are being resolved."""
        found = None
        if not name.startswith("_"):
            for module in star_modules:
                d = self.definitions.get(f"{module}::{name}")
                if d is not None:
                    found = d.node
                    break
        if ask and self._questions is not None and f"*{name}" not in self._questions:
            self._questions[f"*{name}"] = self._star_answer(found)
        return found

    @staticmethod
    def _star_answer(found: str | None) -> list[list[Any]]:
        return [[found, True]] if found is not None else []

    def ask(self, path: str, qualified: str) -> list[str]:
        """``resolve_all_from`` while building the graph: the question and its answer are kept for
        the module whose edges are being resolved for the edge store."""
        found = self.resolve_all_from(path, qualified)
        if self._questions is not None and qualified not in self._questions:
            self._questions[qualified] = self._answer(found)
        return found

    def _link_imports(self, path: str, rows: list[list[Any]], unknown_uses: bool = False) -> None:
        """Edges for a module's import statements: to each module and definition they can name.
        With ``unknown_uses`` (a module that does not parse), a ``*`` import uses every public
        top-level definition of its module."""
        for local, target, line in rows:
            for node in self.ask(path, target):
                self._link(path, self._node(node if node in self.definitions or node in self.symbols else path),
                           IMPORT, line)
                module = node.split("::")[0]
                if module != path:
                    self._link(path, self._node(module), IMPORT, line)
                if unknown_uses and local == "*" and node == module:
                    for d in self._top_level_public(module):
                        self._link(path, d, REF, None)

    def _top_level_public(self, module: str) -> list[str]:
        prefix = f"{module}::"
        return [node for node, d in self.definitions.items()
                if node.startswith(prefix) and "." not in d.qualname and not d.qualname.startswith("_")]

    def _add_definitions(self, path: str, rows: list[list[Any]]) -> set[str]:
        """A module's definitions (the first of each qualname); returns their qualnames."""
        qualnames = set()
        for qualname, kind, line, end, decorators, bases in rows:
            qualnames.add(qualname)
            self.last_lines[path] = max(self.last_lines.get(path, end), end)
            node = f"{path}::{qualname}"
            if node not in self.definitions:
                self.definitions[node] = Definition(path, qualname, kind, line, end, tuple(decorators),
                                                    tuple(bases), node)
        return qualnames

    def _add_uses(self, path: str, facts: dict[str, Any], uses: dict[str, Any], qualnames: set[str]) -> None:
        """Edges for the calls of each scope, then for its references (names and imported names
        it reads)."""
        names = _ModuleNames(self, path, facts, uses, qualnames)
        for scope, calls in uses.get("calls", {}).items():
            source = self._node(path if scope == MODULE else f"{path}::{scope}")
            for target, line in calls:
                for node in names.nodes(scope, target):
                    if node != source:
                        self._link(source, node, CALL, line)
        for scope, refs in uses.get("refs", {}).items():
            source = self._node(path if scope == MODULE else f"{path}::{scope}")
            for ref in refs:
                if ref.startswith("import:"):
                    found = names.imported(ref[len("import:"):])
                else:
                    local = names.local(scope, ref)
                    found = (local,) if local else ()
                for node in found:
                    if node != source:
                        self._link(source, node, REF, None)

    def _node(self, node: str) -> str:
        """The one string object naming ``node`` (edges key their dicts by it, so each node's
        name is stored once however many edges it has)."""
        d = self.definitions.get(node)
        return d.node if d is not None else self._modules.setdefault(node, node)

    def _link(self, source: str, target: str, kind: int, line: int | None) -> None:
        """One edge per pair. A call outranks an import or a reference of the same pair (so it
        is never hidden by one), and the edge keeps the first line of the call. ``source`` and
        ``target`` are the nodes' own strings (``_node``)."""
        targets = self._succ.get(source)
        if targets is None:
            targets = self._succ[source] = {}
        packed = targets.get(target)
        if packed is None:
            targets[target] = _pack(kind, line)
            self._pred.setdefault(target, []).append(source)
            if self._new_pairs is not None:
                self._new_pairs.append((source, target))
        elif kind == CALL:
            old_kind, old_line = _unpack(packed)
            if old_kind != CALL or (line or 0) < (old_line or 0):
                targets[target] = _pack(CALL, line)

    def add_member(self, cls: str, node: str) -> None:
        """Hang a member off its class (the dead-code analysis: a member lives with its class). An
        existing edge of the pair becomes a member edge and keeps its line."""
        packed = self._succ.get(cls, _NO_SUCCESSORS).get(node)
        if packed is None:
            self._link(self._node(cls), self._node(node), MEMBER, None)
        else:
            self._succ[cls][node] = _pack(MEMBER, _unpack(packed)[1])
            self._replaced.setdefault((self._node(cls), node), packed)
        self._networkx = None

    def _enclosing_class(self, path: str, scope: str) -> str | None:
        parts = scope.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            candidate = ".".join(parts[:cut])
            d = self.definitions.get(f"{path}::{candidate}")
            if d and d.kind == "class":
                return candidate
        return None

    # -- queries --------------------------------------------------------------------------------
    def __contains__(self, node: str) -> bool:
        return node in self.definitions or node in self._modules

    def successors(self, node: str) -> Iterable[str]:
        """What ``node`` runs or uses, in the order the edges were added."""
        return self._succ.get(node, _NO_SUCCESSORS).keys()

    def predecessors(self, node: str) -> list[str]:
        """What runs or uses ``node``, in the order the edges were added."""
        return self._pred.get(node, [])

    def edge(self, source: str, target: str) -> tuple[str, int | None]:
        """(kind, line) of the edge: kind ``call``, ``import``, ``ref`` or ``member``."""
        kind, line = _unpack(self._succ[source][target])
        return EDGE_KINDS[kind], line

    def calls_from(self, node: str) -> list[tuple[str, int]]:
        """Project nodes called from a module's top level or a function, with call lines."""
        result = []
        for target, packed in self._succ.get(node, _NO_SUCCESSORS).items():
            kind, line = _unpack(packed)
            if kind == CALL:
                result.append((target, line))
        return result

    def reachable_from(self, roots: Iterable[str]) -> set[str]:
        import networkx as nx

        seen: set[str] = set()
        for root in roots:
            if root in self and root not in seen:
                seen.add(root)
                seen |= nx.descendants(self.graph, root)
        return seen

    @property
    def graph(self):
        """The same graph as a networkx DiGraph (nodes with their ``kind``, edges with ``kind`` and
        ``line``), made on first use: for networkx's algorithms, not for the rules' walks."""
        if self._networkx is None:
            import networkx as nx  # here: a scan that needs no algorithm never imports it

            graph = nx.DiGraph()
            for node in self._modules:
                graph.add_node(node, kind="module")
            for node, d in self.definitions.items():
                graph.add_node(node, kind=d.kind)
            for source, targets in self._succ.items():
                for target, packed in targets.items():
                    kind, line = _unpack(packed)
                    graph.add_edge(source, target, kind=EDGE_KINDS[kind], line=line)
            self._networkx = graph
        return self._networkx

    @cached_property
    def entry_modules(self) -> list[str]:
        """Modules run directly: ``__main__`` guards, notebooks, tests, declared console scripts."""
        roots = []
        for path, facts in self.symbols.items():
            name = posix_path(path).name
            if facts.get("main_guard") or path.endswith(".ipynb") or name.startswith("test_") \
                    or name.endswith("_test.py") or name == "conftest.py" or name == "__main__.py":
                roots.append(path)
        return roots
