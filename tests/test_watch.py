"""``mlaudit scan --watch``: a change to a file is noticed by polling, the tree is scanned again,
and only what changed in the findings is printed; the loop is driven here with a fake sleep that
edits the repository between polls."""

from __future__ import annotations

import json
import subprocess

from click.testing import CliRunner

from auditor.cli import main
from auditor.cli.settings import load_config
from auditor.scan.engine import scan
from auditor.server.watch import changed_paths, stamp, watch

CODE = """\
import yaml


def load(path):
    with open(path) as fh:
        return yaml.safe_load(fh)


if __name__ == "__main__":
    print(load("params.yaml"))
"""


def _repository(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "requirements.txt").write_text("pyyaml==6.0.1\n")
    (root / "train.py").write_text(CODE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_watch_prints_the_new_and_the_fixed_findings_after_a_change(tmp_path):
    root = _repository(tmp_path)
    config = load_config(root)
    cache = tmp_path / "cache"
    edits = iter([
        lambda: None,  # nothing changed: nothing scanned, nothing printed
        lambda: (root / "train.py").write_text(CODE.replace("safe_load", "load")),  # a new finding
        lambda: (root / "train.py").write_text("\n\n" + CODE),  # fixed again, and moved down two lines
    ])
    scans, printed = [], []

    def scan_once():
        scans.append(scan(root, config, cache_dir=cache))
        return scans[-1]

    def sleep(_seconds):
        next(edits)()

    watch(scan_once, lambda: stamp(root, []), printed.append, cycles=3, sleep=sleep)
    assert len(scans) == 3  # the first scan and one after each change
    assert printed[0].startswith("mlaudit: changed: train.py; 1 change(s)")
    assert printed[1].startswith("+ train.py:6  ML453  ")
    assert printed[2].startswith("mlaudit: changed: train.py; 1 change(s)")
    assert printed[3].startswith("- train.py:6  ML453  ")
    assert len(printed) == 4


def test_a_moved_finding_is_not_a_change(tmp_path):
    root = _repository(tmp_path)
    (root / "train.py").write_text(CODE.replace("safe_load", "load"))
    config = load_config(root)
    printed = []
    edits = iter([lambda: (root / "train.py").write_text("# a comment above\n" + CODE.replace("safe_load", "load"))])
    watch(lambda: scan(root, config), lambda: stamp(root, []), printed.append, cycles=1, sleep=lambda _: next(edits)())
    assert printed == ["mlaudit: changed: train.py; findings unchanged (1)"]


def test_changed_paths_names_edited_new_and_removed_files():
    assert changed_paths({"a": (1, 1), "b": (1, 1)}, {"a": (2, 1), "c": (1, 1)}) == ["a", "b", "c"]


def test_scan_watch_reports_the_first_scan_in_full_and_exits_0(tmp_path):
    root = _repository(tmp_path)
    result = CliRunner().invoke(main, ["scan", str(root), "--watch", "--watch-cycles", "1", "--format", "json",
                                       "--no-cache"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["total"] == len(report["findings"])
