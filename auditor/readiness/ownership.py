"""Ownership and testing: does someone own each part, and do tests guard data and model behaviour?"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from auditor.model.project import ARTIFACT, BUILD, CONFIG
from auditor.readiness.debt import findings_check
from auditor.readiness.index import Index
from auditor.readiness.model import FAIL, PARTIAL, PASS, Check, Evidence, check

_PIPELINE_FILE = re.compile(r"(^|/)dvc\.yaml$|(^|/)MLproject$|(^|/)dags?/|(^|/)pipelines?/|(^|/)\.github/workflows/")
_DATA_TEST = re.compile(r"^test_?(data|dataset|feature|schema|validat|preprocess|ingest|quality|clean|transform|input|"
                        r"column|null|missing|split|leak)", re.I)
_MODEL_TEST = re.compile(r"^test_?(model|train|predict|infer|behavio|eval|serv|api|endpoint|score|invarian|direction|"
                         r"minimum_functionality|quality_gate)", re.I)
_DATA_DIR = re.compile(r"(^|/)tests?/data/")
_MODEL_DIR = re.compile(r"(^|/)tests?/models?/")
DATA_TEST_LIBS = ("great_expectations", "pandera", "hypothesis", "deepchecks", "pandas.testing")
_TEST_COMMAND = re.compile(r"\b(pytest|py\.test|python3?\s+-m\s+(pytest|unittest)|tox\b|nox\b|make\s+test|"
                           r"hatch\s+(run\s+)?test|coverage\s+run|poetry\s+run\s+pytest|uv\s+run\s+pytest)", re.I)
_TEST_TARGET = re.compile(r"^(test|tests|check)\s*:", re.M)


def _owned_share(ix: Index, paths: list[str]) -> tuple[float, list[str]]:
    if not paths:
        return 1.0, []
    missing = [p for p in paths if not ix.project.owners_of(p)]
    return 1 - len(missing) / len(paths), missing


def codeowners_coverage(ix: Index) -> Check:
    title = "CODEOWNERS covers the code, pipelines and models"
    owners = ix.project.codeowners
    if not owners.path or not owners.rules:
        return check("R-OWN-01", title, FAIL, (),
                     "No CODEOWNERS file: add one that names an owning team for the code, the pipeline definitions "
                     "and the model directories, so reviews and pages reach someone.")
    code = ix.source_paths
    pipelines = sorted(p for p in ix.project.files if _PIPELINE_FILE.search(p)) + \
        [p for p in ix.pipeline_paths if p not in code]
    models = sorted(p for p, f in ix.project.files.items() if f.kind == ARTIFACT)
    share, missing = _owned_share(ix, sorted(set(code + pipelines + models)))
    where = [Evidence(owners.path, None)] + [Evidence(p, None) for p in missing[:5]]
    if share >= 0.9 and not [p for p in missing if p in pipelines or p in models]:
        return check("R-OWN-01", title, PASS, where, f"{round(100 * share)}% of code, pipelines and models have an owner.")
    if share > 0:
        return check("R-OWN-01", title, PARTIAL, where,
                     f"{round(100 * share)}% of code, pipelines and models have an owner; {len(missing)} path(s) "
                     "have none (listed): add CODEOWNERS entries for them.")
    return check("R-OWN-01", title, FAIL, where, "CODEOWNERS matches none of the code, pipelines or models.")


def tests_present(ix: Index) -> Check:
    title = "Tests exist in proportion to the code"
    tests = ix.defs(re.compile(r"^test"), paths=ix.test_paths)
    needed = max(5, len(ix.source_paths) // 2)
    if len(tests) >= needed:
        return check("R-OWN-02", title, PASS, tests, f"{len(tests)} test functions for {len(ix.source_paths)} modules.")
    if tests:
        return check("R-OWN-02", title, PARTIAL, tests,
                     f"{len(tests)} test function(s) for {len(ix.source_paths)} modules: cover at least the feature "
                     f"code, the training entry point and the serving handler (about {needed}).")
    return check("R-OWN-02", title, FAIL, (),
                 "No tests: add pytest tests for feature engineering, training and the prediction endpoint.")


def behaviour_tests(ix: Index) -> Check:
    title = "Tests check data and model behaviour, not only code"
    tests = ix.test_paths
    data = [e for e in ix.defs(_DATA_TEST, paths=tests)] + ix.imports(*DATA_TEST_LIBS, paths=tests)
    data += [Evidence(p) for p in tests if _DATA_TEST.search(PurePosixPath(p).name) or _DATA_DIR.search(p)]
    model = [e for e in ix.defs(_MODEL_TEST, paths=tests)] + \
        ix.methods("predict", "predict_proba", "fit", "evaluate", "generate", paths=tests)
    model += [Evidence(p) for p in tests if _MODEL_TEST.search(PurePosixPath(p).name) or _MODEL_DIR.search(p)]
    if data and model:
        return check("R-OWN-03", title, PASS, data[:3] + model[:3], "Both data and model behaviour are tested.")
    if data or model:
        missing = "model behaviour (invariance, directional expectations, minimum quality on a fixed set)" if data \
            else "data (schema, ranges, leakage between splits)"
        return check("R-OWN-03", title, PARTIAL, data + model, f"Nothing tests {missing}: add such tests.")
    return check("R-OWN-03", title, FAIL, (),
                 "No tests of data or model behaviour: test the data contract (schema, ranges) and the model "
                 "(invariance, directional expectations, minimum quality on a fixed slice).")


def ci_runs_tests(ix: Index) -> Check:
    title = "CI runs the tests"
    ci = ix.grep(_TEST_COMMAND, paths=ix.ci_paths, exclude=re.compile(r"^\s*#"))
    if ci:
        return check("R-OWN-04", title, PASS, ci, "Tests run in CI.")
    local = ix.grep(_TEST_TARGET, kinds=(BUILD,)) + ix.grep(_TEST_COMMAND, kinds=(CONFIG,),
                                                             path_pattern=re.compile(r"pre-commit|tox\.ini|noxfile"))
    if local or (ix.test_paths and ix.ci_paths):
        return check("R-OWN-04", title, PARTIAL, local + [Evidence(p) for p in ix.ci_paths[:2]],
                     "Tests can run locally but no CI job runs them: add a workflow that runs pytest on every push "
                     "and pull request.")
    return check("R-OWN-04", title, FAIL, (),
                 "No CI runs tests: add a workflow (GitHub Actions, GitLab CI) that runs pytest on every change.")


ownerless = findings_check("R-OWN-05", "Findings: ownerless pipelines", ("ownerless-pipeline",))
code_health = findings_check("R-OWN-06", "Findings: dead code, unused features, undocumented hacks, complexity",
                             ("dead-code", "unused-feature", "undocumented-hack", "complexity", "parse-error"))


CHECKS = (codeowners_coverage, tests_present, behaviour_tests, ci_runs_tests, ownerless, code_health)
