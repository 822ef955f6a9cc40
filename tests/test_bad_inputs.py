"""Bad input never crashes a scan, and nothing is dropped silently: each case says what happened."""

import codecs
import json
import os
import subprocess

import pytest

from auditor.ci.gate import exit_code as gate_exit_code
from auditor.testing import make_repo
from auditor.testing import scan_repo as scan_all

# These tests are about the engine, so they use the rules whose behaviour they know.
BASE_RULES = ["ML001", "ML002", "ML401"]


def scan_repo(root, config=None, **kwargs):
    return scan_all(root, {"select": BASE_RULES, **(config or {})}, **kwargs)


def skipped(result):
    return dict(result.skipped)


def degraded(result):
    return dict(result.degraded)


def test_syntax_error_is_a_parse_error_finding_with_position(tmp_path):
    root = make_repo(tmp_path / "r", {"broken.py": "x = 1\ndef f(:\n    pass\n", "ok.py": "# TODO\n"})
    result = scan_repo(root)
    parse = [f for f in result.findings if f.category == "parse-error"]
    assert [(f.path, f.line) for f in parse] == [("broken.py", 2)]
    assert "ok.py" in {f.path for f in result.findings}  # the scan went on
    assert gate_exit_code(result) == 0


def test_broken_notebook_json_is_skipped_with_reason(tmp_path):
    root = make_repo(tmp_path / "r", {"nb.ipynb": "{not json", "good.ipynb": json.dumps(
        {"cells": [{"cell_type": "code", "source": "x = (\n"}, {"cell_type": "code", "source": "y = 2 # TODO\n"}]})})
    result = scan_repo(root)
    assert "not a readable notebook" in skipped(result)["nb.ipynb"]
    # a broken cell is a parse error at its cell; the other cells are still analysed
    locations = {(f.rule, f.cell, f.line) for f in result.findings if f.path == "good.ipynb"}
    assert ("ML001", 1, 1) in locations
    assert ("ML401", 2, 1) in locations
    assert "1 cell(s) could not be parsed" in degraded(result)["good.ipynb"]


def test_notebook_magics_and_shell_escapes_are_neutralised(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": ["%matplotlib inline\n", "!pip install x\n",
                                                      "files = !ls\n", "df?\n", "x = 1  # FIXME\n"]},
                    {"cell_type": "code", "source": ["%%bash\n", "echo $HOME  # TODO\n"]},
                    {"cell_type": "code", "source": ["%%time\n", "y = 2  # XXX\n"]}], "nbformat": 4}
    root = make_repo(tmp_path / "r", {"nb.ipynb": json.dumps(nb)})
    result = scan_repo(root)
    assert not [f for f in result.findings if f.category == "parse-error"]
    # the bash cell is not Python, so its debt marker is not a Python comment
    assert {(f.cell, f.line) for f in result.findings} == {(1, 5), (3, 2)}


def test_automagic_shell_commands_in_a_notebook_are_not_syntax_errors(tmp_path):
    # IPython runs `ls ./data/`, `cd /content` and `pip install x` without a %; `ls = [...]` and
    # `cd / 2` are still Python
    nb = {"cells": [{"cell_type": "code", "source": ["ls ./data/\n", "cd /content\n", "pip install pandas\n",
                                                      "rm -rf out\n"]},
                    {"cell_type": "code", "source": ["ls = [1, 2]\n", "cd = ls[0] / 2\n"]},
                    {"cell_type": "code", "source": ["ls )\n"]}], "nbformat": 4}
    root = make_repo(tmp_path / "r", {"nb.ipynb": json.dumps(nb)})
    result = scan_repo(root, {"select": ["ML001"]})
    assert [(f.cell, f.line) for f in result.findings] == [(3, 1)]


def test_latin1_with_coding_cookie_and_invalid_utf8(tmp_path):
    root = make_repo(tmp_path / "r", {
        "cookie.py": "# -*- coding: latin-1 -*-\nname = 'café'  # TODO: unicode\n".encode("latin-1"),
        "invalid.py": b"x = '\xff\xfe caf\xe9'  # FIXME: bytes\n",
    })
    result = scan_repo(root)
    assert "coding declaration" in degraded(result)["cookie.py"]
    assert "replaced" in degraded(result)["invalid.py"]
    assert {f.path for f in result.findings} == {"cookie.py", "invalid.py"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_python_is_decoded(tmp_path, encoding):
    data = "import os\n# TODO: handle utf-16\n".encode(encoding)
    if encoding == "utf-16":
        assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    root = make_repo(tmp_path / "r", {"wide.py": data})
    result = scan_repo(root)
    assert "UTF-16" in degraded(result)["wide.py"]
    assert [(f.path, f.line) for f in result.findings] == [("wide.py", 2)]


def test_utf8_bom_is_noted_and_stripped(tmp_path):
    root = make_repo(tmp_path / "r", {"bom.py": codecs.BOM_UTF8 + b"x = 1  # HACK\n"})
    result = scan_repo(root)
    assert "byte-order mark" in degraded(result)["bom.py"]
    assert [(f.line, f.rule) for f in result.findings] == [(1, "ML401")]


def test_binary_file_with_py_name_is_skipped(tmp_path):
    root = make_repo(tmp_path / "r", {"model.py": b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00}\x94."})
    result = scan_repo(root)
    assert "binary" in skipped(result)["model.py"]
    assert result.findings == []


def test_huge_file_is_skipped_with_size(tmp_path):
    root = make_repo(tmp_path / "r", {"big.py": "x = 1\n" * 50_000, "small.py": "# TODO\n"})
    result = scan_repo(root, {"max-file-size": 100_000})
    assert "larger than max-file-size" in skipped(result)["big.py"]
    assert [f.path for f in result.findings] == ["small.py"]


def test_symlink_loop_and_symlink_outside_root(tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text("# TODO: secret\n")
    root = make_repo(tmp_path / "r", {"pkg/a.py": "x = 1\n"})
    os.symlink(root / "pkg", root / "pkg" / "loop")
    os.symlink(outside, root / "escape.py")
    os.symlink(root / "self_a", root / "self_b")
    os.symlink(root / "self_b", root / "self_a")
    result = scan_repo(root)
    reasons = skipped(result)
    assert "outside the scanned root" in reasons["escape.py"]
    assert "not followed" in reasons["pkg/loop"]
    assert "looping" in reasons["self_a"] and "looping" in reasons["self_b"]
    assert result.findings == []  # the TODO outside the root was never read


def test_empty_directory(tmp_path):
    (tmp_path / "empty").mkdir()
    result = scan_repo(tmp_path / "empty")
    assert (result.files, result.findings, gate_exit_code(result)) == (0, [], 0)
    assert not result.git.available


def test_non_git_directory_honours_gitignore(tmp_path):
    root = make_repo(tmp_path / "r", {".gitignore": "generated/\n*.tmp.py\n", "generated/x.py": "# TODO\n",
                                      "a.tmp.py": "# TODO\n", "keep.py": "# TODO\n",
                                      ".venv/lib/x.py": "# TODO\n", "node_modules/y.py": "# TODO\n"})
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    result = scan_repo(root)
    assert [f.path for f in result.findings] == ["keep.py"]
    assert "not a git repository" in result.git.reason


def test_git_repository_uses_git_file_list(tmp_path):
    root = make_repo(tmp_path / "r", {".gitignore": "out/\n", "a.py": "# TODO\n"}, ages={"a.py": 3})
    (root / "out").mkdir()
    (root / "out" / "b.py").write_text("# TODO\n")
    (root / "untracked.py").write_text("# FIXME: new\n")
    result = scan_repo(root)
    assert sorted(f.path for f in result.findings) == ["a.py", "untracked.py"]
    assert result.git.available and result.git.head


def test_shallow_clone_is_flagged_partial(tmp_path):
    source = make_repo(tmp_path / "src", {"a.py": "x = 1\n", "b.py": "# TODO\n"}, ages={"a.py": 100, "b.py": 2})
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{source}", str(clone)], check=True)
    result = scan_repo(clone)
    assert result.git.shallow and result.git.partial
    assert "shallow" in result.git.reason


def test_unreadable_file_is_skipped(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    root = make_repo(tmp_path / "r", {"secret.py": "x = 1\n"})
    (root / "secret.py").chmod(0)
    assert "unreadable" in skipped(scan_repo(root))["secret.py"]


def test_broken_yaml_is_a_parse_error_and_templated_yaml_is_not(tmp_path):
    root = make_repo(tmp_path / "r", {"params.yaml": "a: [1\n", "chart/t.yaml": "x: {{ .Values.x }}\n",
                                      "ok.json": "{}", "bad.json": "{\"a\": }"})
    result = scan_repo(root)
    assert sorted(f.path for f in result.findings) == ["bad.json", "params.yaml"]


def test_scanning_a_single_file(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "# TODO\n", "b.py": "# TODO\n"})
    result = scan_repo(root / "a.py")
    assert [f.path for f in result.findings] == ["a.py"]


def test_a_rule_that_raises_is_an_internal_error_and_the_scan_goes_on(tmp_path, monkeypatch):
    from auditor import registry

    rule = registry.all_rules()["ML401"]

    def explode(self, module):
        if module.path == "bad.py":
            raise RuntimeError("boom")
        return iter(())

    monkeypatch.setattr(rule, "check", explode)
    root = make_repo(tmp_path / "r", {"bad.py": "x = 1\n", "broken.py": "def (\n"})
    result = scan_repo(root, {"jobs": 1})
    assert [(e["rule"], e["path"]) for e in result.errors] == [("ML401", "bad.py")]
    assert "boom" in result.errors[0]["error"]
    assert [f.path for f in result.findings] == ["broken.py"]
    assert gate_exit_code(result) == 3


def test_notebook_outputs_do_not_count_against_the_size_limit(tmp_path):
    outputs = [{"output_type": "display_data", "data": {"image/png": "A" * 300_000}}]
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1  # TODO: tidy\n"], "outputs": outputs}], "nbformat": 4}
    big_code = {"cells": [{"cell_type": "code", "source": ["y = 2\n" * 30_000], "outputs": []}], "nbformat": 4}
    root = make_repo(tmp_path / "r", {"plots.ipynb": json.dumps(nb), "generated.ipynb": json.dumps(big_code)})
    result = scan_repo(root, {"max-file-size": 100_000})
    assert [(f.path, f.cell, f.line) for f in result.findings] == [("plots.ipynb", 1, 1)]
    assert "code cells larger than max-file-size" in skipped(result)["generated.ipynb"]


def test_magics_inside_blocks_and_continued_shell_escapes_parse(tmp_path):
    # seen in ageron/handson-ml3: `%pip install` as the only statement of an `if`, and a `!` command
    # continued over two lines with a backslash
    cells = [{"cell_type": "code", "source": ["if IS_COLAB:\n", "    %pip install -q urlextract\n"]},
             {"cell_type": "code", "source": ["!saved_model_cli show --dir d \\\n", "      --signature_def s\n"]},
             {"cell_type": "code", "source": ["x = (\n"]}]
    root = make_repo(tmp_path / "r", {"nb.ipynb": json.dumps({"cells": cells, "nbformat": 4})})
    parse_errors = [(f.cell, f.message) for f in scan_repo(root).findings if f.rule == "ML001"]
    assert len(parse_errors) == 1 and parse_errors[0][0] == 3
    assert "the cell is left out" in parse_errors[0][1]


def test_project_rule_findings_in_notebooks_point_to_cell_and_line(tmp_path):
    # ML303 is a project rule: its finding must be mapped from the joined code to the cell
    from auditor.testing import scan_repo as scan_any

    cells = [{"cell_type": "markdown", "source": ["# Serving\n"]},
             {"cell_type": "code", "source": ["import joblib\n", "x = 1\n"]},
             {"cell_type": "code", "source": ["\n", "model = joblib.load('models/gone.joblib')\n"]}]
    root = make_repo(tmp_path / "r", {"serve.ipynb": json.dumps({"cells": cells, "nbformat": 4})})
    found = [(f.rule, f.cell, f.line) for f in scan_any(root, {"select": ["ML303"]}).findings]
    assert found == [("ML303", 3, 2)]


def test_a_workflow_whose_on_key_yaml_reads_as_true_does_not_break_the_skew_rule(tmp_path):
    """YAML 1.1 reads a GitHub workflow's ``on:`` key as the boolean True; the training-serving
    skew rule reads config keys for label names and must take a key that is not a string."""
    from auditor.testing import make_repo, scan_repo

    root = make_repo(tmp_path / "repo", {
        ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
        "config.yaml": "target: churned\n",
        "train.py": ("FEATURES = ['ratio', 'tenure']\n\n\ndef build(df):\n    df['ratio'] = df['a'] / df['b']\n"
                     "    df['tenure'] = df['end'] - df['start']\n    return df[FEATURES]\n\n\n"
                     "if __name__ == '__main__':\n    build(None)\n"),
        "serve.py": ("from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.post('/predict')\ndef predict(row: dict):\n"
                     "    row['ratio'] = row['a'] / row['b']\n    return row\n"),
    })
    result = scan_repo(root, {"select": ["ML154"]})
    assert not result.errors, result.errors
    assert [f.rule for f in result.findings] == ["ML154"]


def test_templates_are_skipped_with_the_reason_not_reported_as_broken(tmp_path):
    from auditor.testing import make_repo, scan_repo

    root = make_repo(tmp_path / "repo", {
        "{{cookiecutter.project_slug}}/src/train.py": "import {{ cookiecutter.package }}\n",
        "templates/dag.py": "from airflow import DAG\n{% for task in tasks %}\n{{ task.name }} = 1\n{% endfor %}\n",
        "real/broken.py": "def f(:\n    pass\n",
    })
    result = scan_repo(root, {"select": ["ML001"]})
    assert [f.path for f in result.findings] == ["real/broken.py"]
    skipped = dict(result.skipped)
    assert skipped["templates/dag.py"].startswith("template") and \
        skipped["{{cookiecutter.project_slug}}/src/train.py"].startswith("template")


def test_syntax_of_a_newer_python_is_info_and_says_so(tmp_path):
    import sys

    from auditor.testing import make_repo, scan_repo

    root = make_repo(tmp_path / "repo", {"types_.py": "type Vector = list[float]\n\n\ndef first[T](xs: list[T]) -> T:\n"
                                                      "    return xs[0]\n"})
    findings = scan_repo(root, {"select": ["ML001"]}).findings
    if sys.version_info >= (3, 12):
        assert findings == []
    else:
        assert [(f.severity, "newer Python" in f.message) for f in findings] == [("info", True)]


def test_blanks_left_for_the_reader_and_demonstrated_errors_are_info(tmp_path):
    import json

    from auditor.testing import make_repo, scan_repo

    def notebook(*cells):
        return json.dumps({"cells": [{"cell_type": "code", "source": source, "outputs": outputs}
                                     for source, outputs in cells], "nbformat": 4, "nbformat_minor": 5})

    shown = [{"output_type": "error", "ename": "SyntaxError", "evalue": "invalid syntax", "traceback": []}]
    root = make_repo(tmp_path / "repo", {
        "guided_project.ipynb": notebook(("import os\n", []), ("ENDPOINT = # Enter your endpoint here\n", []),
                                         ("# TODO: your code here\nthreshold =\n", [])),
        "pandas_tour.ipynb": notebook(("df.Engine HP\n", shown)),
        "setup_project.py": "REGION = <YOUR_REGION>\n",
        "labs/week1/train.py": "model =\n",
        "src/train.py": "def train(:\n    pass\n",
        "analysis.ipynb": notebook(("total = \n", [])),
    })
    findings = scan_repo(root, {"select": ["ML001"]}).findings
    got = {(f.path, f.cell): f.severity for f in findings}
    assert got == {("guided_project.ipynb", 2): "info", ("guided_project.ipynb", 3): "info",
                   ("pandas_tour.ipynb", 1): "info", ("setup_project.py", None): "info",
                   ("labs/week1/train.py", None): "info",
                   ("src/train.py", None): "medium", ("analysis.ipynb", 1): "medium"}
    assert all("blank left for the reader" in f.message for f in findings if f.path == "guided_project.ipynb")
    assert "shows this error" in next(f.message for f in findings if f.path == "pandas_tour.ipynb")


def test_debt_markers_are_read_in_a_file_that_does_not_parse(tmp_path):
    from auditor.testing import make_repo, scan_repo

    root = make_repo(tmp_path / "repo", {"src/broken.py": (
        "import os\n# FIXME: retries are disabled until the API is fixed\n\ndef f(:\n    pass\n"
        "# HACK: the tokenizer never reaches this line\nx = 'a # TODO inside a string'  # noqa\n")})
    result = scan_repo(root, {"select": ["ML001", "ML401", "ML402"]})
    found = sorted((f.rule, f.line) for f in result.findings)
    assert found == [("ML001", 4), ("ML401", 2), ("ML401", 6)]


def test_a_labs_config_with_blanks_for_the_reader_is_info(tmp_path):
    from auditor.testing import make_repo, scan_repo

    broken = "steps:\n- name: build\n  # TODO: add the image\n  args: [\n"
    root = make_repo(tmp_path / "repo", {"labs/lab-03/exercises/cloudbuild.yaml": broken,
                                         "deploy/cloudbuild.yaml": broken})
    got = {f.path: f.severity for f in scan_repo(root, {"select": ["ML002"]}).findings}
    assert got == {"labs/lab-03/exercises/cloudbuild.yaml": "info", "deploy/cloudbuild.yaml": "medium"}
