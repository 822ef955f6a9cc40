"""What a path says about its file's role: tests and test fixtures.

One definition used by every rule, the program analysis and the readiness checks. A test is a file
named ``test_*``, ``*_test.py`` or ``conftest.py``, or any file under a ``tests``, ``test`` or
``testing`` folder or a folder named ``test_*`` (``test_utils/``, ``test_data/``): code kept there
serves the tests (helpers, fixtures, scripts the tests launch), so it is never production code that
should be seeded or called. ``in_test_folder`` says where model files are fixtures.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath

TEST_FOLDERS = frozenset({"tests", "test", "testing"})
# Folders of test fixtures and data: a model file there is a fixture, not a deployed model.
_FIXTURE_FOLDERS = frozenset({"tests", "test", "testing", "fixtures", "testdata", "test_data", "examples_test"})
_FIXTURE_WORDS = frozenset({"test", "tests", "testing", "fixture", "fixtures", "testdata"})


# A pure function of a path, asked for every definition of a project: answered once per path.
@lru_cache(maxsize=1 << 16)
def is_test_path(path: str) -> bool:
    """The file is a test (pytest's and unittest's naming, or a test folder)."""
    p = PurePosixPath(path)
    name = p.name
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(part in TEST_FOLDERS or part.startswith("test_") for part in p.parts[:-1]))


def in_test_folder(path: str) -> bool:
    """The file lies under a test or fixture folder ("tests", "test_data", "integration-test", ...)."""
    return any(part.lower() in _FIXTURE_FOLDERS or _FIXTURE_WORDS & set(re.split(r"[-_.]", part.lower()))
               for part in PurePosixPath(path).parts[:-1])
