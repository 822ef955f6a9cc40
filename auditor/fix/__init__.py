"""``mlaudit fix``: repair what the scan found, with libcst, only where asked.

It may import the engine (a fix run scans, and scans again after each round), the reporters (files
are written as reports are: atomically) and everything below them; the command line and the
language server (``auditor.server``: a quick fix is a planned fix) import it. The scan stays on
``ast``; a fix re-reads the one file it repairs and edits it with libcst, which keeps every
comment, blank line and quote.

- ``edits``: a fix as line edits of one file, and how fixes of one file are merged or deferred;
- ``targets``: a Python file or a notebook as lines to edit, and writing it back byte-exact
  (a notebook keeps its JSON layout, so the diff shows only the changed source lines);
- ``fixers``: one function per fixable rule, from a finding and the file's text to the new text;
- ``pins``: versions from the repository's lock files or from an environment, for requirements;
- ``ignores``: ``--add-ignore``: a reasoned ``# mlaudit: ignore[...]`` above each finding;
- ``run``: scan, plan, apply in rounds until nothing is left to fix, and report what happened.
"""
