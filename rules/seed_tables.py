"""What mlaudit knows about randomness in ML libraries, as plain tables.

Extend these tables to teach the seed rules (ML201-ML204) a new library; no visitor code needs
to change. Names are fully qualified as the import resolves them (``np.random.rand`` is
``numpy.random.rand``).

Semantics, checked against each library's source:
- ``library`` is the global RNG a draw falls back to when it gets no seed argument, so that a
  seed setter for that library (``SEED_SETTERS``) earlier on every path pins it. scikit-learn
  estimators and pandas ``sample`` with ``random_state=None`` use numpy's global RandomState
  (``check_random_state(None)`` returns ``np.random.mtrand._rand``), so ``np.random.seed``
  pins them; ``DataLoader(shuffle=True)`` and ``random_split`` draw their seed from torch's
  default generator, so ``torch.manual_seed`` pins them (and, since PyTorch 1.9, the per-worker
  seeds of ``random``, numpy and torch derive from it too, so workers need no extra seeding).
- ``library=None``: no global seed reaches it; only its own seed argument pins it
  (``np.random.default_rng()``, ``random.Random()``, optuna samplers, hyperopt's ``rstate``).
- ``fixed_default``: the library uses a fixed seed when none is given (XGBoost ``seed=0``,
  LightGBM's C++ default seeds, CatBoost ``random_seed=0``, ``TrainingArguments(seed=42)``,
  JAX keys, which need a seed anyway). Only a seed argument whose value is not a pin
  (``time.time()``, ``os.urandom``, an unseeded draw) is reported for these.
- ``lazy``: the object draws when it is used, not when it is built. A scikit-learn estimator or
  splitter reads numpy's global state in ``fit``/``split``; a ``DataLoader``/sampler draws its seed
  from torch's generator at each iteration. A seed set later in the same function, before the
  object is used, pins them (Hugging Face examples build loaders, then call ``set_seed``).
- ``when``: the call only draws under a condition on one keyword: (keyword, value that makes it
  random, value assumed when the keyword is absent). A non-constant value is treated as unknown
  and not reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Draw:
    library: str | None  # global RNG that pins it when seeded; None: only its own argument does
    seed_args: tuple[str, ...] = ()  # keyword(s) that take the seed
    seed_position: int | None = None  # positional index of the seed argument, if any
    fixed_default: bool = False  # deterministic without a seed: only non-pin seed values count
    when: tuple[str, object, object] | None = None  # (keyword, random value, default)
    lazy: bool = False  # draws when used (fit, split, iteration), not when built: a seed later in
    #                     the same scope still pins it


def _family(prefix: str, names: str, draw: Draw) -> dict[str, Draw]:
    return {f"{prefix}.{name}": draw for name in names.split()}


# -- Python's random module ---------------------------------------------------------------------
RANDOM_FUNCTIONS = """random uniform randint randrange choice choices shuffle sample gauss normalvariate
lognormvariate expovariate vonmisesvariate gammavariate betavariate paretovariate weibullvariate
triangular getrandbits randbytes binomialvariate"""

# -- numpy: the legacy global API (what ruff's NPY002 covers) ------------------------------------
NUMPY_LEGACY = """beta binomial bytes chisquare choice dirichlet exponential f gamma geometric gumbel
hypergeometric laplace logistic lognormal logseries multinomial multivariate_normal negative_binomial
noncentral_chisquare noncentral_f normal pareto permutation poisson power rand randint randn random
random_integers random_sample ranf rayleigh sample shuffle standard_cauchy standard_exponential
standard_gamma standard_normal standard_t triangular uniform vonmises wald weibull zipf"""

# -- PyTorch ---------------------------------------------------------------------------------------
TORCH_FUNCTIONS = "rand rand_like randn randn_like randint randint_like randperm multinomial normal bernoulli poisson"
TORCH_INIT = """uniform_ normal_ trunc_normal_ xavier_uniform_ xavier_normal_ kaiming_uniform_
kaiming_normal_ orthogonal_ sparse_"""
# Layers whose constructor initialises weights from torch's global generator.
TORCH_LAYERS = """Linear Bilinear LazyLinear Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d
ConvTranspose3d Embedding EmbeddingBag RNN LSTM GRU RNNCell LSTMCell GRUCell MultiheadAttention
Transformer TransformerEncoderLayer TransformerDecoderLayer"""

# -- TensorFlow / Keras ----------------------------------------------------------------------------
TF_RANDOM = "uniform normal truncated_normal shuffle categorical gamma poisson"
KERAS_INITIALIZERS = """GlorotUniform GlorotNormal HeNormal HeUniform LecunNormal LecunUniform
RandomNormal RandomUniform TruncatedNormal Orthogonal VarianceScaling glorot_uniform glorot_normal
he_normal he_uniform lecun_normal lecun_uniform"""

# -- scikit-learn (and imbalanced-learn), matched by class name anywhere under the package --------
# Only classes whose default configuration really draws; those random only under an option
# carry a condition (SVC draws only for probability=True; KFold only with shuffle=True).
SKLEARN_ALWAYS = """train_test_split ShuffleSplit StratifiedShuffleSplit GroupShuffleSplit
RepeatedKFold RepeatedStratifiedKFold RandomizedSearchCV HalvingRandomSearchCV HalvingGridSearchCV
permutation_test_score resample shuffle permutation_importance mutual_info_classif
mutual_info_regression DecisionTreeClassifier DecisionTreeRegressor ExtraTreeClassifier
ExtraTreeRegressor RandomForestClassifier RandomForestRegressor ExtraTreesClassifier
ExtraTreesRegressor GradientBoostingClassifier GradientBoostingRegressor
HistGradientBoostingClassifier HistGradientBoostingRegressor IsolationForest RandomTreesEmbedding
BaggingClassifier BaggingRegressor AdaBoostClassifier AdaBoostRegressor KMeans MiniBatchKMeans
BisectingKMeans SpectralClustering GaussianMixture BayesianGaussianMixture MLPClassifier
MLPRegressor SGDClassifier SGDRegressor SGDOneClassSVM Perceptron PassiveAggressiveClassifier
PassiveAggressiveRegressor TSNE MDS SpectralEmbedding TruncatedSVD LatentDirichletAllocation
FastICA DictionaryLearning MiniBatchDictionaryLearning SparseRandomProjection
GaussianRandomProjection RBFSampler Nystroem SkewedChi2Sampler RANSACRegressor TheilSenRegressor
make_classification make_regression make_blobs make_moons make_circles make_friedman1
make_friedman2 make_friedman3 make_s_curve make_swiss_roll make_low_rank_matrix
make_sparse_uncorrelated make_multilabel_classification make_gaussian_quantiles make_hastie_10_2
make_spd_matrix make_sparse_spd_matrix make_biclusters make_checkerboard make_sparse_coded_signal
SMOTE ADASYN BorderlineSMOTE SVMSMOTE RandomOverSampler RandomUnderSampler"""
SKLEARN_SHUFFLED = "KFold StratifiedKFold GroupKFold StratifiedGroupKFold"
SKLEARN_NUMPY = Draw("numpy", ("random_state",))
SKLEARN_NUMPY_LAZY = Draw("numpy", ("random_state",), lazy=True)  # classes draw in fit/split

DRAWS: dict[str, Draw] = {
    **_family("random", RANDOM_FUNCTIONS, Draw("random")),
    "random.Random": Draw(None, ("x",), 0),
    **_family("numpy.random", NUMPY_LEGACY, Draw("numpy")),
    "numpy.random.default_rng": Draw(None, ("seed",), 0),
    "numpy.random.RandomState": Draw(None, ("seed",), 0),
    **_family("numpy.random", "PCG64 PCG64DXSM MT19937 Philox SFC64", Draw(None, ("seed",), 0)),
    **_family("torch", TORCH_FUNCTIONS, Draw("torch", ("generator",))),
    **_family("torch.nn.init", TORCH_INIT, Draw("torch", ("generator",))),
    **_family("torch.nn", TORCH_LAYERS, Draw("torch")),
    "torch.utils.data.DataLoader": Draw("torch", ("generator", "sampler"), when=("shuffle", True, False), lazy=True),
    "torch.utils.data.random_split": Draw("torch", ("generator",)),
    **_family("torch.utils.data", "RandomSampler SubsetRandomSampler WeightedRandomSampler",
              Draw("torch", ("generator",), lazy=True)),
    **_family("tensorflow.random", TF_RANDOM, Draw("tensorflow", ("seed",))),
    **_family("tensorflow.keras.initializers", KERAS_INITIALIZERS, Draw("tensorflow", ("seed",))),
    **_family("keras.initializers", KERAS_INITIALIZERS, Draw("tensorflow", ("seed",))),
    "jax.random.PRNGKey": Draw(None, ("seed",), 0, fixed_default=True),
    "jax.random.key": Draw(None, ("seed",), 0, fixed_default=True),
    **_family("xgboost", "XGBClassifier XGBRegressor XGBRanker XGBRFClassifier XGBRFRegressor",
              Draw(None, ("random_state", "seed"), fixed_default=True)),
    **_family("lightgbm", "LGBMClassifier LGBMRegressor LGBMRanker",
              Draw(None, ("random_state", "seed", "bagging_seed", "feature_fraction_seed", "data_random_seed",
                          "drop_seed", "extra_seed", "objective_seed"), fixed_default=True)),
    **_family("catboost", "CatBoostClassifier CatBoostRegressor CatBoostRanker CatBoost",
              Draw(None, ("random_seed", "random_state"), fixed_default=True)),
    "hyperopt.fmin": Draw(None, ("rstate",)),
    "hyperopt.fmin.fmin": Draw(None, ("rstate",)),
    **_family("optuna.samplers", """TPESampler RandomSampler CmaEsSampler NSGAIISampler NSGAIIISampler
              QMCSampler GPSampler BruteForceSampler MOTPESampler""", Draw(None, ("seed",))),
    # Without a sampler, create_study builds an unseeded TPESampler.
    "optuna.create_study": Draw(None, ("sampler",)),
    "transformers.TrainingArguments": Draw(None, ("seed", "data_seed"), fixed_default=True),
    "transformers.Seq2SeqTrainingArguments": Draw(None, ("seed", "data_seed"), fixed_default=True),
}

# scikit-learn and imbalanced-learn are matched by (top-level package, name): classes are
# re-exported from many submodules.
PACKAGE_DRAWS: dict[tuple[str, str], Draw] = {
    **{(package, name): SKLEARN_NUMPY_LAZY if name[0].isupper() else SKLEARN_NUMPY
       for package in ("sklearn", "imblearn") for name in SKLEARN_ALWAYS.split()},
    **{("sklearn", name): Draw("numpy", ("random_state",), when=("shuffle", True, False), lazy=True)
       for name in SKLEARN_SHUFFLED.split()},
    ("sklearn", "train_test_split"): Draw("numpy", ("random_state",), when=("shuffle", True, True)),
    ("sklearn", "SVC"): Draw("numpy", ("random_state",), when=("probability", True, False), lazy=True),
    ("sklearn", "learning_curve"): Draw("numpy", ("random_state",), when=("shuffle", True, False)),
    # Ray Tune search algorithms build their own generators from these arguments.
    ("ray", "HyperOptSearch"): Draw(None, ("random_state_seed",)),
    ("ray", "OptunaSearch"): Draw(None, ("seed", "sampler")),
}

# Methods called on objects mlaudit cannot type (``df.sample(frac=0.1)``), recognised only in
# modules that import the package named first: (required import, Draw).
METHOD_DRAWS: dict[str, tuple[str, Draw]] = {
    "sample": ("pandas", Draw("numpy", ("random_state",))),  # pandas uses numpy's global state
    "shuffle": ("tensorflow", Draw("tensorflow", ("seed",), 1)),  # tf.data.Dataset.shuffle
    "random_shuffle": ("ray", Draw(None, ("seed",))),  # ray.data.Dataset
    "random_sample": ("ray", Draw(None, ("seed",))),
    "train_test_split": ("ray", Draw(None, ("seed",), when=("shuffle", True, False))),
    **{name: ("torch", Draw("torch", ("generator",)))
       for name in "normal_ uniform_ random_ bernoulli_ exponential_ cauchy_ log_normal_ geometric_".split()},
}
# HF datasets' Dataset.shuffle(seed=None) draws its seed from numpy's global state.
DATASETS_SHUFFLE = Draw("numpy", ("seed",))
# Receivers that are random generators themselves: their methods are pinned where they were made.
GENERATOR_NAMES = ("rng", "random_state", "generator", "gen", "prng", "rs")

# -- Seed setters: call -> libraries it seeds --------------------------------------------------
_LIGHTNING = ("random", "numpy", "torch")
SEED_SETTERS: dict[str, tuple[str, ...]] = {
    "random.seed": ("random",),
    "numpy.random.seed": ("numpy",),
    "torch.manual_seed": ("torch",),
    "torch.random.manual_seed": ("torch",),
    "tensorflow.random.set_seed": ("tensorflow",),
    "tensorflow.set_random_seed": ("tensorflow",),
    "tensorflow.compat.v1.set_random_seed": ("tensorflow",),
    "tensorflow.keras.utils.set_random_seed": ("random", "numpy", "tensorflow"),
    "keras.utils.set_random_seed": ("random", "numpy", "tensorflow", "torch"),
    "transformers.set_seed": ("random", "numpy", "torch", "tensorflow"),
    "transformers.trainer_utils.set_seed": ("random", "numpy", "torch", "tensorflow"),
    "transformers.enable_full_determinism": ("random", "numpy", "torch", "tensorflow"),
    "accelerate.utils.set_seed": ("random", "numpy", "torch"),
    "pytorch_lightning.seed_everything": _LIGHTNING,
    "pytorch_lightning.utilities.seed.seed_everything": _LIGHTNING,
    "lightning.seed_everything": _LIGHTNING,
    "lightning.pytorch.seed_everything": _LIGHTNING,
    "lightning.fabric.seed_everything": _LIGHTNING,
    "lightning_fabric.utilities.seed.seed_everything": _LIGHTNING,
    "ray.train.torch.enable_reproducibility": ("random", "numpy", "torch"),
}
# Setters allowed without an argument (they then use a fixed or logged default).
SETTERS_WITHOUT_ARGUMENT = {"transformers.enable_full_determinism", "ray.train.torch.enable_reproducibility",
                            "pytorch_lightning.seed_everything", "lightning.seed_everything",
                            "lightning.pytorch.seed_everything", "lightning.fabric.seed_everything",
                            "lightning_fabric.utilities.seed.seed_everything",
                            "pytorch_lightning.utilities.seed.seed_everything"}

# -- Values that are not pins ----------------------------------------------------------------------
NON_PIN_SOURCES = {
    "time.time", "time.time_ns", "time.perf_counter", "time.perf_counter_ns", "time.monotonic",
    "time.monotonic_ns", "time.process_time", "datetime.datetime.now", "datetime.datetime.utcnow",
    "datetime.datetime.today", "datetime.now", "os.urandom", "os.getpid", "uuid.uuid1", "uuid.uuid4",
    "random.SystemRandom", "numpy.random.SeedSequence",
}
NON_PIN_PREFIXES = ("secrets.",)

# -- GPU determinism -------------------------------------------------------------------------------
CUDNN_BENCHMARK = "torch.backends.cudnn.benchmark"
DETERMINISM_SWITCHES = {"torch.backends.cudnn.deterministic", "torch.use_deterministic_algorithms",
                        "tensorflow.config.experimental.enable_op_determinism",
                        "transformers.enable_full_determinism", "ray.train.torch.enable_reproducibility"}

# -- Recording a seed with the run -----------------------------------------------------------------
# Calls whose last name is one of these record what they are given (loggers, trackers, print).
RECORDING_CALLS = {"info", "debug", "warning", "log", "print", "log_param", "log_params", "set_tag",
                   "set_tags", "log_dict", "log_hyperparams", "save_hyperparameters", "update", "init",
                   "log_text", "add_hparams", "dump", "write", "save", "echo", "log_config"}


def lookup_draw(qualified: str) -> Draw | None:
    """The table entry for a qualified call name, if it draws randomness."""
    draw = DRAWS.get(qualified)
    if draw is not None:
        return draw
    top, _, rest = qualified.partition(".")
    if rest:
        return PACKAGE_DRAWS.get((top, rest.rsplit(".", 1)[-1]))
    return None


def is_non_pin_source(qualified: str) -> bool:
    return qualified in NON_PIN_SOURCES or qualified.startswith(NON_PIN_PREFIXES)


# Code whose randomness is its purpose: it fakes data or events for a demo, a load test or a
# monitoring dashboard ("dummy_metrics", "simulate_traffic", "make_fake_users"). A module or
# function named with one of these words is not asked to pin its draws.
_SIMULATION = re.compile(r"(?:^|_)(?:dummy|fake|faker|mock|simulate|simulated|simulation|simulator|"
                         r"chaos|load_?test|locust)(?:_|$)", re.I)


def generates_random_data(name: str) -> bool:
    """A module stem or function name that says it produces random data on purpose."""
    return bool(_SIMULATION.search(name))


# The same intent said in a comment over the draws ("# Mocked metrics, randomized each run for the
# demo", "# fake traffic"): the comment paragraph just above a draw is read, never one further away.
_SIMULATION_COMMENT = re.compile(r"\b(?:dummy|fake[ds]?|faker|mock(?:ed|s)?|simulat(?:e|es|ed|ing|ion|or)|"
                                 r"synthetic)\b", re.I)
COMMENT_REACH = 6  # code lines between a draw and the comment that heads its paragraph


def says_random_on_purpose(lines_above: list[str]) -> bool:
    """``lines_above``: the source lines above a draw, nearest first. True when the comment that
    heads the draw's paragraph (no blank line between) says the data is mocked or simulated."""
    code_lines = 0
    for raw in lines_above:
        text = raw.strip()
        if not text:
            return False
        if text.startswith("#"):
            if _SIMULATION_COMMENT.search(text):
                return True
            continue
        code_lines += 1
        if code_lines > COMMENT_REACH:
            return False
    return False


# Names a project gives its seed (a constant, a parameter, a config field): `mlaudit fix` passes the
# one in scope to an unseeded draw rather than inventing a new seed.
SEED_NAMES = frozenset({"seed", "SEED", "random_seed", "RANDOM_SEED", "random_state", "RANDOM_STATE",
                        "global_seed", "GLOBAL_SEED", "seed_value", "SEED_VALUE", "rng_seed", "RNG_SEED"})
# Seed arguments that take a plain number, so `mlaudit fix` can pass the project's seed. Others take
# a generator object (torch's `generator=`, hyperopt's `rstate=`): a person builds that one.
INTEGER_SEED_ARGUMENTS = frozenset({"random_state", "seed", "random_seed", "seed_value", "rng_seed"})
