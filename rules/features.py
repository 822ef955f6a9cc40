"""Unused features: columns a pipeline produces that nothing reads, and features a config declares
that nothing produces.

Facts come from the ``symbols`` pass (``auditor.analysis.columns``): where each column is produced, which
strings occur only at production and drop sites, and where frames leave the code wholesale.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from auditor.analysis.liveness import analyse
from auditor.ml.paths import is_test_path
from auditor.ml.serving import is_serving_entry
from auditor.ml.training import is_training_entry
from auditor.rule import Invalid, ProjectRule, Valid

_FEATURE_KEY = re.compile(r"(^|_)(features?|feature_(names|columns|cols|list)|input_(columns|features|cols)|"
                          r"(numeric|numerical|categorical|cat|num)_(features|columns|cols))$", re.I)
_NAME = re.compile(r"^[A-Za-z_][\w]*$")


def _consumers(analysis, name: str) -> list[str]:
    """Modules that read ``name`` (as a string outside production/drop sites, or an attribute)."""
    found = []
    for path in analysis.string_index.get(name, ()):
        facts = analysis.symbols.get(path, {})
        if name not in facts.get("columns", {}).get("site_only", ()):
            found.append(path)
    found.extend(f"{path} (attribute)" for path in analysis.attr_index.get(name, ()))
    return found


_WORD = re.compile(r"[A-Za-z_]\w*")
_MENTIONS: dict[int, tuple[Any, dict[str, list[str]]]] = {}


def _config_mentions(project, name: str) -> list[str]:
    """Config and doc files whose text contains ``name`` as a word (indexed once per scan)."""
    cached = _MENTIONS.get(id(project))
    if cached is None or cached[0] is not project:
        index: dict[str, list[str]] = {}
        for file in project.files.values():
            if file.kind in ("config", "doc") and file.text:
                for word in set(_WORD.findall(file.text)):
                    index.setdefault(word, []).append(file.path)
        _MENTIONS.clear()
        _MENTIONS[id(project)] = cached = (project, index)
    return cached[1].get(name, [])


class UnusedFeature(ProjectRule):
    """A feature column that the code produces and nothing ever reads.

    Produced: ``df["x"] = ...``, ``df.loc[:, "x"] = ...``, ``assign(x=...)``, ``rename(columns=...)``,
    Spark ``withColumn``, polars ``alias``, keys returned by feature functions, feature-store fields.
    Read: any other use of the name in code (column reads, feature lists, ``usecols=``, transformer
    column lists), attribute access, or a mention in a config. A drop is not a read. When frames are
    written out wholesale or columns are selected by dtype or pattern, the finding is less certain.
    """

    id = "ML151"
    name = "unused-feature"
    category = "unused-feature"
    severity = "low"
    confidence = "medium"
    rationale = ("Every feature computed in production costs compute, latency and an upstream dependency "
                 "that can break or drift; a feature nothing reads pays all of that for nothing and makes "
                 "the pipeline harder to reason about (Sculley et al.: unused and legacy features).")
    remediation = "Stop producing the column, or add it to the model's feature list if it was meant to be used."
    examples = (
        Invalid("import pandas as pd\n\nFEATURES = ['spend']\n\n\ndef build(raw: pd.DataFrame):\n    df = raw.copy()\n"
                "    df['spend'] = df['total'] / 2\n    df['spend_bucket'] = pd.cut(df['spend'], 4)\n    return df[FEATURES]\n",
                expect=[9]),
        Invalid("def build(df):\n    df = df.assign(ratio=df['a'] / df['b'], unused_flag=1)\n    return df['ratio']\n",
                expect=[2]),
        Invalid("def build(df):\n    df['tmp_score'] = df['a'] * 2\n    return df.drop(columns=['tmp_score'])\n",
                expect=[2], note="a drop is not a use"),
        Valid("def build(df):\n    df['ratio'] = df['a'] / df['b']\n    return df\n\n\ndef train(df):\n    return df[['ratio']]\n"),
        Valid({"features.py": "def build(df):\n    df['age_days'] = df['age'] * 365\n    return df\n",
               "configs/model.yaml": "features:\n  - age_days\n"}),
        Valid("def build(df):\n    df['z_score'] = 0\n    cols = [c for c in df.columns if c.startswith('z_')]\n"
              "    return df[cols]\n", note="columns selected by prefix"),
        Valid("config = {}\nconfig['learning_rate'] = 0.1\nrow = {}\nrow['label'] = 1\n",
              note="dict keys are not frame columns"),
        Valid({"tests/test_f.py": "def test_x():\n    df = make()\n    df['extra'] = 1\n"}),
        Valid("import pandas as pd\n\n\ndef save_results(df, y_pred, path):\n    out = pd.DataFrame()\n"
              "    out['ride_id'] = df['ride_id']\n    out['diff'] = df['duration'] - y_pred\n    out.to_parquet(path)\n",
              note="columns of a frame the same function writes out are that file's output"),
        Invalid("REPORT_COLUMNS = ['ride_id', 'diff']\n\n\ndef save_results(df, y_pred, path):\n"
                "    df['diff'] = df['duration'] - y_pred\n    df['debug_ratio'] = df['duration'] / y_pred\n"
                "    df[REPORT_COLUMNS].to_parquet(path)\n",
                expect=[6], note="a frame written with a fixed column list writes only those columns"),
        Valid("NUMERIC = ['age_days']\nCATEGORICAL = ['city']\n\n\ndef train(df, y, model):\n"
              "    df['age_days'] = df['age'] * 365\n    model.fit(df[NUMERIC + CATEGORICAL], y)\n",
              note="a column that reaches fit through a column list is read"),
        Valid("def save_results(df, y_pred, path):\n    df['diff'] = df['duration'] - y_pred\n"
              "    df[df['diff'] > 0].to_parquet(path)\n",
              note="a row filter writes every column"),
    )

    def check(self, project):
        analysis = analyse(project)
        # frames written out wholesale, per module: [method, line, scope]
        escapes = {path: facts.get("columns", {}).get("escapes", []) for path, facts in analysis.symbols.items()}
        dynamic = [f"{path}:{line} {how}" for path, facts in analysis.symbols.items()
                   for how, line in facts.get("columns", {}).get("dynamic", [])]
        patterns = {p for facts in analysis.symbols.values() for p in facts.get("columns", {}).get("patterns", ())}
        reported = set()
        for path, facts in analysis.symbols.items():
            if is_test_path(path) or path.endswith(".ipynb"):
                continue
            for name, line, how, scope in facts.get("columns", {}).get("produced", ()):
                if how == "key" or name in reported or not _NAME.match(name) or \
                        _read_somewhere(project, analysis, name, patterns):
                    continue
                if any(item[2:] == [scope] for item in escapes.get(path, ())):
                    continue  # the function writes the frame out: its columns are that file's output
                reported.add(name)
                written = self._written_by_users(analysis, path, escapes)
                yield self._report(project, analysis, (name, line, how, scope), path, written, dynamic)

    def _report(self, project, analysis, produced, path, written, dynamic):
        name, line, how, scope = produced
        # a reader outside the code (of written frames, or of dynamically chosen columns) may exist
        confidence = "low" if dynamic else "medium" if written else "high"
        return self.finding(
            path, line, f"feature `{name}` is produced ({how} in {scope or 'module level'}) but nothing reads it"
            + ("; frames are also written out wholesale, so a reader outside this code may exist" if written else ""),
            symbol=name, confidence=confidence,
            evidence={"produced_at": f"{path}:{line}", "how": how, "scope": scope,
                      "looked_in": f"{len(analysis.symbols)} Python modules and notebooks, "
                                   f"{sum(1 for f in project.files.values() if f.kind == 'config')} config files",
                      "frames_written_wholesale": written[:5], "dynamic_column_selection": dynamic[:5]},
        )

    @staticmethod
    def _written_by_users(analysis, path: str, escapes: dict[str, list]) -> list[str]:
        """Frames written by this module or by modules that use it (others write other frames)."""
        users = {path} | {src.split("::")[0] for node in [path, *analysis.defs_by_path.get(path, ())]
                          for src in analysis.graph.predecessors(node)}
        return [f"{p}:{item[1]} {item[0]}" for p, items in escapes.items() if p in users for item in items]


def _read_somewhere(project, analysis, name: str, patterns: set[str]) -> bool:
    """Read in code or named in a config, or possibly picked by a prefix/suffix pattern."""
    if _consumers(analysis, name) or _config_mentions(project, name):
        return True
    return any(p and (name.startswith(p) or name.endswith(p)) for p in patterns)


def _declared(data: Any, path: tuple = (), depth: int = 0) -> Iterator[tuple[tuple, int, str]]:
    """(key path, index, name) of every string in a feature list of a parsed config."""
    if depth > 20:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, list) and isinstance(key, str) and _FEATURE_KEY.search(key) \
                    and value and all(isinstance(v, str) for v in value):
                for index, item in enumerate(value):
                    if _NAME.match(item):
                        yield (*path, key), index, item
            elif isinstance(value, (dict, list)):
                yield from _declared(value, (*path, key), depth + 1)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _declared(item, (*path, index), depth + 1)


def _feature_lists(data: Any) -> dict[tuple, list[tuple[int, str]]]:
    """Key path of each feature list in a parsed config -> its (index, name) items."""
    lists: dict[tuple, list[tuple[int, str]]] = {}
    for key_path, index, name in _declared(data):
        lists.setdefault(key_path, []).append((index, name))
    return lists


def _configs_loaded(analysis) -> tuple[set[str], bool]:
    """File names of configs the code names, and whether it uses Hydra (which loads YAML configs
    by convention)."""
    named = {n for facts in analysis.symbols.values() for n in facts.get("config_files", ())}
    hydra = any(target.startswith("hydra") for facts in analysis.symbols.values()
                for _, target, _ in facts.get("imports", ()))
    return named, hydra


class UnproducedFeature(ProjectRule):
    """A feature listed in a config's feature list that no code produces and nothing else mentions.

    The name appears nowhere in the code (no column produced, read or listed) and in no other config
    or schema, so no raw data source is known to provide it: training or serving will fail on it, or
    it is a leftover the config keeps alive.
    """

    id = "ML152"
    name = "unproduced-feature"
    category = "unused-feature"
    severity = "medium"
    confidence = "medium"
    rationale = ("A feature list that names a column nothing produces is configuration drift: the job "
                 "that reads it fails at run time, or someone 'fixes' it by adding a column nobody defined.")
    remediation = "Remove the feature from the list, or add the code (or the raw schema) that provides it."
    examples = (
        Invalid({"configs/train.yaml": "features:\n  - tenure\n  - days_since_signup\n",
                 "train.py": "import yaml\n\nconfig = yaml.safe_load(open('configs/train.yaml'))\n\n\ndef build(df):\n"
                             "    df['tenure'] = df['end'] - df['start']\n    return df[config['features']]\n"},
                expect=[("configs/train.yaml", 3)]),
        Valid({"configs/train.yaml": "numeric_features:\n  - age\n  - income\n",
               "train.py": "import pandas as pd\n\ndf = pd.read_csv('data.csv', usecols=['age', 'income'])\n"},
              note="raw columns read by the code"),
        Valid({"configs/train.yaml": "features:\n  - age\n", "schema.json": '{"columns": {"age": "int"}}'},
              note="a schema provides it"),
        Valid({"configs/train.yaml": "features: [age, income, region]\n",
               "train.py": "import yaml\n\ncfg = yaml.safe_load(open('configs/train.yaml'))\n\n\ndef fit(df):\n"
                           "    return df[cfg['features']]\n"},
              note="raw columns selected by the list: the code names none of them"),
        Invalid({"params.json": '{"model": {"feature_names": [\n  "ratio",\n  "ghost_feature"\n]}}',
                 "f.py": "def build(df):\n    df['ratio'] = df['a'] / df['b']\n    return df\n"},
                expect=[("params.json", 3)]),
    )

    def check(self, project):
        analysis = analyse(project)
        produced = {row[0] for facts in analysis.symbols.values() for row in facts.get("columns", {}).get("produced", ())}

        def known(name: str) -> bool:  # the code produces, reads or lists the name
            return name in produced or name in analysis.string_index or name in analysis.attr_index

        named, hydra = _configs_loaded(analysis)
        for file in project.files.values():
            if file.kind != "config" or not isinstance(file.data, (dict, list)):
                continue
            loaded = file.name in named or (hydra and file.suffix in (".yaml", ".yml"))
            for key_path, items in _feature_lists(file.data).items():
                flags = [known(name) for _, name in items]
                if sum(flags) * 2 < len(items):
                    continue  # mostly names the code never spells: raw columns selected by the list
                for (index, name), is_known in zip(items, flags):
                    if is_known or any(p != file.path for p in _config_mentions(project, name)):
                        continue
                    yield self._report(file, key_path, index, name, loaded, len(analysis.symbols))

    def _report(self, file, key_path, index, name, loaded, modules):
        line = (file.line_of(*key_path, index) if file.suffix in (".yaml", ".yml") else
                file.line_of(*key_path, name)) or file.line_of(*key_path)
        return self.finding(
            file.path, line, f"feature `{name}` is listed in `{'.'.join(map(str, key_path))}` but no code "
            "produces it and no schema or raw-data read mentions it",
            symbol=f"{'.'.join(map(str, key_path))}:{name}", confidence="medium" if loaded else "low",
            evidence={"declared_in": f"{file.path}:{line}", "config_loaded_by_code": loaded,
                      "looked_in": f"{modules} Python modules and notebooks, other config, schema and doc files"},
        )


def _live_scope(analysis, path: str, scope: str) -> bool:
    if path in analysis.dead_modules:
        return False
    if not scope:
        return True
    node = f"{path}::{scope}"
    return node in analysis.live or node not in analysis.graph.definitions


class LegacyFeature(ProjectRule):
    """A feature column that live code produces but only unused code reads: a legacy feature.

    Every place that reads the column is in a function, class or module the dead-code analysis
    finds unused, so the pipeline keeps computing a feature for code that never runs.
    """

    id = "ML153"
    name = "legacy-feature"
    category = "unused-feature"
    severity = "low"
    confidence = "medium"
    rationale = ("Legacy features outlive the model that needed them: production keeps computing them, their "
                 "upstream sources stay dependencies, and a change to them looks risky because code still reads them.")
    remediation = "Delete the dead readers, then stop producing the column."
    examples = (
        Invalid("def build(df):\n    df['ratio'] = df['a'] / df['b']\n    df['old_ratio'] = df['a'] / 2\n    return df\n\n\n"
                "def legacy_model(df):\n    return df['old_ratio']\n\n\nif __name__ == '__main__':\n    print(build(None)['ratio'])\n",
                expect=[3]),
        Valid("def build(df):\n    df['ratio'] = df['a'] / df['b']\n    return df\n\n\ndef model(df):\n    return df['ratio']\n\n\n"
              "if __name__ == '__main__':\n    print(model(build(None)))\n"),
        Valid({"pkg/__init__.py": "", "pkg/features.py": "def build(df):\n    df['ratio'] = df['a'] / df['b']\n    return df\n",
               "pkg/train.py": "from pkg.features import build\n\n\ndef fit(df):\n    return build(df)['ratio']\n\n\n"
                               "if __name__ == '__main__':\n    fit(None)\n"}),
    )

    def check(self, project):
        analysis = analyse(project)
        reported = set()
        for path, facts in analysis.symbols.items():
            if is_test_path(path) or path.endswith(".ipynb"):
                continue
            for name, line, how, scope in facts.get("columns", {}).get("produced", ()):
                if how == "key" or name in reported or not _NAME.match(name) or not _live_scope(analysis, path, scope):
                    continue
                if name in analysis.attr_index or _config_mentions(project, name):
                    continue
                dead_readers = self._dead_readers(analysis, name)
                if not dead_readers:
                    continue
                reported.add(name)
                yield self.finding(
                    path, line, f"feature `{name}` is produced here but read only by unused code "
                    f"({', '.join(r.split('::')[-1] for r in dead_readers[:3])})",
                    symbol=name, evidence={"produced_at": f"{path}:{line}", "how": how, "dead_readers": dead_readers[:10]},
                )


    @staticmethod
    def _dead_readers(analysis, name: str) -> list[str]:
        """Modules and scopes that read ``name``, all of them unused; empty if some reader is live."""
        dead_readers = []
        for reader in analysis.string_index.get(name, ()):
            columns = analysis.symbols.get(reader, {}).get("columns", {})
            if name in columns.get("site_only", ()):
                continue
            scopes = columns.get("read_scopes", {}).get(name)
            if reader in analysis.dead_modules:
                dead_readers.append(reader)
            elif scopes is None or any(_live_scope(analysis, reader, s) for s in scopes):
                return []  # read by live code, or where scopes are not recorded (module level)
            else:
                dead_readers.extend(f"{reader}::{s}" for s in scopes)
        return dead_readers




class TrainingServingSkew(ProjectRule):
    """A feature the training path produces and reads that the serving path does not produce, although
    serving computes the other features itself: the model will see it missing or stale online.

    Only reported where both paths exist (a training module and a serving module that reach different
    feature code) and serving produces at least one of the training features, so a service that
    receives ready-made features is not flagged.
    """

    id = "ML154"
    name = "training-serving-skew"
    category = "unused-feature"
    severity = "high"
    confidence = "medium"
    rationale = ("When serving re-implements feature engineering and misses a feature, the model scores rows "
                 "with that feature null or defaulted: silent accuracy loss that offline evaluation never shows.")
    remediation = ("Compute features in one function that training and serving both call, or add the missing "
                   "feature to the serving path and a test comparing both paths on the same rows.")
    examples = (
        Invalid({"train.py": "FEATURES = ['ratio', 'tenure']\n\n\ndef build(df):\n    df['ratio'] = df['a'] / df['b']\n"
                             "    df['tenure'] = df['end'] - df['start']\n    return df[FEATURES]\n\n\n"
                             "if __name__ == '__main__':\n    build(None)\n",
                 "serve.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.post('/predict')\ndef predict(row: dict):\n"
                             "    row['ratio'] = row['a'] / row['b']\n    return row\n"},
                expect=[("serve.py", 8)]),
        Valid({"features.py": "def build(df):\n    df['ratio'] = df['a'] / df['b']\n    df['tenure'] = df['end'] - df['start']\n"
                              "    return df\n",
               "train.py": "from features import build\n\nif __name__ == '__main__':\n    print(build(None)[['ratio', 'tenure']])\n",
               "serve.py": "from fastapi import FastAPI\n\nfrom features import build\n\napp = FastAPI()\n\n\n@app.post('/predict')\n"
                           "def predict(row: dict):\n    return build(row)\n"},
              note="both paths share the feature code"),
        Valid({"train.py": "def build(df):\n    df['ratio'] = df['a'] / df['b']\n    return df[['ratio']]\n",
               "serve.py": "FEATURES = ['ratio']\n\n\ndef predict(row):\n    return row[FEATURES]\n"},
              note="serving receives ready-made features"),
        Valid({"train.py": ("import yaml\n\n\ndef build(df):\n    df['ratio'] = df['a'] / df['b']\n    return df[['ratio']]\n\n\n"
                            "def setup(optimizer, path):\n    data = yaml.safe_load(open(path))\n"
                            "    data['nc'] = len(data['names'])\n    for group in optimizer.param_groups:\n"
                            "        group['lr'] = group['initial_lr'] * 0.1\n    return data['nc'], optimizer\n\n\n"
                            "if __name__ == '__main__':\n    setup(None, 'data.yaml')\n    build(None)\n"),
               "serve.py": ("from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.post('/predict')\ndef predict(row: dict):\n"
                            "    row['ratio'] = row['a'] / row['b']\n    return row\n")},
              note="keys of a dataset's yaml and an optimizer's parameter groups are not features"),
        Valid({"train.py": "def build(df):\n    df['ratio'] = df['a'] / df['b']\n    df['duration'] = df['end'] - df['start']\n"
                           "    target = 'duration'\n    return df[['ratio']], df[target]\n\n\n"
                           "if __name__ == '__main__':\n    build(None)\n",
               "serve.py": "def predict(row):\n    row['ratio'] = row['a'] / row['b']\n    return row\n"},
              note="the label is never produced at serving time"),
    )

    def check(self, project):
        analysis = analyse(project)
        paths = [p for p in analysis.symbols if not is_test_path(p) and not p.endswith(".ipynb")]
        train_roots = [p for p in paths if is_training_entry(p)]
        serve_roots = [p for p in paths if is_serving_entry(p) and p not in train_roots]
        if not train_roots or not serve_roots:
            return
        train_reach, serve_reach = self._reach(analysis, train_roots), self._reach(analysis, serve_roots)
        # training's features are columns of frames; serving may compute them on a request's dict
        train_made, serve_made = _produced_in(analysis, train_reach, keys_too=False), _produced_in(analysis, serve_reach)
        shared = sorted(set(train_made) & set(serve_made))
        if not shared:
            return  # serving does not compute these features itself
        train_reads = _strings_read(analysis, train_reach)
        targets = _label_columns(project, analysis)
        first_serve_path, first_serve_line = serve_made[shared[0]]
        for name in sorted(set(train_made) - set(serve_made)):
            if name not in train_reads or name in targets:
                continue
            where, line = train_made[name]
            yield self.finding(
                first_serve_path, first_serve_line,
                f"training produces and reads feature `{name}` ({where}:{line}) but the serving path never produces it",
                symbol=name, evidence={"training_produces_at": f"{where}:{line}", "serving_modules": serve_roots[:5],
                                       "features_serving_does_produce": shared[:10]},
            )

    @staticmethod
    def _reach(analysis, roots):
        roots = [*roots, *(node for root in roots for node in analysis.defs_by_path.get(root, ()))]
        seen = set(r for r in roots if r in analysis.graph)
        stack = list(seen)
        while stack:
            for successor in analysis.graph.successors(stack.pop()):
                if successor not in seen:
                    seen.add(successor)
                    stack.append(successor)
        return seen


def _produced_in(analysis, reach: set[str], keys_too: bool = True) -> dict[str, tuple[str, int]]:
    """Column -> (path, line) of its first production in a scope of ``reach``; without ``keys_too``
    only productions on a frame (not ``x["lr"] = ...`` on what may be a dict)."""
    out: dict[str, tuple[str, int]] = {}
    for path, facts in analysis.symbols.items():
        for name, line, how, scope in facts.get("columns", {}).get("produced", ()):
            if (keys_too or how != "key") and (f"{path}::{scope}" if scope else path) in reach:
                out.setdefault(name, (path, line))
    return out


def _strings_read(analysis, reach: set[str]) -> set[str]:
    """Strings used (not only at production or drop sites) in the modules of ``reach``."""
    reads = set()
    for path in reach:
        if "::" in path:
            continue
        facts = analysis.symbols.get(path, {})
        site_only = facts.get("columns", {}).get("site_only", ())
        reads.update(n for n in facts.get("strings", ()) if n not in site_only)
    return reads


def _label_columns(project, analysis) -> set[str]:
    """Label columns: never expected at serving time (from the code, and ``target:`` config keys)."""
    targets = {t for facts in analysis.symbols.values() for t in facts.get("columns", {}).get("targets", ())}
    for file in project.files.values():
        if file.kind == "config" and isinstance(file.data, dict):
            # YAML 1.1 reads a workflow's `on:` key as the boolean True: keys are not always strings
            targets.update(v for k, v in file.data.items()
                           if isinstance(v, str) and isinstance(k, str) and k.lower() in ("target", "label"))
    return targets
