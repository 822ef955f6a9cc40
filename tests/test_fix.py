"""mlaudit fix: each fix on small examples, and the guarantees a user relies on before letting a
tool write into their repository: the file still parses, only the finding's lines change, a second
run changes nothing, overlapping fixes are made in rounds, a file edited meanwhile is left alone,
--diff writes nothing, a notebook keeps its JSON layout."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor import registry
from auditor.cli.main import main
from auditor.fix.edits import Edit, Plan, merge
from auditor.fix.run import FixOptions, fix_repository
from auditor.testing import make_repo, scan_repo


def fix(root: Path, *, unsafe: bool = False, write: bool = True, select=None, pins=None):
    config = {"min-confidence": "low", **({"select": select} if select else {})}
    return fix_repository(root, lambda tree: scan_repo(tree, config), FixOptions(unsafe=unsafe, pins=pins), write=write)


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts}


def fixed_text(tmp_path, files, path, **options) -> str:
    root = make_repo(tmp_path / "r", files)
    fix(root, **options)
    return (root / path).read_text(encoding="utf-8")


# -- each fix -----------------------------------------------------------------------------------------

def test_unused_imports_go_and_every_comment_stays(tmp_path):
    source = ('"""Train."""\n'
              "import os  # the system\n"
              "import sys\n"
              "from collections import (  # kept\n"
              "    OrderedDict,\n"
              "    defaultdict,\n"
              ")\n"
              "from json import dumps, loads as parse\n"
              "import re; import glob\n\n"
              "print(sys.argv, OrderedDict(), parse('1'), glob.glob('*'))\n")
    text = fixed_text(tmp_path, {"train.py": source}, "train.py")
    assert text == ('"""Train."""\n'
                    "import sys\n"
                    "from collections import (  # kept\n"
                    "    OrderedDict,\n"
                    ")\n"
                    "from json import loads as parse\n"
                    "import glob\n\n"
                    "print(sys.argv, OrderedDict(), parse('1'), glob.glob('*'))\n")


def test_a_project_module_whose_import_runs_code_keeps_its_import(tmp_path):
    files = {"plugins.py": "REGISTRY = {}\nREGISTRY['x'] = 1\n", "pure.py": "VALUE = 1\n\n\ndef f():\n    return 1\n",
             "app.py": "import plugins\nimport pure\n\nprint('hi')\n"}
    root = make_repo(tmp_path / "r", files)
    outcome = fix(root, unsafe=True)
    assert (root / "app.py").read_text() == "import plugins\n\nprint('hi')\n"
    assert [p.skipped for p in outcome.not_fixed if p.finding.rule == "ML104"] == [
        "importing plugins runs the project's own code at import time"]


def test_unused_definitions_go_with_their_decorators_and_comment(tmp_path):
    source = ("import functools\n\n\n"
              "def used():\n    return 1\n\n\n"
              "# Legacy scaling from the first model.\n"
              "@functools.lru_cache\n"
              "def legacy(x):\n    return x * 2\n\n\n"
              "def also_used():\n    return used()\n\n\n"
              "if __name__ == '__main__':\n    also_used()\n")
    text = fixed_text(tmp_path, {"main.py": source}, "main.py", unsafe=True)
    # functools served only the decorator: a second round removes it, and no blank line is left on top
    assert text == ("def used():\n    return 1\n\n\n"
                    "def also_used():\n    return used()\n\n\n"
                    "if __name__ == '__main__':\n    also_used()\n")


def test_code_after_return_goes_and_the_comment_before_it_stays(tmp_path):
    source = "def f(x):\n    return x\n    # old path\n    print('never')\n    x += 1\n\n\nf(1)\n"
    text = fixed_text(tmp_path, {"m.py": source}, "m.py")
    assert text == "def f(x):\n    return x\n    # old path\n\n\nf(1)\n"


def test_code_after_an_exit_call_is_not_touched_by_the_safe_fixes(tmp_path):
    source = "import sys\n\n\ndef f():\n    sys.exit(1)\n    print('never')\n\n\nf()\n"
    assert fixed_text(tmp_path, {"m.py": source}, "m.py") == source


def test_commented_out_code_goes_without_leaving_a_double_gap(tmp_path):
    source = ("def train(model, x):\n    model.fit(x)\n\n    # old = Other()\n    # old.fit(x)\n    # print(old)\n\n"
              "    return model\n\n\ntrain(None, 1)\n")
    text = fixed_text(tmp_path, {"t.py": source}, "t.py", unsafe=True)
    assert text == "def train(model, x):\n    model.fit(x)\n\n    return model\n\n\ntrain(None, 1)\n"


def test_a_fixed_flag_leaves_the_branch_that_runs(tmp_path):
    source = ("import logging\n\nVERBOSE = False\nlog = logging.getLogger()\n\n\n"
              "def report(x):\n    if VERBOSE:\n        log.info('all %s', x)\n    else:\n        log.info('short')\n"
              "        log.info('done')\n    return x\n\n\nreport(1)\n")
    text = fixed_text(tmp_path, {"r.py": source}, "r.py", unsafe=True, select=["ML108"])
    assert "if VERBOSE" not in text and "    log.info('short')\n    log.info('done')\n    return x\n" in text
    ast.parse(text)


def test_yaml_load_without_a_loader_is_a_safe_fix_and_with_a_full_loader_an_unsafe_one(tmp_path):
    source = ("import yaml as y\n\n\ndef read(path, other):\n    with open(path) as a, open(other) as b:\n"
              "        return y.load(a), y.load(b, Loader=y.FullLoader)\n\n\nread('a.yaml', 'b.yaml')\n")
    root = make_repo(tmp_path / "r", {"io.py": source})
    outcome = fix(root, select=["ML453"])
    assert "y.safe_load(a), y.load(b, Loader=y.FullLoader)" in (root / "io.py").read_text()
    assert outcome.needs_unsafe == 1
    fix(root, unsafe=True, select=["ML453"])
    assert "y.safe_load(a), y.safe_load(b)" in (root / "io.py").read_text()


def test_torch_load_gets_weights_only_in_a_call_laid_out_one_argument_per_line(tmp_path):
    source = ("import torch\n\n\ndef restore(path):\n    return torch.load(\n        path,\n"
              "        map_location='cpu',\n    )\n\n\nrestore('m.pt')\n")
    text = fixed_text(tmp_path, {"r.py": source}, "r.py", unsafe=True, select=["ML452"])
    assert "torch.load(\n        path,\n        map_location='cpu',\n        weights_only=True,\n    )" in text


def test_seeds_use_the_one_in_scope_or_one_constant_added_once(tmp_path):
    with_param = ("from sklearn.model_selection import train_test_split\n\n\n"
                  "def split(df, seed):\n    return train_test_split(df, test_size=0.2)\n")
    without = ("import numpy as np\nfrom sklearn.model_selection import KFold, train_test_split\n\n\n"
               "def split(df):\n    a, b = train_test_split(df, test_size=0.2)\n"
               "    folds = KFold(n_splits=5, shuffle=True)\n    return a, b, folds, np.random.default_rng()\n")
    root = make_repo(tmp_path / "r", {"a.py": with_param, "b.py": without,
                                      "main.py": "import a\nimport b\n\na.split([], 1)\nb.split([])\n"})
    fix(root, unsafe=True, select=["ML201"])
    assert "train_test_split(df, test_size=0.2, random_state=seed)" in (root / "a.py").read_text()
    fixed = (root / "b.py").read_text()
    assert fixed.count("SEED = 42") == 1
    assert "train_test_split(df, test_size=0.2, random_state=SEED)" in fixed
    assert "KFold(n_splits=5, shuffle=True, random_state=SEED)" in fixed
    assert "np.random.default_rng(SEED)" in fixed
    ast.parse(fixed)


def test_a_seed_from_the_configuration_the_code_already_reads_is_used(tmp_path):
    source = ("import argparse\nimport torch\nfrom sklearn.model_selection import train_test_split\n\n\n"
              "def train(df, cfg):\n    torch.manual_seed(cfg.seed)\n    return train_test_split(df, test_size=0.2)\n\n\n"
              "parser = argparse.ArgumentParser()\nargs = parser.parse_args()\nprint(args.random_state)\n"
              "a, b = train_test_split([1, 2, 3])\ntrain([], args)\n")
    text = fixed_text(tmp_path, {"train.py": source}, "train.py", unsafe=True, select=["ML201"])
    assert "train_test_split(df, test_size=0.2, random_state=cfg.seed)" in text
    assert "a, b = train_test_split([1, 2, 3], random_state=args.random_state)" in text and "SEED" not in text


def test_a_dead_module_is_deleted_only_with_unsafe_fixes(tmp_path):
    files = {"app.py": "print('run')\n", "pkg/__init__.py": "", "pkg/old.py": "def f():\n    return 1\n",
             "pkg/live.py": "X = 1\n", "main.py": "from pkg import live\n\nprint(live.X)\n"}
    root = make_repo(tmp_path / "r", files)
    fix(root, select=["ML105"])
    assert (root / "pkg/old.py").exists()
    outcome = fix(root, unsafe=True, select=["ML105"])
    assert not (root / "pkg/old.py").exists() and (root / "pkg/__init__.py").exists()
    assert outcome.after["pkg/old.py"] is None and "pkg/old.py" in outcome.diff()


def test_requirements_are_pinned_to_the_lock_keeping_extras_markers_and_comments(tmp_path):
    files = {"app.py": "import pandas\nimport requests\n",
             "requirements.txt": "pandas[performance]>=2.0  # data frames\nrequests ; python_version >= '3.9'\n"
                                 "numpy>=2\n",
             "uv.lock": 'version = 1\n[[package]]\nname = "pandas"\nversion = "2.2.1"\n\n'
                        '[[package]]\nname = "requests"\nversion = "2.31.0"\n\n'
                        '[[package]]\nname = "numpy"\nversion = "1.26.4"\n',
             # another project's lock pins another environment: never used for this one
             "service/uv.lock": 'version = 1\n[[package]]\nname = "scipy"\nversion = "1.13.0"\n',
             "lab/requirements.txt": "scipy\n", "lab/run.py": "import scipy\n",
             "Dockerfile": "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"}
    root = make_repo(tmp_path / "r", files)
    fix(root, select=["ML210"])
    assert (root / "requirements.txt").read_text() == (
        "pandas[performance]==2.2.1  # data frames\nrequests==2.31.0; python_version >= '3.9'\n"
        "numpy>=2\n")  # the lock's numpy 1.26.4 is outside >=2: not pinned to it
    assert (root / "lab/requirements.txt").read_text() == "scipy\n"


def test_pin_from_an_environment_reads_its_installed_versions(tmp_path):
    """The interpreter is asked only where its site-packages are; the versions come from the
    METADATA files there (a stand-in interpreter points at a site-packages made here)."""
    site = tmp_path / "site"
    (site / "click-8.1.7.dist-info").mkdir(parents=True)
    (site / "click-8.1.7.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: click\nVersion: 8.1.7\n")
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_text(f"#!/bin/sh\necho '[\"{site}\", \"{site}\"]'\n")
    python.chmod(0o755)
    root = make_repo(tmp_path / "r", {"app.py": "import click\n", "requirements.txt": "click  # the CLI\n",
                                      "Dockerfile": "FROM python:3.11-slim\nRUN pip install -r requirements.txt\n"})
    result = CliRunner().invoke(main, ["fix", str(root), "--select", "ML210", "--no-cache", "--pin-from", str(python)])
    assert result.exit_code == 0, result.output
    assert (root / "requirements.txt").read_text() == "click==8.1.7  # the CLI\n"
    bad = CliRunner().invoke(main, ["fix", str(root), "--pin-from", "/no/such/python", "--no-cache"])
    assert bad.exit_code == 2 and "no such interpreter" in bad.output


# -- guarantees -----------------------------------------------------------------------------------------

MESSY = {
    "src/train.py": ("import os\nimport yaml\nimport torch\n\n\n"
                     "# unused helper\ndef helper():\n    return 1\n    print('dead')\n\n\n"
                     "def train(path):\n    cfg = yaml.load(open(path))\n    # model = old()\n    # model.fit()\n    # print(model)\n"
                     "    return torch.load(cfg['ckpt'])\n\n\nif __name__ == '__main__':\n    train('c.yaml')\n"),
    "src/nb.ipynb": json.dumps({"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Notes\n"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": ["%matplotlib inline\n", "import yaml\n", "def f():\n", "    return 1\n", "    print('dead')\n"]},
        {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
         "source": ["cfg = yaml.load(open('c.yaml'))\n", "f()"]},
    ], "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5},
        indent=1, ensure_ascii=False) + "\n",
}


def test_fixed_files_parse_a_second_run_changes_nothing_and_the_findings_are_gone(tmp_path):
    root = make_repo(tmp_path / "r", MESSY)
    before = scan_repo(root, {"min-confidence": "low"})
    offered = {(f.path, f.rule) for f in before.findings if f.fix}
    outcome = fix(root, unsafe=True)
    assert outcome.fixed and not outcome.not_fixed, [p.skipped for p in outcome.not_fixed]
    ast.parse((root / "src/train.py").read_text())
    first = files_of(root)
    again = fix(root, unsafe=True)
    assert not again.fixed and files_of(root) == first
    left = {(f.path, f.rule) for f in scan_repo(root, {"min-confidence": "low"}).findings if f.fix}
    assert left == set() and offered


def test_a_notebook_keeps_its_json_layout_and_only_source_lines_change(tmp_path):
    root = make_repo(tmp_path / "r", MESSY)
    raw = (root / "src/nb.ipynb").read_text()
    fix(root, select=["ML106", "ML453"])
    new = (root / "src/nb.ipynb").read_text()
    changed = [line for line in new.splitlines() if line not in raw.splitlines()]
    removed = [line for line in raw.splitlines() if line not in new.splitlines()]
    # the cell's new last line loses its comma: JSON's doing, the only line that changes besides the fix
    assert sorted(changed) == sorted(['    "    return 1\\n"', '    "cfg = yaml.safe_load(open(\'c.yaml\'))\\n",'])
    assert sorted(removed) == sorted(['    "    print(\'dead\')\\n"', '    "    return 1\\n",',
                                      '    "cfg = yaml.load(open(\'c.yaml\'))\\n",'])
    assert new.endswith("}\n") and "%matplotlib inline" in new and json.loads(new)["metadata"]


def test_diff_writes_nothing_and_exits_1_when_there_are_changes(tmp_path):
    root = make_repo(tmp_path / "r", MESSY, ages={p: 3 for p in MESSY})
    before = files_of(root)
    result = CliRunner().invoke(main, ["fix", str(root), "--diff", "--unsafe-fixes", "--no-cache"])
    assert result.exit_code == 1, result.output
    assert "--- a/src/train.py" in result.output and "-import os" in result.output
    assert files_of(root) == before
    clean = make_repo(tmp_path / "clean", {"m.py": "print(1)\n"})
    assert CliRunner().invoke(main, ["fix", str(clean), "--diff", "--no-cache"]).exit_code == 0


def test_overlapping_fixes_are_made_in_rounds(tmp_path):
    # the unused function holds the only use of json: removing it makes the import unused
    source = "import json\n\n\ndef unused():\n    return json.dumps({})\n\n\nprint(1)\n"
    root = make_repo(tmp_path / "r", {"m.py": source})
    outcome = fix(root, unsafe=True)
    assert (root / "m.py").read_text() == "print(1)\n"
    assert outcome.rounds == 2


def test_merge_defers_overlapping_edits_and_makes_shared_ones_once():
    def plan(*edits):
        return Plan(None, "m.py", "safe", "", edits=list(edits))

    seed = Edit(3, 2, ("SEED = 42",))
    a, b = plan(seed, Edit(10, 10, ("x",))), plan(seed, Edit(12, 12, ("y",)))
    c = plan(Edit(10, 11, ("z",)))
    accepted, deferred = merge([a, b, c])
    assert accepted == [a, b] and deferred == [c]


def test_a_file_changed_during_the_run_is_left_alone(tmp_path):
    root = make_repo(tmp_path / "r", {"m.py": "import os\n\nprint(1)\n"})
    calls = []

    def scan_then_edit(tree):
        result = scan_repo(tree, {})
        if not calls:
            (tree / "m.py").write_text("import os\n\nprint(2)\n")  # the user saves while the scan runs
        calls.append(1)
        return result

    outcome = fix_repository(root, scan_then_edit, FixOptions())
    assert (root / "m.py").read_text() == "import os\n\nprint(2)\n"
    assert outcome.left_alone == {"m.py": "it changed on disk during the run"}


def test_every_fixable_rule_example_is_fixed_and_parses(tmp_path):
    """For each rule with a fix and each of its examples that it reports: after mlaudit fix
    --unsafe-fixes, every Python file parses and the rule reports nothing that it offered to fix."""
    for rule in registry.all_rules().values():
        if rule.fix is None:
            continue
        for number, example in enumerate(e for e in rule.examples if not e.valid):
            root = make_repo(tmp_path / f"{rule.id}-{number}", example.files, example.git)
            config = {"select": [rule.id], "min-confidence": "low", **example.config}
            scan = (lambda cfg: lambda tree: scan_repo(tree, cfg))(config)
            outcome = fix_repository(root, scan, FixOptions(unsafe=True))
            for path in root.rglob("*.py"):
                ast.parse(path.read_bytes())
            still = [f for f in scan(root).findings if f.fix and f.rule == rule.id]
            unfixable = {p.finding.fingerprint for p in outcome.not_fixed}  # lines move as fixes add lines
            assert all(f.fingerprint in unfixable for f in still), (rule.id, number, still)


# -- --add-ignore -----------------------------------------------------------------------------------

def test_add_ignore_suppresses_every_finding_with_the_reason(tmp_path):
    files = {"src/train.py": "import pickle\n\n\ndef load(p):\n    # TODO drop this\n    with open(p, 'rb') as f:\n"
                             "        return pickle.load(f)\n\n\nDOC = '''\nTODO inside a string\n'''\nload('m.pkl')\n",
             "requirements.txt": "pandas\n", "Dockerfile": "FROM python:latest\n"}
    root = make_repo(tmp_path / "r", files, ages={p: 3 for p in files})
    result = CliRunner().invoke(main, ["fix", str(root), "--add-ignore", "legacy, tracked in PROJ-9", "--no-cache"])
    assert result.exit_code == 0, result.output
    text = (root / "src/train.py").read_text()
    assert "    # mlaudit: ignore[ML401] -- legacy, tracked in PROJ-9\n    # TODO drop this\n" in text
    assert (root / "requirements.txt").read_text().startswith("# mlaudit: ignore[ML210] -- legacy")
    after = scan_repo(root, {})
    assert after.findings == [] and after.suppressed
    no_reason = CliRunner().invoke(main, ["fix", str(root), "--add-ignore", " ", "--no-cache"])
    assert no_reason.exit_code == 2


def test_json_says_which_findings_are_fixable(tmp_path):
    root = make_repo(tmp_path / "r", MESSY)
    report = json.loads(CliRunner().invoke(main, ["scan", str(root), "--format", "json", "--no-cache",
                                                  "--min-confidence", "low", "--exit-zero"]).output)
    fixes = {(f["rule"], f["fix"]["applicability"]) for f in report["findings"] if f["fix"]}
    assert ("ML104", "safe") in fixes and ("ML107", "unsafe") in fixes
    assert all(f["fix"] is None for f in report["findings"] if f["rule"] == "ML455")


@pytest.mark.parametrize("rule_id", ["ML455"])
def test_trust_remote_code_is_flagged_never_changed(rule_id):
    assert registry.get_rule(rule_id).fix is None


def test_sarif_fixes_are_valid_and_replay_to_what_mlaudit_fix_writes(tmp_path):
    import jsonschema

    files = {"src/m.py": "import os\nimport sys\n\n\ndef f():\n    return sys.argv\n    print('never')\n\n\nf()\n"}
    root = make_repo(tmp_path / "r", files, ages={p: 2 for p in files})
    sarif_path = tmp_path / "out.sarif"
    scanned = CliRunner().invoke(main, ["scan", str(root), "-o", f"sarif:{sarif_path}", "--no-cache", "--exit-zero"])
    assert scanned.exit_code == 0, scanned.output
    document = json.loads(sarif_path.read_text())
    schema = json.loads((Path(__file__).parent / "report_data" / "sarif-schema-2.1.0.json").read_text())
    assert list(jsonschema.Draft4Validator(schema).iter_errors(document)) == []
    lines = (root / "src/m.py").read_text().splitlines(keepends=True)
    replacements = [r for result in document["runs"][0]["results"] for fix_ in result.get("fixes", [])
                    for change in fix_["artifactChanges"] for r in change["replacements"]]
    assert len(replacements) == 2
    for r in sorted(replacements, key=lambda r: r["deletedRegion"]["startLine"], reverse=True):
        region = r["deletedRegion"]
        lines[region["startLine"] - 1:region["endLine"] - 1] = [r["insertedContent"]["text"]] if r["insertedContent"]["text"] else []
    fix(root)
    assert "".join(lines) == (root / "src/m.py").read_text()


def test_the_text_report_marks_fixable_findings_and_counts_them(tmp_path):
    root = make_repo(tmp_path / "r", MESSY)
    out = CliRunner().invoke(main, ["scan", str(root), "--no-cache", "--exit-zero", "-v"]).output
    assert "[*]" in out and "[*unsafe]" in out
    assert "fixable with `mlaudit fix` [*]" in out and "more with `mlaudit fix --unsafe-fixes`" in out
    listed = CliRunner().invoke(main, ["rules"]).output
    assert any(line.startswith("ML104") and " safe " in line for line in listed.splitlines())


def test_a_crlf_file_stays_crlf_and_keeps_its_mode(tmp_path):
    root = make_repo(tmp_path / "r", {"m.py": b"import os\r\nimport sys\r\n\r\nprint(sys.argv)\r\n"})
    (root / "m.py").chmod(0o754)
    fix(root)
    assert (root / "m.py").read_bytes() == b"import sys\r\n\r\nprint(sys.argv)\r\n"
    assert (root / "m.py").stat().st_mode & 0o777 == 0o754


def test_add_ignore_leaves_a_yaml_block_scalar_alone(tmp_path):
    from auditor.fix.ignores import why_not_here
    from auditor.fix.targets import read_target

    root = make_repo(tmp_path / "r", {"ci.yml": "jobs:\n  run:\n    script: |\n      pip install x\n      make\n    image: y\n"})
    target = read_target(root, "ci.yml")
    assert why_not_here(target, 4) == "inside a YAML block scalar"
    assert why_not_here(target, 6) is None and why_not_here(target, 3) is None


def test_a_notebook_gets_one_seed_constant_after_its_opening_imports(tmp_path):
    def cell(*lines):
        return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": list(lines)}

    notebook = {"cells": [cell("import pandas as pd\n", "from sklearn.model_selection import train_test_split"),
                          cell("df = pd.read_csv('a.csv')\n", "a, b = train_test_split(df)"),
                          cell("from sklearn.utils import shuffle\n", "c = shuffle(df)")],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    root = make_repo(tmp_path / "r", {"eda.ipynb": json.dumps(notebook, indent=1) + "\n"})
    fix(root, unsafe=True, select=["ML201"])
    cells = ["".join(c["source"]) for c in json.loads((root / "eda.ipynb").read_text())["cells"]]
    assert sum(text.count("SEED = 42") for text in cells) == 1 and "SEED = 42" in cells[0]
    assert "train_test_split(df, random_state=SEED)" in cells[1] and "shuffle(df, random_state=SEED)" in cells[2]


def test_a_blanket_noqa_is_narrowed_only_to_codes_that_can_be_known(tmp_path):
    source = ("import sys\nsys.path.insert(0, 'src')\nimport os  # noqa\nimport json  # noqa\n"
              "square = lambda x: x * x  # noqa\nvalue = compute(1,2)  # noqa\n\nprint(json.dumps(square(2)))\n")
    root = make_repo(tmp_path / "r", {"app.py": source})
    before = [f for f in scan_repo(root, {"select": ["ML402"]}).findings]
    assert len(before) == 1 and before[0].fix is None  # compute(1,2) could hide E231: unknowable, so no offer
    simple = source.replace("value = compute(1,2)  # noqa\n", "")
    (root / "app.py").write_text(simple)
    fix(root, select=["ML402"])
    assert (root / "app.py").read_text() == (
        "import sys\nsys.path.insert(0, 'src')\nimport os  # noqa: E402,F401\nimport json  # noqa: E402\n"
        "square = lambda x: x * x  # noqa: E731\n\nprint(json.dumps(square(2)))\n")
    assert scan_repo(root, {"select": ["ML402"]}).findings == []


def test_sarif_fix_plans_are_kept_by_file_content(tmp_path, monkeypatch):
    from auditor.fix import run as fix_run

    root = make_repo(tmp_path / "r", {"m.py": "import os\nimport sys\n\nprint(sys.argv)\n"})
    result = scan_repo(root, {})
    first = fix_run.planned_edits(root, result, tmp_path / "cache")
    assert first and all(p["applicability"] == "safe" for p in first.values())

    def no_parse(*_):
        raise AssertionError("an unchanged file is parsed again")

    monkeypatch.setattr(fix_run, "Source", no_parse)
    assert fix_run.planned_edits(root, result, tmp_path / "cache") == first
    (root / "m.py").write_text("import os\nimport sys\n\nprint(sys.argv, 1)\n")
    with pytest.raises(AssertionError, match="parsed again"):
        fix_run.planned_edits(root, scan_repo(root, {}), tmp_path / "cache")


def test_a_change_outside_its_finding_is_refused(tmp_path):
    from auditor.finding import Finding
    from auditor.fix.fixers import Change, Skip
    from auditor.fix.run import _checked_edits
    from auditor.fix.targets import read_target

    root = make_repo(tmp_path / "r", {"m.py": "a = 1\nb = 2\n\nc = 3\n"})
    target = read_target(root, "m.py")
    finding = Finding(rule="ML103", name="x", category="dead-code", severity="info", confidence="high",
                      path="m.py", line=2, message="")
    assert _checked_edits(target, finding, Change("a = 1\n\nc = 3\n", 2, 2)) == [Edit(2, 2, ())]
    with pytest.raises(Skip, match="outside its finding"):  # it also rewrites line 4
        _checked_edits(target, finding, Change("a = 1\n\nc = 4\n", 2, 2))
    with pytest.raises(Skip, match="outside its finding"):  # a span that misses the finding's line
        _checked_edits(target, finding, Change("\nb = 2\n\nc = 3\n", 1, 1))


def test_scan_fix_applies_the_safe_fixes_then_gates_on_what_is_left(tmp_path):
    root = make_repo(tmp_path / "r", {"m.py": "import os\nimport pickle\n\n\ndef load(p):\n    return pickle.loads(p)\n"},
                     ages={"m.py": 2})
    result = CliRunner().invoke(main, ["scan", str(root), "--fix", "--no-cache", "--fail-on", "medium", "--format", "json"])
    assert (root / "m.py").read_text().startswith("import pickle\n")
    report = json.loads(result.output[result.output.index("{"):])
    # the unused function is an unsafe fix: --fix leaves it; the unsafe load fails the gate
    assert [f["rule"] for f in report["findings"]] == ["ML101", "ML451"] and result.exit_code == 1


def test_lock_versions_are_read_from_every_kind_of_lock():
    from auditor.ml.versions import locked_versions, pinned_text, satisfies

    assert locked_versions("poetry.lock", {"package": [{"name": "Pandas", "version": "2.2.1"}]}) == {"pandas": "2.2.1"}
    assert locked_versions("Pipfile.lock", {"default": {"requests": {"version": "==2.31.0"}},
                                            "develop": {"pytest": {"version": "==8.0.0"}}}) == {
        "requests": "2.31.0", "pytest": "8.0.0"}
    conda = {"package": [{"name": "numpy", "version": "1.26.4", "manager": "conda"},
                         {"name": "mlflow", "version": "2.9.2", "manager": "pip"}]}
    assert locked_versions("conda-lock.yml", conda) == {"mlflow": "2.9.2"}  # a conda build need not be on PyPI
    assert satisfies("2.1.2", "~=2.0.1") is False and satisfies("2.0.9", "~=2.0.1") is True
    assert satisfies("1.5.0", ">=1.2,<2") is True and satisfies("2.0rc1", ">=1") is None
    assert pinned_text("torch @ https://example.org/torch.whl", "2.0.0") is None
