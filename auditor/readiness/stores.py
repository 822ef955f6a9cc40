"""Where trained models are kept, answered once. The checks that depend on a registry, on aliases or
on DVC outputs (traceability R-TRACE-03, rollback R-ROLL-01 and R-ROLL-02, the rollback estimate)
read these functions, so two checks never disagree about the same fact. Each piece of evidence says
what it shows."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import NamedTuple

from auditor.analysis.artifacts import dvc_outputs as analysed_dvc_outputs
from auditor.ml.models import MODEL_SUFFIXES, looks_like_model, names_something_else
from auditor.ml.tracking import METHOD_OWNERS, MODEL_ALIAS_CALLS, MODEL_REGISTRY_CALLS
from auditor.model.project import CONFIG
from auditor.readiness.index import Index
from auditor.readiness.model import Evidence, because

ALIAS_URI = re.compile(r"^models:/[^/@]+(@\w+|/(Production|Staging|Champion|prod)\b)", re.I)
# Artifacts that are not models: plots, tables, text.
_NOT_MODEL_FILE = re.compile(r"\.(png|jpe?g|svg|gif|html?|csv|tsv|txt|md|json|ya?ml|log|parquet)$", re.I)
_ALIAS_CONFIG = re.compile(r"ModelApprovalStatus|version_aliases|models:/[^/\s]+@\w+")


def registrations(ix: Index) -> list[Evidence]:
    """Model versions put in a registry by production code (a registry call in a tutorial notebook
    or a test is not a release process), and models declared in DVC's model registry."""
    prod = ix.production_paths
    registering = tuple(call for call in MODEL_REGISTRY_CALLS if call not in MODEL_ALIAS_CALLS)
    found = because("registers a model version", ix.library_calls(registering, METHOD_OWNERS, paths=prod) +
                    ix.kwargs("registered_model_name", paths=prod))
    found += because("moves an alias or stage of a registered model", ix.library_calls(MODEL_ALIAS_CALLS, METHOD_OWNERS, paths=prod))
    return found + dvc_model_artifacts(ix)


def aliases(ix: Index) -> list[Evidence]:
    """Names that point at a registered version (an alias, a stage, an approval status), so a
    rollback is moving the name."""
    prod = ix.production_paths
    found = ix.library_calls(MODEL_ALIAS_CALLS, METHOD_OWNERS, paths=prod) + [ev for ev, _ in ix.uris(ALIAS_URI) if ev.path in prod]
    found += ix.kwargs("aliases", "version_aliases", "ModelApprovalStatus", "model_approval_status", paths=prod)
    found += ix.configs(_ALIAS_CONFIG, path_pattern=None)
    return because("points a name (alias, stage, approval) at a model version", found)


def dvc_model_artifacts(ix: Index) -> list[Evidence]:
    """`artifacts:` of type model in a dvc.yaml: DVC's model registry, versioned with git tags."""
    found = []
    for file in ix.text_files((CONFIG,)):
        if file.name != "dvc.yaml" or not isinstance(file.data, dict):
            continue
        artifacts = file.data.get("artifacts")
        for name, spec in (artifacts.items() if isinstance(artifacts, dict) else ()):
            if isinstance(spec, dict) and spec.get("type") == "model":
                found.append(Evidence(file.path, file.line_of("artifacts", name), None,
                                      f"declares model artifact `{name}` in DVC's model registry"))
    return found


def dvc_outputs(ix: Index) -> dict[str, Evidence]:
    """Every DVC output (stage outs of dvc.yaml and dvc.lock, .dvc pointers; the analysis reads them,
    auditor/analysis/artifacts.py), repository path -> where it is declared, dvc.yaml first."""
    outs: dict[str, Evidence] = {}
    for out in sorted(analysed_dvc_outputs(ix.project), key=lambda o: (not o.source.endswith("dvc.yaml"), o.source)):
        why = f"stage `{out.stage}` outputs `{out.path}`, versioned by DVC" if out.stage else f"`{out.path}` is versioned by DVC"
        outs.setdefault(out.path, Evidence(out.source, out.line, None, why))
    return outs


def dvc_model_outputs(ix: Index) -> list[Evidence]:
    """DVC outputs that are model files (by extension and name, auditor/ml/models.py), when a
    dvc.lock records which version each commit made."""
    if not any(f.name == "dvc.lock" for f in ix.project.files.values()):
        return []
    return [ev for out, ev in sorted(dvc_outputs(ix).items())
            if PurePosixPath(out).suffix.lower() in (*MODEL_SUFFIXES, "") and looks_like_model(out, None)]


def model_artifact_logs(ix: Index, logged: list[Evidence]) -> list[Evidence]:
    """Artifact logs that may hold a model: not those of a module whose every literal artifact is a
    plot, a table or a text file (`mlflow.log_artifact("predictions.png")`)."""
    kept = []
    for ev in logged:
        literals = [text for call, texts in (ix.module_fact(ev.path, "strings") or {}).items()
                    if call.endswith(("log_artifact", "log_artifacts")) for text in texts]
        if literals and all(_NOT_MODEL_FILE.search(text) or names_something_else(text) for text in literals):
            continue
        kept.append(ev)
    return kept


class DagsterModel(NamedTuple):
    at: Evidence  # the asset's definition
    asset: str
    manager: str  # the IO manager's class and where it is defined
    store: str  # "S3", "GCS", "ADLS" or "local"


def dagster_model_assets(ix: Index) -> list[DagsterModel]:
    """Dagster assets in production code that fit a model and return it, with the IO manager that
    stores it, resolved through the imports of the resource definitions (auditor/ml/tracking.py);
    an object-storage IO manager first when the key has one per environment."""
    managers: dict[str, list[dict]] = {}
    for path, entry in ix.io("io_managers"):
        managers.setdefault(entry.get("key", ""), []).append({**entry, "path": path})
    found = []
    for path, asset in ix.io("assets", paths=ix.production_paths):
        defined = managers.get(asset.get("key", "")) if asset.get("fits") else None
        if defined:
            chosen = sorted(defined, key=lambda m: m.get("store") == "local")[0]
            manager = f"`{chosen['class'].rsplit('.', 1)[-1]}` ({chosen['path']}:{chosen['line']})"
            found.append(DagsterModel(ix.at(path, asset.get("line")), str(asset.get("name")), manager, chosen["store"]))
    return found
