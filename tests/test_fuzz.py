"""Fuzzing the parsers and the per-file analysis with generated inputs (hypothesis).

Each property is what a scan relies on: whatever bytes a repository holds, parsing them returns a
result or a documented "not readable" answer, and analysing a Python module or notebook records
no internal error. CI runs a bounded number of examples (FUZZ_EXAMPLES, about a minute in all);
`bench/fuzz.py --examples N` runs the same properties for longer (bench/FUZZ.md has the figures).
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import registry
from auditor.ml.requirements import docker_base_images, docker_pip_installs, parse_requirements_text
from auditor.model.codeowners import parse_codeowners
from auditor.model.project import RepoFile, classify, parse_config
from auditor.model.sources import NotText, parse_notebook
from auditor.scan.worker import SourceJob, analyse_within_budget

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Fragments that make generated text look like each format, so the fuzzer reaches past the first
# syntax error: identifiers, keywords, ML calls, brackets, quotes, indentation and odd characters.
PYTHON_PIECES = st.sampled_from([
    "import numpy as np\n", "from sklearn.model_selection import train_test_split\n", "def f(x):\n", "    ",
    "return x\n", "class M:\n", "np.random.seed(0)\n", "x = np.random.rand(3)\n", "torch.load(p)\n",
    "pickle.load(open(sys.argv[1], 'rb'))\n", "# TODO: fix\n", "# noqa\n", "if __name__ == '__main__':\n",
    "df['a']", " = ", "(", ")", "[", "]", "{", "}", ":", ",", "'", '"', "\\", "\n", "\t", "lambda: ",
    "async def g():\n", "await ", "yield ", "@dag\n", "Path(__file__).parents[2]", " + ", "*", "**", "é", "\x00",
    "# mlaudit: ignore[ML401] -- r\n", "sys.path.insert(0, '/home/u')\n", "f'{x!r:>3}'", "match x:\n",
])
CONFIG_PIECES = st.sampled_from([
    "a: 1\n", "- x\n", "&a [1]\n", "*a\n", "b: &b {c: *b}\n", "{", "}", "[", "]", ": ", "\n  ", "'", '"',
    "[tool.mlaudit]\n", "x = 1\n", "[[a]]\n", "stages:\n  train:\n    cmd: python train.py\n", "!!python/object:os.system\n",
    "\t", "%YAML 1.2\n", "---\n", "...\n", "é", "\x00",
])
LINE_PIECES = st.sampled_from([
    "numpy==1.26\n", "pandas>=2\n", "-r other.txt\n", "-e .\n", "git+https://x/y.git@abc#egg=y\n", "torch ; python_version<'3.12'\n",
    "FROM python:3.11\n", "RUN pip install -r requirements.txt && pip install x==1\n", "ARG V\n", "FROM ${V}\n",
    "*.py @team\n", "/docs/ @a @b\n", "[Section]\n", "^[Optional][2] @c\n", "\\#x @d\n", "**/x/** e@x.com\n",
    " \\\n", "#", "\n", "é", "\x00", "*a*b*c", "[!", "]",
])


def _text(pieces):
    return st.one_of(st.text(max_size=300), st.lists(pieces, max_size=40).map("".join))


@FUZZ
@given(_text(PYTHON_PIECES))
def test_analysing_any_python_text_records_no_internal_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "module.py"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    rules = [rule_id for rule_id, rule in registry.all_rules().items() if rule.kind() == "module"]
    job = SourceJob(path="module.py", abs_path=str(path), notebook=False, module_name="module", rule_ids=rules,
                    rule_options={}, max_size=1_000_000)
    result = analyse_within_budget(job)
    assert result.errors == [], result.errors[0]["error"][-1500:]


@FUZZ
@given(st.lists(_text(PYTHON_PIECES), max_size=4), st.booleans())
def test_any_notebook_parses_or_is_refused_with_a_reason(cells, as_list):
    document = {"cells": [{"cell_type": "code", "source": [c] if as_list else c} for c in cells], "nbformat": 4}
    for data in (json.dumps(document).encode(), json.dumps(document)[: len(cells) * 7].encode()):
        try:
            notebook = parse_notebook(data)
        except NotText as exc:
            assert str(exc).startswith("not a readable notebook")
        else:
            assert len(notebook.line_map) == notebook.code.count("\n")


@FUZZ
@given(_text(CONFIG_PIECES), st.sampled_from(["params.yaml", "pyproject.toml", "config.json", "model.dvc", "dvc.lock"]))
def test_any_config_parses_or_reports_a_parse_error(text, name):
    file = RepoFile(name, classify(name), len(text), text=text, parses=True)
    data, error = parse_config(file)
    assert error is None or (isinstance(error[1], str) and error[1])
    file.line_of("stages", "train")  # the line index of a YAML file is built from the same text


@FUZZ
@given(_text(LINE_PIECES))
def test_requirements_dockerfiles_and_codeowners_never_fail(text):
    parse_requirements_text(text)
    docker_base_images(text)
    docker_pip_installs(text)
    owners = parse_codeowners(text, "CODEOWNERS")
    for path in ("a.py", "docs/x/y.md", "x/" * 30 + "z"):
        owners.owners_of(path)
