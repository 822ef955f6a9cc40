import pandas as pd

from churn.features import FEATURES, build_features


def test_build_features_produces_model_inputs():
    raw = pd.DataFrame({
        "signup_date": pd.to_datetime(["2025-01-01"]), "last_seen": pd.to_datetime(["2025-07-01"]),
        "total_spend": [120.0], "tickets": [None],
    })
    out = build_features(raw)
    assert set(FEATURES) <= set(out.columns)
