"""The long-running loops around the scan: the language server (``lsp``: ``mlaudit server``, over
stdio, with pygls from the ``mlaudit[server]`` extra; ``diagnostics``: findings as LSP diagnostics,
planned fixes as text edits) and ``mlaudit scan --watch`` (``watch``: re-scan when a file changes,
print what changed in the findings; standard library only).

Both re-scan with the engine and its result cache, so a re-check after one file changed analyses
that file and reuses the rest. Neither writes into the scanned repository: the cache lives in the
user's cache directory, and a fix reaches a file only as an edit the editor applies.

It may import the fixes (``auditor.fix``: a code action is a planned fix), the reporters, the engine
and everything below; only the command line imports it. What it needs from the command line (the
checked configuration, the text of ``mlaudit explain``) is handed to it by the command.
"""
