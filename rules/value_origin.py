"""Where a value (a path, a model id, a code string) comes from, as far as one module shows it.

Used by rules whose severity depends on who controls a value: a constant path inside the repository
is the project's own file; a function parameter, a command-line argument, an environment variable
or a download is whatever the caller or the network hands over. The analysis is local and cheap:
it follows names to their assignments in the enclosing function and the module, through
``open(...)``, ``Path(...)``, ``os.path.join(...)``, f-strings and ``/``, a few steps deep.
"""

from __future__ import annotations

import ast
from typing import Iterable

CONSTANT = "constant"  # a literal, repository-relative path
EXTERNAL = "external-path"  # a literal absolute path outside the repository (/tmp, /mnt, ...)
CONFIG = "config"  # read from a configuration object
UNKNOWN = "unknown"
PARAMETER = "parameter"
CLI = "command-line"
ENV = "environment"
USER_INPUT = "user-input"
REMOTE = "remote"  # a URL or a download
IN_PROCESS = "in-process"  # bytes this process just produced (pickle.loads(pickle.dumps(x)))

# Higher is more exposed; a combination of parts takes the most exposed one.
_RANK = {IN_PROCESS: 0, CONSTANT: 1, EXTERNAL: 2, CONFIG: 3, UNKNOWN: 4, PARAMETER: 5, ENV: 6,
         CLI: 7, USER_INPUT: 8, REMOTE: 9}
# Who else controls the value: a caller (parameter) or the outside world (the rest).
UNTRUSTED = frozenset({PARAMETER, ENV, CLI, USER_INPUT, REMOTE})
# The severity of loading from each origin. High fails the default gate, so it is kept for what an
# outsider controls: a download or URL (a shared bucket) and user input (an upload, a request). A
# command-line argument or an environment variable is set by whoever runs the job (a dvc.yaml stage,
# a deployment): medium, as on public repositories they were the project's own files (bench/eval).
SEVERITY = {IN_PROCESS: None, CONSTANT: "low", EXTERNAL: "medium", CONFIG: "medium", UNKNOWN: "medium",
            PARAMETER: "medium", ENV: "medium", CLI: "medium", USER_INPUT: "high", REMOTE: "high"}

_URL_PREFIXES = ("http://", "https://", "s3://", "gs://", "gcs://", "hf://", "ftp://", "az://", "abfs://")
_CLI_NAMES = frozenset({"args", "opts", "options", "flags", "FLAGS", "cli_args", "cmd_args", "arguments"})
_CONFIG_NAMES = frozenset({"config", "cfg", "conf", "settings", "params", "hparams", "hp", "hyperparams"})
_OPENERS = frozenset({
    "open", "io.open", "gzip.open", "bz2.open", "lzma.open", "fsspec.open", "smart_open.open",
    "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "os.path.join", "os.path.abspath",
    "os.path.expanduser", "os.path.realpath", "os.path.normpath", "os.fspath", "str", "io.BytesIO",
    "io.StringIO", "tensorflow.io.gfile.GFile", "zlib.decompress", "gzip.decompress", "bz2.decompress",
    "base64.b64decode", "base64.decodebytes", "codecs.decode", "bytes", "memoryview",
})
_ENV_CALLS = frozenset({"os.getenv", "os.environ.get", "os.environ.__getitem__", "os.getenvb"})
_REMOTE_CALL_PREFIXES = ("requests.", "httpx.", "urllib.request.", "urllib3.", "aiohttp.", "wget.",
                         "gdown.", "boto3.", "google.cloud.storage.")
_REMOTE_CALLS = frozenset({
    "huggingface_hub.hf_hub_download", "huggingface_hub.snapshot_download", "huggingface_hub.cached_download",
    "torch.hub.download_url_to_file", "torch.hub.load_state_dict_from_url", "keras.utils.get_file",
    "tensorflow.keras.utils.get_file", "mlflow.artifacts.download_artifacts", "fsspec.open",
})
_METHODS_KEEPING_ORIGIN = frozenset({"read", "read_bytes", "read_text", "getvalue", "content", "decode",
                                     "encode", "open", "resolve", "absolute", "expanduser", "strip", "format"})
_MAX_DEPTH = 6


def worst(kinds: Iterable[str]) -> str:
    kinds = [k for k in kinds if k]
    if not kinds:
        return CONSTANT
    return max(kinds, key=lambda k: _RANK.get(k, _RANK[UNKNOWN]))


class OriginFinder:
    """Classifies expressions of one module; build once per module and reuse for every call."""

    def __init__(self, module) -> None:
        self.module = module
        self._scopes: dict[int, dict[str, list[tuple[int, ast.AST]]]] = {}

    @classmethod
    def of(cls, module) -> "OriginFinder":
        """The module's finder, shared by every rule that runs on it."""
        finder = module.memo.get("value_origin")
        if finder is None:
            finder = module.memo["value_origin"] = cls(module)
        return finder

    # -- public ---------------------------------------------------------------------------------
    def origin(self, node: ast.AST | None, depth: int = 0) -> str:
        if node is None:
            return UNKNOWN
        try:
            return self._origin(node, depth)
        except RecursionError:  # pathological expressions: say nothing certain
            return UNKNOWN

    # -- scopes ---------------------------------------------------------------------------------
    def _scope_of(self, node: ast.AST) -> ast.AST:
        current = self.module.parent(node)
        while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            current = self.module.parent(current)
        return current if current is not None else self.module.tree

    def _bindings(self, scope: ast.AST) -> dict[str, list[tuple[int, ast.AST]]]:
        """name -> [(line, value)] for simple assignments and ``with ... as name`` in a scope."""
        found = self._scopes.get(id(scope))
        if found is not None:
            return found
        found = {}
        stack = list(ast.iter_child_nodes(scope))
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue  # their own scopes
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                found.setdefault(node.targets[0].id, []).append((node.lineno, node.value))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                found.setdefault(node.target.id, []).append((node.lineno, node.value))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name):
                        found.setdefault(item.optional_vars.id, []).append((node.lineno, item.context_expr))
            elif isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
                found.setdefault(node.target.id, []).append((node.lineno, ast.Name(id="<loop>")))
            stack.extend(ast.iter_child_nodes(node))
        self._scopes[id(scope)] = found
        return found

    @staticmethod
    def _parameters(scope: ast.AST) -> set[str]:
        args = getattr(scope, "args", None)
        if not isinstance(args, ast.arguments):
            return set()
        names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        return set(names) - {"self", "cls"}

    def _resolve_name(self, node: ast.Name, depth: int) -> str:
        scope = self._scope_of(node)
        line = getattr(node, "lineno", 0)
        while True:
            bindings = self._bindings(scope).get(node.id)
            if bindings:
                before = [b for b in bindings if b[0] <= line] or bindings
                value = max(before, key=lambda b: b[0])[1]
                if isinstance(value, ast.Name) and value.id == "<loop>":
                    return UNKNOWN
                return self.origin(value, depth + 1)
            if node.id in self._parameters(scope):
                return CLI if node.id in _CLI_NAMES else PARAMETER
            if scope is self.module.tree:
                return UNKNOWN
            scope = self._scope_of(scope)
            line = 10**9  # an enclosing scope's binding may come after the inner definition

    # -- classification -------------------------------------------------------------------------
    def _origin(self, node: ast.AST, depth: int) -> str:
        if depth > _MAX_DEPTH:
            return UNKNOWN
        classify = _CLASSIFIERS.get(type(node))
        return classify(self, node, depth) if classify is not None else UNKNOWN

    def _constant_origin(self, node: ast.Constant, depth: int) -> str:
        if not isinstance(node.value, str):
            return CONSTANT
        value = node.value.strip()
        if value.lower().startswith(_URL_PREFIXES):
            return REMOTE
        if value.startswith(("/", "~")) or (len(value) > 2 and value[1] == ":" and value[2] in "\\/"):
            return EXTERNAL
        return CONSTANT

    def _fstring_origin(self, node: ast.JoinedStr, depth: int) -> str:
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                parts.append(self.origin(value.value, depth + 1))
            elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                # Only a leading literal says where the path points (a URL, an absolute path).
                parts.append(self.origin(value, depth + 1) if value is node.values[0] else CONSTANT)
        return worst(parts)

    def _worst_of(self, nodes: Iterable[ast.AST], depth: int) -> str:
        return worst([self.origin(value, depth + 1) for value in nodes])

    def _subscript_origin(self, node: ast.Subscript, depth: int) -> str:
        qualified = self.module.qualified_name(node.value) or ""
        if qualified == "sys.argv":
            return CLI
        if qualified == "os.environ":
            return ENV
        base = node.value
        if isinstance(base, ast.Name) and base.id in _CONFIG_NAMES:
            return CONFIG
        inner = self.origin(base, depth + 1)
        return CONFIG if inner in (CONSTANT, CONFIG) else inner

    def _attribute_origin(self, node: ast.Attribute, depth: int) -> str:
        base = node.value
        if isinstance(base, ast.Name):
            named = _NAMED_BASES.get(base.id)
            if named is not None:
                return named
        inner = self.origin(base, depth + 1)
        if node.attr in _METHODS_KEEPING_ORIGIN:
            return inner
        return CONFIG if inner == CONSTANT else inner

    def _call_origin(self, node: ast.Call, depth: int) -> str:
        func = node.func
        qualified = self.module.qualified_name(func) or (func.id if isinstance(func, ast.Name) else "")
        known = _known_call(qualified, func)
        if known is not None:
            return known
        if qualified in _OPENERS or (isinstance(func, ast.Name) and func.id in ("open", "str", "bytes")):
            # A path joined from all its parts; other openers take the path (and mode) first.
            args = node.args if qualified == "os.path.join" else node.args[:2]
            return self._worst_of(args, depth) if args else UNKNOWN
        if isinstance(func, ast.Attribute):
            return self._method_origin(node, func, depth)
        return UNKNOWN

    def _method_origin(self, node: ast.Call, func: ast.Attribute, depth: int) -> str:
        if func.attr in _METHODS_KEEPING_ORIGIN or func.attr in ("joinpath", "with_suffix", "with_name"):
            parts = [func.value] + (list(node.args) if func.attr == "joinpath" else [])
            return self._worst_of(parts, depth)
        if func.attr in ("get", "__getitem__") and isinstance(func.value, ast.Name) \
                and func.value.id in _CONFIG_NAMES:
            return CONFIG
        if isinstance(func.value, ast.Call):
            inner = self._call_origin(func.value, depth + 1)
            if inner in (REMOTE, ENV, CLI, USER_INPUT):
                return inner
        return UNKNOWN


# Names whose attributes say where a value comes from (`args.path`, `config.model_dir`, `self.x`).
_NAMED_BASES = {**{name: CLI for name in _CLI_NAMES}, **{name: CONFIG for name in _CONFIG_NAMES},
                "self": UNKNOWN, "cls": UNKNOWN}

# One classifier per expression type (the types are disjoint); anything else is UNKNOWN.
_CLASSIFIERS = {
    ast.Constant: OriginFinder._constant_origin,
    ast.JoinedStr: OriginFinder._fstring_origin,
    ast.BinOp: lambda self, node, depth: self._worst_of((node.left, node.right), depth),
    ast.Name: OriginFinder._resolve_name,
    ast.Subscript: OriginFinder._subscript_origin,
    ast.Attribute: OriginFinder._attribute_origin,
    ast.Call: OriginFinder._call_origin,
    ast.IfExp: lambda self, node, depth: self._worst_of((node.body, node.orelse), depth),
    ast.BoolOp: lambda self, node, depth: self._worst_of(node.values, depth),
}


def _known_call(qualified: str, func: ast.AST) -> str | None:
    """Calls whose name alone says where their result comes from."""
    if qualified in _ENV_CALLS:
        return ENV
    if qualified in ("input", "getpass.getpass"):
        return USER_INPUT
    if qualified in _REMOTE_CALLS or qualified.startswith(_REMOTE_CALL_PREFIXES):
        return REMOTE
    if qualified.endswith(("parse_args", "parse_known_args")):
        return CLI
    if qualified in ("pickle.dumps", "dill.dumps", "cloudpickle.dumps", "joblib.dump"):
        return IN_PROCESS
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "os" \
            and func.attr == "getenv":
        return ENV
    return None


def describe(node: ast.AST | None, limit: int = 120) -> str:
    if node is None:
        return ""
    try:
        text = ast.unparse(node)
    except Exception:  # odd trees from unusual syntax: the description is only evidence
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
