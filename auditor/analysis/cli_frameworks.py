"""The command lines typer and python-fire derive from function signatures, read statically for the
stale-doc rules (``cli_parsers`` reads argparse, click and Hydra and calls these).

typer: ``typer.Typer()`` apps and their ``@app.command()`` functions, or ``typer.run(main)``. A
parameter is an option named after it (``num_epochs`` gives ``--num-epochs``; a bool also gets
``--no-num-epochs``) unless ``typer.Option("--epochs", "-e")`` names it, or a positional argument
when it has no default or is a ``typer.Argument``. An app with one command and no callback runs
that command directly; otherwise the commands are sub-commands.

fire: ``fire.Fire(fn)``, ``fire.Fire(Class)`` or ``fire.Fire({"name": fn})``. A function's
parameters are flags, written ``--num_epochs`` or ``--num-epochs`` (``--nonum_epochs`` for False);
a class's members (methods, attributes) and a dict's keys are sub-commands, and the flags of the
constructor and of every method are accepted.

Unknown is unreadable, and unreadable is silent: ``**kwargs``, a decorator mlaudit does not know
(it may change the signature), a class with a base class, ``fire.Fire()`` of a whole module, a
component that is not a function or class of this module, option names computed at run time,
typer's ``context_settings`` (extra arguments may be allowed) and sub-apps added with ``add_typer``.
"""

from __future__ import annotations

import ast
from typing import Any

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_KNOWN_DECORATORS = ("staticmethod", "classmethod", "property")


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _parameters(function) -> list[tuple[ast.arg, ast.expr | None]]:
    """(parameter, its default or None) in order, without ``*args`` and ``**kwargs``."""
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    return [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]


class _Result:
    """What one framework's reader found: options, sub-commands, positionals, or why it is unknown."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.options: set[str] = {"--help"}
        self.subcommands: set[str] = set()
        self.positionals = 0
        self.lines: list[int] = []
        self.why: str | None = None
        self.runs = False  # whether running the module as a script runs this command line
        self.apps: list[str] = []  # names the command line is bound to (typer apps): imported elsewhere, it may grow

    def unknown(self, why: str) -> None:
        self.why = self.why or why

    def facts(self, short_options: bool) -> dict[str, Any]:
        if not self.lines:
            return {}
        return {"parsers": sorted(self.lines), "options": sorted(self.options), "subcommands": sorted(self.subcommands),
                "positionals": self.positionals, "readable": self.why is None, "why": self.why, "abbrev": False,
                "help": True, "framework": self.kind, "runs": self.runs, "short_options": short_options,
                "apps": self.apps}


# --- typer -------------------------------------------------------------------------------------------


class _TyperReader:
    def __init__(self, module) -> None:
        self.module = module
        self.result = _Result("typer app")
        self.result.options |= {"--install-completion", "--show-completion"}

    def _is(self, node: ast.expr, name: str) -> bool:
        return self.module.qualified_name(node) == name

    def read(self) -> dict[str, Any]:
        apps = self._apps()
        commands, callbacks = self._commands(apps)
        for call in self.module.nodes(ast.Call):
            if self._is(call.func, "typer.run") and call.args and isinstance(call.args[0], ast.Name):
                function = self._local_function(call.args[0].id)
                self.result.lines.append(call.lineno)
                self.result.runs = True
                if function is None:
                    self.result.unknown(f"line {call.lineno}: typer.run of a function defined elsewhere")
                else:
                    commands.append((function, None))
        self._uses(apps, commands)
        self.result.apps = sorted(apps)
        if apps and not commands and not callbacks:
            self.result.unknown("the app's commands are declared in other modules")
        for function in callbacks:
            self._signature(function, top_level=True)
        for function, decorator in commands:
            self._signature(function, top_level=not callbacks and len(commands) == 1)
            if callbacks or len(commands) > 1:
                self.result.subcommands |= _command_names(function, decorator)
        return self.result.facts(short_options=True)

    def _uses(self, apps: set[str], commands: list) -> None:
        """Every use of an app besides its decorators: ``app()`` runs it, ``app.command()(fn)`` adds a
        command (read when ``fn`` is a function of this module); any other use (``add_typer``, the app
        handed to a function) may change its commands: unknown."""
        for name in self.module.nodes(ast.Name):
            if name.id not in apps or isinstance(name.ctx, ast.Store):
                continue
            parent = self.module.parent(name)
            if isinstance(parent, ast.Call) and parent.func is name:
                self.result.runs = True
                continue
            call = self.module.parent(parent) if isinstance(parent, ast.Attribute) else None
            outer = self.module.parent(call) if isinstance(call, ast.Call) and call.func is parent else None
            if isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef)) and call in outer.decorator_list:
                continue  # @app.command(): read by _commands
            if isinstance(outer, ast.Call) and outer.func is call and parent.attr == "command" and len(outer.args) == 1 \
                    and isinstance(outer.args[0], ast.Name) and self._local_function(outer.args[0].id) is not None:
                commands.append((self._local_function(outer.args[0].id), call))
                continue
            self.result.unknown(f"line {name.lineno}: the app is used in a way mlaudit does not read")

    def _apps(self) -> set[str]:
        apps = set()
        for node in self.module.nodes(ast.Assign):
            if isinstance(node.value, ast.Call) and self._is(node.value.func, "typer.Typer"):
                apps.update(t.id for t in node.targets if isinstance(t, ast.Name))
                self.result.lines.append(node.value.lineno)
                if _keyword(node.value, "context_settings") is not None or _keyword(node.value, "cls") is not None:
                    self.result.unknown(f"line {node.lineno}: context settings may let unknown options through")
        return apps

    def _local_function(self, name: str):
        return next((f for f in self.module.tree.body if isinstance(f, _FUNCTIONS) and f.name == name), None)

    def _commands(self, apps: set[str]):
        """(the apps' commands with their decorator calls, the apps' callbacks)."""
        commands, callbacks = [], []
        for function in self.module.nodes(*_FUNCTIONS):
            ours = [d for d in function.decorator_list if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                    and isinstance(d.func.value, ast.Name) and d.func.value.id in apps]
            if not ours:
                continue
            if len(ours) != len(function.decorator_list):
                self.result.unknown(f"line {function.lineno}: a decorator mlaudit does not read may change the options")
            for decorator in ours:
                if _keyword(decorator, "context_settings") is not None or _keyword(decorator, "cls") is not None:
                    self.result.unknown(f"line {decorator.lineno}: context settings may let unknown options through")
                if decorator.func.attr == "command":
                    commands.append((function, decorator))
                elif decorator.func.attr == "callback":
                    callbacks.append(function)
        return commands, callbacks

    def _signature(self, function, top_level: bool) -> None:
        if function.args.kwarg is not None or function.args.vararg is not None:
            self.result.unknown(f"line {function.lineno}: {function.name} takes *args or **kwargs")
        for arg, default in _parameters(function):
            annotation, info = self._annotated(arg.annotation)
            if annotation is not None and (self.module.qualified_name(annotation) or "").endswith("Context"):
                continue  # typer.Context: given by typer, not on the command line
            if info is None and isinstance(default, ast.Call) and self._is(default.func, "typer.Option"):
                self._option(arg, annotation, default, default.args[1:], first_is_default=True)
            elif info is not None and self._is(info.func, "typer.Option"):
                self._option(arg, annotation, info, info.args, first_is_default=False)
            elif (info is not None and self._is(info.func, "typer.Argument")) or (
                    isinstance(default, ast.Call) and self._is(default.func, "typer.Argument")) or default is None:
                self.result.positionals += top_level
            else:
                self._derived(arg.arg, _is_bool(annotation, default))

    def _annotated(self, annotation):
        """(the type, the typer.Option/Argument call) of ``Annotated[type, typer.Option(...)]``."""
        if isinstance(annotation, ast.Subscript) and (self.module.qualified_name(annotation.value) or "").endswith(
                "Annotated") and isinstance(annotation.slice, ast.Tuple) and annotation.slice.elts:
            calls = [e for e in annotation.slice.elts[1:] if isinstance(e, ast.Call)
                     and (self._is(e.func, "typer.Option") or self._is(e.func, "typer.Argument"))]
            return annotation.slice.elts[0], (calls[0] if calls else None)
        return annotation, None

    def _option(self, arg: ast.arg, annotation, call: ast.Call, declarations, first_is_default: bool) -> None:
        names = [_literal(d) for d in declarations]
        if any(name is None for name in names):
            self.result.unknown(f"line {call.lineno}: an option's name is computed")
            return
        first = _literal(call.args[0]) if first_is_default and call.args else None
        if first is not None and first.startswith("-"):
            names.append(first)  # old style typer.Option("--name"): a default or a name; both are accepted
        for name in names:
            self.result.options.update(part.strip() for part in name.split("/") if part.strip().startswith("-"))
        if not names or (first is not None and first.startswith("-")):
            default = call.args[0] if first_is_default and call.args else _keyword(call, "default")
            self._derived(arg.arg, _is_bool(annotation, default))

    def _derived(self, name: str, boolean: bool) -> None:
        for option in {name.replace("_", "-"), name.lower().replace("_", "-")}:
            self.result.options.add(f"--{option}")
            if boolean:
                self.result.options.add(f"--no-{option}")


def _is_bool(annotation, default) -> bool:
    return (isinstance(annotation, ast.Name) and annotation.id == "bool") or (
        isinstance(default, ast.Constant) and isinstance(default.value, bool))


def _command_names(function, decorator: ast.Call | None) -> set[str]:
    given = _literal(decorator.args[0]) if decorator is not None and decorator.args else None
    given = _literal(_keyword(decorator, "name")) if decorator is not None and given is None else given
    if given is not None:
        return {given}
    return {function.name, function.name.lower().replace("_", "-")}


# --- fire --------------------------------------------------------------------------------------------


class _FireReader:
    def __init__(self, module) -> None:
        self.module = module
        self.result = _Result("fire entry point")
        self.result.options.add("-h")
        self.top = {n.name: n for n in module.tree.body if isinstance(n, (*_FUNCTIONS, ast.ClassDef))}

    def read(self) -> dict[str, Any]:
        calls = [c for c in self.module.nodes(ast.Call) if self.module.qualified_name(c.func) == "fire.Fire"]
        if not calls:
            return {}
        self.result.lines = [c.lineno for c in calls]
        self.result.runs = True
        if len(calls) > 1:
            self.result.unknown(f"lines {calls[0].lineno}, {calls[1].lineno}: several fire.Fire calls")
            return self.result.facts(short_options=False)
        call = calls[0]
        component = call.args[0] if call.args else _keyword(call, "component")
        if _keyword(call, "command") is not None:
            self.result.unknown(f"line {call.lineno}: the command line is given in code")
        elif component is None:
            self.result.unknown(f"line {call.lineno}: fire.Fire() exposes the whole module")
        elif isinstance(component, ast.Dict):
            self._dict(component)
        else:
            self._component(component, top_level=True)
        return self.result.facts(short_options=False)

    def _dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values):
            name = _literal(key)
            if name is None:
                self.result.unknown(f"line {node.lineno}: a command's name is computed")
                return
            self.result.subcommands |= {name, name.replace("_", "-")}
            self._component(value, top_level=False)

    def _component(self, node: ast.expr, top_level: bool) -> None:
        definition = self.top.get(node.id) if isinstance(node, ast.Name) else None
        if definition is None:
            self.result.unknown(f"line {node.lineno}: the component is not a function or class of this module")
        elif isinstance(definition, ast.ClassDef):
            self._class(definition)
        else:
            self._function(definition)
            if top_level:
                self.result.positionals += 1  # values and members of its result: not checked

    def _class(self, node: ast.ClassDef) -> None:
        if any(not (isinstance(b, ast.Name) and b.id == "object") for b in node.bases) or node.keywords \
                or node.decorator_list:
            self.result.unknown(f"line {node.lineno}: {node.name}'s members may come from elsewhere")
            return
        for statement in node.body:
            if isinstance(statement, _FUNCTIONS):
                if statement.name != "__init__":
                    self._member(statement.name)
                self._function(statement, method=True)
            elif isinstance(statement, ast.ClassDef):
                self._member(statement.name)
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            self._member(name.id)
        for attribute in ast.walk(node):  # self.x = ... in any method is a member too
            if isinstance(attribute, ast.Attribute) and isinstance(attribute.ctx, ast.Store) \
                    and isinstance(attribute.value, ast.Name) and attribute.value.id == "self":
                self._member(attribute.attr)

    def _member(self, name: str) -> None:
        self.result.subcommands |= {name, name.replace("_", "-")}

    def _function(self, function, method: bool = False) -> None:
        unknown = [d for d in function.decorator_list if not (isinstance(d, ast.Name) and d.id in _KNOWN_DECORATORS)]
        if unknown or function.args.kwarg is not None:
            self.result.unknown(f"line {function.lineno}: {function.name} takes **kwargs or has a decorator "
                                "that may change its signature")
            return
        parameters = _parameters(function)
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in function.decorator_list)
        if method and not static and parameters:
            parameters = parameters[1:]  # self or cls
        for arg, _ in parameters:
            for name in {arg.arg, arg.arg.replace("_", "-")}:
                self.result.options |= {f"--{name}", f"--no{name}"}


def typer_command_line(module) -> dict[str, Any]:
    """The options and sub-commands of the module's typer app, or ``{}`` when it has none."""
    return _TyperReader(module).read()


def fire_command_line(module) -> dict[str, Any]:
    """The flags and sub-commands ``fire.Fire`` derives in the module, or ``{}`` when it has none."""
    return _FireReader(module).read()
