"""Units: the independent projects of a monorepo, found, configurable, and judged one by one."""

import json

import pytest
from click.testing import CliRunner

from auditor.cli.main import main
from auditor.model.units import detect_units
from auditor.testing import make_repo, scan_repo

COURSE = [
    "README.md", ".github/workflows/ci.yml",
    "labs/week1/requirements.txt", "labs/week1/train.py", "labs/week1/notebook.ipynb",
    "labs/week2/pyproject.toml", "labs/week2/src/pkg/__init__.py", "labs/week2/src/pkg/model.py",
    "labs/week3/dags/__init__.py", "labs/week3/dags/etl.py", "labs/week3/dags/src/steps.py",
    "labs/week4/dvc.yaml", "labs/week4/stages/prepare.py",
    "docs/requirements.txt", "docs/conf.py",
    "tests/requirements.txt", "tests/test_all.py",
    "docker/gpu/Dockerfile",
    "labs/week2/src/pkg/sub/requirements.txt", "labs/week2/src/pkg/sub/x.py",
    "scripts/tool.py",
]


def test_a_course_monorepo_has_a_unit_per_lab():
    units = detect_units(COURSE)
    assert units.dirs == [".", "labs/week1", "labs/week2", "labs/week3", "labs/week4"]
    assert units.of("labs/week3/dags/src/steps.py") == "labs/week3"
    assert units.of("labs/week2/src/pkg/sub/x.py") == "labs/week2"  # a subpackage is not a project
    assert units.of("docs/conf.py") == "."  # documentation belongs to the project around it
    assert units.of("tests/test_all.py") == "."
    assert units.of("scripts/tool.py") == "."


def test_a_packages_docker_folder_holds_the_repositorys_images_not_a_project():
    units = detect_units(["requirements.txt", "train.py", "models/__init__.py", "models/common.py",
                          "utils/__init__.py", "utils/general.py", "utils/docker/Dockerfile",
                          "utils/docker/Dockerfile-cpu", "services/api/docker/Dockerfile", "services/api/app.py"])
    assert units.dirs == [".", "services/api"]  # services/api is no package: its image is its own


def test_a_single_project_is_one_unit():
    units = detect_units(["pyproject.toml", "src/requirements.txt", "src/pkg/__init__.py", "src/pkg/train.py",
                          "docker/Dockerfile", "requirements/dev.txt", "docs/requirements.txt", "docs/index.md",
                          "tests/test_train.py", "dvc.yaml", "data/raw.dvc"])
    assert units.dirs == ["."]
    assert not units.many


def test_a_folder_with_a_project_file_but_no_code_belongs_to_the_project_around_it():
    units = detect_units(["app/Dockerfile", "app/config.yaml", "lab/requirements.txt", "lab/run.py"])
    assert units.dirs == [".", "lab"]


def test_units_named_in_the_configuration_replace_detection():
    units = detect_units(COURSE, ["labs/*"])
    assert units.dirs == [".", "labs/week1", "labs/week2", "labs/week3", "labs/week4"]
    assert detect_units(COURSE, ["."]).dirs == ["."]
    assert detect_units(COURSE, ["labs/week1", "scripts"]).dirs == [".", "labs/week1", "scripts"]


@pytest.mark.parametrize("value", ['["../elsewhere"]', '"labs/*"', '["/abs"]', '[""]'])
def test_a_bad_units_setting_is_a_configuration_error(tmp_path, value):
    make_repo(tmp_path, {"pyproject.toml": f"[tool.mlaudit]\nunits = {value}\n", "a.py": "x = 1\n"})
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--no-cache"])
    assert result.exit_code == 2, result.output
    assert "units" in result.output


LAB_MONITORED = {
    "lab_a/requirements.txt": "evidently==0.4.0\npandas==2.2.0\n",
    "lab_a/monitor.py": ("import pandas as pd\nfrom evidently.report import Report\nfrom evidently.metric_preset import "
                         "DataDriftPreset\n\n\ndef check(reference, current):\n    report = Report(metrics=[DataDriftPreset()])\n"
                         "    report.run(reference_data=reference, current_data=current)\n    return report\n\n\n"
                         "if __name__ == '__main__':\n    check(pd.read_csv('ref.csv'), pd.read_csv('live.csv'))\n"),
    "lab_b/requirements.txt": "scikit-learn\n",
    "lab_b/train.py": ("import numpy as np\nfrom sklearn.linear_model import LogisticRegression\n\n\ndef fit(X, y):\n"
                       "    return LogisticRegression().fit(X, y)\n\n\nif __name__ == '__main__':\n"
                       "    X = np.random.rand(100, 3)\n    fit(X, X[:, 0] > 0.5)\n" + "\n".join(f"# note {i}" for i in range(3))
                       + "\n" + "\n".join(f"V{i} = {i}" for i in range(30)) + "\n"),
}


def test_readiness_is_scored_per_unit_and_weighted_by_lines(tmp_path):
    root = make_repo(tmp_path / "repo", LAB_MONITORED)
    result = scan_repo(root)
    ready = result.readiness
    units = {u["unit"]: u for u in ready["units"]}
    assert set(units) == {"lab_a", "lab_b"}  # the root holds no code: not a unit of its own
    drift = {u: next(c for c in units[u]["dimensions"]["monitoring"]["checks"] if c["id"] == "R-MON-03")
             for u in units}
    # lab_a's drift monitor is no evidence that lab_b is monitored
    assert drift["lab_a"]["status"] != "fail" and drift["lab_b"]["status"] == "fail"
    merged = next(c for c in ready["dimensions"]["monitoring"]["checks"] if c["id"] == "R-MON-03")
    assert merged["status"] == "partial"
    assert "Not met in 1 of 2 units (lab_b)" in merged["fix"]
    lines = {u: units[u]["lines"] for u in units}
    expected = round(sum(units[u]["score"] * lines[u] for u in units) / sum(lines.values()), 1)
    assert ready["score"] == pytest.approx(expected, abs=0.11)
    assert [u["unit"] for u in ready["units"]] == sorted(units, key=lambda u: units[u]["score"])  # worst first
    assert {f.unit for f in result.findings} <= {"lab_a", "lab_b"}
    assert any(f.unit == "lab_b" for f in result.findings)


def test_every_output_shows_the_units(tmp_path):
    root = make_repo(tmp_path / "repo", LAB_MONITORED)
    runner = CliRunner()
    text = runner.invoke(main, ["scan", str(root), "--no-cache"]).output
    assert text.index("Units: 2 projects") < text.index("lab_b/train.py")  # before the findings
    data = json.loads(runner.invoke(main, ["scan", str(root), "--no-cache", "--format", "json"]).output)
    assert {u["unit"] for u in data["readiness"]["units"]} == {"lab_a", "lab_b"}
    assert {f["unit"] for f in data["findings"]} <= {"lab_a", "lab_b"}
    markdown = runner.invoke(main, ["scan", str(root), "--no-cache", "--format", "markdown"]).output
    assert "2 units, worst readiness first" in markdown and "| `lab_b` |" in markdown
    html = runner.invoke(main, ["scan", str(root), "--no-cache", "--format", "html"]).output
    assert "units-table" in html and "<code>lab_a</code>" in html


def test_a_single_unit_repository_reports_no_units(tmp_path):
    root = make_repo(tmp_path / "repo", {"requirements.txt": "numpy\n", "train.py": "import numpy as np\nprint(np.ones(2))\n"})
    result = scan_repo(root)
    assert "units" not in result.readiness
    assert all(f.unit == "." for f in result.findings)
    text = CliRunner().invoke(main, ["scan", str(root), "--no-cache"]).output
    assert "Units:" not in text


def test_units_off_in_the_configuration_scores_the_repository_as_one(tmp_path):
    root = make_repo(tmp_path / "repo", LAB_MONITORED)
    result = scan_repo(root, {"units": ["."]})
    assert "units" not in result.readiness
    drift = next(c for c in result.readiness["dimensions"]["monitoring"]["checks"] if c["id"] == "R-MON-03")
    assert drift["status"] != "fail"  # one project: lab_a's monitor counts for all of it
