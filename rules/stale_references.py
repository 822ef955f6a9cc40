"""Code references in documents that point nowhere (issue 24, stale-doc): ML707.

A README's ``from acme.models import build_model`` or `` `acme.train.main` `` is checked against the
repository's own packages (a package at the repository root, under ``src/``, or beside a
``pyproject.toml``/``setup.py``), module by module and name by name, as the modules bind them
(auditor/analysis/doc_references.py). Third-party names are never checked; a module that may bind
names mlaudit cannot list (star imports, ``__getattr__``, ``globals()``) is not judged, nor a name a
stub, a compiled module or a folder without ``__init__.py`` provides, nor one the page has the
reader write (``my_store``, ``custom_provider``).
"""

from __future__ import annotations

import difflib
import posixpath
from typing import Any

from auditor.analysis.doc_references import Reference, module_bindings, references_in
from auditor.model.docs import describes_code
from auditor.model.project import DOC
from auditor.rule import Extractor, Invalid, ProjectRule, Valid

BINDINGS = "module_bindings"
_PLACEHOLDERS = ("my_", "my", "your", "foo", "bar", "example", "dummy", "custom_", "new_")
_PACKAGING = ("pyproject.toml", "setup.py", "setup.cfg")
# A dotted span that names a file or a site, not code: `acme.yaml`, `acme.io`
_NOT_CODE = frozenset({"py", "pyc", "pyi", "ipynb", "yaml", "yml", "json", "toml", "cfg", "ini", "txt", "md", "rst",
                       "csv", "tsv", "parquet", "pkl", "pickle", "pt", "pth", "onnx", "h5", "ckpt", "bin", "safetensors",
                       "sh", "html", "js", "css", "png", "jpg", "svg", "gif", "zip", "gz", "tar", "log", "db", "sql",
                       "com", "org", "io", "ai", "dev", "net", "app", "env", "lock", "whl", "egg", "so", "dll", "exe"})


class ModuleBindings(Extractor):
    """The names each module's top level binds, and whether it may bind others."""

    name = BINDINGS

    def extract(self, module) -> dict[str, Any]:
        return module_bindings(module)


def _near(name: str, known, cutoff: float = 0.75) -> str | None:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=cutoff)
    return close[0] if close else None


class _Code:
    """The repository's own packages, module by module, as the documents' references are checked."""

    def __init__(self, project) -> None:
        self.bindings = project.fact(BINDINGS)
        self.paths = project.program.module_paths_all
        folders = {posixpath.dirname(p) for p in project.files}
        self.folders = folders | {posixpath.dirname(f) for f in folders}
        # every file by folder and name stem: `_ops.pyi`, `_ops.cpython-311.so`, `fast.pyx` provide a module too
        self.stems = {(posixpath.dirname(p), posixpath.basename(p).split(".")[0]) for p in project.files}
        self.own = set()
        for path in self.bindings:
            parts = path.split("/")
            if len(parts) >= 2 and parts[-1] == "__init__.py":
                base = "/".join(parts[:-2])
                if base in ("", "src") or any(posixpath.join(base, n) in project.files for n in _PACKAGING):
                    self.own.add(parts[-2])

    def modules(self, dotted: str) -> list[str]:
        return [p for p in self.paths.get(dotted, []) if p in self.bindings]

    def submodules(self, dotted: str) -> set[str]:
        prefix = dotted + "."
        return {name[len(prefix):] for name in self.paths if name.startswith(prefix) and "." not in name[len(prefix):]}

    def missing(self, reference: Reference):
        """(module, its path, the name it lacks, a close name) for the first part of the reference
        that does not exist; None when it all does or cannot be known."""
        parts = reference.dotted.split(".")
        if parts[0] not in self.own or (not reference.imported and len(parts) > 1 and parts[-1] in _NOT_CODE):
            return None
        module = parts[0]
        if not self.modules(module):
            return None
        for part in [*parts[1:], None]:
            wanted = list(reference.imported) if part is None else [part]
            for name in wanted:
                problem = self._lacks(module, name)
                if problem is not None:
                    return problem if problem is not False else None
                if part is not None and not self.modules(f"{module}.{name}"):
                    return None  # a name the module binds: what follows is an attribute of it, not judged
            if part is None:
                return None
            module = f"{module}.{part}"
        return None

    def _lacks(self, module: str, name: str):
        """None when ``module`` has ``name`` (bound, or a submodule); False when unknown; else the problem."""
        if self.modules(f"{module}.{name}"):
            return None
        paths = self.modules(module)
        facts = [self.bindings[p] for p in paths]
        if not facts or any(not isinstance(f, dict) or f.get("dynamic") for f in facts):
            return False
        if any(name in f.get("names", ()) for f in facts):
            return None
        package_folders = [posixpath.dirname(p) for p in paths if p.endswith("/__init__.py")]
        if any(posixpath.join(folder, name) in self.folders or (folder, name) in self.stems for folder in package_folders):
            return False  # a folder without __init__.py, a stub or compiled module: there, in a form not read
        if name.lower().startswith(_PLACEHOLDERS):
            return False  # `from acme.stores.my_store import MyStore`: the module the page has the reader write
        known = {n for f in facts for n in f.get("names", ()) if not n.startswith("_")} | self.submodules(module)
        return module, paths[0], name, _near(name, known)


_PACKAGE = {"acme/__init__.py": "", "acme/models.py": "def build_model(depth=50):\n    return depth\n",
            "acme/data/__init__.py": "from acme.data.loading import load_rows\n",
            "acme/data/loading.py": "def load_rows(path):\n    return path\n"}


class DocReferenceNowhere(ProjectRule):
    """A README or docs page names code of this repository's own packages that does not exist:
    `from acme.models import build_resnet` or `import acme.trainer` in a snippet or inline code, or
    an inline `acme.models.build_resnet()` (a call, or a dotted path four parts deep), where the
    module or the name is gone (renamed, moved or removed).
    A close existing name is suggested. Only the repository's own packages are checked (a package at
    its root, under `src/`, or beside its packaging file); third-party names never are."""

    id = "ML707"
    name = "doc-reference-nowhere"
    category = "stale-doc"
    severity = "low"
    confidence = "high"
    rationale = ("The import in the README is the one a new user pastes first. When `build_resnet` was renamed "
                 "`build_model` or the module moved, the quick-start fails with an ImportError, and the page keeps "
                 "describing an API that is no longer there.")
    remediation = ("Update the reference to the current module and name (the finding suggests a close one), or "
                   "restore the name the documentation promises (an alias kept for compatibility).")
    examples = (
        Invalid({"README.md": "# Use\n\n```python\nfrom acme.models import build_resnet\n```\n", **_PACKAGE},
                [("README.md", 4)], note="renamed build_model: did you mean it?"),
        Invalid({"README.md": "# Use\n\nCall `acme.data.loaders.load_rows()` or `import acme.trainer`.\n", **_PACKAGE},
                [("README.md", 3)], note="the package has data.loading, not data.loaders, and no trainer module"),
        Valid({"README.md": "# Use\n\n```pycon\n>>> from acme.models import build_model\n>>> from acme.data import "
                            "load_rows\n>>> import acme.data.loading\n```\n\nSee `acme.models.build_model()`, "
                            "`acme.yaml`, the `acme.rows_loaded` metric and `numpy.linalg.nope`.\n", **_PACKAGE}),
        Valid({"README.md": "# Use\n\n```python\nfrom acme.plugins import registry\n```\n",
               "acme/__init__.py": "", "acme/plugins.py": "def __getattr__(name):\n    return name\n"},
              note="a module __getattr__ may provide any name: not judged"),
    )

    def check(self, project):
        code = _Code(project)
        if not code.own:
            return
        for file in sorted(project.files.values(), key=lambda f: f.path):
            if file.kind != DOC or not describes_code(file.path) or not file.doc:
                continue
            reported = set()
            for reference in references_in(file.doc):
                found = code.missing(reference)
                if found is None or (reference.line, found[0], found[2]) in reported:
                    continue
                reported.add((reference.line, found[0], found[2]))
                module, path, name, near = found
                hint = f"; did you mean `{near}`?" if near else ""
                yield self.finding(file.path, reference.line,
                                   f"`{reference.text}`: {module} ({path}) has no module or name {name}{hint}",
                                   anchor=f"doc-reference {module}.{name}",
                                   evidence={"module": module, "path": path, "name": name, "suggestion": near})
