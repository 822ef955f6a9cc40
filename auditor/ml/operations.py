"""How ML systems are operated, as the readiness checks recognise it from values, not from words:
alerts that are switched on, releases that send a share of traffic to a new model, and version
references that name a version rather than a placeholder. Each entry says what makes it count,
with an example that counts and one that does not (tests/test_readiness_truth.py runs them)."""

from __future__ import annotations

import re
from typing import Any, Iterator

# -- alerts --------------------------------------------------------------------------------------
# Orchestrator settings that send a notice when a task fails, counted only when switched on:
#   counts:     default_args = {"owner": "ml", "email": ["ml@x.io"]}       (Airflow mails on failure by default)
#   counts:     DAG(..., on_failure_callback=page_the_team)
#   not counted: {"owner": "ml", "email": ["ml@x.io"], "email_on_failure": False}
#   not counted: props["owner"]["email"]                                    (an address is not an alert)
FAILURE_SWITCHES = frozenset({"email_on_failure", "email_on_retry"})
FAILURE_CALLBACKS = frozenset({"on_failure_callback", "sla_miss_callback", "on_retry_callback"})
# Keys of Airflow's default_args, so that an "email" key beside them is a task's notice address.
AIRFLOW_TASK_KEYS = frozenset({"owner", "retries", "retry_delay", "depends_on_past", "start_date", "email_on_failure",
                               "email_on_retry", "execution_timeout"})


def failure_notices(keys: dict[str, Any]) -> list[str]:
    """The settings among one dict literal's or call's ``keys`` (name -> value node or literal) that
    send a notice on failure. A value is ``False``/``None`` when it is that literal, anything else
    otherwise (a list of addresses, a callback, a variable)."""
    found = [key for key in FAILURE_SWITCHES if keys.get(key, False) is True]
    found += [key for key in FAILURE_CALLBACKS if key in keys and keys[key] not in (None, False, ())]
    mails_off = keys.get("email_on_failure", True) is False
    if keys.get("email") not in (None, False, (), "") and not mails_off and AIRFLOW_TASK_KEYS & set(keys):
        found.append("email")
    return sorted(found)


def failure_notices_off(keys: dict[str, Any]) -> list[str]:
    """Notices a reader may take for alerts that are switched off: an Airflow task's e-mail with
    ``email_on_failure`` False."""
    has_mail = keys.get("email") not in (None, False, (), "") and AIRFLOW_TASK_KEYS & set(keys)
    return ["email_on_failure"] if has_mail and keys.get("email_on_failure") is False else []


# CI steps that tell people a run failed: a step that runs on failure and posts or mails.
#   counts:      - if: failure()  /  uses: slackapi/slack-github-action@v1
#   not counted: - name: Notify on success  (no failure condition)
#   not counted: "client_email": "${{ secrets.CLIENT_EMAIL }}"
#   counts:      if: needs.tests.result == 'failure'  /  uses: slackapi/slack-github-action@v2
CI_ON_FAILURE = re.compile(r"\bfailure\(\)|^\s*when:\s*on_failure\b|\bon_failure\b|result\s*==\s*['\"]failure['\"]", re.M)
CI_NOTICE = re.compile(r"slack|mattermost|teams|discord|pagerduty|opsgenie|sendmail|mail-action|send-mail|webhook", re.I)


# -- gradual release -----------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    return None


def _shares(values: list[Any]) -> bool:
    """Two or more targets each get a positive share: the old model keeps some traffic."""
    return sum(1 for value in values if (_number(value) or 0) > 0) >= 2


def _weights(items: Any, key: str, default: float | None = None) -> list[Any]:
    if not isinstance(items, list):
        return []
    return [item.get(key, default) for item in items if isinstance(item, dict)]


def _canary_percent(value: Any) -> bool:
    share = _number(value)
    return share is not None and 0 < share < 100


def _weighted_list(key: str, default: float | None = None):
    """(is it a weighted list, do two of its targets get a share) for a list of targets weighted by ``key``."""
    def shape(value: Any) -> bool:
        return any(w is not None for w in _weights(value, key, default)) and (default is None or bool(value))
    return shape, lambda value: _shares(_weights(value, key, default))


def _share_map(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(_number(v) is not None for v in value.values())


def _typed(value: Any) -> bool:
    return isinstance(value, dict) and "Type" in value


# Key -> (is the value a traffic setting, does it count, what a counting value means). Keys are
# looked for at any depth of a parsed YAML or JSON deploy manifest, with the path to them, so the
# evidence is the exact line; a value of the right shape that does not count is shown with -v.
#   counts:      canaryTrafficPercent: 10                      (KServe)
#   not counted: canaryTrafficPercent: 100
#   counts:      route: [{destination: a, weight: 90}, {destination: b, weight: 10}]   (Istio)
#   not counted: route: [{destination: a, weight: 100}]
#   counts:      traffic: {blue: 90, green: 10}               (Azure ML online endpoint)
#   not counted: traffic_split: {"0": 100}                      (every request to one model)
TRAFFIC_KEYS: dict[str, tuple[Any, Any, str]] = {
    "canaryTrafficPercent": (lambda v: _number(v) is not None, _canary_percent,
                             "KServe sends this share of traffic to the new model"),
    "route": (*_weighted_list("weight"), "routes split traffic between two versions (Istio)"),
    "backendRefs": (*_weighted_list("weight", 1), "backends share traffic (Gateway API)"),
    "backends": (*_weighted_list("weight"), "backends share traffic (SMI TrafficSplit)"),
    "predictors": (*_weighted_list("traffic"), "predictors share traffic (Seldon)"),
    "ProductionVariants": (*_weighted_list("InitialVariantWeight"), "endpoint variants share traffic (SageMaker)"),
    "traffic": (lambda v: _share_map(v) or _weighted_list("percent")[0](v),
                lambda v: _shares(_weights(v, "percent")) or (_share_map(v) and _shares(list(v.values()))),
                "traffic is split between deployments (Knative, Azure ML)"),
    "trafficSplit": (_share_map, lambda v: _shares(list(v.values())), "traffic is split (Vertex AI)"),
    "traffic_split": (_share_map, lambda v: _shares(list(v.values())), "traffic is split (Vertex AI)"),
    "TrafficRoutingConfiguration": (_typed, lambda v: str(v.get("Type", "")).upper() in ("CANARY", "LINEAR"),
                                    "SageMaker shifts traffic in steps"),
    "DeploymentPreference": (_typed, lambda v: str(v.get("Type", "")).startswith(("Canary", "Linear")),
                             "CodeDeploy shifts traffic in steps"),
    "canary": (lambda v: isinstance(v, dict) and bool(v.get("steps") or v.get("trafficRouting")), lambda v: True,
               "Argo Rollouts releases in canary steps"),
    "blueGreen": (lambda v: isinstance(v, dict) and bool(v.get("activeService")), lambda v: True,
                  "Argo Rollouts releases blue-green"),
}
# A Flagger `Canary` resource is a gradual release by its kind.
GRADUAL_KINDS = {("flagger.app", "Canary"): "Flagger releases the new version in canary steps"}

# An Anyscale service config (docs.anyscale.com, service YAML schema: a `name` and the Ray Serve apps,
# `ray_serve_config` or `applications`) says how an update is rolled out. `rollout_strategy: ROLLOUT`
# starts the new version beside the old one and shifts traffic to it in canary steps, rolling back if
# it turns unhealthy; `IN_PLACE` updates the running cluster, so every request goes to the new version.
# `canary_percent` holds the new version at that share of traffic.
#   counts:      {name: churn, ray_serve_config: {...}, rollout_strategy: ROLLOUT}
#   counts:      {name: churn, applications: [...], canary_percent: 10}
#   not counted: {name: churn, applications: [...], rollout_strategy: IN_PLACE}  /  canary_percent: 100
#   not counted: {strategy: {rollout_strategy: ROLLOUT}}   (no Anyscale service: another product's key)
ANYSCALE_SERVICE_KEYS = ("ray_serve_config", "applications")
ANYSCALE_ROLLOUT = {
    "rollout_strategy": (lambda v: isinstance(v, str), lambda v: v.upper() == "ROLLOUT",
                         "Anyscale rolls the new version out beside the old one, shifting traffic in canary steps"),
    "canary_percent": (lambda v: _number(v) is not None, _canary_percent,
                       "Anyscale holds the new version at this share of traffic"),
}


def _anyscale_rollout(doc: dict, path: tuple) -> Iterator[tuple[tuple, str, bool]]:
    if "name" not in doc or not any(key in doc for key in ANYSCALE_SERVICE_KEYS):
        return
    for key, (shape, counts, meaning) in ANYSCALE_ROLLOUT.items():
        if key in doc and shape(doc[key]):
            yield (*path, key), meaning, bool(counts(doc[key]))


def traffic_settings(doc: Any, path: tuple = (), depth: int = 0) -> Iterator[tuple[tuple, str, bool]]:
    """(key path, what it means, whether it counts) of each traffic setting of a parsed manifest: it
    counts when it sends a share of traffic to a new model while the rest stays on the old one."""
    if depth > 12:
        return
    if isinstance(doc, dict):
        api, kind = str(doc.get("apiVersion", "")), doc.get("kind")
        for (group, name), meaning in GRADUAL_KINDS.items():
            if kind == name and api.startswith(group):
                yield (*path, "kind"), meaning, True
        yield from _anyscale_rollout(doc, path)
        for key, value in doc.items():
            entry = TRAFFIC_KEYS.get(key) if isinstance(key, str) else None
            if entry is not None and entry[0](value):
                yield (*path, key), entry[2], bool(entry[1](value))
            else:
                yield from traffic_settings(value, (*path, key), depth + 1)
    elif isinstance(doc, list):
        for index, item in enumerate(doc):
            yield from traffic_settings(item, (*path, index), depth + 1)


def gradual_release(doc: Any) -> list[tuple[tuple, str]]:
    """The traffic settings of a manifest that count as a gradual release."""
    return [(key_path, meaning) for key_path, meaning, counts in traffic_settings(doc) if counts]


# A command-line traffic split with two shares: `--traffic "blue=90 green=10"`, `--traffic-split=a=50,b=50`.
CLI_TRAFFIC_SPLIT = re.compile(r"--traffic(-split)?[=\s]+[\"']?[\w.-]+=0*[1-9]\d*[,\s]+[\w.-]+=0*[1-9]\d*")


# -- version references --------------------------------------------------------------------------
# A value that names a version of a model: a number as its own path part or tag, a `v3`, an alias,
# a digest, or a value templated at deploy time.
#   counts:      models:/churn/3, gs://models/churn/v12/, image:1.4.2, @sha256:ab12..., ${MODEL_VERSION}
#   not counted: gs://[YOUR_BUCKET]/resnet_101   (a placeholder, and 101 is part of the name)
#   not counted: http://172.31.13.90:8000/churn/model.joblib   (an address and a port, not a version)
PINNED_VERSION = re.compile(r"(^|[/@:=])v?\d+(\.\d+)*(/|$)|[_/-]v\d+(\.\d+)*\b|@(sha256:)?\w+|[0-9a-f]{12,}|\$\{?\w+|\{\{",
                            re.I)
PLACEHOLDER = re.compile(r"\[[A-Z_ -]+\]|<[\w -]+>|\byour[_-]|\bYOUR_|\bbucket[_-]name\b|\bexample\b|"
                         r"\bxxx+\b|changeme", re.I)


# The scheme and host of a URL (`http://172.31.13.90:8000`): their numbers are an address and a port.
_URL_HOST = re.compile(r"^[a-z][\w+.-]*://[^/]*", re.I)


def names_a_version(value: str) -> bool:
    return not PLACEHOLDER.search(value) and bool(PINNED_VERSION.search(_URL_HOST.sub("", value)))


# -- configs read as their format ----------------------------------------------------------------
# Each reader takes a parsed YAML or JSON file and yields (key path, what it means, whether it
# counts) for the settings of one schema, so a check counts values the schema gives meaning to and
# shows the others with -v; a word in a comment, a name or another product's file is never read.
Setting = tuple[tuple, str, bool]


def _documents(doc: Any) -> Iterator[tuple[tuple, Any]]:
    """The documents of a parsed file (a multi-document YAML file is a list of them), with their path."""
    if isinstance(doc, list) and doc and all(isinstance(item, dict) for item in doc):
        for index, item in enumerate(doc):
            yield (index,), item
    elif isinstance(doc, dict):
        yield (), doc


def _items(value: Any) -> list[tuple[int, dict]]:
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


# dbt properties files: models, sources (their tables), seeds and snapshots, each with `tests` (or
# `data_tests`, dbt 1.8+) on itself or on its columns. A test list counts when it names a test.
#   counts:      models: [{name: orders, columns: [{name: id, tests: [unique, not_null]}]}]
#   not counted: models: [{name: orders, columns: [{name: id, tests: []}]}]
#   not counted: tests: [unit, integration]   (no dbt resource around it)
DBT_RESOURCES = ("models", "seeds", "snapshots", "sources")
DBT_TEST_KEYS = ("tests", "data_tests")


def _dbt_resource_tests(resource: dict, path: tuple) -> Iterator[Setting]:
    for key in DBT_TEST_KEYS:
        if key in resource:
            yield (*path, key), "dbt tests the data", isinstance(resource[key], list) and bool(resource[key])
    for index, column in _items(resource.get("columns")):
        yield from _dbt_resource_tests(column, (*path, "columns", index))


def dbt_tests(doc: Any) -> Iterator[Setting]:
    for at, document in _documents(doc):
        for kind in DBT_RESOURCES:
            for index, resource in _items(document.get(kind)):
                if "name" not in resource:
                    continue
                yield from _dbt_resource_tests(resource, (*at, kind, index))
                if kind == "sources":
                    for number, table in _items(resource.get("tables")):
                        yield from _dbt_resource_tests(table, (*at, kind, index, "tables", number))


# Alert rules, by their schema. A rule counts when it can fire and reach someone:
#   counts:      groups: [{name: serving, rules: [{alert: HighLatency, expr: "p99 > 0.5"}]}]   (Prometheus)
#   not counted: groups: [{name: serving, rules: [{record: job:latency:p99, expr: ...}]}]  (a recording rule)
#   counts:      Grafana provisioning: apiVersion: 1, groups: [{rules: [{title: ..., condition: C, data: [...]}]}]
#   not counted: the same rule with isPaused: true
#   counts:      Resources: {HighErrors: {Type: AWS::CloudWatch::Alarm, Properties: {AlarmActions: [!Ref Topic]}}}
#   not counted: an AWS::CloudWatch::Alarm with no AlarmActions (it changes state and tells nobody)
#   counts:      Alertmanager: route: {receiver: team}, receivers: [{name: team, slack_configs: [...]}]
#   not counted: receivers: [{name: "null"}]   (a receiver with no integration)
#   counts:      {displayName: errors, conditions: [...], notificationChannels: [projects/p/notificationChannels/1]}
#   not counted: the same policy with notificationChannels: [] or enabled: false
def _prometheus_alerts(document: dict, at: tuple) -> Iterator[Setting]:
    spec = document.get("spec") if document.get("kind") == "PrometheusRule" else document
    groups = spec.get("groups") if isinstance(spec, dict) else None
    base = (*at, "spec") if spec is not document else at
    for index, group in _items(groups):
        for number, rule in _items(group.get("rules")):
            where = (*base, "groups", index, "rules", number)
            if "alert" in rule and "expr" in rule:
                yield (*where, "alert"), f"alert rule `{rule['alert']}` fires on `{str(rule['expr'])[:60]}`", bool(rule["expr"])
            elif "title" in rule and "condition" in rule and "data" in rule:  # Grafana alerting provisioning
                counts = not rule.get("isPaused", False) and bool(rule["data"])
                yield (*where, "title"), f"Grafana alert rule `{rule['title']}`" + ("" if counts else " is paused"), counts


def _cloudwatch_alarms(document: dict, at: tuple) -> Iterator[Setting]:
    resources = document.get("Resources")
    for name, resource in resources.items() if isinstance(resources, dict) else ():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::CloudWatch::Alarm":
            properties = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
            actions = properties.get("AlarmActions")
            yield ((*at, "Resources", name, "Type"), f"CloudWatch alarm `{name}`" + ("" if actions else " has no AlarmActions"),
                   bool(actions))


def _alertmanager_receivers(document: dict, at: tuple) -> Iterator[Setting]:
    if not isinstance(document.get("route"), dict):
        return
    for index, receiver in _items(document.get("receivers")):
        integrations = [key for key, value in receiver.items() if key.endswith("_configs") and value]
        yield ((*at, "receivers", index), f"Alertmanager sends alerts to `{receiver.get('name')}` by "
               f"{', '.join(integrations) or 'nothing'}", bool(integrations))


def _cloud_monitoring_policy(document: dict, at: tuple) -> Iterator[Setting]:
    """A Google Cloud Monitoring alert policy (`gcloud monitoring policies create --policy-from-file`):
    `conditions` and the `notificationChannels` it notifies; `enabled: false` switches it off."""
    if isinstance(document.get("conditions"), list) and "notificationChannels" in document:
        counts = bool(document["notificationChannels"]) and document.get("enabled", True) is not False
        yield (*at, "notificationChannels"), "a Cloud Monitoring alert policy notifies its channels", counts


def alert_rules(doc: Any) -> Iterator[Setting]:
    for at, document in _documents(doc):
        yield from _cloud_monitoring_policy(document, at)
        yield from _prometheus_alerts(document, at)
        yield from _cloudwatch_alarms(document, at)
        yield from _alertmanager_receivers(document, at)


# Queries that compute a percentile: PromQL `histogram_quantile(...)` / `quantile_over_time(...)` in
# the `expr` of a Grafana panel target or a Prometheus rule, SQL `percentile_cont` in a panel's query.
#   counts:      targets: [{expr: "histogram_quantile(0.99, rate(request_seconds_bucket[5m]))"}]
#   not counted: {title: "p99 latency", targets: [{expr: "rate(request_seconds_count[5m])"}]}
PERCENTILE_QUERY = re.compile(r"\b(histogram_quantile|quantile_over_time|percentile_cont|percentile_disc|"
                              r"approx_percentile|quantile)\s*\(", re.I)
QUERY_KEYS = frozenset({"expr", "query", "rawSql", "rawQuery"})


def percentile_queries(doc: Any, path: tuple = (), depth: int = 0) -> Iterator[Setting]:
    if depth > 14:
        return
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in QUERY_KEYS and isinstance(value, str) and PERCENTILE_QUERY.search(value):
                yield (*path, key), f"a query computes a percentile: `{value.strip()[:60]}`", True
            else:
                yield from percentile_queries(value, (*path, key), depth + 1)
    elif isinstance(doc, list):
        for index, item in enumerate(doc):
            yield from percentile_queries(item, (*path, index), depth + 1)


# Shadow or mirrored traffic: a copy of live requests goes to the new model, whose answers are not used.
#   counts:      http: [{route: [...], mirror: {host: churn-v2}, mirrorPercentage: {value: 10}}]   (Istio)
#   not counted: the same with mirrorPercentage: {value: 0}
#   counts:      ShadowProductionVariants: [{VariantName: shadow, ModelName: churn-v2}]   (SageMaker)
#   counts:      filters: [{type: RequestMirror, requestMirror: {backendRef: {name: churn-v2}}}]   (Gateway API)
#   counts:      predictors: [{name: v2, shadow: true}]   (Seldon)
#   not counted: shadow: false;  a `shadow` key outside a predictor (a UI theme's drop shadow)
def _mirror_share(value: Any) -> float | None:
    return _number(value.get("value")) if isinstance(value, dict) else _number(value)


def _shadow_here(doc: dict, path: tuple) -> Iterator[Setting]:
    mirror = doc.get("mirror")
    if isinstance(mirror, dict) and "host" in mirror:
        share = _mirror_share(doc.get("mirrorPercentage", doc.get("mirror_percent", doc.get("mirrorPercent"))))
        yield (*path, "mirror"), f"Istio mirrors traffic to `{mirror['host']}`", share is None or share > 0
    if "ShadowProductionVariants" in doc:
        yield (*path, "ShadowProductionVariants"), "SageMaker runs shadow variants", bool(doc["ShadowProductionVariants"])
    if doc.get("type") == "RequestMirror" and isinstance(doc.get("requestMirror"), dict):
        yield (*path, "type"), "the gateway mirrors requests (Gateway API RequestMirror)", True


def shadow_settings(doc: Any, path: tuple = (), depth: int = 0) -> Iterator[Setting]:
    if depth > 14:
        return
    if isinstance(doc, dict):
        yield from _shadow_here(doc, path)
        for index, predictor in _items(doc.get("predictors")):
            if "shadow" in predictor:
                yield (*path, "predictors", index, "shadow"), "Seldon runs a shadow predictor", predictor["shadow"] is True
        for key, value in doc.items():
            yield from shadow_settings(value, (*path, key), depth + 1)
    elif isinstance(doc, list):
        for index, item in enumerate(doc):
            yield from shadow_settings(item, (*path, index), depth + 1)


# -- CI steps, read as their schema ---------------------------------------------------------------
# What a CI definition runs, key by key: shell commands (GitHub Actions and CircleCI `run`, GitLab
# `script`, Azure Pipelines `script`/`bash`/`pwsh` and a task's `inlineScript`, CodeBuild `commands`,
# Cloud Build `args` joined),
# the actions a step uses (`uses: google-github-actions/deploy-cloudrun@v2`) with their inputs, and
# Azure Pipelines deployment jobs (`- deployment: Prod`). A job's or a step's name is never read.
#   yields:     run: kubectl apply -f k8s/   -> (path to run, 0, "kubectl apply -f k8s/", "command")
#   yields:     uses: azure/webapps-deploy@v3 -> (path to uses, 0, "azure/webapps-deploy@v3", "action")
#   not read:   name: Deploy to production;  jobs: {deploy_app: ...}
CI_COMMAND_KEYS = frozenset({"run", "script", "before_script", "after_script", "bash", "pwsh", "powershell",
                             "inlineScript", "command", "commands"})  # `commands`: CodeBuild phases, Drone steps
CI_ACTION_KEYS = frozenset({"uses", "task", "orb"})


def _command_lines(value: Any, path: tuple) -> Iterator[tuple[tuple, int, str, str]]:
    if isinstance(value, str):
        lines = value.split("\n")
        start = 1 if len(lines) > 1 else 0  # a block scalar's text starts on the line after its key
        for offset, line in enumerate(lines):
            if line.strip():
                yield path, start + offset, line.strip(), "command"
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield from _command_lines(item, (*path, index))
    elif isinstance(value, dict) and isinstance(value.get("command"), str):  # CircleCI `run: {command: ...}`
        yield from _command_lines(value["command"], (*path, "command"))


def _step_keys(doc: dict, path: tuple) -> Iterator[tuple[tuple, int, str, str]]:
    """What one mapping of a CI definition runs through its own keys (its nested mappings aside)."""
    if isinstance(doc.get("deployment"), str) and ("steps" in doc or "strategy" in doc or "environment" in doc):
        yield (*path, "deployment"), 0, str(doc["deployment"]), "deployment-job"
    for key, value in doc.items():
        if key in CI_COMMAND_KEYS:
            yield from _command_lines(value, (*path, key))
        elif key == "args" and isinstance(value, list) and all(isinstance(arg, str) for arg in value):
            yield (*path, key), 0, " ".join(value), "command"  # Cloud Build: [run, deploy, churn, ...]
        elif key in CI_ACTION_KEYS and isinstance(value, str):
            yield (*path, key), 0, value, "action"
        elif key == "with" and isinstance(value, dict):  # an action's inputs: `command: ci deploy`
            for name, given in value.items():
                yield from ((p, o, t, "command") for p, o, t, _ in _command_lines(given, (*path, key, name))
                            if isinstance(given, str))


_READ_KEYS = CI_COMMAND_KEYS | CI_ACTION_KEYS | {"args", "with"}


def ci_steps(doc: Any, path: tuple = (), depth: int = 0) -> Iterator[tuple[tuple, int, str, str]]:
    """(key path, line offset within the value, text, "command" | "action" | "deployment-job") of
    what a parsed CI definition runs."""
    if depth > 16:
        return
    if isinstance(doc, dict):
        yield from _step_keys(doc, path)
        for key, value in doc.items():
            if key not in _READ_KEYS:
                yield from ci_steps(value, (*path, key), depth + 1)
    elif isinstance(doc, list):
        for index, item in enumerate(doc):
            yield from ci_steps(item, (*path, index), depth + 1)


# Dataset configs that name a held-out split (an Ultralytics/YOLO dataset YAML: `train`, `val`,
# `test` and the class `names` or `nc`): a split counts when it names other data than `train`.
#   counts:      {train: train2017.txt, val: val2017.txt, names: {0: person}}
#   not counted: {train: images/train2017, val: images/train2017, names: [...]}   (validates on the training images)
#   not counted: {train: [images/a, images/b], val: [images/b], names: [...]}       (a validation folder trained on)
#   not read:    {train: a.txt, val: b.txt}   (no class names: not a dataset config of that schema)
def _paths(value: Any) -> set[str]:
    return {value.strip("/")} if isinstance(value, str) else {str(item).strip("/") for item in value} \
        if isinstance(value, list) else set()


def held_out_sets(doc: Any) -> Iterator[Setting]:
    for at, document in _documents(doc):
        if "train" not in document or not ("names" in document or "nc" in document):
            continue
        for key in ("val", "test"):
            value = document.get(key)
            if value not in (None, "", []):
                counts = not _paths(value) & _paths(document["train"])
                yield (*at, key), ("the dataset config holds out" if counts else "the dataset config's held-out split is "
                                   "its training data:") + f" `{key}`", counts
