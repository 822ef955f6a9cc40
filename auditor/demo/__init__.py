"""The bundled demo repository: a small ML project with planted debt and clean counterparts."""

from __future__ import annotations


class DemoError(Exception):
    pass


def build_demo(directory, force: bool = False) -> None:
    raise DemoError("not yet")
