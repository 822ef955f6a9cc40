"""Pipelines and owners: placeholders, OWNERS files, matching CODEOWNERS handles to git authors, demo."""

from auditor.analysis.pipelines import is_placeholder, owners_file_entries
from auditor.demo import build_demo
from auditor.testing import make_repo, scan_repo


def test_placeholders_are_not_owners():
    for owner in ("airflow", "Admin", "owner", "your_name", "TODO", "", "  ", "airflow@example.com",
                  "your.email@company.com", "<owner>"):
        assert is_placeholder(owner), owner
    for owner in ("ml-platform", "@acme/ml", "lea@acme.io", "team:ml"):
        assert not is_placeholder(owner), owner


def test_owners_files_in_both_styles():
    assert owners_file_entries("approvers:\n- lea\n- omar\nreviewers:\n- kim\n") == ["lea", "omar", "kim"]
    assert owners_file_entries("# comment\nlea@acme.io\nset noparent\nper-file *.py=x@acme.io\n") == ["lea@acme.io"]


FLOW = "from prefect import flow\n\n@flow\ndef etl():\n    pass\n"


def test_handles_match_git_authors_by_email_local_part(tmp_path):
    root = make_repo(tmp_path / "r", {"CODEOWNERS": "/flows/ @lmartin\n", "flows/etl.py": FLOW, "x.py": "x = 1\n"},
                     {"CODEOWNERS": 500, "flows/etl.py": 500, "x.py": 2},
                     authors={"CODEOWNERS": "Lea Martin <lmartin@acme.io>", "flows/etl.py": "Lea Martin <lmartin@acme.io>",
                              "x.py": "Omar Said <omar@acme.io>"})
    [finding] = scan_repo(root, {"select": ["ML502"]}).findings
    assert finding.evidence["owners"].keys() == {"@lmartin"}
    assert finding.evidence["inactive_days"] == 498  # to the repository's last commit (2 days ago), not to today


def test_active_owner_by_noreply_address_is_not_reported(tmp_path):
    root = make_repo(tmp_path / "r", {"CODEOWNERS": "/flows/ @lea-m\n", "flows/etl.py": FLOW, "x.py": "x = 1\n"},
                     {"CODEOWNERS": 500, "flows/etl.py": 500, "x.py": 2},
                     authors={"x.py": "Lea <12345+lea-m@users.noreply.github.com>"})
    assert scan_repo(root, {"select": ["ML502"]}).findings == []


def test_each_ownerless_file_is_reported_once(tmp_path):
    dag = ("from airflow import DAG\nfrom airflow.decorators import dag\n\n"
           "a = DAG('a', default_args={'owner': 'airflow'})\nb = DAG('b')\n\n@dag(schedule=None)\ndef c():\n    pass\n")
    root = make_repo(tmp_path / "r", {"dags/many.py": dag})
    [finding] = scan_repo(root, {"select": ["ML501"]}).findings
    assert finding.line == 4 and finding.evidence["other_definitions"] == 2
    assert finding.evidence["placeholder_owners"] == ["airflow"]


def test_demo_pipelines(tmp_path):
    build_demo(tmp_path / "demo")
    result = scan_repo(tmp_path / "demo", {"select": ["ownerless-pipeline"]})
    found = {(f.rule, f.path, f.line) for f in result.findings}
    assert ("ML501", "dags/export_scores_dag.py", 15) in found
    assert ("ML503", ".github/CODEOWNERS", 7) in found
    paths = {f.path for f in result.findings}
    assert "dags/train_churn_dag.py" not in paths
    assert ".github/workflows/retrain.yml" not in paths
    assert "dvc.yaml" not in paths


def test_dag_names_come_from_module_constants(tmp_path):
    dag = "from airflow.sdk import DAG\nDAG_NAME = 'dgv_impact'\n\nwith DAG(dag_id=DAG_NAME, schedule='@daily'):\n    pass\n"
    root = make_repo(tmp_path / "r", {"dags/impact.py": dag})
    [finding] = scan_repo(root, {"select": ["ML501"]}).findings
    assert finding.evidence["name"] == "dgv_impact" and "'dgv_impact'" in finding.message
