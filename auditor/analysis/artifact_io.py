"""Which model files a module writes and reads, from calls with constant path arguments.

One walk of the tree records, for each call that saves or loads a model (``torch.save``,
``joblib.dump``, ``pickle.dump`` into ``open(PATH, "wb")``, ``model.save``, ``save_pretrained``,
``mlflow.*.log_model``, ``joblib.load``, ``InferenceSession``, ...), the path it names when that
path is a constant: a literal, a module-level constant, ``os.path.join`` / ``pathlib`` joins of
those, or a path built from ``__file__`` (kept as ``@file/...``, relative to the module).
Also whether the module trains (calls ``fit``/``train``) and which feature lists it uses, for
the stale-model rules. Facts are plain JSON for the project phase.
"""

from __future__ import annotations

import ast
import operator
import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.analysis.artifacts import Artifact, DvcOutput, candidates, dvc_outputs
from auditor.analysis.path_folding import FILE_DIR, PathFolder
from auditor.ml.models import (
    FIT_METHODS,
    GENERIC_LOAD_METHODS,
    GENERIC_SAVE_METHODS,
    MODEL_LOAD_CALLS,
    MODEL_LOAD_METHODS,
    MODEL_SAVE_CALLS,
    MODEL_SAVE_METHODS,
    MODEL_SUFFIXES,
    TREE_TRAINERS,
    downloaded_names,
)

if TYPE_CHECKING:
    from auditor.model.project import Project

# A method call whose receiver is not resolved saves or loads a model when its name says so.
_SAVE_METHODS = MODEL_SAVE_METHODS | GENERIC_SAVE_METHODS
_LOAD_METHODS = MODEL_LOAD_METHODS | GENERIC_LOAD_METHODS
_COPY_METHODS = {"urlretrieve", "download_file", "copy", "copy2", "copyfile", "move", "hf_hub_download",
                 "download"}
_NOT_MODEL_LOADERS = ("json.", "yaml.", "toml", "tomllib.", "numpy.", "pandas.", "csv.", "configparser.",
                      "dotenv.", "pydantic", "marshal.", "shelve.", "datasets.")
_PATH_KEYWORDS = {"path", "filepath", "file_path", "f", "fname", "filename", "file", "model_file",
                  "model_path", "save_directory", "pretrained_model_name_or_path", "path_or_fileobj",
                  "local_path", "dst", "Filename", "export_dir", "model_uri", "artifact_path", "local_dir",
                  "filename_or_obj", "checkpoint_path"}
# Path keywords of a copy or download call that name its destination (the written side).
_DESTINATION_KEYWORDS = {"dst", "Filename", "filename", "local_path", "local_dir"}
# Feature lists by name (FEATURES, feature_cols), not classes such as FeatureUnion.
_FEATURE_NAME = re.compile(r"^([A-Z0-9_]*FEATURE[A-Z0-9_]*|[a-z0-9_]*feature[a-z0-9_]*)$")
_OPEN_FUNCS = {"open", "io.open", "builtins.open", "gzip.open", "bz2.open", "lzma.open"}
# Model save/load calls by kind; "mlflow-load" is deliberately not recorded.
_SAVE, _MLFLOW_SAVE, _MLFLOW_LOAD, _COPY, _LOAD = "save", "mlflow-save", "mlflow-load", "copy", "load"


def _looks_like_path(value: str) -> bool:
    if not value or len(value) > 300 or "\n" in value:
        return False
    return "/" in value or "\\" in value or _has_model_suffix(value) or value.startswith(FILE_DIR)


def _has_model_suffix(path: str) -> bool:
    return posixpath.splitext(path)[1].lower() in MODEL_SUFFIXES


def _hints(node: ast.AST) -> list[str]:
    """File names that appear as constant parts of a path we cannot fold (``f"{d}/m.pkl"``)."""
    names = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            base = posixpath.basename(sub.value.replace("\\", "/"))
            if _has_model_suffix(base):
                names.append(base)
    return names


def _method_name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _io_kind(qualified: str | None, method: str) -> str | None:
    """Whether a call saves, copies or loads a model (one of the kinds above), or None."""
    known = qualified or ""
    if known.startswith("mlflow.") and method in ("log_model", "save_model"):
        return _MLFLOW_SAVE
    if known.startswith("mlflow.") and method == "load_model":
        return _MLFLOW_LOAD
    if qualified in MODEL_SAVE_CALLS or (qualified is None and method in _SAVE_METHODS):
        return _SAVE
    maybe_model = not known.startswith(_NOT_MODEL_LOADERS)
    if method in _COPY_METHODS and maybe_model:
        return _COPY
    if qualified in MODEL_LOAD_CALLS or (method in _LOAD_METHODS and maybe_model):
        return _LOAD
    return None


def _io_arguments(kind: str, node: ast.Call) -> list[ast.AST]:
    """The arguments of a save, copy or load call that may name the model file."""
    keyword_args = [k.value for k in node.keywords if k.arg in _PATH_KEYWORDS]
    if kind == _MLFLOW_SAVE:  # log_model(model, artifact_path)
        return node.args[1:2] + keyword_args
    if kind == _COPY:  # the destination is the last argument: it is written; the source is only read
        return node.args[-1:] + [k.value for k in node.keywords if k.arg in _DESTINATION_KEYWORDS]
    if kind == _LOAD:
        return list(node.args[:1]) + keyword_args
    return list(node.args) + keyword_args


class ArtifactIO:
    def __init__(self, module) -> None:
        self.module = module
        self.paths = PathFolder(module)
        self.handles: dict[str, tuple[str | None, str, list[str]]] = {}  # with-name -> (path, mode, hints)
        self.writes: list[dict[str, Any]] = []
        self.reads: list[dict[str, Any]] = []
        self.write_hints: set[str] = set()
        self.fits = False
        self.features: set[str] = set()

    def _module_constants(self) -> None:
        assigned: dict[str, int] = {}
        for node in self.module.tree.body:
            for target in _assigned_names(node):
                assigned[target] = assigned.get(target, 0) + 1
                value = self.paths.fold(node.value)
                if value is not None:
                    self.paths.constants[target] = value
                if _FEATURE_NAME.match(target):
                    self.features.add(f"{self.module.module_name}.{target}")
        for name, count in assigned.items():
            if count > 1:  # reassigned: not a constant
                self.paths.constants.pop(name, None)

    def _model_path(self, node: ast.AST | None) -> str | None:
        """The folded path of an expression if it looks like a file path."""
        path = self.paths.fold(node)
        return path if path is not None and _looks_like_path(path) else None

    # -- recording ------------------------------------------------------------------------------
    def _record(self, bucket: list, node: ast.Call, call: str, args: list[ast.AST], direction: str) -> None:
        writing = direction == "write"
        for arg in args:
            path = self._model_path(arg)
            if path is not None:
                bucket.append({"path": path, "line": node.lineno, "call": call})
            elif writing:
                self.write_hints.update(_hints(arg))
            if isinstance(arg, ast.Name) and arg.id in self.handles:
                self._record_handle(bucket, self.handles[arg.id], node.lineno, call, writing)
            if isinstance(arg, ast.Call) and self._is_open(arg):
                self._open(arg, direction_hint=direction, call=call, at=node)

    def _record_handle(self, bucket: list, handle: tuple[str | None, str, list[str]], line: int, call: str,
                       writing: bool) -> None:
        """A call given a file handle opened earlier (``pickle.dump(model, f)``)."""
        handle_path, _mode, hints = handle
        if handle_path is not None:
            bucket.append({"path": handle_path, "line": line, "call": call})
        elif writing:
            self.write_hints.update(hints)

    def _is_open(self, node: ast.Call) -> bool:
        name = self.module.qualified_name(node.func) or self.module.dotted_name(node.func)
        if name in _OPEN_FUNCS:
            return True
        return isinstance(node.func, ast.Attribute) and node.func.attr == "open" and \
            self.paths.fold(node.func.value) is not None

    def _open_target(self, node: ast.Call) -> tuple[ast.AST | None, str]:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "open" and \
                self.module.qualified_name(node.func) is None:  # Path(...).open("wb")
            target = node.func.value
            mode_node = node.args[0] if node.args else None
        else:
            target = node.args[0] if node.args else None
            mode_node = node.args[1] if len(node.args) > 1 else None
        for keyword in node.keywords:
            if keyword.arg == "file":
                target = keyword.value
            elif keyword.arg == "mode":
                mode_node = keyword.value
        mode = mode_node.value if isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, str) else "r"
        return target, mode

    def _open(self, node: ast.Call, direction_hint: str | None = None, call: str = "open", at: ast.AST | None = None) -> None:
        target, mode = self._open_target(node)
        path = self._model_path(target)
        writing = any(c in mode for c in "wax")
        if path is None:
            if writing and target is not None:
                self.write_hints.update(_hints(target))
            return
        # A binary open of a model-named file reads or writes that model, whatever parses it.
        if "b" in mode and _has_model_suffix(path) or direction_hint:
            entry = {"path": path, "line": (at or node).lineno, "call": call if direction_hint else f"open({mode!r})"}
            (self.writes if writing else self.reads).append(entry)

    def _remember_handle(self, name: str, call: ast.Call) -> None:
        """``with open(PATH, "wb") as f`` / ``f = open(PATH)``: what a later ``dump(x, f)`` writes."""
        target, mode = self._open_target(call)
        self.handles[name] = (self._model_path(target), mode, _hints(target) if target is not None else [])

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            expr = item.context_expr
            if isinstance(expr, ast.Call) and self._is_open(expr) and isinstance(item.optional_vars, ast.Name):
                self._remember_handle(item.optional_vars.id, expr)

    visit_AsyncWith = visit_With

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        if isinstance(value, ast.Call) and self._is_open(value) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            self._remember_handle(node.targets[0].id, value)

    def visit_Call(self, node: ast.Call) -> None:
        qualified = self.module.qualified_name(node.func)
        method = _method_name(node.func)
        if self._is_open(node):
            self._open(node)
        else:
            self._record_call(node, qualified, method)
        if method in FIT_METHODS and isinstance(node.func, ast.Attribute) or qualified in TREE_TRAINERS:
            self.fits = True

    def _record_call(self, node: ast.Call, qualified: str | None, method: str) -> None:
        kind = _io_kind(qualified, method)
        if kind is None or kind == _MLFLOW_LOAD:
            return  # mlflow model URIs (runs:/, models:/) name the tracking server, not a repository path
        name = qualified or self.module.dotted_name(node.func) or method
        if kind == _LOAD:
            self._record(self.reads, node, name, _io_arguments(kind, node), "read")
        else:
            self._record(self.writes, node, name, _io_arguments(kind, node), "write")

    def _imported_features(self) -> None:
        """Feature lists imported from another module and used here (``from cfg import FEATURES``)."""
        used = {node.id for node in self.module.nodes(ast.Name)}
        for local, qualified in self.module.imports.items():
            if local in used and qualified and _FEATURE_NAME.match(qualified.rsplit(".", 1)[-1]):
                self.features.add(qualified)

    def facts(self) -> dict[str, Any]:
        self._module_constants()
        self._imported_features()
        # The shared node index in source order instead of a walk of our own; source order keeps
        # `with open(...) as f` (or `f = open(...)`) ahead of the `dump(model, f)` that uses it.
        visitors = {ast.With: self.visit_With, ast.AsyncWith: self.visit_With, ast.Assign: self.visit_Assign,
                    ast.Call: self.visit_Call}
        for node in sorted(self.module.nodes(*visitors), key=_position):
            visitors[type(node)](node)
        if getattr(self.module, "is_notebook", False):
            self._shell_downloads()
        return {
            "writes": _dedupe(self.writes), "reads": _dedupe(self.reads),
            "write_hints": sorted(self.write_hints), "fits": self.fits, "features": sorted(self.features),
        }


    def _shell_downloads(self) -> None:
        """A notebook's ``!wget URL`` or ``!gsutil cp`` lines (kept as comments in its code) bring
        files in: their names are written, as far as a missing-model check is concerned."""
        for line in self.module.lines:
            if "# !" in line:
                self.write_hints.update(downloaded_names(line.split("# !", 1)[1]))


_position = operator.attrgetter("lineno", "col_offset")


def _assigned_names(node: ast.stmt) -> list[str]:
    """Names a module-level ``X = ...`` or ``X: T = ...`` binds."""
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets = [node.target]
    else:
        return []
    return [target.id for target in targets if isinstance(target, ast.Name)]


def _dedupe(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, result = set(), []
    for entry in entries:
        key = (entry["path"], entry["line"])
        if key not in seen:
            seen.add(key)
            result.append(entry)
    return result


def extract(module) -> dict[str, Any]:
    return ArtifactIO(module).facts()


# -- the project view: artifacts joined to the code and stages that write and read them ----------

_SCRIPT = re.compile(r"\bpython[0-9.]*\s+(?:-\S+\s+)*(?:-m\s+(?P<module>[\w.]+)|(?P<script>[\w./-]+\.py))")
FACTS = "artifact_io"


@dataclass
class Use:
    module: str  # the Python file that writes or reads
    line: int
    call: str
    raw: str  # the path as written


@dataclass
class Links:
    producers: dict[str, list[Use]] = field(default_factory=dict)  # artifact path -> code writes
    loaders: dict[str, list[Use]] = field(default_factory=dict)  # artifact path -> code reads
    stages: dict[str, list[DvcOutput]] = field(default_factory=dict)  # artifact path -> DVC stages
    written: set[str] = field(default_factory=set)  # every repository path code writes
    written_names: set[str] = field(default_factory=set)  # file names of writes, folded or not

    def producer_files(self, project: "Project", artifact: Artifact) -> list[str]:
        """Code that makes the artifact: modules that write it and the code of its DVC stages."""
        files = [use.module for use in self.producers.get(artifact.path, [])]
        for out in self.stages.get(artifact.path, []):
            files.extend(stage_code(project, out))
        return sorted(set(files))


def matches(candidate: str, artifact: Artifact) -> bool:
    return candidate == artifact.path or (artifact.is_dir and candidate.startswith(artifact.path + "/"))


def resolve(raw: str, module: str, artifacts: list[Artifact]) -> list[Artifact]:
    """The artifacts a path written in ``module`` refers to."""
    found = [a for c in candidates(raw, module) for a in artifacts if matches(c, a)]
    if not found and raw.startswith("/"):
        # An absolute path inside a container (/app/models/m.pkl) ends with the repository path.
        found = [a for a in artifacts if "/" in a.path and raw.rstrip("/").endswith("/" + a.path)]
    return list({id(a): a for a in found}.values())


def stage_code(project: "Project", out: DvcOutput) -> list[str]:
    """Python files a DVC stage runs or depends on."""
    code = [d for d in out.deps if d in project.files and project.files[d].kind == "python"]
    by_module = {name: path for path, name in project.module_names.items()}
    for match in _SCRIPT.finditer(out.cmd):
        if match.group("module"):
            path = by_module.get(match.group("module"))
            if path:
                code.append(path)
        else:
            base = posixpath.dirname(out.source)
            for candidate in candidates(match.group("script"), out.source if base else "x"):
                if candidate in project.files:
                    code.append(candidate)
    return sorted(set(code))


def link(project: "Project") -> Links:
    links = Links()
    artifacts = project.artifacts
    for module, facts in project.fact(FACTS).items():
        if not isinstance(facts, dict):
            continue
        links.written_names.update(facts.get("write_hints", []))
        for entry in facts.get("writes", []):
            raw = entry.get("path", "")
            use = Use(module, entry.get("line", 0), entry.get("call", ""), raw)
            links.written.update(candidates(raw, module))
            links.written_names.add(posixpath.basename(raw.rstrip("/")))
            for artifact in resolve(raw, module, artifacts):
                links.producers.setdefault(artifact.path, []).append(use)
        for entry in facts.get("reads", []):
            raw = entry.get("path", "")
            use = Use(module, entry.get("line", 0), entry.get("call", ""), raw)
            for artifact in resolve(raw, module, artifacts):
                links.loaders.setdefault(artifact.path, []).append(use)
    for out in dvc_outputs(project):
        if out.stage is None:
            continue
        for artifact in artifacts:
            if artifact.path == out.path or artifact.path.startswith(out.path + "/"):
                links.stages.setdefault(artifact.path, []).append(out)
    return links
