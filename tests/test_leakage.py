"""Data leakage (ML601-ML603): the row flow through scripts and notebooks, what it declines to say,
where its findings point, and the readiness check that fails on a certain leak."""

from __future__ import annotations

import json

import pytest

from auditor.analysis.pymodule import ParsedModule, parse_python
from auditor.analysis.row_flow import analyse, may_leak
from auditor.ml.leakage import LEARNERS, is_validation_name, side_of_name
from auditor.testing import make_repo, scan_repo

HEAD = ("import pandas as pd\nfrom sklearn.model_selection import train_test_split\n"
        "from sklearn.preprocessing import StandardScaler\nfrom sklearn.linear_model import LogisticRegression\n"
        "from sklearn.metrics import accuracy_score\n"
        "df = pd.read_csv('data.csv')\nX = df.drop(columns=['label'])\ny = df['label']\n")
SCORE = "model = LogisticRegression().fit(X_train, y_train)\nprint(accuracy_score(y_test, model.predict(X_test)))\n"


def leaks(code: str):
    module = ParsedModule("train.py", "train", code, parse_python(code))
    return analyse(module)


def notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c.splitlines(keepends=True)} for c in cells],
                       "nbformat": 4})


def scan(tmp_path, files, config=None):
    root = make_repo(tmp_path / "repo", files)
    return scan_repo(root, {"min-confidence": "low", **(config or {})})


# -- what the row flow follows ----------------------------------------------------------------------

def test_scaler_before_the_split_leaks_and_after_it_does_not():
    before = leaks(HEAD + "X = StandardScaler().fit_transform(X)\n"
                   "X_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE)
    assert [(leak.kind, leak.how, leak.confidence, leak.fit.line) for leak in before] == [
        ("preprocessing", "before-split", "high", 9)]
    after = leaks(HEAD + "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
                  "scaler = StandardScaler().fit(X_train)\nX_train = scaler.transform(X_train)\n"
                  "X_test = scaler.transform(X_test)\n" + SCORE)
    assert after == []


def test_a_fit_on_the_training_side_leaks_into_a_validation_set_split_off_it():
    found = leaks(HEAD + "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
                  "scaler = StandardScaler().fit(X_train)\n"
                  "X_train, X_val, y_train, y_val = train_test_split(X_train, y_train)\n"
                  "model = LogisticRegression().fit(scaler.transform(X_train), y_train)\n"
                  "print(model.score(scaler.transform(X_val), y_val))\n"
                  "print(model.score(scaler.transform(X_test), y_test))\n")
    assert [(leak.fit.line, leak.split_line, leak.eval_line, leak.how) for leak in found] == [(10, 11, 13, "before-split")]


def test_sides_named_by_slices_are_splits():
    code = ("import numpy as np\nfrom sklearn.decomposition import PCA\nfrom sklearn.svm import SVC\n"
            "X = np.load('x.npy')\ny = np.load('y.npy')\n{fit}\n"
            "X_train, X_test, y_train, y_test = X[:800], X[800:], y[:800], y[800:]\n"
            "model = SVC().fit(pca.transform(X_train), y_train)\nprint(model.score(pca.transform(X_test), y_test))\n")
    leaky = leaks(code.format(fit="pca = PCA(5).fit(X)"))
    assert [(leak.kind, leak.confidence) for leak in leaky] == [("preprocessing", "medium")]  # a split by name: medium
    assert leaks(code.format(fit="pca = PCA(5).fit(X[:800])")) == []


def test_a_kfold_loop_with_indices_named_for_their_side():
    found = leaks(HEAD + "from sklearn.model_selection import KFold\nX = StandardScaler().fit_transform(X)\n"
                  "for train_idx, val_idx in KFold(5).split(X):\n"
                  "    X_tr, X_va = X[train_idx], X[val_idx]\n    y_tr, y_va = y[train_idx], y[val_idx]\n"
                  "    model = LogisticRegression().fit(X_tr, y_tr)\n    print(accuracy_score(y_va, model.predict(X_va)))\n")
    assert [(leak.fit.line, leak.eval_line) for leak in found] == [(10, 15)]


@pytest.mark.parametrize("code,why", [
    (HEAD + "X = preprocess(X)\nscaler = StandardScaler().fit(X)\nX_train, X_test, y_train, y_test = "
     "train_test_split(scaler.transform(X), y)\n" + SCORE, "rows through an unknown function"),
    (HEAD + "X = StandardScaler().fit_transform(X)\nfor column in ['a', 'b']:\n    X = X.drop(columns=[column])\n"
     "X_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE, "a name reassigned in a loop"),
    (HEAD + "X = StandardScaler().fit_transform(X)\nif len(X) > 100:\n    X = X[:100]\n"
     "X_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE, "a name rebound in a branch"),
    (HEAD + "X = StandardScaler().fit_transform(X)\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n",
     "nothing scored on the held-out rows"),
    (HEAD + "test = pd.read_csv('test.csv')\nall_rows = pd.concat([X, test])\nscaler = StandardScaler().fit(all_rows)\n"
     "model = LogisticRegression().fit(scaler.transform(X), y)\npred = model.predict(scaler.transform(test))\n",
     "a competition's unlabelled test file is not an evaluation"),
])
def test_unknown_flow_says_nothing(code, why):
    assert leaks(code) == [], why


def test_oversampling_and_early_stopping_are_their_own_kinds():
    smote = leaks(HEAD + "from imblearn.over_sampling import SMOTE\nX, y = SMOTE().fit_resample(X, y)\n"
                  "X_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE)
    assert [(leak.kind, leak.fit.kind) for leak in smote] == [("overlap", "rows")]
    stopped = leaks(HEAD + "import lightgbm as lgb\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n"
                    "model = lgb.LGBMClassifier()\nmodel.fit(X_train, y_train, eval_set=[(X_test, y_test)], "
                    "callbacks=[lgb.early_stopping(10)])\n")
    assert [(leak.kind, leak.confidence) for leak in stopped] == [("multi-test", "medium")]


def test_cross_validation_of_prescaled_rows_is_low_unless_the_step_learns_from_labels():
    head = HEAD + "from sklearn.model_selection import cross_val_score\n"
    scaled = leaks(head + "X = StandardScaler().fit_transform(X)\ncross_val_score(LogisticRegression(), X, y)\n")
    assert [(leak.how, leak.confidence) for leak in scaled] == [("cross-validation", "low")]
    selected = leaks(head + "from sklearn.feature_selection import SelectKBest\nX = SelectKBest(k=5).fit_transform(X, y)\n"
                     "cross_val_score(LogisticRegression(), X, y)\n")
    assert [(leak.how, leak.confidence) for leak in selected] == [("cross-validation", "medium")]


def test_modules_without_a_data_library_are_not_walked():
    code = "def fit(x):\n    return x\n\nfit([1])\n"
    module = ParsedModule("util.py", "util", code, parse_python(code))
    assert not may_leak(module)
    assert analyse(module) == [] and module.memo["row_flow"] == []


def test_tables_name_sides_and_learners():
    assert [side_of_name(n) for n in ("X_train", "Xtest", "y_val", "df_holdout", "features", "latest")] == [
        0, 1, 1, 1, None, None]
    assert is_validation_name("X_valid") and not is_validation_name("X_test")
    assert LEARNERS["sklearn.preprocessing.StandardScaler"].learns == "statistics"
    assert LEARNERS["sklearn.preprocessing.OneHotEncoder"].learns == "vocabulary"
    assert LEARNERS["imblearn.over_sampling.SMOTE"].learns == "rows"


# -- findings, through the engine ---------------------------------------------------------------------

def test_a_notebook_finding_names_each_cell_on_the_path(tmp_path):
    result = scan(tmp_path, {"nb.ipynb": notebook(
        HEAD.replace("df = ", "\ndf = ", 1),
        "scaler = StandardScaler()\nX = scaler.fit_transform(X)", "X_train, X_test, y_train, y_test = train_test_split(X, y)",
        "X_train.shape", "X_test.shape", SCORE)})
    [finding] = [f for f in result.findings if f.category == "data-leakage"]
    assert (finding.rule, finding.cell, finding.line, finding.severity, finding.confidence) == ("ML601", 2, 2, "medium", "high")
    assert "`scaler.fit_transform(X)` at cell 2:2 saw all rows" in finding.message
    assert "`train_test_split(X, y)` at cell 3:1 splits them afterwards" in finding.message
    assert "at cell 6:2 scored rows this step had learnt from" in finding.message
    assert finding.evidence["split"] == "cell 3:1 train_test_split(X, y)"


def _release_check(result, check_id="R-REL-06"):
    return next(c for c in result.readiness["dimensions"]["release_safety"]["checks"] if c["id"] == check_id)


def test_readiness_fails_on_a_certain_leak_and_passes_without(tmp_path):
    leaky = HEAD + "X = StandardScaler().fit_transform(X)\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE
    check = _release_check(scan(tmp_path / "a", {"train.py": leaky}))
    assert check["status"] == "fail" and check["evidence"][0]["path"] == "train.py"
    filled = HEAD + "X = X.fillna(X.mean())\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE
    assert _release_check(scan(tmp_path / "b", {"train.py": filled}))["status"] == "partial"  # a pandas statistic: medium
    clean = HEAD + "X_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE
    assert _release_check(scan(tmp_path / "c", {"train.py": clean}))["status"] == "pass"
    unselected = _release_check(scan(tmp_path / "d", {"train.py": leaky}, {"select": ["ML1"]}))
    assert unselected["status"] == "pass" and "none of the data-leakage rules ran" in unselected["fix"]


def test_the_target_among_the_features_is_followed_through_literal_drops_only():
    head = ("import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\nTARGET = 'churn'\n"
            "df = pd.read_csv('data.csv')\n")
    found = leaks(head + "y = df[TARGET]\ndf.drop(columns=['id'], inplace=True)\nLogisticRegression().fit(df, y)\n")
    assert [(leak.kind, leak.how, leak.split_line, leak.eval_line) for leak in found] == [("target", "target:churn", 5, 7)]
    for features in ("df.drop(columns=['id', TARGET])", "df[['a', 'b']]", "df.select_dtypes('number')"):
        assert leaks(head + f"y = df[TARGET]\nX = {features}\nLogisticRegression().fit(X, y)\n") == [], features
    assert leaks(head + "y = df[TARGET]\ndel df[TARGET]\nLogisticRegression().fit(df, y)\n") == []


def test_expressions_nested_too_deep_to_follow_say_nothing():
    deep = "X = " + " + ".join(["df['a']"] * 800) + "\n"
    assert leaks(HEAD + deep + "X = StandardScaler().fit_transform(X)\n"
                 "X_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE) == []


def test_a_function_that_splits_and_scores_its_argument_is_checked_at_the_call():
    code = (HEAD + "\n\ndef evaluate(features, labels):\n"
            "    X_train, X_test, y_train, y_test = train_test_split(features, labels)\n"
            "    model = LogisticRegression().fit(X_train, y_train)\n"
            "    return accuracy_score(y_test, model.predict(X_test))\n\n\n"
            "print(evaluate({rows}, y))\n")
    found = leaks(code.format(rows="StandardScaler().fit_transform(X)"))
    assert [(leak.kind, leak.fit.line, leak.split_line, leak.eval_line) for leak in found] == [("preprocessing", 17, 12, 17)]
    assert leaks(code.format(rows="X")) == []


def test_scoring_is_followed_through_a_function_that_passes_its_argument_on():
    found = leaks(HEAD + "\n\ndef score_split(features, labels):\n"
                  "    X_train, X_test, y_train, y_test = train_test_split(features, labels)\n"
                  "    return LogisticRegression().fit(X_train, y_train).score(X_test, y_test)\n\n\n"
                  "def report(features, labels):\n    print(score_split(features, labels))\n\n\n"
                  "report(StandardScaler().fit_transform(X), y)\n")
    assert [(leak.fit.line, leak.eval_line) for leak in found] == [(20, 20)]


def test_a_function_that_scores_its_argument_as_given_is_checked_with_the_rows_the_caller_passes():
    code = (HEAD + "\n\ndef fit_and_score(train_rows, train_labels, test_rows, test_labels):\n"
            "    model = LogisticRegression().fit(train_rows, train_labels)\n"
            "    return model.score(test_rows, test_labels)\n\n\n"
            "X_all = {rows}\n"
            "X_train, X_test, y_train, y_test = train_test_split(X_all, y)\n"
            "print(fit_and_score(X_train, y_train, X_test, y_test))\n")
    found = leaks(code.format(rows="StandardScaler().fit_transform(X)"))
    assert [(leak.kind, leak.fit.line, leak.split_line, leak.eval_line) for leak in found] == [("preprocessing", 16, 17, 18)]
    assert leaks(code.format(rows="X")) == []
    # the training side passed where the function scores: no held-out rows, nothing to say
    assert leaks(code.format(rows="StandardScaler().fit_transform(X)").replace(
        "fit_and_score(X_train, y_train, X_test, y_test)", "fit_and_score(X_train, y_train, X_train, y_train)")) == []


def test_a_rolling_mean_is_per_row_not_a_statistic_of_all_rows():
    code = HEAD + "df = df.sort_values('date')\nX = df.drop(columns=['label'])\nX['a'] = X['a'] - {mean}\n" \
        "X_train, X_test, y_train, y_test = train_test_split(X, y, shuffle=False)\n" + SCORE
    assert leaks(code.format(mean="X['a'].rolling(7).mean()")) == []
    assert [leak.kind for leak in leaks(code.format(mean="X['a'].mean()"))] == ["preprocessing"]  # centred on all rows


def test_label_encoding_of_the_target_and_early_stopping_on_a_sub_split_are_not_leaks():
    encoded = leaks(HEAD + "from sklearn.preprocessing import LabelEncoder\ny = LabelEncoder().fit_transform(y)\n"
                    "X_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE)
    assert encoded == []
    stopped = leaks(HEAD + "import xgboost as xgb\nX_train, X_hold, y_train, y_hold = train_test_split(X, y)\n"
                    "X_train, X_test, y_train, y_test = train_test_split(X_train, y_train)\n"
                    "xgb.XGBClassifier().fit(X_train, y_train, eval_set=[(X_test, y_test)], early_stopping_rounds=5)\n")
    assert stopped == []  # X_test was split off the training side: a validation set by another name


def test_early_stopping_through_a_callback_bound_earlier():
    code = (HEAD + "import keras\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n"
            "stop = keras.callbacks.EarlyStopping(patience=3)\nmodel = keras.Sequential()\n"
            "model.fit(X_train, y_train, validation_data=({held}), callbacks=[stop])\n")
    assert [leak.kind for leak in leaks(code.format(held="X_test, y_test"))] == ["multi-test"]
    assert leaks(code.replace("stop = keras.callbacks.EarlyStopping(patience=3)", "stop = keras.callbacks.TensorBoard()")
                 .format(held="X_test, y_test")) == []


def test_readiness_ignores_low_confidence_hints(tmp_path):
    scaled_for_cv = HEAD + ("from sklearn.model_selection import cross_val_score\nX = StandardScaler().fit_transform(X)\n"
                            "print(cross_val_score(LogisticRegression(), X, y))\n")
    result = scan(tmp_path, {"train.py": scaled_for_cv})
    assert [f.confidence for f in result.findings if f.category == "data-leakage"] == ["low"]
    assert _release_check(result)["status"] == "pass"


def test_a_sweep_scored_on_the_test_set_is_tuning_only_when_the_best_is_picked():
    code = (HEAD + "from sklearn.tree import DecisionTreeClassifier\n"
            "X_train, X_test, y_train, y_test = train_test_split(X, y)\nscores = {{}}\n"
            "for depth in [2, 4, 8]:\n    tree = DecisionTreeClassifier(max_depth=depth).fit(X_train, y_train)\n"
            "    scores[depth] = tree.score(X_test, y_test)\n{after}")
    picked = leaks(code.format(after="best = max(scores, key=scores.get)\n"))
    assert [(leak.kind, leak.how, leak.fit.line, leak.eval_line) for leak in picked] == [
        ("multi-test", "tuned-on-test", 14, 15)]
    assert leaks(code.format(after="print(scores)\n")) == []  # reported, not chosen from in the code


COMPARISON = (HEAD + "from sklearn.ensemble import RandomForestClassifier\n"
              "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
              "X_fit, X_val, y_fit, y_val = train_test_split(X_train, y_train)\n"
              "candidates = {models}\n"
              "results = {{}}\n"
              "for label, clf in {walk}:\n"
              "    clf.fit(X_fit, y_fit)\n"
              "    results[label] = {{'val': clf.score(X_val, y_val), 'test': accuracy_score(y_test, clf.predict(X_test))}}\n"
              "{pick}\n")
MODELS = "{'lr': LogisticRegression(), 'forest': RandomForestClassifier()}"


@pytest.mark.parametrize("models, walk, pick, reported", [
    (MODELS, "candidates.items()", "winner = max(results, key=lambda k: results[k]['test'])", True),
    ("[('lr', LogisticRegression()), ('forest', RandomForestClassifier())]", "candidates",
     "best_name = max(results, key=lambda k: results[k]['test'])", True),
    # the best picked on the validation scores: what validation is for
    (MODELS, "candidates.items()", "winner = max(results, key=lambda k: results[k]['val'])", False),
    # the test scores printed side by side, nothing kept
    (MODELS, "candidates.items()", "print(results)", False),
    # a pick after the loop that is about something else
    (MODELS, "candidates.items()", "best_depth = max([3, 5, 8])", False),
    # not a literal collection of models: what the loop walks is not known
    ("load_candidates()", "candidates.items()", "winner = max(results, key=lambda k: results[k]['test'])", False),
    # one model is not a comparison
    ("{'lr': LogisticRegression()}", "candidates.items()", "winner = max(results, key=lambda k: results[k]['test'])", False),
])
def test_models_compared_on_the_test_set_are_tuning_only_when_the_best_is_kept(models, walk, pick, reported):
    found = leaks(COMPARISON.format(models=models, walk=walk, pick=pick))
    assert [(leak.kind, leak.how) for leak in found] == ([("multi-test", "compared-on-test")] if reported else [])


def test_the_best_model_kept_inside_the_comparison_loop():
    code = (HEAD + "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
            "from sklearn.svm import SVC\nbest_acc = 0\n"
            "for clf in [LogisticRegression(), SVC()]:\n    clf.fit(X_train, y_train)\n"
            "    acc = clf.score(X_test, y_test)\n    if acc > best_acc:\n        best_acc, best_clf = acc, clf\n")
    found = leaks(code)
    assert [(leak.how, leak.eval_line) for leak in found] == [("compared-on-test", 16)]


@pytest.mark.parametrize("how, reported", [("'mean'", True), ("np.median", True), ("lambda s: s.mean()", False),
                                            ("'count'", False)])
def test_a_group_statistic_written_back_before_the_split_is_a_statistic_of_all_rows(how, reported):
    code = ("import numpy as np\n" + HEAD + f"X['zone_rate'] = df.groupby('zone')['label'].transform({how})\n"
            "X_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE)
    found = leaks(code)
    assert [(leak.kind, leak.fit.line, leak.confidence) for leak in found] == ([("preprocessing", 10, "medium")] if reported else [])


@pytest.mark.parametrize("column, entity", [("user_id", True), ("CustomerID", True), ("patient", True),
                                            ("device_id", True), ("store_id", False), ("userland", False),
                                            ("subject_line", False)])
def test_entity_columns_are_people_and_devices_not_stores_or_words_that_start_alike(column, entity):
    from auditor.ml.leakage import ENTITY_COLUMN
    assert bool(ENTITY_COLUMN.search(column)) is entity


@pytest.mark.parametrize("grouped, reported", [
    ("X['n'] = df.groupby('user_id').cumcount()", True),
    ("X['spend'] = df.groupby('user_id')['amount'].transform('sum')", True),
    ("X['prev'] = df.groupby(by='user_id')['amount'].shift(1)", True),
    ("per_user = df.groupby('user_id')['amount'].sum()", False),  # one row per user, not written back
    ("X['n'] = df.groupby('store_id').cumcount()", False),  # not an entity whose rows must stay together
])
def test_a_split_of_rows_computed_per_user_is_group_leakage(grouped, reported):
    found = [leak for leak in leaks(HEAD + grouped + "\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n" + SCORE)
             if leak.kind == "group"]
    assert [(leak.split_line, leak.how, leak.confidence) for leak in found] == (
        [(10, "group:user_id", "low")] if reported else [])


TIMED = ("import pandas as pd\nfrom sklearn.linear_model import LinearRegression\n"
         "df = pd.read_csv('sales.csv').sort_values('day')\n{made}\n"
         "y = df['units']\nX = df.drop(columns=['units', 'day'])\nmodel = LinearRegression().fit(X, y)\n")


@pytest.mark.parametrize("made, column", [
    ("df['next'] = df['price'].shift(-1)", "next"),
    ("df['next'] = df['price'].shift(periods=-3).fillna(0)", "next"),
    ("df['change'] = df['price'].diff(-1)", "change"),
    ("df['smooth'] = df['price'].rolling(7, center=True).mean()", "smooth"),
    ("df['prev'] = df['price'].shift(1)", None),  # an earlier row: a lag, not the future
    ("df['smooth'] = df['price'].rolling(7).mean()", None),  # a trailing window
    ("df['next'] = df['price'].shift(-1)\ndf['next'] = load_forecast()", None),  # replaced by what is not known
    ("df['next'] = df['price'].shift(-1)\ndf = df.drop(columns=['next'])", None),
])
def test_a_feature_made_from_later_rows_is_reported_unless_it_is_the_target_or_gone(made, column):
    found = [leak for leak in leaks(TIMED.format(made=made)) if leak.kind == "future"]
    assert [leak.how for leak in found] == ([f"future:{column}"] if column else [])


@pytest.mark.parametrize("made, column", [
    ("df['units_k'] = df['units'] / 1000", "units_k"),
    ("df['per_store'] = (df['units'] / df['stores']).fillna(0)", "per_store"),
    ("df['units'] = df['units'].clip(0)", None),  # the target itself, recomputed
    ("df['units_k'] = df['units'] / 1000\nX_extra = 1", "units_k"),
    ("df['mean_units'] = df['units'].mean()", None),  # one number for every row: not the row's label
    ("df['per_store'] = df['revenue'] / df['stores']", None),
])
def test_a_feature_computed_from_the_target_is_target_leakage(made, column):
    found = [leak for leak in leaks(TIMED.format(made=made)) if leak.kind == "target"]
    assert [leak.how.split(":")[1] for leak in found] == ([column] if column else [])


def test_a_split_by_a_function_of_another_module_is_followed_by_the_names_of_its_results():
    code = ("import pandas as pd\nfrom sklearn.preprocessing import StandardScaler\n"
            "from sklearn.linear_model import LogisticRegression\nfrom churn.data import split_data\n"
            "df = pd.read_csv('data.csv')\nX = df.drop(columns=['label'])\ny = df['label']\n"
            "{before}X_train, X_test, y_train, y_test = split_data(X, y)\n{after}"
            "model = LogisticRegression().fit(X_train, y_train)\nprint(model.score(X_test, y_test))\n")
    found = leaks(code.format(before="X = StandardScaler().fit_transform(X)\n", after=""))
    assert [(leak.kind, leak.fit.line, leak.split_line, leak.split_text, leak.confidence) for leak in found] == [
        ("preprocessing", 8, 9, "split_data(X, y)", "medium")]
    # fitted on the training side after the split: nothing
    assert leaks(code.format(before="", after="scaler = StandardScaler().fit(X_train)\n")) == []
    # a function given rows that are already one side of a split: what it returns is not known
    assert leaks(code.format(before="X = StandardScaler().fit_transform(X)\nX, _, y, _ = train_test_split(X, y)\n",
                             after="").replace("import pandas as pd\n", "import pandas as pd\n"
                                               "from sklearn.model_selection import train_test_split\n")) == []


EVALUATION_MODULE = ("from sklearn.linear_model import LogisticRegression\nfrom sklearn.metrics import accuracy_score\n\n\n"
                     "def score_on(X_train, y_train, X_test, y_test):\n"
                     "    model = LogisticRegression().fit(X_train, y_train)\n"
                     "    return accuracy_score(y_test, model.predict(X_test))\n")


def test_leakage_through_another_module_is_found_from_a_notebook_by_keyword_and_pointed_at_its_cell(tmp_path):
    cells = ["import pandas as pd\nfrom sklearn.model_selection import train_test_split\n"
             "from sklearn.preprocessing import MinMaxScaler\nfrom helpers.evaluation import score_on",
             "df = pd.read_csv('data.csv')\nX = MinMaxScaler().fit_transform(df.drop(columns=['label']))",
             "X_tr, X_te, y_tr, y_te = train_test_split(X, df['label'])",
             "score_on(X_train=X_tr, y_train=y_tr, X_test=X_te, y_test=y_te)"]
    result = scan(tmp_path, {"helpers/__init__.py": "", "helpers/evaluation.py": EVALUATION_MODULE,
                             "analysis.ipynb": notebook(*cells)})
    found = [(f.path, f.cell, f.line, f.confidence) for f in result.findings if f.rule == "ML608"]
    assert found == [("analysis.ipynb", 2, 2, "medium")]
    # the same notebook scaling the training side only: nothing
    cells[1] = "df = pd.read_csv('data.csv')\nX = df.drop(columns=['label'])"
    cells[3] = "scaler = MinMaxScaler().fit(X_tr)\n" + cells[3].replace("X_train=X_tr", "X_train=scaler.transform(X_tr)")
    result = scan(tmp_path / "clean", {"helpers/__init__.py": "", "helpers/evaluation.py": EVALUATION_MODULE,
                                       "analysis.ipynb": notebook(*cells)})
    assert [f for f in result.findings if f.rule.startswith("ML60")] == []


def test_a_function_of_a_library_or_one_that_scores_nothing_is_not_joined(tmp_path):
    caller = ("import pandas as pd\nfrom sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import "
              "train_test_split\nfrom {module} import score_on\n\ndf = pd.read_csv('data.csv')\n"
              "X = StandardScaler().fit_transform(df.drop(columns=['label']))\n"
              "X_tr, X_te, y_tr, y_te = train_test_split(X, df['label'])\nscore_on(X_tr, y_tr, X_te, y_te)\n")
    plotting = "import matplotlib.pyplot as plt\n\n\ndef score_on(a, b, c, d):\n    plt.scatter(c, d)\n"
    result = scan(tmp_path, {"plots.py": plotting, "train.py": caller.format(module="plots"),
                             "lib_train.py": caller.format(module="some_library.evaluation")})
    assert [f for f in result.findings if f.rule == "ML608"] == []


def test_every_learner_says_what_it_learns_with_a_valid_and_an_invalid_fit():
    for name, learner in LEARNERS.items():
        assert learner.learns in ("statistics", "vocabulary", "rows", "labels"), name
        assert learner.valid.strip() and learner.invalid.strip(), name
    assert all(LEARNERS[n].supervised for n in ("sklearn.feature_selection.SelectKBest", "imblearn.over_sampling.SMOTE"))
    assert not LEARNERS["sklearn.preprocessing.StandardScaler"].supervised


def test_a_frame_stays_followed_through_get_dummies_by_keyword_and_a_column_set_by_an_unknown_call(tmp_path):
    from auditor.testing import make_repo, scan_repo

    code = ("import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
            "from sklearn.model_selection import train_test_split\nfrom sklearn.preprocessing import MinMaxScaler\n\n"
            "df = pd.read_csv('churn.csv')\ndf.charges = pd.to_numeric(df.charges)\n"
            "wide = pd.get_dummies(data=df, columns=['plan'])\n"
            "wide[['tenure']] = MinMaxScaler().fit_transform(wide[['tenure']])\n"
            "X_train, X_test, y_train, y_test = train_test_split(wide.drop(columns=['churn']), wide['churn'])\n"
            "print(LogisticRegression().fit(X_train, y_train).score(X_test, y_test))\n")
    result = scan_repo(make_repo(tmp_path / "r", {"train.py": code}), {"select": ["ML601"]})
    assert [(f.rule, f.line) for f in result.findings] == [("ML601", 9)]
