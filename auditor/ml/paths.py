"""What a path says about its file's role: tests, test support code and test fixtures.

One home for these definitions, used by every rule, the program analysis and the readiness checks.
They are three concepts, each named for what its users need:

- ``is_test_path``: a test. A file named ``test_*``, ``*_test.py`` or ``conftest.py``, or any file
  under a ``tests``, ``test`` or ``testing`` folder. Tests are entry points of their own (the dead-code
  roots) and are held to other standards (hard-coded paths, broad excepts).
- ``is_test_support_path``: a test, or code that serves the tests from a folder named ``test_*``
  (``test_utils/``, ``test_data/``: helpers, fixtures, scripts the tests launch). The seed rules
  leave these alone: a helper that draws random test data needs no pinned seed.
- ``in_test_folder``: a model file there is a test fixture, not a deployed model: a folder named
  tests, test_data, fixtures..., or one whose name has the word test and that holds a test module
  (``folders_of_tests``: an ``integraton-test/`` beside its ``test_docker.py``, never ``contest/``).
- ``is_teaching_path``: course and sample material (labs, exercises, solutions, tutorials,
  examples, homework, workshops): an exercise's ``# TODO: your code here`` is an instruction, and
  nothing there runs in production.
"""

from __future__ import annotations

import re
from functools import lru_cache

from auditor.pathnames import posix_path

TEST_FOLDERS = frozenset({"tests", "test", "testing"})
# Folders of test fixtures and data: a model file there is a fixture, not a deployed model.
_FIXTURE_FOLDERS = frozenset({"tests", "test", "testing", "fixtures", "testdata", "test_data", "examples_test"})
_TEST_WORDS = frozenset({"test", "tests", "testing"})


# Pure functions of a path, asked for every definition of a project: answered once per path.
@lru_cache(maxsize=1 << 16)
def is_test_path(path: str) -> bool:
    """The file is a test (pytest's and unittest's naming, or a test folder)."""
    p = posix_path(path)
    name = p.name
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(part in TEST_FOLDERS for part in p.parts[:-1]))


@lru_cache(maxsize=1 << 16)
def is_test_support_path(path: str) -> bool:
    """A test, or a file under a ``test_*`` folder that serves the tests."""
    return is_test_path(path) or any(part.startswith("test_") for part in posix_path(path).parts[:-1])


def folders_of_tests(paths) -> frozenset[str]:
    """Folders whose name has the word test (``integration-test``, ``e2e_tests``) and that hold a
    test module as ``is_test_path`` decides: test folders by what they hold, not by their name alone
    (``contest/`` holds no tests; a ``models-test/`` with no test module is not one either)."""
    found = set()
    for path in paths:
        parent = posix_path(path).parent
        if parent.name and is_test_path(path) and _TEST_WORDS & set(re.split(r"[-_.]", parent.name.lower())):
            found.add(str(parent))
    return frozenset(found)


def in_test_folder(path: str, test_dirs: frozenset[str] = frozenset()) -> bool:
    """The file lies under a test or fixture folder: named as one ("tests", "test_data", "fixtures")
    or one of ``test_dirs`` (``folders_of_tests``)."""
    p = posix_path(path)
    return any(part.lower() in _FIXTURE_FOLDERS for part in p.parts[:-1]) or \
        any(str(parent) in test_dirs for parent in p.parents)


# Words of folder names (split at - _ .) of course material, where a reader does the exercises.
EXERCISE_WORDS = frozenset({"labs", "lab", "exercises", "exercise", "solutions", "solution", "tutorials", "tutorial",
                            "homework", "homeworks", "workshops", "workshop", "courses", "course", "lessons", "lesson",
                            "assignments", "assignment"})
# And of sample material: runnable, but not production either.
SAMPLE_WORDS = frozenset({"examples", "example", "samples", "sample"})


def _folder_words(path: str) -> set[str]:
    return {word for part in posix_path(path).parts[:-1] for word in re.split(r"[-_.]", part.lower())}


@lru_cache(maxsize=1 << 16)
def is_exercise_path(path: str) -> bool:
    """The file is course material: under a labs/, exercises/, homework-wandb/, ... folder."""
    return bool(_folder_words(path) & EXERCISE_WORDS)


@lru_cache(maxsize=1 << 16)
def is_teaching_path(path: str) -> bool:
    """The file is course or sample material (exercises, or examples/ and samples/)."""
    return bool(_folder_words(path) & (EXERCISE_WORDS | SAMPLE_WORDS))


def runs_in_production(path: str) -> bool:
    """Code that may run in production: not a notebook, a test, or course and sample material."""
    return not path.endswith(".ipynb") and not is_test_path(path) and not is_teaching_path(path)
