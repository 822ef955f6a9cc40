"""Release safety: is a new model checked offline, then in the shadow, then on a slice of traffic?"""

from __future__ import annotations

import re

from auditor.model.project import CONFIG, SCRIPT
from auditor.readiness.debt import findings_check
from auditor.readiness.index import Index
from auditor.readiness.model import FAIL, PARTIAL, PASS, Check, check

SPLITS = ("sklearn.model_selection.train_test_split", "sklearn.model_selection.KFold",
          "sklearn.model_selection.StratifiedKFold", "sklearn.model_selection.GroupKFold",
          "sklearn.model_selection.TimeSeriesSplit", "sklearn.model_selection.cross_val_score",
          "sklearn.model_selection.cross_validate", "sklearn.model_selection.StratifiedShuffleSplit",
          "sklearn.model_selection.GroupShuffleSplit", "torch.utils.data.random_split", ".train_test_split")
METRICS = ("sklearn.metrics", "torchmetrics", "evaluate.load", "keras.metrics", "tensorflow.keras.metrics",
           "sklearn.model_selection.cross_val_score", "sklearn.model_selection.cross_validate", ".evaluate",
           ".score", "mlflow.evaluate")
_SHADOW_CONFIG = re.compile(r"shadow|^\s*mirror(Percentage|_percent)?:|ShadowProductionVariants", re.I | re.M)
_CANARY_CONFIG = re.compile(
    r"canaryTrafficPercent|canary|setWeight:|InitialVariantWeight|DesiredWeight|trafficSplit|traffic_split|"
    r"traffic_percentage|TrafficRoutingConfig|BlueGreenUpdatePolicy|LINEAR_|ALL_AT_ONCE|^\s*traffic:\s*\d+", re.I | re.M)
_ROUTE_FILE = re.compile(r"kind:\s*(VirtualService|TrafficSplit|HTTPRoute)")
_ROUTE_WEIGHT = re.compile(r"^\s*weight:\s*\d+", re.M)
FLAG_LIBS = ("ldclient", "UnleashClient", "flagsmith", "growthbook", "openfeature", "featureflags", "splitio",
             "statsig", "eppo_client", "optimizely")
_HOLDOUT_CONFIG = re.compile(r"holdout_?(group|cohort|percent|pct|traffic)|control_?group|ab_?test", re.I)
EXPERIMENT_LIBS = ("growthbook", "statsig", "eppo_client", "planout", "optimizely")


def offline_evaluation(ix: Index) -> Check:
    title = "New models are evaluated offline on a held-out set"
    scope = ix.source_paths
    splits = ix.calls(*SPLITS, paths=scope) + ix.markers("held-out", paths=scope)
    metrics = ix.calls(*METRICS, paths=scope)
    if splits and metrics:
        return check("R-REL-01", title, PASS, splits[:3] + metrics[:3],
                     "Models are scored on data they were not trained on.")
    if splits or metrics:
        missing = "a metric on it" if splits else "a held-out split"
        return check("R-REL-01", title, PARTIAL, splits + metrics,
                     f"Evaluation is incomplete: there is no {missing}. Score every candidate on a fixed held-out "
                     "set and compare it with the model in production before promoting it.")
    return check("R-REL-01", title, FAIL, (),
                 "No offline evaluation: hold out a test set (by time or by entity), compute the metrics that "
                 "matter on it, and gate promotion on them.")


def shadow_mode(ix: Index) -> Check:
    title = "New models can run in shadow mode (scored and logged, not used)"
    found = ix.markers("shadow", paths=ix.serving_paths) + ix.grep(_SHADOW_CONFIG, kinds=(CONFIG, SCRIPT))
    if found:
        return check("R-REL-02", title, PASS, found, "A shadow or mirrored deployment exists.")
    return check("R-REL-02", title, FAIL, (),
                 "No shadow mode: run the candidate next to the live model on real traffic and log its predictions "
                 "without serving them (Seldon shadow, Istio mirroring, SageMaker shadow variants, or a second "
                 "model call in the handler).")


def canary(ix: Index) -> Check:
    title = "Releases shift traffic gradually (canary, traffic split, feature flag)"
    found = ix.grep(_CANARY_CONFIG, kinds=(CONFIG, SCRIPT))
    for file in ix.text_files((CONFIG,)):
        if _ROUTE_FILE.search(file.text or ""):
            found += ix.grep(_ROUTE_WEIGHT, paths=[file.path])
    found += ix.imports(*FLAG_LIBS) + ix.markers("canary", "traffic", paths=ix.source_paths)
    found += ix.calls(".update_endpoint_weights_and_capacities") + ix.kwargs("traffic_split", "traffic_percentage",
                                                                             "initial_weight")
    if found:
        return check("R-REL-03", title, PASS, found, "Traffic can be shifted to a new model step by step.")
    return check("R-REL-03", title, FAIL, (),
                 "Every release goes to 100% of traffic at once: route 5% -> 25% -> 100% with KServe "
                 "`canaryTrafficPercent`, Istio weights, Argo Rollouts, SageMaker variant weights or a feature flag.")


def holdout_cohort(ix: Index) -> Check:
    title = "A holdout cohort stays on the old model or logic for comparison"
    found = ix.markers("holdout-cohort", paths=ix.serving_paths) + ix.grep(_HOLDOUT_CONFIG, kinds=(CONFIG,))
    found += ix.imports(*EXPERIMENT_LIBS) + ix.markers("champion", paths=ix.serving_paths)
    if found:
        return check("R-REL-04", title, PASS, found, "A control group or champion/challenger split exists.")
    challenger = ix.markers("champion", paths=ix.source_paths)
    if challenger:
        return check("R-REL-04", title, PARTIAL, challenger,
                     "Champion and challenger are compared offline only: keep a small share of live traffic on the "
                     "old model to compare outcomes after the rollout.")
    return check("R-REL-04", title, FAIL, (),
                 "No holdout cohort: keep a small share of traffic on the previous model or logic and compare "
                 "outcomes, to catch what offline metrics miss.")


open_findings = findings_check("R-REL-05", "Findings: unsafe loading of models and data", ("unsafe-load",))


CHECKS = (offline_evaluation, shadow_mode, canary, holdout_cohort, open_findings)
