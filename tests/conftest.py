"""Test-wide set-up: the cache's secret key lives in a configuration folder of the test session's
own, never the user's (auditor/scan/cache.py)."""

import os
import tempfile

os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="mlaudit-test-config-"))
