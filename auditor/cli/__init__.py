"""The command line: ``mlaudit scan``, ``fix``, ``baseline``, ``rules``, ``explain``, ``demo``,
``server`` (the language server, in ``auditor.server``), ``history`` and ``report`` (``main``,
``history``), and the checked configuration every command runs with (``settings``: each part of
mlaudit validates its own options before anything runs).

The top layer: it may import every other package; nothing imports it.
"""

from auditor.cli.main import main

__all__ = ["main"]
