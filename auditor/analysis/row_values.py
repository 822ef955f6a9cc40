"""Row flow, the values: what a name holds (rows of a data set along a path of splits, a fitted
object), what a fit saw, and the leaks found; shared by ``row_flow`` (statements, names) and
``row_calls`` (calls: fits, splits, evaluations)."""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable

from auditor.analysis.pymodule import ParsedModule

Path = tuple  # ((split line, part), ...)


@dataclass(frozen=True)
class Fit:
    """One fit: what an object learnt, from which rows."""

    id: int
    kind: str  # "statistics" | "vocabulary" | "unknown" (a transformer the tables lack) | "rows" | "model"
    line: int
    text: str
    family: int
    paths: tuple  # the rows it saw: one path, or the members of a concatenation
    inherits: frozenset = frozenset()  # the fits whose output was among the rows it saw
    strong: bool = True  # a known learner or sampler (not a pandas statistic)
    supervised: bool = False  # learns from the labels or makes rows (api.Learner.supervised)


@dataclass(frozen=True)
class Value:
    """What a name holds: rows (``family`` set), an object (``learner``/``fits``), or both."""

    family: int | None = None
    path: Path = ()
    taints: frozenset = frozenset()
    learner: Any = None  # api.Learner of a known class
    fits: frozenset | None = frozenset()  # the object's current fits; None: fitted on rows not followed
    search: bool = False
    subset: bool = False  # made by selecting rows (a slice, a mask, sample/head/drop): a split when named for a side
    union: tuple = ()  # a concatenation: the paths of its members (``path`` is the part they share)
    dropped: frozenset | None = None  # a frame's columns: all but these (None: not known; row_columns.py)
    target: tuple | None = None  # a column taken out of a frame: (its name, the line), a possible target
    time_order: int | None = None  # the line that sorted or indexed the rows by time
    lagged: int | None = None  # the line of a feature made from other rows (shift, rolling)
    window: bool = False  # a rolling, expanding or ewm window: its mean() is per row, not a statistic of all rows
    sources: frozenset = frozenset()  # the columns a computed column is made from, row by row (row_columns.py)
    ahead: int | None = None  # the line of a step that reads later rows (``shift(-1)``, a centred window)
    made: frozenset = frozenset()  # columns assigned into a frame: (column, sources, ahead, line)


@dataclass(frozen=True)
class Parts:
    """A call's several results (a split's sides), for tuple unpacking."""

    values: tuple


@dataclass(frozen=True)
class Leak:
    """A fit whose rows include held-out rows that are later scored."""

    kind: str  # "preprocessing" | "overlap" | "multi-test" | "target"
    fit: Fit
    split_line: int | None
    split_text: str
    eval_line: int
    eval_text: str
    how: str  # "before-split" | "after-split" | "held-out" | "cross-validation" | "validation" | "early-stopping"
    confidence: str


@dataclass
class FlowState:
    """What one module's analysis shares across its scopes."""

    module: ParsedModule
    fits: dict[int, Fit] = field(default_factory=dict)
    splits: dict[int, tuple[str, bool]] = field(default_factory=dict)  # line -> (text, by a known split call)
    summaries: dict[str, list] = field(default_factory=dict)  # function -> per output (param, path) or None
    leaks: dict[int, Leak] = field(default_factory=dict)  # one per fit
    constants: dict[str, str] = field(default_factory=dict)  # module-level names bound to a string
    scored: dict[str, list] = field(default_factory=dict)  # function -> (parameter, path) of held-out rows it scores
    entities: dict[int, tuple[str, int]] = field(default_factory=dict)  # rows family -> (entity column, groupby line)
    outgoing: list[dict] = field(default_factory=list)  # calls of other modules' functions with rows a fit saw
    parameters: dict[str, list[str]] = field(default_factory=dict)  # function that scores -> its parameter names
    counter: Any = field(default_factory=lambda: itertools.count(1))

    def text(self, node: ast.AST) -> str:
        """The node's source on one line, from the module's lines (``ast.get_source_segment`` splits the
        whole text on each call: quadratic in a long notebook). Columns are UTF-8 byte offsets."""
        lines = [line.encode("utf-8", errors="replace") for line in self.module.lines[node.lineno - 1:node.end_lineno]]
        if not lines:
            return ""
        lines[-1] = lines[-1][:node.end_col_offset]
        lines[0] = lines[0][node.col_offset:]
        text = " ".join(b" ".join(lines).decode("utf-8", errors="replace").split())
        return text if len(text) <= 80 else text[:77] + "..."

    def text_of_line(self, line: int) -> str:
        text = self.module.line_text(line).strip()
        return text if len(text) <= 80 else text[:77] + "..."



def how_seen(fit: Fit, seen: Path, held_path: Path) -> str:
    """How a fit saw held-out rows: they themselves, all rows before the split, or after it."""
    if seen == held_path:
        return "held-out"
    return "before-split" if fit.line < held_path[len(seen)][0] else "after-split"


def is_prefix(path: Path, of: Path) -> bool:
    return of[:len(path)] == path


def seen_path(fit: Fit, value: Value) -> Path | None:
    """The path by which ``fit`` saw rows of ``value`` (all of them or a part including them), or None."""
    if fit.family != value.family:
        return None
    return next((path for path in fit.paths if is_prefix(path, value.path)), None)



def base_name(node: ast.expr) -> str | None:
    """``df`` of ``df["a"].values``: the name whose object an expression reads into."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None



def flatten(values: Iterable) -> Iterable:
    for value in values:
        if isinstance(value, Parts):
            yield from flatten(value.values)
        else:
            yield value


def holds_rows(values: list) -> bool:
    return any(isinstance(v, Value) and v.family is not None for v in flatten(values))


def stacked(items: Any) -> Any:
    """``pd.concat([a, b])``: rows of one data set, along the longest path they share."""
    if not isinstance(items, Parts):
        return None
    values = list(items.values)
    if not values or any(not isinstance(v, Value) or v.family is None for v in values):
        return None
    if len({v.family for v in values}) != 1:
        return None
    path = values[0].path
    for value in values[1:]:
        common = 0
        while common < min(len(path), len(value.path)) and path[common] == value.path[common]:
            common += 1
        path = path[:common]
    members = tuple(p for v in values for p in (v.union or (v.path,)))
    return Value(family=values[0].family, path=path, taints=frozenset().union(*(v.taints for v in values)),
                 union=members)


