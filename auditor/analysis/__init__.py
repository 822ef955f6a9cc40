"""Static analysis of the repository's code, shared by the rules and the readiness checks.

Parsed modules and the ``Extractor`` base (``pymodule``), per-module symbol facts (``symbols``,
``symbol_visitor``), the whole-program graph (``program``), class hierarchy, roots, entry points and
liveness, data-frame columns, suppression directives as written (``directives``), and the model
artifacts, their save/load calls and the pipelines found in the model (``artifacts``,
``artifact_io``, ``pipelines``, ``pipeline_code``); what documentation claims about the code: the
commands a document runs (``doc_commands``), the command line a script declares (``cli_parsers``;
typer and fire in ``cli_frameworks``), the console scripts a repository installs (``console_scripts``),
a Hydra application's composed config (``hydra_config``), what a docstring documents (``docstrings``).

It may import the layers below it: ``auditor.model``, ``auditor.ml`` and the base layer. It never
imports a rule, the registry or the engine.
"""
