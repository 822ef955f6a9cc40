"""Weekly churn report from the 2024 dashboard; nothing imports this module any more."""

import pandas as pd


def weekly_report(df: pd.DataFrame) -> pd.DataFrame:
    return df.groupby(pd.Grouper(key="last_seen", freq="W"))["churned"].mean().to_frame("churn_rate")
