"""The repository model: what is in the scanned repository, read once and shared by every rule.

Discovery of files (``discover``), decoding of sources and notebooks (``sources``), each file's kind
and parsed configs (``project``: ``Project``, ``RepoFile``), git history and trees read safely
(``gitinfo``, ``gitexport``), CODEOWNERS (``codeowners``), the per-module facts store
(``factstore``), source excerpts (``excerpt``) and Markdown documents as a parser reads them
(``docs``). Nothing here interprets code.

It may import the base layer (``auditor.finding``, ``auditor.config``) and the ML knowledge
(``auditor.ml``), nothing above: what analysis derives from the model (the program graph, the
artifacts) is handed to ``Project`` by the engine as builders.
"""
