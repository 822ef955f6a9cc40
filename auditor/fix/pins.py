"""``--pin-from PYTHON``: the versions installed in an environment, read from its metadata.

The interpreter is asked only where its site-packages are (``python -I -S``: isolated, no ``site``,
so no ``.pth`` file and nothing of the environment runs, and never the scanned repository's code);
the distributions' ``METADATA`` files are then read as text.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from email.parser import HeaderParser
from pathlib import Path

from auditor.ml.requirements import normalise

_WHERE = "import json, sysconfig; p = sysconfig.get_paths(); print(json.dumps([p['purelib'], p['platlib']]))"


class PinSourceError(Exception):
    """The environment cannot be read; the message says why (exit code 2)."""


def installed_versions(python: str) -> dict[str, str]:
    """Normalised distribution name -> version installed in ``python``'s environment."""
    executable = shutil.which(python)
    if executable is None:
        raise PinSourceError(f"--pin-from {python}: no such interpreter")
    with tempfile.TemporaryDirectory() as neutral:  # run it away from the repository
        try:
            done = subprocess.run([executable, "-I", "-S", "-c", _WHERE], capture_output=True, text=True, timeout=30,
                                  cwd=neutral, env={"PATH": "/usr/bin:/bin"})
        except (OSError, subprocess.SubprocessError) as exc:
            raise PinSourceError(f"--pin-from {python}: cannot run it ({exc})") from None
    if done.returncode != 0:
        raise PinSourceError(f"--pin-from {python}: it failed: {done.stderr.strip()[-300:]}")
    try:
        folders = [Path(p) for p in json.loads(done.stdout)]
    except (ValueError, TypeError):
        raise PinSourceError(f"--pin-from {python}: not a Python interpreter") from None
    versions: dict[str, str] = {}
    parser = HeaderParser()
    for folder in dict.fromkeys(folders):
        for metadata in [*folder.glob("*.dist-info/METADATA"), *folder.glob("*.egg-info/PKG-INFO")]:
            try:
                headers = parser.parsestr(metadata.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                continue
            name, version = headers.get("Name"), headers.get("Version")
            if name and version:
                versions.setdefault(normalise(name), version.strip())
    if not versions:
        raise PinSourceError(f"--pin-from {python}: no installed distribution found in {', '.join(map(str, folders))}")
    return versions
