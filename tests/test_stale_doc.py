"""Stale documentation (issue 24): documents as the Markdown parser reads them, the commands in them
as the shell splits them, what a script's argparse parser accepts, docstrings in three styles, and
the rules ML701-ML705 on small repositories, with each false pattern met on real repositories."""

import pytest

from auditor.analysis.doc_commands import commands_in, make_targets
from auditor.analysis.docstrings import read_docstring
from auditor.demo import build_demo
from auditor.model.docs import describes_code, parse_document
from auditor.testing import make_repo, scan_repo

TRAIN = ("import argparse\n\nparser = argparse.ArgumentParser()\nparser.add_argument('--num-epochs', type=int)\n"
         "parser.add_argument('-b', '--batch-size')\nargs = parser.parse_args()\n")


def findings(tmp_path, files, rules="ML7", **config):
    root = make_repo(tmp_path / "r", files)
    result = scan_repo(root, {"select": [rules], "min-confidence": "low", **config})
    assert not result.errors, result.errors
    return result.findings


def lines(tmp_path, files, rules="ML7"):
    return sorted((f.rule, f.path, f.line) for f in findings(tmp_path, files, rules))


# --- documents --------------------------------------------------------------------------------------


def test_a_document_gives_its_code_blocks_spans_and_links_at_their_lines():
    doc = parse_document("# Train\n\nRun `python train.py` then\nread [the guide](docs/guide.md) and\n"
                         "![plot](img/loss%20curve.png)\n\n```bash\npython train.py\n```\n\n    make test\n")
    assert [(s.line, s.text) for s in doc.spans] == [(3, "python train.py")]
    assert [(link.line, link.target, link.image) for link in doc.links] == [
        (4, "docs/guide.md", False), (5, "img/loss%20curve.png", True)]
    assert [(b.line, b.language, b.text) for b in doc.blocks] == [(8, "bash", "python train.py\n"),
                                                                   (11, "", "make test\n")]


def test_hostile_markdown_never_raises():
    for text in ("[" * 50_000, "`" * 10_000 + "x", "> " * 5000 + "[a](b)", "\x00\ufffd](", "*" * 100_000):
        doc = parse_document(text)
        assert doc.error is None or doc.error.startswith("Markdown not parsed")


def test_history_documents_are_not_read_as_instructions():
    assert describes_code("README.md") and describes_code("docs/usage.md") and describes_code("MODEL_CARD.md")
    assert not describes_code("CHANGELOG.md") and not describes_code("docs/releases/v1.md")
    assert not describes_code("notes.md") and not describes_code("docs/changes.rst") and not describes_code("notes.rst")
    assert describes_code("docs/index.rst") and describes_code("README.rst")  # reStructuredText: auditor/model/rst.py


def _commands(markdown, folders=frozenset(), own="repo"):
    return [(c.text, c.cwd, c.elsewhere) for c in commands_in(parse_document(markdown), "", set(folders), own)]


def test_commands_are_split_as_a_shell_splits_them():
    text = ("```console\n$ CUDA_VISIBLE_DEVICES=0 poetry run python train.py \\\n    --num-epochs 3 && make test\n"
            "training...\n$ python eval.py --ckpt <path>  # a placeholder\n```\n")
    assert _commands(text) == [("python train.py --num-epochs 3", "", False), ("make test", "", False)]


def test_commands_after_cloning_another_repository_or_leaving_this_one_run_elsewhere():
    text = ("# A\n\n```bash\ngit clone https://github.com/acme/repo\ncd repo\npython a.py\ncd src\npython b.py\n"
            "cd /opt/tool\npython c.py\n```\n\n# B\n\n```bash\ngit clone https://github.com/other/tool.git\n"
            "python d.py\n```\n\n# C\n\n`python e.py`\n")
    assert _commands(text, {"src"}) == [("python a.py", "", False), ("python b.py", "src", False),
                                        ("python c.py", "", True), ("python d.py", "", True),
                                        ("python e.py", "", False)]


def test_make_targets_are_unknown_when_a_makefile_includes_or_uses_patterns():
    assert make_targets("X := 1\n.PHONY: train\ntrain: data\n\tpython t.py\ndata lint:\n\techo\n") == {
        ".PHONY", "train", "data", "lint"}
    assert make_targets("include common.mk\ntrain:\n\techo\n") is None
    assert make_targets("%.csv: raw\n\techo\n") is None


# --- ML701 ------------------------------------------------------------------------------------------


def test_a_renamed_option_is_reported_at_the_doc_line_naming_the_parser(tmp_path):
    [finding] = findings(tmp_path, {"README.md": "# T\n\n```bash\npython train.py --epochs 10 -b 32\n```\n",
                                    "train.py": TRAIN})
    assert (finding.rule, finding.path, finding.line, finding.severity) == ("ML701", "README.md", 4, "medium")
    assert "train.py:3" in finding.message and "did you mean `--num-epochs`?" in finding.message
    assert finding.evidence["option"] == "--epochs"


def test_options_argparse_accepts_are_not_reported(tmp_path):
    readme = "```bash\npython train.py --num-epochs=3 -b32 --batch 8 --help -- --anything\n```\n"
    assert findings(tmp_path, {"README.md": readme, "train.py": TRAIN}) == []


def test_scripts_whose_options_cannot_be_read_are_silent(tmp_path):
    readme = "```bash\npython a.py --x 1\npython b.py --x 1\npython c.py --x 1\npython d.py --x 1\n```\n"
    files = {
        "README.md": readme,
        "a.py": "import argparse\nfrom lib import add_model_args\np = argparse.ArgumentParser()\nadd_model_args(p)\n",
        "b.py": "import argparse, base\np = argparse.ArgumentParser(parents=[base.parser])\np.parse_args()\n",
        "c.py": "import argparse\nimport click\np = argparse.ArgumentParser()\np.add_argument('--y')\n",
        "d.py": "import argparse, sys\np = argparse.ArgumentParser()\np.add_argument('--y')\nif sys.argv[1:]:\n    p.parse_args()\n",
    }
    assert findings(tmp_path, files) == []


def test_sub_commands_are_checked(tmp_path):
    cli = ("import argparse\np = argparse.ArgumentParser()\nsub = p.add_subparsers()\nt = sub.add_parser('train')\n"
           "t.add_argument('--lr')\nsub.add_parser('evaluate', aliases=['eval'])\np.parse_args()\n")
    readme = "```bash\npython cli.py train --lr 1\npython cli.py eval\npython cli.py predict\n```\n"
    [finding] = findings(tmp_path, {"README.md": readme, "cli.py": cli})
    assert finding.line == 4 and "no sub-command predict" in finding.message


def test_a_missing_script_is_reported_only_when_its_path_names_a_folder_of_the_repository(tmp_path):
    readme = "```bash\npython scripts/trian.py\npython my_script.py\npython build/gen.py\n```\n"
    found = findings(tmp_path, {"README.md": readme, "scripts/train.py": "print(1)\n"})
    assert [(f.line, f.confidence) for f in found] == [(2, "medium")]
    assert "did you mean `scripts/train.py`?" in found[0].message


def test_modules_of_installed_packages_and_aliased_sub_packages_are_silent(tmp_path):
    readme = ("```bash\npython -m pip install .\npython -m pkg.tools.s3op\npython -m pkg.trainer\n"
              "python -m pkg.train --num-epochs 1\n```\n")
    files = {"README.md": readme, "pkg/__init__.py": "", "pkg/train.py": TRAIN}
    [finding] = findings(tmp_path, files)
    assert finding.line == 4 and "has no module pkg.trainer" in finding.message


def test_make_targets_and_dvc_stages_are_checked_where_the_command_runs(tmp_path):
    readme = "```bash\nmake train\nmake -C ml fit\ncd ml\nmake fti\ndvc repro\ndvc repro evaluate\n```\n"
    files = {"README.md": readme, "Makefile": "train:\n\techo\n", "ml/Makefile": "fit:\n\techo\n",
             "ml/dvc.yaml": "stages:\n  evaluate:\n    cmd: python e.py\n"}
    [finding] = findings(tmp_path, files)
    assert finding.line == 5 and "ml/Makefile has no target fti; did you mean `make fit`?" in finding.message


def test_commands_in_a_changelog_are_history(tmp_path):
    assert findings(tmp_path, {"CHANGELOG.md": "`python train.py --epochs 3`\n", "train.py": TRAIN}) == []


# --- ML702 ------------------------------------------------------------------------------------------


def test_links_to_missing_files_name_where_the_file_went(tmp_path):
    files = {"docs/guide.md": "See [data](../data/README.md), [setup](setup/) and [api](api.html).\n\n"
                              "![arch](img/arch.png)\n",
             "data/README.md": "x", "docs/setup.md": "x", "docs/api.md": "x", "docs/images/arch.png": "png"}
    [finding] = findings(tmp_path, files, "ML702")
    assert finding.line == 3 and "did you mean docs/images/arch.png?" in finding.message


def test_site_paths_placeholders_and_paths_outside_the_repository_are_not_checked(tmp_path):
    readme = "[a](/getting-started/) [b](TODO) [c](../../x.md) [d](mailto:a@b.c) [e](#top) [f]({{ url }})\n"
    assert findings(tmp_path, {"README.md": readme}, "ML702") == []


# --- ML703, ML704, ML705 ----------------------------------------------------------------------------


def test_three_docstring_styles_are_read():
    google = read_docstring("Train.\n\n    Args:\n        data (list): rows\n            more text\n"
                            "        lr: step\n\n    Returns:\n        the model\n")
    assert google.params == {"data": 3, "lr": 5} and google.returns == 7 and google.complete
    numpy = read_docstring("Train.\n\n    Parameters\n    ----------\n    x, y : array\n        data\n"
                           "    lr : float\n\n    Returns\n    -------\n    model\n")
    assert numpy.params == {"x": 4, "y": 4, "lr": 6} and numpy.returns == 8
    sphinx = read_docstring("Train.\n\n:param data: rows\n:param float lr: step\n:returns: the model\n")
    assert sphinx.params == {"data": 2, "lr": 3} and sphinx.returns == 4


def test_a_sub_heading_inside_args_is_not_a_parameter(tmp_path):
    code = ('def f(version=3):\n    """Encode.\n\n    Args:\n        version: the version\n        Versions:\n'
            '        version 3: sizes are added\n    """\n    return version\n')
    assert findings(tmp_path, {"m.py": code}, "ML70") == []


def test_a_class_docstring_is_checked_against_init_only_when_it_describes_it(tmp_path):
    code = ('class Engine:\n    """Wraps a model.\n\n    Args:\n        model: the model\n        lr_scheduler: the '
            'scheduler\n    """\n\n    def __init__(self, model, scheduler):\n        self.model = model\n\n\n'
            'class Conda:\n    """A decorator.\n\n    Parameters\n    ----------\n    packages : dict\n    python : str\n'
            '    """\n\n    def __init__(self, attributes=None):\n        self.attributes = attributes\n')
    assert lines(tmp_path, {"m.py": code}, "ML70") == [("ML703", "m.py", 6)]


def test_docstrings_of_command_line_builders_document_options_not_parameters(tmp_path):
    code = ('import argparse\n\n\ndef parse_opt(known=False):\n    """Options.\n\n    Args:\n        weights: path\n'
            '        imgsz: size\n    """\n    p = argparse.ArgumentParser()\n    p.add_argument("--weights")\n'
            '    return p.parse_args()\n')
    assert findings(tmp_path, {"m.py": code}, "ML70") == []


def test_a_command_line_built_beside_a_function_does_not_excuse_its_docstring(tmp_path):
    """Only ``add_argument`` calls inside the function (decorators to last line) make it a builder."""
    code = ('import argparse\n\n\ndef train(rows):\n    """Train.\n\n    Args:\n        data: the rows\n    """\n'
            '    return rows\n\n\np = argparse.ArgumentParser()\np.add_argument("--data")\n')
    assert [f.rule for f in findings(tmp_path, {"m.py": code}, "ML70")] == ["ML703"]


def test_a_renamed_parameter_is_reported_once_not_also_as_undocumented(tmp_path):
    code = 'def f(a, num_epochs):\n    """F.\n\n    Args:\n        a: x\n        epochs: y\n    """\n    return a\n'
    [finding] = findings(tmp_path, {"m.py": code}, "ML70")
    assert finding.rule == "ML703" and "did you mean `num_epochs`?" in finding.message


def test_vendored_code_keeps_its_own_docstrings(tmp_path):
    code = 'def f(a):\n    """F.\n\n    Args:\n        b: x\n    """\n    return a\n'
    assert findings(tmp_path, {"pkg/_vendor/lib.py": code}, "ML70") == []


def test_returns_of_defaults_stubs_generators_and_side_effects_are_not_reported(tmp_path):
    returns = '    """Do it.\n\n    Returns:\n        {text}\n    """\n'
    code = "\n\n".join([
        "def default():\n" + returns.format(text="the dimension, or None") + "    return None\n",
        "def checked(x):\n" + returns.format(text="the rows") + "    if not x:\n        raise ValueError(x)\n"
        "    raise NotImplementedError\n",
        "def rows():\n" + returns.format(text="the rows") + "    yield 1\n",
        "def show(x):\n" + returns.format(text="display of the anomalies") + "    print(x)\n",
        "def lost(x):\n" + returns.format(text="the fitted model") + "    x.fit()\n",
    ])
    assert [(f.rule, f.line) for f in findings(tmp_path, {"m.py": code}, "ML705")] == [("ML705", 42)]


# --- the demo and readiness -------------------------------------------------------------------------


def test_the_demo_plants_a_stale_command_and_docstring_beside_clean_ones(tmp_path):
    build_demo(tmp_path / "demo")
    result = scan_repo(tmp_path / "demo", {"select": ["ML7"], "min-confidence": "low"})
    assert sorted((f.rule, f.path) for f in result.findings) == [("ML701", "README.md"),
                                                                  ("ML703", "src/churn/utils.py"),
                                                                  ("ML707", "README.md")]
    docs_check = next(c for c in result.readiness["dimensions"]["ownership_testing"]["checks"]
                      if c["id"] == "R-OWN-07")
    assert docs_check["status"] != "pass" or docs_check.get("score", 100) < 100


def test_undocumented_parameters_skip_a_methods_first_parameter_and_sphinx_fields(tmp_path):
    code = ('class Summary:\n    @classmethod\n    def extract(klass, frames, limit=None):\n        """Make one.\n\n'
            '        Args:\n            frames: the frames\n            limit: how many\n        """\n'
            '        return klass()\n\n\ndef f(a, b):\n    """F.\n\n    :param a: the first\n    """\n    return a + b\n')
    assert findings(tmp_path, {"m.py": code}, "ML704") == []


def test_a_cd_in_a_documents_own_folder_is_followed_from_there(tmp_path):
    readme = "```bash\ncd src\npython train.py --epochs 3\n```\n"
    [finding] = findings(tmp_path, {"lab/README.md": readme, "lab/src/train.py": TRAIN})
    assert finding.path == "lab/README.md" and "lab/src/train.py has no option --epochs" in finding.message


# --- ML706 ------------------------------------------------------------------------------------------


def test_a_model_card_is_compared_with_the_metrics_a_dvc_stage_writes(tmp_path):
    card = ("# Model card\n\n| Split | Accuracy | ROC AUC |\n|---|---|---|\n| test | **0.93** | 0.97 |\n\n"
            "Precision on the holdout is [in the report](report.md).\n")
    dvc = "stages:\n  evaluate:\n    cmd: python evaluate.py\n    metrics:\n    - eval/summary.json:\n        cache: false\n"
    files = {"docs/model_card.md": card, "dvc.yaml": dvc, "eval/summary.json": '{"acc": 0.874, "roc_auc": 0.968}',
             "report.md": "x"}
    [finding] = findings(tmp_path, files, "ML706")
    assert (finding.path, finding.line) == ("docs/model_card.md", 5)
    assert finding.message == ("the model card reports accuracy 0.93, but eval/summary.json (the metrics the pipeline "
                               "writes) has acc = 0.874")


def test_a_card_without_a_metrics_file_or_metrics_in_common_is_not_judged(tmp_path):
    card = "| Metric | Value |\n|---|---|\n| accuracy | 0.93 |\n"
    assert findings(tmp_path / "a", {"MODEL_CARD.md": card}, "ML706") == []
    assert findings(tmp_path / "b", {"MODEL_CARD.md": card, "metrics.json": '{"rmse": 3.1}'}, "ML706") == []
    assert findings(tmp_path / "c", {"README.md": card, "metrics.json": '{"accuracy": 0.5}'}, "ML706") == []


# --- Hydra ------------------------------------------------------------------------------------------

HYDRA_TRAIN = ("import hydra\n\n\n@hydra.main(config_path='../conf', config_name='config', version_base=None)\n"
               "def main(cfg):\n    print(cfg)\n")
HYDRA_CONF = {"conf/config.yaml": "defaults:\n  - model: resnet\n  - _self_\ntraining:\n  lr: 0.1\ndata: ???\n",
              "conf/model/resnet.yaml": "depth: 50\n", "conf/model/vit.yaml": "patch: 16\n"}


def test_a_moved_hydra_key_and_a_missing_group_option_are_reported(tmp_path):
    readme = ("```bash\npython src/train.py optimizer.lr=0.01\npython src/train.py model=vit model.patch=8\n"
              "python src/train.py model=vitt\npython src/train.py data.path=x +extra=1 ~training.lr hydra.run.dir=o\n```\n")
    found = findings(tmp_path, {"README.md": readme, "src/train.py": HYDRA_TRAIN, **HYDRA_CONF})
    assert [(f.line, f.evidence.get("suggestion")) for f in found] == [(2, "training.lr"), (4, "vit")]
    assert "conf/config.yaml and its defaults) has no key optimizer.lr" in found[0].message


def test_hydra_compositions_mlaudit_cannot_read_are_silent(tmp_path):
    readme = "```bash\npython src/train.py optimizer.lr=0.01\n```\n"
    packaged = {**HYDRA_CONF, "conf/model/resnet.yaml": "# @package _global_\ndepth: 50\n"}
    assert findings(tmp_path / "a", {"README.md": readme, "src/train.py": HYDRA_TRAIN, **packaged}) == []
    stored = HYDRA_TRAIN + "from hydra.core.config_store import ConfigStore\nConfigStore.instance()\n"
    assert findings(tmp_path / "b", {"README.md": readme, "src/train.py": stored, **HYDRA_CONF}) == []


def test_a_link_into_a_folder_the_scan_cannot_list_is_not_reported(tmp_path):
    import os

    root = make_repo(tmp_path / "r", {"README.md": "[vendored docs](third_party/lib/README.md)\n",
                                      "elsewhere/lib/README.md": "x"})
    os.symlink(root / "elsewhere" / "lib", root / "third_party", target_is_directory=True)
    result = scan_repo(root, {"select": ["ML702"], "min-confidence": "low"})
    assert result.findings == [] and any(path == "third_party" for path, _ in result.skipped)


# --- click ------------------------------------------------------------------------------------------

CLICK_CLI = ("import click\n\n\n@click.group()\ndef cli():\n    pass\n\n\n@cli.command()\n"
             "@click.option('--num-epochs', '-n', type=int)\n@click.option('--shuffle/--no-shuffle')\n"
             "@click.argument('data')\ndef train_model(num_epochs, shuffle, data):\n    pass\n\n\n"
             "@cli.command('eval')\n@click.pass_context\ndef evaluate(ctx):\n    pass\n\n\ncli()\n")


def test_click_options_and_commands_are_read_from_the_decorators(tmp_path):
    readme = ("```bash\npython cli.py train-model data.csv --num-epochs 3 --no-shuffle -n 2\npython cli.py eval\n"
              "python cli.py train-model data.csv --num-epoch 3\npython cli.py evaluate\n```\n")
    found = findings(tmp_path, {"README.md": readme, "cli.py": CLICK_CLI})
    assert [(f.line, f.evidence.get("suggestion")) for f in found] == [(4, "--num-epochs"), (5, "eval")]


def test_click_commands_with_options_from_elsewhere_are_silent(tmp_path):
    shared = CLICK_CLI.replace("@click.argument('data')\n", "@click.argument('data')\n@common_options\n")
    shared = shared.replace("import click\n", "import click\nfrom .options import common_options\n")
    readme = "```bash\npython cli.py train-model data.csv --lr 3\n```\n"
    assert findings(tmp_path, {"README.md": readme, "cli.py": shared}) == []


# --- Hugging Face model cards (front matter) ---------------------------------------------------------


def test_front_matter_is_read_with_its_lines_and_a_thematic_break_is_not_front_matter():
    from auditor.model.project import read_front_matter

    front = read_front_matter("---\nlicense: mit\nmodel-index:\n- name: m\n---\n# Title\n")
    assert front.data == {"license": "mit", "model-index": [{"name": "m"}]} and front.error is None
    assert front.lines[("model-index",)] == 3 and front.lines[("model-index", 0, "name")] == 4
    assert read_front_matter("---\n\nno closing line, so a rule across the page\n") is None
    assert read_front_matter("# Title\n---\na: 1\n---\n") is None
    nested = "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    bomb = read_front_matter("---\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + nested + "---\n")
    assert bomb.data is None and "aliases expand to more than" in bomb.error  # refused, not expanded


def test_malformed_or_oversized_front_matter_is_a_degraded_file_never_a_crash(tmp_path):
    from auditor.model.project import MAX_FRONT_MATTER_CHARS

    root = make_repo(tmp_path / "r", {
        "README.md": "---\nmodel-index: [{results: [{metrics: [{type: accuracy\n---\n# m\n",
        "docs/card.md": "---\n" + "# padding\n" * (MAX_FRONT_MATTER_CHARS // 10 + 1) + "---\n",
        "docs/ok.md": "---\ntitle: fine\n---\n", "metrics.json": '{"accuracy": 0.9}'})
    result = scan_repo(root, {"select": ["ML7"], "min-confidence": "low"})
    assert not result.errors and not result.findings
    degraded = dict(result.degraded)
    assert degraded["README.md"].startswith("front matter not read: line 3")
    assert "longer than" in degraded["docs/card.md"] and "docs/ok.md" not in degraded


def test_a_hugging_face_card_is_compared_metric_by_metric_at_the_value_line(tmp_path):
    card = ("---\nmodel-index:\n- name: m\n  results:\n  - dataset: {name: held-out}\n    metrics:\n"
            "    - type: accuracy\n      value: 0.95\n    - name: F1\n      type: custom\n      value: '0.70'\n---\n")
    found = findings(tmp_path, {"README.md": card, "metrics.json": '{"accuracy": 0.91, "f1": 0.7}'}, "ML706")
    assert [(f.path, f.line, f.evidence["metric"]) for f in found] == [("README.md", 8, "accuracy")]


def test_a_card_older_than_its_dvc_tracked_model_is_dated_by_the_dvc_file(tmp_path):
    card = "# Encoder card\n\nWeights: [encoder.pt](models/encoder.pt)\n"
    pointer = "outs:\n- md5: 1f2e\n  size: 900\n  path: encoder.pt\n"
    root = make_repo(tmp_path / "r", {"model_card.md": card, "models/encoder.pt.dvc": pointer},
                     ages={"model_card.md": 120, "models/encoder.pt.dvc": 3})
    found = scan_repo(root, {"select": ["ML709"], "min-confidence": "low"}).findings
    assert [(f.path, f.line, f.evidence["model"], f.evidence["days"]) for f in found] == [
        ("model_card.md", 3, "models/encoder.pt", 117)]
    relaxed = scan_repo(root, {"select": ["ML709"], "min-confidence": "low", "rules": {"ML709": {"margin-days": 200}}})
    assert not relaxed.findings


# --- versions kept in comments (ML710) ---------------------------------------------------------------


def test_a_comment_states_a_model_data_or_schema_version_and_never_a_software_one():
    from auditor.ml.stated_versions import code_versions, same_version, stated_version

    assert stated_version("# uses model v3") == ("model", "v3")
    assert stated_version("# trained on the 2024-03 snapshot") == ("data", "2024-03")
    assert stated_version("# Schema version 2") == ("schema", "v2")
    for text in ("# TF v2 API", "# Python 3.10 model code", "# v2 of the endpoint", "# yolov5 model", "# model v3 or v4",
                 "# the v1 model was retired", "# see issue 1234 about the model", "# model 3"):
        assert stated_version(text) is None, text
    assert code_versions('MODEL = "models/churn_v4.pkl"', "model") == {"v4"}
    assert code_versions('URL = "https://api/v2/predict"', "model") == set()  # not about a model
    assert (same_version("v1", "v10"), same_version("v3", "v3.1"), same_version("2024-03", "2024-03-15")) == (False, True, True)
    assert same_version("v3", "2024-03") is None


def test_a_config_comment_is_judged_against_the_other_configs_not_against_itself(tmp_path):
    files = {"params.yaml": "train:\n  model: models/churn.pkl  # serves the v3 model\n  epochs: 3\n"}
    assert lines(tmp_path / "a", files, "ML710") == [("ML710", "params.yaml", 2)]
    files["registry.toml"] = '[model]\nname = "churn"\nversion = "3"\n'
    assert lines(tmp_path / "b", files, "ML710") == []


# --- reStructuredText (docutils) ---------------------------------------------------------------------


def test_restructuredtext_gives_blocks_literals_links_and_rows_at_their_lines():
    from auditor.model.rst import parse_rst

    doc = parse_rst("Train\n=====\n\nRun ``python train.py`` then read\n`the guide <docs/guide.rst>`_ and\n"
                    ":class:`Model` and ``make test``.\n\n.. image:: img/loss.png\n\n.. code-block:: bash\n\n"
                    "   python train.py --lr 0.1\n   make test\n\n::\n\n    pip install .\n\n"
                    "=====  =====\nName   Acc\n=====  =====\nchurn  0.91\n=====  =====\n")
    assert doc.error is None
    assert [(s.line, s.text) for s in doc.spans] == [(4, "python train.py"), (6, "make test")]
    assert [(link.line, link.target, link.image) for link in doc.links] == [(5, "docs/guide.rst", False),
                                                                            (8, "img/loss.png", True)]
    assert [(b.line, b.language, b.text) for b in doc.blocks] == [
        (12, "bash", "python train.py --lr 0.1\nmake test\n"), (17, "", "pip install .\n")]
    assert [(r.line, r.cells) for r in doc.rows] == [(20, ("Name", "Acc")), (22, ("churn", "0.91"))]
    noted = parse_rst("Intro.\n\n.. note::\n\n   Train first:\n\n   .. code-block:: bash\n\n      python train.py\n")
    assert [(b.line, b.text) for b in noted.blocks] == [(9, "python train.py\n")]  # docutils gives it no line


def test_restructuredtext_never_inserts_files_never_runs_raw_and_never_raises(tmp_path):
    from auditor.model.rst import parse_rst

    secret = tmp_path / "secret.txt"
    secret.write_text("``python leaked.py``\n")
    doc = parse_rst(f".. include:: {secret}\n\n.. raw:: html\n   :file: {secret}\n\n"
                    f".. csv-table::\n   :file: {secret}\n\n.. autoclass:: pkg.Model\n\n   ``python hidden.py``\n")
    assert doc.error is None and not doc.spans and not doc.blocks
    for text in ("`" * 10_000, ".. " * 5000, "=" * 50_000 + "\nx", "\x00\ufffd`_", "* " * 20_000, ":" * 30_000):
        parse_rst(text)  # returns, whatever the input


def test_commands_and_links_in_restructuredtext_are_checked_like_markdown(tmp_path):
    readme = "Churn\n=====\n\nTrain with::\n\n    python train.py --epochs 3\n\nSee `the FAQ <docs/faq.html>`_.\n"
    index = "Guide\n=====\n\n.. image:: img/arch.png\n\nThe `CLI <cli.html#train>`__ page.\n"
    found = lines(tmp_path, {"README.rst": readme, "docs/faq.rst": "FAQ\n===\n", "docs/index.rst": index,
                             "docs/cli.rst": "CLI\n===\n", "train.py": TRAIN}, "ML70")
    assert found == [("ML701", "README.rst", 6), ("ML702", "docs/index.rst", 4)]


def test_headings_are_kept_and_links_know_their_section():
    doc = parse_document("# Card\n\nSee [a](data/a.csv).\n\n## Training *data*\n\nUses [b](data/b.csv).\n\nNotes\n-----\n")
    assert [(h.line, h.level, h.text, h.section) for h in doc.headings] == [
        (1, 1, "Card", 1), (5, 2, "Training *data*", 2), (9, 2, "Notes", 3)]
    assert [(link.target, link.section) for link in doc.links] == [("data/a.csv", 1), ("data/b.csv", 2)]


def test_symbols_facts_keep_the_strings_that_may_name_data():
    from auditor.analysis.pymodule import ParsedModule, parse_python
    from auditor.analysis.symbols import SymbolFacts

    text = ("import pandas as pd\nYEAR = 2023\npd.read_csv(f'data/train_{YEAR}.csv')\nload('acme/reviews')\n"
            "name = 'train.csv'\nprint('done in', 3)\n")
    facts = SymbolFacts().extract(ParsedModule("t.py", "t", text, parse_python(text)))
    assert facts["data_strings"] == ["acme/reviews", "data/train_", "data/train_{}.csv"]  # an f-string and its parts
    assert "train.csv" in facts["strings"]


CARD_DATA = "# Churn model card\n\n## Training data\n\nTrained on {named}.\n"


@pytest.mark.parametrize("named,files,expected", [
    ("[the table](data/raw/train.parquet)", {"data/raw/train.parquet": b"PAR1", "train.py": "p = 'data/raw/other.parquet'\n"},
     [("MODEL_CARD.md", 5)]),
    ("[the table](data/raw/train.parquet)", {"train.py": "p = 'data/raw/other.parquet'\n"}, []),  # ML702's: a broken link
    ("`data/train.csv`", {"train.py": "import glob\nfiles = glob.glob('data/*.csv')\n"}, []),
    ("`data/train.csv`", {"train.py": "import os\npath = os.path.join('data', 'train.csv')\n"}, []),
    ("`data/train_2023.csv`", {"train.py": "path = 'data/train_%d.csv' % 2023\n"}, []),
    ("`data/train.csv`", {"train.py": "import sys\n", "Makefile": "train:\n\tpython train.py data/train.csv\n"}, []),
    ("`data/train.csv`", {"train.py": "import sys\n", "data/train.csv.dvc": "outs:\n- path: train.csv\n"},
     [("MODEL_CARD.md", 5)]),  # tracked is not read
    ("`data/corpus.txt`", {"train.py": "import sys\n"}, [("MODEL_CARD.md", 5)]),
    ("`notes.txt` and `models/churn.pkl`", {"train.py": "import sys\n"}, []),  # not data files
])
def test_training_data_a_card_names_is_looked_for_in_the_pipeline(tmp_path, named, files, expected):
    found = findings(tmp_path, {"MODEL_CARD.md": CARD_DATA.format(named=named), **files}, rules="ML711")
    assert [(f.path, f.line) for f in found] == expected


def test_a_hugging_face_card_without_model_keys_is_not_read_for_datasets(tmp_path):
    files = {"README.md": "---\ndatasets: [imdb]\n---\n# Reviews\n", "train.py": "import sys\n"}
    assert findings(tmp_path, files, rules="ML711") == []
    files["README.md"] = "---\nlibrary_name: transformers\ndatasets: [imdb]\n---\n# Reviews\n"
    assert [(f.line, f.evidence["data"]) for f in findings(tmp_path / "2", files, rules="ML711")] == [(3, "imdb")]


def test_a_link_from_a_card_in_a_folder_is_followed_from_there(tmp_path):
    files = {"models/churn/MODEL_CARD.md": CARD_DATA.format(named="[the table](../../data/train.parquet)"),
             "data/train.parquet": b"PAR1", "train.py": "import sys\n"}
    assert [(f.path, f.evidence["data"]) for f in findings(tmp_path, files, rules="ML711")] == [
        ("models/churn/MODEL_CARD.md", "data/train.parquet")]
    files["train.py"] = "import pandas as pd\n\nframe = pd.read_parquet('data/train.parquet')\n"
    assert findings(tmp_path / "2", files, rules="ML711") == []
