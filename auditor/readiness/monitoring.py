"""Monitoring: would logs, metrics and alerts show when and where the problem started?"""

from __future__ import annotations

import re

from auditor.ml.operations import CI_NOTICE, CI_ON_FAILURE, alert_rules, dbt_tests, percentile_queries
from auditor.model.project import CONFIG, DOCKERFILE, REQUIREMENTS
from auditor.readiness.index import Index
from auditor.readiness.model import FAIL, PARTIAL, PASS, Evidence, ReadinessCheck, Rung, Verdict, because, verdict

STRUCTURED_LOGGING = ("structlog", "pythonjsonlogger", "json_log_formatter", "json_logging", "ecs_logging",
                      "google.cloud.logging", "aws_lambda_powertools.logging", "opentelemetry.sdk._logs")
_JSON_FORMATTER = re.compile(r"JsonFormatter|pythonjsonlogger|json_log_formatter|structlog|\"format\"\s*:\s*\"json\"",
                             re.I)
PERCENTILE_METRICS = ("prometheus_client.Histogram", "prometheus_client.Summary", "prometheus_fastapi_instrumentator",
                      "starlette_exporter", "prometheus_flask_exporter", "aioprometheus.Histogram",
                      "aioprometheus.Summary")
# Methods of a metrics client that record distributions; counted only in modules that import one
# (`np.histogram` of a feature is not a latency histogram).
PERCENTILE_METHODS = ("create_histogram", "timing", "distribution", "histogram", "timed")
OTHER_METRICS = ("prometheus_client", "opentelemetry", "statsd", "datadog", "aioprometheus", "newrelic")
_METRICS_PACKAGE = re.compile(r"prometheus[-_]client|opentelemetry|statsd|datadog", re.I)
DRIFT_LIBS = ("evidently", "whylogs", "nannyml", "alibi_detect", "deepchecks", "frouros", "river.drift", "torchdrift",
              "sagemaker.model_monitor", "azureml.datadrift", "google.cloud.aiplatform.model_monitoring", "arize",
              "fiddler", "popmon", "tensorflow_data_validation")
DRIFT_STATS = ("scipy.stats.ks_2samp", "scipy.stats.wasserstein_distance", "scipy.spatial.distance.jensenshannon",
               "scipy.stats.chi2_contingency", "scipy.stats.entropy")
_DRIFT_DEF = re.compile(r"drift|psi|population_stability|distribution_shift", re.I)
DQ_LIBS = ("great_expectations", "pandera", "pydeequ", "soda", "tensorflow_data_validation", "deepchecks",
           "pointblank", "whylogs", "cerberus", "frictionless")
# Orchestrator APIs that check data: Dagster's freshness policies and asset checks.
DQ_CALLS = ("dagster.FreshnessPolicy", "dagster.preview.freshness.FreshnessPolicy", "dagster.asset_check",
            "dagster.AssetCheckResult", "dagster.AssetCheckSpec", "dagster.build_last_update_freshness_checks",
            "dagster.build_time_partition_freshness_checks", "dagster.build_column_schema_change_checks")
SCHEMA_LIBS = ("pydantic", "jsonschema", "marshmallow", "pyarrow.Schema", "voluptuous", "schema")
_DQ_CONFIG = re.compile(r"expectation_suite|checks for \w+|row_count|freshness:|not_null|expect_column", re.I)
# SageMaker Model Monitor checks captured data against baseline statistics and constraints.
_MODEL_MONITOR = re.compile(r"DataQualityJobDefinition|MonitoringSchedule|constraints\.json|DataQualityBaselineConfig")
_SEGMENT_DEF = re.compile(r"per_?(segment|slice|cohort|group)_?(metric|eval|score|perf|report)|"
                          r"(segment|slice|cohort)_?(metrics|eval|evaluation|scores|performance|report)|by_?segment", re.I)
SEGMENT_LIBS = ("fairlearn", "snorkel.slicing", "tensorflow_model_analysis", "giskard", "sliceline", "responsibleai")
ALERT_LIBS = ("pdpyras", "pagerduty", "opsgenie_sdk", "sentry_sdk", "slack_sdk", "rollbar", "bugsnag")
_COMMENT = re.compile(r"^\s*[#;]")
PIPELINE_ORCHESTRATORS = ("airflow", "prefect", "dagster", "kfp", "flytekit", "luigi", "zenml", "metaflow")


def _scope(ix: Index) -> list[str]:
    return sorted(set(ix.serving_paths) | set(ix.pipeline_paths)) or ix.source_paths


def _structured_logging(ix: Index) -> Verdict:
    scope = _scope(ix)
    structured = ix.imports(*STRUCTURED_LOGGING, paths=ix.source_paths) + \
        ix.grep(_JSON_FORMATTER, kinds=(CONFIG,), exclude=_COMMENT)
    if structured:
        return verdict("structured", because("logs in a structured form", structured))
    plain = ix.imports("logging", "loguru", paths=scope) or ix.imports("logging", "loguru", paths=ix.source_paths)
    if plain:
        return verdict("plain", because("logs plain text", plain))
    return verdict("none", because("prints instead of logging", ix.calls("print", paths=scope)[:3]))


def _latency_metrics(ix: Index) -> Verdict:
    metrics = ix.imports(*OTHER_METRICS, paths=ix.source_paths)
    percentiles = ix.calls(*PERCENTILE_METRICS, paths=ix.source_paths) + \
        ix.methods(*PERCENTILE_METHODS, paths=sorted({ev.path for ev in metrics})) + \
        ix.imports("prometheus_fastapi_instrumentator", "starlette_exporter", "prometheus_flask_exporter") + \
        ix.settings(percentile_queries)[0]  # a dashboard's or a rule's query, read as its format
    if percentiles:
        return verdict("percentiles", because("records latency as a distribution", percentiles))
    if metrics:
        return verdict("no-histogram", because("a metrics client", metrics))
    installed = ix.grep(_METRICS_PACKAGE, kinds=(REQUIREMENTS, DOCKERFILE))
    note = " (a metrics client is installed but never used)" if installed else ""
    return verdict("none", installed, note=note)


def _drift_monitoring(ix: Index) -> Verdict:
    libs = ix.imports(*DRIFT_LIBS) + ix.calls(".enable_data_capture", "sagemaker.model_monitor.DataCaptureConfig")
    if libs:
        return verdict("monitor", because("monitors drift", libs))
    hand = ix.calls(*DRIFT_STATS, paths=ix.source_paths) + ix.defs(_DRIFT_DEF, paths=ix.source_paths)
    if hand:
        return verdict("statistics-only", because("computes a drift statistic", hand))
    return verdict("none")


def _data_quality(ix: Index) -> Verdict:
    dbt, empty = ix.settings(dbt_tests)  # dbt properties files, read as their schema
    libs = ix.imports(*DQ_LIBS) + dbt
    libs += ix.grep(_DQ_CONFIG, kinds=(CONFIG,), path_pattern=re.compile(r"expectation|soda|checks|quality", re.I))
    libs += ix.grep(_MODEL_MONITOR, kinds=(CONFIG,)) + ix.calls(".suggest_baseline", "sagemaker.model_monitor")
    libs += ix.calls(*DQ_CALLS, paths=ix.source_paths)
    empty = [Evidence(ev.path, ev.line, ev.cell, "an empty dbt test list tests nothing") for ev in empty]
    if libs:
        return verdict("validated", because("checks data quality", libs), rejected=empty)
    # A schema library counts where serving validates its inputs (in a pipeline, pydantic is mostly a
    # settings class); a row count or "freshness" in a name is not a check either.
    partial = ix.imports(*SCHEMA_LIBS, paths=ix.serving_paths)
    if partial:
        return verdict("ad-hoc", because("validates data by hand", partial), rejected=empty)
    return verdict("none", rejected=empty)


def _segment_evaluation(ix: Index) -> Verdict:
    # A slicing library, or a function the code defines to evaluate per segment (`per_segment_metrics`).
    found = ix.imports(*SEGMENT_LIBS) + ix.defs(_SEGMENT_DEF, paths=ix.source_paths)
    if found:
        return verdict("per-segment", because("evaluates per segment", found))
    return verdict("aggregate-only")


def _ci_failure_notices(ix: Index) -> list[Evidence]:
    """CI files that post or mail when a run fails (a step conditioned on failure that notifies)."""
    found = []
    for ev in ix.grep(CI_ON_FAILURE, paths=ix.ci_paths, exclude=_COMMENT):
        text = ix.project.files[ev.path].text or ""
        after = "\n".join(text.splitlines()[(ev.line or 1) - 1:(ev.line or 1) + 8])
        if CI_NOTICE.search(after):
            found.append(Evidence(ev.path, ev.line, None, f"{ev.why}: notifies when a CI run fails"))
    return found


def _alerting(ix: Index) -> Verdict:
    configured, silent = ix.settings(alert_rules)  # alert rules read as their schema (auditor/ml/operations.py)
    rules = configured + ix.imports("pdpyras", "pagerduty", "opsgenie_sdk") + ix.calls(".put_metric_alarm")
    if rules:
        return verdict("alerts", because("alerts on a threshold", rules), rejected=silent)
    orchestrated = [e.path for e in ix.imports(*PIPELINE_ORCHESTRATORS, paths=ix.source_paths)]
    notify = because("notifies on failure", ix.imports(*ALERT_LIBS, paths=ix.source_paths) +
                     ix.notices(paths=orchestrated)) + _ci_failure_notices(ix)
    switched_off = ix.notices(paths=orchestrated, switched_off=True) + silent
    if notify:
        return verdict("failure-notices", notify, rejected=switched_off)
    return verdict("none", rejected=switched_off)


structured_logging = ReadinessCheck(
    "R-MON-01", "Serving and pipelines log in a structured form (JSON, key-value)", "monitoring",
    "logging in serving and pipeline code: structured-logging libraries and JSON formatters, or plain "
    "logging",
    (
        Rung("structured", PASS, "serving or pipeline code logs in a structured format (JSON)",
             "Logs are structured, so they can be queried by field."),
        Rung("plain", PARTIAL, "serving or pipeline code logs plain text",
             "Logging is plain text: emit JSON with a request id, model version and timing (python-json-logger, "
             "structlog), so you can find when a problem started."),
        Rung("none", FAIL, "no logging in serving or pipeline code",
             "No logging in serving or pipeline code: log each request and each pipeline step in a structured form"
             " (JSON) with the model version."),
    ),
    _structured_logging)

latency_metrics = ReadinessCheck(
    "R-MON-02", "Metrics record latency as percentiles (histograms or summaries, not averages)", "monitoring",
    "histogram and summary metrics, request instrumentation, percentile queries (`histogram_quantile`) in dashboards "
    "and rules;"
    " other metrics clients",
    (
        Rung("percentiles", PASS, "latency is recorded as a distribution (histogram, summary, percentile queries)",
             "Latency is recorded as a distribution (p50/p95/p99)."),
        Rung("no-histogram", PARTIAL, "metrics are exported but latency has no histogram",
             "Metrics are exported but no latency histogram: add a `prometheus_client.Histogram` around prediction"
             " so you can see p95 and p99, not only an average."),
        Rung("none", FAIL, "no metrics are exported (a client may be installed but unused)",
             "No metrics{note}: export request counts, errors and a latency histogram from serving "
             "(prometheus_client, OpenTelemetry)."),
    ),
    _latency_metrics)

drift_monitoring = ReadinessCheck(
    "R-MON-03", "Prediction-distribution and feature drift are monitored", "monitoring",
    "drift-monitoring libraries and the code that runs them; drift statistics (KS test, PSI, Wasserstein)"
    " in code",
    (
        Rung("monitor", PASS, "a drift monitor compares live data with the training data",
             "A drift monitor compares live data with the training data."),
        Rung("statistics-only", PARTIAL, "drift statistics exist in code but nothing shows they run on live traffic",
             "Drift statistics exist in code but nothing shows they run on live traffic: schedule them on logged "
             "predictions and alert on thresholds (or use Evidently, whylogs, NannyML)."),
        Rung("none", FAIL, "no drift monitoring",
             "No drift monitoring: log predictions and inputs, and compare their distributions with the training "
             "data on a schedule (Evidently, whylogs, NannyML, alibi-detect)."),
    ),
    _drift_monitoring)

data_quality = ReadinessCheck(
    "R-MON-04", "Data-quality checks guard the pipelines (schema, nulls, row counts, freshness)", "monitoring",
    "data-validation libraries (Great Expectations, pandera, TFDV, ...), dbt tests read from dbt properties files, "
    "freshness and row-count checks; request schemas",
    (
        Rung("validated", PASS, "data is validated before it is used (a validation library or freshness and row-count checks)",
             "Data is validated before it is used."),
        Rung("ad-hoc", PARTIAL, "only request schemas or ad-hoc checks",
             "Only request schemas or ad-hoc checks: validate training and scoring data too (schema, null rates, "
             "row counts, freshness) with pandera, Great Expectations or Soda, and fail the pipeline when they "
             "break."),
        Rung("none", FAIL, "no data-quality checks",
             "No data-quality checks: a silent drop in rows or a new null column would reach the model. Add "
             "schema, null, row-count and freshness checks to the pipeline (pandera, Great Expectations, Soda)."),
    ),
    _data_quality)

segment_evaluation = ReadinessCheck(
    "R-MON-05", "Evaluation reports performance by segment, not only on average", "monitoring",
    "slicing and fairness libraries (MetricFrame, SlicingSpec, snorkel slicing functions), functions the code defines "
    "to evaluate per segment (`per_segment_metrics`)",
    (
        Rung("per-segment", PASS, "metrics are computed per slice or segment",
             "Metrics are computed per slice or segment."),
        Rung("aggregate-only", FAIL, "only aggregate metrics (this check has no partial step)",
             "Only aggregate metrics: compute them per segment (region, plan, new vs old users) with slicing "
             "functions or fairlearn's MetricFrame, so a model failing one group is caught."),
    ),
    _segment_evaluation)

alerting = ReadinessCheck(
    "R-MON-06", "Alerts fire on model, data or pipeline problems", "monitoring",
    "alert rules read as their schema (Prometheus, Grafana, CloudWatch alarms with actions, Alertmanager receivers, "
    "Cloud Monitoring policies), paging and chat integrations; pipeline failure notifications",
    (
        Rung("alerts", PASS, "alert rules or a paging integration exist",
             "Alert rules or a paging integration exist."),
        Rung("failure-notices", PARTIAL, "only pipeline-failure notifications",
             "Only pipeline-failure notifications: add alerts on model and data signals (latency, error rate, "
             "prediction distribution, data freshness) that page the owner."),
        Rung("none", FAIL, "nothing alerts anyone",
             "Nothing alerts anyone: route pipeline failures and model/data metric thresholds to the owning team "
             "(Alertmanager, CloudWatch alarms, PagerDuty, Slack)."),
    ),
    _alerting)

CHECKS = (structured_logging, latency_metrics, drift_monitoring, data_quality, segment_evaluation, alerting)
