"""Unsafe loading: deserialisers that run code from the bytes they read.

A pickle (and joblib, dill, cloudpickle, ``torch.load`` without ``weights_only``, ``numpy.load``
with ``allow_pickle``) is a program: loading one from an untrusted place runs the attacker's code
with the service's credentials. The same goes for PyYAML's full loaders, Keras' unsafe mode and
Hugging Face's ``trust_remote_code``. Severity follows where the loaded thing comes from
(``value_origin``): a constant path inside the repository is the project's own file and lowest; a
function parameter, command-line argument or environment variable (set by whoever runs the job) is
medium; a download, a URL or user input (what an outsider controls) is highest.
Every name is resolved through the module's imports, so ``import joblib as jl`` or
``from pickle import load`` are recognised and a local ``load`` function is not.
"""

from __future__ import annotations

import ast
import re

from auditor.analysis.artifacts import fixed_stage_scripts
from auditor.rule import Fix, Invalid, ModuleRule, Valid
from auditor.rules.value_origin import IN_PROCESS, SEVERITY, UNTRUSTED, OriginFinder, describe

_PICKLE_LOADERS = {
    "pickle.load": "pickle", "pickle.loads": "pickle", "pickle.Unpickler": "pickle",
    "_pickle.load": "pickle", "_pickle.loads": "pickle", "cPickle.load": "pickle", "cPickle.loads": "pickle",
    "joblib.load": "joblib", "sklearn.externals.joblib.load": "joblib",
    "dill.load": "dill", "dill.loads": "dill", "cloudpickle.load": "cloudpickle", "cloudpickle.loads": "cloudpickle",
    "pandas.read_pickle": "pandas", "numpy.load": "numpy",
}
# Keyword name of the source argument for loaders whose first positional may be given by name.
_SOURCE_KEYWORDS = ("file", "f", "filename", "filepath_or_buffer", "path", "data", "stream", "fp",
                    "pretrained_model_name_or_path", "model_name_or_path", "model", "repo_id", "filepath")
_SAFE_YAML_LOADERS = {"yaml.SafeLoader", "yaml.CSafeLoader", "yaml.BaseLoader", "yaml.CBaseLoader",
                      "yaml.loader.SafeLoader", "yaml.loader.BaseLoader", "yaml.cyaml.CSafeLoader"}
_UNSAFE_YAML_LOADERS = {"yaml.Loader", "yaml.CLoader", "yaml.FullLoader", "yaml.CFullLoader", "yaml.UnsafeLoader",
                        "yaml.CUnsafeLoader", "yaml.loader.Loader", "yaml.loader.FullLoader",
                        "yaml.loader.UnsafeLoader", "yaml.cyaml.CLoader"}
_KERAS_LOAD = re.compile(r"^(?:keras|tf_keras|tensorflow\.keras|tensorflow\.python\.keras)\.(?:models\.|saving\.)?"
                         r"load_model$")
_HEX_REVISION = re.compile(r"^[0-9a-f]{7,40}$")


def _source_arg(call: ast.Call) -> ast.AST | None:
    if call.args:
        first = call.args[0]
        return None if isinstance(first, ast.Starred) else first
    for keyword in call.keywords:
        if keyword.arg in _SOURCE_KEYWORDS:
            return keyword.value
    return None


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword
    return None


def _is_const(node: ast.AST | None, value) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


_STAGE_SCRIPTS: dict[int, tuple[object, dict[str, str]]] = {}


def _fixed_stage_scripts(project) -> dict[str, str]:
    """``fixed_stage_scripts`` of the project, made once per scan."""
    cached = _STAGE_SCRIPTS.get(id(project))
    if cached is None or cached[0] is not project:
        _STAGE_SCRIPTS.clear()
        cached = _STAGE_SCRIPTS[id(project)] = (project, fixed_stage_scripts(project))
    return cached[1]


class _LoadRule(ModuleRule):
    """Shared walk: each subclass looks at the calls of one module, resolved by qualified name.

    A path from the command line of a script that a dvc.yaml stage runs with fixed arguments is the
    pipeline's own file (an earlier stage's output): low, whatever the origin table says."""

    refines_in_project = True

    @classmethod
    def in_project(cls, finding, project):
        if finding.evidence.get("source") != "command-line" or finding.severity == "low":
            return finding
        stage = _fixed_stage_scripts(project).get(finding.path)
        if stage is None:
            return finding
        return finding.with_changes(
            severity="low", message=f"{finding.message}, which the dvc.yaml stage '{stage}' fixes to a path of the "
                                    "pipeline's own", evidence={**finding.evidence, "dvc_stage": stage})

    def check(self, module):
        origins = OriginFinder.of(module)
        for node in module.nodes(ast.Call):
            qualified = module.qualified_name(node.func)
            yield from self.check_call(module, node, qualified, origins)

    def check_call(self, module, call, qualified, origins):
        raise NotImplementedError

    def _by_origin(self, module, call, source, origins, what, *, evidence=None, severity=None, confidence=None):
        kind = origins.origin(source)
        if kind == IN_PROCESS:
            return None  # pickle.loads(pickle.dumps(x)): a deep copy, not a load
        severity = severity or SEVERITY.get(kind) or self.severity
        where = {"constant": "a relative path written in the code", "external-path": "an absolute path outside the "
                 "repository", "config": "a configuration value", "unknown": "a value of unknown origin",
                 "parameter": "a function parameter", "environment": "an environment variable",
                 "command-line": "a command-line argument", "user-input": "user input",
                 "remote": "the network"}.get(kind, kind)
        data = {"source": kind, "source_expression": describe(source), **(evidence or {})}
        return module.finding(self, call.lineno, f"{what} from {where}", severity=severity,
                              confidence=confidence, evidence=data)


class UnsafePickleLoad(_LoadRule):
    """A pickle-based load (pickle, joblib, dill, cloudpickle, pandas.read_pickle,
    numpy.load(allow_pickle=True)).

    Unpickling runs whatever code the file names. ``pickle.loads(pickle.dumps(x))`` (an in-process
    deep copy) and ``numpy.load`` without ``allow_pickle=True`` are not reported.
    """

    id = "ML451"
    name = "unsafe-pickle-load"
    category = "unsafe-load"
    severity = "medium"
    confidence = "high"
    rationale = ("A pickle is a program: whoever can write the file (a shared bucket, a download, a path passed "
                 "in by a caller) runs code in the training job or the serving process, with its credentials. "
                 "Pickles also break across library versions, so a model silently stops loading after an upgrade.")
    remediation = ("Store models in a format that holds data only (safetensors, ONNX, skops, the library's own "
                   "JSON/UBJ format), or verify a hash or signature of the file before loading it, and only load "
                   "from locations the service alone can write.")
    examples = (
        Valid("import pickle\nclone = pickle.loads(pickle.dumps(model))\n", note="an in-process deep copy"),
        Valid("import numpy as np\narr = np.load('features.npy')\n"),
        Valid("def load(path):\n    return path\nmodel = load('m.pkl')\n", note="a local function named load"),
        Valid("import json\nwith open('m.json') as f:\n    cfg = json.load(f)\n"),
        Invalid("import pickle\nwith open('models/m.pkl', 'rb') as f:\n    model = pickle.load(f)\n", expect=[3]),
        Invalid("import joblib as jl\nfrom pickle import loads\nimport pandas as pd\n"
                "def serve(path, blob):\n    a = jl.load(path)\n    b = loads(blob)\n    return pd.read_pickle(path)\n",
                expect=[5, 6, 7]),
        Invalid("import numpy\nimport requests\nimport dill\n"
                "x = numpy.load('f.npy', allow_pickle=True)\n"
                "y = dill.loads(requests.get('https://example.com/m.dill').content)\n", expect=[4, 5]),
        Invalid({"nb.ipynb": '{"cells": [{"cell_type": "code", "source": ["import cloudpickle\\n",'
                             ' "m = cloudpickle.load(open(\'m.pkl\', \'rb\'))"]}], "nbformat": 4}'},
                expect=[("nb.ipynb", 2, 1)]),
    )

    def check_call(self, module, call, qualified, origins):
        family = _PICKLE_LOADERS.get(qualified or "")
        if family is None:
            return
        if family == "numpy":
            flag = _keyword(call, "allow_pickle")
            if flag is None or not _is_const(flag.value, True):
                return
            what = "numpy.load(allow_pickle=True) unpickles objects"
        else:
            what = f"{qualified} deserialises a pickle"
        found = self._by_origin(module, call, _source_arg(call), origins, what,
                                evidence={"loader": qualified, "format": family})
        if found is not None:
            yield found


class TorchLoadWithoutWeightsOnly(_LoadRule):
    """`torch.load` without `weights_only=True`: a full unpickle of the checkpoint.

    `weights_only=False` is reported with high confidence; a missing argument with medium
    confidence, because PyTorch 2.6 made `weights_only=True` the default while older versions
    unpickle everything.
    """

    id = "ML452"
    fix = Fix("unsafe", "add weights_only=True (a checkpoint that holds more than tensors will no longer load)")
    name = "torch-load-without-weights-only"
    category = "unsafe-load"
    severity = "medium"
    confidence = "high"
    rationale = ("`torch.load` is `pickle.load` underneath: a checkpoint from a model hub, a shared volume or a "
                 "user upload can run arbitrary code unless only tensors are allowed.")
    remediation = ("Pass `weights_only=True` (and save `state_dict`s rather than whole modules), or use "
                   "safetensors for weights that come from outside.")
    examples = (
        Valid("import torch\nstate = torch.load('ckpt.pt', weights_only=True, map_location='cpu')\n"),
        Valid("import torch\nmodel = torch.jit.load('model.ts')\nx = torch.tensor([1])\n"
              "def restore(path, **kw):\n    return torch.load(path, **kw)\n"),
        Invalid("import torch\ndef restore(path):\n    return torch.load(path)\n", expect=[3]),
        Invalid("from torch import load\nimport argparse\np = argparse.ArgumentParser()\n"
                "args = p.parse_args()\nsd = load(args.checkpoint, weights_only=False)\n", expect=[5]),
    )

    def check_call(self, module, call, qualified, origins):
        if qualified != "torch.load":
            return
        flag = _keyword(call, "weights_only")
        if flag is not None and not _is_const(flag.value, False):
            return  # True, or a variable the caller decides: not ours to judge
        if flag is None and any(k.arg is None for k in call.keywords):
            return  # **kwargs may carry weights_only
        explicit = flag is not None
        what = ("torch.load(weights_only=False) unpickles the checkpoint" if explicit else
                "torch.load without weights_only=True unpickles the checkpoint on PyTorch < 2.6")
        found = self._by_origin(module, call, _source_arg(call), origins, what,
                                confidence=None if explicit else "medium",
                                evidence={"loader": "torch.load", "weights_only": False if explicit else None})
        if found is not None:
            yield found


class UnsafeYamlLoad(_LoadRule):
    """`yaml.load` (or `load_all`) without a safe loader, or `yaml.unsafe_load` / `yaml.full_load`.

    `Loader=yaml.SafeLoader`, `CSafeLoader`, `BaseLoader` or a class of the module derived from
    them are safe; `Loader`, `CLoader`, `FullLoader` and `UnsafeLoader` are not. A loader that
    cannot be resolved (a variable) is not reported.
    """

    id = "ML453"
    fix = Fix("safe", "call yaml.safe_load (safe_load_all) instead")

    @classmethod
    def fix_for(cls, finding):
        loader = str(finding.evidence.get("loader", ""))
        if loader.startswith("no Loader"):
            return cls.fix.to_json()  # PyYAML 6 refuses a load without a Loader: safe_load is what works
        return {"applicability": "unsafe", "description": f"call yaml.safe_load instead of using {loader.split(' ')[0]} "
                "(YAML with Python tags will no longer load)"}
    name = "unsafe-yaml-load"
    category = "unsafe-load"
    severity = "medium"
    confidence = "high"
    rationale = ("PyYAML's full loaders build arbitrary Python objects from tags such as "
                 "`!!python/object/apply`, so a config or a pipeline parameter file becomes code.")
    remediation = "Use `yaml.safe_load(...)` or `yaml.load(..., Loader=yaml.SafeLoader)` (CSafeLoader for speed)."
    examples = (
        Valid("import yaml\nwith open('c.yaml') as f:\n    a = yaml.safe_load(f)\n"
              "b = yaml.load(open('c.yaml'), Loader=yaml.CSafeLoader)\n"),
        Valid("import yaml\nfrom yaml import SafeLoader\nclass Strict(SafeLoader):\n    pass\n"
              "a = yaml.load(open('c.yaml'), Loader=Strict)\nb = yaml.load(open('d.yaml'), SafeLoader)\n"),
        Valid("import yaml\ndef read(path, loader):\n    return yaml.load(open(path), Loader=loader)\n",
              note="a loader chosen by the caller is not resolved"),
        Invalid("import yaml\nwith open('c.yaml') as f:\n    settings = yaml.load(f, Loader=yaml.Loader)\n",
                expect=[3]),
        Invalid("import yaml\nfrom yaml import CLoader as Loader\na = yaml.load(open('a.yaml'), Loader=Loader)\n"
                "b = yaml.load(open('b.yaml'))\nc = yaml.full_load(open('c.yaml'))\n"
                "d = yaml.unsafe_load(open('d.yaml'))\ne = yaml.load_all(open('e.yaml'), yaml.FullLoader)\n",
                expect=[3, 4, 5, 6, 7]),
    )

    def check_call(self, module, call, qualified, origins):
        if qualified in ("yaml.unsafe_load", "yaml.full_load", "yaml.unsafe_load_all", "yaml.full_load_all"):
            loader_name = qualified.split(".")[1]
        elif qualified in ("yaml.load", "yaml.load_all"):
            loader = _keyword(call, "Loader")
            loader_node = loader.value if loader is not None else (call.args[1] if len(call.args) > 1 else None)
            if loader_node is None:
                if any(k.arg is None for k in call.keywords):
                    return  # **kwargs may carry a Loader
                loader_name = "no Loader (FullLoader on PyYAML 5, an error on 6)"
            else:
                verdict = self._loader_verdict(module, loader_node)
                if verdict is None:
                    return
                loader_name = verdict
        else:
            return
        found = self._by_origin(module, call, _source_arg(call), origins,
                                f"{qualified} with {loader_name} can build arbitrary Python objects",
                                evidence={"loader": loader_name})
        if found is not None:
            # A YAML file is usually configuration: a constant path is still a real, medium issue.
            yield found.with_changes(severity="medium") if found.severity == "low" else found

    @staticmethod
    def _loader_verdict(module, node) -> str | None:
        """The unsafe loader's name, or None when it is safe or cannot be told."""
        qualified = module.qualified_name(node)
        if qualified in _SAFE_YAML_LOADERS:
            return None
        if qualified in _UNSAFE_YAML_LOADERS:
            return qualified
        if isinstance(node, ast.Name):
            for stmt in ast.walk(module.tree):
                if isinstance(stmt, ast.ClassDef) and stmt.name == node.id:
                    bases = {module.qualified_name(b) for b in stmt.bases}
                    if bases & _SAFE_YAML_LOADERS:
                        return None
                    unsafe = bases & _UNSAFE_YAML_LOADERS
                    return f"{node.id} (a {sorted(unsafe)[0]})" if unsafe else None
        return None


class KerasUnsafeDeserialization(_LoadRule):
    """Keras `load_model(..., safe_mode=False)` or `keras.config.enable_unsafe_deserialization()`.

    Safe mode is what stops a `.keras` file's Lambda layers from running arbitrary bytecode.
    """

    id = "ML454"
    name = "keras-unsafe-deserialization"
    category = "unsafe-load"
    severity = "medium"
    confidence = "high"
    rationale = ("With safe mode off, a Keras model file can carry Python bytecode in Lambda layers that runs "
                 "when the model is loaded.")
    remediation = ("Keep `safe_mode=True` (the default); replace Lambda layers with registered custom layers "
                   "so the model loads safely.")
    examples = (
        Valid("from tensorflow import keras\nm = keras.models.load_model('m.keras')\n"),
        Valid("import keras\nm = keras.saving.load_model('m.keras', safe_mode=True)\n"),
        Invalid("from tensorflow import keras\ndef restore(p):\n    return keras.models.load_model(p, safe_mode=False)\n",
                expect=[3]),
        Invalid("import keras\nfrom keras.models import load_model\nkeras.config.enable_unsafe_deserialization()\n"
                "m = load_model('m.keras', safe_mode=False)\n", expect=[3, 4]),
    )

    def check_call(self, module, call, qualified, origins):
        qualified = qualified or ""
        if qualified.endswith("config.enable_unsafe_deserialization") and \
                qualified.split(".")[0] in ("keras", "tf_keras", "tensorflow"):
            yield module.finding(self, call.lineno, "Keras unsafe deserialisation is enabled for the whole process",
                                 evidence={"call": qualified})
            return
        if not _KERAS_LOAD.match(qualified):
            return
        flag = _keyword(call, "safe_mode")
        if flag is None or not _is_const(flag.value, False):
            return
        found = self._by_origin(module, call, _source_arg(call), origins,
                                f"{qualified}(safe_mode=False) lets the model file run code",
                                evidence={"loader": qualified})
        if found is not None:
            yield found


class TrustRemoteCode(_LoadRule):
    """`trust_remote_code=True` (Hugging Face): the model repository's Python code runs locally.

    A hub id pinned to a commit (`revision="<sha>"`) or a local directory is low; an unpinned hub
    id is medium, high when it comes from the command line, the environment or the network.
    A variable `trust_remote_code=flag` is the caller's explicit choice and not reported.
    """

    id = "ML455"
    name = "trust-remote-code"
    category = "unsafe-load"
    severity = "medium"
    confidence = "high"
    rationale = ("The model repository's modelling code is downloaded and executed with the job's credentials; "
                 "without a pinned revision, whoever can push to that repository changes what runs in your "
                 "training or serving job.")
    remediation = ("Use a model class that ships with the library, or pin `revision=` to a reviewed commit "
                   "(and mirror the repository), or vendor the modelling code into your repository.")
    examples = (
        Valid("from transformers import AutoModel\nm = AutoModel.from_pretrained('bert-base-uncased')\n"),
        Valid("from transformers import AutoModel\ndef load(name, trust):\n"
              "    return AutoModel.from_pretrained(name, trust_remote_code=trust)\n"),
        Invalid("from transformers import AutoModel\n"
                "a = AutoModel.from_pretrained('org/model', trust_remote_code=True)\n"
                "b = AutoModel.from_pretrained('org/model', revision='3f2a9c1d4e5b6a7c8d9e0f1a2b3c4d5e6f7a8b9c',"
                " trust_remote_code=True)\n", expect=[2, 3]),
        Invalid("import os\nfrom datasets import load_dataset\n"
                "ds = load_dataset(os.environ['DATASET'], trust_remote_code=True)\n", expect=[3]),
    )

    def check_call(self, module, call, qualified, origins):
        flag = _keyword(call, "trust_remote_code")
        if flag is None or not _is_const(flag.value, True):
            return
        source = _source_arg(call)
        kind = origins.origin(source)
        revision = _keyword(call, "revision")
        pinned = revision is not None and isinstance(revision.value, ast.Constant) and \
            isinstance(revision.value.value, str) and bool(_HEX_REVISION.match(revision.value.value))
        local = isinstance(source, ast.Constant) and isinstance(source.value, str) and \
            source.value.startswith((".", "/", "~"))
        if pinned or (local and kind not in UNTRUSTED):
            severity = "low"
        else:  # an unpinned hub id runs whatever its repository holds today: medium at least, and
            # high when the id itself comes from outside the code (any repository's code may run)
            severity = "high" if kind in UNTRUSTED and kind != "parameter" else "medium"
        name = qualified or describe(call.func, 60)
        detail = "pinned to a commit" if pinned else ("a local directory" if local else "not pinned to a commit")
        yield module.finding(
            self, call.lineno, f"{name}(trust_remote_code=True) runs Python code from the repository it loads ({detail})",
            severity=severity,
            evidence={"call": name, "source": kind, "source_expression": describe(source),
                      "revision": revision.value.value if pinned else None},
        )
