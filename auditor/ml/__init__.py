"""What mlaudit knows about machine learning, in one place, as tables and small pure functions:

- ``models``: model-file formats (extensions, magic bytes, ``sniff``), the calls that save and load a
  model and the position of their path argument, the calls that train;
- ``paths``: what a test and a test fixture are (``is_test_path``, ``in_test_folder``);
- ``training``: what a training script, a training pipeline and a training command are;
- ``serving``: the serving libraries and what a service's path looks like;
- ``tracking``: experiment trackers and the calls that log parameters and metrics or register a model;
- ``frameworks``: hooks and entry points that frameworks call (so they are not dead code);
- ``requirements``: how requirement specifiers and pins read;
- ``versions``: the versions a lock file resolves, specifiers met, a requirement pinned exactly;
- ``stated_versions``: a model, data or schema version as a comment states it, and as code names it.

Rules, the analysis and the readiness checks all read these tables; none keeps a copy of its own
(tests/test_ml_knowledge.py fails on a copy). This package is plain knowledge: it may import only the
standard library and the base layer (``auditor.finding``, ``auditor.config``); everything else in
mlaudit may import it.
"""
