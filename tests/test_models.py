"""Model artifacts: sniffing without loading, links to producers and loaders, ages, and the demo."""

import json
import os
import struct
import time

import pytest

from auditor.analysis.artifacts import candidates
from auditor.demo import build_demo
from auditor.ml.models import sniff
from auditor.model.discover import ABSENT_FROM_WORK_TREE
from auditor.testing import make_repo, scan_repo

PKL = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s."


def zip_with(first: str) -> bytes:
    name = first.encode()
    return b"PK\x03\x04" + b"\x00" * 22 + struct.pack("<H", len(name)) + b"\x00\x00" + name + b"\x00" * 40


def safetensors(metadata: dict, tensors: int = 1, pad: int = 0) -> bytes:
    header = {"__metadata__": metadata}
    for i in range(tensors):
        header[f"layer.{i}.weight" + "x" * pad] = {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]}
    body = json.dumps(header).encode()
    return struct.pack("<Q", len(body)) + body + b"\x00" * 8


@pytest.mark.parametrize("name,data,expected", [
    ("m.pt", zip_with("archive/data.pkl"), "pytorch"),
    ("m.bin", zip_with("pytorch_model/data.pkl"), "pytorch"),
    ("m.pt", b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19" + b"\x00" * 20, "pytorch-legacy"),
    ("m.keras", zip_with("metadata.json"), "keras"),
    ("m.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 20, "hdf5"),
    ("m.tflite", b"\x1c\x00\x00\x00TFL3" + b"\x00" * 20, "tflite"),
    ("m.gguf", b"GGUF\x03\x00", "gguf"),
    ("m.cbm", b"CBM1" + b"\x00" * 8, "catboost"),
    ("m.onnx", b"\x08\x07\x12\x07pytorch", "onnx"),
    ("m.joblib", PKL, "joblib"),
    ("m.pkl", PKL, "pickle"),
    ("model", PKL, "pickle"),
    ("a.npz", zip_with("x.npy"), "numpy"),
    ("m.safetensors", safetensors({"format": "pt"}), "safetensors"),
])
def test_sniff_recognises_formats_from_magic_bytes(name, data, expected):
    assert sniff(data, name)[0] == expected


def test_lfs_pointer_keeps_the_size_it_declares():
    fmt, meta = sniff(b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123456\n", "enc.onnx")
    assert fmt == "onnx" and meta["lfs_size"] == 123456 and meta["lfs_oid"] == "sha256:abc"


def test_candidates_resolve_against_root_and_file_directory():
    assert candidates("models/m.pkl", "src/app/serve.py") == ["models/m.pkl", "src/app/models/m.pkl"]
    assert candidates("./m.pkl", "app.py") == ["m.pkl"]
    assert candidates("../models/m.pkl", "src/serve.py") == ["models/m.pkl"]
    assert candidates("@file/../models/m.pkl", "src/serve.py") == ["models/m.pkl"]
    assert candidates("/opt/m.pkl", "a.py") == [] and candidates("s3://b/m.pkl", "a.py") == []
    assert candidates("models:/churn/1", "a.py") == []


def _artifacts(tmp_path, files, ages=None):
    from auditor.config import build_config
    from auditor.scan.engine import scan

    root = make_repo(tmp_path / "r", files, ages)
    captured = {}
    import auditor.scan.engine as engine

    original = engine.Project

    class Spy(original):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            captured["project"] = self

    engine.Project = Spy
    try:
        scan(root, build_config({"select": ["ML301"]}, "test", {}))
    finally:
        engine.Project = original
    return {a.path: a for a in captured["project"].artifacts}


def test_artifacts_include_directories_dvc_outputs_and_big_safetensors_headers(tmp_path):
    big = safetensors({"base_model": "resnet50", "epochs": "12"}, tensors=40, pad=40)
    assert len(big) > 2000  # beyond the 512 bytes read for other artifacts
    found = _artifacts(tmp_path, {
        "export/saved_model.pb": b"\x08\x01", "export/variables/variables.index": b"\x00",
        "mlruns/model/MLmodel": "flavors:\n  sklearn: {}\n", "mlruns/model/model.pkl": PKL,
        "weights.safetensors": big,
        "data.dvc": "outs:\n- path: data\n", "clf.pkl.dvc": "outs:\n- path: clf.pkl\n",
        "dvc.lock": "stages:\n  train:\n    cmd: python t.py\n    outs:\n    - path: models/net.pt\n",
        "README": "plain text file with no extension\n",
        "lightgbm.txt": "tree\nversion=v3\nnum_class=1\n",
    })
    assert found["export"].format == "tf-savedmodel" and found["export"].is_dir
    assert found["mlruns/model"].format == "mlflow-model" and "mlruns/model/model.pkl" not in found
    assert found["weights.safetensors"].metadata["metadata"] == {"base_model": "resnet50", "epochs": "12"}
    assert found["weights.safetensors"].metadata["tensors"] == 40
    assert found["clf.pkl"].tracked_by == "dvc" and found["clf.pkl"].pointer == "clf.pkl.dvc"
    assert found["models/net.pt"].pointer == "dvc.lock"
    assert "data" not in found and "README" not in found  # data directories and text are not models
    assert found["lightgbm.txt"].format == "lightgbm"


def test_without_git_file_times_are_used_and_said(tmp_path):
    root = make_repo(tmp_path / "r", {"models/m.pkl": PKL})
    old = time.time() - 300 * 86400
    os.utime(root / "models/m.pkl", (old, old))
    result = scan_repo(root, {"select": ["ML301"], "min-confidence": "low"})
    [finding] = result.findings
    assert "file times" in finding.message and finding.evidence["clock"] == "file mtime"
    assert finding.confidence == "low"


def test_untracked_model_in_a_git_checkout_has_no_age(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "x = 1\n"}, {"a.py": 5})
    (root / "models").mkdir()
    (root / "models/m.pkl").write_bytes(PKL)
    old = time.time() - 900 * 86400
    os.utime(root / "models/m.pkl", (old, old))
    assert scan_repo(root, {"select": ["ML301"]}).findings == []


def test_stale_model_evidence_names_dates_and_gap(tmp_path):
    root = make_repo(tmp_path / "r", {
        "models/m.pkl": PKL, "train.py": 'import joblib\nPATH = "models/m.pkl"\njoblib.dump(model, PATH)\n',
    }, {"models/m.pkl": 100, "train.py": 10})
    [finding] = scan_repo(root, {"select": ["ML301"]}).findings
    assert finding.severity == "high"
    assert finding.evidence["producer"] == "train.py"
    assert finding.evidence["gap_days"] in (89, 90)
    assert finding.evidence["age_days"] in (99, 100)
    assert finding.evidence["clock"] == "git"


def test_demo_models(tmp_path):
    build_demo(tmp_path / "demo")
    result = scan_repo(tmp_path / "demo", {"select": ["stale-model"]})
    found = {(f.rule, f.path) for f in result.findings}
    assert ("ML301", "models/churn_model.pkl") in found
    assert ("ML303", "src/churn/serve.py") in found
    assert not any("baseline_model" in f.path or "baseline_model" in f.message for f in result.findings)
    missing = [f for f in result.findings if f.rule == "ML303"]
    assert [f.evidence["path"] for f in missing] == ["models/fraud_model.joblib"]


def test_extractor_folds_paths_built_from_constants_and_file(tmp_path):
    import ast

    from auditor.analysis.artifact_io import extract
    from auditor.analysis.pymodule import ParsedModule

    source = (
        "import os, pickle, joblib, torch\nfrom pathlib import Path\n"
        "ROOT = Path(__file__).resolve().parents[1]\nMODELS = os.path.join('artifacts', 'models')\n"
        "joblib.dump(m, ROOT / 'models' / 'clf.joblib')\n"
        "torch.save(net.state_dict(), os.path.join(MODELS, 'net.pt'))\n"
        "fh = open(f'{MODELS}/enc.pkl', 'wb')\npickle.dump(enc, fh)\n"
        "torch.save(net, f'{run_dir}/best.pt')\n"
        "model = joblib.load(os.environ['MODEL'])\n"
    )
    module = ParsedModule("src/train.py", "train", source, ast.parse(source))
    facts = extract(module)
    writes = {(w["path"], w["call"]) for w in facts["writes"]}
    assert ("@file/../models/clf.joblib", "joblib.dump") in writes
    assert ("artifacts/models/net.pt", "torch.save") in writes
    assert ("artifacts/models/enc.pkl", "pickle.dump") in writes
    assert "best.pt" in facts["write_hints"]
    assert facts["reads"] == []  # an environment variable is not a constant path
    assert candidates("@file/../models/clf.joblib", "src/train.py") == ["models/clf.joblib"]


def test_a_missing_model_is_high_in_serving_code_and_medium_in_a_notebook(tmp_path):
    from auditor.testing import make_repo, scan_repo

    notebook = ('{"cells": [{"cell_type": "code", "source": ["import joblib\\n", "m = joblib.load(\'best.joblib\')"]}],'
                ' "nbformat": 4}')
    root = make_repo(tmp_path / "repo", {"explore.ipynb": notebook,
                                         "serve.py": "import joblib\nmodel = joblib.load('models/prod.joblib')\n"})
    severities = {f.path: f.severity for f in scan_repo(root, {"select": ["ML303"]}).findings}
    assert severities == {"explore.ipynb": "medium", "serve.py": "high"}


def test_an_old_model_a_course_ships_for_its_readers_is_context_not_a_stale_deployment(tmp_path):
    root = make_repo(tmp_path / "r", {"cohorts/2023/homework/model1.bin": PKL, "models/churn.pkl": PKL,
                                      "labs/week5/train.py": "import pickle\n\npickle.dump(m, open('model.pkl', 'wb'))\n",
                                      "labs/week5/model.pkl": PKL},
                     {"cohorts/2023/homework/model1.bin": 900, "models/churn.pkl": 900, "labs/week5/model.pkl": 900,
                      "labs/week5/train.py": 2})
    got = {f.path: f.severity for f in scan_repo(root, {"select": ["ML301"]}).findings}
    # the lab's model is older than its training code: that is still high
    assert got == {"cohorts/2023/homework/model1.bin": "info", "models/churn.pkl": "medium",
                   "labs/week5/model.pkl": "high"}


def test_a_model_git_tracks_but_the_work_tree_lacks_is_unknown_not_missing(tmp_path):
    """A partial clone or a sparse checkout leaves tracked files out of the work tree: the scan says
    so, and never reports the model as one the repository does not have (issue 19)."""
    files = {"serve.py": "import joblib\n\nmodel = joblib.load('models/model.joblib')\n",
             "models/model.joblib": b"\x80\x04K\x01."}
    root = make_repo(tmp_path / "r", files, ages={p: 3 for p in files})
    (root / "models/model.joblib").unlink()
    result = scan_repo(root, {"select": ["ML303"]})
    assert result.findings == []
    assert ("models/model.joblib", ABSENT_FROM_WORK_TREE) in result.skipped
    untracked = make_repo(tmp_path / "u", {"serve.py": files["serve.py"]}, ages={"serve.py": 3})
    assert [f.rule for f in scan_repo(untracked, {"select": ["ML303"]}).findings] == ["ML303"]


def test_an_absent_model_is_judged_by_its_git_history(tmp_path):
    """Not in the work tree, but git knows when it last changed: older than its producer is stale."""
    files = {"train.py": "import joblib\n\njoblib.dump(model, 'models/model.joblib')\n",
             "models/model.joblib": b"\x80\x04K\x01."}
    root = make_repo(tmp_path / "r", files, ages={"models/model.joblib": 300, "train.py": 3})
    (root / "models/model.joblib").unlink()
    [finding] = scan_repo(root, {"select": ["ML301"]}).findings
    assert finding.path == "models/model.joblib" and finding.severity == "high"
    assert "before its producer train.py changed" in finding.message
