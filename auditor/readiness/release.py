"""Release safety: is a new model checked offline, then in the shadow, then on a slice of traffic?"""

from __future__ import annotations

import re
from dataclasses import replace

from auditor.ml.operations import CLI_TRAFFIC_SPLIT, held_out_sets, shadow_settings, traffic_settings
from auditor.ml.tracking import METHOD_OWNERS, MODEL_ALIAS_CALLS
from auditor.model.project import BUILD, CONFIG, SCRIPT
from auditor.readiness.debt import findings_check
from auditor.readiness.index import Index
from auditor.readiness.judge import LEAKAGE_LADDER
from auditor.readiness.model import FAIL, PARTIAL, PASS, Evidence, ReadinessCheck, Rung, Verdict, because, no_gathering, verdict

SPLITS = ("sklearn.model_selection.train_test_split", "sklearn.model_selection.KFold",
          "sklearn.model_selection.StratifiedKFold", "sklearn.model_selection.GroupKFold",
          "sklearn.model_selection.TimeSeriesSplit", "sklearn.model_selection.cross_val_score",
          "sklearn.model_selection.cross_validate", "sklearn.model_selection.StratifiedShuffleSplit",
          "sklearn.model_selection.GroupShuffleSplit", "torch.utils.data.random_split", ".train_test_split")
METRICS = ("sklearn.metrics", "torchmetrics", "evaluate.load", "keras.metrics", "tensorflow.keras.metrics",
           "sklearn.model_selection.cross_val_score", "sklearn.model_selection.cross_validate", ".evaluate",
           ".score", "mlflow.evaluate")
_SHADOW_DEF = re.compile(r"(^|_)shadow(_|$)|^Shadow[A-Z]", re.I)
FLAG_LIBS = ("ldclient", "UnleashClient", "flagsmith", "growthbook", "openfeature", "featureflags", "splitio",
             "statsig", "eppo_client", "optimizely")
_HOLDOUT_CONFIG = re.compile(r"holdout_?(group|cohort|percent|pct|traffic)|control_?group|ab_?test", re.I)
EXPERIMENT_LIBS = ("growthbook", "statsig", "eppo_client", "planout", "optimizely")
_ALIAS_URI = re.compile(r"^models:/[^/@]+@(champion|challenger)$", re.I)


def _offline_evaluation(ix: Index) -> Verdict:
    scope = ix.source_paths
    # scikit-learn's metrics count where their rows are not named for training (`r2_score(y_train, p)`)
    metrics = because("scores a model", ix.scores("sklearn.metrics", paths=scope) +
                      ix.calls(*(m for m in METRICS if m != "sklearn.metrics"), paths=scope))
    # Held out by an API: a held-out set (`y_test`, `val_ds`) given to a metric or score call (it shows
    # the metric too, so no other metric is shown beside it), or a split call.
    scored = because("scores the held-out rows", ix.scored_held_out(paths=scope))
    configured, same_as_training = ix.settings(held_out_sets)  # a dataset config's val/test split
    splits = scored + because("holds data out", ix.calls(*SPLITS, paths=scope)) + configured
    # A held-out name anywhere else in a module that scores is a hint (a name, not an API): `val` and
    # `test` are also loop variables, sub-commands and settings. It makes the check partial at most.
    evaluating = sorted({ev.path for ev in metrics})
    named = [] if splits else because("a name says the data is held out (a hint: no split or scoring API shows it)",
                                      ix.markers("held-out", paths=evaluating))
    if splits and metrics:
        return verdict("held-out-metrics", splits[:3] + ([] if scored else metrics[:3]), rejected=same_as_training)
    if named and metrics:
        return verdict("held-out-by-name", named[:3] + metrics[:3], rejected=same_as_training)
    if splits or metrics:
        missing = "a metric on it" if splits else "a held-out split"
        return verdict("incomplete", splits + metrics, missing=missing, rejected=same_as_training)
    return verdict("none", rejected=same_as_training)


def _shadow_mode(ix: Index) -> Verdict:
    # A setting read as its schema passes; a function or class that serving code names for shadow
    # scoring (`shadow_predict`) is a name, which says nothing about whether it runs: partial.
    mirrored, off = ix.settings(shadow_settings)  # Istio, SageMaker, Gateway API, Seldon: read as their schema
    off = [Evidence(ev.path, ev.line, ev.cell, f"{ev.why}, switched off") for ev in off]
    if mirrored:
        return verdict("shadow", mirrored, rejected=off)
    named = because("a name speaks of shadow scoring (a hint: no mirroring or shadow setting shows it runs)",
                    ix.defs(_SHADOW_DEF, paths=ix.serving_paths))
    if named:
        return verdict("named-only", named, rejected=off)
    return verdict("none", rejected=off)


def _manifest_splits(ix: Index) -> tuple[list[Evidence], list[Evidence]]:
    """Traffic settings of deploy manifests (auditor/ml/operations.py): those that send a share of
    traffic to a new model, and those that send every request to one version."""
    found, rejected = [], []
    for file in ix.text_files((CONFIG,)):
        if file.path in ix.ci_paths:
            continue
        for key_path, meaning, counts in traffic_settings(file.data):
            where = file.line_of(*key_path)
            if counts:
                found.append(Evidence(file.path, where, None, meaning))
            else:
                rejected.append(Evidence(file.path, where, None, f"`{key_path[-1]}` sends every request to one version"))
    return found, rejected


def _canary(ix: Index) -> Verdict:
    # Only values that split traffic count: a weight of 100, `traffic_split={"0": 100}` or a word
    # such as "canary" in a name send every request to one model.
    found, rejected = _manifest_splits(ix)
    found += because("a deploy command splits traffic",
                                           ix.grep(CLI_TRAFFIC_SPLIT, kinds=(SCRIPT, BUILD)) +
                                           ix.grep(CLI_TRAFFIC_SPLIT, paths=ix.ci_paths))
    found += because("feature flags release to a share of users", ix.imports(*FLAG_LIBS))
    found += because("shifts endpoint weights step by step", ix.calls(".update_endpoint_weights_and_capacities"))
    if found:
        return verdict("gradual", found, rejected=rejected)
    return verdict("all-at-once", rejected=rejected)


def _two_models_served(ix: Index) -> list[Evidence]:
    """Serving code that loads both the champion and the challenger of a registry by alias
    (`models:/churn@champion` and `models:/churn@challenger`): two models answer live traffic."""
    found = []
    for path in ix.serving_paths:
        uris = [(ev, uri) for ev, uri in ix.uris(_ALIAS_URI) if ev.path == path]
        roles = {match.group(1).lower() for _, uri in uris for match in [_ALIAS_URI.search(uri)] if match}
        if {"champion", "challenger"} <= roles:
            found += [replace(ev, why=f"{ev.why}: serves the champion and the challenger side by side") for ev, _ in uris]
    return found


def _holdout_cohort(ix: Index) -> Verdict:
    # Resolved: an experimentation library, or serving that loads two registered models by alias.
    live = because("assigns users to experiment arms", ix.imports(*EXPERIMENT_LIBS)) + _two_models_served(ix)
    if live:
        return verdict("live-holdout", live)
    # Names only (`holdout_group`, `ab_test`, `champion` in serving code or a config) say nothing runs.
    named = because("a name speaks of a holdout or a champion (a hint: no experiment library or routing shows it)",
                    ix.markers("holdout-cohort", "champion", paths=ix.serving_paths) +
                    ix.grep(_HOLDOUT_CONFIG, kinds=(CONFIG,)))
    if named:
        return verdict("named-only", named)
    challenger = _compared_offline(ix)
    if challenger:
        return verdict("offline-only", challenger)
    return verdict("none")


def _compared_offline(ix: Index) -> list[Evidence]:
    """Registry aliases named for the champion or the challenger, set by an alias call or used in a
    `models:/name@champion` URI outside serving code: a promotion that compares the two offline."""
    named = {(ev.path, ev.line) for ev in ix.markers("champion", paths=ix.source_paths)}
    # the alias call resolved to a registry's method, with champion or challenger on its line (its value)
    found = [ev for ev in ix.library_calls(MODEL_ALIAS_CALLS, METHOD_OWNERS, paths=ix.source_paths)
             if (ev.path, ev.line) in named]
    source = set(ix.source_paths)
    found += [ev for ev, _ in ix.uris(_ALIAS_URI) if ev.path in source]
    return because("a registry alias names the champion or the challenger", found)


offline_evaluation = ReadinessCheck(
    "R-REL-01", "New models are evaluated offline on a held-out set", "release_safety",
    "train/test splits, held-out sets given to metric calls and dataset configs' val/test splits (YOLO); held-out "
    "names in modules that score (a hint, "
    "lower weight); evaluation metric calls in the source",
    (
        Rung("held-out-metrics", PASS, "the code holds data out and scores models on it",
             "Models are scored on data they were not trained on."),
        Rung("held-out-by-name", PARTIAL, "models are scored in a module whose data is held out by name only "
             "(`X_test`, `val`): a hint, so partial at most",
             "Models are scored, and the data looks held out by its names only (`X_test`, `val`): no split call or "
             "metric on a held-out set shows it. Make it explicit (`train_test_split`, or score the held-out set by "
             "name: `r2_score(y_test, ...)`) so the evaluation can be checked."),
        Rung("incomplete", PARTIAL, "a held-out split or a metric, but not both",
             "Evaluation is incomplete: there is no {missing}. Score every candidate on a fixed held-out set and "
             "compare it with the model in production before promoting it."),
        Rung("none", FAIL, "no offline evaluation",
             "No offline evaluation: hold out a test set (by time or by entity), compute the metrics that matter "
             "on it, and gate promotion on them."),
    ),
    _offline_evaluation)

shadow_mode = ReadinessCheck(
    "R-REL-02", "New models can run in shadow mode (scored and logged, not used)", "release_safety",
    "mirroring and shadow settings read as their schema (Istio mirror, SageMaker shadow variants, Gateway API "
    "RequestMirror, Seldon shadow predictors); functions and classes serving code names for shadow scoring (a "
    "hint: partial at most)",
    (
        Rung("shadow", PASS, "a shadow or mirrored deployment exists",
             "A shadow or mirrored deployment exists."),
        Rung("named-only", PARTIAL, "serving code names a shadow function or class, but no mirroring or shadow "
             "setting shows it runs next to the live model",
             "Serving code names shadow scoring, but nothing shows it runs: mirror traffic to the candidate "
             "(Istio mirror, SageMaker shadow variants, Seldon shadow) or call it from the request handler and "
             "log what it would have answered."),
        Rung("none", FAIL, "no shadow mode",
             "No shadow mode: run the candidate next to the live model on real traffic and log its predictions "
             "without serving them (Seldon shadow, Istio mirroring, SageMaker shadow variants, or a second model "
             "call in the handler)."),
    ),
    _shadow_mode)

canary = ReadinessCheck(
    "R-REL-03", "Releases shift traffic gradually (canary, traffic split, feature flag)", "release_safety",
    "deploy manifests whose values split traffic between two versions (KServe, Istio, Gateway API, SMI, Seldon, "
    "SageMaker, Knative, Azure ML, Vertex AI, Argo Rollouts, Flagger, Anyscale; auditor/ml/operations.py), deploy commands "
    "with a two-way traffic split, feature-flag libraries and endpoint weight calls",
    (
        Rung("gradual", PASS, "traffic can be shifted to a new model step by step",
             "Traffic can be shifted to a new model step by step."),
        Rung("all-at-once", FAIL, "every release goes to all traffic at once (this check has no partial step)",
             "Every release goes to 100% of traffic at once: route 5% -> 25% -> 100% with KServe "
             "`canaryTrafficPercent`, Istio weights, Argo Rollouts, SageMaker variant weights or a feature flag."),
    ),
    _canary)

holdout_cohort = ReadinessCheck(
    "R-REL-04", "A holdout cohort stays on the old model or logic for comparison", "release_safety",
    "experiment libraries; serving code that loads a champion and a challenger by registry alias; holdout, "
    "control-group and champion names in serving code and configs (hints: partial at most); registry aliases named "
    "champion or challenger set or used elsewhere (compared offline: partial)",
    (
        Rung("live-holdout", PASS, "a control group or champion/challenger split runs on live traffic",
             "A control group or champion/challenger split exists."),
        Rung("named-only", PARTIAL, "names in serving code or configs speak of a holdout or champion/challenger, "
             "but no experiment library or two-model routing shows one runs",
             "Serving code or configs name a holdout or a champion/challenger, but nothing shows live traffic is "
             "split: assign users with an experimentation library (GrowthBook, Statsig, Eppo) or serve both models "
             "by alias and route a share of requests to each."),
        Rung("offline-only", PARTIAL, "champion and challenger are compared offline only",
             "Champion and challenger are compared offline only: keep a small share of live traffic on the old "
             "model to compare outcomes after the rollout."),
        Rung("none", FAIL, "no holdout cohort",
             "No holdout cohort: keep a small share of traffic on the previous model or logic and compare "
             "outcomes, to catch what offline metrics miss."),
    ),
    _holdout_cohort)

open_findings = findings_check("R-REL-05", "Findings: unsafe loading of models and data", "release_safety", ("unsafe-load",))

leakage_free = ReadinessCheck(
    "R-REL-06", "Offline evaluation is free of data leakage", "release_safety",
    "the scan's data-leakage findings (ML6xx): a scaler, selector or sampler fitted on rows the model is later scored "
    "on, a model trained on its test rows, early stopping on the test set",
    LEAKAGE_LADDER, no_gathering, judge="leakage")

CHECKS = (offline_evaluation, shadow_mode, canary, holdout_cohort, open_findings, leakage_free)
