"""Pipeline definitions in Python code, found per module in one walk (JSON facts).

Airflow DAGs, Prefect flows and deployments, Dagster jobs and assets, Kubeflow/Vertex, TFX, ZenML,
Kedro pipelines, Metaflow flows and Luigi tasks; with the owners each definition names itself
(``owner=``, ``default_args={"owner": ...}``, tags such as ``"owner:team-x"``).
"""

from __future__ import annotations

import ast
import re
from typing import Any

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
    "sagemaker.workflow.pipeline.Pipeline": ("sagemaker", "pipeline"),
}
# Operators that name another DAG, and the keyword that names it.
_DAG_REFERENCES = {"TriggerDagRunOperator": "trigger_dag_id", "ExternalTaskSensor": "external_dag_id",
                   "ExternalTaskMarker": "external_dag_id"}

# Airflow's data-aware scheduling: Dataset (2.4+) and its successor Asset (3.0).
_DATASET_CLASSES = ("Dataset", "Asset")

_BASES = {
    "metaflow.FlowSpec": ("metaflow", "flow"), "luigi.Task": ("luigi", "task"),
    "luigi.WrapperTask": ("luigi", "task"),
}
OWNER_KEYS = {"owner", "owners", "email", "maintainer", "maintainers", "team", "contact", "owner_email"}
TAG_OWNER = re.compile(r"^(owner|team|maintainer|contact)[:=](?P<who>.+)$", re.I)


def split_owners(value: Any) -> list[str]:
    """Owner strings from a field value: "a, b", ["a", "b"], {"owner": "a"} and tags "owner:a"."""
    found: list[str] = []
    if isinstance(value, str):
        found.extend(part.strip() for part in re.split(r"[,;]", value))
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            found.extend(split_owners(item))
    return found


class _Finder:
    def __init__(self, module) -> None:
        self.module = module
        self.dicts: dict[str, ast.AST] = {}  # module-level name -> dict literal or dict(...) call
        self.strings: dict[str, Any] = {}  # module-level name -> constant
        self.definitions: list[dict[str, Any]] = []
        self.module_owners: list[str] = []  # owner= of operators / tasks anywhere in the module
        self.references: list[dict[str, Any]] = []  # DAG ids other DAGs trigger or wait for
        self.datasets: list[dict[str, Any]] = []  # Airflow datasets (assets) DAGs are scheduled on or tasks update

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
                default_owners = self._default_args_owners(keyword.value)
                known = known and default_owners is not None
                owners.extend(default_owners or [])
            elif key in OWNER_KEYS:
                owners.extend(split_owners(self._literal(keyword.value)))
            elif key in ("tags", "labels", "owner_links"):
                owners.extend(_owners_in_tags(key, self._literal(keyword.value)))
        return owners, known

    def _default_args_owners(self, node: ast.AST) -> list[str] | None:
        """Owners in Airflow's ``default_args``; None if the dict cannot be read (imported, ``**base``)."""
        items = self._dict_items(node)
        if items is None:
            return None
        owners: list[str] = []
        for name, value in items.items():
            if name.lower() in OWNER_KEYS:
                owners.extend(split_owners(self._literal(value)))
        return owners

    def _string(self, node: ast.AST) -> Any:
        """A literal, or a module-level string constant (``dag_id=DAG_NAME``)."""
        if isinstance(node, ast.Name) and isinstance(self.strings.get(node.id), str):
            return self.strings[node.id]
        return self._literal(node)

    def _name_of(self, call: ast.Call | None, fallback: str | None) -> str | None:
        """The definition's name as written, else ``fallback`` (a decorated function's own name);
        None when it is computed (a DAG factory's f-string)."""
        if call is not None:
            for keyword in call.keywords:
                if keyword.arg in ("dag_id", "name", "pipeline_name", "display_name"):
                    value = self._string(keyword.value)
                    return value if isinstance(value, str) else None
            if call.args:
                value = self._string(call.args[0])
                return value if isinstance(value, str) else None
        return fallback

    def _add(self, spec: tuple[str, str], node: ast.AST, call: ast.Call | None, fallback: str | None) -> None:
        owners, known = self._owners_of_call(call)
        name = self._name_of(call, fallback)
        self.definitions.append({
            "framework": spec[0], "kind": spec[1], "name": spec[1] if name is None else name,
            "named": name is not None,  # False: its id is computed, so references to it cannot be checked
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
        # The shared node index instead of a walk of our own: pipelines hide in few node types.
        for node in self.module.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
            self._decorated(node)
        for node in self.module.nodes(ast.ClassDef):
            self._class(node)
        for node in self.module.nodes(ast.Call):
            self._call(node)
        self.definitions.sort(key=lambda d: d["line"])
        return {"definitions": self.definitions, "module_owners": self.module_owners, "references": self.references,
                "datasets": self.datasets}

    def _reference(self, node: ast.Call, keyword_name: str) -> None:
        """A DAG id another DAG is triggered or waited for by, when written as a literal."""
        for keyword in node.keywords:
            if keyword.arg == keyword_name:
                value = self._string(keyword.value)
                if isinstance(value, str) and "{" not in value:  # a Jinja template is decided at run time
                    self.references.append({"framework": "airflow", "kind": keyword_name, "id": value,
                                            "line": node.lineno})

    def _decorated(self, node) -> None:
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            qualified = self.module.qualified_name(call.func if call else decorator)
            spec = _DECORATORS.get(qualified or "")
            if spec:
                self._add(spec, node, call, node.name)
                break

    def _class(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            spec = _BASES.get(self.module.qualified_name(base) or "")
            if spec:
                self._add(spec, node, None, node.name)
                break

    def _dataset_uri(self, node: ast.AST) -> str | None:
        """The URI of ``Dataset("s3://...")`` / ``Asset(...)``, written there or bound to a module-level
        name; None when it is anything else or computed."""
        if isinstance(node, ast.Name):
            node = self.dicts.get(node.id)
        if isinstance(node, ast.Call) and node.args:
            qualified = self.module.qualified_name(node.func) or ""
            if qualified.startswith("airflow") and qualified.rsplit(".", 1)[-1] in _DATASET_CLASSES:
                uri = self._string(node.args[0])
                return uri if isinstance(uri, str) and "{" not in uri else None
        return None

    def _datasets(self, node: ast.Call, qualified: str) -> None:
        """Datasets a DAG is scheduled on (``schedule=[...]``) and those a task updates (``outlets=``).
        An outlet that cannot be read is recorded without its URI, so that no consumer is judged."""
        is_dag = qualified.startswith("airflow") and qualified.rsplit(".", 1)[-1] in ("DAG", "dag")
        for keyword in node.keywords:
            if keyword.arg == "outlets" or (keyword.arg == "schedule" and is_dag):
                value = keyword.value
                elements = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
                for element in elements:
                    uri = self._dataset_uri(element)
                    if keyword.arg == "outlets":
                        self.datasets.append({"role": "updates", "uri": uri, "line": node.lineno})
                    elif uri is not None:
                        self.datasets.append({"role": "schedules", "uri": uri, "line": node.lineno})

    def _call(self, node: ast.Call) -> None:
        qualified = self.module.qualified_name(node.func) or ""
        if node.keywords and qualified.startswith("airflow") or any(k.arg == "outlets" for k in node.keywords):
            self._datasets(node, qualified)
        spec = _CALLS.get(qualified)
        if spec is None and qualified.startswith("airflow") and qualified.endswith(".DAG"):
            spec = ("airflow", "DAG")
        if spec:
            self._add(spec, node, node, None)
        elif qualified.startswith("airflow") and qualified.rsplit(".", 1)[-1] in _DAG_REFERENCES:
            self._reference(node, _DAG_REFERENCES[qualified.rsplit(".", 1)[-1]])
        else:
            for keyword in node.keywords:
                if keyword.arg in ("owner", "owners"):  # an operator or task that names its owner
                    self.module_owners.extend(split_owners(self._literal(keyword.value)))


def _owners_in_tags(key: str, value: Any) -> list[str]:
    """Owners in ``tags={"owner": ...}``, ``tags=["owner:x"]`` or Airflow's ``owner_links={"x": url}``."""
    owners: list[str] = []
    if isinstance(value, dict):
        for name, who in value.items():
            if key == "owner_links":  # the keys are the owners, the values their links
                owners.extend(split_owners(name))
            elif str(name).lower() in OWNER_KEYS:
                owners.extend(split_owners(who))
    elif isinstance(value, (list, tuple)):
        for tag in value:
            match = TAG_OWNER.match(str(tag))
            if match:
                owners.append(match.group("who").strip())
    return owners


def extract(module) -> dict[str, Any]:
    return _Finder(module).run()
