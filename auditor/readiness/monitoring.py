"""Monitoring: would logs, metrics and alerts show when and where the problem started?"""

from __future__ import annotations

import re

from auditor.model.project import CONFIG, DOCKERFILE, REQUIREMENTS
from auditor.readiness.index import Index
from auditor.readiness.model import FAIL, PARTIAL, PASS, Check, check

STRUCTURED_LOGGING = ("structlog", "pythonjsonlogger", "json_log_formatter", "json_logging", "ecs_logging",
                      "google.cloud.logging", "aws_lambda_powertools.logging", "opentelemetry.sdk._logs")
_JSON_FORMATTER = re.compile(r"JsonFormatter|pythonjsonlogger|json_log_formatter|structlog|\"format\"\s*:\s*\"json\"",
                             re.I)
PERCENTILE_METRICS = ("prometheus_client.Histogram", "prometheus_client.Summary", "prometheus_fastapi_instrumentator",
                      "starlette_exporter", "prometheus_flask_exporter", "aioprometheus.Histogram",
                      "aioprometheus.Summary", ".create_histogram", ".timing", ".distribution", ".histogram")
OTHER_METRICS = ("prometheus_client", "opentelemetry", "statsd", "datadog", "aioprometheus", "newrelic")
_PERCENTILE_CONFIG = re.compile(r"histogram_quantile|p99|p95|percentile|quantiles?:", re.I)
_METRICS_PACKAGE = re.compile(r"prometheus[-_]client|opentelemetry|statsd|datadog", re.I)
DRIFT_LIBS = ("evidently", "whylogs", "nannyml", "alibi_detect", "deepchecks", "frouros", "river.drift", "torchdrift",
              "sagemaker.model_monitor", "azureml.datadrift", "google.cloud.aiplatform.model_monitoring", "arize",
              "fiddler", "popmon", "tensorflow_data_validation")
DRIFT_STATS = ("scipy.stats.ks_2samp", "scipy.stats.wasserstein_distance", "scipy.spatial.distance.jensenshannon",
               "scipy.stats.chi2_contingency", "scipy.stats.entropy")
_DRIFT_DEF = re.compile(r"drift|psi|population_stability|distribution_shift", re.I)
DQ_LIBS = ("great_expectations", "pandera", "pydeequ", "soda", "tensorflow_data_validation", "deepchecks",
           "pointblank", "whylogs", "cerberus", "frictionless")
SCHEMA_LIBS = ("pydantic", "jsonschema", "marshmallow", "pyarrow.Schema", "voluptuous", "schema")
_DBT_TESTS = re.compile(r"^\s*(tests|data_tests):\s*$", re.M)
_DQ_CONFIG = re.compile(r"expectation_suite|checks for \w+|row_count|freshness:|not_null|expect_column", re.I)
# SageMaker Model Monitor checks captured data against baseline statistics and constraints.
_MODEL_MONITOR = re.compile(r"DataQualityJobDefinition|MonitoringSchedule|constraints\.json|DataQualityBaselineConfig")
SEGMENT_LIBS = ("fairlearn", "snorkel.slicing", "tensorflow_model_analysis", "giskard", "sliceline", "responsibleai")
ALERT_LIBS = ("pdpyras", "pagerduty", "opsgenie_sdk", "sentry_sdk", "slack_sdk", "rollbar", "bugsnag")
_ALERT_CONFIG = re.compile(r"^\s*-?\s*alert:\s*\S|kind:\s*PrometheusRule|AWS::CloudWatch::Alarm|receivers:|"
                           r"alertmanager|pagerduty|opsgenie|notification_channels?|alarm_actions|AlarmActions", re.I | re.M)
_NOTIFY_CI = re.compile(r"slack|notify|mail|teams", re.I)
PIPELINE_ORCHESTRATORS = ("airflow", "prefect", "dagster", "kfp", "flytekit", "luigi", "zenml", "metaflow")


def _scope(ix: Index) -> list[str]:
    return sorted(set(ix.serving_paths) | set(ix.pipeline_paths)) or ix.source_paths


def structured_logging(ix: Index) -> Check:
    title = "Serving and pipelines log in a structured form (JSON, key-value)"
    scope = _scope(ix)
    structured = ix.imports(*STRUCTURED_LOGGING, paths=ix.source_paths) + ix.grep(_JSON_FORMATTER, kinds=(CONFIG,))
    if structured:
        return check("R-MON-01", title, PASS, structured, "Logs are structured, so they can be queried by field.")
    plain = ix.imports("logging", "loguru", paths=scope) or ix.imports("logging", "loguru", paths=ix.source_paths)
    if plain:
        return check("R-MON-01", title, PARTIAL, plain,
                     "Logging is plain text: emit JSON with a request id, model version and timing "
                     "(python-json-logger, structlog), so you can find when a problem started.")
    return check("R-MON-01", title, FAIL, ix.calls("print", paths=scope)[:3],
                 "No logging in serving or pipeline code: log each request and each pipeline step in a "
                 "structured form (JSON) with the model version.")


def latency_metrics(ix: Index) -> Check:
    title = "Metrics record latency as percentiles (histograms or summaries, not averages)"
    percentiles = ix.calls(*PERCENTILE_METRICS, paths=ix.source_paths) + \
        ix.imports("prometheus_fastapi_instrumentator", "starlette_exporter", "prometheus_flask_exporter") + \
        ix.grep(_PERCENTILE_CONFIG, kinds=(CONFIG,), path_pattern=re.compile(r"grafana|prometheus|dashboard|alert|monitor",
                                                                               re.I))
    if percentiles:
        return check("R-MON-02", title, PASS, percentiles, "Latency is recorded as a distribution (p50/p95/p99).")
    metrics = ix.imports(*OTHER_METRICS, paths=ix.source_paths)
    if metrics:
        return check("R-MON-02", title, PARTIAL, metrics,
                     "Metrics are exported but no latency histogram: add a `prometheus_client.Histogram` around "
                     "prediction so you can see p95 and p99, not only an average.")
    installed = ix.grep(_METRICS_PACKAGE, kinds=(REQUIREMENTS, DOCKERFILE))
    note = " (a metrics client is installed but never used)" if installed else ""
    return check("R-MON-02", title, FAIL, installed,
                 f"No metrics{note}: export request counts, errors and a latency histogram from serving "
                 "(prometheus_client, OpenTelemetry).")


def drift_monitoring(ix: Index) -> Check:
    title = "Prediction-distribution and feature drift are monitored"
    libs = ix.imports(*DRIFT_LIBS) + ix.calls(".enable_data_capture", "sagemaker.model_monitor.DataCaptureConfig")
    if libs:
        return check("R-MON-03", title, PASS, libs, "A drift monitor compares live data with the training data.")
    hand = ix.calls(*DRIFT_STATS, paths=ix.source_paths) + ix.defs(_DRIFT_DEF, paths=ix.source_paths)
    if hand:
        return check("R-MON-03", title, PARTIAL, hand,
                     "Drift statistics exist in code but nothing shows they run on live traffic: schedule them on "
                     "logged predictions and alert on thresholds (or use Evidently, whylogs, NannyML).")
    return check("R-MON-03", title, FAIL, (),
                 "No drift monitoring: log predictions and inputs, and compare their distributions with the "
                 "training data on a schedule (Evidently, whylogs, NannyML, alibi-detect).")


def data_quality(ix: Index) -> Check:
    title = "Data-quality checks guard the pipelines (schema, nulls, row counts, freshness)"
    libs = ix.imports(*DQ_LIBS) + ix.grep(_DBT_TESTS, kinds=(CONFIG,), path_pattern=re.compile(r"(^|/)models/.*\.ya?ml$"))
    libs += ix.grep(_DQ_CONFIG, kinds=(CONFIG,), path_pattern=re.compile(r"expectation|soda|checks|quality", re.I))
    libs += ix.grep(_MODEL_MONITOR, kinds=(CONFIG,)) + ix.calls(".suggest_baseline", "sagemaker.model_monitor")
    if libs:
        return check("R-MON-04", title, PASS, libs, "Data is validated before it is used.")
    partial = ix.imports(*SCHEMA_LIBS, paths=ix.source_paths) + ix.markers("row-count", "freshness", paths=ix.source_paths)
    if partial:
        return check("R-MON-04", title, PARTIAL, partial,
                     "Only request schemas or ad-hoc checks: validate training and scoring data too (schema, "
                     "null rates, row counts, freshness) with pandera, Great Expectations or Soda, and fail the "
                     "pipeline when they break.")
    return check("R-MON-04", title, FAIL, (),
                 "No data-quality checks: a silent drop in rows or a new null column would reach the model. Add "
                 "schema, null, row-count and freshness checks to the pipeline (pandera, Great Expectations, Soda).")


def segment_evaluation(ix: Index) -> Check:
    title = "Evaluation reports performance by segment, not only on average"
    found = ix.imports(*SEGMENT_LIBS) + ix.markers("segment", paths=ix.source_paths)
    if found:
        return check("R-MON-05", title, PASS, found, "Metrics are computed per slice or segment.")
    return check("R-MON-05", title, FAIL, (),
                 "Only aggregate metrics: compute them per segment (region, plan, new vs old users) with slicing "
                 "functions or fairlearn's MetricFrame, so a model failing one group is caught.")


def alerting(ix: Index) -> Check:
    title = "Alerts fire on model, data or pipeline problems"
    rules = ix.grep(_ALERT_CONFIG, kinds=(CONFIG,)) + ix.imports("pdpyras", "pagerduty", "opsgenie_sdk") + \
        ix.calls(".put_metric_alarm") + ix.markers("alert", paths=ix.source_paths)
    if rules:
        return check("R-MON-06", title, PASS, rules, "Alert rules or a paging integration exist.")
    orchestrated = [e.path for e in ix.imports(*PIPELINE_ORCHESTRATORS, paths=ix.source_paths)]
    notify = ix.imports(*ALERT_LIBS, paths=ix.source_paths) + ix.markers("failure-notify", paths=orchestrated)
    notify += ix.grep(_NOTIFY_CI, paths=ix.ci_paths, exclude=re.compile(r"^\s*#"))
    if notify:
        return check("R-MON-06", title, PARTIAL, notify,
                     "Only pipeline-failure notifications: add alerts on model and data signals (latency, error "
                     "rate, prediction distribution, data freshness) that page the owner.")
    return check("R-MON-06", title, FAIL, (),
                 "Nothing alerts anyone: route pipeline failures and model/data metric thresholds to the owning "
                 "team (Alertmanager, CloudWatch alarms, PagerDuty, Slack).")


CHECKS = (structured_logging, latency_metrics, drift_monitoring, data_quality, segment_evaluation, alerting)
