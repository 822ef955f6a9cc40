"""Pipeline definitions and their owners.

Python pipelines (Airflow, Prefect, Dagster, Kubeflow/Vertex, ZenML, Metaflow, Kedro, Luigi) are
found per module by ``extract`` (one walk, JSON facts); configuration pipelines (dvc.yaml stages,
scheduled or deploying CI workflows, cron files, Makefile targets that train or deploy) by
``config_pipelines`` from the repository model. ``owners_for`` combines the owner sources:
CODEOWNERS, OWNERS files and the pipeline's own fields; placeholders are no owner.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from auditor.project import Project

FACTS = "pipelines"
PLACEHOLDERS = {
    "", "airflow", "admin", "administrator", "owner", "owners", "your_name", "yourname", "your-name",
    "your name", "todo", "tbd", "fixme", "none", "null", "unknown", "user", "default", "me", "someone",
    "name", "team", "example", "changeme", "root", "nobody", "n/a", "na", "xxx", "dagster", "prefect",
}

# qualified name -> (framework, kind); decorators and calls that define a pipeline.
_DECORATORS = {
    "airflow.decorators.dag": ("airflow", "DAG"), "airflow.sdk.dag": ("airflow", "DAG"),
    "prefect.flow": ("prefect", "flow"), "prefect.flows.flow": ("prefect", "flow"),
    "dagster.job": ("dagster", "job"), "dagster.asset": ("dagster", "asset"),
    "dagster.multi_asset": ("dagster", "asset"), "dagster.graph_asset": ("dagster", "asset"),
    "dagster.schedule": ("dagster", "schedule"), "dagster.graph": ("dagster", "job"),
    "kfp.dsl.pipeline": ("kubeflow", "pipeline"), "kfp.v2.dsl.pipeline": ("kubeflow", "pipeline"),
    "zenml.pipeline": ("zenml", "pipeline"), "zenml.pipelines.pipeline": ("zenml", "pipeline"),
}
_CALLS = {
    "airflow.DAG": ("airflow", "DAG"), "airflow.models.DAG": ("airflow", "DAG"),
    "airflow.models.dag.DAG": ("airflow", "DAG"), "airflow.sdk.DAG": ("airflow", "DAG"),
    "prefect.deployments.Deployment.build_from_flow": ("prefect", "deployment"),
    "prefect.deploy": ("prefect", "deployment"), "prefect.serve": ("prefect", "deployment"),
    "dagster.define_asset_job": ("dagster", "job"), "dagster.ScheduleDefinition": ("dagster", "schedule"),
    "dagster.build_schedule_from_partitioned_job": ("dagster", "schedule"),
    "google.cloud.aiplatform.PipelineJob": ("vertex", "pipeline job"),
    "tfx.orchestration.pipeline.Pipeline": ("tfx", "pipeline"), "tfx.v1.dsl.Pipeline": ("tfx", "pipeline"),
    "kedro.pipeline.pipeline": ("kedro", "pipeline"), "kedro.pipeline.Pipeline": ("kedro", "pipeline"),
    "kedro.pipeline.modular_pipeline.pipeline": ("kedro", "pipeline"),
}
_BASES = {
    "metaflow.FlowSpec": ("metaflow", "flow"), "luigi.Task": ("luigi", "task"),
    "luigi.WrapperTask": ("luigi", "task"),
}
_OWNER_KEYS = {"owner", "owners", "email", "maintainer", "maintainers", "team", "contact", "owner_email"}
_TAG_OWNER = re.compile(r"^(owner|team|maintainer|contact)[:=](?P<who>.+)$", re.I)
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


def split_owners(value: Any) -> list[str]:
    """Owner strings from a field value: "a, b", ["a", "b"], {"owner": "a"} and tags "owner:a"."""
    found: list[str] = []
    if isinstance(value, str):
        found.extend(part.strip() for part in re.split(r"[,;]", value))
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            found.extend(split_owners(item))
    return found


class _Finder(ast.NodeVisitor):
    def __init__(self, module) -> None:
        self.module = module
        self.dicts: dict[str, ast.AST] = {}  # module-level name -> dict literal or dict(...) call
        self.strings: dict[str, Any] = {}  # module-level name -> constant
        self.definitions: list[dict[str, Any]] = []
        self.module_owners: list[str] = []  # owner= of operators / tasks anywhere in the module

    def _literal(self, node: ast.AST | None) -> Any:
        try:
            return ast.literal_eval(node) if node is not None else None
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None

    def _dict_items(self, node: ast.AST | None) -> dict[str, ast.AST] | None:
        """Keys of a dict literal, ``dict(...)`` or a module-level name bound to one; None if unknown."""
        if isinstance(node, ast.Name) and node.id in self.dicts:
            node = self.dicts[node.id]
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):  # {**base, ...}: the base may name the owner
                return None
            return {k.value: v for k, v in zip(node.keys, node.values)
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
            if any(k.arg is None for k in node.keywords):
                return None
            return {k.arg: k.value for k in node.keywords if k.arg}
        return None

    def _owners_of_call(self, call: ast.Call | None) -> tuple[list[str], bool]:
        """(owner strings named by the call, whether its owner fields could be read at all)."""
        owners: list[str] = []
        if call is None:
            return owners, True
        known = True
        for keyword in call.keywords:
            if keyword.arg is None:
                known = False  # **kwargs may carry default_args
                continue
            key = keyword.arg.lower()
            if key == "default_args":
                items = self._dict_items(keyword.value)
                if items is None:
                    known = False
                    continue
                for name, value in items.items():
                    if name.lower() in _OWNER_KEYS:
                        owners.extend(split_owners(self._literal(value)))
            elif key in _OWNER_KEYS or key == "owners":
                owners.extend(split_owners(self._literal(keyword.value)))
            elif key in ("tags", "labels", "owner_links"):
                value = self._literal(keyword.value)
                if isinstance(value, dict):
                    for name, who in value.items():
                        if key == "owner_links" or str(name).lower() in _OWNER_KEYS:
                            owners.extend(split_owners(who if key != "owner_links" else name))
                elif isinstance(value, (list, tuple)):
                    for tag in value:
                        match = _TAG_OWNER.match(str(tag))
                        if match:
                            owners.append(match.group("who").strip())
        return owners, known

    def _string(self, node: ast.AST) -> Any:
        """A literal, or a module-level string constant (``dag_id=DAG_NAME``)."""
        if isinstance(node, ast.Name) and isinstance(self.strings.get(node.id), str):
            return self.strings[node.id]
        return self._literal(node)

    def _name_of(self, call: ast.Call | None, fallback: str) -> str:
        if call is not None:
            for keyword in call.keywords:
                if keyword.arg in ("dag_id", "name", "pipeline_name", "display_name"):
                    value = self._string(keyword.value)
                    if isinstance(value, str):
                        return value
            if call.args:
                value = self._string(call.args[0])
                if isinstance(value, str):
                    return value
        return fallback

    def _add(self, spec: tuple[str, str], node: ast.AST, call: ast.Call | None, fallback: str) -> None:
        owners, known = self._owners_of_call(call)
        self.definitions.append({
            "framework": spec[0], "kind": spec[1], "name": self._name_of(call, fallback),
            "line": node.lineno, "owners": owners, "known": known,
        })

    def run(self) -> dict[str, Any]:
        for statement in self.module.tree.body:
            if isinstance(statement, ast.Assign) and isinstance(statement.value, (ast.Dict, ast.Call)):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        self.dicts[target.id] = statement.value
            elif isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        self.strings[target.id] = statement.value.value
        self.visit(self.module.tree)
        self.definitions.sort(key=lambda d: d["line"])
        return {"definitions": self.definitions, "module_owners": self.module_owners}

    def _decorated(self, node) -> None:
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            qualified = self.module.qualified_name(call.func if call else decorator)
            spec = _DECORATORS.get(qualified or "")
            if spec:
                self._add(spec, node, call, node.name)
                break

    def visit_FunctionDef(self, node) -> None:
        self._decorated(node)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            spec = _BASES.get(self.module.qualified_name(base) or "")
            if spec:
                self._add(spec, node, None, node.name)
                break
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        qualified = self.module.qualified_name(node.func) or ""
        spec = _CALLS.get(qualified)
        if spec is None and qualified.startswith("airflow") and qualified.endswith(".DAG"):
            spec = ("airflow", "DAG")
        if spec:
            self._add(spec, node, node, spec[1])
        else:
            for keyword in node.keywords:
                if keyword.arg in ("owner", "owners"):  # an operator or task that names its owner
                    self.module_owners.extend(split_owners(self._literal(keyword.value)))
        self.generic_visit(node)


def extract(module) -> dict[str, Any]:
    return _Finder(module).run()


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


def _workflow(file, data: dict) -> Pipeline | None:
    on = data.get("on", data.get(True))
    if isinstance(on, dict) and on.get("schedule"):
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


def _gitlab(file, data: dict) -> Pipeline | None:
    for job_id, job in data.items():
        if not isinstance(job, dict) or str(job_id).startswith(".") or not ("script" in job or "trigger" in job):
            continue
        scheduled = "schedule" in str(job.get("rules", "")) or "schedule" in str(job.get("only", ""))
        deploying = job.get("stage") == "deploy" or "deploy" in str(job_id).lower() or "environment" in job
        if scheduled or deploying:
            return Pipeline(file.path, file.line_of(job_id), "gitlab-ci",
                            "scheduled job" if scheduled else "deploy job", str(job_id))
    return None


def _azure(file, data: dict) -> Pipeline | None:
    if data.get("schedules"):
        return Pipeline(file.path, file.line_of("schedules"), "azure-pipelines", "scheduled pipeline", file.name)
    if "'deployment':" in str(data):
        line = next((n for n, t in enumerate(file.lines(), 1) if re.match(r"\s*-?\s*deployment\s*:", t)), None)
        return Pipeline(file.path, line, "azure-pipelines", "deployment", file.name)
    return None


def config_pipelines(project: "Project") -> list[Pipeline]:
    found: list[Pipeline] = []
    for file in project.files.values():
        name, path = file.name.lower(), file.path
        data = file.data
        if name == "dvc.yaml" and isinstance(data, dict) and isinstance(data.get("stages"), dict) and data["stages"]:
            stages = list(data["stages"])
            found.append(Pipeline(path, file.line_of("stages"), "dvc", "pipeline",
                                  f"{path} (stages {', '.join(map(str, stages[:5]))})"))
        elif isinstance(data, dict) and path.startswith(".github/workflows/") and file.suffix in (".yml", ".yaml"):
            pipeline = _workflow(file, data)
            if pipeline:
                found.append(pipeline)
        elif isinstance(data, dict) and name in (".gitlab-ci.yml", ".gitlab-ci.yaml"):
            pipeline = _gitlab(file, data)
            if pipeline:
                found.append(pipeline)
        elif isinstance(data, dict) and (name in ("azure-pipelines.yml", "azure-pipelines.yaml")
                                         or path.startswith(".azure-pipelines/")):
            pipeline = _azure(file, data)
            if pipeline:
                found.append(pipeline)
        elif file.kind == "build" and (name == "crontab" or file.suffix == ".cron"):
            line = next((n for n, t in enumerate(file.lines(), 1) if _CRON_LINE.match(t)), None)
            if line:
                found.append(Pipeline(path, line, "cron", "schedule", file.name))
        elif file.kind == "build" and (name in ("makefile", "gnumakefile") or file.suffix == ".mk"):
            targets = [m for m in _MAKE_TARGET.finditer(file.text or "") if not m.group("target").startswith(".")]
            if targets:
                line = (file.text or "")[: targets[0].start()].count("\n") + 1
                found.append(Pipeline(path, line, "make", "target", targets[0].group("target"),
                                      others=len(targets) - 1))
    return found


def python_pipelines(project: "Project") -> list[Pipeline]:
    """One entry per module and framework: the first definition (the rest are counted)."""
    found: list[Pipeline] = []
    for path, facts in project.fact(FACTS).items():
        if not isinstance(facts, dict):
            continue
        module_owners = [o for o in facts.get("module_owners", []) if isinstance(o, str)]
        by_framework: dict[str, list[dict]] = {}
        for definition in facts.get("definitions", []):
            by_framework.setdefault(definition.get("framework", "?"), []).append(definition)
        for framework, definitions in by_framework.items():
            owned = [d for d in definitions if any(not is_placeholder(o) for o in d.get("owners", []))]
            unknown = [d for d in definitions if not d.get("known", True)]
            # The first definition that names no real owner represents the file; if all name one,
            # the first one does (the owner sources may still be checked for the bus factor).
            lacking = [d for d in definitions if d not in owned]
            first = (lacking or definitions)[0]
            owners = sorted({o for d in definitions for o in d.get("owners", [])}) if not lacking else \
                list(first.get("owners", []))
            if framework == "airflow":
                owners += module_owners
            found.append(Pipeline(path, first.get("line"), framework, first.get("kind", "pipeline"),
                                  str(first.get("name", "")), owners, known=not (lacking and unknown),
                                  others=len(definitions) - 1))
    return found


# -- owners ----------------------------------------------------------------------------------------

@dataclass
class Ownership:
    owners: list[str]  # real owners, from every source
    sources: list[str]  # where they came from ("CODEOWNERS line 4", "default_args", "OWNERS")
    placeholders: list[str]


def owners_file_entries(text: str) -> list[str]:
    """People named by an OWNERS file: Kubernetes-style YAML (approvers, reviewers) or plain lines."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
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


def owners_for(project: "Project", pipeline: Pipeline) -> Ownership:
    owners: list[str] = []
    sources: list[str] = []
    placeholders = [o for o in pipeline.owners if is_placeholder(o)]
    own = [o for o in pipeline.owners if not is_placeholder(o)]
    if own:
        owners.extend(own)
        sources.append("the pipeline's owner fields")
    for rule in project.codeowners.matching_rules(pipeline.path):
        real = [o for o in rule.owners if not is_placeholder(o)]
        placeholders.extend(o for o in rule.owners if is_placeholder(o))
        if real:
            owners.extend(o for o in real if o not in owners)
            sources.append(f"{project.codeowners.path} line {rule.line}")
    directory = posixpath.dirname(pipeline.path)
    while True:
        for candidate in (f"{directory}/OWNERS" if directory else "OWNERS",):
            file = project.files.get(candidate)
            if file is not None and file.text:
                entries = [e for e in owners_file_entries(file.text) if not is_placeholder(e)]
                if entries:
                    owners.extend(e for e in entries if e not in owners)
                    sources.append(candidate)
        if not directory:
            break
        directory = posixpath.dirname(directory)
    return Ownership(owners, sources, placeholders)


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
