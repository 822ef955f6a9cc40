"""Docstrings that describe another signature (issue 24, stale-doc): a documented parameter the
function does not take (ML703), parameters an Args section leaves out (ML704), a documented return
of a function that returns nothing (ML705), in Google, NumPy and Sphinx styles
(auditor/analysis/docstrings.py). They run on each module as it is parsed, on the tree already
built for the other rules."""

from __future__ import annotations

import ast
import difflib

from auditor.analysis.docstrings import read_docstring
from auditor.rule import Invalid, ModuleRule, Valid


def _near(name: str, known, cutoff: float) -> str | None:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=cutoff)
    return close[0] if close else None



def _docstring(node) -> ast.Constant | None:
    body = getattr(node, "body", None)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0].value
    return None


def _signature(function) -> tuple[list[str], bool]:
    """(parameter names, whether it takes ``*args`` or ``**kwargs``)."""
    args = function.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    return names, bool(args.vararg or args.kwarg)


# Code copied in from another project: its docstrings are that project's to keep.
_VENDORED = ("_vendor", "vendor", "vendored", "third_party", "thirdparty", "external")
_IMPLICIT_FIRST = ("self", "cls", "mcs", "mcls", "metacls")


def _vendored(path: str) -> bool:
    return any(part in _VENDORED for part in path.split("/")[:-1])


def _declares_options(module, function) -> bool:
    """A function that builds a command line (``parse_opt``): its Args may document the options.
    Any ``.add_argument(...)`` call from its first decorator to its last line (found once per module
    in the shared node index, not by walking each function)."""
    lines = module.memo.get("add_argument_lines")
    if lines is None:
        lines = module.memo["add_argument_lines"] = [
            n.lineno for n in module.nodes(ast.Call) if isinstance(n.func, ast.Attribute) and n.func.attr == "add_argument"]
    if not lines:
        return False
    first = min([function.lineno, *(d.lineno for d in function.decorator_list)])
    last = function.end_lineno or function.lineno
    return any(first <= line <= last for line in lines)


def _describes_signature(node, function, documented) -> bool:
    """Whether a docstring's parameter section is about this signature. A class's docstring may
    describe its attributes or what a decorator accepts rather than ``__init__``: only when it
    names one of ``__init__``'s parameters. A function's section naming none of its parameters
    and more names than it has describes something else (a command line, a config)."""
    names = {n for n in _signature(function)[0] if n not in _IMPLICIT_FIRST}
    shared = names & set(documented.params or ())
    if isinstance(node, ast.ClassDef):
        return bool(shared)
    return bool(shared) or len(documented.params or ()) <= len(names)


def _documented_functions(module) -> list:
    """(function or class, its signature's function, docstring node, what it documents) for every
    docstring that documents parameters or a return. A class's docstring describes its ``__init__``.
    Read once per module for the three docstring rules (``module.memo``); they only read it."""
    found = module.memo.get("documented_functions")
    if found is None:
        found = module.memo["documented_functions"] = list(_read_documented_functions(module))
    return found


def _read_documented_functions(module):
    if _vendored(module.path):
        return
    for node in module.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        doc = _docstring(node)
        if doc is None or ("arg" not in doc.value.lower() and "param" not in doc.value.lower()
                           and "return" not in doc.value.lower()):
            continue
        target = node
        if isinstance(node, ast.ClassDef):
            target = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            if target is None:
                continue
        documented = read_docstring(doc.value)
        if documented.params and (_declares_options(module, target) or not _describes_signature(node, target, documented)):
            documented.params = None
        yield node, target, doc, documented


_DOCSTRING_EXAMPLE = 'def train(data, num_epochs=3):\n    """Train the model.\n\n    Args:\n        data: the rows.\n' \
                     '        {name}: how many passes.\n    """\n    return data * num_epochs\n'


class DocstringUnknownParameter(ModuleRule):
    """A docstring documents a parameter its function's signature does not have (Google, NumPy or
    Sphinx style): a parameter renamed or removed without its documentation. Functions that take
    `*args` or `**kwargs` are not checked (what they pass on may be documented)."""

    id = "ML703"
    name = "docstring-unknown-parameter"
    category = "stale-doc"
    severity = "low"
    confidence = "high"
    rationale = ("A docstring is what an IDE shows at every call site. When it documents `epochs` and the function "
                 "takes `num_epochs`, callers write the old name and learn the new one from a TypeError, or "
                 "trust a description of a parameter that no longer exists.")
    remediation = "Rename or remove the documented parameter so the docstring matches the signature."
    examples = (
        Invalid(_DOCSTRING_EXAMPLE.format(name="epochs"), expect=[6], note="renamed to num_epochs: did you mean it?"),
        Valid(_DOCSTRING_EXAMPLE.format(name="num_epochs")),
        Valid('def fit(x, **kwargs):\n    """Fit.\n\n    Parameters\n    ----------\n    x : array\n    epochs : int\n'
              '        passed on to the trainer\n    """\n    return x\n', note="documented keywords passed on by **kwargs"),
        Invalid('def fit(x, lr):\n    """Fit.\n\n    :param x: the data\n    :param learning_rate: the step\n    """\n'
                '    return x * lr\n', expect=[5], note="Sphinx style"),
    )

    def check(self, module):
        for node, function, doc, documented in _documented_functions(module):
            if not documented.params:
                continue
            names, forwards = _signature(function)
            if forwards:
                continue
            for name, offset in documented.params.items():
                if name in names or name in _IMPLICIT_FIRST:
                    continue
                near = _near(name, [n for n in names if n not in documented.params], 0.5)
                hint = f"; did you mean `{near}`?" if near else ""
                yield module.finding(self, doc.lineno + offset,
                                     f"the docstring of {node.name} documents `{name}`, which its signature (line "
                                     f"{function.lineno}) does not have{hint}", symbol=f"{node.name}.{name}",
                                     evidence={"function": node.name, "parameter": name, "suggestion": near})


class DocstringMissingParameter(ModuleRule):
    """A docstring's Args (Parameters) section leaves out parameters its function's signature has
    (a method's `self` or `cls`, `*args`, `**kwargs`, names starting with `_` and parameters FastAPI
    injects with `Depends` aside). Only checked for Google and NumPy sections that document at least a
    third of the parameters (a section naming one or two of many is a note, not a list)."""

    id = "ML704"
    name = "docstring-missing-parameter"
    category = "stale-doc"
    severity = "low"
    confidence = "medium"
    rationale = ("An Args section reads as complete: a parameter added later and left out of it is invisible to "
                 "the reader who trusts the documentation, often the one that changes the model's behaviour.")
    remediation = "Document the missing parameters in the section (or remove the section if it is not kept up)."
    examples = (
        Invalid('def train(data, num_epochs=3, seed=0):\n    """Train.\n\n    Args:\n        data: the rows.\n'
                '        num_epochs: passes.\n    """\n    return data\n', expect=[5]),
        Valid(_DOCSTRING_EXAMPLE.format(name="num_epochs")),
        Valid('def train(data, seed=0):\n    """Train the model on ``data``."""\n    return data\n',
              note="no Args section: nothing claims to be complete"),
        Valid('def list_rows(table, project, tags=None, proto_only=False):\n    """\n    Args:\n'
              '        proto_only: return the raw protobuf rows.\n    """\n    return table\n',
              note="a section naming fewer parameters than it leaves out explains a few; it is not a stale list"),
        Valid('from fastapi import Depends\n\n\ndef rows(project: str, limit: int = 10, paging=Depends(pages)):\n'
              '    """List rows.\n\n    Args:\n        project: the project.\n        limit: how many.\n    """\n'
              '    return project\n', note="a parameter FastAPI injects (Depends) is not the caller's to pass"),
    )

    def check(self, module):
        methods = {id(n) for c in module.nodes(ast.ClassDef) for n in c.body if not _is_static(n)}
        for node, function, doc, documented in _documented_functions(module):
            if not documented.params or not documented.complete or not documented.styles & {"google", "numpy"}:
                continue  # Sphinx fields document one parameter each: no section claims to be complete
            missing = _undocumented(function, documented.params, id(function) in methods)
            if not missing:
                continue
            first = doc.lineno + min(documented.params.values())
            yield module.finding(self, first, f"the docstring of {node.name} documents its parameters but not "
                                 f"{', '.join(f'`{n}`' for n in missing)} (signature at line {function.lineno})",
                                 symbol=f"{node.name}.undocumented", evidence={"function": node.name, "missing": missing})


def _undocumented(function, documented: dict, is_method: bool) -> list[str]:
    """The parameters a complete-looking section leaves out; [] when the section is not a full list."""
    names, _ = _signature(function)
    if is_method and function.args.posonlyargs + function.args.args:
        names = names[1:]  # a method's self or class, whatever it is called (``klass``)
    starred = {a.arg for a in (function.args.vararg, function.args.kwarg) if a is not None}
    if not set(documented) <= set(names) | starred | set(_IMPLICIT_FIRST):
        return []  # a documented name the signature lacks: ML703 reports the rename once
    injected = _injected(function)
    missing = [n for n in names if n not in documented and n not in _IMPLICIT_FIRST
               and not n.startswith("_") and n not in injected]
    if len(missing) > 2 * len(documented):
        return []  # a section naming under a third of the parameters is a note on a few, not a stale list
    return missing


# Defaults that make a parameter the framework's to fill (FastAPI's dependency injection), not a caller's.
_INJECTORS = ("Depends", "Security")


def _injected(function) -> set[str]:
    """Parameters whose default is ``Depends(...)`` or ``Security(...)``."""
    args = function.args
    pairs = [*zip(reversed([*args.posonlyargs, *args.args]), reversed(args.defaults)), *zip(args.kwonlyargs, args.kw_defaults)]
    return {arg.arg for arg, default in pairs if isinstance(default, ast.Call)
            and getattr(default.func, "id", getattr(default.func, "attr", "")) in _INJECTORS}


def _is_static(node) -> bool:
    return any(getattr(d, "id", getattr(d, "attr", "")) == "staticmethod" for d in getattr(node, "decorator_list", ()))


_NO_VALUE = ("none", ":obj:`none`", "``none``", "`none`", "nothing")
# A Returns section that describes what the function shows or writes: loose wording, not a lie.
_SIDE_EFFECTS = ("display", "print", "show", "plot", "log", "save", "write", "draw", "render")


def _returns_value(function) -> bool | None:
    """Whether the function returns a value: None when it cannot be said (a generator, a stub)."""
    stack = list(function.body)
    returns = False
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return None
        if isinstance(node, ast.Return) and node.value is not None:
            returns = True  # even ``return None``: written on purpose, as a default an override replaces
        stack.extend(ast.iter_child_nodes(node))
    return returns


def _is_stub(function) -> bool:
    """Abstract, overloaded, or a body that is only a docstring, ``pass``, ``...`` or a raise."""
    for decorator in function.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
        if name in ("abstractmethod", "overload", "abstractproperty"):
            return True
    body = function.body[1:] if _docstring(function) else function.body
    if body and isinstance(body[-1], ast.Raise):
        return True  # checks its arguments, then refuses: a base class's method for overrides to implement
    return all(isinstance(s, (ast.Pass, ast.Raise)) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
               for s in body)


class DocstringReturnsNothing(ModuleRule):
    """A docstring documents a return value (a Returns section, `:returns:`) but the function never
    returns one. Generators, abstract methods, overloads and stubs (`pass`, `...`, `raise
    NotImplementedError`) are not checked, nor a Returns section that says None."""

    id = "ML705"
    name = "docstring-returns-nothing"
    category = "stale-doc"
    severity = "low"
    confidence = "medium"
    rationale = ("A caller who reads \"Returns: the trained model\" keeps the result, and gets None: the model was "
                 "saved to disk instead, or the function was changed to work in place and its docstring was not.")
    remediation = "Remove the Returns section (or say what the function does instead), or return the value again."
    examples = (
        Invalid('def train(model, data):\n    """Fit the model.\n\n    Returns:\n        the fitted model.\n    """\n'
                '    model.fit(data)\n', expect=[4]),
        Valid('def train(model, data):\n    """Fit the model.\n\n    Returns:\n        the fitted model.\n    """\n'
              '    model.fit(data)\n    return model\n'),
        Valid('import abc\n\n\nclass Trainer(abc.ABC):\n    @abc.abstractmethod\n    def train(self):\n'
              '        """Returns:\n            the model.\n        """\n        raise NotImplementedError\n',
              note="an abstract method documents what its overrides return"),
    )

    def check(self, module):
        for node, function, doc, documented in _documented_functions(module):
            if documented.returns is None or isinstance(node, ast.ClassDef):
                continue
            text = documented.returns_text.lower().strip()
            if not text or text.startswith(_NO_VALUE + _SIDE_EFFECTS) or _is_stub(function) or _returns_value(function) is not False:
                continue
            yield module.finding(self, doc.lineno + documented.returns,
                                 f"the docstring of {node.name} documents a return value, but {node.name} (line "
                                 f"{function.lineno}) never returns one", symbol=f"{node.name}.returns",
                                 evidence={"function": node.name})
