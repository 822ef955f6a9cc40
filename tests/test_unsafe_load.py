"""Unsafe loading: severity follows where the loaded thing comes from, names resolve through aliases."""

import pytest

from auditor.testing import make_repo, scan_repo

ORIGINS = [
    ("m = joblib.load('models/m.joblib')", "constant", "low"),
    ("m = joblib.load('/mnt/shared/m.joblib')", "external-path", "medium"),
    ("def f(path):\n    return joblib.load(path)", "parameter", "medium"),
    # set by whoever runs the job (a dvc.yaml stage's fixed paths, a deployment's MODEL_PATH): medium
    ("m = joblib.load(sys.argv[1])", "command-line", "medium"),
    ("p = argparse.ArgumentParser()\nargs = p.parse_args()\nm = joblib.load(args.model)", "command-line", "medium"),
    ("m = joblib.load(os.environ['MODEL_PATH'])", "environment", "medium"),
    ("path = os.getenv('MODEL', 'm.pkl')\nwith open(path, 'rb') as f:\n    m = pickle.load(f)", "environment", "medium"),
    # what an outsider controls: high
    ("m = pickle.loads(requests.get('https://x/m.pkl').content)", "remote", "high"),
    ("m = joblib.load(config['model']['path'])", "config", "medium"),
    ("m = joblib.load(f'models/{name}.joblib')", "unknown", "medium"),
    ("DIR = 'models'\nm = joblib.load(os.path.join(DIR, 'm.joblib'))", "constant", "low"),
]


@pytest.mark.parametrize("code,source,severity", ORIGINS)
def test_severity_follows_the_origin_of_the_path(tmp_path, code, source, severity):
    header = "import argparse, os, pickle, sys\nimport joblib\nimport requests\n"
    root = make_repo(tmp_path / "repo", {"serve.py": header + code + "\n"})
    findings = scan_repo(root, {"select": ["ML451"]}).findings
    assert len(findings) == 1
    assert (findings[0].evidence["source"], findings[0].severity) == (source, severity)


def test_aliases_resolve_and_lookalikes_do_not(tmp_path):
    code = ("import joblib as jl\nimport torch as th\nimport yaml as y\nfrom torch import load as tload\n"
            "a = jl.load('a.joblib')\nb = th.load('b.pt')\nc = y.load(open('c.yaml'), Loader=y.FullLoader)\n"
            "d = tload('d.pt')\n"
            "class Store:\n    def load(self, p):\n        return p\nstore = Store()\ne = store.load('e.pkl')\n")
    root = make_repo(tmp_path / "repo", {"a.py": code})
    found = {(f.rule, f.line) for f in scan_repo(root, {"select": ["unsafe-load"]}).findings}
    assert found == {("ML451", 5), ("ML452", 6), ("ML453", 7), ("ML452", 8)}


def test_torch_load_confidence_depends_on_whether_weights_only_is_explicit(tmp_path):
    code = "import torch\na = torch.load('a.pt')\nb = torch.load('b.pt', weights_only=False)\n"
    root = make_repo(tmp_path / "repo", {"a.py": code})
    by_line = {f.line: f for f in scan_repo(root, {"select": ["ML452"]}).findings}
    assert by_line[2].confidence == "medium" and by_line[3].confidence == "high"


def test_yaml_from_a_constant_path_is_still_medium(tmp_path):
    root = make_repo(tmp_path / "repo", {"a.py": "import yaml\ns = yaml.load(open('c.yaml'), Loader=yaml.Loader)\n"})
    finding = scan_repo(root, {"select": ["ML453"]}).findings[0]
    assert finding.severity == "medium" and finding.evidence["source"] == "constant"


def test_trust_remote_code_severity(tmp_path):
    code = ("import sys\nfrom transformers import AutoModel\n"
            "a = AutoModel.from_pretrained('./vendored', trust_remote_code=True)\n"
            "b = AutoModel.from_pretrained('org/m', trust_remote_code=True)\n"
            "c = AutoModel.from_pretrained(sys.argv[1], trust_remote_code=True)\n"
            "d = AutoModel.from_pretrained(sys.argv[1], revision='0123456789abcdef0123456789abcdef01234567',"
            " trust_remote_code=True)\n")
    root = make_repo(tmp_path / "repo", {"a.py": code})
    severities = {f.line: f.severity for f in scan_repo(root, {"select": ["ML455"]}).findings}
    assert severities == {3: "low", 4: "medium", 5: "high", 6: "low"}


def test_a_path_a_dvc_stage_fixes_is_the_pipelines_own_file(tmp_path):
    load = "import pickle\nimport sys\n\nwith open(sys.argv[1], 'rb') as f:\n    features = pickle.load(f)\n"
    root = make_repo(tmp_path / "repo", {
        "dvc.yaml": ("stages:\n  train:\n    cmd: python src/train.py data/features model.pkl\n"
                     "  score:\n    cmd: python src/score.py $INPUT\n"),
        "src/train.py": load, "src/score.py": load, "tools/inspect.py": load,
    })
    found = {f.path: (f.severity, f.evidence.get("dvc_stage")) for f in scan_repo(root, {"select": ["ML451"]}).findings}
    assert found == {"src/train.py": ("low", "train"),  # fixed by the stage
                     "src/score.py": ("medium", None),  # a shell variable fills it
                     "tools/inspect.py": ("medium", None)}  # run by hand
