"""Scans over time: the SQLite store of recorded scans (``store``), the backfill of past commits
read from git objects (``backfill``) and the periodic team report built from them (``team``:
trends, new and fixed debt, debt by owner).

It may import the reporters (``auditor.report``: the team report reuses the HTML page and the JSON
encoding), the CI layer, the engine and everything below; only the command line imports it.
"""
