"""Work forked beside the main process: the value comes back, a failure comes back as None."""

import os

import pytest

from auditor.scan import forked
from auditor.scan.forked import ForkedCall

pytestmark = pytest.mark.skipif(not forked.available(), reason="processes are forked only on Linux")


def test_the_childs_value_comes_back_as_json():
    parent = os.getpid()
    call = ForkedCall(lambda data: {"pid_differs": os.getpid() != parent, "data": data}, ("a", 1))
    assert call.result() == {"pid_differs": True, "data": ["a", 1]}


def test_a_failure_in_the_child_is_none_and_the_parent_goes_on():
    def broken():
        raise RuntimeError("broken in the child")

    assert ForkedCall(broken).result() is None
    assert ForkedCall(lambda: {"x": object()}).result() is None  # not JSON: None as well


def test_a_large_value_is_read_whole():
    value = ["x" * 1000] * 1000  # far past a pipe's buffer
    assert ForkedCall(lambda: value).result() == value
