"""Pipeline definitions and their owners.

Python pipelines (Airflow, Prefect, Dagster, Kubeflow/Vertex, ZenML, Metaflow, Kedro, Luigi) are
found per module by ``auditor.analysis.pipeline_code.extract`` and listed by ``python_pipelines``;
configuration pipelines (dvc.yaml stages, scheduled or deploying CI workflows, cron files,
Makefile targets that train or deploy) by ``config_pipelines`` from the repository model. ``owners_for`` combines the owner sources:
CODEOWNERS, OWNERS files and the pipeline's own fields; placeholders are no owner.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auditor.ml.paths import is_test_support_path
from auditor.model.project import load_yaml_documents

if TYPE_CHECKING:
    from auditor.model.project import Project

FACTS = "pipelines"
PLACEHOLDERS = {
    "", "airflow", "admin", "administrator", "owner", "owners", "your_name", "yourname", "your-name",
    "your name", "todo", "tbd", "fixme", "none", "null", "unknown", "user", "default", "me", "someone",
    "name", "team", "example", "changeme", "root", "nobody", "n/a", "na", "xxx", "dagster", "prefect",
}

LABEL = {"airflow": "Airflow", "prefect": "Prefect", "dagster": "Dagster", "kubeflow": "Kubeflow",
         "vertex": "Vertex AI", "tfx": "TFX", "zenml": "ZenML", "metaflow": "Metaflow", "kedro": "Kedro", "luigi": "Luigi",
         "dvc": "DVC", "github-actions": "GitHub Actions", "gitlab-ci": "GitLab CI", "azure-pipelines": "Azure Pipelines",
         "cron": "cron", "make": "Makefile"}


def is_placeholder(owner: str) -> bool:
    value = owner.strip().strip("@").lower()
    if value in PLACEHOLDERS or value.startswith(("your", "<", "{{", "$")):
        return True
    if "@" in value:  # an email: the local part decides ("airflow@example.com")
        local = value.split("@", 1)[0]
        return local in PLACEHOLDERS or local.startswith("your")
    return False


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
    data = file.data
    if data.get("schedules"):
        return Pipeline(file.path, file.line_of("schedules"), "azure-pipelines", "scheduled pipeline", file.name)
    if "'deployment':" in str(data):
        line = next((n for n, t in enumerate(file.lines(), 1) if re.match(r"\s*-?\s*deployment\s*:", t)), None)
        return Pipeline(file.path, line, "azure-pipelines", "deployment", file.name)
    return None


def _dvc_stages(file) -> Pipeline:
    stages = list(file.data["stages"])
    return Pipeline(file.path, file.line_of("stages"), "dvc", "pipeline",
                    f"{file.path} (stages {', '.join(map(str, stages[:5]))})")


def _crontab(file) -> Pipeline | None:
    line = next((n for n, t in enumerate(file.lines(), 1) if _CRON_LINE.match(t)), None)
    return Pipeline(file.path, line, "cron", "schedule", file.name) if line else None


def _make_targets(file) -> Pipeline | None:
    """The first Makefile target that trains or deploys; the others are counted."""
    text = file.text or ""
    targets = [m for m in _MAKE_TARGET.finditer(text) if not m.group("target").startswith(".")]
    if not targets:
        return None
    line = text[: targets[0].start()].count("\n") + 1
    return Pipeline(file.path, line, "make", "target", targets[0].group("target"), others=len(targets) - 1)


def _is_dvc_pipeline(file) -> bool:
    data = file.data
    return file.name.lower() == "dvc.yaml" and isinstance(data, dict) and isinstance(data.get("stages"), dict) \
        and bool(data["stages"])


def _is_workflow(file) -> bool:
    return isinstance(file.data, dict) and file.path.startswith(".github/workflows/") and \
        file.suffix in (".yml", ".yaml")


def _is_gitlab_ci(file) -> bool:
    return isinstance(file.data, dict) and file.name.lower() in (".gitlab-ci.yml", ".gitlab-ci.yaml")


def _is_azure_pipeline(file) -> bool:
    return isinstance(file.data, dict) and (file.name.lower() in ("azure-pipelines.yml", "azure-pipelines.yaml")
                                            or file.path.startswith(".azure-pipelines/"))


def _is_crontab(file) -> bool:
    return file.kind == "build" and (file.name.lower() == "crontab" or file.suffix == ".cron")


def _is_makefile(file) -> bool:
    return file.kind == "build" and (file.name.lower() in ("makefile", "gnumakefile") or file.suffix == ".mk")


# (is this file of the kind, the pipeline it defines or None); the first kind that fits decides.
_CONFIG_READERS = (
    (_is_dvc_pipeline, _dvc_stages),
    (_is_workflow, _workflow),
    (_is_gitlab_ci, _gitlab),
    (_is_azure_pipeline, _azure),
    (_is_crontab, _crontab),
    (_is_makefile, _make_targets),
)


def _config_pipeline(file) -> Pipeline | None:
    for is_kind, read in _CONFIG_READERS:
        if is_kind(file):
            return read(file)
    return None


def config_pipelines(project: "Project") -> list[Pipeline]:
    found = (_config_pipeline(file) for file in project.files.values())
    return [pipeline for pipeline in found if pipeline is not None]


def python_pipelines(project: "Project") -> list[Pipeline]:
    """One entry per module and framework: the first definition (the rest are counted)."""
    found: list[Pipeline] = []
    for path, facts in project.fact(FACTS).items():
        if not isinstance(facts, dict) or is_test_support_path(path):
            continue  # a job a test builds to run in process is the test's fixture, not a pipeline anyone runs
        module_owners = [o for o in facts.get("module_owners", []) if isinstance(o, str)]
        by_framework: dict[str, list[dict]] = {}
        for definition in facts.get("definitions", []):
            by_framework.setdefault(definition.get("framework", "?"), []).append(definition)
        found.extend(_representative(path, framework, definitions, module_owners)
                     for framework, definitions in by_framework.items())
    return found


def _representative(path: str, framework: str, definitions: list[dict], module_owners: list[str]) -> Pipeline:
    """The file's pipeline of one framework: the first definition that names no real owner; if all
    name one, the first one (the owner sources may still be checked for the bus factor)."""
    owned = [d for d in definitions if any(not is_placeholder(o) for o in d.get("owners", []))]
    unknown = [d for d in definitions if not d.get("known", True)]
    lacking = [d for d in definitions if d not in owned]
    first = (lacking or definitions)[0]
    owners = sorted({o for d in definitions for o in d.get("owners", [])}) if not lacking else \
        list(first.get("owners", []))
    if framework == "airflow":
        owners += module_owners
    return Pipeline(path, first.get("line"), framework, first.get("kind", "pipeline"), str(first.get("name", "")),
                    owners, known=not (lacking and unknown), others=len(definitions) - 1)


# -- owners ----------------------------------------------------------------------------------------

@dataclass
class Ownership:
    owners: list[str]  # real owners, from every source
    sources: list[str]  # where they came from ("CODEOWNERS line 4", "default_args", "OWNERS")
    placeholders: list[str]

    def add(self, owners: list[str], source: str) -> None:
        """Owners named by one more source (those not already known)."""
        if owners:
            self.owners.extend(o for o in owners if o not in self.owners)
            self.sources.append(source)


def owners_file_entries(text: str) -> list[str]:
    """People named by an OWNERS file: Kubernetes-style YAML (approvers, reviewers) or plain lines."""
    import yaml  # here: loading the rules should not import PyYAML (a warm scan loads them for one file)

    try:
        documents = load_yaml_documents(text)
        data = documents[0] if documents else None
    except (yaml.YAMLError, ValueError, RecursionError):
        data = None
    if isinstance(data, dict):
        entries = []
        for key in ("approvers", "reviewers", "owners", "maintainers"):
            entries.extend(str(v) for v in data.get(key) or [] if isinstance(v, (str, int)))
        return entries
    entries = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith(("per-file", "set ", "include ", "file:")) and " " not in line:
            entries.append(line)
    return entries


def _owners_files(path: str) -> Iterator[str]:
    """The OWNERS files that may cover ``path``: its directory's, then each parent's up to the root."""
    directory = posixpath.dirname(path)
    while True:
        yield f"{directory}/OWNERS" if directory else "OWNERS"
        if not directory:
            return
        directory = posixpath.dirname(directory)


def owners_for(project: "Project", pipeline: Pipeline) -> Ownership:
    """Owners from the pipeline's own fields, CODEOWNERS and OWNERS files; placeholders apart."""
    ownership = Ownership([], [], [o for o in pipeline.owners if is_placeholder(o)])
    own = [o for o in pipeline.owners if not is_placeholder(o)]
    if own:
        ownership.owners.extend(own)
        ownership.sources.append("the pipeline's owner fields")
    for rule in project.codeowners.matching_rules(pipeline.path):
        ownership.placeholders.extend(o for o in rule.owners if is_placeholder(o))
        ownership.add([o for o in rule.owners if not is_placeholder(o)], f"{project.codeowners.path} line {rule.line}")
    for candidate in _owners_files(pipeline.path):
        file = project.files.get(candidate)
        if file is not None and file.text:
            ownership.add([e for e in owners_file_entries(file.text) if not is_placeholder(e)], candidate)
    return ownership


def is_team(owner: str) -> bool:
    """A GitHub/GitLab team (@org/team) or a group address: more than one person."""
    return owner.startswith("@") and "/" in owner or owner.lower().startswith("team:")


def last_commit_of(project: "Project", owner: str) -> int | None:
    """The newest commit of the person an owner names, or None when no author can be matched.

    CODEOWNERS names people by @handle or email, git by name and email: an email must match
    exactly; a handle matches an email's local part (also GitHub's ``123+handle@users.noreply``)
    or a name written without spaces. Anything else is unmatched, never guessed."""
    history = project.git
    value = owner.strip().lower()
    times: list[int] = []
    if "@" in value and not value.startswith("@"):
        hit = history.author_emails.get(value)
        return hit[1] if hit else None
    handle = value.lstrip("@")
    if not handle:
        return None
    for email, (name, when) in history.author_emails.items():
        local = email.split("@", 1)[0]
        if local == handle or local.split("+", 1)[-1] == handle and email.endswith("noreply.github.com") or \
                name.lower().replace(" ", "") == handle or name.lower() == handle:
            times.append(when)
    return max(times) if times else None
