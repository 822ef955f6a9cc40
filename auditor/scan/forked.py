"""One function run in a forked child beside the main process, its JSON result read back.

The project phase is one process; on a machine with a second core, work that needs the whole
repository model but not the findings (what readiness gathers) runs beside the project rules
instead of after them. Only where ``fork`` is the platform's way to start processes (Linux):
the child starts with the model already in memory and copies nothing. Anything that goes wrong
in the child gives None, and the caller does the work itself.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from typing import Any, Callable


def available() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class ForkedCall:
    """``fn(*args)`` in a child process. Fork only where no other thread runs: a child of a
    multi-threaded process can inherit a lock another thread held."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: compute, write, leave without running the parent's cleanup
            os.close(read)
            gc.disable()  # short-lived, and it leaves with os._exit: the collector's passes are waste
            try:
                payload = json.dumps({"value": fn(*args)}, separators=(",", ":"))
            except BaseException:  # noqa: BLE001 - the parent redoes the work and reports what breaks
                payload = "{}"
            try:
                with os.fdopen(write, "w", encoding="utf-8") as out:
                    out.write(payload)
            finally:
                os._exit(0)
        os.close(write)
        self._read = read

    def result(self) -> Any:
        """The child's value, or None when it failed."""
        with os.fdopen(self._read, "r", encoding="utf-8") as source:
            text = source.read()
        os.waitpid(self.pid, 0)
        try:
            return json.loads(text).get("value")
        except (ValueError, AttributeError):
            return None
