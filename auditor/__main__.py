"""``python -m auditor``: the same as the ``mlaudit`` command, which is the preferred form.

``python -m`` puts the current directory first on ``sys.path``. Run from the root of a scanned
repository, that would make a ``yaml.py``, ``click.py`` or ``json.py`` of the repository shadow the
real module, and run it. So, before anything else is imported, the current directory leaves
``sys.path`` unless it is where this copy of mlaudit lives (a source checkout).
"""

import os
import sys


def _drop_current_directory() -> None:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cwd = os.getcwd()
    if os.path.realpath(cwd) == os.path.realpath(here):
        return
    # mlaudit: ignore[ML405] -- this edit removes the scanned directory from the path; it adds nothing
    sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.realpath(p) != os.path.realpath(cwd)]


_drop_current_directory()

from auditor.cli.main import main  # noqa: E402 -- only after the current directory is off sys.path

if __name__ == "__main__":
    main()
