"""Fingerprints identify a finding across unrelated edits: no line numbers in them."""

from auditor.testing import make_repo, scan_repo

CODE = "import os\n\n\ndef train():\n    # TODO: stratify the split\n    return 1\n"


def fingerprints(root):
    return {f.fingerprint: f.line for f in scan_repo(root, {"select": ["ML401"]}).findings}


def test_adding_lines_above_keeps_fingerprints(tmp_path):
    root = make_repo(tmp_path / "r", {"train.py": CODE})
    before = fingerprints(root)
    (root / "train.py").write_text("import sys\nimport json\n\n# a new helper\ndef helper():\n    pass\n\n" + CODE)
    after = fingerprints(root)
    assert set(before) == set(after)
    assert list(before.values()) != list(after.values())  # the line moved, the identity did not


def test_identical_markers_in_one_file_stay_distinct(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "x = 1  # TODO\ny = 2  # TODO\n"})
    assert len(fingerprints(root)) == 2


def test_fingerprint_depends_on_the_path(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "# TODO: x\n", "b.py": "# TODO: x\n"})
    assert len(fingerprints(root)) == 2
