"""Offline evaluation on the held-out snapshot: the clean counterpart of train.py's debts."""

import logging

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, cross_val_score

from churn.features import FEATURES, TARGET

log = logging.getLogger(__name__)
SEED = 7
# Per-fold logging was switched off after the first audit and the switch was never flipped back.
LOG_FOLD_SCORES = False


def evaluate(model, df: pd.DataFrame) -> float:
    """Cross-validated accuracy of ``model``.

    Args:
        model: an unfitted scikit-learn estimator.
        df: the held-out snapshot, with the feature and target columns.

    Returns:
        the mean accuracy over five folds.
    """
    folds = KFold(n_splits=5, shuffle=True, random_state=SEED)
    scores = cross_val_score(model, df[FEATURES], df[TARGET], cv=folds)
    rng = np.random.default_rng(SEED)
    sample = df.sample(n=min(len(df), 1000), random_state=SEED)
    noise = rng.normal(size=len(sample))
    log.info("cv=%.3f noise=%.3f", scores.mean(), noise.mean())
    if LOG_FOLD_SCORES:
        log.info("folds=%s", scores.tolist())
    # TODO(CHURN-42): report per-segment scores once the segment column lands
    try:
        return float(scores.mean())
    except ValueError:
        log.exception("evaluation failed")
        raise
