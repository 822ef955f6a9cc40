"""Pipelines defined in configuration, kind by kind: DVC stages, GitHub Actions, GitLab CI and Azure
Pipelines that schedule, deploy or retrain, Azure ML pipeline jobs, cron files, Makefile targets
that train or deploy, Cloud Build, Jenkins, Argo and Kubernetes manifests, Databricks bundles and
jobs. Each kind is a pair in ``_CONFIG_READERS``: how a file of that kind is recognised, and the
pipeline it defines (with the owners it names, if any). Python pipelines and owners are in
``auditor.analysis.pipelines``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auditor.analysis.pipeline_code import OWNER_KEYS, TAG_OWNER
from auditor.ml.training import RETRAIN_STEP

if TYPE_CHECKING:
    from auditor.model.project import Project

LABEL = {"airflow": "Airflow", "prefect": "Prefect", "dagster": "Dagster", "kubeflow": "Kubeflow",
         "vertex": "Vertex AI", "tfx": "TFX", "zenml": "ZenML", "metaflow": "Metaflow", "kedro": "Kedro", "luigi": "Luigi",
         "dvc": "DVC", "github-actions": "GitHub Actions", "gitlab-ci": "GitLab CI", "azure-pipelines": "Azure Pipelines",
         "cron": "cron", "make": "Makefile", "cloud-build": "Cloud Build", "jenkins": "Jenkins", "argo": "Argo",
         "kubernetes": "Kubernetes", "databricks": "Databricks", "sagemaker": "SageMaker", "azure-ml": "Azure ML"}


# -- pipelines defined in configuration ------------------------------------------------------------

@dataclass
class Pipeline:
    path: str
    line: int | None
    framework: str  # airflow, dvc, github-actions, ...
    kind: str
    name: str
    owners: list[str] = field(default_factory=list)  # named by the pipeline itself
    known: bool = True  # False when owner fields exist but could not be read (imported default_args)
    others: int = 0  # further definitions in the same file

    @property
    def label(self) -> str:
        label = f"{LABEL.get(self.framework, self.framework)} {self.kind}"
        return label if self.name in ("", self.kind) else f"{label} '{self.name}'"


_CRON_LINE = re.compile(r"^\s*(@(reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)|"
                        r"([\d*/,-]+\s+){4}[\d*/,A-Za-z-]+)\s+\S")
_MAKE_TARGET = re.compile(r"^(?P<target>[A-Za-z0-9_.-]*(?:train|deploy|retrain|promote)[A-Za-z0-9_.-]*)\s*:(?!=)",
                          re.I | re.M)


# "deploy" as a command word, not a folder name ("anyscale jobs submit deploy/jobs/x.yaml").
_DEPLOY_COMMAND = re.compile(r"(?<![/\w.-])(deploy|rollout)(?![/\w.-])|kubectl apply|helm (upgrade|install)", re.I)
_DOCS_JOB = re.compile(r"\bdocs?\b|documentation|gh-deploy|gh-pages|\bpages\b|mkdocs|sphinx", re.I)


# Scheduled repository housekeeping (stale-issue bots, link checkers, labelers, CLA and security
# scans): it produces no data and serves no model, so it is not a pipeline anyone needs to own.
_HOUSEKEEPING = re.compile(r"\bstale\b|broken.?links?|links?.?check|check.?links?|\blinks\b|lychee|"
                           r"\blabel(l)?er\b|greet|welcome|lock.?threads|\bcla\b|codeql|scorecard|dependabot",
                           re.I)


def _is_housekeeping(data: dict) -> bool:
    jobs = data.get("jobs")
    if not isinstance(jobs, dict) or not jobs:
        return False

    def job_text(job_id, job) -> str:
        steps = job.get("steps") if isinstance(job, dict) and isinstance(job.get("steps"), list) else []
        uses = " ".join(str(step.get("uses", "")) for step in steps if isinstance(step, dict))
        return f"{job_id} {job.get('name', '') if isinstance(job, dict) else ''} {uses}"

    named = _HOUSEKEEPING.search(str(data.get("name", "")))
    return all(named or _HOUSEKEEPING.search(job_text(job_id, job)) for job_id, job in jobs.items())


def _workflow(file) -> Pipeline | None:
    data = file.data
    on = data.get("on", data.get(True))
    if isinstance(on, dict) and on.get("schedule"):
        if _is_housekeeping(data):
            return None
        return Pipeline(file.path, file.line_of("on", "schedule"), "github-actions", "scheduled workflow",
                        str(data.get("name") or file.name))
    jobs = data.get("jobs")
    for job_id, job in (jobs.items() if isinstance(jobs, dict) else []):
        if not isinstance(job, dict):
            continue
        title = f"{job_id} {job.get('name', '')}".lower()
        steps = job.get("steps") if isinstance(job.get("steps"), list) else []
        commands = " ".join(str(step.get("run", "")) for step in steps if isinstance(step, dict))
        if _DOCS_JOB.search(title) or _DOCS_JOB.search(commands):
            continue  # publishing documentation is not a model pipeline
        if "deploy" in title or job.get("environment") or _DEPLOY_COMMAND.search(commands):
            return Pipeline(file.path, file.line_of("jobs", job_id), "github-actions", "deploy workflow",
                            str(data.get("name") or file.name))
        if RETRAIN_STEP.search(commands):  # a CML or DVC workflow that trains on every push
            return Pipeline(file.path, file.line_of("jobs", job_id), "github-actions", "training workflow",
                            str(data.get("name") or file.name))
    return None



def _gitlab(file) -> Pipeline | None:
    for job_id, job in file.data.items():
        if not isinstance(job, dict) or str(job_id).startswith(".") or not ("script" in job or "trigger" in job):
            continue
        scheduled = "schedule" in str(job.get("rules", "")) or "schedule" in str(job.get("only", ""))
        deploying = job.get("stage") == "deploy" or "deploy" in str(job_id).lower() or "environment" in job
        if scheduled or deploying:
            return Pipeline(file.path, file.line_of(job_id), "gitlab-ci",
                            "scheduled job" if scheduled else "deploy job", str(job_id))
    return None


def _azure(file) -> Pipeline | None:
    """Azure Pipelines: scheduled, with deployment jobs, or with a stage or job that deploys or trains
    (by its name, an `az ml` command, or an Azure ML job, endpoint or deployment file passed to a step
    template)."""
    data = file.data
    if data.get("schedules"):
        return Pipeline(file.path, file.line_of("schedules"), "azure-pipelines", "scheduled pipeline", file.name)
    if "'deployment':" in str(data):
        line = next((n for n, t in enumerate(file.lines(), 1) if re.match(r"\s*-?\s*deployment\s*:", t)), None)
        return Pipeline(file.path, line, "azure-pipelines", "deployment", file.name)
    for name, unit in _azure_units(data):
        text = str(unit)
        if _AZURE_DEPLOY.search(text) or _AZURE_DEPLOY_NAME.search(name):
            kind = "deploy pipeline"
        elif _AZURE_TRAIN.search(text) or RETRAIN_STEP.search(text) or _AZURE_TRAIN_NAME.search(name):
            kind = "training pipeline"
        else:
            continue
        line = next((n for n, t in enumerate(file.lines(), 1) if re.match(rf"\s*-?\s*(stage|job)\s*:\s*{re.escape(name)}\s*$", t)),
                    None)
        return Pipeline(file.path, line, "azure-pipelines", kind, name)
    return None


# What an Azure Pipelines stage or job does, read from its steps and its name.
_AZURE_DEPLOY = re.compile(r"az\s+ml\s+(online|batch)-(deployment|endpoint)|'(deployment|endpoint)_file'", re.I)
_AZURE_TRAIN = re.compile(r"az\s+ml\s+job\s+create|'pipeline_file'", re.I)
_AZURE_DEPLOY_NAME = re.compile(r"deploy|release|rollout", re.I)
_AZURE_TRAIN_NAME = re.compile(r"(re)?train", re.I)


def _azure_units(data: dict) -> Iterator[tuple[str, dict]]:
    """(name, definition) of each stage and job of an Azure Pipelines definition."""
    for stage in data.get("stages") or []:
        if isinstance(stage, dict):
            yield str(stage.get("stage", "")), stage
            for job in stage.get("jobs") or []:
                if isinstance(job, dict):
                    yield str(job.get("job", job.get("deployment", ""))), job
    for job in data.get("jobs") or []:
        if isinstance(job, dict):
            yield str(job.get("job", job.get("deployment", ""))), job


def _azureml_job(file) -> Pipeline | None:
    """An Azure ML pipeline job (`type: pipeline` with `jobs:`). Owners: `tags` such as `owner`."""
    jobs = file.data.get("jobs")
    trains = any(_AZURE_TRAIN_NAME.search(str(name)) for name in jobs)
    tags = file.data.get("tags") if isinstance(file.data.get("tags"), dict) else {}
    owners = [str(value) for key, value in tags.items() if str(key).lower() in OWNER_KEYS and value]
    return Pipeline(file.path, file.line_of("jobs"), "azure-ml", "training pipeline" if trains else "pipeline",
                    str(file.data.get("experiment_name") or file.data.get("display_name") or file.name), owners=owners)


def _dvc_stages(file) -> Pipeline:
    stages = list(file.data["stages"])
    return Pipeline(file.path, file.line_of("stages"), "dvc", "pipeline",
                    f"{file.path} (stages {', '.join(map(str, stages[:5]))})")


def _crontab(file) -> Pipeline | None:
    line = next((n for n, t in enumerate(file.lines(), 1) if _CRON_LINE.match(t)), None)
    return Pipeline(file.path, line, "cron", "schedule", file.name) if line else None


def _make_targets(file) -> Pipeline | None:
    """The first Makefile target that trains or deploys (by its name, or a recipe that deploys
    through a cloud CLI: ``gcloud run deploy``, ``az ml online-deployment``, ``kubectl apply``);
    the others are counted."""
    text = file.text or ""
    found = {m.start(): m.group("target") for m in _MAKE_TARGET.finditer(text) if not m.group("target").startswith(".")}
    for match in _ANY_TARGET.finditer(text):
        if match.start() not in found and _CLOUD_DEPLOY.search(match.group("recipe")):
            found[match.start()] = match.group("target")
    if not found:
        return None
    first = min(found)
    return Pipeline(file.path, text[:first].count("\n") + 1, "make", "target", found[first], others=len(found) - 1)


_ANY_TARGET = re.compile(r"^(?P<target>[A-Za-z0-9_.-]+)\s*:(?!=)[^\n]*\n(?P<recipe>(?:\t[^\n]*\n?)*)", re.M)


# A deploy through a cloud CLI, by its exact commands: stricter than _DEPLOY_COMMAND's word "deploy",
# because a Makefile recipe or a Cloud Build step is read without a job name to confirm it.
_CLOUD_DEPLOY = re.compile(r"\b(gcloud\s+(run|functions|app|ai|ai-platform|beta\s+run)\b[^\n]*\b(deploy|create|"
                           r"deploy-model)\b|gke-deploy|kubectl\s+(apply|rollout|set\s+image)|helm\s+(upgrade|install)|"
                           r"az\s+ml\s+(online-deployment|online-endpoint|batch-deployment|job)\b|"
                           r"aws\s+sagemaker\s+(create|update)-endpoint|aws\s+ecs\s+update-service)")


def _cloud_build(file) -> Pipeline | None:
    """Google Cloud Build: a config whose steps deploy (gcloud run/ai/functions deploy, kubectl,
    helm). Owners: ``tags: [owner:team-x]``."""
    steps = file.data.get("steps") if isinstance(file.data.get("steps"), list) else []
    commands = "\n".join(" ".join([str(step.get("name", "")).rsplit("/", 1)[-1], str(step.get("entrypoint", "")),
                                    *map(str, step.get("args") or []), str(step.get("script", ""))])
                          for step in steps if isinstance(step, dict))  # a step's image runs its args
    deploys, trains = _CLOUD_DEPLOY.search(commands), RETRAIN_STEP.search(commands)
    if not deploys and not trains:
        return None
    owners = [m.group("who") for tag in file.data.get("tags") or [] if (m := TAG_OWNER.match(str(tag)))]
    return Pipeline(file.path, file.line_of("steps"), "cloud-build", "deploy pipeline" if deploys else "training pipeline",
                    file.name, owners=owners)



def _jenkinsfile(file) -> Pipeline | None:
    """A Jenkins pipeline with a cron trigger or a deploy stage."""
    text = file.text or ""
    cron = re.search(r"\b(cron|pollSCM)\s*\(", text)
    deploy = re.search(r"stage\s*\(\s*['\"][^'\"]*deploy", text, re.I)
    found = cron or deploy
    if not found:
        return None
    return Pipeline(file.path, text[:found.start()].count("\n") + 1, "jenkins",
                    "scheduled pipeline" if cron else "deploy pipeline", file.name)


_ARGO_KINDS = {"Workflow": "workflow", "CronWorkflow": "scheduled workflow", "WorkflowTemplate": "workflow template",
               "ClusterWorkflowTemplate": "workflow template"}


def _manifests(file) -> Pipeline | None:
    """Argo Workflows (Workflow, CronWorkflow, WorkflowTemplate) and Kubernetes CronJobs in a YAML
    manifest (one document or several). Owners: ``metadata.labels`` or ``annotations`` such as
    ``owner``, ``team``, ``maintainer``."""
    documents = file.data if isinstance(file.data, list) else [file.data]
    for index, doc in enumerate(documents):
        if not isinstance(doc, dict):
            continue
        api, kind = str(doc.get("apiVersion", "")), str(doc.get("kind", ""))
        if api.startswith("argoproj.io/") and kind in _ARGO_KINDS:
            framework, label = "argo", _ARGO_KINDS[kind]
        elif api.startswith("batch/") and kind == "CronJob":
            framework, label = "kubernetes", "CronJob"
        else:
            continue
        metadata = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        owners = [str(v) for key in ("labels", "annotations") for k, v in (metadata.get(key) or {}).items()
                  if str(k).rsplit("/", 1)[-1].lower() in OWNER_KEYS]
        name = str(metadata.get("name") or metadata.get("generateName") or file.name)
        line = file.line_of("kind") if index == 0 else None
        return Pipeline(file.path, line, framework, label, name, owners=owners, others=len(documents) - index - 1)
    return None


def _databricks_bundle(file) -> Pipeline | None:
    """A Databricks asset bundle's jobs. Owners: each job's ``permissions`` at IS_OWNER or
    CAN_MANAGE (``user_name``, ``group_name``, ``service_principal_name``)."""
    resources = file.data.get("resources") if isinstance(file.data.get("resources"), dict) else {}
    jobs = resources.get("jobs") if isinstance(resources.get("jobs"), dict) else {}
    if not jobs:
        return None
    first_id, first = next(iter(jobs.items()))
    owners = [str(p.get(k)) for job in jobs.values() if isinstance(job, dict) for p in job.get("permissions") or []
              if isinstance(p, dict) and p.get("level") in ("IS_OWNER", "CAN_MANAGE")
              for k in ("group_name", "user_name", "service_principal_name") if p.get(k)]
    return Pipeline(file.path, file.line_of("resources", "jobs", first_id) or file.line_of("jobs"), "databricks", "job",
                    str((first or {}).get("name") or first_id), owners=owners, others=len(jobs) - 1)


def _databricks_job(file) -> Pipeline | None:
    """A Databricks job defined as Jobs API JSON (`databricks jobs create --json @job.json`): tasks
    with a `task_key`, or a legacy single task. Owners: `access_control_list` entries at IS_OWNER or
    CAN_MANAGE."""
    data = file.data
    owners = [str(entry.get(k)) for entry in data.get("access_control_list") or [] if isinstance(entry, dict)
              and entry.get("permission_level") in ("IS_OWNER", "CAN_MANAGE")
              for k in ("group_name", "user_name", "service_principal_name") if entry.get(k)]
    return Pipeline(file.path, file.line_of("tasks") or file.line_of("name"), "databricks", "job",
                    str(data.get("name") or file.name), owners=owners)


def _is_databricks_job(file) -> bool:
    data = file.data
    if not isinstance(data, dict) or file.suffix != ".json":
        return False
    tasks = data.get("tasks")
    keyed = isinstance(tasks, list) and any(isinstance(t, dict) and "task_key" in t for t in tasks)
    legacy = any(key in data for key in ("notebook_task", "spark_python_task", "spark_jar_task", "python_wheel_task"))
    return keyed or legacy


def _is_cloud_build(file) -> bool:
    return isinstance(file.data, dict) and re.match(r"^(.*[-_.])?cloudbuild([-_.].*)?\.ya?ml$", file.name.lower()) is not None


def _is_jenkinsfile(file) -> bool:
    return file.name == "Jenkinsfile" or file.name.startswith("Jenkinsfile.")


def _is_manifest(file) -> bool:
    return file.suffix in (".yml", ".yaml") and isinstance(file.data, (dict, list)) and \
        "apiVersion" in (file.text or "")[:20000]


def _is_databricks_bundle(file) -> bool:
    return isinstance(file.data, dict) and file.name.lower() in ("databricks.yml", "databricks.yaml") or \
        isinstance(file.data, dict) and file.path.startswith("resources/") and "jobs" in str(file.data.get("resources", ""))[:50]


def _is_dvc_pipeline(file) -> bool:
    data = file.data
    return file.name.lower() == "dvc.yaml" and isinstance(data, dict) and isinstance(data.get("stages"), dict) \
        and bool(data["stages"])


def _is_workflow(file) -> bool:
    return isinstance(file.data, dict) and file.path.startswith(".github/workflows/") and \
        file.suffix in (".yml", ".yaml")


def _is_gitlab_ci(file) -> bool:
    return isinstance(file.data, dict) and file.name.lower() in (".gitlab-ci.yml", ".gitlab-ci.yaml")


def is_azure_pipeline(file) -> bool:
    """By its name or folder, or by Azure Pipelines' schema anywhere (`mlops/devops-pipelines/*.yml`):
    an agent pool or a trigger, with stages, jobs or steps; a step template (steps alone) is not a
    pipeline, and GitHub and GitLab files are read by their own readers."""
    data = file.data
    if not isinstance(data, dict) or file.suffix not in (".yml", ".yaml"):
        return False
    if file.name.lower() in ("azure-pipelines.yml", "azure-pipelines.yaml") or \
            file.path.startswith((".azure-pipelines/", ".pipelines/")):
        return True
    return not file.path.startswith((".github/", ".gitlab/")) and "on" not in data and True not in data and \
        bool({"pool", "trigger", "pr", "schedules"} & set(data)) and bool({"stages", "jobs", "steps"} & set(data))


def _is_azureml_job(file) -> bool:
    data = file.data
    return isinstance(data, dict) and data.get("type") == "pipeline" and isinstance(data.get("jobs"), dict) and \
        bool(data["jobs"]) and ("azureml" in str(data.get("$schema", "")) or "settings" in data)


def _is_crontab(file) -> bool:
    return file.kind == "build" and (file.name.lower() == "crontab" or file.suffix == ".cron")


def _is_makefile(file) -> bool:
    return file.kind == "build" and (file.name.lower() in ("makefile", "gnumakefile") or file.suffix == ".mk")


# (is this file of the kind, the pipeline it defines or None); the first kind that fits decides.
_CONFIG_READERS = (
    (_is_dvc_pipeline, _dvc_stages),
    (_is_workflow, _workflow),
    (_is_gitlab_ci, _gitlab),
    (is_azure_pipeline, _azure),
    (_is_azureml_job, _azureml_job),
    (_is_crontab, _crontab),
    (_is_makefile, _make_targets),
    (_is_cloud_build, _cloud_build),
    (_is_jenkinsfile, _jenkinsfile),
    (_is_databricks_bundle, _databricks_bundle),
    (_is_databricks_job, _databricks_job),
    (_is_manifest, _manifests),
)


def _config_pipeline(file) -> Pipeline | None:
    for is_kind, read in _CONFIG_READERS:
        if is_kind(file):
            return read(file)
    return None


def config_pipelines(project: "Project") -> list[Pipeline]:
    found = (_config_pipeline(file) for file in project.files.values())
    return [pipeline for pipeline in found if pipeline is not None]


