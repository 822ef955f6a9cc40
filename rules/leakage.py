"""Data leakage: held-out rows that a fit saw before the model was scored on them.

The row-flow analysis (``auditor/analysis/row_flow.py``) follows which rows each variable holds
through a script or a notebook's cells in order, and what every fitted object saw; the rules here
report its leaks by kind. Each finding is at the fit where the leak enters and names the split and
the evaluation that the leak reaches. Severity is medium at most: a leak makes an offline score
too good, it does not break a build.
"""

from __future__ import annotations

import json

from auditor.analysis.row_flow import Leak, analyse
from auditor.rule import Invalid, ModuleRule, Valid


def _notebook(*cells: str) -> str:
    """A notebook of code cells (the examples' notebooks)."""
    return json.dumps({"cells": [{"cell_type": "code", "source": cell.splitlines(keepends=True)} for cell in cells],
                       "nbformat": 4})


def _where(module, line: int | None) -> str:
    shown, cell = module.location(line)
    return f"cell {cell}:{shown}" if cell is not None else f"line {shown}"


_SAW = {
    "before-split": "saw all rows; `{split}` at {split_at} splits them afterwards",
    "after-split": "was fitted on all rows after `{split}` at {split_at} had split them, the held-out rows included",
    "held-out": "was fitted on the held-out rows themselves, split off by `{split}` at {split_at}",
    "cross-validation": "saw every row that the cross-validation holds out in its folds",
}


def describe(module, leak: Leak, what: str) -> str:
    """The fit, the split and the evaluation, each with its location, as one sentence."""
    saw = _SAW[leak.how].format(split=leak.split_text, split_at=_where(module, leak.split_line))
    return (f"`{leak.fit.text}` at {_where(module, leak.fit.line)} {saw}; `{leak.eval_text}` at "
            f"{_where(module, leak.eval_line)} scored {what}")


class _LeakageRule(ModuleRule):
    leak_kind = ""
    category = "data-leakage"
    severity = "medium"

    def check(self, module):
        for leak in analyse(module):
            if leak.kind == self.leak_kind:
                yield module.finding(self, self.line(leak), self.message(module, leak), confidence=leak.confidence,
                                     evidence=self.evidence(module, leak))

    @staticmethod
    def line(leak: Leak) -> int:
        """Where the finding points: the fit where the leak enters."""
        return leak.fit.line

    def message(self, module, leak: Leak) -> str:
        raise NotImplementedError

    @staticmethod
    def evidence(module, leak: Leak) -> dict:
        return {"fit": f"{_where(module, leak.fit.line)} {leak.fit.text}",
                "split": f"{_where(module, leak.split_line)} {leak.split_text}" if leak.split_line else None,
                "evaluation": f"{_where(module, leak.eval_line)} {leak.eval_text}", "how": leak.how}


_SPLIT = "from sklearn.model_selection import train_test_split\n"
_SCALER = "from sklearn.preprocessing import StandardScaler\n"
_MODEL = "from sklearn.linear_model import LogisticRegression\n"
_METRIC = "from sklearn.metrics import accuracy_score\n"
_READ = "import pandas as pd\n\ndf = pd.read_csv('data.csv')\nX = df.drop(columns=['label'])\ny = df['label']\n"


class PreprocessingLeakage(_LeakageRule):
    """A scaler, imputer, encoder, selector, PCA or statistic fitted on rows that the model is later scored on.

    A step fitted before the train/test split, on train and test concatenated, or on the test set
    itself learns means, variances, components or selected features from the held-out rows; the
    model then meets test rows that already shaped its features. Reported when the held-out rows
    are scored afterwards (a metric, ``score``, ``evaluate``, cross-validation). A step inside a
    ``Pipeline`` that the split or the cross-validation wraps is fitted on the training rows only
    and is not reported. Vocabulary-only encoders (one-hot, ordinal, label, count vectoriser) learn
    little from the test rows: low confidence. pandas statistics (``df.fillna(df.mean())``, a group
    mean written back row by row, ``df.groupby(k)["label"].transform("mean")``, the usual target
    encoding) before the split: medium confidence.
    """

    id = "ML601"
    name = "preprocessing-leakage"
    leak_kind = "preprocessing"
    confidence = "high"
    rationale = ("A step fitted on the evaluation rows leaks them into training: the offline score is better than "
                 "the model will ever be on new data, the model is shipped on that number, and production metrics "
                 "fall short of it. Studies of public notebooks find this in a large share of them.")
    remediation = ("Split first, then fit the step on the training rows only and apply it to the test rows "
                   "(`scaler.fit(X_train)`, `scaler.transform(X_test)`), or put the step in a `Pipeline` and give "
                   "the pipeline to the split or to the cross-validation.")
    examples = (
        Invalid(_SPLIT + _SCALER + _MODEL + _METRIC + _READ
                + "X = StandardScaler().fit_transform(X)\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n"
                "model = LogisticRegression().fit(X_train, y_train)\nprint(accuracy_score(y_test, model.predict(X_test)))\n",
                expect=[10], note="the scaler saw all rows before the split"),
        Valid(_SPLIT + _SCALER + _MODEL + _METRIC + _READ
              + "X_train, X_test, y_train, y_test = train_test_split(X, y)\nscaler = StandardScaler().fit(X_train)\n"
              "model = LogisticRegression().fit(scaler.transform(X_train), y_train)\n"
              "print(accuracy_score(y_test, model.predict(scaler.transform(X_test))))\n",
              note="fitted on the training rows only"),
        Valid(_SPLIT + _SCALER + _MODEL + "from sklearn.pipeline import make_pipeline\n" + _READ
              + "pipe = make_pipeline(StandardScaler(), LogisticRegression())\n"
              "X_train, X_test, y_train, y_test = train_test_split(X, y)\npipe.fit(X_train, y_train)\n"
              "print(pipe.score(X_test, y_test))\n", note="a Pipeline fitted on the training side"),
        Invalid(_SCALER + _MODEL + "from sklearn.model_selection import cross_val_score\n" + _READ
                + "X = StandardScaler().fit_transform(X)\nprint(cross_val_score(LogisticRegression(), X, y, cv=5))\n",
                expect=[9], note="scaled before cross-validation"),
        Valid(_SCALER + _MODEL + "from sklearn.model_selection import cross_val_score\n"
              "from sklearn.pipeline import make_pipeline\n" + _READ
              + "pipe = make_pipeline(StandardScaler(), LogisticRegression())\nprint(cross_val_score(pipe, X, y, cv=5))\n",
              note="the cross-validation wraps the Pipeline"),
        Invalid(_SPLIT + _SCALER + _MODEL + _READ
                + "X_train, X_test, y_train, y_test = train_test_split(X, y)\nscaler = StandardScaler()\n"
                "model = LogisticRegression().fit(scaler.fit_transform(X_train), y_train)\n"
                "print(model.score(scaler.fit_transform(X_test), y_test))\n",
                expect=[12], note="refitted on the test set"),
        Invalid({"nb.ipynb": _notebook(
            "import pandas as pd\nfrom sklearn.decomposition import PCA\n" + _SPLIT + _MODEL,
            "df = pd.read_csv('data.csv')\ny = df.pop('label')",
            "pca = PCA(n_components=5)\nX = pca.fit_transform(df)",
            "X_train, X_test, y_train, y_test = train_test_split(X, y)",
            "X_train.shape", "y_train.mean()", "model = LogisticRegression().fit(X_train, y_train)",
            "model.score(X_test, y_test)")},
            expect=[("nb.ipynb", 2, 3)], note="a notebook: PCA in cell 3, the split in cell 4, the score in cell 8"),
        Invalid({"nb.ipynb": _notebook(
            "import pandas as pd\n" + _SPLIT + _SCALER + _MODEL,
            "df = pd.read_csv('data.csv')\nX = df.drop(columns=['label'])\ny = df['label']",
            "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
            "print(X_train.shape)", "print(X_test.shape)", "y_train.value_counts()",
            "scaler = StandardScaler().fit(X)\nmodel = LogisticRegression().fit(scaler.transform(X_train), y_train)",
            "model.score(scaler.transform(X_test), y_test)")},
            expect=[("nb.ipynb", 1, 7)], note="split in cell 3, used three cells later by a scaler fitted on all rows"),
        Valid({"nb.ipynb": _notebook(
            "import pandas as pd\n" + _SPLIT + _SCALER + _MODEL,
            "df = pd.read_csv('data.csv')\nX = df.drop(columns=['label'])\ny = df['label']",
            "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
            "print(X_train.shape)", "print(X_test.shape)", "y_train.value_counts()",
            "scaler = StandardScaler().fit(X_train)\nmodel = LogisticRegression().fit(scaler.transform(X_train), y_train)",
            "model.score(scaler.transform(X_test), y_test)")},
            note="the same notebook, fitted on the training rows"),
        Invalid(_SPLIT + _SCALER + _MODEL + _READ
                + "\n\ndef split(features, labels):\n    return train_test_split(features, labels, test_size=0.2)\n\n\n"
                "X = StandardScaler().fit_transform(X)\nX_train, X_test, y_train, y_test = split(X, y)\n"
                "print(LogisticRegression().fit(X_train, y_train).score(X_test, y_test))\n",
                expect=[15], note="a function of the same file does the split"),
        Invalid(_SPLIT + _MODEL + _METRIC + _READ
                + "X = X.fillna(X.mean())\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n"
                "pred = LogisticRegression().fit(X_train, y_train).predict(X_test)\nprint(accuracy_score(y_test, pred))\n",
                expect=[9], note="a pandas statistic of all rows fills the gaps (medium confidence)"),
        Invalid(_SPLIT + _MODEL + _METRIC + _READ
                + "df['zone_rate'] = df.groupby('zone')['label'].transform('mean')\nX = df[['age', 'zone_rate']]\n"
                "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
                "pred = LogisticRegression().fit(X_train, y_train).predict(X_test)\nprint(accuracy_score(y_test, pred))\n",
                expect=[9], note="target encoding by a group mean of all rows, test rows' labels included"),
        Valid(_SPLIT + _MODEL + _METRIC + _READ
              + "train, test = train_test_split(df)\nrates = train.groupby('zone')['label'].mean()\n"
              "train['zone_rate'] = train['zone'].map(rates)\ntest['zone_rate'] = test['zone'].map(rates)\n"
              "model = LogisticRegression().fit(train[['age', 'zone_rate']], train['label'])\n"
              "print(accuracy_score(test['label'], model.predict(test[['age', 'zone_rate']])))\n",
              note="the group means learnt from the training rows and mapped onto both sides"),
        Valid(_SPLIT + _SCALER + _MODEL + _READ
              + "X = StandardScaler().fit_transform(X)\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n",
              note="nothing is scored on the held-out rows: nothing to say"),
        Valid(_SPLIT + _SCALER + _MODEL + _READ
              + "X = clean(X)\nscaler = StandardScaler().fit(X)\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n"
              "for i in range(3):\n    X_test = X_test[:10]\nprint(LogisticRegression().fit(X_train, y_train).score(X_test, y_test))\n",
              note="rows through an unknown function are not followed"),
    )

    def message(self, module, leak: Leak) -> str:
        return describe(module, leak, "rows this step had learnt from") + \
            "; fit it on the training rows only, or inside a Pipeline that the split or cross-validation wraps"


class OverlapLeakage(_LeakageRule):
    """Rows on both sides of a split: oversampling before the split, or a model trained on the rows it is scored on.

    SMOTE, ADASYN, ``RandomOverSampler`` or ``resample(..., replace=True)`` before the split put
    copies (or interpolations) of a row on both sides; a model fitted on all rows, or on a training
    set that includes the validation rows it is given, is scored on rows it was trained on.
    """

    id = "ML602"
    name = "overlap-leakage"
    leak_kind = "overlap"
    confidence = "high"
    rationale = ("A model scored on rows it was trained on, or on synthetic neighbours of them, reports near-perfect "
                 "numbers that collapse on new data: oversampling before the split is one of the commonest leaks in "
                 "imbalanced-classification notebooks.")
    remediation = ("Split first and oversample only the training side (or use an imbalanced-learn `Pipeline`, which "
                   "resamples inside each training fold); fit the model on the training rows and keep the validation "
                   "and test rows out of it.")
    examples = (
        Invalid(_SPLIT + _MODEL + "from imblearn.over_sampling import SMOTE\n" + _READ
                + "X_res, y_res = SMOTE().fit_resample(X, y)\n"
                "X_train, X_test, y_train, y_test = train_test_split(X_res, y_res)\n"
                "print(LogisticRegression().fit(X_train, y_train).score(X_test, y_test))\n",
                expect=[9], note="oversampled before the split"),
        Valid(_SPLIT + _MODEL + "from imblearn.over_sampling import SMOTE\n" + _READ
              + "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
              "X_res, y_res = SMOTE().fit_resample(X_train, y_train)\n"
              "print(LogisticRegression().fit(X_res, y_res).score(X_test, y_test))\n",
              note="only the training side is oversampled"),
        Invalid("import pandas as pd\n" + _SPLIT + _MODEL + "df = pd.read_csv('churn.csv')\n"
                "rare, common = df[df.churn == 1], df[df.churn == 0]\n"
                "more = rare.sample(len(common), replace=True)\n"
                "both = pd.concat([common, more])\n"
                "X_train, X_test, y_train, y_test = train_test_split(both.drop(columns=['churn']), both['churn'])\n"
                "print(LogisticRegression().fit(X_train, y_train).score(X_test, y_test))\n",
                expect=[6], note="the minority copied with a frame's own sample(replace=True), then split"),
        Valid("import pandas as pd\n" + _SPLIT + _MODEL + "df = pd.read_csv('churn.csv')\n"
              "train, test = train_test_split(df)\n"
              "rare, common = train[train.churn == 1], train[train.churn == 0]\n"
              "more = rare.sample(len(common), replace=True)\n"
              "both = pd.concat([common, more])\n"
              "model = LogisticRegression().fit(both.drop(columns=['churn']), both['churn'])\n"
              "print(model.score(test.drop(columns=['churn']), test['churn']))\n",
              note="the training side's minority is copied after the split"),
        Invalid(_SPLIT + _MODEL + "from imblearn.over_sampling import SMOTE\n" + _READ
                + "X_res, y_res = SMOTE().fit_sample(X, y)\n"
                "X_train, X_test, y_train, y_test = train_test_split(X_res, y_res)\n"
                "print(LogisticRegression().fit(X_train, y_train).score(X_test, y_test))\n",
                expect=[9], note="imbalanced-learn's old name, fit_sample"),
        Invalid({"fraud.ipynb": _notebook(
            "import pandas as pd\nfrom imblearn.over_sampling import RandomOverSampler\n" + _SPLIT + _MODEL + _METRIC,
            "df = pd.read_csv('transactions.csv')\nX, y = df.drop(columns=['fraud']), df['fraud']",
            "X_bal, y_bal = RandomOverSampler().fit_resample(X, y)",
            "X_train, X_test, y_train, y_test = train_test_split(X_bal, y_bal, stratify=y_bal)",
            "model = LogisticRegression().fit(X_train, y_train)",
            "accuracy_score(y_test, model.predict(X_test))")},
            expect=[("fraud.ipynb", 1, 3)], note="a notebook: copies of the minority rows on both sides of the split"),
        Invalid(_SPLIT + _MODEL + _METRIC + _READ
                + "X_train, X_test, y_train, y_test = train_test_split(X, y)\nmodel = LogisticRegression()\n"
                "model.fit(X, y)\nprint(accuracy_score(y_test, model.predict(X_test)))\n",
                expect=[11], note="trained on all rows, scored on the test rows"),
        Invalid("import pandas as pd\nfrom sklearn.utils import resample\n" + _SPLIT + _MODEL
                + "df = pd.read_csv('data.csv')\nminority = df[df.label == 1]\n"
                "more = resample(minority, replace=True, n_samples=1000)\nbalanced = pd.concat([df, more])\n"
                "train, test = train_test_split(balanced)\n"
                "model = LogisticRegression().fit(train.drop(columns=['label']), train.label)\n"
                "print(model.score(test.drop(columns=['label']), test.label))\n",
                expect=[7], note="upsampled with sklearn.utils.resample before the split"),
        Invalid("import keras\n" + _SPLIT + _READ
                + "X_train, X_test, y_train, y_test = train_test_split(X, y)\nmodel = keras.Sequential()\n"
                "model.fit(X, y, validation_data=(X_test, y_test), epochs=5)\n",
                expect=[10], note="the training rows include the validation rows"),
        Valid("import pandas as pd\n" + _MODEL + _METRIC
              + "df = pd.read_csv('data.csv')\ndf_train = df.iloc[:600]\ndf_val = df.iloc[600:800]\ndf_test = df.iloc[800:]\n"
              "full_train = pd.concat([df_train, df_val])\n"
              "model = LogisticRegression().fit(full_train.drop(columns=['label']), full_train.label)\n"
              "print(accuracy_score(df_test.label, model.predict(df_test.drop(columns=['label']))))\n",
              note="train and validation joined for the final fit; the test rows stay out"),
        Invalid(_SPLIT + _MODEL + _METRIC + _READ
                + "X_train, X_test, y_train, y_test = train_test_split(X, y)\nX_all = pd.concat([X_train, X_test])\n"
                "y_all = pd.concat([y_train, y_test])\nmodel = LogisticRegression().fit(X_all, y_all)\n"
                "print(accuracy_score(y_test, model.predict(X_test)))\n",
                expect=[12], note="the test rows joined back into the training rows"),
        Valid("import keras\n" + _SPLIT + _READ
              + "X_train, X_test, y_train, y_test = train_test_split(X, y)\nmodel = keras.Sequential()\n"
              "model.fit(X_train, y_train, validation_data=(X_test, y_test), epochs=5)\n"),
    )

    def message(self, module, leak: Leak) -> str:
        if leak.how == "validation":
            return (f"`{leak.fit.text}` at {_where(module, leak.fit.line)} trains on rows that include its validation "
                    f"rows (split off by `{leak.split_text}` at {_where(module, leak.split_line)}): the validation "
                    "score is measured on training rows")
        what = "copies of rows the model was trained on" if leak.fit.kind == "rows" else "rows the model was trained on"
        return describe(module, leak, what) + "; split first, and fit (or oversample) the training rows only"


class EarlyStoppingOnTestSet(_LeakageRule):
    """The test set chooses the model: early stopping, the best epoch or a hyperparameter picked on it.

    ``fit(..., eval_set=[(X_test, y_test)], early_stopping_rounds=...)``, or Keras
    ``validation_data=(X_test, y_test)`` with an ``EarlyStopping`` or ``ModelCheckpoint`` callback,
    stops training where the *test* score is best; a loop that sweeps a hyperparameter
    (``for k in range(1, 30): KNeighborsClassifier(n_neighbors=k)``) or a decision threshold
    (``for t in np.arange(0.1, 0.9, 0.05): f1_score(y_test, proba > t)``), scores each on the test
    set and picks the best afterwards (``max``, ``argmax``, ``best_...``) tunes on it, and so does a
    loop over a literal collection of models (``{"lr": LogisticRegression(), "rf": ...}``) that
    scores each on the test set and keeps the best (a name with ``best`` set in the loop, or a pick
    after it that names where the scores were stored). Either way
    that score is no longer an estimate for new data. A held-out set named for validation
    (``X_val``, ``valid``), or split off the training side, is what tuning is for and is not reported.
    """

    id = "ML603"
    name = "test-set-tuning"
    leak_kind = "multi-test"
    confidence = "medium"
    rationale = ("A test set used to choose epochs, hyperparameters or models is part of training: the reported "
                 "score is optimistic, and nothing is left to tell how the model does on data it has not seen.")
    remediation = ("Split a validation set off the training rows for early stopping and tuning, and score the test "
                   "set once, at the end.")
    examples = (
        Invalid("import xgboost as xgb\n" + _SPLIT + _READ
                + "X_train, X_test, y_train, y_test = train_test_split(X, y)\nmodel = xgb.XGBClassifier()\n"
                "model.fit(X_train, y_train, eval_set=[(X_test, y_test)], early_stopping_rounds=10)\n",
                expect=[10]),
        Valid("import xgboost as xgb\n" + _SPLIT + _READ
              + "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
              "X_train, X_val, y_train, y_val = train_test_split(X_train, y_train)\nmodel = xgb.XGBClassifier()\n"
              "model.fit(X_train, y_train, eval_set=[(X_val, y_val)], early_stopping_rounds=10)\n",
              note="a validation set split off the training rows"),
        Invalid(_SPLIT + _METRIC + "from sklearn.neighbors import KNeighborsClassifier\n" + _READ
                + "X_train, X_test, y_train, y_test = train_test_split(X, y)\nscores = []\nfor k in range(1, 30):\n"
                "    knn = KNeighborsClassifier(n_neighbors=k).fit(X_train, y_train)\n"
                "    scores.append(accuracy_score(y_test, knn.predict(X_test)))\nbest_k = scores.index(max(scores)) + 1\n",
                expect=[13], note="the number of neighbours chosen on the test set"),
        Valid(_SPLIT + _METRIC + "from sklearn.neighbors import KNeighborsClassifier\n" + _READ
              + "X_train, X_val, y_train, y_val = train_test_split(X, y)\nscores = []\nfor k in range(1, 30):\n"
              "    knn = KNeighborsClassifier(n_neighbors=k).fit(X_train, y_train)\n"
              "    scores.append(accuracy_score(y_val, knn.predict(X_val)))\nbest_k = scores.index(max(scores)) + 1\n",
              note="chosen on a validation set"),
        Invalid(_SPLIT + _METRIC + _MODEL + "import numpy as np\n" + _READ
                + "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
                "proba = LogisticRegression().fit(X_train, y_train).predict_proba(X_test)[:, 1]\nscores = []\n"
                "for t in np.arange(0.1, 0.9, 0.05):\n    scores.append(accuracy_score(y_test, proba > t))\n"
                "threshold = np.arange(0.1, 0.9, 0.05)[np.argmax(scores)]\n",
                expect=[14], note="the decision threshold chosen on the test set"),
        Invalid(_SPLIT + _METRIC + _MODEL + "from sklearn.ensemble import RandomForestClassifier\n" + _READ
                + "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
                "models = {'lr': LogisticRegression(), 'rf': RandomForestClassifier()}\nscores = {}\n"
                "for name, model in models.items():\n    model.fit(X_train, y_train)\n"
                "    scores[name] = accuracy_score(y_test, model.predict(X_test))\n"
                "best = max(scores, key=scores.get)\n",
                expect=[15], note="two models compared on the test set, the best kept"),
        Valid(_SPLIT + _METRIC + _MODEL + "from sklearn.ensemble import RandomForestClassifier\n" + _READ
              + "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
              "models = {'lr': LogisticRegression(), 'rf': RandomForestClassifier()}\nscores = {}\n"
              "for name, model in models.items():\n    model.fit(X_train, y_train)\n"
              "    scores[name] = accuracy_score(y_test, model.predict(X_test))\nprint(scores)\n",
              note="the models' test scores reported side by side, none picked"),
    )

    def message(self, module, leak: Leak) -> str:
        if leak.how == "compared-on-test":
            return (f"`{leak.fit.text}` at {_where(module, leak.fit.line)} scores each model of a comparison on the test "
                    f"rows split off by `{leak.split_text}` at {_where(module, leak.split_line)}, and `{leak.eval_text}` "
                    f"at {_where(module, leak.eval_line)} keeps the best: the test set chose the model, so its score is "
                    "no longer an estimate for new data; compare on a validation set or with cross-validation")
        if leak.how == "tuned-on-test":
            return (f"`{leak.fit.text}` at {_where(module, leak.fit.line)} scores a hyperparameter sweep on the test rows "
                    f"split off by `{leak.split_text}` at {_where(module, leak.split_line)}, and `{leak.eval_text}` at "
                    f"{_where(module, leak.eval_line)} picks the best: the test set chose the model, so its score is no "
                    "longer an estimate for new data; tune on a validation set or with cross-validation")
        return (f"`{leak.fit.text}` at {_where(module, leak.fit.line)} stops training early on the held-out rows split "
                f"off by `{leak.split_text}` at {_where(module, leak.split_line)}: the test set chooses the model, so "
                "its score is no longer an estimate for new data")


class TargetLeakage(_LeakageRule):
    """The target is among the features: ``y = df["label"]`` and a model fitted on a frame that still holds ``label``.

    A column computed row by row from the target (``df["pct"] = df["label"] * 100``) and left among
    the features is the same answer in another form. The frame's columns are followed from the read
    through drops of literal names (``drop``,
    ``pop``, ``inplace=True``); any other selection (a column list, ``iloc``, a rename, ``del``)
    makes them unknown and nothing is said. Medium confidence: the analysis sees the code, not the
    file's columns.
    """

    id = "ML604"
    name = "target-leakage"
    leak_kind = "target"
    confidence = "medium"
    rationale = ("A model that is given the label as a feature scores perfectly offline and cannot work in "
                 "production, where the label is what it must predict; the offline numbers hide it until launch.")
    remediation = "Drop the target column from the features (`X = df.drop(columns=[TARGET])`) before fitting."
    examples = (
        Invalid(_SPLIT + _MODEL + "import pandas as pd\n\ndf = pd.read_csv('data.csv')\ny = df['label']\n"
                "X = df.drop(columns=['customer_id'])\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n"
                "model = LogisticRegression().fit(X_train, y_train)\n",
                expect=[9], note="the id column is dropped, the label is not"),
        Valid(_SPLIT + _MODEL + "import pandas as pd\n\nTARGET = 'label'\ndf = pd.read_csv('data.csv')\ny = df[TARGET]\n"
              "X = df.drop(columns=['customer_id', TARGET])\nX_train, X_test, y_train, y_test = train_test_split(X, y)\n"
              "model = LogisticRegression().fit(X_train, y_train)\n"),
        Valid(_MODEL + "import pandas as pd\n\ndf = pd.read_csv('data.csv')\ny = df.pop('label')\n"
              "model = LogisticRegression().fit(df, y)\n", note="pop takes the column out"),
        Valid(_MODEL + "import pandas as pd\n\ndf = pd.read_csv('data.csv')\ny = df['label']\nX = df.iloc[:, :-1]\n"
              "model = LogisticRegression().fit(X, y)\n", note="columns chosen by position: not known, nothing said"),
        Invalid(_MODEL + "import pandas as pd\n\ndf = pd.read_csv('loans.csv')\n"
                "df['paid_share'] = df['amount_repaid'] / df['amount']\ndf['defaulted'] = df['paid_share'] < 0.5\n"
                "df['paid_ratio_pct'] = df['defaulted'] * 100\n"
                "y = df['defaulted']\nX = df.drop(columns=['defaulted', 'amount_repaid', 'paid_share'])\n"
                "model = LogisticRegression().fit(X, y)\n",
                expect=[10], note="a feature computed from the label after it was made"),
        Valid(_MODEL + "import pandas as pd\n\ndf = pd.read_csv('loans.csv')\n"
              "df['paid_share'] = df['amount_repaid'] / df['amount']\ndf['defaulted'] = df['paid_share'] < 0.5\n"
              "df['income_share'] = df['amount'] / df['income']\n"
              "y = df['defaulted']\nX = df.drop(columns=['defaulted', 'amount_repaid', 'paid_share'])\n"
              "model = LogisticRegression().fit(X, y)\n", note="the columns the label was made from are dropped with it"),
    )

    def message(self, module, leak: Leak) -> str:
        if leak.how.startswith("derived:"):
            _, column, target, line = leak.how.split(":", 3)
            return (f"`{leak.eval_text}` at {_where(module, leak.eval_line)} fits on features that hold '{column}', made "
                    f"from the target '{target}' at {_where(module, int(line))} (`{module.line_text(int(line)).strip()[:80]}`): "
                    "a feature computed from the label is not there when the model must predict it; drop it")
        column = leak.how.split(":", 1)[1]
        return (f"`{leak.eval_text}` at {_where(module, leak.eval_line)} fits on features that still hold the column "
                f"'{column}', the target taken at {_where(module, leak.split_line)} (`{leak.split_text}`): drop it from "
                "the features")

    @staticmethod
    def evidence(module, leak: Leak) -> dict:
        found = {"fit": f"{_where(module, leak.eval_line)} {leak.eval_text}",
                 "target": f"{_where(module, leak.split_line)} {leak.split_text}", "column": leak.how.split(":")[1]}
        if leak.how.startswith("derived:"):
            line = int(leak.how.split(":", 3)[3])
            found["made_from_target"] = f"{_where(module, line)} {module.line_text(line).strip()[:80]}"
        return found


class ShuffledTimeSeriesSplit(_LeakageRule):
    """A shuffled split of rows ordered in time whose features look at other rows (lags, rolling windows).

    Rows sorted or indexed by a column named for time (``sort_values("date")``, ``set_index``,
    ``sort_index``), with a feature built by ``shift``, ``rolling``, ``diff`` or ``ewm``, then split
    by ``train_test_split`` without ``shuffle=False``, or cross-validated on shuffled folds
    (``KFold(shuffle=True)``, ``ShuffleSplit``). Low confidence, hidden by default: the
    analysis cannot tell a forecast from a model of independent rows that happen to carry a date.
    """

    id = "ML605"
    name = "shuffled-time-series-split"
    leak_kind = "temporal"
    confidence = "low"
    rationale = ("A forecasting model tested on rows that sit between its training rows, with lag features that "
                 "carry its neighbours' values, is evaluated on an interpolation task: the score is far better than "
                 "forecasting the future will be.")
    remediation = ("Split by time: the last period as the test set (`train_test_split(..., shuffle=False)` on rows "
                   "sorted by time), and `TimeSeriesSplit` for cross-validation.")
    examples = (
        Invalid(_SPLIT + "import pandas as pd\n\ndf = pd.read_csv('sales.csv').sort_values('date')\n"
                "df['sales_lag_7'] = df['sales'].shift(7)\ndf['sales_mean_28'] = df['sales'].rolling(28).mean()\n"
                "train, test = train_test_split(df, test_size=0.2)\n",
                expect=[7]),
        Valid(_SPLIT + "import pandas as pd\n\ndf = pd.read_csv('sales.csv').sort_values('date')\n"
              "df['sales_lag_7'] = df['sales'].shift(7)\ntrain, test = train_test_split(df, test_size=0.2, shuffle=False)\n",
              note="split by time: the last fifth is the test set"),
        Invalid("from sklearn.model_selection import KFold, cross_val_score\n" + _MODEL
                + "import pandas as pd\n\ndf = pd.read_csv('sales.csv').sort_values('date')\n"
                "df['sales_lag_7'] = df['sales'].shift(7)\nX = df.drop(columns=['up', 'date'])\n"
                "print(cross_val_score(LogisticRegression(), X, df['up'], cv=KFold(5, shuffle=True)))\n",
                expect=[8], note="cross-validation on shuffled folds"),
        Valid("from sklearn.model_selection import TimeSeriesSplit, cross_val_score\n" + _MODEL
              + "import pandas as pd\n\ndf = pd.read_csv('sales.csv').sort_values('date')\n"
              "df['sales_lag_7'] = df['sales'].shift(7)\nX = df.drop(columns=['up', 'date'])\n"
              "print(cross_val_score(LogisticRegression(), X, df['up'], cv=TimeSeriesSplit(5)))\n",
              note="folds in time order"),
        Valid(_SPLIT + "import pandas as pd\n\ndf = pd.read_csv('patients.csv').sort_values('date')\n"
              "train, test = train_test_split(df, test_size=0.2)\n", note="no feature looks at other rows"),
    )

    def message(self, module, leak: Leak) -> str:
        return (f"`{leak.fit.text}` at {_where(module, leak.fit.line)} shuffles rows ordered in time "
                f"(`{leak.split_text}` at {_where(module, leak.split_line)}) whose features look at other rows "
                f"(`{leak.eval_text}` at {_where(module, leak.eval_line)}): the test rows sit between training rows; "
                "if this is a forecast, split by time (shuffle=False, TimeSeriesSplit)")

    @staticmethod
    def evidence(module, leak: Leak) -> dict:
        return {"split": f"{_where(module, leak.fit.line)} {leak.fit.text}",
                "time_order": f"{_where(module, leak.split_line)} {leak.split_text}",
                "lag_feature": f"{_where(module, leak.eval_line)} {leak.eval_text}"}


class GroupLeakage(_LeakageRule):
    """A split by rows of a frame that holds several rows per user, customer or patient.

    The frame is computed within the groups of a column named for an entity
    (``df.groupby("user_id")["amount"].transform("mean")``, ``df.groupby("customer_id").cumcount()``),
    so it has several rows per entity; ``train_test_split`` then puts some of each entity's rows on
    both sides and the model is scored on entities it trained on. Low confidence, hidden by
    default: a model that only ever serves known users may be meant to be tested that way. A
    groupby followed by an aggregation (one row per entity) says nothing.
    """

    id = "ML606"
    name = "group-leakage"
    leak_kind = "group"
    confidence = "low"
    rationale = ("Rows of one user on both sides of the split let the model recognise the user instead of learning "
                 "the pattern: the offline score measures memory of known users, and falls for the new users "
                 "production brings.")
    remediation = ("Split by entity: `GroupShuffleSplit(...).split(X, y, groups=df['user_id'])` for a test set, "
                   "`GroupKFold` for cross-validation, so each user's rows are all on one side.")
    examples = (
        Invalid(_SPLIT + _MODEL + "import pandas as pd\n\nevents = pd.read_csv('events.csv')\n"
                "events['visit_number'] = events.groupby('user_id').cumcount()\n"
                "X = events.drop(columns=['churned'])\ny = events['churned']\n"
                "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
                "print(LogisticRegression().fit(X_train, y_train).score(X_test, y_test))\n",
                expect=[9], note="several visits per user, split visit by visit"),
        Valid(_SPLIT + _MODEL + "import pandas as pd\n\nevents = pd.read_csv('events.csv')\n"
              "users = events.groupby('user_id').agg(visits=('page', 'count'), churned=('churned', 'max'))\n"
              "X = users.drop(columns=['churned'])\ny = users['churned']\n"
              "X_train, X_test, y_train, y_test = train_test_split(X, y)\n"
              "print(LogisticRegression().fit(X_train, y_train).score(X_test, y_test))\n",
              note="aggregated to one row per user before the split"),
        Valid(_MODEL + "import pandas as pd\nfrom sklearn.model_selection import GroupShuffleSplit\n\n"
              "events = pd.read_csv('events.csv')\nevents['visit_number'] = events.groupby('user_id').cumcount()\n"
              "X = events.drop(columns=['churned'])\ny = events['churned']\n"
              "train_idx, test_idx = next(GroupShuffleSplit(test_size=0.2).split(X, y, groups=events['user_id']))\n"
              "model = LogisticRegression().fit(X.iloc[train_idx], y.iloc[train_idx])\n"
              "print(model.score(X.iloc[test_idx], y.iloc[test_idx]))\n",
              note="split by user"),
    )

    @staticmethod
    def line(leak: Leak) -> int:
        return leak.split_line or leak.fit.line  # the split is what changes

    def message(self, module, leak: Leak) -> str:
        column = leak.how.split(":", 1)[1]
        return (f"`{leak.split_text}` at {_where(module, leak.split_line)} splits row by row a frame that holds several "
                f"rows per '{column}' (`{leak.fit.text}` at {_where(module, leak.fit.line)} computes within each), so "
                f"`{leak.eval_text}` at {_where(module, leak.eval_line)} scores rows of {column}s the model trained "
                "on; if it must work for new ones, split by group (GroupShuffleSplit, GroupKFold)")

    @staticmethod
    def evidence(module, leak: Leak) -> dict:
        return {"split": f"{_where(module, leak.split_line)} {leak.split_text}",
                "grouped": f"{_where(module, leak.fit.line)} {leak.fit.text}",
                "evaluation": f"{_where(module, leak.eval_line)} {leak.eval_text}", "entity": leak.how.split(":", 1)[1]}


class FutureRowsFeature(_LeakageRule):
    """A feature made from later rows: ``df["next_close"] = df["close"].shift(-1)`` left among the features.

    ``shift``, ``diff`` or ``pct_change`` with a negative period give each row a later row's value,
    and ``rolling(..., center=True)`` a window that reaches forward; that is how a target is made
    (and the column taken as ``y``, or dropped from the features, is left alone), but as a feature it
    is a value from the future, which serving will not have. Low confidence, hidden by default: the
    rows may not be in time order.
    """

    id = "ML607"
    name = "future-rows-feature"
    leak_kind = "future"
    confidence = "low"
    rationale = ("A feature that holds tomorrow's value makes today's prediction easy offline and impossible in "
                 "production, where tomorrow has not happened: the model leans on a column serving cannot fill.")
    remediation = ("Build features from the current and earlier rows only (`shift(1)`, a trailing window); keep the "
                   "negative shift for the target, and drop it from the features.")
    examples = (
        Invalid(_MODEL + "import pandas as pd\n\nprices = pd.read_csv('prices.csv').sort_values('day')\n"
                "prices['next_volume'] = prices['volume'].shift(-1)\nprices['target'] = prices['close'].shift(-1)\n"
                "y = prices['target']\nX = prices.drop(columns=['target', 'day'])\n"
                "model = LogisticRegression().fit(X, y)\n",
                expect=[9], note="the next day's volume is among the features"),
        Valid(_MODEL + "import pandas as pd\n\nprices = pd.read_csv('prices.csv').sort_values('day')\n"
              "prices['last_volume'] = prices['volume'].shift(1)\nprices['target'] = prices['close'].shift(-1)\n"
              "y = prices['target']\nX = prices.drop(columns=['target', 'day'])\n"
              "model = LogisticRegression().fit(X, y)\n",
              note="the negative shift makes the target, which is taken out of the features"),
        Valid(_MODEL + "import pandas as pd\n\nprices = pd.read_csv('prices.csv').sort_values('day')\n"
              "prices['smooth'] = prices['close'].rolling(5, center=True).mean()\n"
              "y = prices['up']\nX = prices.drop(columns=['up', 'day', 'smooth'])\n"
              "model = LogisticRegression().fit(X, y)\n", note="the centred window is dropped before the fit"),
    )

    def message(self, module, leak: Leak) -> str:
        column = leak.how.split(":", 1)[1]
        return (f"`{leak.fit.text}` at {_where(module, leak.fit.line)} fits on features that hold '{column}', made at "
                f"{_where(module, leak.split_line)} from later rows (`{leak.eval_text}`): serving will not have the "
                "future value; build features from earlier rows only, or drop it")

    @staticmethod
    def evidence(module, leak: Leak) -> dict:
        return {"fit": f"{_where(module, leak.fit.line)} {leak.fit.text}",
                "column": f"{_where(module, leak.split_line)} {leak.split_text}",
                "later_rows": f"{_where(module, leak.eval_line)} {leak.eval_text}"}

