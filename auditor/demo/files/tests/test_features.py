import pandas as pd

from churn.evaluate import evaluate
from churn.features import FEATURES, TARGET, build_features, plan_discount


def test_build_features_produces_model_inputs():
    raw = pd.DataFrame({
        "signup_date": pd.to_datetime(["2025-01-01"]), "last_seen": pd.to_datetime(["2025-07-01"]),
        "total_spend": [120.0], "tickets": [None],
    })
    out = build_features(raw)
    assert set(FEATURES) <= set(out.columns)


def test_plan_discount_for_new_trial_accounts():
    assert plan_discount("trial", tenure=0, spend=0, tickets=0, region="eu") == 0.0


def test_evaluate_scores_a_constant_model():
    from sklearn.dummy import DummyClassifier

    df = pd.DataFrame({name: [0.0, 1.0] * 10 for name in FEATURES})
    df[TARGET] = [0, 1] * 10
    assert 0.0 <= evaluate(DummyClassifier(strategy="most_frequent"), df) <= 1.0
