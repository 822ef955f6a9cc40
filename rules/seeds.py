"""Unpinned seeds, followed across the whole program.

The ``seeds`` extractor (``seed_extractor``) records, per module and scope, the random draws and
seed setters the tables in ``seed_tables`` describe, with the state of each seed argument.
``seed_flow`` joins those facts with the program graph, and the rules here report: a draw that
falls back to a library's global RNG is pinned when a seed for that library is set before it on
every path that reaches it (same function, module level, or a project helper such as
``set_seeds()`` called earlier by every caller).
"""

from __future__ import annotations

import re
from typing import Any

from auditor.ml.paths import is_test_support_path
from auditor.model.project import CONFIG
from auditor.pathnames import posix_path
from auditor.rule import Fix, Invalid, ProjectRule, Valid
from auditor.rules.seed_flow import SeedFlow, flow_node
from auditor.rules.seed_tables import INTEGER_SEED_ARGUMENTS, SETTERS_WITHOUT_ARGUMENT, generates_random_data
from auditor.rules.seed_values import NON_PIN, NONE, PIN

_SERVING = re.compile(r"(^|_)(serve|serving|server|predict|predictor|inference|infer|deploy|api|app)(_|$)", re.I)


def _has_seed_key(data: Any, depth: int = 0) -> bool:
    """Whether a parsed config has a key naming a seed (seed, random_state, random_seed, ...)."""
    if depth > 6:
        return False
    if isinstance(data, dict):
        return any((isinstance(k, str) and ("seed" in k.lower() or k.lower() == "random_state"))
                   or _has_seed_key(v, depth + 1) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_seed_key(v, depth + 1) for v in data[:200])
    return False


_SET_SEEDS_HELPER = (
    "import random\nimport numpy as np\n\n"
    "def set_seeds(seed=42):\n    random.seed(seed)\n    np.random.seed(seed)\n"
)


class UnseededRandomDraw(ProjectRule):
    """A random draw that no seed pins: different results on every run.

    A draw is pinned by its own seed argument (``random_state=``, ``seed=``, ``generator=``,
    ``rstate=``, a visible ``**params`` dict with such a key), or, for draws that fall back to a
    library's global RNG, by a seed for that library set earlier on every path that reaches it:
    in the same function, at module level, or in a project helper called earlier by every caller
    (followed across modules). scikit-learn and pandas with ``random_state=None`` use numpy's
    global RandomState, so ``np.random.seed`` pins them; ``np.random.default_rng()``,
    ``random.Random()``, optuna samplers and hyperopt ``fmin`` are pinned only by their own seed.
    Libraries with a fixed default seed (XGBoost, LightGBM, CatBoost, ``TrainingArguments``) are
    not reported. Objects that draw when used rather than built (estimators, splitters,
    ``DataLoader``) are pinned by a seed anywhere in their scope. A function that no project code
    calls (a library API, a framework callback) is left to its callers when the project seeds that
    library somewhere. Tests are not checked.
    """

    id = "ML201"
    fix = Fix("unsafe", "pass a seed to the draw: the project's seed in scope, or a SEED constant added once")

    @classmethod
    def fix_for(cls, finding):
        evidence = finding.evidence
        if evidence.get("library") is None and evidence.get("positional"):
            return {"applicability": "unsafe", "description": "pass the project's seed (or a SEED constant) "
                    "to the generator"}
        keywords = [k for k in evidence.get("seed_arguments") or [] if k in INTEGER_SEED_ARGUMENTS]
        if keywords:
            return {"applicability": "unsafe", "description": f"add {keywords[0]}= with the "
                    "project's seed in scope, or a SEED constant added once to the module"}
        # A global-RNG draw: the fix is a seed setter where the program starts, a person's call; and a
        # seed argument that takes a generator object (generator=, rstate=) is built by a person too.
        return None
    name = "unseeded-random-draw"
    category = "unpinned-seed"
    severity = "medium"
    confidence = "high"
    rationale = ("Two runs of the same code on the same data give different splits, initial weights and "
                 "models; a regression cannot be reproduced or bisected, and a metric change cannot be told "
                 "apart from noise. Per-file linters flag draws seeded by a helper in another module; this "
                 "rule follows the calls, so what it reports is really unseeded on some path.")
    remediation = ("Pass an explicit seed (random_state=SEED, seed=SEED, generator=torch.Generator()."
                   "manual_seed(SEED)) or call the project's seed helper (random, numpy, torch, tf) at the "
                   "start of every entry point that reaches this draw, and log the seed with the run.")
    examples = (
        Valid({"src/pkg/__init__.py": "",
               "src/pkg/utils.py": _SET_SEEDS_HELPER,
               "src/pkg/data.py": "import numpy as np\nfrom sklearn.model_selection import train_test_split\n\n"
                                  "def split(df):\n    np.random.shuffle(df)\n    return train_test_split(df)\n",
               "src/pkg/train.py": "from pkg.utils import set_seeds\nfrom pkg.data import split\n\n"
                                   "def main():\n    set_seeds(7)\n    return split([1, 2, 3])\n\n"
                                   "if __name__ == '__main__':\n    main()\n"},
              note="seeds set by a helper in another module, called from the entry point before the draws"),
        Invalid({"src/pkg/__init__.py": "",
                 "src/pkg/utils.py": _SET_SEEDS_HELPER,
                 "src/pkg/data.py": "import numpy as np\n\n"
                                    "def split(df):\n    np.random.shuffle(df)\n    return df\n",
                 "src/pkg/train.py": "from pkg.utils import set_seeds\nfrom pkg.data import split\n\n"
                                     "def main():\n    split([1, 2, 3])\n    set_seeds(7)\n\n"
                                     "if __name__ == '__main__':\n    main()\n"},
                expect=[("src/pkg/data.py", 4)], note="the helper is called only after the draw"),
        Invalid({"src/pkg/__init__.py": "",
                 "src/pkg/utils.py": _SET_SEEDS_HELPER,
                 "src/pkg/data.py": "import random\n\ndef pick(xs):\n    return random.choice(xs)\n",
                 "src/pkg/train.py": "from pkg.utils import set_seeds\nfrom pkg.data import pick\n\n"
                                     "def main():\n    set_seeds(1)\n    return pick([1])\n\n"
                                     "if __name__ == '__main__':\n    main()\n",
                 "src/pkg/serve.py": "from pkg.data import pick\n\n"
                                     "if __name__ == '__main__':\n    print(pick([2]))\n"},
                expect=[("src/pkg/data.py", 4)], note="seeded on one path (train) but not on the other (serve)"),
        Valid("import random\nimport numpy as np\nimport torch\n\nrandom.seed(0)\nnp.random.seed(0)\n"
              "torch.manual_seed(0)\nx = random.random() + np.random.rand() + torch.rand(3).sum()\n"),
        Invalid("import random\nimport numpy as np\nimport torch\n\n"
                "a = random.random()\nb = np.random.randn(3)\nc = torch.randn(3)\nd = torch.randperm(5)\n"
                "random.seed(1)\n",
                expect=[5, 6, 7, 8], note="global draws, no seed (the random seed comes too late)"),
        Valid("import numpy as np\n\ndef train(x: np.ndarray) -> np.ndarray:\n    return x * 2\n",
              note="numpy imported only for type hints draws nothing"),
        Valid({"monitoring/dummy_metrics.py": "import random\n\nrand = random.Random()\n\n"
                                              "def write_row(cursor):\n    cursor.execute('insert', (rand.random(),))\n",
               "load/traffic.py": "import numpy as np\n\ndef simulate_requests(n):\n    return np.random.poisson(3, n)\n"},
              note="random data for a dashboard demo or a load test: the randomness is the point"),
        Valid("import random\n\n\ndef evaluate(model):\n    # Mocked scores, drawn anew each run to show metadata in the UI\n"
              "    r2 = random.uniform(0.7, 0.9)\n    mae = random.uniform(0.3, 1.9)\n    return r2, mae\n",
              note="a comment heading the draws says they are mocked on purpose (hooli false positive)"),
        Invalid("import random\n\n# mocked client for the demo\nclient = None\n\n\ndef split(rows):\n"
                "    # shuffle before the split\n    random.shuffle(rows)\n    return rows[:80], rows[80:]\n",
                expect=[9], note="a mock comment in another paragraph says nothing about this draw"),
        Valid("import numpy as np\nimport random\n\nrng = np.random.default_rng(42)\nr = random.Random(3)\n"
              "gen = np.random.RandomState(seed=1)\nx = rng.normal(size=3)\n"),
        Invalid("import numpy as np\nimport random\n\nrng = np.random.default_rng()\nr = random.Random()\n"
                "np.random.seed(0)\ngen = np.random.RandomState()\n",
                expect=[4, 5, 7], note="independent generators ignore the global seed"),
        # scikit-learn
        Valid("from sklearn.model_selection import train_test_split, KFold, GridSearchCV\n"
              "from sklearn.ensemble import RandomForestRegressor\n\n"
              "params = {'n_estimators': 10, 'random_state': 0}\n"
              "def fit(X, y):\n    a, b = train_test_split(X, random_state=1)\n    KFold(5)\n"
              "    KFold(5, shuffle=False)\n    train_test_split(X, shuffle=False)\n"
              "    return RandomForestRegressor(**params).fit(X, y)\n\n"
              "if __name__ == '__main__':\n    fit(1, 2)\n",
              note="explicit random_state, seed through a visible **params dict, unshuffled splitters"),
        Invalid("from sklearn.model_selection import train_test_split, StratifiedKFold, RandomizedSearchCV\n"
                "from sklearn import ensemble\nfrom sklearn.utils import resample, shuffle\n"
                "from sklearn.datasets import make_classification\n\n"
                "params = {'n_estimators': 10}\n"
                "X, y = make_classification()\n"
                "a = train_test_split(X, y, test_size=0.2)\n"
                "cv = StratifiedKFold(5, shuffle=True)\n"
                "model = ensemble.RandomForestClassifier(**params)\n"
                "s = RandomizedSearchCV(model, {}, random_state=None)\n"
                "r = resample(X)\nt = shuffle(X)\n",
                expect=[7, 8, 9, 10, 11, 12, 13]),
        Valid("from sklearn.ensemble import RandomForestRegressor\nRF_PARAMS = ['max_depth', 'random_state']\n\n"
              "def train(params):\n    new_params = {}\n    for p in RF_PARAMS:\n        new_params[p] = int(params[p])\n"
              "    extra = {'n_jobs': 2}\n    extra.update(params)\n"
              "    return RandomForestRegressor(**new_params), RandomForestRegressor(**extra)\n",
              note="dicts filled with keys we cannot read may carry random_state (mlops-zoomcamp register_model.py)"),
        Valid("from sklearn.model_selection import train_test_split\nfrom sklearn.svm import SVC\n\n"
              "def split(X, cfg):\n    SVC()\n    return train_test_split(X, **cfg)\n",
              note="**cfg from elsewhere may carry random_state: not reported; SVC without probability is deterministic"),
        Valid("import numpy as np\nimport pandas as pd\nfrom sklearn.cluster import KMeans\n\n"
              "np.random.seed(3)\ndf = pd.DataFrame({'a': [1, 2]})\ns = df.sample(frac=0.5)\nk = KMeans(2)\n",
              note="sklearn and pandas with random_state=None use numpy's global RandomState"),
        Invalid("import pandas as pd\n\ndf = pd.read_csv('x.csv')\ns = df.sample(frac=0.5)\nt = df.sample(10)\n"
                "u = df.sample(n=3, random_state=1)\n", expect=[4, 5]),
        # PyTorch
        Valid("import torch\nfrom torch.utils.data import DataLoader, random_split\n\n"
              "g = torch.Generator().manual_seed(0)\n"
              "def loaders(ds):\n    a, b = random_split(ds, [0.8, 0.2], generator=g)\n"
              "    return DataLoader(a, shuffle=True, generator=g), DataLoader(b, batch_size=4)\n"),
        Invalid("import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader\n\n"
                "def build(ds):\n    layer = nn.Linear(4, 2)\n    nn.init.xavier_uniform_(layer.weight)\n"
                "    layer.bias.data.normal_()\n    return DataLoader(ds, shuffle=True, num_workers=4)\n\n"
                "if __name__ == '__main__':\n    build([])\n",
                expect=[6, 7, 8, 9]),
        Valid("import torch\nfrom torch.utils.data import DataLoader\nfrom transformers import set_seed\n\n"
              "def training_function(ds):\n    loader = DataLoader(ds, shuffle=True)\n    set_seed(42)\n"
              "    for batch in loader:\n        pass\n\nif __name__ == '__main__':\n    training_function([])\n",
              note="a DataLoader draws its shuffling seed when iterated: set_seed later in the function pins it "
                   "(accelerate's examples)"),
        Valid("import numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\n\n"
              "model = RandomForestClassifier()\nnp.random.seed(0)\nmodel.fit([[0]], [0])\n",
              note="an estimator reads numpy's global state in fit, after the seed"),
        Valid({"lib/__init__.py": "", "lib/seeding.py": "import torch\n\ndef set_seed(s):\n    torch.manual_seed(s)\n",
               "lib/core.py": "import torch\n\nclass Engine:\n    def prepare(self):\n        return self._make()\n\n"
                              "    def _make(self):\n        return torch.empty(()).random_()\n"},
              note="a library method nobody in the project calls: its users seed torch (accelerate's data_loader.py)"),
        Valid("import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n"
              "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(3, 1)\n\n"
              "def main():\n    torch.manual_seed(0)\n    return Net()\n\nif __name__ == '__main__':\n    main()\n",
              note="layers built in __init__ of a model constructed after torch.manual_seed"),
        # TensorFlow / Keras / JAX
        Valid("import tensorflow as tf\n\ntf.random.set_seed(1)\nx = tf.random.uniform([2])\n"
              "init = tf.keras.initializers.GlorotUniform()\nds = tf.data.Dataset.range(9).shuffle(9)\n"),
        Invalid("import tensorflow as tf\nimport keras\n\nx = tf.random.normal([2])\n"
                "init = keras.initializers.HeNormal()\nds = tf.data.Dataset.range(9).shuffle(9)\n"
                "ok = tf.data.Dataset.range(9).shuffle(9, seed=3)\n",
                expect=[4, 5, 6]),
        Valid("import keras\nimport jax\n\nkeras.utils.set_random_seed(5)\nx = keras.initializers.HeNormal()\n"
              "key = jax.random.PRNGKey(0)\n"),
        # tuning, boosting, Hugging Face, Lightning
        Valid("import optuna\nfrom hyperopt import fmin, tpe\nimport numpy as np\n\n"
              "study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1))\n"
              "best = fmin(lambda x: x, {}, algo=tpe.suggest, max_evals=5, rstate=np.random.default_rng(1))\n"),
        Invalid("import optuna\nfrom hyperopt import fmin, tpe\n\n"
                "study = optuna.create_study(direction='minimize')\n"
                "other = optuna.create_study(sampler=optuna.samplers.RandomSampler())\n"
                "best = fmin(lambda x: x, {}, algo=tpe.suggest, max_evals=5)\n",
                expect=[4, 5, 6]),
        Invalid("from ray.tune.search.hyperopt import HyperOptSearch\nfrom ray.tune.search.optuna import OptunaSearch\n\n"
                "a = HyperOptSearch(points_to_evaluate=[{}])\nb = HyperOptSearch(random_state_seed=1)\n"
                "c = OptunaSearch(metric='loss')\n",
                expect=[4, 6], note="Ray Tune searchers (Made-With-ML's tune.py)"),
        Valid("import ray\nfrom ray.tune.search.hyperopt import HyperOptSearch\n\n"
              "ds = ray.data.read_csv('x.csv').random_shuffle(seed=1234)\nsearch = HyperOptSearch(random_state_seed=7)\n"),
        Invalid("import ray\n\nds = ray.data.read_csv('x.csv').random_shuffle()\n"
                "train, test = ds.train_test_split(test_size=0.2, shuffle=True)\n", expect=[3, 4]),
        Valid("import xgboost as xgb\nimport lightgbm as lgb\nfrom catboost import CatBoostClassifier\n"
              "from transformers import TrainingArguments, set_seed\n\n"
              "a = xgb.XGBClassifier()\nb = lgb.LGBMRegressor(bagging_seed=3)\nc = CatBoostClassifier()\n"
              "d = TrainingArguments('out')\nset_seed(1)\n",
              note="fixed default seeds are deterministic"),
        Valid("import numpy as np\nimport torch\nimport lightning as L\n\n"
              "L.seed_everything(42)\nx = np.random.rand(2)\ny = torch.randn(2)\n"),
        Invalid("import numpy as np\nimport torch\nfrom transformers import set_seed\n\n"
                "def main():\n    x = torch.randn(2)\n    set_seed(42)\n    return np.random.rand(2)\n\n"
                "if __name__ == '__main__':\n    main()\n",
                expect=[6], note="same function: only the draw before set_seed is unseeded"),
        # notebooks: cells run in order
        Invalid({"explore.ipynb": '{"cells": [{"cell_type": "code", "source": ["import numpy as np\\n",'
                                  ' "idx = np.random.choice(10, size=3)"]},'
                                  ' {"cell_type": "code", "source": ["np.random.seed(0)\\n", "j = np.random.rand()"]}],'
                                  ' "nbformat": 4}'},
                expect=[("explore.ipynb", 2, 1)]),
        Valid({"tests/test_model.py": "import numpy as np\n\ndef test_fit():\n    assert np.random.rand() < 2\n"},
              note="tests are not training code"),
        Invalid({"helpers.py": "import numpy as np\n\n\ndef scale(x):\n    return x * 2\n\n\n"
                               "if __name__ == '__main__':\n    np.random.seed(0)\n    print(scale(np.random.rand()))\n",
                 "train.py": "import numpy as np\nimport helpers\n\nnoise = np.random.rand(3)\nprint(helpers.scale(noise))\n"},
                expect=[("train.py", 4)], note="a seed under the main guard of an imported module does not run on import"),
        Valid("import numpy as np\n\nif __name__ == '__main__':\n    np.random.seed(0)\n    x = np.random.rand(3)\n",
              note="the main guard's seed pins the draws after it in the same block"),
        # units and processes: a seed pins only what runs after it in the same process
        Invalid({"lab_a/requirements.txt": "numpy\n",
                 "lab_a/train.py": "import numpy as np\n\nnp.random.seed(0)\nprint(np.random.rand())\n",
                 "lab_b/requirements.txt": "numpy\n",
                 "lab_b/augment.py": "import numpy as np\n\n\ndef jitter(x):\n    return x + np.random.normal(size=3)\n"},
                expect=[("lab_b/augment.py", 5)], note="a seed set in another project of the repository pins nothing here"),
        Valid({"lab_b/requirements.txt": "numpy\n", "lab_b/seeding.py": "import numpy as np\n\nnp.random.seed(0)\n",
               "lab_b/augment.py": "import numpy as np\n\n\ndef jitter(x):\n    return x + np.random.normal(size=3)\n"},
              note="a function nobody in the project calls is left to its callers when its own project seeds numpy"),
        Invalid({"flow.py": "import numpy as np\nfrom metaflow import FlowSpec, step\n\n\nclass TrainFlow(FlowSpec):\n"
                            "    @step\n    def start(self):\n        np.random.seed(0)\n        self.next(self.split)\n\n"
                            "    @step\n    def split(self):\n        self.order = np.random.permutation(10)\n"
                            "        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n\n\n"
                            "if __name__ == '__main__':\n    TrainFlow()\n"},
                expect=[("flow.py", 13)], note="each Metaflow step runs in a process of its own: start's seed does not pin split"),
    )

    def check(self, project):
        flow = SeedFlow(project)
        for path, facts in sorted(flow.facts.items()):
            if is_test_support_path(path):
                continue
            stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            for draw in facts.get("draws", []):
                if draw.get("state") != NONE:
                    continue
                if draw.get("on_purpose") or generates_random_data(stem) or any(
                        generates_random_data(part) for part in (draw["scope"] or "").split(".")):
                    continue  # random data for a demo or a load test: the randomness is the point
                yield from self._judge(flow, path, facts, draw)

    def _judge(self, flow: SeedFlow, path: str, facts: dict, draw: dict):
        line, shown, cell = draw["where"]
        node = flow_node(path, draw["scope"])
        library = draw["library"]
        spelling = draw["spelling"]
        evidence = {"call": draw["call"], "library": library, "seed_arguments": draw["seed_args"],
                    "positional": bool(draw.get("positional")), "scope": draw["scope"] or "<module>"}
        if library is None:
            args = "a seed" if draw.get("positional") or not draw["seed_args"] else \
                " or ".join(f"{a}=" for a in draw["seed_args"])
            message = f"{spelling}() without {args}: it is seeded from OS entropy on every run"
            confidence = "high"
        else:
            # a lazy draw (estimator, DataLoader) is used after it is built: any seed in its scope counts
            if library in flow.before(node, 10**9 if draw.get("lazy") else line):
                return
            path_text, root = flow.unseeded_path(node, library)
            # Known only when the unseeded path starts where execution starts (a module's top level,
            # an entry point, or a function that runs as a process of its own: a Metaflow step, an
            # Airflow task); any other function nobody in the project calls is run by a framework or a
            # user, probably after a seed that its own unit sets (another unit's seed pins nothing here).
            known = "::" not in root or root in flow.entries or flow.starts_process(root)
            seeded_somewhere = library in flow.seeded_in_unit(path)
            if not known and seeded_somewhere:
                return  # run by a caller we cannot see, probably after the seeding
            if path_text:
                evidence["unseeded_path"] = path_text
            if seeded_somewhere:
                evidence["seeded_elsewhere"] = flow.setter_places(library, near=path)[:5]
            confidence = ("high" if not seeded_somewhere else "medium") if known else "medium"
            args = " or ".join(f"{a}=" for a in draw["seed_args"])
            root = path_text[-1].split(" (")[0].replace("::", " ") if path_text else ""
            where = f" on the path from {root}" if root else ""
            message = (f"{spelling}() draws from {library}'s global RNG with no {library} seed set before it{where}"
                       + (f"; pass {args} or seed {library} first" if args else f"; seed {library} first"))
        yield self.finding(path, shown, message, cell=cell, confidence=confidence, symbol=None,
                           anchor=f"{draw['scope']}:{facts.get('lines', {}).get(str(line), spelling)}",
                           evidence=evidence)


class NonReproducibleSeed(ProjectRule):
    """A seed taken from the clock, OS entropy, a UUID or the process id: a new seed every run.

    ``random_state=int(time.time())`` or ``np.random.seed(os.urandom(4))`` look seeded but are not
    pins. A seed drawn from another unseeded draw (``random_state=np.random.randint(100)``) is
    reported where that draw is (ML201). A fallback (``args.seed or time.time()``) is reported at
    low confidence.
    """

    id = "ML202"
    name = "non-reproducible-seed"
    category = "unpinned-seed"
    severity = "medium"
    confidence = "high"
    rationale = ("A clock- or entropy-derived seed changes every run, so the run cannot be repeated; unless it "
                 "is logged, nobody can even recover it afterwards to reproduce a bad model.")
    remediation = "Use a fixed seed from the run's config or CLI (logged with the run) instead of time or entropy."
    examples = (
        Valid("import numpy as np\nimport random\nSEED = 3\nnp.random.seed(SEED)\nrandom.seed(int('7'))\n"),
        Invalid("import time, os, uuid\nimport numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\n\n"
                "np.random.seed(int(time.time()))\n"
                "m = RandomForestClassifier(random_state=os.getpid())\n"
                "seed = uuid.uuid4().int % 1000\nrng = np.random.default_rng(seed)\n",
                expect=[5, 6, 8]),
        Invalid("import random\nimport numpy as np\n\nrandom.seed()\nnp.random.seed(None)\nnp.random.seed(0)\n",
                expect=[4, 5], note="a setter without a seed reseeds from entropy"),
        Invalid("import time\nimport xgboost as xgb\nimport jax\n\n"
                "a = xgb.XGBClassifier(random_state=int(time.time()))\nk = jax.random.PRNGKey(time.time_ns())\n",
                expect=[5, 6], note="fixed-default libraries are still reported for a non-pin value"),
        Invalid("import os, time\nimport lightgbm as lgb\nfrom catboost import CatBoostClassifier\n"
                "from transformers import TrainingArguments\nimport lightning as L\n\n"
                "a = lgb.LGBMClassifier(feature_fraction_seed=os.getpid())\nb = CatBoostClassifier(random_seed=time.time_ns())\n"
                "c = TrainingArguments('out', data_seed=int(time.time()))\nL.seed_everything(int(time.time()))\n",
                expect=[7, 8, 9, 10]),
        Invalid("import time, argparse\nimport torch\n\ndef main(args):\n    torch.manual_seed(args.seed or int(time.time()))\n",
                expect=[5], note="a fallback to the clock: low confidence"),
        Valid("import numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\n\n"
              "m = RandomForestClassifier(random_state=np.random.randint(1000))\n",
              note="a seed drawn from numpy's global RNG is that draw's problem (ML201), not this rule's"),
    )

    def check(self, project):
        for path, facts in sorted(project.fact("seeds").items()):
            if is_test_support_path(path):
                continue
            for item in [*facts.get("draws", []), *facts.get("setters", [])]:
                if item.get("state") == NONE and "libraries" in item:  # random.seed(), np.random.seed(None)
                    line, shown, cell = item["where"]
                    yield self.finding(path, shown, f"{item['spelling']}() without a seed reseeds from OS entropy: "
                                       "a new seed every run", cell=cell,
                                       anchor=f"{item['scope']}:{facts.get('lines', {}).get(str(line), '')}",
                                       evidence={"call": item["call"], "source": "OS entropy"})
                    continue
                if item.get("state") != NON_PIN:
                    continue
                line, shown, cell = item["where"]
                fallback = item.get("fallback")
                message = (f"{item['spelling']}() is seeded from {item['detail']}(): a new seed every run"
                           + (" when no seed is given" if fallback else ""))
                yield self.finding(path, shown, message, cell=cell, confidence="low" if fallback else None,
                                   anchor=f"{item['scope']}:{facts.get('lines', {}).get(str(line), '')}",
                                   evidence={"call": item["call"], "source": item["detail"]})


class NondeterministicGpuKernels(ProjectRule):
    """``cudnn.benchmark = True`` in training code with no deterministic-algorithms switch in the project.

    cuDNN then picks the fastest convolution algorithm per run, and several are nondeterministic:
    seeds alone no longer make training repeatable. Not reported when the project also turns on
    ``torch.use_deterministic_algorithms(True)``, ``cudnn.deterministic = True``, TF op
    determinism or Lightning ``Trainer(deterministic=True)``.
    """

    id = "ML203"
    name = "nondeterministic-gpu-kernels"
    category = "unpinned-seed"
    severity = "low"
    confidence = "medium"
    rationale = ("With benchmark mode on and no deterministic algorithms, two runs with identical seeds give "
                 "different weights on GPU; a metric drift cannot be traced to code, data or chance.")
    remediation = ("Set torch.backends.cudnn.benchmark = False and torch.use_deterministic_algorithms(True) "
                   "(or cudnn.deterministic = True) in training; keep benchmark mode for inference only.")
    examples = (
        Valid("import torch\ntorch.backends.cudnn.benchmark = True\ntorch.backends.cudnn.deterministic = True\n"),
        Valid({"train.py": "import torch\ntorch.backends.cudnn.benchmark = True\n",
               "repro.py": "import torch\ntorch.use_deterministic_algorithms(True)\n"}),
        Invalid("import torch\nfrom torch.backends import cudnn\n\ndef setup():\n    cudnn.benchmark = True\n",
                expect=[5]),
        Invalid("import lightning as L\ntrainer = L.Trainer(benchmark=True)\n", expect=[2]),
        Valid({"src/serve.py": "import torch\ntorch.backends.cudnn.benchmark = True\n"}, note="inference code"),
    )

    def check(self, project):
        facts = {p: f for p, f in project.fact("seeds").items() if not is_test_support_path(p)}
        if any(f.get("deterministic") for f in facts.values()):
            return
        for path, f in sorted(facts.items()):
            if _SERVING.search(posix_path(path).stem):
                continue  # benchmark mode is the right choice for inference
            for line, shown, cell in f.get("benchmark", []):
                yield self.finding(path, shown, "cudnn benchmark mode on without deterministic algorithms: "
                                   "GPU results vary between runs with the same seed", cell=cell,
                                   anchor=f.get("lines", {}).get(str(line), "benchmark"),
                                   evidence={"switch": "benchmark", "deterministic_anywhere": False})


class UnrecordedSeed(ProjectRule):
    """A seed set from a run-time value (CLI argument, parameter) that is never logged or tracked.

    A literal seed is recorded by version control. A seed from ``args.seed`` or a function
    parameter is not, unless the project logs something named seed (logger, print, mlflow,
    wandb, Lightning ``save_hyperparameters``) or hands a whole config to an experiment tracker.
    Reported once per project, at the first such setter.
    """

    id = "ML204"
    name = "unrecorded-seed"
    category = "unpinned-seed"
    severity = "low"
    confidence = "medium"
    rationale = ("The code is pinned, but nobody can tell which seed produced a given model: a bad model cannot "
                 "be reproduced for debugging, and the run is not traceable.")
    remediation = "Log the seed with the run (mlflow.log_param('seed', seed), wandb.config, the run's log)."
    examples = (
        Valid("import random, logging\nlog = logging.getLogger()\n\ndef set_seeds(seed):\n"
              "    random.seed(seed)\n    log.info('seed=%d', seed)\n"),
        Valid("import random\nrandom.seed(42)\n", note="a literal seed is recorded by version control"),
        Valid("import random\nimport numpy as np\n\ndef set_seeds(seed: int = 42):\n    np.random.seed(seed)\n"
              "    random.seed(seed)\n", note="a parameter with a literal default (Made-With-ML's set_seeds)"),
        Valid("import random, mlflow\n\ndef main(args):\n    random.seed(args.seed)\n    mlflow.log_params(vars(args))\n",
              note="a whole config handed to a tracker"),
        Valid("import random, yaml\n\ndef main():\n    params = yaml.safe_load(open('params.yaml'))['prepare']\n"
              "    random.seed(params['seed'])\n", note="read from a config by key (example-get-started's prepare.py)"),
        Valid({"train.py": "import sys, random\nrandom.seed(int(sys.argv[1]))\n", "params.yaml": "train:\n  seed: 7\n"},
              note="a seed kept in a tracked config file"),
        Valid("import numpy as np\n\nfor seed in [0, 1, 2]:\n    np.random.seed(seed)\n    print(seed, np.random.rand())\n",
              note="seeds a loop takes from a literal list are written in the code"),
        Invalid({"src/utils.py": "import random\nimport numpy as np\n\ndef set_seeds(seed):\n"
                                 "    random.seed(seed)\n    np.random.seed(seed)\n",
                 "src/train.py": "import sys\nfrom utils import set_seeds\n\nset_seeds(int(sys.argv[1]))\n"},
                expect=[("src/utils.py", 5)]),
    )

    def check(self, project):
        facts = {p: f for p, f in project.fact("seeds").items() if not is_test_support_path(p)}
        if any(f.get("records_seed") or f.get("tracks_opaque") for f in facts.values()):
            return
        if any(_has_seed_key(f.data) for f in project.files.values() if f.kind == CONFIG):
            return  # a seed in a tracked config file (params.yaml, config.json, ...) is recorded by it
        for path, f in sorted(facts.items()):
            for setter in f.get("setters", []):
                if setter.get("state") == PIN and not setter.get("constant") and not setter.get("from_config") \
                        and setter["call"] not in SETTERS_WITHOUT_ARGUMENT:
                    line, shown, cell = setter["where"]
                    yield self.finding(path, shown, f"{setter['spelling']}() sets a seed that is never logged or "
                                       "tracked with the run", cell=cell,
                                       anchor=f.get("lines", {}).get(str(line), "seed"),
                                       evidence={"call": setter["call"]})
                    return
