"""A logistic-regression baseline, retrained weekly; its artifact is fresh."""

import joblib
from sklearn.linear_model import LogisticRegression

from churn.features import FEATURES, TARGET

BASELINE_PATH = "models/baseline_model.joblib"


def train_baseline(df):
    model = LogisticRegression(max_iter=1000, random_state=0)
    model.fit(df[FEATURES], df[TARGET])
    joblib.dump(model, BASELINE_PATH)
    return model


if __name__ == "__main__":
    import pandas as pd

    train_baseline(pd.read_parquet("data/accounts.parquet"))
