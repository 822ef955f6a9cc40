"""Names inside live code that are never read: parameters, local variables, attributes set on self.

The per-file facts (``auditor/analysis/local_use.py``) say which names a function never reads;
these rules decide, with the whole program in view, which of them are debt rather than an
interface: a parameter an override, a callback, a decorator or a framework dictates is not
reported, nor an attribute a framework base class or ``vars(self)`` may read.
"""

from __future__ import annotations

from auditor.analysis.liveness import analyse
from auditor.analysis.roots import CALLED_AS_AN_ATTRIBUTE, public
from auditor.ml import frameworks as fw
from auditor.ml.paths import is_test_path
from auditor.rule import Invalid, ProjectRule, Valid

# Decorators that leave a function's signature its own (anything else may call it with fixed
# arguments; a cache's parameters are its key even when the body does not read them).
_NEUTRAL_DECORATORS = frozenset({"staticmethod", "classmethod", "property"})
# Names whose use reads every attribute of an object: an attribute set on self may be read there.
_READS_EVERY_ATTRIBUTE = frozenset({"vars", "asdict", "__dict__", "__getstate__", "__reduce__", "__slots__",
                                    "model_dump", "dict", "to_dict", "__getattr__"})


def _judged_paths(analysis):
    """Modules whose unused names are worth a finding: not tests, not notebooks (exploration)."""
    for path, facts in sorted(analysis.symbols.items()):
        if not is_test_path(path) and not path.endswith(".ipynb"):
            yield path, facts


def _project_reads(analysis) -> tuple[set[str], set[str]]:
    """Names passed or stored as values anywhere (a function used as a callback), and attribute
    names read anywhere."""
    values: set[str] = set()
    attributes: set[str] = set()
    for facts in analysis.symbols.values():
        values.update(facts.get("value_names", ()))
        values.update(facts.get("value_attrs", ()))
        attributes.update(facts.get("attrs", ()))
        attributes.update(facts.get("getattrs", ()))
    return values, attributes


class UnusedParameter(ProjectRule):
    """A parameter that its function never reads, in a function that is not an interface.

    Not reported where the signature is dictated from outside: methods of a class that has a base or
    subclasses (overrides), methods whose name another project class also defines, decorated
    functions (routes, tasks, fixtures, registries), functions passed or stored as values
    (callbacks), framework entry points and names given in configs, stubs (``pass``, ``...``,
    ``raise NotImplementedError``), nested functions, ``_``-prefixed parameters, ``self`` and
    ``cls``, ``*args`` and ``**kwargs``, functions that call ``locals()``, ``vars()``, ``eval`` or
    ``exec``, the public API of a library, tests and notebooks.
    """

    id = "ML109"
    name = "unused-parameter"
    category = "dead-code"
    severity = "low"
    confidence = "medium"
    rationale = ("A parameter nobody reads tells every caller to compute and pass something that changes "
                 "nothing: `evaluate(model, save_path)` that never saves is how a report silently stops "
                 "being written, and the reader cannot tell which arguments matter.")
    remediation = ("Use the parameter where it was meant to be used, or remove it and its arguments at the call "
                   "sites; prefix it with `_` if an interface requires it.")
    examples = (
        Invalid("def evaluate(model, data, save_path):\n    return model.score(data)\n\n\n"
                "if __name__ == '__main__':\n    evaluate(1, 2, 'out.json')\n", expect=[1]),
        Invalid("class Collector:\n    def fetch(self, regions, today_flag):\n        return list(regions)\n\n\n"
                "if __name__ == '__main__':\n    Collector().fetch(['us'], today_flag=0)\n", expect=[2],
                note="a method the project calls on an object is its own to change"),
        Valid("class Metric:\n    def update(self, preds, target):\n        raise NotImplementedError\n\n\n"
              "class Accuracy(Metric):\n    def update(self, preds, target):\n        return preds\n\n\n"
              "if __name__ == '__main__':\n    Accuracy().update(1, 2)\n",
              note="an override keeps its base's signature"),
        Valid("import click\n\n\ndef on_epoch_end(epoch, logs):\n    print(epoch)\n\n\n@click.command()\n"
              "def main(verbose, _seed):\n    run(callback=on_epoch_end)\n\n\nif __name__ == '__main__':\n    main()\n",
              note="a callback's signature is its caller's; a decorated command's is its decorator's"),
        Valid("def handler(event, context):\n    return {'statusCode': 200, 'body': event['body']}\n",
              note="a serverless handler: the runtime passes both"),
        Valid("from functools import lru_cache\n\n\n@lru_cache\ndef settings(path, mtime):\n    return open(path).read()\n\n\n"
              "if __name__ == '__main__':\n    settings('a.cfg', 1)\n",
              note="a cached function's parameters are its cache key"),
    )

    def check(self, project):
        analysis = analyse(project)
        values, _ = _project_reads(analysis)
        classes = analysis.roots.classes
        method_owners: dict[str, int] = {}
        for d in analysis.graph.definitions.values():
            if d.kind == "method":
                short = d.qualname.rsplit(".", 1)[-1]
                method_owners[short] = method_owners.get(short, 0) + 1
        for path, facts in _judged_paths(analysis):
            for qualname, line, names in facts.get("unused_params", ()):
                node = f"{path}::{qualname}"
                d = analysis.graph.definitions.get(node)
                why_not = self._dictated(analysis, d, node, values, classes, method_owners)
                if d is None or why_not:
                    continue
                shown = ", ".join(f"`{name}`" for name in names)
                yield self.finding(
                    path, line, f"{'parameters' if len(names) > 1 else 'parameter'} {shown} of `{qualname}` "
                    f"{'are' if len(names) > 1 else 'is'} never read", symbol=f"{qualname}({','.join(names)})",
                    evidence={"parameters": names, "function": f"{path}:{line}",
                              "not_an_interface": "not decorated, not an override or overridden, never passed as a "
                                                  "value, not a framework entry point, not named in a config"})

    @staticmethod
    def _dictated(analysis, d, node, values, classes, method_owners) -> str | None:
        """Why the signature is not the function's own to change (None when it is)."""
        if d is None or node not in analysis.live:
            return "unused or unknown: the dead-code rules report it"
        short = d.qualname.rsplit(".", 1)[-1]
        if fw.is_dunder(short) or short in values or short in analysis.string_index:
            return "a protocol method, a callback, or named in a string"
        called_by = analysis.roots.reasons.get(node)
        if any(dec not in _NEUTRAL_DECORATORS for dec in d.decorators) or called_by not in (None, CALLED_AS_AN_ATTRIBUTE):
            return "decorated, or called by a framework"
        if analysis.roots.in_library(d.path) and public(d):
            return "public API of a library"
        if d.kind == "function":
            return "a nested function" if "." in d.qualname else None
        cls = node.rsplit(".", 1)[0]
        if cls not in classes.bases:
            return "a method of a nested class"
        if classes.bases[cls] or classes.subclasses.get(cls) or method_owners.get(short, 0) > 1:
            return "an override, overridden, or one of several classes' same method"
        return None


class UnusedVariable(ProjectRule):
    """A local variable that its function assigns and never reads.

    Only plain ``name = value`` assignments in live functions: names bound by unpacking, loops,
    ``with`` and ``except``, ``_``-prefixed names, globals, and functions that call ``locals()``,
    ``vars()``, ``eval`` or ``exec`` are not judged; a nested function's reads count for its
    enclosing function. Decorated functions are left alone: a pipeline DSL (Kubeflow's
    ``@dsl.pipeline``) names the steps it builds without reading the names. Tests and notebooks are
    not checked.
    """

    id = "ML110"
    name = "unused-variable"
    category = "dead-code"
    severity = "low"
    confidence = "medium"
    rationale = ("A value computed and dropped is either wasted work or a forgotten step: `val_loss = "
                 "evaluate(...)` never compared with the best score means early stopping never happens.")
    remediation = "Use the value where it was meant to go, or remove the assignment (keep the call if it has effects)."
    examples = (
        Invalid("def train(model, data):\n    val_loss = model.evaluate(data)\n    model.fit(data)\n"
                "    return model\n\n\nif __name__ == '__main__':\n    train(1, 2)\n", expect=[2]),
        Valid("def train(model, data):\n    best = None\n    for batch in data:\n        loss = model.step(batch)\n"
              "        best = loss if best is None else min(best, loss)\n    _, acc = model.evaluate(data)\n"
              "    return best, acc\n\n\nif __name__ == '__main__':\n    train(1, 2)\n",
              note="read in a later line; unpacking names what it does not need"),
        Valid("def report(run):\n    name = run.name\n    score = run.score\n    return '{name}: {score}'.format(**locals())\n\n\n"
              "if __name__ == '__main__':\n    report(1)\n", note="locals() reads every name"),
        Valid("from kfp import dsl\n\n\n@dsl.pipeline(name='train')\ndef pipeline(data: str):\n"
              "    prepare_task = prepare_op(data=data)\n    train_op(data=data)\n",
              note="a pipeline DSL builds its steps by calling them"),
    )

    def check(self, project):
        analysis = analyse(project)
        for path, facts in _judged_paths(analysis):
            for qualname, name, line in facts.get("unused_locals", ()):
                d = analysis.graph.definitions.get(f"{path}::{qualname}")
                if d is None or d.node not in analysis.live or any(dec not in _NEUTRAL_DECORATORS for dec in d.decorators):
                    continue  # a decorated function may be a DSL (a Kubeflow pipeline names the steps it builds)
                yield self.finding(path, line, f"local variable `{name}` in `{qualname}` is assigned and never read",
                                   symbol=f"{qualname}.{name}", evidence={"function": qualname, "variable": name})


class UnusedAttribute(ProjectRule):
    """An attribute that a class sets on ``self`` and nothing anywhere reads.

    Judged only for classes with no base outside the project (a framework base such as
    ``nn.Module``, ``BaseEstimator`` or a pydantic model reads attributes itself) and no decorator
    (dataclasses), in modules that do not read objects wholesale (``vars``, ``__dict__``,
    ``asdict``, ``__getstate__``). An attribute read under any object (``x.name``), looked up with
    ``getattr`` or named in a string is taken for read. Not for a library's public classes, tests
    or notebooks.
    """

    id = "ML111"
    name = "unused-attribute"
    category = "dead-code"
    severity = "low"
    confidence = "medium"
    rationale = ("State written and never read is a setting that does nothing: `self.use_cache = use_cache` "
                 "read nowhere means the cache flag users set is ignored, and every reader wonders where it "
                 "takes effect.")
    remediation = "Read the attribute where it was meant to take effect, or stop setting it."
    examples = (
        Invalid("class Trainer:\n    def __init__(self, epochs, use_cache):\n        self.epochs = epochs\n"
                "        self.use_cache = use_cache\n\n    def run(self):\n        return list(range(self.epochs))\n\n\n"
                "if __name__ == '__main__':\n    Trainer(2, True).run()\n", expect=[4]),
        Valid("import torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
              "        self.head = nn.Linear(2, 2)\n\n\nif __name__ == '__main__':\n    Net()\n",
              note="a framework base class registers and reads its attributes"),
        Valid("class Config:\n    def __init__(self, lr):\n        self.lr = lr\n\n    def save(self):\n"
              "        return dict(vars(self))\n\n\nif __name__ == '__main__':\n    Config(0.1).save()\n",
              note="vars(self) reads every attribute"),
    )

    def check(self, project):
        analysis = analyse(project)
        _, read = _project_reads(analysis)
        classes = analysis.roots.classes
        for path, facts in _judged_paths(analysis):
            if _READS_EVERY_ATTRIBUTE & (set(facts.get("names", ())) | set(facts.get("attrs", ()))):
                continue
            for cls_name, attr, line in facts.get("self_writes", ()):
                node = f"{path}::{cls_name}"
                d = analysis.graph.definitions.get(node)
                if d is None or node not in analysis.live or d.decorators or classes.has_external_base(node):
                    continue
                if attr in read or attr in analysis.string_index or fw.is_dunder(attr):
                    continue
                if analysis.roots.in_library(path) and public(d):
                    continue
                yield self.finding(path, line, f"attribute `{attr}` of `{cls_name}` is set here and never read anywhere",
                                   symbol=f"{cls_name}.{attr}", evidence={"class": cls_name, "attribute": attr})
