"""Running a scan: the engine and everything it needs to be fast and safe.

The engine (``engine``: ``scan``, ``ScanResult``) discovers files, runs the per-file workers
(``worker``), the project phase and the suppression pass (``suppress``, which also makes ML420 and
ML421), then asks readiness for its score. The result cache (``cache``), the incremental keys
(``incremental``), git blame for ages (``blame``) and the forked readiness gatherer (``forked``)
live here too.

It may import the rules (through ``auditor.registry``), readiness, analysis, model, ML knowledge
and the base layer; it never imports the CI gate, a reporter or the command line: the gate is
evaluated by whoever reads the result.
"""
