"""Undocumented hacks in code: swallowed errors, monkeypatches, sys.path edits, eval/exec and paths
to someone's home directory. Process-wide switches that hide problems (warning filters, disabled TLS
verification) are in ``process_switches.py``.

Comment-level hacks (debt markers, suppressions) are in ``hacks.py``; ages come from git blame
after the scan (``auditor.scan.blame``) and raise the severity past ``escalate-after-days``.
"""

from __future__ import annotations

import ast
import re

from auditor.ml.paths import is_test_path, runs_in_production
from auditor.pathnames import posix_path
from auditor.rule import Extractor, Invalid, ModuleRule, ProjectRule, Valid
from auditor.rules.hacks import AGE_OPTIONS, _reason
from auditor.rules.value_origin import CLI, ENV, PARAMETER, UNTRUSTED, OriginFinder, describe

_BROAD = {"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"}


def _explanations(module) -> set[int]:
    """Lines holding a comment that explains something (not just a `# noqa` or `# type: ignore`)."""
    lines = module.memo.get("explained_lines")
    if lines is None:
        lines = module.memo["explained_lines"] = {c.line for c in module.comments if _reason(c.text)}
    return lines


class SwallowedException(ModuleRule):
    """A bare `except:` or `except Exception:` whose body only passes or continues, with no log and
    no comment saying why; a bare `except:` that only prints, or returns or assigns a default, and
    goes on, swallows the error as surely.

    Narrow handlers (`except ImportError: pass` for an optional dependency, `except KeyError:`)
    are deliberate and not reported; nor is a broad handler with a comment explaining it, or one
    inside `__del__` (where raising is not an option).
    """

    id = "ML403"
    name = "swallowed-exception"
    category = "undocumented-hack"
    severity = "low"
    confidence = "high"
    options = dict(AGE_OPTIONS)
    rationale = ("A swallowed error turns a failure into silently wrong results: metrics that are never logged, "
                 "features filled with defaults, a model that was never saved, and nothing in the logs.")
    remediation = ("Catch the specific exception you expect, log it (`log.exception(...)`), or let it propagate; "
                   "if ignoring it is really right, say why in a comment.")
    examples = (
        Valid("try:\n    import cupy\nexcept ImportError:\n    cupy = None\n"
              "try:\n    import ujson as json\nexcept ImportError:\n    pass\n"),
        Valid("import logging\nlog = logging.getLogger(__name__)\ntry:\n    flush()\nexcept Exception:\n"
              "    log.exception('flush failed')\n"),
        Valid("try:\n    cleanup()\nexcept Exception:  # best effort: the temp dir is wiped on reboot\n    pass\n"
              "for f in files:\n    try:\n        parse(f)\n    except Exception:\n"
              "        # unreadable files are listed by the audit job\n        continue\n"),
        Valid("class Pool:\n    def __del__(self):\n        try:\n            self.close()\n        except Exception:\n"
              "            pass\n"),
        Invalid("try:\n    mlflow.log_metric('auc', auc)\nexcept Exception:\n    pass\n"
                "try:\n    x = 1\nexcept:  # noqa: E722\n    pass\n", expect=[3, 7],
                note="a suppression comment is not an explanation"),
        Invalid("def parse(text):\n    try:\n        return float(text)\n    except:\n        print('bad value')\n"
                "        return None\n\n\ndef rows(path):\n    try:\n        data = load(path)\n    except:\n        data = []\n"
                "    return data\n", expect=[4, 12], note="a bare except that prints or returns a default and goes on"),
        Valid("def parse(text):\n    try:\n        return float(text)\n    except ValueError:\n        return None\n"
              "    except Exception as exc:\n        print(exc)\n        return None\n",
              note="a narrow handler is deliberate; printing from a named broad handler is not the bare case"),
        Invalid("for row in rows:\n    try:\n        handle(row)\n    except:\n        continue\n"
                "try:\n    x = 1\nexcept (ValueError, BaseException) as exc:\n    ...\n", expect=[4, 8]),
    )

    def check(self, module):
        comments = _explanations(module)
        for handler in module.nodes(ast.ExceptHandler):
            broad = self._broad(module, handler.type)
            if broad is None:
                continue
            body = handler.body
            # a bare except that only prints, or returns or assigns a default, and goes on, swallows too
            quiet = self._inert if broad not in ("", "BaseException") else self._inert_or_default
            if not body or not all(quiet(stmt) for stmt in body):
                continue
            end = getattr(body[-1], "end_lineno", None) or body[-1].lineno
            if any(line in comments for line in range(handler.lineno, end + 1)):
                continue
            if self._in_del(module, handler):
                continue
            action = "continue" if any(isinstance(s, ast.Continue) for s in body) else \
                "print" if any(self._prints(s) for s in body) else \
                "a default" if any(isinstance(s, (ast.Return, ast.Assign)) for s in body) else "pass"
            yield module.finding(
                self, handler.lineno, f"`except {broad}:` swallows every error ({action}, no log, no comment)",
                # a bare except also swallows Ctrl-C and exits: worth fixing in code that runs in
                # production, hygiene in a notebook or a course's lab
                end_line=end, severity="medium" if broad in ("", "BaseException") and runs_in_production(module.path)
                else None,
                evidence={"caught": broad or "everything (bare except)", "body": action},
            )

    @staticmethod
    def _broad(module, node) -> str | None:
        if node is None:
            return ""
        candidates = node.elts if isinstance(node, ast.Tuple) else [node]
        for candidate in candidates:
            name = module.dotted_name(candidate)
            if name in _BROAD:
                return name.split(".")[-1]
        return None

    @staticmethod
    def _inert(stmt) -> bool:
        return isinstance(stmt, (ast.Pass, ast.Continue)) or (
            isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))

    @classmethod
    def _inert_or_default(cls, stmt) -> bool:
        """Inert, a ``print(...)``, or a default: ``return None``/a constant/an empty container, or
        ``x = <such a default>``."""
        if cls._inert(stmt) or cls._prints(stmt):
            return True
        if isinstance(stmt, ast.Return):
            return stmt.value is None or cls._default(stmt.value)
        return isinstance(stmt, ast.Assign) and cls._default(stmt.value)

    @staticmethod
    def _prints(stmt) -> bool:
        return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
            isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "print"

    @staticmethod
    def _default(node) -> bool:
        return isinstance(node, ast.Constant) or (isinstance(node, (ast.List, ast.Dict, ast.Tuple, ast.Set))
                                                  and not getattr(node, "elts", getattr(node, "keys", None)))

    @staticmethod
    def _in_del(module, node) -> bool:
        current = module.parent(node)
        while current is not None:
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return current.name == "__del__"
            current = module.parent(current)
        return False


# -- monkeypatching -------------------------------------------------------------------------------

# Attributes designed to be assigned: interpreter hooks and documented option namespaces.
_DESIGNED = re.compile(
    r"^(?:sys\.|os\.environ|builtins\.__|logging\.(?:raiseExceptions|logThreads|logProcesses|logMultiprocessing)$"
    r"|warnings\.showwarning$|.*\.(?:options|rcParams|config|flags|defaults|settings|Settings)\b"
    r"|torch\.backends\.|tensorflow\.config\.|PIL\.Image\.MAX_IMAGE_PIXELS$)"
)


class MonkeypatchFacts(Extractor):
    """Assignments to attributes of imported modules or classes (``np.float = float``) that are
    neither restored in the same function nor explained by a comment."""

    name = "monkeypatches"

    def extract(self, module):
        candidates = []
        for node in module.nodes(ast.Assign, ast.AugAssign, ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if value is None or _is_config_value(value):
                continue
            for target in targets:
                if not isinstance(target, ast.Attribute):
                    continue
                qualified = module.qualified_name(target)
                if qualified is None or "." not in qualified or _DESIGNED.match(qualified):
                    continue
                if target.attr.isupper():
                    continue  # module constants (DEFAULT_TIMEOUT) are settings, not behaviour
                candidates.append((node, qualified))
        if not candidates:
            return []
        restored = _restored_targets(module)
        found = []
        for node, qualified in candidates:
            if (id(_scope(module, node)), qualified) in restored or _explained(module, node.lineno):
                continue
            line, cell = module.location(node.lineno)
            found.append({"line": line, "cell": cell, "target": qualified, "top": qualified.split(".")[0],
                          "value": describe(node.value, 80), "source": module.line_text(node.lineno).strip()[:200],
                          "relative": qualified.startswith(module.module_name.split(".")[0] + ".")})
        return found


def _scope(module, node):
    current = module.parent(node)
    while current is not None and not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
        current = module.parent(current)
    return current if current is not None else module.tree


def _restored_targets(module) -> set[tuple[int, str]]:
    """(scope, target) pairs patched and put back in one function: ``old = m.f; m.f = new; ...;
    m.f = old`` is a scoped patch (a context manager), not a lasting one."""
    saved: dict[tuple[int, str], str] = {}
    for node in module.nodes(ast.Assign):
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Attribute):
            qualified = module.qualified_name(node.value)
            if qualified:
                saved[(id(_scope(module, node)), node.targets[0].id)] = qualified
    restored = set()
    for node in module.nodes(ast.Assign):
        if isinstance(node.value, ast.Name):
            scope = id(_scope(module, node))
            original = saved.get((scope, node.value.id))
            for target in node.targets:
                if original and isinstance(target, ast.Attribute) and module.qualified_name(target) == original:
                    restored.add((scope, original))
    return restored


def _explained(module, line: int) -> bool:
    """A comment on the line or a comment line right above it that says something."""
    explained = _explanations(module)
    if line in explained:
        return True
    return line - 1 in explained and not module.line_text(line - 1).split("#")[0].strip()


def _is_config_value(node) -> bool:
    """Literal settings (True, 0.5, "fast", (1, 2)) change configuration, not behaviour."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_config_value(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(_is_config_value(v) for v in node.values if v is not None)
    return False


class MonkeypatchedLibrary(ProjectRule):
    """An attribute of a third-party or standard-library module or class is replaced at run time
    (`np.float = float`, `yaml.Dumper.ignore_aliases = lambda *a: True`, `torch.load = patched`).

    Attributes that are designed to be set (`torch.backends.cudnn.benchmark`, `pd.options...`,
    `sys.stdout`, upper-case module constants) and literal settings are not reported, nor are the
    project's own modules, test code, patches put back in the same function (`old = m.f; m.f =
    new; ... m.f = old`) and patches explained by a comment on or right above the line.
    """

    id = "ML404"
    name = "monkeypatched-library"
    category = "undocumented-hack"
    severity = "medium"
    confidence = "medium"
    options = dict(AGE_OPTIONS)
    rationale = ("A monkeypatch changes a library for every caller in the process, silently: it breaks on the "
                 "next upgrade, and behaviour differs between the script that applied it and the job that did not.")
    remediation = ("Pin the library version that behaves as you need, wrap the call in your own function, or "
                   "upstream the fix; if the patch must stay, scope it (a context manager that restores it) and "
                   "reference a ticket.")
    examples = (
        Valid("from llama_index.core import Settings\nimport matplotlib\nSettings.llm = make_llm()\n"
              "matplotlib.rcParams['font.size'] = 9\n", note="documented configuration objects"),
        Valid("import torch\nimport pandas as pd\ntorch.backends.cudnn.benchmark = True\n"
              "pd.options.display.max_columns = 50\nimport PIL.Image\nPIL.Image.MAX_IMAGE_PIXELS = None\n"
              "import sys\nsys.stdout = open('log.txt', 'w')\n"),
        Valid({"pkg/__init__.py": "", "pkg/params.py": "batch = 32\n",
               "pkg/train.py": "from pkg import params\nfrom . import params as c\nparams.batch = int('64')\n"
                               "c.batch = len([1])\n"},
              note="the project's own modules"),
        Valid({"tests/test_io.py": "import requests\nrequests.get = lambda *a, **k: None\n"},
              note="patching in tests"),
        Valid("import torch\nfrom contextlib import contextmanager\n@contextmanager\ndef empty_init():\n"
              "    old = torch.nn.Module.register_parameter\n    torch.nn.Module.register_parameter = fake\n"
              "    try:\n        yield\n    finally:\n        torch.nn.Module.register_parameter = old\n",
              note="a scoped patch that is put back"),
        Valid("import intel_te as te\nimport torch.nn as nn\nif not hasattr(te, 'LayerNorm'):\n"
              "    # HPU builds have no LayerNorm: use torch's\n    te.LayerNorm = nn.LayerNorm\n",
              note="a patch explained by a comment is documented"),
        Invalid("import numpy as np\nnp.float = float\n", expect=[2]),
        Invalid({"train.py": "import yaml\nfrom transformers import trainer\n"
                             "yaml.Dumper.ignore_aliases = lambda *args: True\n"
                             "def fast_save(*a):\n    pass\ntrainer.Trainer.save_model = fast_save\n"},
                expect=[("train.py", 3), ("train.py", 6)]),
    )

    def check(self, project):
        own = set()
        for path, name in project.module_names.items():
            own.add(name.split(".")[0])
            own.add(posix_path(path).parts[0].removesuffix(".py"))
        for path, patches in project.fact("monkeypatches").items():
            if is_test_path(path) or not isinstance(patches, list):
                continue
            for patch in patches:
                if patch.get("relative") or patch.get("top") in own:
                    continue
                yield self.finding(
                    path, patch.get("line"), f"monkeypatch of {patch.get('target')}: replaced with "
                    f"{patch.get('value') or 'a new value'} for the whole process",
                    cell=patch.get("cell"), anchor=patch.get("source"),
                    evidence={"target": patch.get("target"), "value": patch.get("value")},
                )


# -- sys.path -------------------------------------------------------------------------------------

_SYS_PATH_CALLS = {"sys.path.insert", "sys.path.append", "sys.path.extend", "site.addsitedir"}


class SysPathEdit(ModuleRule):
    """`sys.path` is edited at run time (`sys.path.insert(0, ...)`, `append`, assignment,
    `site.addsitedir`).

    Sphinx `docs/conf.py`, where editing `sys.path` is the documented set-up, is not reported, nor
    is a launcher adding the directory of a script it was given (a parameter, a command-line
    argument); tests and notebooks are reported at a lower severity.
    """

    id = "ML405"
    name = "sys-path-edit"
    category = "undocumented-hack"
    severity = "medium"
    confidence = "high"
    options = dict(AGE_OPTIONS)
    rationale = ("Imports that work only after a path edit depend on the working directory and the machine: the "
                 "script runs on the author's laptop and fails in the scheduler, or imports a stale copy.")
    remediation = ("Make the code an installable package (`pip install -e .`) or run it as a module "
                   "(`python -m pkg.train`), and delete the path edit.")
    examples = (
        Valid("import sys\nprint(sys.path)\nsys.path_hooks.append(hook)\n"),
        Valid({"docs/conf.py": "import os, sys\nsys.path.insert(0, os.path.abspath('..'))\n"}),
        Valid("import sys\nfrom pathlib import Path\ndef launch(args):\n    script = Path(args.training_script)\n"
              "    sys.path.append(str(script.parent.resolve()))\n", note="a launcher importing the user's script"),
        Invalid("import sys\nsys.path.insert(0, '/home/alice/src')\n", expect=[2]),
        Invalid("from sys import path\nimport site\nimport sys\npath.append('..')\nsite.addsitedir('lib')\n"
                "sys.path += ['vendor']\nsys.path = ['x'] + sys.path\n", expect=[4, 5, 6, 7]),
    )

    def check(self, module):
        p = posix_path(module.path)
        if p.name == "conf.py" and any(part in ("docs", "doc") for part in p.parts[:-1]):
            return
        low = module.is_notebook or is_test_path(module.path)
        origins = None
        for node in module.nodes(ast.Call):
            qualified = module.qualified_name(node.func)
            if qualified in _SYS_PATH_CALLS:
                arg = node.args[-1] if node.args else None
                origins = origins or OriginFinder.of(module)
                if arg is not None and origins.origin(arg) in (PARAMETER, CLI, ENV):
                    continue  # a launcher importing a script the user names, as `python script.py` does
                yield self._finding(module, node, qualified, ", ".join(describe(a, 80) for a in node.args), low)
        for node in module.nodes(ast.Assign, ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                base = target.value if isinstance(target, ast.Subscript) else target
                if module.qualified_name(base) == "sys.path":
                    yield self._finding(module, node, "sys.path assignment", describe(node.value, 80), low)
                    break

    def _finding(self, module, node, what, shown, low):
        text = f"{what} = {shown}" if what.endswith("assignment") else f"{what}({shown})"
        return module.finding(self, node.lineno, f"{text}: imports work only through a run-time path edit",
                              severity="low" if low else None, evidence={"call": what, "path": shown})


# -- eval / exec ---------------------------------------------------------------------------------


class DynamicCodeExecution(ModuleRule):
    """The built-in `eval` or `exec` runs a string as code.

    `ast.literal_eval` and methods called `eval` (`model.eval()`) are not this. A string from a
    parameter, the command line, the environment or the network is reported at high severity.
    """

    id = "ML407"
    name = "eval-exec-string"
    category = "undocumented-hack"
    severity = "medium"
    confidence = "high"
    options = dict(AGE_OPTIONS)
    rationale = ("Code built from strings cannot be read, tested or type-checked, and whoever controls the "
                 "string (a config file, a CLI flag, a request) controls the process.")
    remediation = ("Use `ast.literal_eval` for literals, a dictionary of allowed callables for dispatch, "
                   "`getattr`/`importlib` for dynamic attributes, or a real config format.")
    examples = (
        Valid("import ast\nmodel.eval()\nvalue = ast.literal_eval('[1, 2]')\n"),
        Valid("def eval(x):\n    return x\nscore = eval(3)\n", note="a local function named eval"),
        Invalid("import torch\neval(\"setattr(torch.backends.cudnn, 'benchmark', True)\")\n", expect=[2]),
        Invalid("import sys\ndef run(expr):\n    return eval(expr)\nexec(open(sys.argv[1]).read())\n",
                expect=[3, 4]),
    )

    def check(self, module):
        shadowed = {name for name in ("eval", "exec") if name in module.imports} | {
            node.name for node in module.nodes(ast.FunctionDef, ast.AsyncFunctionDef) if node.name in ("eval", "exec")}
        origins = None
        for node in module.nodes(ast.Call):
            func = node.func
            if not isinstance(func, ast.Name) or func.id not in ("eval", "exec") or func.id in shadowed:
                continue
            if not node.args:
                continue
            origins = origins or OriginFinder.of(module)
            kind = origins.origin(node.args[0])
            yield module.finding(
                self, node.lineno, f"{func.id}() runs a string as code ({describe(node.args[0], 60)})",
                severity="high" if kind in UNTRUSTED else None,
                evidence={"call": func.id, "source": kind, "code": describe(node.args[0])},
            )


# -- personal paths ------------------------------------------------------------------------------

_USER_PATH = re.compile(
    r"(?<![\w.~$-])(?:/mnt/[a-z])?/(?:home|Users)/(?P<user>[^/\s\"'<>{}$]+)/"
    r"|(?<![\w])[A-Za-z]:[\\/]+(?:Users|Documents and Settings)[\\/]+(?P<winuser>[^\\/\s\"'<>{}%$]+)[\\/]",
)
_PLACEHOLDER_USERS = {"user", "username", "user_name", "yourname", "your_name", "your-name", "you", "me", "name",
                      "someone", "xxx", "foo", "bar", "example", "runner", "jovyan", "public", "shared", "default",
                      "default user", "all users", "myuser", "my_user", "USER", "USERNAME", "<user>", "ubuntu",
                      "ec2-user", "vagrant", "docker", "app", "ci",
                      # the default users of hosted notebooks, dev containers and images: Vertex AI
                      # Workbench, SageMaker Studio, Codespaces, VS Code dev containers, Airflow's image
                      "jupyter", "sagemaker-user", "codespace", "vscode", "airflow", "coder"}


class HardcodedUserPath(ModuleRule):
    """A string literal holds an absolute path into a person's home directory (`/home/alice/...`,
    `/Users/bob/...`, `C:\\Users\\carol\\...`).

    Docstrings, placeholder users (`/home/user/`, `/home/<user>/`) and shared service accounts
    (`/home/ubuntu`, `/home/jovyan`, `/home/jupyter` of a hosted notebook) are not reported, nor are tests.
    """

    id = "ML409"
    name = "hard-coded-user-path"
    category = "undocumented-hack"
    severity = "medium"
    confidence = "high"
    options = dict(AGE_OPTIONS)
    rationale = ("A path to someone's laptop works for one person: the pipeline fails in CI, in the scheduler "
                 "and for the next owner, or worse, reads a stale local copy of the data.")
    remediation = ("Take the location from configuration or a command-line argument, relative to the project "
                   "root or a data directory setting.")
    examples = (
        Valid('"""Data lives in /home/alice/data on the old box."""\nDATA = "data/raw.csv"\n'
              'HELP = "e.g. /home/<user>/data or /Users/you/data"\nCACHE = "~/.cache/churn"\n'
              'URL = "https://example.com/home/alice/x"\nNB = "/home/jovyan/work"\n'
              'VERTEX = "/home/jupyter/training-data-analyst"\n'),
        Valid({"tests/test_paths.py": "def test_norm():\n    assert norm('/home/alice/x') == 'x'\n"}),
        Invalid('import sys\nsys.path.insert(0, "/home/alice/projects/churn/src")\n'
                'df = "C:\\\\Users\\\\bob\\\\Downloads\\\\data.csv"\nout = f"/Users/carol/runs/{run_id}"\n',
                expect=[2, 3, 4]),
        Invalid({"nb.ipynb": '{"cells": [{"cell_type": "code", "source": ["import pandas as pd\\n",'
                             ' "df = pd.read_csv(\'/Users/dana/Downloads/churn.csv\')"]}], "nbformat": 4}'},
                expect=[("nb.ipynb", 2, 1)]),
    )

    def check(self, module):
        if is_test_path(module.path):
            return
        docstrings = {id(node.value) for node in module.nodes(ast.Expr) if isinstance(node.value, ast.Constant)}
        reported: set[int] = set()
        for node in module.nodes(ast.Constant):
            if not isinstance(node.value, str) or id(node) in docstrings or node.lineno in reported:
                continue
            if "/home/" not in node.value and "/Users/" not in node.value and "Users" not in node.value:
                continue
            for match in _USER_PATH.finditer(node.value):
                user = match.group("user") or match.group("winuser")
                if user in _PLACEHOLDER_USERS or user.lower() in _PLACEHOLDER_USERS:
                    continue
                reported.add(node.lineno)
                path = node.value[match.start():].split()[0][:120] if node.value[match.start():].split() else ""
                yield module.finding(self, node.lineno, f"hard-coded path into {user}'s home directory: {path}",
                                     evidence={"path": path, "user": user})
                break
