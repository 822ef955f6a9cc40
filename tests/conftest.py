"""Test-wide set-up: the cache's secret key lives in a configuration folder of the test session's
own, never the user's (auditor/scan/cache.py)."""

import os
import tempfile

os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="mlaudit-test-config-"))


# Every JSON report a test renders is checked against the published schema (docs/schemas/), so the
# schema cannot drift from what mlaudit writes.
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _json_reports_follow_the_schema(monkeypatch):
    try:
        import jsonschema
    except ImportError:  # the schema test says how to install it
        yield
        return
    import json

    from auditor.report import json_report
    from auditor.report.schema import report_schema

    validator = jsonschema.Draft202012Validator(report_schema())
    render = json_report.render_json

    def checked(result, **options):
        text = render(result, **options)
        validator.validate(json.loads(text))
        return text

    monkeypatch.setattr(json_report, "render_json", checked)  # what FORMATS["json"] looks up on each call
    yield
