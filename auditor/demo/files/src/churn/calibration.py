"""How well the churn model ranks accounts, measured two ways for last quarter's review."""

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from churn.features import FEATURES, TARGET

if __name__ == "__main__":
    accounts = pd.read_parquet("data/accounts.parquet")

    # The number on the slide: every account scaled first, then split.
    scaled = StandardScaler().fit_transform(accounts[FEATURES])
    X_train, X_test, y_train, y_test = train_test_split(scaled, accounts[TARGET], test_size=0.25, random_state=0)
    model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
    print("AUC (slide):", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))

    # The same model with the scaler inside a pipeline fitted on the training rows only.
    X_train, X_test, y_train, y_test = train_test_split(accounts[FEATURES], accounts[TARGET], test_size=0.25,
                                                        random_state=0)
    honest = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
    print("AUC (held out):", roc_auc_score(y_test, honest.predict_proba(X_test)[:, 1]))
