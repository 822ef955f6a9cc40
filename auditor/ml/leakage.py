"""What mlaudit knows about data leakage: which calls learn from rows, which split them, which
evaluate a model on held-out rows, as plain tables read by the row-flow analysis
(``auditor/analysis/row_flow.py``) and the data-leakage rules (ML6xx).

Names are fully qualified as the import resolves them (``from sklearn.preprocessing import
StandardScaler`` makes ``sklearn.preprocessing.StandardScaler``). Extend the tables to teach the
rules a new library; the analysis does not change.

What a fitted step learns decides how much a leak through it matters (``Learner.learns``):
- ``statistics``: means, variances, quantiles, components, selected features, idf weights, target
  means: numbers computed from every row it saw, so test rows shape the training features;
- ``vocabulary``: only the set of categories or tokens; a leak of the vocabulary rarely changes a
  score, so it is reported at low confidence (hidden by default);
- ``rows``: a sampler that copies or synthesises rows; before a split, copies of a row land on both
  sides (overlap leakage);
- ``labels``: the classes of the labels (``LabelEncoder``), or nothing from the rows' values
  (``PolynomialFeatures``, ``Normalizer``): followed, never reported.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Learner:
    learns: str  # "statistics" | "vocabulary" | "rows"
    valid: str  # the fit done right
    invalid: str  # the fit that leaks
    # learns from the labels too (feature selection, target encoding) or makes rows: a leak into
    # cross-validation folds moves the score; an unsupervised scaler's hardly does
    supervised: bool = False


_SCALER = Learner("statistics", "scaler.fit(X_train); X_test = scaler.transform(X_test)",
                  "X = scaler.fit_transform(X); X_train, X_test = train_test_split(X)")
_IMPUTER = Learner("statistics", "imputer.fit(X_train)", "imputer.fit(X) before train_test_split(X)")
_ENCODER = Learner("vocabulary", "encoder.fit(X_train[cols])", "encoder.fit(X[cols]) before the split")
# Encoders meant for the labels (scikit-learn says so): the set of classes is no leak, so a fit of
# them is followed (its output is known) but never reported.
_LABELS = Learner("labels", "LabelEncoder().fit(y_train)", "(none: the classes of the labels are not a leak)")
# Transformers whose fit learns nothing from the values of the rows (the number of columns at most):
# followed, never reported, like the labels' encoders.
_STATELESS = Learner("labels", "PolynomialFeatures(2).fit_transform(X) before the split",
                     "(none: the powers of a row's own values are no leak)")
_TARGET_ENCODER = Learner("statistics", "Pipeline([('enc', TargetEncoder()), ('model', m)]) under cross_val_score",
                          "TargetEncoder().fit_transform(X, y) before the split", supervised=True)
_VECTORISER = Learner("statistics", "tfidf.fit(texts_train)", "tfidf.fit_transform(all_texts) before the split")
_COUNTER = Learner("vocabulary", "CountVectorizer().fit(texts_train)", "CountVectorizer().fit(all_texts) before the split")
_SELECTOR = Learner("statistics", "SelectKBest(k=10).fit(X_train, y_train)", "SelectKBest(k=10).fit_transform(X, y) before the split",
                    supervised=True)
_PROJECTION = Learner("statistics", "PCA(10).fit(X_train)", "PCA(10).fit_transform(X) before the split")
_OVERSAMPLER = Learner("rows", "SMOTE().fit_resample(X_train, y_train)", "SMOTE().fit_resample(X, y) before the split", supervised=True)


def _family(prefix: str, names: str, learner: Learner) -> dict[str, Learner]:
    return {f"{prefix}.{name}": learner for name in names.split()}


# Classes whose fit learns from the rows it is given (their transform then carries what they learnt).
LEARNERS: dict[str, Learner] = {
    **_family("sklearn.preprocessing", "StandardScaler MinMaxScaler RobustScaler MaxAbsScaler QuantileTransformer "
              "PowerTransformer KBinsDiscretizer SplineTransformer", _SCALER),
    **_family("sklearn.preprocessing", "OneHotEncoder OrdinalEncoder", _ENCODER),
    **_family("sklearn.preprocessing", "LabelEncoder LabelBinarizer MultiLabelBinarizer", _LABELS),
    **_family("sklearn.preprocessing", "PolynomialFeatures FunctionTransformer Binarizer Normalizer", _STATELESS),
    **_family("sklearn.feature_extraction.text", "HashingVectorizer", _STATELESS),
    **_family("sklearn.preprocessing", "TargetEncoder", _TARGET_ENCODER),
    **_family("sklearn.impute", "SimpleImputer KNNImputer IterativeImputer MissingIndicator", _IMPUTER),
    **_family("sklearn.feature_extraction.text", "TfidfVectorizer TfidfTransformer", _VECTORISER),
    **_family("sklearn.feature_extraction.text", "CountVectorizer", _COUNTER),
    **_family("sklearn.feature_extraction", "DictVectorizer", _ENCODER),
    **_family("sklearn.feature_selection", "SelectKBest SelectPercentile GenericUnivariateSelect RFE RFECV "
              "SelectFromModel VarianceThreshold SequentialFeatureSelector SelectFpr SelectFdr SelectFwe", _SELECTOR),
    **_family("sklearn.decomposition", "PCA IncrementalPCA KernelPCA TruncatedSVD FastICA NMF FactorAnalysis "
              "SparsePCA LatentDirichletAllocation", _PROJECTION),
    **_family("category_encoders", "TargetEncoder MEstimateEncoder JamesSteinEncoder LeaveOneOutEncoder "
              "CatBoostEncoder WOEEncoder GLMMEncoder", _TARGET_ENCODER),
    **_family("category_encoders", "OneHotEncoder OrdinalEncoder BinaryEncoder HashingEncoder", _ENCODER),
    **_family("imblearn.over_sampling", "SMOTE ADASYN RandomOverSampler BorderlineSMOTE SVMSMOTE KMeansSMOTE "
              "SMOTENC SMOTEN", _OVERSAMPLER),
    **_family("imblearn.combine", "SMOTEENN SMOTETomek", _OVERSAMPLER),
}
# A Keras preprocessing layer learns from the rows given to ``adapt``.
for _layer in ("Normalization", "Discretization"):
    for _prefix in ("tensorflow.keras.layers", "keras.layers", "tensorflow.keras.layers.experimental.preprocessing"):
        LEARNERS[f"{_prefix}.{_layer}"] = Learner("statistics", "norm.adapt(X_train)", "norm.adapt(X) before the split")

# Functions that oversample: sklearn.utils.resample copies rows when replace=True, and so does a
# frame's own ``df.sample(n, replace=True)``.
OVERSAMPLING_FUNCTIONS = {"sklearn.utils.resample": ("replace", True)}
OVERSAMPLING_METHODS = {"sample": ("replace", True)}

# Methods that fit (the first positional argument, or the keyword, holds the rows).
# (``fit_sample`` is imbalanced-learn's name for ``fit_resample`` before 0.4; tutorials still use it.)
FIT_METHODS = frozenset({"fit", "fit_transform", "fit_resample", "fit_sample", "partial_fit", "adapt"})
ROWS_KEYWORDS = ("X", "x", "raw_documents", "data")
# Methods whose result carries what the object learnt, row for row.
APPLY_METHODS = frozenset({"transform", "fit_transform", "predict", "predict_proba", "predict_log_proba",
                           "decision_function", "fit_resample", "fit_sample"})
# Methods that score the object on the rows given.
SCORE_METHODS = frozenset({"score", "evaluate"})

# Split functions: how their outputs map to their inputs. train_test_split returns, for each array
# given, its train part then its test part; random_split returns one part per length.
SPLIT_FUNCTIONS = {
    "sklearn.model_selection.train_test_split": "pairs",
    "sklearn.cross_validation.train_test_split": "pairs",
}

# Cross-validation that fits and scores a clone of the estimator on folds of the rows given
# (estimator first, then X): rows that a step fitted before it saw are in every held-out fold.
CROSS_VALIDATION = frozenset({f"sklearn.model_selection.{name}" for name in (
    "cross_val_score", "cross_validate", "cross_val_predict", "learning_curve", "validation_curve",
    "permutation_test_score")})
# Splitters whose folds are drawn at random from the rows (with ``shuffle=True`` for the K-fold kinds):
# on rows in time order they train on the future of the rows they test.
SHUFFLING_SPLITTERS = frozenset({f"sklearn.model_selection.{name}" for name in ("ShuffleSplit", "StratifiedShuffleSplit")})
SHUFFLABLE_SPLITTERS = frozenset({f"sklearn.model_selection.{name}" for name in (
    "KFold", "StratifiedKFold", "RepeatedKFold", "RepeatedStratifiedKFold")})
# Searches whose fit cross-validates on the rows given, and the splitter classes.
SEARCHES = frozenset({f"sklearn.model_selection.{name}" for name in (
    "GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV")})

# Modules whose classes are models: a literal list or dict of two or more of them, walked by a loop
# that fits and scores each, is a comparison of models (the test set picks one when the best is kept).
MODEL_PREFIXES = tuple(f"sklearn.{name}." for name in (
    "linear_model", "ensemble", "tree", "svm", "neighbors", "naive_bayes", "neural_network", "discriminant_analysis",
    "gaussian_process", "dummy")) + ("xgboost.", "lightgbm.", "catboost.")

# Metrics: a call to any of these on held-out rows is an evaluation.
METRIC_PREFIXES = ("sklearn.metrics.",)

# Keywords of fit that pass validation rows (Keras, XGBoost, LightGBM, CatBoost).
VALIDATION_KEYWORDS = frozenset({"validation_data", "eval_set", "valid_sets", "evals"})
# What makes the validation rows choose the model: early stopping or keeping the best epoch.
EARLY_STOPPING_KEYWORDS = frozenset({"early_stopping_rounds", "early_stopping", "use_best_model"})
EARLY_STOPPING_CALLBACKS = ("EarlyStopping", "early_stopping", "ModelCheckpoint")

# pandas and numpy methods that compute a statistic over the rows of a frame or column.
STATISTIC_METHODS = frozenset({"mean", "median", "std", "var", "mode", "quantile", "min", "max"})
# ``df.groupby(key)[col].transform("mean")``: a statistic of each group over all the rows given,
# written back row by row (target encoding when ``col`` is the label).
GROUP_METHODS = frozenset({"groupby"})
GROUP_TRANSFORM_METHODS = frozenset({"transform"})
# Methods whose result is a subset of the rows (a split when named for a side).
ROW_SUBSET_METHODS = frozenset({"sample", "head", "tail", "drop", "iloc", "loc", "query"})
# Functions that keep their first argument's rows in order (wrapping, element-wise maths).
ROW_PRESERVING_FUNCTIONS = frozenset({f"numpy.{name}" for name in (
    "array", "asarray", "log", "log1p", "sqrt", "exp", "abs", "float32", "float64", "squeeze", "ravel")}
    | {"pandas.DataFrame", "pandas.Series", "pandas.get_dummies", "pandas.to_numeric", "pandas.to_datetime",
       "pandas.to_timedelta"})
# Functions that stack several row sets into one.
CONCAT_FUNCTIONS = frozenset({"pandas.concat", "numpy.concatenate", "numpy.vstack", "numpy.row_stack", "numpy.append"})

# Calls that read or make a data set: their result is new rows, whatever their arguments hold.
READ_PREFIXES = ("pandas.read_", "numpy.load", "numpy.genfromtxt", "numpy.loadtxt", "sklearn.datasets.",
                 "polars.read_", "datasets.load_dataset")

# Of those, the ones whose first argument names what they read (a path, a dataset id).
PATH_READ_PREFIXES = tuple(p for p in READ_PREFIXES if p != "sklearn.datasets.")

# A module that imports none of these holds no rows the analysis could follow.
DATA_LIBRARIES = frozenset({"sklearn", "imblearn", "pandas", "numpy", "keras", "tensorflow", "torch", "xgboost",
                            "lightgbm", "catboost", "category_encoders", "polars", "datasets"})

# Words without which a module can have no leak to report: something that learns from rows, and
# something that scores held-out rows (the names of the tables above, as they appear in source).
FIT_WORDS = ("fit", "resample", ".adapt(", ".mean(", ".median(", ".std(", ".var(", ".mode(", ".quantile(", ".min(",
             ".max(")
EVALUATION_WORDS = ("score", "evaluate", "metrics", "validation_data", "eval_set", "valid_sets", "evals", "cross_val",
                    "_curve", "SearchCV", "_error", "accuracy", "report", "confusion_matrix")
# ... or a split or cross-validation of rows with lag features (ML605).
SPLIT_WORDS = ("train_test_split", "cross_val", "_curve")
# ... or a fit given labels, where the target may be among the features (ML604).
TARGET_FIT_WORDS = (".fit(",)

# Time order: a frame sorted or indexed by a column named for time, whose features then look at
# other rows (lags, rolling windows), is a time series; a shuffled split of it trains on the future.
TIME_COLUMN = re.compile(r"(date|time|day|month|year|week|timestamp|period|^dt$|^ds$)", re.I)
ORDERING_METHODS = frozenset({"sort_values", "set_index", "sort_index"})
LAG_METHODS = frozenset({"shift", "rolling", "diff", "pct_change", "ewm", "expanding"})
WINDOW_METHODS = frozenset({"rolling", "ewm", "expanding"})  # their mean() and std() are per row


def reads_later_rows(method: str, call: ast.Call) -> bool:
    """``shift(-1)``, ``shift(periods=-7)``, ``diff(-1)``, ``pct_change(-1)``: each row gets a later
    row's value; ``rolling(5, center=True)``: a window that reaches forward."""
    if method == "rolling":
        return any(k.arg == "center" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords)
    if method not in ("shift", "diff", "pct_change"):
        return False
    periods = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "periods"), None)
    return (isinstance(periods, ast.UnaryOp) and isinstance(periods.op, ast.USub) and isinstance(periods.operand, ast.Constant)
            and isinstance(periods.operand.value, int) and periods.operand.value > 0)

# Group leakage: a column that names an entity (a user, a customer, a patient, a device). A frame
# computed row by row within the groups of such a column (a transform, a cumulative count, a lag per
# group) holds several rows per entity; a split by rows then puts one entity's rows on both sides,
# where GroupShuffleSplit or GroupKFold keeps them together.
ENTITY_COLUMN = re.compile(r"(^|_)(user|customer|client|patient|subject|account|member|device|player|driver|"
                           r"household|person|visitor)s?_?(id)?$", re.I)
GROUP_ROW_METHODS = frozenset({"transform", "shift", "diff", "cumsum", "cumcount", "cummax", "cummin", "cumprod", "rank",
                               "pct_change", "rolling", "expanding", "ewm", "ffill", "bfill", "fillna"})

# Names that say which side of a split a variable holds (x_train, X_test, df_val, valid_y, holdout).
_HELD_OUT_WORD = re.compile(r"(^|_|^[xy])(test|tests|val|va|valid|validation|dev|holdout|eval)([xy]$|_|\d|$)", re.I)
_VALIDATION_WORD = re.compile(r"(^|_|^[xy])(val|va|valid|validation|dev|eval)([xy]$|_|\d|$)", re.I)
_TRAIN_WORD = re.compile(r"(^|_|^[xy])(train|training|tr)([xy]$|_|\d|$)", re.I)


def side_of_name(name: str) -> int | None:
    """0 for a name that says train, 1 for one that says test or validation, else None."""
    if _HELD_OUT_WORD.search(name):
        return 1
    if _TRAIN_WORD.search(name):
        return 0
    return None


def is_validation_name(name: str) -> bool:
    """A held-out name that says validation (tuning on it is its purpose), not test."""
    return bool(_VALIDATION_WORD.search(name))
