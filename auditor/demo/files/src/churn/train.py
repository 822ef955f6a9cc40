"""Train the churn model."""

import argparse
import pickle
import sys

import mlflow
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

sys.path.insert(0, "/home/alice/projects/churn/src")  # noqa

from churn.features import FEATURES, TARGET  # noqa: E402
from churn.utils import load_yaml, set_seeds  # noqa: E402

MODEL_PATH = "models/churn_model.pkl"


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/train.yaml")
    args = parser.parse_args(argv)
    config = load_yaml(args.config)
    set_seeds(config["seed"])

    df = pd.read_parquet(config["data"]["path"])
    # TODO: the split should be by customer, not by row
    X_train, X_test, y_train, y_test = train_test_split(df[FEATURES], df[TARGET], test_size=0.2)

    model = RandomForestClassifier(random_state=config["seed"], **config["model"])
    model.fit(X_train, y_train)
    try:
        mlflow.log_params(config["model"])
        mlflow.log_metric("accuracy", model.score(X_test, y_test))
    except Exception:
        pass

    # old_model = GradientBoostingClassifier(n_estimators=100)
    # old_model.fit(X_train, y_train)
    # score = old_model.score(X_test, y_test)
    # print("gbm", score)

    with open(MODEL_PATH, "wb") as handle:
        pickle.dump(model, handle)


if __name__ == "__main__":
    main()
