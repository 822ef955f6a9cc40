"""One fixer per fixable rule: from a finding and the text of its file to the file's new text.

Each fixer parses the text with libcst, changes the nodes the finding names and returns the new
code (libcst keeps every comment, blank line and quote it did not touch), with the lines the fix may
change: the finding's own span, widened to whole statements, and, for a fix that needs one, the
single line it adds (``SEED = 42`` after the imports). ``run`` checks the edits against that span.
A fixer that meets something it cannot change faithfully raises ``Skip`` with the reason; the
finding then stays, and the reason is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from auditor.fix.edits import Edit
from auditor.rules.seed_tables import INTEGER_SEED_ARGUMENTS, SEED_NAMES


class Skip(Exception):
    """This finding cannot be fixed here; the message says why."""


@dataclass
class Change:
    text: str  # the whole new text
    first: int  # the lines the fix may change (widened to whole statements) ...
    last: int
    support: list[Edit] = field(default_factory=list)  # ... and lines it needs, inserted apart (made once)
    kind: str = ""  # what was done, for the counts


class Source:
    """The file's text parsed by libcst, with positions and parents."""

    def __init__(self, text: str) -> None:
        try:
            module = cst.parse_module(text)
        except Exception as exc:  # libcst raises ParserSyntaxError, and others on grammar it lacks
            raise Skip(f"libcst cannot parse the file ({type(exc).__name__})") from None
        self.module = module
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        resolved = wrapper.resolve_many([PositionProvider, ParentNodeProvider])  # one walk for both
        self.positions = resolved[PositionProvider]
        self.parents = resolved[ParentNodeProvider]
        self.text = text
        self._by_line: dict[int, list[cst.CSTNode]] | None = None

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self.positions[node]
        return position.start.line, position.end.line

    def statements_at(self, line: int) -> list[cst.CSTNode]:
        """Block-level statements (simple lines and compound statements) that start at ``line``."""
        return [node for node in self.starting_at(line)
                if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement))]

    def nodes_at(self, kind, line: int) -> list:
        """Nodes of ``kind`` that start at ``line``."""
        return [node for node in self.starting_at(line) if isinstance(node, kind)]

    def starting_at(self, line: int) -> list[cst.CSTNode]:
        if self._by_line is None:  # indexed once per file, on the first question
            self._by_line = {}
            for node, position in self.positions.items():
                self._by_line.setdefault(position.start.line, []).append(node)
        return self._by_line.get(line, [])

    def dotted(self, node: cst.BaseExpression) -> str:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            inner = self.dotted(node.value)
            return f"{inner}.{node.attr.value}" if inner else ""
        return ""

    def replace(self, old: cst.CSTNode, new: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel) -> str:
        return self.module.deep_replace(old, new).code

    def delete_lines(self, statement: cst.CSTNode, first: int, last: int) -> tuple[str, int]:
        """The text without lines ``first``..``last`` (the statement, with its decorators or comments).
        When the statement is its block's only one, ``pass`` takes its place; when the deletion would
        leave blank lines both above and below it, the ones above go too (no gap of four lines).
        Returns the new text and the first line removed."""
        lines = self.text.split("\n")
        parent = self.parents.get(statement)
        alone = isinstance(parent, cst.IndentedBlock) and len(parent.body) == 1
        if alone:
            indent = re.match(r"[ \t]*", lines[self.span(statement)[0] - 1]).group(0)
            return "\n".join(lines[:first - 1] + [indent + "pass"] + lines[last:]), first
        above, below = first - 1, last
        if below < len(lines) and not lines[below].strip():
            while above > 0 and not lines[above - 1].strip():
                above -= 1
            if above == 0:  # at the top of the file: no blank lines left in front of the code
                while below < len(lines) - 1 and not lines[below].strip():
                    below += 1
        return "\n".join(lines[:above] + lines[below:]), above + 1

    def enclosing_statement(self, node: cst.CSTNode) -> cst.CSTNode:
        current = node
        while current is not None and not isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            current = self.parents.get(current)
        if current is None:
            raise Skip("no statement holds it")
        return current

    def leading_imports_end(self) -> int:
        """The last line of the imports (with the docstring and ``__future__``) that open the
        module; 0 when it opens with something else. A constant added there precedes every use."""
        last = 0
        for statement in self.module.body:
            if not (isinstance(statement, cst.SimpleStatementLine) and all(
                    isinstance(s, (cst.Import, cst.ImportFrom)) or
                    (isinstance(s, cst.Expr) and isinstance(s.value, (cst.SimpleString, cst.ConcatenatedString)))
                    for s in statement.body)):
                break
            last = self.span(statement)[1]
        return last


def _calls_at(source: Source, line: int, accept: Callable[[cst.Call], bool]) -> list[cst.Call]:
    """The calls starting on ``line`` that ``accept`` takes. Several alike on one line (``load(a),
    load(b)``) are each a finding of the same kind: they are fixed together."""
    calls = [c for c in source.nodes_at(cst.Call, line) if source.positions[c].start.line == line and accept(c)]
    if not calls:
        raise Skip("the call is not found on its line")
    if any(a.star for c in calls for a in c.args):
        raise Skip("*args or **kwargs may already carry the argument")
    return calls


def _callee_name(call: cst.Call) -> str:
    """The called name's last part, also on a chain (``ds.map(f).shuffle`` -> ``shuffle``)."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def _replace_calls(source: Source, calls: list[cst.Call], change: Callable[[cst.Call], cst.Call], kind: str) -> Change:
    statement = source.enclosing_statement(calls[0])

    class _Swap(cst.CSTTransformer):
        def leave_Call(self, original, updated):  # noqa: N802 -- libcst's visitor naming
            return change(updated) if any(original is c for c in calls) else updated

    replaced = statement.visit(_Swap())
    first, last = source.span(statement)
    return Change(source.replace(statement, replaced), first, last, kind=kind)


# -- dead code ---------------------------------------------------------------------------------------

def unused_import(source: Source, finding, context: "Context") -> Change:
    local = (finding.symbol or "").removeprefix("import ").strip()
    target = str(finding.evidence.get("imported", ""))
    for statement in source.statements_at(finding.line) + [
            source.enclosing_statement(n) for n in source.nodes_at((cst.Import, cst.ImportFrom), finding.line)]:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not isinstance(small, (cst.Import, cst.ImportFrom)) or isinstance(small.names, cst.ImportStar):
                continue
            keep = [a for a in small.names if _bound_name(a) != local]
            if len(keep) == len(small.names):
                continue
            if context.imports_run_code(finding.path, target):
                raise Skip(f"importing {target} runs the project's own code at import time")
            first, last = source.span(statement)
            if keep:
                parenthesized = isinstance(small, cst.ImportFrom) and small.lpar
                if keep[-1] is not small.names[-1]:  # the last name went: the new last one ends the list as it did
                    keep[-1] = keep[-1].with_changes(comma=small.names[-1].comma if parenthesized
                                                     else cst.MaybeSentinel.DEFAULT)
                new_small = small.with_changes(names=keep)
                text = source.replace(small, new_small)
            elif len(statement.body) > 1:
                rest = [s for s in statement.body if s is not small]
                rest[-1] = rest[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
                text = source.replace(statement, statement.with_changes(body=rest))
            else:
                text, first = source.delete_lines(statement, first, last)
            return Change(text, first, last, kind="unused import removed")
    raise Skip("the import is not found on its line")


def _bound_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    name = alias.name
    while isinstance(name, cst.Attribute):
        name = name.value
    return name.value if isinstance(name, cst.Name) else ""


def unused_definition(source: Source, finding, context: "Context") -> Change:
    """An unused function, class or constant: the whole definition, its decorators and the comment
    lines directly above it go."""
    kinds = (cst.FunctionDef, cst.ClassDef) if finding.rule in ("ML101", "ML102") else (cst.SimpleStatementLine,)
    name = (finding.symbol or "").split(".")[-1]
    for statement in source.statements_at(finding.line):
        if not isinstance(statement, kinds):
            continue
        if isinstance(statement, cst.SimpleStatementLine):
            if len(statement.body) != 1 or not _assigns_only(statement.body[0], name):
                raise Skip("the constant shares its statement with other code")
        elif statement.name.value != name:
            continue
        first, last = source.span(statement)
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.decorators:
            first = source.span(statement.decorators[0])[0]
        first -= _attached_comments(statement)  # the comment lines right above describe it: they go with it
        text, first = source.delete_lines(statement, first, last)
        return Change(text, first, last, kind=f"unused {_KIND.get(finding.rule, 'definition')} removed")
    raise Skip("the definition is not found on its line")


_KIND = {"ML101": "function", "ML102": "class", "ML103": "constant"}


def _assigns_only(small: cst.BaseSmallStatement, name: str) -> bool:
    if isinstance(small, cst.Assign):
        return len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) \
            and small.targets[0].target.value == name
    if isinstance(small, cst.AnnAssign):
        return isinstance(small.target, cst.Name) and small.target.value == name
    return False


def _attached_comments(statement) -> int:
    """How many comment lines sit directly above the statement (no blank line between)."""
    count = 0
    for line in reversed(statement.leading_lines):
        if line.comment is None:
            break
        count += 1
    return count


def unreachable(source: Source, finding, context: "Context") -> Change:
    """The statements that follow a return, raise, continue or break in the same block."""
    if finding.evidence.get("follows") not in ("return", "raise", "continue", "break"):
        raise Skip("only code after return, raise, continue or break is removed")
    last_line = finding.end_line or finding.line
    for statement in source.statements_at(finding.line):
        parent = source.parents.get(statement)
        body = list(getattr(parent, "body", ()) or ())
        if statement not in body:
            continue
        index = body.index(statement)
        if index == 0 or source.span(body[index - 1])[1] >= finding.line:
            raise Skip("the unreachable code shares a line with the statement that leaves")
        doomed = [s for s in body[index:] if source.span(s)[0] <= last_line]
        last = max(source.span(s)[1] for s in doomed)
        lines = source.text.split("\n")
        text = "\n".join(lines[:finding.line - 1] + lines[last:])
        return Change(text, finding.line, last, kind="unreachable code removed")
    raise Skip("the unreachable statements do not start a line of their own")


def commented_out(source: Source, finding, context: "Context") -> Change:
    """The comment lines of the block; nothing else (they are comments, so the code is unchanged)."""
    lines = source.text.split("\n")
    first, last = finding.line, finding.end_line or finding.line
    block = lines[first - 1:last]
    if not block or not all(line.strip().startswith("#") for line in block):
        raise Skip("the block is not made of whole comment lines")
    above = first - 1
    if last < len(lines) and not lines[last].strip():
        while above > 0 and not lines[above - 1].strip():
            above -= 1  # no double gap where the block was
    return Change("\n".join(lines[:above] + lines[last:]), above + 1, last, kind="commented-out code removed")


def fixed_flag(source: Source, finding, context: "Context") -> Change:
    """``if FLAG:`` with a fixed FLAG: the statement becomes the branch that runs."""
    if_line = finding.evidence.get("if_line")
    ifs = [node for node in source.statements_at(if_line) if isinstance(node, cst.If)]
    if len(ifs) != 1:
        raise Skip("the if statement is not found")
    node = ifs[0]
    parent = source.parents.get(node)
    if isinstance(parent, cst.If):
        raise Skip("an elif: the chain is left for a person to simplify")
    dead_is_body = (finding.symbol or "").endswith("@body")
    if dead_is_body:
        live = node.orelse
        if isinstance(live, cst.If):
            raise Skip("the live branch is an elif chain")
        statements = list(live.body.body) if live is not None else []
    else:
        statements = list(node.body.body)
    if not all(isinstance(s, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) for s in statements):
        raise Skip("the live branch is on the if's own line")
    first, last = source.span(node)
    if statements:
        statements[0] = statements[0].with_changes(leading_lines=node.leading_lines)
        replacement: cst.FlattenSentinel | cst.RemovalSentinel = cst.FlattenSentinel(statements)
        text = source.replace(node, replacement)
    else:
        text, first = source.delete_lines(node, first, last)
    return Change(text, first, last, kind="dead branch of a fixed flag removed")


_BARE_NOQA = re.compile(r"#\s*noqa\s*$", re.I)


def narrow_noqa(source: Source, finding, context: "Context") -> Change:
    """Each blanket ``# noqa`` of the finding becomes ``# noqa: CODES``, the codes ML402 found its
    line needs (only recorded when they can be known)."""
    codes = {int(line): list(found) for line, found in (finding.evidence.get("noqa_codes") or {}).items()}
    if not codes:
        raise Skip("the codes its line needs are not known")
    lines = source.text.split("\n")
    for line, needed in codes.items():
        if not 1 <= line <= len(lines) or not _BARE_NOQA.search(lines[line - 1]):
            raise Skip("the # noqa is not where the scan saw it")
        lines[line - 1] = _BARE_NOQA.sub(f"# noqa: {','.join(needed)}", lines[line - 1])
    return Change("\n".join(lines), min(codes), max(codes), kind="# noqa narrowed to its codes")


# -- unsafe loading ----------------------------------------------------------------------------------

_YAML_UNSAFE = {"load": "safe_load", "load_all": "safe_load_all", "full_load": "safe_load",
                "full_load_all": "safe_load_all", "unsafe_load": "safe_load", "unsafe_load_all": "safe_load_all"}


def yaml_safe_load(source: Source, finding, context: "Context") -> Change:
    """``yaml.load`` (with no loader, or the one named) -> ``yaml.safe_load``; ``full_load`` and
    ``unsafe_load`` likewise."""
    wanted_safe = str(finding.evidence.get("loader", "")).startswith("no Loader")

    def is_target(call: cst.Call) -> bool:
        head, _, attr = source.dotted(call.func).rpartition(".")
        if not head or attr not in _YAML_UNSAFE or not context.module_alias(head, "yaml"):
            return False
        has_loader = any(a.keyword is not None and a.keyword.value == "Loader" for a in call.args) or \
            len([a for a in call.args if a.keyword is None]) > 1
        return (attr in ("load", "load_all") and not has_loader) == wanted_safe

    def to_safe(call: cst.Call) -> cst.Call:
        positional = [a for a in call.args if a.keyword is None]
        args = [a for a in call.args if (a.keyword is None or a.keyword.value != "Loader")
                and not (len(positional) > 1 and a is positional[1])]
        if len(args) != 1:
            raise Skip("the call has arguments safe_load does not take")
        assert isinstance(call.func, cst.Attribute)
        return call.with_changes(func=call.func.with_changes(attr=cst.Name(_YAML_UNSAFE[call.func.attr.value])),
                                 args=[args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)])

    return _replace_calls(source, _calls_at(source, finding.line, is_target), to_safe, "yaml.safe_load")


def torch_weights_only(source: Source, finding, context: "Context") -> Change:
    def is_target(call: cst.Call) -> bool:
        head, _, attr = source.dotted(call.func).rpartition(".")
        return attr == "load" and bool(head) and context.module_alias(head, "torch") and not any(
            a.keyword is not None and a.keyword.value == "weights_only" and isinstance(a.value, cst.Name)
            and a.value.value == "True" for a in call.args)

    def add_flag(call: cst.Call) -> cst.Call:
        args = list(call.args)
        existing = [a for a in args if a.keyword is not None and a.keyword.value == "weights_only"]
        if existing:
            args[args.index(existing[0])] = existing[0].with_changes(value=cst.Name("True"))
        else:
            args.append(_keyword_arg(args, "weights_only", cst.Name("True")))
        return call.with_changes(args=args)

    return _replace_calls(source, _calls_at(source, finding.line, is_target), add_flag,
                          "torch.load(weights_only=True)")


def _keyword_arg(args: list[cst.Arg], name: str, value: cst.BaseExpression) -> cst.Arg:
    """A keyword argument to append to ``args`` (the last one is given a comma in place): one per
    line in a call laid out one per line, a trailing comma kept trailing."""
    new = cst.Arg(value=value, keyword=cst.Name(name), equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
    if not args:
        return new
    last = args[-1]
    separator = args[-2].comma if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else \
        cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    args[-1] = last.with_changes(comma=separator)
    return new.with_changes(comma=last.comma) if isinstance(last.comma, cst.Comma) else new


# -- seeds -------------------------------------------------------------------------------------------

def seed_argument(source: Source, finding, context: "Context") -> Change:
    """``random_state=``/``seed=`` added to a draw that takes one: the project's seed when one is in
    scope (a seed parameter of the enclosing function, a module-level seed constant), otherwise a
    ``SEED = 42`` constant added once, after the module's imports."""
    evidence = finding.evidence
    last_part = str(evidence.get("call", "")).rsplit(".", 1)[-1]
    positional = evidence.get("library") is None and evidence.get("positional")
    keywords = [] if positional else [str(k) for k in evidence.get("seed_arguments") or []
                                      if k in INTEGER_SEED_ARGUMENTS]
    if not positional and not keywords:
        raise Skip("its seed argument takes a generator object, not a number")

    def is_target(call: cst.Call) -> bool:
        if _callee_name(call) != last_part:
            return False
        if keywords:  # no seed argument, or an explicit None
            return not any(a.keyword is not None and a.keyword.value in keywords and not _is_none(a.value)
                           for a in call.args)
        return not call.args

    calls = _calls_at(source, finding.line, is_target)
    seed, after_line = _seed_in_scope(source, calls[0])

    def add_seed(call: cst.Call) -> cst.Call:
        value = cst.parse_expression(seed)  # a name, or the attribute of a config object
        if not keywords:
            return call.with_changes(args=[cst.Arg(value=value)])
        args = list(call.args)
        given = [a for a in args if a.keyword is not None and a.keyword.value in keywords]
        if given:
            args[args.index(given[0])] = given[0].with_changes(value=value)
        else:
            args.append(_keyword_arg(args, keywords[0], value))
        return call.with_changes(args=args)

    change = _replace_calls(source, calls, add_seed, f"{keywords[0]}= added" if keywords else
                            f"seed passed to {last_part}()")
    if after_line is not None:
        block = ("", _SEED_CONSTANT) if after_line else (_SEED_CONSTANT, "")
        change.support = [Edit(after_line + 1, after_line, block, after=True)]
    return change


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


_SEED_CONSTANT = "SEED = 42  # one seed for the module's random draws (added by mlaudit fix)"


def _seed_in_scope(source: Source, call: cst.Call) -> tuple[str, int | None]:
    """(the seed to pass, None) when the code has one: a seed parameter of an enclosing function,
    the seed of a config or argument object it already reads (``cfg.seed``, ``args.random_state``),
    a module-level seed constant; otherwise ("SEED", the line after which the fix adds it)."""
    read_seeds = sorted({(node.value.value, node.attr.value) for node in source.positions
                         if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
                         and node.attr.value in SEED_NAMES})
    for parameter in _enclosing_parameters(source, call):
        if parameter in SEED_NAMES:
            return parameter, None
        for owner, attr in read_seeds:
            if owner == parameter:
                return f"{owner}.{attr}", None
    module_names = _module_names_before(source, source.positions[call].start.line)
    constant = next((name for name in module_names if name in SEED_NAMES), None)
    if constant is not None:
        return constant, None
    for owner, attr in read_seeds:
        if owner in module_names:
            return f"{owner}.{attr}", None
    # One place per module, whichever draw asks: the end of the imports that open it.
    return "SEED", source.leading_imports_end()


def _enclosing_parameters(source: Source, node: cst.CSTNode) -> list[str]:
    """Parameter names of the functions around ``node``, innermost first."""
    names = []
    current = source.parents.get(node)
    while current is not None:
        if isinstance(current, cst.FunctionDef):
            names += [param.name.value for param in [*current.params.params, *current.params.kwonly_params]]
        current = source.parents.get(current)
    return names


def _module_names_before(source: Source, line: int) -> list[str]:
    """Names a module-level assignment binds before ``line``."""
    names = []
    for statement in source.module.body:
        if source.span(statement)[0] >= line:
            break
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else \
                [small.target] if isinstance(small, cst.AnnAssign) else []
            names += [t.value for t in targets if isinstance(t, cst.Name)]
    return names


# -- the table ---------------------------------------------------------------------------------------

@dataclass
class Context:
    """What a fixer may ask beyond its file: how the module names its imports, and whether a
    project module runs code when imported."""

    aliases: dict[str, str]  # local name -> module, from the file's imports
    imports_run_code: Callable[[str, str], bool]

    def module_alias(self, local: str, module: str) -> bool:
        return self.aliases.get(local, local if local == module else None) == module


FIXERS: dict[str, Callable[[Source, object, Context], Change]] = {
    "ML101": unused_definition,
    "ML102": unused_definition,
    "ML103": unused_definition,
    "ML104": unused_import,
    "ML106": unreachable,
    "ML107": commented_out,
    "ML108": fixed_flag,
    "ML201": seed_argument,
    "ML402": narrow_noqa,
    "ML452": torch_weights_only,
    "ML453": yaml_safe_load,
}

