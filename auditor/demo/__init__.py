"""The bundled demo repository: a small churn-prediction project with debt of every category
planted in it next to clean counterparts, materialised as a git repository with back-dated history
so that age-based findings (stale models, old hacks) show up.

Part of the command line layer (``mlaudit demo``): it may import anything below, and imports only
``auditor.testing`` (the same git helper the tests build histories with)."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import time
from importlib import resources
from pathlib import Path

from auditor.testing import git

ALICE = "Alice Moreau <alice@acme.example>"
BOB = "Bob Okafor <bob@acme.example>"
CAROL = "Carol Lindqvist <carol@acme.example>"
DANA = "Dana Ruiz <dana@acme.example>"

# (days ago, author, message, paths). Paths not listed go into the first commit.
HISTORY = [
    (420, ALICE, "Initial churn model: features, utils and config",
     ["README.md", ".gitignore", "requirements.txt", "pyproject.toml", ".github/CODEOWNERS", "src/churn/__init__.py",
      "src/churn/utils.py", "src/churn/features.py", "src/churn/legacy_report.py", "configs/train.yaml",
      "tests/test_features.py"]),
    (400, ALICE, "Add trained model v1 and the DVC pipeline", ["models/churn_model.pkl", "dvc.yaml"]),
    (300, BOB, "Exploration notebook and CRM export DAG", ["notebooks/exploration.ipynb", "dags/export_scores_dag.py"]),
    (150, CAROL, "Scheduled retraining, serving image", [
        "dags/train_churn_dag.py", ".github/workflows/retrain.yml", "Dockerfile", "requirements-serving.txt"]),
    (20, BOB, "Train with MLflow tracking; offline evaluation", ["src/churn/train.py", "src/churn/evaluate.py"]),
    (16, BOB, "AUC for the quarterly review, with and without a pipeline", ["src/churn/calibration.py"]),
    (12, DANA, "Logistic-regression baseline", ["src/churn/baseline.py"]),
    (10, DANA, "Retrain baseline", ["models/baseline_model.joblib"]),
    (3, ALICE, "Serve churn scores over HTTP", ["src/churn/serve.py"]),
]


class DemoError(Exception):
    pass


def _packaged_files() -> dict[str, bytes]:
    """Demo files from the package. Dot-files are stored as ``dot-name`` so packaging keeps them."""
    root = resources.files("auditor.demo").joinpath("files")
    found: dict[str, bytes] = {}

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            name = "." + child.name[4:] if child.name.startswith("dot-") else child.name
            if name == "__pycache__":
                continue
            rel = f"{prefix}{name}"
            if child.is_dir():
                walk(child, rel + "/")
            else:
                found[rel] = child.read_bytes()

    walk(root, "")
    return found


def _model_bytes(name: str, trained_rows: int) -> bytes:
    # A pickle of plain data stands in for a trained estimator: it has a real pickle header
    # (what mlaudit sniffs) without any code in it.
    return pickle.dumps({"model": name, "trained_rows": trained_rows, "coef": [0.12, -0.4, 0.33]}, protocol=4)


def build_demo(directory: Path, force: bool = False, now: float | None = None) -> None:
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        if not force:
            raise DemoError(f"{directory} exists and is not empty (use --force to replace it)")
        shutil.rmtree(directory)
    if shutil.which("git") is None:
        raise DemoError("git is needed to build the demo's history")
    files = _packaged_files()
    files["models/churn_model.pkl"] = _model_bytes("churn-rf", 48_211)
    files["models/baseline_model.joblib"] = _model_bytes("churn-logreg", 61_907)
    directory.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    now = time.time() if now is None else now
    try:
        git(directory, "init", "-q", "-b", "main")
        listed = {p for _, _, _, paths in HISTORY for p in paths}
        unlisted = sorted(set(files) - listed)
        for index, (days, author, message, paths) in enumerate(HISTORY):
            batch = list(paths) + (unlisted if index == 0 else [])
            git(directory, "add", "--", *batch)
            git(directory, "commit", "-q", "-m", message, when=now - days * 86400, author=author)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        raise DemoError(f"could not build the demo's git history: {exc}") from None
