"""The command line."""

from auditor.cli.main import main

__all__ = ["main"]
