"""What command line a script accepts, read statically from its syntax tree: the option strings and
sub-commands its ``argparse`` parser or its click decorators declare (typer and fire: ``cli_frameworks``),
or why they cannot be known.

A parser is *readable* only when every option is a literal in this module: no ``parse_known_args``
(unknown options are passed on), no other reading of ``sys.argv``, no parser handed to a function
defined elsewhere (``Trainer.add_argparse_args(parser)``), no ``parents=`` parsers, no option string
computed at run time, and no other argument framework (click, typer, fire, Hydra, absl) beside it.
An unreadable parser makes the stale-doc rules say nothing about the script.
"""

from __future__ import annotations

import ast
from typing import Any

from auditor.analysis.cli_frameworks import fire_command_line, typer_command_line

# Calls that make an argparse parser or a part of one whose add_argument calls count.
_PARSER_MAKERS = ("argparse.ArgumentParser",)
_PARSER_PARTS = ("add_subparsers", "add_parser", "add_argument_group", "add_mutually_exclusive_group")
# Argument frameworks whose options mlaudit does not model (yet): a script using one is unknown.
_OTHER_FRAMEWORKS = ("click", "typer", "fire", "hydra", "absl", "tensorflow.compat.v1.flags", "tf.app.flags",
                     "docopt", "jsonargparse", "simple_parsing", "transformers.HfArgumentParser", "tyro",
                     "lightning.pytorch.cli", "pytorch_lightning.cli", "omegaconf")


def _literal_strings(args: list[ast.expr]) -> list[str] | None:
    """The string literals of an add_argument call's positional arguments; None when one is not."""
    found = []
    for arg in args:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return None
        found.append(arg.value)
    return found


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


class _Reader:
    def __init__(self, module) -> None:
        self.module = module
        self.options: set[str] = set()
        self.subcommands: set[str] = set()
        self.positionals = 0
        self.parsers: list[int] = []
        self.why: str | None = None
        self.abbrev = True
        self.help = True
        self.local_functions = {n.name for n in module.nodes(ast.FunctionDef, ast.AsyncFunctionDef)}
        self.parser_names: set[str] = set()

    def unreadable(self, why: str) -> None:
        self.why = self.why or why

    def read(self) -> dict[str, Any]:
        module = self.module
        for imported in module.imports.values():
            if imported.startswith(_OTHER_FRAMEWORKS):
                self.unreadable(f"uses {imported.split('.')[0]}, whose options are not read")
        self.parser_names = self._bound_parsers()
        for call in module.nodes(ast.Call):
            qualified = module.qualified_name(call.func) or ""
            method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            if qualified in _PARSER_MAKERS:
                self._maker(call)
            elif method in _PARSER_PARTS:
                self._part(call, method)
            elif method == "add_argument":
                self._argument(call)
            elif method in ("parse_known_args", "parse_known_intermixed_args"):
                self.unreadable(f"line {call.lineno}: parse_known_args passes unknown options on")
            elif method == "set_defaults" or not (call.args or call.keywords):
                continue
            self._parser_handed_on(call)
        for node in module.nodes(ast.Attribute):
            if node.attr == "argv" and module.qualified_name(node) == "sys.argv" and self.parsers:
                self.unreadable(f"line {node.lineno}: reads sys.argv itself")
        if not self.parsers:
            return {}
        return {"parsers": self.parsers, "options": sorted(self.options), "subcommands": sorted(self.subcommands),
                "positionals": self.positionals,
                "readable": self.why is None, "why": self.why, "abbrev": self.abbrev, "help": self.help}

    def _maker(self, call: ast.Call) -> None:
        self.parsers.append(call.lineno)
        if _keyword(call, "parents") is not None:
            self.unreadable(f"line {call.lineno}: options come from parent parsers")
        if _keyword(call, "fromfile_prefix_chars") is not None:
            self.unreadable(f"line {call.lineno}: options may come from a file")
        for name, attr in (("allow_abbrev", "abbrev"), ("add_help", "help")):
            value = _keyword(call, name)
            if isinstance(value, ast.Constant) and value.value is False:
                setattr(self, attr, False)
        prefix = _keyword(call, "prefix_chars")
        if prefix is not None:
            self.unreadable(f"line {call.lineno}: options use other prefix characters")

    def _part(self, call: ast.Call, method: str) -> None:
        if method != "add_parser":
            return
        names = _literal_strings(call.args[:1])
        aliases = _keyword(call, "aliases")
        if not names:
            self.unreadable(f"line {call.lineno}: a sub-command's name is computed")
            return
        self.subcommands.update(names)
        if aliases is not None:
            if isinstance(aliases, (ast.List, ast.Tuple)) and _literal_strings(list(aliases.elts)) is not None:
                self.subcommands.update(_literal_strings(list(aliases.elts)) or ())
            else:
                self.unreadable(f"line {call.lineno}: a sub-command's aliases are computed")

    def _argument(self, call: ast.Call) -> None:
        strings = _literal_strings(call.args)
        if strings is None or any(isinstance(a, ast.Starred) for a in call.args):
            self.unreadable(f"line {call.lineno}: an option's name is computed")
            return
        self.options.update(s for s in strings if s.startswith("-"))
        self.positionals += any(not s.startswith("-") for s in strings)

    def _bound_parsers(self) -> set[str]:
        """Names bound to a parser or a part of one (``p = argparse.ArgumentParser()``)."""
        names = set()
        for node in self.module.nodes(ast.Assign):
            call = node.value
            if not isinstance(call, ast.Call):
                continue
            method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            if method in _PARSER_PARTS or self.module.qualified_name(call.func) in _PARSER_MAKERS:
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        return names

    def _parser_handed_on(self, call: ast.Call) -> None:
        """A parser given to a function this module does not define may gain options there."""
        callee = call.func.id if isinstance(call.func, ast.Name) else (
            call.func.attr if isinstance(call.func, ast.Attribute) else "")
        if callee in self.local_functions:
            return
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Name) and (arg.id in self.parser_names or "parser" in arg.id.lower()):
                self.unreadable(f"line {call.lineno}: the parser is handed to {callee or 'a call'}, defined elsewhere")
                return


_CLICK_COMMANDS = ("click.command", "click.group")
_CLICK_HARMLESS = ("click.pass_context", "click.pass_obj", "click.make_pass_decorator")
_CLICK_SUFFIXES = ("_command", "_cmd", "_group", "_grp")


def _click_names(function: ast.FunctionDef, call: ast.Call) -> set[str]:
    """The names a click command answers to: the given one, else its function's name as click 7 and 8
    make it (dashes for underscores; 8.2 drops a ``_command`` suffix): all are accepted."""
    given = _literal_strings(call.args[:1]) or []
    named = _keyword(call, "name")
    if isinstance(named, ast.Constant) and isinstance(named.value, str):
        given = [named.value]
    if given:
        return set(given)
    base = function.name
    for suffix in _CLICK_SUFFIXES:
        base = base.removesuffix(suffix)
    return {n for name in (function.name, base) for n in (name, name.replace("_", "-"))}


class _ClickReader:
    """Options and sub-commands of click commands declared with decorators in this module."""

    def __init__(self, module) -> None:
        self.module = module
        self.options: set[str] = {"--help"}
        self.subcommands: set[str] = set()
        self.commands: list[int] = []
        self.positionals = 0
        self.why: str | None = None

    def read(self) -> dict[str, Any]:
        functions = [f for f in self.module.nodes(ast.FunctionDef) if f.decorator_list]
        groups = {f.name for f in functions if any(self._is(d, "click.group", "group") for d in f.decorator_list)}
        for function in functions:
            if any(self._is(d, *_CLICK_COMMANDS, "command", "group") for d in function.decorator_list):
                self._command(function, groups)
        for call in self.module.nodes(ast.Call):
            if isinstance(call.func, ast.Attribute) and call.func.attr == "add_command":
                self.why = self.why or f"line {call.lineno}: commands are added from elsewhere"
        if not self.commands:
            return {}
        # a group another module imports may gain commands there (``@cli.command()`` in cli/train.py)
        return {"parsers": self.commands, "options": sorted(self.options), "subcommands": sorted(self.subcommands),
                "positionals": self.positionals, "readable": self.why is None, "why": self.why,
                "abbrev": False, "help": True, "framework": "click command", "apps": sorted(groups)}

    def _is(self, decorator, *names: str) -> bool:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (self.module.qualified_name(call) or "") in names:
            return True
        return isinstance(call, ast.Attribute) and isinstance(call.value, ast.Name) and call.attr in names \
            and not (self.module.qualified_name(call) or "").startswith("click.")

    def _command(self, function: ast.FunctionDef, groups: set[str]) -> None:
        for decorator in function.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            qualified = self.module.qualified_name(call.func if call else decorator) or ""
            if call is not None and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) \
                    and call.func.value.id in groups and call.func.attr in ("command", "group"):
                self.subcommands.update(_click_names(function, call))
                self._settings(call)
            elif qualified in _CLICK_COMMANDS and call is not None:
                self.commands.append(call.lineno)
                self._settings(call)
            elif qualified == "click.option" and call is not None:
                self._option(call)
            elif qualified == "click.argument":
                self.positionals += 1
            elif qualified == "click.version_option":
                self.options.add("--version")
            elif qualified not in _CLICK_HARMLESS:
                self.why = self.why or f"line {function.lineno}: a decorator mlaudit does not read may add options"

    def _settings(self, call: ast.Call) -> None:
        if _keyword(call, "cls") is not None or _keyword(call, "context_settings") is not None:
            self.why = self.why or f"line {call.lineno}: a custom command class or context settings"

    def _option(self, call: ast.Call) -> None:
        strings = _literal_strings(call.args)
        if strings is None:
            self.why = self.why or f"line {call.lineno}: an option's name is computed"
            return
        for string in strings:
            self.options.update(part.strip() for part in string.split("/") if part.strip().startswith("-"))


def _hydra_entry(module) -> dict[str, Any] | None:
    """``@hydra.main(config_path=..., config_name=...)``: where the script's config is composed from
    (``readable`` only with both literal and no structured configs registered in code)."""
    for function in module.nodes(ast.FunctionDef):
        for decorator in function.decorator_list:
            if not isinstance(decorator, ast.Call) or module.qualified_name(decorator.func) != "hydra.main":
                continue
            given = {k.arg: k.value for k in decorator.keywords}
            for position, name in enumerate(("config_path", "config_name")):
                if name not in given and position < len(decorator.args):
                    given[name] = decorator.args[position]
            values = {name: given[name].value for name in ("config_path", "config_name")
                      if isinstance(given.get(name), ast.Constant) and isinstance(given[name].value, str)}
            readable = len(values) == 2 and "ConfigStore" not in module.text
            return {"line": decorator.lineno, "readable": readable, **values}
    return None


def _imports(module, package: str) -> bool:
    return any(name == package or name.startswith(package + ".") for name in module.imports.values())


def command_line(module) -> dict[str, Any]:
    """The command line a module declares: with argparse, click, typer or fire, its option strings,
    sub-commands, whether they are all known (``readable``) and why not, and (typer) whether running
    the module runs it (``runs``); with Hydra, where its config is (``hydra``); ``{}`` for none."""
    facts = _Reader(module).read() if "argparse" in module.text else {}
    for package, reader in (("click", lambda m: _ClickReader(m).read()), ("typer", typer_command_line),
                            ("fire", fire_command_line)):
        if not facts and _imports(module, package):
            facts = reader(module)
    hydra = _hydra_entry(module) if "hydra" in module.text else None
    if hydra is not None:
        facts = {**facts, "readable": False, "why": "its options are Hydra's", "hydra": hydra}
    return facts
