"""CODEOWNERS parsing: GitHub precedence, GitLab sections, escapes, and where the file is looked for."""

from auditor.model.codeowners import parse_codeowners
from auditor.testing import make_repo, scan_repo


def test_last_matching_pattern_wins_on_github():
    owners = parse_codeowners("* @acme/all\n/src/ @acme/ml\n/src/legacy/ @lea\n*.md @acme/docs\n", "CODEOWNERS")
    assert owners.owners_of("src/a.py") == ("@acme/ml",)
    assert owners.owners_of("src/legacy/a.py") == ("@lea",)
    assert owners.owners_of("src/legacy/README.md") == ("@acme/docs",)
    assert owners.owners_of("setup.py") == ("@acme/all",)
    assert owners.matching_rule("src/a.py").line == 2


def test_pattern_without_owners_unowns_a_path():
    owners = parse_codeowners("* @acme/all\n/generated/\n", "CODEOWNERS")
    assert owners.owners_of("generated/x.py") == ()


def test_comments_escapes_and_negation_are_handled():
    text = "# comment\n/a\\ b.txt @x  # trailing comment\n\\#hash.txt @y\n!keep.py @z\n"
    owners = parse_codeowners(text, "CODEOWNERS")
    assert owners.owners_of("a b.txt") == ("@x",)
    assert owners.owners_of("#hash.txt") == ("@y",)
    assert owners.owners_of("keep.py") == ("@z",)  # "!" never negates in CODEOWNERS


def test_gitlab_sections_combine_and_use_default_owners():
    text = ("* @acme/all\n[Docs] @acme/docs\ndocs/\n^[ML][2] @acme/ml\n/models/ @acme/models\n*.md @acme/md\n"
            "[docs]\n/docs/internal/ @acme/internal\n")
    owners = parse_codeowners(text, ".gitlab/CODEOWNERS")
    assert owners.owners_of("docs/a.md") == ("@acme/all", "@acme/docs", "@acme/md")
    # a repeated section is the same section: its last matching rule wins
    assert owners.owners_of("docs/internal/x.txt") == ("@acme/all", "@acme/internal")
    assert owners.owners_of("models/m.pkl") == ("@acme/all", "@acme/models")
    assert [r.section for r in owners.rules] == ["", "docs", "ml", "ml", "docs"]


def test_section_like_patterns_are_patterns():
    owners = parse_codeowners("[Dd]ocs/ @acme/docs\n", "CODEOWNERS")
    assert owners.owners_of("docs/a.md") == ("@acme/docs",)


def test_scan_uses_first_location_and_attaches_owners(tmp_path):
    root = make_repo(tmp_path / "r", {
        ".github/CODEOWNERS": "/src/ @acme/ml\n",
        "CODEOWNERS": "* @acme/ignored\n",
        "src/a.py": "# TODO\n",
    })
    result = scan_repo(root, {"select": ["ML401"]})
    assert [f.owners for f in result.findings] == [("@acme/ml",)]


def test_a_wildcard_last_part_names_files_not_what_lies_in_folders():
    """As GitHub documents it: `docs/*` owns docs/getting-started.md but not
    docs/build-app/troubleshooting.md, and `/*` owns only the root's files (one repository was
    reported 100% covered by a `/*` line that covers no folder)."""
    owners = parse_codeowners("/* @root\ndocs/* @docs\n/src/ @ml\n*.md @writers\napps/ @apps\n"
                              "/scripts/**/run_*.py @ops\n", "CODEOWNERS")
    assert owners.owners_of("setup.py") == ("@root",)
    assert owners.owners_of("lib/train.py") == ()  # /* covers no folder
    assert owners.owners_of("docs/getting-started.py") == ("@docs",)
    assert owners.owners_of("docs/build-app/troubleshooting.py") == ()
    assert owners.owners_of("docs/build-app/notes.md") == ("@writers",)  # *.md: any depth
    assert owners.owners_of("src/deep/a.py") == ("@ml",) and owners.owners_of("x/apps/m.py") == ("@apps",)
    assert owners.owners_of("scripts/a/b/run_nightly.py") == ("@ops",)
