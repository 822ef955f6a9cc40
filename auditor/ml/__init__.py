"""What mlaudit knows about machine learning, in one place: the tables and small pure functions
that say what a model file is (extensions and magic bytes), which calls save and load models, which
calls track experiments and log metrics, what a training script is, what a test path is, which
framework hooks and entry points the frameworks call, and how requirement specifiers read.

Rules, the analysis and the readiness checks all read these tables; none keeps a copy of its own.
This package is plain knowledge: it may import only the standard library and ``auditor.finding``
and ``auditor.config`` (the base layer); everything else in mlaudit may import it.
"""
