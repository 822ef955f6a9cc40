"""mlaudit: a static auditor of technical debt and operational readiness for ML repositories.

The import package is ``auditor``; the distribution and the CLI are ``mlaudit``.
"""

__version__ = "0.1.0"

# The project's public home, declared once (pyproject's [project.urls] says the same): SARIF's
# informationUri and each rule's helpUri point into it, at the release tag of the running version,
# so a rule's page always describes the rule that produced the finding.
PROJECT_URL = "https://github.com/mlaudit/mlaudit"


def rule_page_url(rule_id: str) -> str:
    return f"{PROJECT_URL}/blob/v{__version__}/docs/rules/{rule_id}.md"
