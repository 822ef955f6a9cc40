"""Pipelines nobody owns: scheduled and deploying work with no accountable person or team."""

from __future__ import annotations

import posixpath
import time

from auditor.analysis.pipeline_code import extract
from auditor.analysis.pipeline_configs import Pipeline, config_pipelines
from auditor.analysis.pipelines import FACTS, is_team, last_commit_of, owners_for, python_pipelines
from auditor.model.discover import SKIP_DIRS
from auditor.rule import Extractor, Invalid, Option, ProjectRule, Valid

DAY = 86400.0
_DAG = ('from datetime import datetime\nfrom airflow import DAG\n\n'
        'with DAG("export", start_date=datetime(2025, 1, 1), schedule="@daily", default_args={ARGS}) as dag:\n'
        '    pass\n')


class PipelineExtractor(Extractor):
    """Pipeline definitions of a module (DAGs, flows, jobs, assets, ...) and the owners they name."""

    name = FACTS

    def extract(self, module):
        return extract(module)


def _all_pipelines(project) -> list[Pipeline]:
    return python_pipelines(project) + config_pipelines(project)


class OwnerlessPipeline(ProjectRule):
    """A pipeline definition (DAG, flow, job, dvc.yaml, scheduled CI workflow, cron, ...) with no owner.

    Owners come from CODEOWNERS (GitHub and GitLab syntax and locations; the last matching pattern
    wins, GitLab sections combine), OWNERS files in the pipeline's directory or above, and the
    pipeline's own fields (Airflow `owner` / `email` in `default_args` or an operator, Dagster
    `owners=`, tags and labels such as `owner:team-x`). Placeholders (`airflow`, `admin`, `owner`,
    `your_name`, `TODO`, empty) are no owner. Each file is reported once, at its first ownerless
    definition. Detected: Airflow, Prefect, Dagster, Kubeflow, Vertex AI, ZenML, Metaflow, Kedro,
    Luigi, SageMaker Pipelines, dvc.yaml stages, scheduled, deploying or retraining (CML, `dvc repro`)
    GitHub Actions workflows, GitLab CI and Azure Pipelines, crontab files and Makefile targets that
    train or deploy (by name, or through a cloud CLI), and:

    - Cloud Build: a `cloudbuild.yaml` whose steps deploy (`gcloud run deploy`, `gcloud ai ...`,
      kubectl, helm) or run a pipeline or training job (`kfp run`, `dsl-compile`, `tfx run`,
      `gcloud ai custom-jobs create`, `dvc repro`); owners in `tags: [owner:x]`.
    - Jenkins: a `Jenkinsfile` with a `cron`/`pollSCM` trigger or a deploy stage; owners in
      CODEOWNERS or OWNERS.
    - Argo: `apiVersion: argoproj.io/*` of kind Workflow, CronWorkflow or WorkflowTemplate; owners in
      `metadata.labels` or `annotations` (owner, team, maintainer).
    - Kubernetes: `apiVersion: batch/*` of kind CronJob; owners in the same labels and annotations.
    - Databricks: a bundle's `resources.jobs` (`databricks.yml`); owners in `permissions` at
      IS_OWNER or CAN_MANAGE.
    """

    id = "ML501"
    name = "ownerless-pipeline"
    category = "ownerless-pipeline"
    severity = "medium"
    confidence = "high"
    rationale = ("A scheduled pipeline that nobody owns keeps running after its author has moved on: when it "
                 "fails, or silently produces wrong data, no one is paged, no one knows what it feeds, and the "
                 "failure is found weeks later downstream.")
    remediation = ("Add a CODEOWNERS rule for the pipeline's file (a team rather than one person), and name the "
                   "owner in the pipeline itself (Airflow `default_args={'owner': 'team', 'email': [...]}`, "
                   "Dagster `owners=[...]`, tags `owner:team`).")
    examples = (
        Invalid({"dags/export.py": _DAG.replace("{ARGS}", '{"owner": "airflow"}')}, [("dags/export.py", 4)],
                note="the default Airflow owner is a placeholder"),
        Valid({"dags/export.py": _DAG.replace("{ARGS}", '{"owner": "data-platform"}')}),
        Valid({"dags/export.py": _DAG.replace("{ARGS}", '{"owner": "airflow"}'),
               ".github/CODEOWNERS": "/dags/ @acme/data\n"}),
        Valid({"dags/export.py": _DAG.replace("{ARGS}", "ARGS").replace(
            "\n\nwith", '\nARGS = {"owner": "lea", "email": ["lea@acme.io"]}\n\nwith')}),
        Valid({"dags/export.py": _DAG.replace("{ARGS}", "shared.ARGS").replace("from datetime", "import shared\nfrom datetime")},
              note="default_args imported from elsewhere: unknown, not reported"),
        Invalid({"dags/export.py": _DAG.replace("{ARGS}", '{"owner": "airflow", "email": ["airflow@example.com"]}')
                 .replace("    pass", "    t1 = BashOperator(task_id='a', bash_command='x')\n"
                                        "    t2 = BashOperator(task_id='b', bash_command='y')")},
                [("dags/export.py", 4)], note="several tasks, one finding"),
        Valid({"dags/export.py": _DAG.replace("{ARGS}", "{}").replace(
            "    pass", "    BashOperator(task_id='a', bash_command='x', owner='lea')")}),
        Valid({"dags/export.py": _DAG.replace("{ARGS}", '{"owner": "airflow"}'), "dags/OWNERS": "approvers:\n- lea\n"}),
        Invalid({"flows/etl.py": "from prefect import flow\n\n@flow\ndef etl():\n    pass\n\n@flow(name='b')\n"
                                 "def other():\n    pass\n"}, [("flows/etl.py", 4)]),
        Invalid({"assets.py": "from dagster import asset, job\n\n@asset(owners=['team:ml'])\ndef a():\n    pass\n\n"
                              "@asset\ndef b():\n    pass\n"}, [("assets.py", 8)]),
        Valid({"assets.py": "import dagster as dg\n\n@dg.asset(owners=['lea@acme.io'])\ndef a():\n    pass\n"}),
        Valid({"assets.py": "import dagster as dg\n\n@dg.asset(tags={'owner': 'ml-team'})\ndef a():\n    pass\n"}),
        Invalid({"pipe.py": "from kfp import dsl\n\n@dsl.pipeline(name='train')\ndef train():\n    pass\n"},
                [("pipe.py", 4)]),
        Invalid({"src/pipe.py": "from tfx.orchestration import pipeline\n\ndef create_pipeline(root):\n"
                                "    return pipeline.Pipeline(pipeline_name='train', pipeline_root=root)\n"},
                [("src/pipe.py", 4)], note="TFX, as run on Vertex AI (mlops-with-vertex-ai)"),
        Invalid({"flow.py": "from metaflow import FlowSpec, step\n\nclass Train(FlowSpec):\n    pass\n"},
                [("flow.py", 3)]),
        Invalid({"tasks.py": "import luigi\n\nclass Train(luigi.Task):\n    pass\n"}, [("tasks.py", 3)]),
        Invalid({"p.py": "from zenml import pipeline\n\n@pipeline\ndef training():\n    pass\n"}, [("p.py", 4)]),
        Invalid({"src/pipelines/train/pipeline.py": "from kedro.pipeline import Pipeline, node, pipeline\n\n"
                                                    "def create_pipeline(**kwargs):\n    return pipeline([])\n"},
                [("src/pipelines/train/pipeline.py", 4)]),
        Invalid({"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n"}, [("dvc.yaml", 1)]),
        Valid({"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n", "CODEOWNERS": "* @acme/ml\n"}),
        Invalid({".github/workflows/retrain.yml": "on:\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n  r:\n"
                                                  "    runs-on: ubuntu-latest\n"},
                [(".github/workflows/retrain.yml", 2)]),
        Valid({".github/workflows/ci.yml": "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"},
              note="a test workflow is not a pipeline"),
        Invalid({".github/workflows/serve.yaml": "on:\n  push:\n    branches: [main]\njobs:\n  serve:\n    steps:\n"
                                                 "      - run: anyscale service rollout -f deploy/serve.yaml\n"},
                [(".github/workflows/serve.yaml", 5)], note="deploys by a command (Made-With-ML)"),
        Valid({".github/workflows/docs.yml": "on:\n  push:\njobs:\n  deploy-docs:\n    steps:\n"
                                             "      - run: mkdocs gh-deploy --force\n"},
              note="publishing documentation is not a model pipeline"),
        Valid({".github/workflows/workloads.yaml": "on:\n  pull_request:\njobs:\n  workloads:\n    steps:\n"
                                                   "      - run: anyscale jobs submit deploy/jobs/workloads.yaml\n"},
              note="'deploy' is only a folder name here (Made-With-ML false positive)"),
        Valid({".github/workflows/stale.yml": "name: Close stale issues\non:\n  schedule:\n    - cron: '0 0 * * *'\n"
                                              "jobs:\n  stale:\n    steps:\n      - uses: actions/stale@v9\n"},
              note="a stale-issue bot is repository housekeeping, not a pipeline (yolov5 false positive)"),
        Invalid({".github/workflows/nightly.yml": "name: Nightly\non:\n  schedule:\n    - cron: '0 0 * * *'\njobs:\n"
                                                "  stale:\n    steps:\n      - uses: actions/stale@v9\n"
                                                "  retrain:\n    steps:\n      - run: python train.py\n"},
                [(".github/workflows/nightly.yml", 3)], note="one job of the schedule retrains a model"),
        Valid({".github/workflows/retrain.yml": "on:\n  schedule:\n    - cron: '0 3 * * 1'\n",
               ".github/CODEOWNERS": "/.github/ @acme/devops\n"}),
        Invalid({".gitlab-ci.yml": "stages: [test, deploy]\ntest:\n  script: pytest\ndeploy_model:\n  stage: deploy\n"
                                   "  script: ./deploy.sh\n"}, [(".gitlab-ci.yml", 4)]),
        Invalid({"azure-pipelines.yml": "schedules:\n- cron: '0 0 * * *'\n  branches:\n    include: [main]\n"},
                [("azure-pipelines.yml", 1)]),
        Invalid({"mlops/devops-pipelines/deploy-endpoint.yml":
                 "trigger:\n- none\npool:\n  vmImage: ubuntu-22.04\nstages:\n- stage: CreateEndpoint\n  jobs:\n"
                 "  - job: DeployOnlineEndpoint\n    steps:\n    - template: templates/create-deployment.yml\n"
                 "      parameters:\n        deployment_file: deploy/online-deployment.yml\n"},
                [("mlops/devops-pipelines/deploy-endpoint.yml", 6)],
                note="an Azure Pipelines definition found by its schema, outside azure-pipelines.yml"),
        Valid({"mlops/devops-pipelines/unit-tests.yml": "trigger:\n  paths:\n    include: [src/*]\npool:\n"
                                                        "  vmImage: ubuntu-22.04\nstages:\n- stage: UnitTest\n  jobs:\n"
                                                        "  - job: RunUnitTests\n    steps:\n    - script: pytest\n"},
              note="an Azure pipeline that runs the tests is not a pipeline to own"),
        Valid({"templates/create-deployment.yml": "parameters:\n- name: deployment_file\nsteps:\n"
                                                  "- script: az ml online-deployment create -f ${{ parameters.deployment_file }}\n"},
              note="a step template is part of the pipelines that use it"),
        Invalid({"mlops/azureml/train/pipeline.yml": "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\n"
                                                     "type: pipeline\nexperiment_name: fare\njobs:\n  train_model:\n"
                                                     "    type: command\n"},
                [("mlops/azureml/train/pipeline.yml", 4)], note="an Azure ML pipeline job"),
        Valid({"mlops/azureml/train/pipeline.yml": "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\n"
                                                   "type: pipeline\ntags:\n  owner: ml-platform\njobs:\n  train_model:\n"
                                                   "    type: command\n"}),
        Valid({".gitlab-ci.yml": "stages: [test]\ntest:\n  script: pytest\nlint:\n  script: ruff check .\n"},
              note="GitLab jobs that test and lint are not pipelines to own"),
        Invalid({"ops/crontab": "# m h dom mon dow command\n0 2 * * * python /app/retrain.py\n"}, [("ops/crontab", 2)]),
        Valid({"ops/crontab": "# m h dom mon dow command\n0 2 * * * python /app/retrain.py\n",
               "CODEOWNERS": "/ops/ @acme/ml-platform\n"}),
        Invalid({"Makefile": "install:\n\tpip install -e .\n\ntrain:\n\tpython train.py\n\ndeploy: train\n\t./ship\n"},
                [("Makefile", 4)]),
        Valid({"Makefile": "install:\n\tpip install -e .\ntest:\n\tpytest\n"}),
        Valid({"CODEOWNERS": "[ML] @acme/ml\n/pipelines/\n", "pipelines/p.py":
               "from prefect import flow\n\n@flow\ndef etl():\n    pass\n"},
              note="GitLab section default owners"),
        Valid("def DAG(*a, **k):\n    pass\n\nd = DAG('not airflow')\n", note="not Airflow's DAG"),
        Invalid({"cloudbuild.yaml": "steps:\n- name: gcr.io/cloud-builders/gcloud\n  args: ['run', 'deploy', 'scorer']\n"},
                [("cloudbuild.yaml", 1)]),
        Valid({"cloudbuild.yaml": "steps:\n- name: gcr.io/cloud-builders/gcloud\n  args: ['run', 'deploy', 'scorer']\n"
                                  "tags: ['owner:ml-platform']\n"}),
        Valid({"cloudbuild.yaml": "steps:\n- name: gcr.io/cloud-builders/docker\n  args: ['build', '-t', 'x', '.']\n"},
              note="a build that deploys nothing is not a pipeline"),
        Invalid({"Jenkinsfile": "pipeline {\n  agent any\n  triggers { cron('H 2 * * *') }\n  stages {\n"
                                "    stage('Retrain') { steps { sh 'python train.py' } }\n  }\n}\n"}, [("Jenkinsfile", 3)]),
        Valid({"Jenkinsfile": "pipeline {\n  agent any\n  stages {\n    stage('Test') { steps { sh 'pytest' } }\n  }\n}\n"},
              note="a Jenkins pipeline with no schedule and no deploy stage is CI"),
        Invalid({"k8s/retrain.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: retrain\n"
                                     "spec:\n  schedule: '0 3 * * *'\n"}, [("k8s/retrain.yaml", 2)]),
        Valid({"k8s/retrain.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: retrain\n"
                                   "  labels:\n    team: ml-platform\nspec:\n  schedule: '0 3 * * *'\n"}),
        Invalid({"deploy/export.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n"
                                       "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: export-scores\n"},
                [("deploy/export.yaml", None)], note="a CronJob in a multi-document manifest"),
        Valid({"deploy/export.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: export-scores\n"
                                     "  labels:\n    owner: ml-platform\n"}),
        Invalid({"databricks.yml": "bundle:\n  name: churn\nresources:\n  jobs:\n    nightly_train:\n"
                                   "      name: nightly-train\n"}, [("databricks.yml", 5)]),
        Valid({"databricks.yml": "bundle:\n  name: churn\nresources:\n  jobs:\n    nightly_train:\n"
                                 "      name: nightly-train\n      permissions:\n        - level: CAN_MANAGE\n"
                                 "          group_name: ml-platform\n"}),
        Invalid({"jobs/nightly_train.json": '{\n  "name": "nightly-train",\n  "schedule": {"quartz_cron_expression": '
                                            '"0 0 3 * * ?"},\n  "tasks": [\n    {"task_key": "train", "notebook_task": '
                                            '{"notebook_path": "/Repos/ml/train"}}\n  ]\n}\n'},
                [("jobs/nightly_train.json", 4)], note="a Databricks job as Jobs API JSON"),
        Valid({"jobs/nightly_train.json": '{\n  "name": "nightly-train",\n  "tasks": [{"task_key": "train"}],\n'
                                          '  "access_control_list": [{"group_name": "ml-platform", '
                                          '"permission_level": "CAN_MANAGE"}]\n}\n'}),
        Invalid({".github/workflows/cml.yaml": "name: train\non: [push]\njobs:\n  train:\n    steps:\n"
                                               "      - uses: iterative/setup-cml@v2\n      - run: |\n"
                                               "          dvc repro\n          cml comment create report.md\n"},
                [(".github/workflows/cml.yaml", 4)], note="a CML workflow that retrains on every push"),
        Valid({".github/workflows/cml.yaml": "name: report\non: pull_request\njobs:\n  run:\n    steps:\n"
                                             "      - run: |\n          dvc pull eval\n          dvc plots diff main\n"
                                             "          cml comment create report.md\n"},
              note="a CML workflow that only reports metrics (example-get-started) trains nothing"),
        Invalid({"Makefile": "build:\n\tdocker build -t scorer .\n\nship:\n\tgcloud run deploy scorer --image x\n"},
                [("Makefile", 4)], note="a target that deploys through a cloud CLI, whatever its name"),
        Invalid("from sagemaker.workflow.pipeline import Pipeline\n\npipeline = Pipeline(name='churn-train', steps=[])\n",
                expect=[3]),
        Valid({"pipelines/churn.py": "from sagemaker.workflow.pipeline import Pipeline\n\n"
                                     "pipeline = Pipeline(name='churn-train', steps=[])\n",
               ".github/CODEOWNERS": "/pipelines/ @acme/ml-platform\n"}),
        Valid({"pkg_tests/test_jobs.py": "from dagster import define_asset_job\n\n\ndef test_backfill():\n"
                                         "    job = define_asset_job('backfill_check', selection=['orders'])\n"
                                         "    assert job.name == 'backfill_check'\n"},
              note="a job that a test builds and runs in process is the test's fixture (hooli false positive)"),
    )

    def check(self, project):
        for pipeline in _all_pipelines(project):
            if not pipeline.known:
                continue
            ownership = owners_for(project, pipeline)
            if ownership.owners:
                continue
            if ownership.placeholders:
                why = f"its owner {', '.join(repr(p) for p in sorted(set(ownership.placeholders)))} is a placeholder"
            else:
                why = "it names no owner"
            if project.codeowners.path:
                cover = f"no CODEOWNERS rule or OWNERS file covers {pipeline.path}"
            else:
                cover = "the repository has no CODEOWNERS file and no OWNERS file covers it"
            more = f" (and {pipeline.others} more definition(s) in this file)" if pipeline.others else ""
            yield self.finding(
                pipeline.path, pipeline.line,
                f"{pipeline.label} has no owner: {why}, and {cover}{more}",
                anchor=f"ownerless {pipeline.framework} {pipeline.name}",
                confidence="medium" if pipeline.framework in ("make", "cron") else None,
                evidence={"framework": pipeline.framework, "kind": pipeline.kind, "name": pipeline.name,
                          "placeholder_owners": sorted(set(ownership.placeholders)),
                          "codeowners": project.codeowners.path, "other_definitions": pipeline.others})


class InactivePipelineOwner(ProjectRule):
    """A pipeline owned only by individuals who have not committed to the repository for a long time.

    Teams (`@org/team`) always count as active. An individual owner (CODEOWNERS `@handle` or email,
    OWNERS entry, Airflow `owner`) is matched to git authors by email, by an email's local part or
    by a name written without spaces; an owner that matches no author is not judged. Inactivity is
    measured from the owners' last commit to the repository's last commit, not to today.
    """

    id = "ML502"
    name = "inactive-pipeline-owner"
    category = "ownerless-pipeline"
    severity = "low"
    confidence = "medium"
    options = {"inactive-owner-days": Option(int, 180, "an owner whose last commit is older than this is inactive")}
    rationale = ("A bus factor of one person who has left is an ownerless pipeline with a name on it: alerts "
                 "and reviews go to someone who will not answer.")
    remediation = "Make a team the owner in CODEOWNERS, or add an active maintainer next to the current owner."
    _flow = "from prefect import flow\n\n@flow\ndef etl():\n    pass\n"
    examples = (
        Invalid({"CODEOWNERS": "/flows/ @dana\n", "flows/etl.py": _flow, "src/x.py": "x = 1\n"},
                [("flows/etl.py", 4)], git={"CODEOWNERS": 400, "flows/etl.py": 400, "src/x.py": 3},
                authors={"src/x.py": "Eve Active <eve@example.com>"},
                note="@dana (dana@example.com) last committed 397 days before the repository's last commit (Eve's)"),
        Valid({"CODEOWNERS": "/flows/ @dana\n", "flows/etl.py": _flow}, git={"CODEOWNERS": 400, "flows/etl.py": 400},
              note="a repository nobody has touched for 400 days does not make its owners inactive: "
                   "inactivity is measured against its last commit, not today"),
        Valid({"CODEOWNERS": "/flows/ @acme/data\n", "flows/etl.py": _flow},
              git={"CODEOWNERS": 400, "flows/etl.py": 400}),
        Valid({"CODEOWNERS": "/flows/ @ghost\n", "flows/etl.py": _flow},
              git={"CODEOWNERS": 400, "flows/etl.py": 400}, note="@ghost matches no author: not judged"),
        Valid({"CODEOWNERS": "/flows/ @dana\n", "flows/etl.py": _flow, "src/x.py": "x = 1\n"},
              git={"CODEOWNERS": 400, "flows/etl.py": 400, "src/x.py": 3}, note="Dana is active"),
    )

    def check(self, project):
        if not project.git.available:
            return
        limit = self.settings["inactive-owner-days"]
        # Against the repository's last commit, not today: an archived repository is not proof that
        # its owners left, only that nobody needed to change it.
        latest = [when for _, when in project.git.author_emails.values()]
        reference = max(latest) if latest else project.now
        for pipeline in _all_pipelines(project):
            ownership = owners_for(project, pipeline)
            if not ownership.owners or any(is_team(o) for o in ownership.owners):
                continue
            last = {o: last_commit_of(project, o) for o in ownership.owners}
            if any(when is None for when in last.values()):
                continue
            newest = max(last.values())
            days = (reference - newest) / DAY
            if days <= limit:
                continue
            yield self.finding(
                pipeline.path, pipeline.line,
                f"{pipeline.label} is owned only by {', '.join(dict.fromkeys(ownership.owners))}, whose last commit was "
                f"{int(days)} days before the repository's last commit",
                anchor=f"inactive-owner {pipeline.framework} {pipeline.name}",
                evidence={"owners": {o: time.strftime("%Y-%m-%d", time.gmtime(w)) for o, w in last.items()},
                          "sources": ownership.sources, "inactive_days": int(days), "threshold_days": limit})


class UnmatchedCodeownersPattern(ProjectRule):
    """A CODEOWNERS pattern that matches no file in the repository.

    Usually a directory that was moved or deleted: the ownership it declared silently vanished
    (and the files that moved are now owned by whatever broader rule matches them). Patterns for
    paths the scan does not see (excluded in the configuration, build output, virtual
    environments) are not reported.
    """

    id = "ML503"
    name = "unmatched-codeowners-pattern"
    category = "ownerless-pipeline"
    severity = "low"
    confidence = "high"
    rationale = ("Ownership that points at nothing gives false comfort: the team believes the code is owned, "
                 "while the files it meant live elsewhere with no owner or the wrong one.")
    remediation = "Update the pattern to the files' new location, or delete the line."
    examples = (
        Invalid({".github/CODEOWNERS": "/src/ @acme/ml\n/notebooks/legacy/ @former-intern\n", "src/a.py": "x = 1\n"},
                [(".github/CODEOWNERS", 2)]),
        Valid({"CODEOWNERS": "* @acme/all\n*.py @acme/py\n/src/ @acme/ml\ndocs/ @acme/docs\n",
               "src/a.py": "x = 1\n", "pkg/docs/readme.md": "hi\n"}),
        Valid({"CODEOWNERS": "/build/ @acme/release\n/data/ @acme/data\n", "a.py": "x = 1\n"},
              config={"exclude": ["data/"]}, note="excluded or never-scanned directories"),
        Invalid({".gitlab/CODEOWNERS": "[Docs] @acme/docs\nguides/\n", "a.py": "x = 1\n"}, [(".gitlab/CODEOWNERS", 2)]),
    )

    def check(self, project):
        owners = project.codeowners
        if not owners.path:
            return
        import pathspec  # here: a CODEOWNERS file exists

        excluded = pathspec.GitIgnoreSpec.from_lines(project.config.exclude) if project.config.exclude else None
        paths = list(project.files)
        for rule in owners.rules:
            if any(rule.matches(p) for p in paths):
                continue
            literal = rule.pattern.strip("/").split("*", 1)[0].rstrip("/")
            parts = [p for p in literal.split("/") if p]
            if any(p in SKIP_DIRS or p.endswith(".egg-info") for p in parts):
                continue
            if excluded is not None and literal and (excluded.match_file(literal) or excluded.match_file(literal + "/x")):
                continue
            yield self.finding(
                owners.path, rule.line,
                f"CODEOWNERS pattern {rule.pattern} matches no file; its owners {' '.join(rule.owners) or '(none)'} "
                f"own nothing", anchor=f"unmatched {rule.pattern}",
                evidence={"pattern": rule.pattern, "owners": list(rule.owners)})


class OwnerlessModelFolder(ProjectRule):
    """A folder of model artifacts that the repository's CODEOWNERS file does not cover.

    Judged only where a CODEOWNERS file exists (its authors meant to assign ownership), with the
    semantics GitHub and GitLab use (the last matching line wins; `/*` owns only the root's files).
    One finding per folder, at its first model; test fixtures are left out.
    """

    id = "ML505"
    name = "ownerless-model-folder"
    category = "ownerless-pipeline"
    severity = "low"
    confidence = "high"
    rationale = ("A model nobody owns is a model nobody retrains, reviews or retires: when it drifts, no one "
                 "is asked, and a CODEOWNERS file that covers the code but not the models gives false comfort.")
    remediation = "Add a CODEOWNERS line for the folder (a team, e.g. `/models/ @acme/ml`)."
    _model = b"\x80\x04K\x01."
    examples = (
        Invalid({".github/CODEOWNERS": "/src/ @acme/ml\n/* @acme/leads\n", "src/train.py": "x = 1\n",
                 "models/churn.pkl": _model, "models/churn_v2.pkl": _model},
                [("models/churn.pkl", None)], note="/* owns the root's files only, not the models folder: one "
                                                   "finding for the folder"),
        Valid({".github/CODEOWNERS": "/src/ @acme/ml\n/models/ @acme/ml\n", "src/train.py": "x = 1\n",
               "models/churn.pkl": _model}),
        Valid({"src/train.py": "x = 1\n", "models/churn.pkl": _model},
              note="no CODEOWNERS file: ML501 and the readiness score speak of ownership, not this rule"),
        Valid({".github/CODEOWNERS": "/src/ @acme/ml\n", "tests/fixtures/tiny.pkl": _model}, note="a test fixture"),
    )

    def check(self, project):
        owners = project.codeowners
        if not owners.path:
            return
        by_folder: dict[str, list[str]] = {}
        for artifact in project.artifacts:
            if artifact.model and not artifact.in_tests and not owners.owners_of(artifact.path):
                folder = artifact.path if artifact.is_dir else posixpath.dirname(artifact.path)
                by_folder.setdefault(folder or ".", []).append(artifact.path)
        for folder, models in sorted(by_folder.items()):
            first = sorted(models)[0]
            yield self.finding(first, None, f"{len(models)} model(s) in {folder}/ have no owner: no line of "
                               f"{owners.path} covers them", anchor=f"ownerless models {folder}",
                               evidence={"folder": folder, "models": sorted(models)[:20], "codeowners": owners.path})
