"""mlaudit as a quality gate: the gate's conditions and exit code (``gate``), baselines of
accepted findings (``baseline``) and only-new-debt against a git reference (``since``).

It may import the engine (``auditor.scan``) and the layers below; reporters and the command line
import it, never the other way round.
"""
