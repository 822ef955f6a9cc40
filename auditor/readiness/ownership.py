"""Ownership and testing: does someone own each part, and do tests guard data and model behaviour?"""

from __future__ import annotations

import re

from auditor.model.project import ARTIFACT, BUILD, CONFIG
from auditor.pathnames import posix_path
from auditor.readiness.debt import findings_check
from auditor.readiness.index import Index
from auditor.readiness.model import FAIL, PARTIAL, PASS, Evidence, ReadinessCheck, Rung, Verdict, because, verdict

_PIPELINE_FILE = re.compile(r"(^|/)dvc\.yaml$|(^|/)MLproject$|(^|/)dags?/|(^|/)pipelines?/|(^|/)\.github/workflows/")
# Test names that say what of the data or the model they check. A generic word alone (`test_data_loader`,
# `test_clean_cuda_fork`, `test_split_between_processes`, `test_infer_auto_device_map`, `test_api_key`,
# `test_validate_launch_command`, `test_performance` of a training loop's speed)
# names a test of code, not of data or model behaviour.
_DATA_TEST = re.compile(r"^test_?\w*(schema|data_quality|null|missing|range|contract|expectation|drift|leak|distribution|"
                        r"clean(ed)?_data|preprocess|feature|ingest|validate_data|data_validation)", re.I)
_MODEL_TEST = re.compile(r"^test_?(models?(_|\.|$)|train(ing)?_|train$|predict|inference|behavio|eval(uate)?_?model|score|invarian|"
                         r"direction|minimum_functionality|quality_gate|accuracy)", re.I)
_DATA_DIR = re.compile(r"(^|/)tests?/data/")
_MODEL_DIR = re.compile(r"(^|/)tests?/models?/")
DATA_TEST_LIBS = ("great_expectations", "pandera", "hypothesis", "deepchecks", "pandas.testing")
_TEST_COMMAND = re.compile(r"\b(pytest|py\.test|python3?\s+-m\s+(pytest|unittest)|tox\b|nox\b|make\s+test|"
                           r"hatch\s+(run\s+)?test|coverage\s+run|poetry\s+run\s+pytest|uv\s+run\s+pytest)", re.I)
# Installing the test runner is not running it.
_NOT_A_TEST_RUN = re.compile(r"^\s*#|\b(pip3?|uv\s+pip|conda|mamba|poetry)\s+(install|add)\b|^\s*-?\s*(name|displayName):",
                             re.I)
_TEST_TARGET = re.compile(r"^(test|tests|check)\s*:", re.M)


def _owned_share(ix: Index, paths: list[str]) -> tuple[float, list[str]]:
    if not paths:
        return 1.0, []
    missing = [p for p in paths if not ix.project.owners_of(p)]
    return 1 - len(missing) / len(paths), missing


def _codeowners_coverage(ix: Index) -> Verdict:
    owners = ix.project.codeowners
    if not owners.path or not owners.rules:
        return verdict("no-codeowners")
    code = ix.source_paths
    pipelines = sorted(p for p in ix.project.files if _PIPELINE_FILE.search(p)) + \
        [p for p in ix.pipeline_paths if p not in code]
    models = sorted(p for p, f in ix.project.files.items() if f.kind == ARTIFACT)
    share, missing = _owned_share(ix, sorted(set(code + pipelines + models)))
    where = [Evidence(owners.path, None, None, "the CODEOWNERS file")] + \
        [Evidence(p, None, None, "no CODEOWNERS rule covers it") for p in missing[:5]]
    if share >= 0.9 and not [p for p in missing if p in pipelines or p in models]:
        return verdict("covered", where, percent=round(100 * share))
    if share > 0:
        return verdict("partly-covered", where, percent=round(100 * share), uncovered=len(missing))
    return verdict("matches-nothing", where)


def _tests_present(ix: Index) -> Verdict:
    tests = because("a test", ix.defs(re.compile(r"^test"), paths=ix.test_paths))
    needed = max(5, len(ix.source_paths) // 2)
    if len(tests) >= needed:
        return verdict("enough", tests, tests=len(tests), modules=len(ix.source_paths))
    if tests:
        return verdict("few", tests, tests=len(tests), modules=len(ix.source_paths), needed=needed)
    return verdict("none")


def _behaviour_tests(ix: Index) -> Verdict:
    tests = ix.test_paths
    data = ix.defs(_DATA_TEST, paths=tests) + ix.imports(*DATA_TEST_LIBS, paths=tests)
    data += [Evidence(p) for p in tests if _DATA_TEST.search(posix_path(p).name) or _DATA_DIR.search(p)]
    data = because("tests data", data)
    model = ix.defs(_MODEL_TEST, paths=tests) + ix.methods("predict", "predict_proba", "fit", "evaluate", "generate",
                                                            paths=tests)
    model += [Evidence(p) for p in tests if _MODEL_TEST.search(posix_path(p).name) or _MODEL_DIR.search(p)]
    model = because("tests model behaviour", model)
    if data and model:
        return verdict("both", data[:3] + model[:3])
    if data or model:
        missing = "model behaviour (invariance, directional expectations, minimum quality on a fixed set)" if data \
            else "data (schema, ranges, leakage between splits)"
        return verdict("one-kind", data + model, missing=missing)
    return verdict("none")


def _ci_runs_tests(ix: Index) -> Verdict:
    ci = ix.grep(_TEST_COMMAND, paths=ix.ci_paths, exclude=_NOT_A_TEST_RUN)
    if ci:
        return verdict("ci", because("CI runs the tests", ci))
    local = ix.grep(_TEST_TARGET, kinds=(BUILD,)) + ix.grep(_TEST_COMMAND, kinds=(CONFIG,),
                                                             path_pattern=re.compile(r"pre-commit|tox\.ini|noxfile"))
    if local or (ix.test_paths and ix.ci_paths):
        return verdict("local-only", because("tests run locally", local) +
                       [Evidence(p, None, None, "CI that does not run the tests") for p in ix.ci_paths[:2]])
    return verdict("none")


codeowners_coverage = ReadinessCheck(
    "R-OWN-01", "CODEOWNERS covers the code, pipelines and models", "ownership_testing",
    "the CODEOWNERS file and which source modules, pipeline definitions and model files its rules cover",
    (
        Rung("covered", PASS, "at least 90% of code, pipelines and models have an owner, and every pipeline and model",
             "{percent}% of code, pipelines and models have an owner."),
        Rung("partly-covered", PARTIAL, "CODEOWNERS covers some of the code, pipelines and models",
             "{percent}% of code, pipelines and models have an owner; {uncovered} path(s) have none (listed): add "
             "CODEOWNERS entries for them."),
        Rung("matches-nothing", FAIL, "CODEOWNERS matches none of the code, pipelines or models",
             "CODEOWNERS matches none of the code, pipelines or models."),
        Rung("no-codeowners", FAIL, "no CODEOWNERS file",
             "No CODEOWNERS file: add one that names an owning team for the code, the pipeline definitions and the "
             "model directories, so reviews and pages reach someone."),
    ),
    _codeowners_coverage)

tests_present = ReadinessCheck(
    "R-OWN-02", "Tests exist in proportion to the code", "ownership_testing",
    "test functions in test files (auditor/ml/paths.py), against the number of source modules",
    (
        Rung("enough", PASS, "at least one test function per two source modules (and at least five)",
             "{tests} test functions for {modules} modules."),
        Rung("few", PARTIAL, "some tests, fewer than that",
             "{tests} test function(s) for {modules} modules: cover at least the feature code, the training entry "
             "point and the serving handler (about {needed})."),
        Rung("none", FAIL, "no tests",
             "No tests: add pytest tests for feature engineering, training and the prediction endpoint."),
    ),
    _tests_present)

behaviour_tests = ReadinessCheck(
    "R-OWN-03", "Tests check data and model behaviour, not only code", "ownership_testing",
    "tests named for data or model behaviour, data-validation libraries in tests, tests that call predict, fit or "
    "evaluate",
    (
        Rung("both", PASS, "both data and model behaviour are tested", "Both data and model behaviour are tested."),
        Rung("one-kind", PARTIAL, "either data or model behaviour is tested, not both",
             "Nothing tests {missing}: add such tests."),
        Rung("none", FAIL, "no tests of data or model behaviour",
             "No tests of data or model behaviour: test the data contract (schema, ranges) and the model (invariance, "
             "directional expectations, minimum quality on a fixed slice)."),
    ),
    _behaviour_tests)

ci_runs_tests = ReadinessCheck(
    "R-OWN-04", "CI runs the tests", "ownership_testing",
    "test commands in CI workflows; Makefile test targets, pre-commit, tox and nox configs",
    (
        Rung("ci", PASS, "a CI workflow runs the tests", "Tests run in CI."),
        Rung("local-only", PARTIAL, "tests run locally (a target, a hook) or CI exists, but no CI job runs them",
             "Tests can run locally but no CI job runs them: add a workflow that runs pytest on every push and pull "
             "request."),
        Rung("none", FAIL, "no CI runs tests",
             "No CI runs tests: add a workflow (GitHub Actions, GitLab CI) that runs pytest on every change."),
    ),
    _ci_runs_tests)

ownerless = findings_check("R-OWN-05", "Findings: ownerless pipelines", "ownership_testing", ("ownerless-pipeline",))
code_health = findings_check("R-OWN-06", "Findings: dead code, unused features, undocumented hacks, complexity",
                             "ownership_testing", ("dead-code", "unused-feature", "undocumented-hack", "complexity", "parse-error"))
docs_match = findings_check("R-OWN-07", "Documentation matches the code", "ownership_testing", ("stale-doc",))

CHECKS = (codeowners_coverage, tests_present, behaviour_tests, ci_runs_tests, ownerless, code_health, docs_match)
