"""Shared helpers."""

import logging
import os
import random

import numpy as np

log = logging.getLogger(__name__)


def set_seeds(seed: int) -> None:
    """Seed every library the training code draws randomness from."""
    random.seed(seed)
    np.random.seed(seed)
    log.info("seeds set to %d", seed)


def load_yaml(path):
    """Read a YAML config with the safe loader.

    Args:
        config_file: where the config lives (renamed ``path``; the docstring was left behind).
    """
    import yaml

    with open(path) as handle:
        return yaml.safe_load(handle)


def legacy_normalize(values):
    """Min-max scaling from the first model version; nothing calls it any more."""
    low, high = min(values), max(values)
    return [(v - low) / (high - low) for v in values]
