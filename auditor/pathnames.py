"""Repository paths as ``PurePosixPath`` objects, made once per path.

Paths in a scan are POSIX strings relative to its root (``src/pkg/mod.py``). Rules, units, the
readiness index and the program graph each ask for the parts, name, suffix or parent of the same
few thousand paths, and a long-lived process (``mlaudit server``) asks again at every scan:
a ``PurePosixPath`` costs about 2 microseconds to make, a cached one a tenth of that. The objects
are immutable, so sharing them is safe.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePosixPath

# A 1,000,000-line tree has about 5,000 files: room for every path of a large repository.
posix_path = lru_cache(maxsize=1 << 15)(PurePosixPath)
