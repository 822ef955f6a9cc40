"""Feature engineering for the churn model."""

import sys

import pandas as pd

FEATURES = ["tenure_months", "monthly_spend", "monthly_spend_ratio", "support_tickets_90d"]
TARGET = "churned"


def build_features(raw: pd.DataFrame) -> pd.DataFrame:
    df = raw.copy()
    df["tenure_months"] = (df["last_seen"] - df["signup_date"]).dt.days // 30
    df["monthly_spend"] = df["total_spend"] / df["tenure_months"].clip(lower=1)
    df["monthly_spend_ratio"] = df["monthly_spend"] / df["monthly_spend"].median()
    df["support_tickets_90d"] = df["tickets"].fillna(0)
    # Bucketed tenure was tried for the v1 model; nothing reads it any more.
    df["tenure_bucket"] = pd.cut(df["tenure_months"], bins=[0, 6, 12, 24, 120])
    return df


def plan_discount(plan, tenure, spend, tickets, region):
    # FIXME
    if plan == "basic":
        if tenure < 6:
            return 0.0
        elif tenure < 12:
            return 0.05 if spend > 20 else 0.02
        elif tickets > 3:
            return 0.1
        return 0.03
    elif plan == "pro":
        if region == "eu" and spend > 100:
            return 0.15
        elif region == "eu":
            return 0.1
        elif region == "us" and tickets > 5:
            return 0.12
        elif tenure > 36 or spend > 500:
            return 0.2
        return 0.05
    elif plan == "enterprise":
        if tickets > 10 and tenure < 12:
            return 0.25
        elif tickets > 10:
            return 0.2
        elif spend > 10000 and region in ("eu", "uk"):
            return 0.18
        elif spend > 10000:
            return 0.15
        return 0.1
    elif plan == "trial":
        return 0.0 if tenure < 1 else 0.5
    else:
        return 0.0
    print("unreachable")


if __name__ == "__main__":
    raw = pd.read_csv(sys.argv[1], parse_dates=["signup_date", "last_seen"])
    build_features(raw).to_parquet(sys.argv[2])
