"""The ML knowledge (auditor/ml/): what the tables say, and that each exists exactly once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from auditor.ml.models import EXTENSION_FORMATS, MODEL_LOAD_CALLS, MODEL_PATH_WORD, MODEL_SAVE_CALLS, MODEL_SUFFIXES, sniff
from auditor.ml.paths import folders_of_tests, in_test_folder, is_test_path, is_test_support_path
from auditor.ml.serving import is_serving_entry, is_serving_module
from auditor.ml.tracking import RUN_RECORDERS
from auditor.ml.training import TRAIN_COMMAND, is_training_entry, is_training_module
from auditor.model.project import ARTIFACT, classify

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", ["tests/unit/helpers.py", "src/test_model.py", "pkg/model_test.py", "conftest.py",
                                  "testing/fakes.py"])
def test_tests_are_recognised(path):
    assert is_test_path(path) and is_test_support_path(path)


@pytest.mark.parametrize("path", ["src/contest.py", "src/latest/train.py", "attest.py", "src/testbed.py",
                                  "pipelines/backtest.py"])
def test_production_code_is_not_a_test(path):
    assert not is_test_path(path) and not is_test_support_path(path)


def test_code_in_a_test_folder_serves_the_tests_without_being_one():
    # A launcher script under test_utils/ is no test (the dead-code roots), but the seed rules leave
    # it alone like the tests it serves.
    assert not is_test_path("pkg/test_utils/launch.py") and is_test_support_path("pkg/test_utils/launch.py")


def test_fixture_folders_hold_fixtures_not_deployed_models():
    assert in_test_folder("tests/assets/model.pkl")
    # a folder whose name has the word test is a test folder only when it holds a test module
    folders = folders_of_tests(["code/integraton-test/test_docker.py", "contest/run.py", "models-test/m.onnx"])
    assert folders == {"code/integraton-test"}
    assert in_test_folder("code/integraton-test/model/m.onnx", folders)
    assert not in_test_folder("code/integraton-test/model/m.onnx") and not in_test_folder("models-test/m.onnx", folders)
    assert in_test_folder("data/test_data/m.joblib")
    assert not in_test_folder("models/churn.pkl") and not in_test_folder("contest/m.pkl")


def test_every_model_extension_is_an_artifact_in_the_repository_model():
    for suffix in EXTENSION_FORMATS:
        assert classify(f"models/m{suffix}") == ARTIFACT, suffix
    assert classify("configs/train.yaml") != ARTIFACT


def test_model_paths_in_code_leave_out_numpy_and_graphs():
    assert ".pt" in MODEL_SUFFIXES and ".npz" not in MODEL_SUFFIXES and ".pb" not in MODEL_SUFFIXES


def test_formats_are_named_by_magic_bytes_before_the_extension():
    assert sniff(b"\x89HDF\r\n\x1a\n" + b"\0" * 8, "weights.bin")[0] == "hdf5"
    assert sniff(b"GGUF" + b"\0" * 8, "m.bin")[0] == "gguf"
    assert sniff(b"not a model", "m.onnx")[0] == "onnx"  # falls back on the extension
    assert sniff(b"", "notes.txt")[0] is None


def test_save_and_load_calls_say_where_their_path_is():
    assert MODEL_SAVE_CALLS["joblib.dump"] == 1 and MODEL_SAVE_CALLS["torch.onnx.export"] == 2
    assert MODEL_LOAD_CALLS["torch.load"] == 0 and MODEL_LOAD_CALLS["xgboost.Booster"] is None
    assert MODEL_PATH_WORD.search("out/model_v2.safetensors") and MODEL_PATH_WORD.search("clf.joblib")
    assert not MODEL_PATH_WORD.search("plots/loss.png")


@pytest.mark.parametrize("path,entry,module", [
    ("train.py", True, True), ("src/training/loop.py", True, True), ("fit_model.py", True, True),
    ("model_trainer.py", False, True), ("retrain_job.py", False, True), ("pipeline.py", False, True),
    ("train_data/load.py", True, True), ("fitness.py", False, True), ("constraints.py", False, False),
])
def test_where_training_starts_and_what_counts_as_training_code(path, entry, module):
    assert (is_training_entry(path), is_training_module(path)) == (entry, module)


@pytest.mark.parametrize("path,entry,module", [
    ("serve.py", True, True), ("api/routes.py", True, False), ("batch_inference.py", True, True),
    ("handler.py", False, True), ("apply.py", False, False), ("app/main.py", True, False),
])
def test_where_serving_starts_and_what_counts_as_serving_code(path, entry, module):
    assert (is_serving_entry(path), is_serving_module(path)) == (entry, module)


def test_training_commands():
    assert TRAIN_COMMAND.search("python -m src.train --epochs 3") and TRAIN_COMMAND.search("dvc repro")
    assert not TRAIN_COMMAND.search("python manage.py runserver")


def test_run_recorders_are_the_tracker_packages_and_config_savers():
    assert {"mlflow", "wandb", "hydra", "tensorboardX"} <= RUN_RECORDERS and "azure.ai.ml" not in RUN_RECORDERS


# --- one home: each piece of knowledge is defined in auditor/ml/ and nowhere else ---------------

def _sources():
    for folder in (PROJECT / "auditor", PROJECT / "rules"):
        for path in folder.rglob("*.py"):
            if "demo" not in path.relative_to(PROJECT).parts:
                yield path


def test_the_knowledge_tables_are_defined_only_in_auditor_ml():
    # A second "is this a test" function, or a literal table naming these model formats or tracking
    # calls, outside auditor/ml/ is a copy that will drift.
    suspicious = {".safetensors", ".joblib", "joblib.dump", "torch.load", ".log_metric", "mlflow.register_model"}
    copies = []
    for path in _sources():
        if path.parent.name == "ml" and path.parent.parent.name == "auditor":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and re.fullmatch(r"_?is_test_(path|file)", node.name):
                copies.append(f"{path.relative_to(PROJECT)}:{node.lineno} defines {node.name}")
            if isinstance(node, (ast.Set, ast.Tuple, ast.List, ast.Dict)):
                items = node.keys if isinstance(node, ast.Dict) else node.elts
                named = {i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)}
                if len(named & suspicious) >= 2:
                    copies.append(f"{path.relative_to(PROJECT)}:{node.lineno} lists {sorted(named & suspicious)}")
    assert not copies, "ML knowledge defined outside auditor/ml/:\n" + "\n".join(copies)


def test_what_a_model_is_follows_the_documented_order():
    from auditor.ml.models import looks_like_model

    assert looks_like_model("anything/x.onnx", "onnx")  # 1. a model format
    assert not looks_like_model("models/embeddings.npy", "numpy")  # 2. an array
    assert looks_like_model("model/pickle/label_encoder_subba-name.pkl", "pickle")  # 3. a model word
    assert not looks_like_model("model/pickle/bias_detection_results.pkl", "pickle")  # 4. a result word wins a folder
    assert looks_like_model("checkpoints/epoch3.pkl", "pickle") and not looks_like_model("cache/epoch3.pkl", "pickle")
