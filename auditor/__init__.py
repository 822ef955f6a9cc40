"""mlaudit: a static auditor of technical debt and operational readiness for ML repositories.

The import package is ``auditor``; the distribution and the CLI are ``mlaudit``.
"""

__version__ = "0.1.0"
