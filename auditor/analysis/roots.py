"""Where the dead-code analysis starts: modules and definitions used from outside the project's
own imports and calls, each with the reason (kept as evidence).

Entry modules run as scripts, tests or notebooks, are named by packaging, configs, commands or
dotted strings, or are loaded by a computed ``import_module()`` name. Root definitions are named the
same way, or called by a framework (decorators, naming conventions, test runners, serverless
runtimes), or looked up by name (``getattr``, ``__all__``), or public API of a distributed package.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.analysis.class_hierarchy import ClassHierarchy
from auditor.analysis.entrypoints import (
    command_targets,
    config_targets,
    is_script_path,
    packaging_targets,
    project_kind,
    user_entrypoints,
    whitelisted_modules,
)
from auditor.analysis.program import Definition
from auditor.ml import frameworks as fw
from auditor.ml.paths import is_test_path
from auditor.pathnames import posix_path

# A usable start of a name built at run time: two characters at least ("TF" + name in yolov5's
# tf.py looks up its own TFConv, TFC3...); other modules' lookups need five (see Roots.__init__).
_NAME_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]+$")


# The reason a method is live when it is called on an object (``collector.fetch(...)``): the
# project's own call, which dictates nothing about its signature.
CALLED_AS_AN_ATTRIBUTE = "used as an attribute"


def private(name: str) -> bool:
    return name.startswith("_") and not fw.is_dunder(name)


def public(d: Definition) -> bool:
    """Neither the module nor any part of the qualified name is private."""
    return not any(private(part) for part in [posix_path(d.path).stem, *d.qualname.split(".")])


class Roots:
    def __init__(self, project, graph) -> None:
        self.project = project
        self.graph = graph
        self.symbols = graph.symbols
        self.paths = set(self.symbols)
        self.reasons: dict[str, str] = {}  # root node -> why it is a root
        self.getattr_names = {n for facts in self.symbols.values() for n in facts.get("getattrs", ())}
        self.attr_names = {n for facts in self.symbols.values() for n in facts.get("attrs", ())}
        self.library_packages = self._library_packages()
        self._in_library: dict[str, bool] = {}
        self._exported: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._prefixes: dict[str, tuple[str, ...]] = {}  # a module's own name prefixes, then the project's
        self.classes = ClassHierarchy(graph)
        self.dynamic_prefixes = {p for facts in self.symbols.values() for p in facts.get("dynamic_imports", ())}
        # constant starts of names built at run time: getattr(m, "Model" + x), eval("TF" + x), globals()[x]:
        # those of each module (it looks up its own names), and the distinctive ones, which may name
        # another module's ("Model", "build_"; not "get_" or "_")
        self.own_prefixes: dict[str, set[str]] = {}
        for path, facts in self.symbols.items():
            usable = {p for p in facts.get("name_prefixes", ()) if _NAME_PREFIX.match(p) and len(p.strip("_")) >= 2}
            if usable:
                self.own_prefixes[path] = usable
        self.name_prefixes = {p for found in self.own_prefixes.values() for p in found if len(p.strip("_")) >= 5}
        self.executed = self._executed_modules()
        self.whitelisted = whitelisted_modules(project)
        self.entries = self._entries()

    # -- the distributed package ------------------------------------------------------------------
    def _library_packages(self) -> set[str]:
        """Top-level packages that present a public API: a declared distribution whose package
        ``__init__`` re-exports names. Their public names are not dead for lack of callers here."""
        self.kind, self.kind_reason = project_kind(self.project)
        if self.kind == "application":
            return set()
        packages = set()
        for path, facts in self.symbols.items():
            if path.endswith("__init__.py") and (facts.get("imports") or facts.get("all")):
                name = self.project.module_names.get(path, "")
                if name:
                    packages.add(name.split(".")[0])
        return packages

    def in_library(self, path: str) -> bool:
        if path not in self._in_library:  # asked for every definition of the module
            name = self.project.module_names.get(path, "")
            self._in_library[path] = bool(name) and name.split(".")[0] in self.library_packages \
                and not is_test_path(path) and not is_script_path(path)
        return self._in_library[path]

    # -- entry modules ----------------------------------------------------------------------------
    def _entries(self) -> dict[str, str]:
        """Module path -> why it runs (or is imported) from outside the project's own imports."""
        entries = self._file_entries()
        for target, where in self._named_targets():
            self._add_named(entries, target, where)
        for path in self.symbols:
            if path.endswith("__init__.py") and self.in_library(path):
                entries.setdefault(path, "public package of the distribution")
        for path, why in self._package_loaded_modules().items():
            entries.setdefault(path, why)
        self.plugin_modules = {path for path in self.symbols if self._loaded_by_name(path)}
        for path in self.plugin_modules:
            entries.setdefault(path, "loaded by a computed import_module() name")
        return entries

    def _executed_modules(self) -> dict[str, str]:
        """Modules run with ``exec(open(path).read())`` or ``runpy.run_path``: a constant path, or,
        when a path is computed (a config named on the command line, as nanoGPT's configurator
        does), every module of a config folder that only assigns values. Their names are read by
        the code that runs them: module path -> why."""
        executed: dict[str, str] = {}
        computed = []
        for path, facts in self.symbols.items():
            folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
            for target in facts.get("executed", ()):
                if target == "?":
                    computed.append(path)
                    continue
                for candidate in (folder + target.lstrip("./"), target.lstrip("./")):
                    if candidate in self.symbols:
                        executed.setdefault(candidate, f"run with exec(open(...)) by {path}")
        if computed:
            in_config = {path for path in self.symbols
                         if any(part.lower() in fw.EXECUTED_CONFIG_FOLDERS for part in path.split("/")[:-1])}
            kinds: dict[str, set[str]] = {}
            for d in self.graph.definitions.values():
                if d.path in in_config:
                    kinds.setdefault(d.path, set()).add(d.kind)
            for path in sorted(in_config):
                if kinds.get(path) and kinds[path] <= {"variable"}:  # a config module only assigns values
                    executed.setdefault(path, f"a config file that {computed[0]} runs with exec(open(path).read())")
        return executed

    def _file_entries(self) -> dict[str, str]:
        """Modules that run because of what the file is: scripts, tests, notebooks."""
        entries = {path: "runs as a script, test or notebook" for path in self.graph.entry_modules}
        for path in self.whitelisted:
            entries.setdefault(path, "named in [tool.mlaudit] entrypoints")
        for path, why in self.executed.items():
            entries.setdefault(path, why)
        for path, facts in self.symbols.items():
            if path not in entries:
                reason = self._file_reason(path, facts)
                if reason:
                    entries[path] = reason
        return entries

    @staticmethod
    def _file_reason(path: str, facts: dict[str, Any]) -> str | None:
        if is_script_path(path):
            return "script, example or tool file"
        if facts.get("script") and not path.endswith("__init__.py"):
            return "does work at import time (top-level calls)"
        if is_test_path(path):
            return "test support"
        return None

    def _named_targets(self) -> list[tuple[str, str]]:
        """(dotted target, where it is named): packaging, configs, commands, and dotted strings in code."""
        sources = [
            *packaging_targets(self.project), *config_targets(self.project),
            *command_targets(self.project, self.paths), *user_entrypoints(self.project, self.paths),
        ]
        for path, facts in self.symbols.items():
            for text in facts.get("strings", ()):
                if ("." in text or ":" in text) and not text.startswith("."):
                    sources.append((text, path))
        return sources

    def _add_named(self, entries: dict[str, str], target: str, where: str) -> None:
        """A target named elsewhere makes its module an entry and the named definition a root: as
        the naming file's folder sees it (a lab's config names the lab's own copy), else anywhere."""
        if target in self.paths:
            nodes = [target]
        else:
            dotted = target.replace(":", ".")
            nodes = self.graph.resolve_all_from(where, dotted) if ("." in dotted and where) else []
            if not nodes:
                found = self.graph.resolve_qualified(dotted)
                nodes = [found] if found is not None else []
        for node in nodes:
            if node == where:
                continue
            module = node.split("::")[0]
            if module != where:
                entries.setdefault(module, f"named in {where}")
            if node != module:
                self.reasons.setdefault(node, f"named in {where}")

    def _package_loaded_modules(self) -> dict[str, str]:
        """Modules a loader imports by package (Dagster's ``load_defs(pkg.defs)``,
        ``load_assets_from_modules([...])``) or a ``dg`` project loads from its defs folder:
        module path -> why. A package stands for every module under it."""
        loaded: dict[str, str] = {}  # dotted name -> why
        for path, facts in self.symbols.items():
            for name in facts.get("loaded_packages", ()):
                loaded.setdefault(name, f"loaded by a Dagster definitions loader in {path}")
        for file in self.project.files.values():
            if file.name != "pyproject.toml" or not isinstance(file.data, dict):
                continue
            table: Any = file.data
            for key in fw.DAGSTER_PROJECT_TABLE:
                table = table.get(key) if isinstance(table, dict) else None
            if isinstance(table, dict) and isinstance(table.get("root_module"), str):
                defs = table.get("defs_module") or f"{table['root_module']}.defs"
                if isinstance(defs, str):
                    loaded.setdefault(defs, f"the defs folder a dg project loads ({file.path})")
        if not loaded:
            return {}
        found: dict[str, str] = {}
        for path in self.symbols:
            name = self.project.module_names.get(path, "")
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                why = loaded.get(".".join(parts[:end]))
                if why is not None:
                    found[path] = why
                    break
        return found

    def _loaded_by_name(self, path: str) -> bool:
        """``import_module(f"pkg.plugins.{name}")`` loads every module of a ``plugins`` package."""
        name = self.project.module_names.get(path, "")
        if "." not in name:
            return False
        package = name.rsplit(".", 1)[0]
        for prefix in self.dynamic_prefixes:
            if prefix.endswith(".") and (name.startswith(prefix) or
                                         package.rsplit(".", 1)[-1] == prefix[:-1].rsplit(".", 1)[-1]):
                return True
        return False

    # -- root definitions -------------------------------------------------------------------------
    def root_reason(self, d: Definition) -> str | None:
        """Why something outside the graph uses ``d`` (so it is a root), or None. First match wins."""
        for check in (self._named_or_decorated, self._lookup_reason, self._convention_reason,
                      self._runner_reason, self._package_reason):
            reason = check(d)
            if reason:
                return reason
        return None

    def _named_or_decorated(self, d: Definition) -> str | None:
        if d.node in self.reasons:
            return self.reasons[d.node]
        for decorator in d.decorators:
            reason = fw.decorator_reason(decorator)
            if reason:
                return reason
        return None

    def _lookup_reason(self, d: Definition) -> str | None:
        """Found by name at run time: getattr, ``__all__``, a serverless runtime, a file run by exec."""
        name = d.qualname.rsplit(".", 1)[-1]
        if name in self.getattr_names:
            return "looked up by name with getattr"
        if d.path in self.whitelisted and "." not in d.qualname:
            return "named in [tool.mlaudit] entrypoints"
        if d.path in self.executed and "." not in d.qualname:
            return f"read by the code that runs this file ({self.executed[d.path]})"
        loader = fw.LOADED_BY_NAME_FILES.get(d.path.rsplit("/", 1)[-1])
        if loader and "." not in d.qualname and not private(name):
            return loader
        prefixes = self._prefixes.get(d.path)
        if prefixes is None:  # made once per module: every definition of the project is looked up
            prefixes = self._prefixes[d.path] = (*self.own_prefixes.get(d.path, ()), *self.name_prefixes)
        prefix = next((p for p in prefixes if name.startswith(p)), None) if name.startswith(prefixes) else None
        if prefix is not None:
            return f"looked up by a name built at run time from {prefix!r}"
        listed, handlers = self._exported_names(d.path)
        if d.qualname in listed:
            return "listed in __all__"
        if d.qualname in handlers:
            return "serverless handler (called by its runtime)"
        return None

    def _exported_names(self, path: str) -> tuple[frozenset[str], frozenset[str]]:
        """A module's ``__all__`` and serverless handlers, as sets made once per module (an
        ``__all__`` can list hundreds of names, and every definition of the module is looked up)."""
        if path not in self._exported:
            facts = self.symbols.get(path, {})
            self._exported[path] = frozenset(facts.get("all") or ()), frozenset(facts.get("handlers", ()))
        return self._exported[path]

    @staticmethod
    def _convention_reason(d: Definition) -> str | None:
        """Called by a framework because of its name: top-level hooks, test classes."""
        name = d.qualname.rsplit(".", 1)[-1]
        if d.kind == "function" and "." not in d.qualname:
            return fw.function_reason(name)
        if d.kind == "class" and name.startswith("Test") and is_test_path(d.path):
            return "test class"
        return None

    def _runner_reason(self, d: Definition) -> str | None:
        if d.kind == "class" and "." not in d.qualname and self.classes.has_external_base(d.node) and (
                is_test_path(d.path) or (not self._imported(d.path) and self._runner_base(d))):
            # unittest, manim, locust, luigi...: a runner finds subclasses in the file it is given
            return "subclass of an external class in a file run by a tool"
        return None

    @staticmethod
    def _runner_base(d: Definition) -> bool:
        return any(base.rsplit(".", 1)[-1].endswith(fw.RUNNER_BASES) or base == "?" for base in d.bases)

    def _imported(self, path: str) -> bool:
        return any(src.split("::")[0] != path for src in self.graph.predecessors(path))

    def _package_reason(self, d: Definition) -> str | None:
        """Reached from outside the project: plugin modules, registries, the public API."""
        if d.path in self.plugin_modules and "." not in d.qualname and not private(d.qualname):
            return "defined in a plugin module that is loaded and inspected by name"
        if d.kind == "class" and self.classes.registered_by_base(d.node):
            return "registered by a base class's __init_subclass__"
        if self.in_library(d.path) and public(d):  # the cheap test first: most modules are not a library's
            return "public API of the package"
        return None

    def method_reason(self, d: Definition, cls: str) -> str | None:
        """Why a method of a live class ``cls`` may be called though no call of it resolves."""
        name = d.qualname.rsplit(".", 1)[-1]
        reason = fw.method_reason(name)
        if reason:
            return reason
        if self.classes.has_external_base(cls):
            return "may override a method of an external base class"
        if name in self.attr_names:
            return CALLED_AS_AN_ATTRIBUTE
        if self.classes.overrides(cls, name):
            return "overrides or is overridden by a project class"
        if self.kind == "library" and public(d) and not is_test_path(d.path) and not is_script_path(d.path):
            # a published library's objects reach its users (a torch.hub model's results.render()),
            # who call their public methods from outside the repository
            return "public method of a published library's class"
        return None
