"""Pipeline definitions and their owners.

Python pipelines (Airflow, Prefect, Dagster, Kubeflow/Vertex, ZenML, Metaflow, Kedro, Luigi) are
found per module by ``auditor.analysis.pipeline_code.extract`` and listed by ``python_pipelines``;
configuration pipelines (dvc.yaml stages, scheduled or deploying CI workflows, cron files, ...) by
``auditor.analysis.pipeline_configs.config_pipelines``. ``owners_for`` combines the owner sources:
CODEOWNERS, OWNERS files and the pipeline's own fields; placeholders are no owner.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor.analysis.pipeline_configs import Pipeline
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


def is_placeholder(owner: str) -> bool:
    value = owner.strip().strip("@").lower()
    if value in PLACEHOLDERS or value.startswith(("your", "<", "{{", "$")):
        return True
    if "@" in value:  # an email: the local part decides ("airflow@example.com")
        local = value.split("@", 1)[0]
        return local in PLACEHOLDERS or local.startswith("your")
    return False


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
