"""The operational-readiness score: the 3 AM questions answered from the repository, with evidence.

Can you trace which data and code made the model? Reproduce it? See when a problem started? Roll back
in under five minutes? Each dimension is a set of checks (pass, partial, fail) computed from the
Project model and the scan's findings; ``compute_readiness`` turns them into scores, a grade and a
rollback estimate. Same repository, same findings, same weights: same score.

It may import the rules layer (the usage extractor is an ``Extractor``), analysis, model, ML
knowledge and the base layer; the engine imports it, it never imports the engine or a reporter.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compute_readiness", "gather", "DIMENSIONS", "PASS", "PARTIAL", "FAIL"]


_HOMES = {"gather": "gathering", "DIMENSIONS": "gathering"}  # the rest live in auditor/readiness/compute.py


def __getattr__(name: str) -> Any:
    """The package's names, imported on first use: the rule registry imports the usage extractor
    (auditor/readiness/facts.py) on every scan, and a scan that re-weighs cached evidence
    (``compute_readiness`` with ``gathered``) should not load every check with it."""
    if name in __all__:
        import importlib

        return getattr(importlib.import_module(f"auditor.readiness.{_HOMES.get(name, 'compute')}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
