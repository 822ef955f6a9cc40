"""ML504: a pipeline that names another pipeline, job or input that does not exist.

Three kinds of reference, each checked only where the repository holds the whole picture:

- Airflow: ``TriggerDagRunOperator(trigger_dag_id=...)``, ``ExternalTaskSensor`` and
  ``ExternalTaskMarker(external_dag_id=...)`` against the DAG ids the repository defines. Not checked
  when a DAG id is computed (a DAG factory), and only a near miss ("did you mean") is certain: an id
  unlike every local one may be a DAG deployed from another repository, so it is reported at low
  confidence.
- Airflow datasets (assets): a DAG scheduled on ``Dataset(URI)`` that no task's ``outlets`` updates
  (checked only when every outlet in the repository can be read; low confidence unless a close URI
  is updated, a likely misspelling).
- GitHub Actions: a job's ``needs`` against the jobs of its workflow (GitHub refuses the workflow),
  and ``on.workflow_run.workflows`` against the names of the repository's workflows.
- DVC: a stage's ``deps`` against what the repository provides: a file or folder in it, a ``.dvc``
  pointer, or another stage's ``outs``. Templated paths (``${item}``) are not checked.
"""

from __future__ import annotations

import difflib
import posixpath
from typing import Iterable

from auditor.analysis.pipelines import FACTS
from auditor.rule import Invalid, ProjectRule, Valid

_WORKFLOWS = (".github/workflows/",)


def _near(name: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
    return close[0] if close else None


class DanglingPipelineReference(ProjectRule):
    """A pipeline names another pipeline, job or input that nothing in the repository defines: an
    Airflow trigger or sensor naming a missing DAG id, a workflow job that `needs` a job its workflow
    lacks, a `workflow_run` on a workflow that does not exist, a dvc.yaml dependency that no stage
    produces and no file or `.dvc` pointer provides. A close existing name is suggested."""

    id = "ML504"
    name = "dangling-pipeline-reference"
    category = "ownerless-pipeline"
    severity = "medium"
    confidence = "high"
    rationale = ("A reference to a renamed or deleted pipeline fails only when it runs: the trigger raises "
                 "DagNotFound at 3 a.m., the sensor waits until it times out, the workflow is rejected, `dvc "
                 "repro` stops on a fresh clone. Nobody notices until the data downstream is missing.")
    remediation = "Point the reference at the pipeline's current name (or restore the pipeline), or delete it."
    _dag = "from airflow import DAG\n\nwith DAG('{name}') as dag:\n    pass\n"
    examples = (
        Invalid({"dags/train.py": _dag.format(name="model_training"),
                 "dags/ingest.py": "from airflow import DAG\nfrom airflow.operators.trigger_dagrun import "
                                   "TriggerDagRunOperator\n\nwith DAG('ingest') as dag:\n"
                                   "    TriggerDagRunOperator(task_id='t', trigger_dag_id='model_trainig')\n"},
                [("dags/ingest.py", 5)], note="a misspelt DAG id: did you mean 'model_training'?"),
        Valid({"dags/train.py": _dag.format(name="model_training"),
               "dags/ingest.py": "from airflow import DAG\nfrom airflow.operators.trigger_dagrun import "
                                 "TriggerDagRunOperator\n\nwith DAG('ingest') as dag:\n"
                                 "    TriggerDagRunOperator(task_id='t', trigger_dag_id='model_training')\n"}),
        Valid({"dags/factory.py": "from airflow import DAG\n\nfor name in ['a', 'b']:\n    DAG(f'train_{name}')\n",
               "dags/ingest.py": "from airflow import DAG\nfrom airflow.sensors.external_task import ExternalTaskSensor\n\n"
                                 "with DAG('ingest') as dag:\n    ExternalTaskSensor(task_id='w', external_dag_id='train_a')\n"},
              note="DAG ids computed by a factory: the reference cannot be checked"),
        Invalid({"dags/ingest.py": "from airflow import DAG\nfrom airflow.datasets import Dataset\n"
                                   "from airflow.operators.empty import EmptyOperator\n\nORDERS = Dataset('s3://lake/orders')\n"
                                   "with DAG('ingest') as dag:\n    EmptyOperator(task_id='load', outlets=[ORDERS])\n",
                 "dags/train.py": "from airflow import DAG\nfrom airflow.datasets import Dataset\n\n"
                                  "with DAG('train', schedule=[Dataset('s3://lake/order')]) as dag:\n    pass\n"},
                [("dags/train.py", 4)], note="scheduled on a dataset no task updates: did you mean 's3://lake/orders'?"),
        Valid({"dags/ingest.py": "from airflow import DAG\nfrom airflow.datasets import Dataset\n"
                                 "from airflow.operators.empty import EmptyOperator\n\n"
                                 "with DAG('ingest') as dag:\n    EmptyOperator(task_id='load', outlets=[Dataset('s3://lake/orders')])\n",
               "dags/train.py": "from airflow import DAG\nfrom airflow.datasets import Dataset\n\n"
                                "with DAG('train', schedule=[Dataset('s3://lake/orders')]) as dag:\n    pass\n"}),
        Valid({"dags/ingest.py": "from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n"
                                 "from include.datasets import ORDERS\n\n"
                                 "with DAG('ingest') as dag:\n    EmptyOperator(task_id='load', outlets=[ORDERS])\n",
               "dags/train.py": "from airflow import DAG\nfrom airflow.datasets import Dataset\n\n"
                                "with DAG('train', schedule=[Dataset('s3://lake/orders')]) as dag:\n    pass\n"},
              note="an outlet imported from another module cannot be read: no consumer is judged"),
        Invalid({".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                                             "  deploy:\n    needs: [tests]\n    runs-on: ubuntu-latest\n"},
                [(".github/workflows/ci.yml", 6)], note="needs a job its workflow lacks: did you mean 'test'?"),
        Invalid({"dvc.yaml": "stages:\n  featurize:\n    cmd: python featurize.py\n    deps:\n      - data/prepared\n"
                             "    outs:\n      - data/features\n",
                 "featurize.py": "print(1)\n"},
                [("dvc.yaml", 5)], note="data/prepared: no stage makes it, no file or .dvc pointer provides it"),
        Valid({"dvc.yaml": "stages:\n  prepare:\n    cmd: python prepare.py data/raw.csv\n    deps:\n      - data/raw.csv\n"
                           "      - prepare.py\n    outs:\n      - data/prepared\n  featurize:\n    cmd: python f.py\n"
                           "    deps:\n      - data/prepared\n      - ${item}\n",
               "data/raw.csv.dvc": "outs:\n- path: raw.csv\n", "prepare.py": "print(1)\n"},
              note="a .dvc pointer, a file, another stage's outs; a templated path is not checked"),
    )

    def check(self, project):
        yield from self._airflow(project)
        yield from self._airflow_datasets(project)
        yield from self._workflows(project)
        yield from self._dvc(project)

    def _airflow(self, project):
        facts = {p: f for p, f in project.fact(FACTS).items() if isinstance(f, dict)}
        definitions = [d for f in facts.values() for d in f.get("definitions", []) if d.get("framework") == "airflow"]
        if not definitions or any(not d.get("named", True) for d in definitions):
            return  # no DAG here, or one whose id is computed: nothing certain to compare with
        dag_ids = {d["name"] for d in definitions}
        for path, module_facts in sorted(facts.items()):
            for ref in module_facts.get("references", []):
                if ref["id"] in dag_ids:
                    continue
                yield self._unknown(path, ref["line"], ref["id"], dag_ids,
                                    f"{ref['kind']}='{ref['id']}' names a DAG id that no DAG in this repository defines",
                                    "it may be a DAG deployed from another repository", f"dag-ref {ref['id']}",
                                    id=ref["id"], defined=sorted(dag_ids)[:20])

    def _airflow_datasets(self, project):
        facts = {p: f for p, f in project.fact(FACTS).items() if isinstance(f, dict)}
        entries = [(path, d) for path, f in sorted(facts.items()) for d in f.get("datasets", [])]
        updated = {d["uri"] for _, d in entries if d["role"] == "updates"}
        if None in updated:
            return  # a task updates a dataset written in a way we cannot read: no consumer can be judged
        for path, d in entries:
            if d["role"] != "schedules" or d["uri"] in updated:
                continue
            yield self._unknown(path, d["line"], d["uri"], updated,
                                f"the DAG is scheduled on dataset '{d['uri']}', which no task in this repository lists "
                                "in its outlets", "the DAG runs only if something outside this repository updates it",
                                f"dataset {d['uri']}", dataset=d["uri"])

    def _unknown(self, path: str, line: int, name: str, known: set[str], said: str, otherwise: str, anchor: str,
                 **evidence):
        """A reference to ``name`` that nothing in ``known`` is: certain when a close name exists (a
        misspelling: "did you mean"), of low confidence otherwise (it may live in another repository)."""
        near = _near(name, known)
        hint = f": did you mean '{near}'?" if near else f"; {otherwise}"
        return self.finding(path, line, said + hint, confidence=None if near else "low", anchor=anchor,
                            evidence={**evidence, "suggestion": near})

    def _workflows(self, project):
        workflows = [f for f in project.files.values() if f.path.startswith(_WORKFLOWS) and isinstance(f.data, dict)]
        names = {str(f.data.get("name")) for f in workflows if f.data.get("name")} | {f.path for f in workflows}
        for f in sorted(workflows, key=lambda f: f.path):
            yield from self._needs(f)
            yield from self._workflow_runs(f, names)

    def _needs(self, f):
        jobs = f.data.get("jobs") if isinstance(f.data.get("jobs"), dict) else {}
        for job_id, job in jobs.items():
            needs = job.get("needs") if isinstance(job, dict) else None
            for need in [needs] if isinstance(needs, str) else needs if isinstance(needs, list) else []:
                if not isinstance(need, str) or need in jobs or "${{" in need:
                    continue
                near = _near(need, map(str, jobs))
                yield self.finding(f.path, f.line_of("jobs", job_id, "needs") or f.line_of("jobs", job_id),
                                   f"job '{job_id}' needs '{need}', which this workflow does not define"
                                   + (f": did you mean '{near}'?" if near else ""),
                                   anchor=f"needs {job_id} {need}", evidence={"job": job_id, "needs": need,
                                                                              "suggestion": near})

    def _workflow_runs(self, f, names: set[str]):
        on = f.data.get("on", f.data.get(True))
        run = on.get("workflow_run") if isinstance(on, dict) else None
        watched = run.get("workflows") if isinstance(run, dict) else None
        for name in watched if isinstance(watched, list) else []:
            if isinstance(name, str) and name not in names:
                near = _near(name, names)
                yield self.finding(f.path, f.line_of("on", "workflow_run", "workflows") or f.line_of("workflow_run"),
                                   f"workflow_run waits for workflow '{name}', which no workflow of this repository "
                                   "is named" + (f": did you mean '{near}'?" if near else ""),
                                   anchor=f"workflow_run {name}", evidence={"workflow": name, "suggestion": near})

    def _dvc(self, project):
        files = set(project.files)
        folders = {posixpath.dirname(p) for p in files}
        folders |= {"/".join(p.split("/")[:i]) for p in folders for i in range(1, p.count("/") + 1)}
        stage_files = [f for f in project.files.values() if f.name == "dvc.yaml" and isinstance(f.data, dict)
                       and isinstance(f.data.get("stages"), dict)]
        produced = {_join(f.path, stage, out) for f in stage_files for stage in f.data["stages"].values()
                    for out in _paths(stage, ("outs", "metrics", "plots"))}
        for f in sorted(stage_files, key=lambda f: f.path):
            for name, stage in f.data["stages"].items():
                for index, dep in _checkable_deps(stage):
                    path = _join(f.path, stage, dep)
                    if _provided(path, files, folders, produced):
                        continue
                    near = _near(path, produced | {p for p in files if not p.endswith(".dvc")})
                    yield self.finding(f.path, f.line_of("stages", name, "deps", index) or f.line_of("stages", name),
                                       f"stage '{name}' depends on {dep}, which no stage produces and no file or .dvc "
                                       "pointer provides: `dvc repro` fails on a fresh clone"
                                       + (f" (did you mean {near}?)" if near else ""),
                                       anchor=f"dvc-dep {name} {dep}", evidence={"stage": name, "dep": dep,
                                                                                 "suggestion": near})


def _checkable_deps(stage) -> list[tuple[int, str]]:
    """(index, path) of a stage's dependencies that name a path of this repository as written: not
    a templated or looped stage, not a URL or a remote."""
    if not isinstance(stage, dict) or "foreach" in stage or "matrix" in stage:
        return []
    return [(i, dep) for i, dep in enumerate(_paths(stage, ("deps",)))
            if "${" not in dep and "://" not in dep and not dep.startswith(("remote:", "s3:", "gs:"))]


def _paths(stage, keys) -> list[str]:
    found = []
    if not isinstance(stage, dict):
        return found
    for key in keys:
        for item in stage.get(key) or []:
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, dict):
                found.extend(str(k) for k in item)
    return found


def _join(dvc_yaml: str, stage: dict, path: str) -> str:
    base = posixpath.join(posixpath.dirname(dvc_yaml), str(stage.get("wdir", ".")))
    return posixpath.normpath(posixpath.join(base, path)).lstrip("./") if not path.startswith("/") else path


def _provided(path: str, files: set[str], folders: set[str], produced: set[str]) -> bool:
    """A file or folder of the repository, a .dvc pointer's file, or (inside) a stage's output."""
    if path in files or path in folders or f"{path}.dvc" in files:
        return True
    parts = path.split("/")
    ancestors = {"/".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return bool(ancestors & produced) or any(f"{a}.dvc" in files for a in ancestors)
