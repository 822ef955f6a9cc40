"""The operational-readiness score: the 3 AM questions answered from the repository, with evidence.

Can you trace which data and code made the model? Reproduce it? See when a problem started? Roll back
in under five minutes? Each dimension is a set of checks (pass, partial, fail) computed from the
Project model and the scan's findings; ``compute_readiness`` turns them into scores, a grade and a
rollback estimate. Same repository, same findings, same weights: same score.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compute_readiness", "gather", "DIMENSIONS", "PASS", "PARTIAL", "FAIL"]


def __getattr__(name: str) -> Any:
    """The package's names, imported on first use (auditor/readiness/compute.py): the rule
    registry imports the usage extractor (auditor/readiness/facts.py) on every scan, and a scan
    answered from the cache should not load every check with it."""
    if name in __all__:
        from auditor.readiness import compute

        return getattr(compute, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
