"""Stale and missing models: artifacts older than their training code, or than anyone should trust,
and models that code loads but nobody can rebuild."""

from __future__ import annotations

import posixpath
import re
import time
from typing import Any

from auditor.analysis.artifact_io import FACTS, Links, extract, link
from auditor.analysis.artifacts import Artifact, candidates, dvc_outputs, last_change, path_time
from auditor.ml.models import MODEL_SUFFIXES, downloaded_names, is_local_model_path
from auditor.ml.paths import is_teaching_path
from auditor.model.project import BUILD, CONFIG, DOC, DOCKERFILE
from auditor.rule import Extractor, Invalid, Option, ProjectRule, Valid

DAY = 86400.0
PKL = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s."  # pickle of {"a": 1}


class ArtifactIOExtractor(Extractor):
    """Model files each module writes and reads (constant paths), whether it trains, its features."""

    name = FACTS

    def extract(self, module):
        return extract(module)


def _date(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp))


def _location(artifact: Artifact) -> tuple[str, int | None]:
    """Where a finding about an artifact points: the file itself, or its pointer (.dvc, dvc.lock,
    the MLmodel / saved_model.pb of a model directory)."""
    if artifact.tracked_by == "dvc" or artifact.is_dir:
        return artifact.pointer, artifact.pointer_line
    return artifact.path, None


def _clock_note(clock: str) -> str:
    return "" if clock == "git" else " (from file times: this is not a git checkout)"


class StaleModel(ProjectRule):
    """A model artifact older than `max-model-age-days`, or older than the code that produces it.

    The artifact's age is the last commit that touched it or its pointer (the `.dvc` file or
    `dvc.lock` for DVC outputs, the pointer file for Git LFS). Its producers are the modules that
    write its path (`torch.save`, `joblib.dump`, `pickle.dump` into `open(PATH, "wb")`,
    `model.save`, `save_pretrained`, ...) and the code of the DVC stage that outputs it. Outside git,
    file times are used and the message says so. Generic files (a pickle or HDF5 file whose name
    and folder do not say "model") and test fixtures are left alone. A DVC-tracked model is judged
    only against its producer stage: its age against today says nothing, as `dvc repro` remakes it.

    What is a model (a committed file, an LFS pointer or the file a `.dvc` pointer or `dvc.lock`
    names), decided in this order (`auditor/ml/models.py`):

    1. a model format, by magic bytes or extension (PyTorch, safetensors, ONNX, Keras, TFLite, GGUF,
       XGBoost, LightGBM, CatBoost, SavedModel, MLflow model, Core ML, PMML, joblib): a model;
    2. a NumPy array: never a model;
    3. a name with a model word (model, weights, ckpt, classifier, encoder, vectorizer, scaler,
       pipeline, ...): a model (`label_encoder.pkl`);
    4. a name with a result word (results, metrics, report, stats, history, scores, predictions,
       embeddings, cache, data, features, schema, baseline): not a model
       (`bias_detection_results.pkl`, even in a `models/` folder);
    5. otherwise a generic format (pickle, HDF5) is a model only in a `models`, `model`,
       `checkpoints` or `weights` folder.
    """

    id = "ML301"
    reads_file_times = True  # outside git, model and code ages are file times
    name = "stale-model"
    category = "stale-model"
    severity = "medium"
    confidence = "high"
    options = {
        "max-model-age-days": Option(int, 180, "report model artifacts whose last change is older than this"),
        "grace-days": Option(int, 1, "how much older than its producer's last change a model may be"),
    }
    rationale = ("A model file that nobody retrained for months, or that predates the latest change to its "
                 "training code, no longer matches what the repository says it is: production serves "
                 "behaviour that no current code can reproduce, and a rollback or audit has nothing to go on.")
    remediation = ("Retrain the model with the current code and commit the new artifact (or `dvc repro` and "
                   "commit `dvc.lock`), or move it to a model registry with lineage; raise "
                   "`max-model-age-days` for models that are deliberately frozen.")
    examples = (
        Invalid({"models/m.pkl": PKL, "train.py": 'import joblib\n\njoblib.dump(model, "models/m.pkl")\n'},
                [("models/m.pkl", None)], git={"models/m.pkl": 400, "train.py": 2},
                note="older than its producer, and than the age limit"),
        Invalid({"models/m.pkl": PKL, "train.py": 'import joblib\n\njoblib.dump(model, "models/m.pkl")\n'},
                [("models/m.pkl", None)], git={"models/m.pkl": 30, "train.py": 2},
                note="young, but its training code changed after it"),
        Invalid({"models/m.pkl": PKL}, [("models/m.pkl", None)], git={"models/m.pkl": 200},
                note="no producer, past the age limit"),
        Valid({"models/m.pkl": PKL}, git={"models/m.pkl": 200}, config={"rules": {"ML301": {"max-model-age-days": 365}}}),
        Valid({"models/m.pkl": PKL, "train.py": 'import joblib\n\njoblib.dump(model, "models/m.pkl")\n'},
              git={"models/m.pkl": 10, "train.py": 12}, note="retrained after its code changed"),
        Invalid({"src/train.py": 'import pickle\nfrom pathlib import Path\n\nOUT = Path(__file__).parent.parent / "models" / "clf.pkl"\n'
                                 'with open(OUT, "wb") as fh:\n    pickle.dump(clf, fh)\n',
                 "models/clf.pkl": PKL},
                [("models/clf.pkl", None)], git={"models/clf.pkl": 60, "src/train.py": 5},
                note="path built from __file__; open(..., 'wb') + pickle.dump"),
        Invalid({"dvc.yaml": "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n      - src/train.py\n"
                             "    outs:\n      - model.pkl\n",
                 "dvc.lock": "schema: '2.0'\nstages:\n  train:\n    cmd: python src/train.py\n    outs:\n"
                             "    - path: model.pkl\n      md5: abc\n",
                 "src/train.py": "print('train')\n"},
                [("dvc.lock", 6)], git={"dvc.lock": 90, "dvc.yaml": 90, "src/train.py": 3},
                note="a DVC output's age is its dvc.lock entry; the stage's code changed after it"),
        Valid({"model.safetensors.dvc": "outs:\n- md5: abc\n  path: model.safetensors\n"},
              git={"model.safetensors.dvc": 365},
              note="a DVC-tracked model is judged against its producer stage, never by its age against today"),
        Invalid({"weights/encoder.pt": b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9000\n"},
                [("weights/encoder.pt", None)], git={"weights/encoder.pt": 500}, note="Git LFS pointer"),
        Valid({"tests/fixtures/model.pkl": PKL}, git={"tests/fixtures/model.pkl": 900}, note="test fixture"),
        Valid({"code/integraton-test/model/MLmodel": "flavors: {}\n", "code/integraton-test/model/model.pkl": PKL,
               "code/integraton-test/test_docker.py": "def test_predict():\n    pass\n"},
              git={"code/integraton-test/model/MLmodel": 900, "code/integraton-test/model/model.pkl": 900},
              note="an integration test's model directory, beside its test module (mlops-zoomcamp)"),
        Invalid({"contest/model.pkl": PKL}, [("contest/model.pkl", None)], git={"contest/model.pkl": 900},
                note="a folder whose name merely contains 'test' hides nothing"),
        Valid({"data/cache.pkl": PKL}, git={"data/cache.pkl": 900}, note="a pickle that is not a model"),
        Valid({"model/pickle/bias_results.pkl": PKL}, git={"model/pickle/bias_results.pkl": 900},
              note="a results pickle kept beside the models is not a model"),
        Valid({"data/arrays.npz": b"PK\x03\x04" + b"\x00" * 22 + b"\x05\x00\x00\x00x.npy"},
              git={"data/arrays.npz": 900}),
        Valid({"models/m.pkl": PKL}, note="untracked in git: no age, no guess from file times"),
    )

    def check(self, project):
        links = link(project)
        max_age = self.settings["max-model-age-days"]
        grace = self.settings["grace-days"] * DAY
        for artifact in project.artifacts:
            if not artifact.model or artifact.in_tests:
                continue
            changed, clock = last_change(project, artifact)
            if changed is None:
                continue
            age = (project.now - changed) / DAY
            newest = _newest_producer(project, links, artifact)
            behind = newest is not None and newest[0] > changed + grace
            # A DVC output is as fresh as its stage: dvc.lock records the run that made it, and
            # `dvc repro` remakes it when the stage's code or data change. Its age alone says nothing.
            too_old = age > max_age and artifact.tracked_by != "dvc"
            if not behind and not too_old:
                continue
            evidence: dict[str, Any] = {
                "artifact": artifact.path, "format": artifact.format, "tracked_by": artifact.tracked_by,
                "artifact_date": _date(changed), "age_days": int(age), "max_age_days": max_age, "clock": clock,
            }
            if artifact.pointer != artifact.path:
                evidence["pointer"] = artifact.pointer
            if newest is not None:
                evidence.update(producer=newest[1], producer_date=_date(newest[0]),
                                gap_days=int((newest[0] - changed) / DAY))
            if behind:
                message = (f"model {artifact.path} was last changed {int(age)} days ago ({_date(changed)}), "
                           f"{int((newest[0] - changed) / DAY)} "
                           f"days before its producer {newest[1]} changed ({_date(newest[0])}): it no longer "
                           f"matches its training code")
            else:
                message = (f"model {artifact.path} was last changed {int(age)} days ago ({_date(changed)}), "
                           f"more than {max_age} days")
            # a model a course or an example ships for its readers is not a deployed model: its age is context
            teaching = not behind and is_teaching_path(artifact.path)
            if teaching:
                message += "; it is course or example material, not a deployed model"
            path, line = _location(artifact)
            yield self.finding(path, line, message + _clock_note(clock), anchor=f"stale {artifact.path}",
                               severity="high" if behind else "info" if teaching else None,
                               confidence=None if clock == "git" else "low", evidence=evidence)


def _newest_producer(project, links, artifact) -> tuple[float, str] | None:
    """(time, path) of the most recent change among the files that produce the artifact."""
    newest: tuple[float, str] | None = None
    for producer in links.producer_files(project, artifact):
        when = path_time(project, producer)
        if when is not None and (newest is None or when > newest[0]):
            newest = (when, producer)
    return newest


class ModelOlderThanTrainingCode(ProjectRule):
    """A model with no known producer that predates the training code using its features.

    When nothing in the repository writes an artifact, its likely producer is the training code
    that uses the same feature list as the code that loads it (for example both import
    `features.FEATURES`, and the training module calls `fit`). If that code changed after the
    artifact did, the model was trained on a feature set that may no longer exist.
    """

    id = "ML302"
    reads_file_times = True  # outside git, model and code ages are file times
    name = "model-older-than-training-code"
    category = "stale-model"
    severity = "low"
    confidence = "low"
    options = {"grace-days": Option(int, 1, "how much older than the training code a model may be")}
    rationale = ("Serving code and training code share a feature list; when training changes and the "
                 "committed model does not, the served model expects features that training no longer builds.")
    remediation = ("Retrain and commit the model, and make the training code write it to the path the serving "
                   "code loads so that the link is explicit.")
    _loader = ('import joblib\nfrom feats import FEATURES\n\nmodel = joblib.load("models/m.joblib")\n'
               'def score(df):\n    return model.predict(df[FEATURES])\n')
    _trainer = ('from feats import FEATURES\n\ndef train(df, est):\n    est.fit(df[FEATURES], df.y)\n'
                '    return est\n')
    examples = (
        Invalid({"models/m.joblib": PKL, "serve.py": _loader, "train.py": _trainer, "feats.py": "FEATURES = ['a']\n"},
                [("models/m.joblib", None)], git={"models/m.joblib": 60, "train.py": 5}),
        Valid({"models/m.joblib": PKL, "serve.py": _loader, "train.py": _trainer, "feats.py": "FEATURES = ['a']\n"},
              git={"models/m.joblib": 4, "train.py": 5}),
        Valid({"models/m.joblib": PKL, "serve.py": _loader, "train.py": _trainer.replace("FEATURES", "OTHER_COLS"),
               "feats.py": "FEATURES = ['a']\nOTHER_COLS = ['b']\n"},
              git={"models/m.joblib": 60, "train.py": 5}, note="training code uses other features"),
        Valid({"models/m.joblib": PKL, "serve.py": _loader, "feats.py": "FEATURES = ['a']\n",
               "train.py": _trainer + 'import joblib\njoblib.dump(est, "models/m.joblib")\n'},
              git={"models/m.joblib": 60, "train.py": 5}, note="has a producer: ML301's case, not this one"),
    )

    def check(self, project):
        links = link(project)
        facts = project.fact(FACTS)
        grace = self.settings["grace-days"] * DAY
        for artifact in project.artifacts:
            if not artifact.model or artifact.in_tests or links.producer_files(project, artifact):
                continue
            loaders = {use.module for use in links.loaders.get(artifact.path, [])}
            features = {f for m in loaders for f in (facts.get(m) or {}).get("features", [])}
            if not features:
                continue
            changed, clock = last_change(project, artifact)
            if changed is None:
                continue
            trainers = []
            for module, module_facts in facts.items():
                shared = features & set(module_facts.get("features", []))
                when = path_time(project, module)
                if module_facts.get("fits") and shared and when is not None and when > changed + grace:
                    trainers.append((when, module, sorted(shared)))
            if not trainers:
                continue
            when, module, shared = max(trainers)
            path, line = _location(artifact)
            yield self.finding(
                path, line,
                f"model {artifact.path} ({_date(changed)}) predates {module} ({_date(when)}), which trains on the "
                f"same features ({', '.join(shared)}) and nothing writes the model{_clock_note(clock)}",
                anchor=f"older-than-training {artifact.path}",
                evidence={"artifact": artifact.path, "artifact_date": _date(changed), "training_code": module,
                          "training_date": _date(when), "gap_days": int((when - changed) / DAY),
                          "features": shared, "loaded_by": sorted(loaders), "clock": clock})


class MissingModel(ProjectRule):
    """Code loads a model file that the repository neither contains nor can rebuild.

    The path (a constant, possibly built from module constants or `__file__`) is resolved from
    the repository root and from the loading file's directory. It is reported only when no file
    is there, no DVC output or `.dvc` file and no Git LFS pointer tracks it, no code writes that
    path or a file of that name, and no Dockerfile, Makefile, CI or config file names it (a
    download step). Absolute paths, URIs, hub model ids and test code are left alone.
    """

    id = "ML303"
    name = "missing-model"
    category = "stale-model"
    severity = "high"
    confidence = "medium"
    rationale = ("A model that serving code loads but that no commit, pointer or pipeline provides exists only "
                 "on someone's disk or in an unnamed bucket: when that copy is lost or changes, nobody can "
                 "rebuild or even identify the model production runs.")
    remediation = ("Commit the training code that writes this path (or a DVC stage with it in `outs`), track "
                   "the file with DVC or Git LFS, or load it from a model registry by version.")
    examples = (
        Valid('import tensorflow as tf\n\ncb = tf.keras.callbacks.ModelCheckpoint("my_model.keras", save_best_only=True)\n'
              'model.fit(X, y, callbacks=[cb])\nmodel = tf.keras.models.load_model("my_model.keras")\n',
              note="a checkpoint callback writes the file the code loads back"),
        Invalid('import joblib\n\nmodel = joblib.load("models/fraud.joblib")\n', expect=[3]),
        Invalid({"app/serve.py": 'import pickle\nMODEL = "model.bin"\n\nwith open(MODEL, "rb") as f:\n'
                                 '    dv, model = pickle.load(f)\n'},
                [("app/serve.py", 4)], note="one finding for open() and pickle.load()"),
        Valid({"serve.py": 'import joblib\nmodel = joblib.load("models/m.joblib")\n', "models/m.joblib": PKL}),
        Valid({"app/serve.py": 'import joblib\nmodel = joblib.load("m.joblib")\n', "app/m.joblib": PKL},
              note="relative to the loading file's directory"),
        Valid({"serve.py": 'import joblib\nmodel = joblib.load("models/m.joblib")\n',
               "train.py": 'import joblib, os\njoblib.dump(m, os.path.join("models", "m.joblib"))\n'}),
        Valid({"serve.py": 'import torch\nmodel = torch.load("models/net.pt")\n',
               "train.py": 'import torch\nOUT = "models"\ntorch.save(net, f"{OUT}/net.pt")\n'}),
        Valid({"serve.py": 'import torch\nmodel = torch.load("models/net.pt")\n',
               "train.py": 'import torch\ndef save(net, d):\n    torch.save(net, f"{d}/net.pt")\n'},
              note="written under a path we cannot fold, but with the same file name"),
        Valid({"serve.py": 'import joblib\nmodel = joblib.load("models/m.pkl")\n',
               "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    outs:\n      - models\n"}),
        Valid({"serve.py": 'import joblib\nmodel = joblib.load("models/m.pkl")\n', "models.dvc": "outs:\n- path: models\n"}),
        Valid({"serve.py": 'import joblib\nmodel = joblib.load("model.pkl")\n',
               "Dockerfile": "FROM python:3.11\nRUN aws s3 cp s3://bucket/model.pkl model.pkl\n"}),
        Valid({"serve.py": 'import joblib, mlflow\nm = joblib.load("/opt/ml/model.pkl")\n'
                           'n = mlflow.pyfunc.load_model("models:/churn/3")\n'
                           'from transformers import AutoModel\nb = AutoModel.from_pretrained("bert-base-uncased")\n'
                           'c = AutoModel.from_pretrained("org/model-name")\n'}),
        Valid({"tests/test_serve.py": 'import joblib\nmodel = joblib.load("tests/data/m.pkl")\n'}),
        Valid('import json, yaml\ncfg = json.load(open("config.json"))\nw = yaml.safe_load(open("a.yaml"))\n'),
        Valid({"train.py": 'from tensorflow import keras\ncb = keras.callbacks.ModelCheckpoint("net_{epoch:02d}_{val_accuracy:.3f}.h5")\n',
               "serve.py": 'from tensorflow import keras\nmodel = keras.models.load_model("net_08_0.894.h5")\n'},
              note="a checkpoint written from a file-name template"),
        Valid({"lesson/README.md": "Get the model:\n\n    wget https://example.org/releases/v1/clothes.keras\n"
                                   "or [the small one](https://example.org/releases/v1/small.keras).\n",
               "lesson/small.py": 'from tensorflow import keras\nmodel = keras.models.load_model("small.keras")\n',
               "lesson/predict.py": 'from tensorflow import keras\nmodel = keras.models.load_model("clothes.keras")\n'},
              note="the documentation says where to download it"),
        Valid({"lesson/explore.ipynb": '{"cells": [{"cell_type": "code", "source": ["!wget https://example.org/m/clothes.h5\\n",'
                                       ' "from tensorflow import keras\\n", "m = keras.models.load_model(\'clothes.h5\')"]}],'
                                       ' "nbformat": 4}'},
              note="a notebook downloads it with a shell escape"),
        Invalid({"explore.ipynb": '{"cells": [{"cell_type": "code", "source": ["import joblib\\n",'
                                  ' "m = joblib.load(\'best.joblib\')"]}], "nbformat": 4}'},
                [("explore.ipynb", 2, 1)], note="in a notebook (exploration, not serving): medium"),
        Invalid("from transformers import AutoModel\n\njudge = AutoModel.from_pretrained('models/judges/toxicity')\n"
                "best = AutoModel.from_pretrained('./checkpoints/best')\n", expect=[3, 4],
                note="a folder of the repository that nothing provides, not a Hub id"),
        Valid("from transformers import AutoModel\n\na = AutoModel.from_pretrained('bert-base-uncased')\n"
              "b = AutoModel.from_pretrained('org/sentiment-model')\n", note="Hub ids are downloaded"),
        Valid({"train.py": "from transformers import AutoModel\n\nm = AutoModel.from_pretrained('bert-base-uncased')\n"
                           "m.save_pretrained('./checkpoints/best')\n",
               "serve.py": "from transformers import AutoModel\n\nbest = AutoModel.from_pretrained('./checkpoints/best')\n"},
              note="the training script writes the folder the service loads"),
    )

    def check(self, project):
        links = link(project)
        tracked = [o.path for o in dvc_outputs(project)]
        named_in = [f for f in project.files.values()
                    if f.kind in (BUILD, DOCKERFILE, "script") or f.kind == CONFIG and f.text]
        documented = _documented_downloads(project)
        for module, facts in project.fact(FACTS).items():
            if _is_test(module) or not isinstance(facts, dict):
                continue
            reported: set[str] = set()
            for entry in sorted(facts.get("reads", []), key=lambda e: e.get("line") or 0):
                raw, call = entry.get("path", ""), entry.get("call", "")
                if "from_pretrained" in call:
                    if not is_local_model_path(raw):
                        continue  # a Hub id: downloaded, not a file of the repository
                elif posixpath.splitext(raw)[1].lower() not in MODEL_SUFFIXES:
                    continue
                options = candidates(raw, module)
                if not options or options[0] in reported or \
                        self._provided(project, links, tracked, named_in, options) or \
                        {posixpath.basename(o) for o in options} & documented:
                    continue
                reported.add(options[0])  # open(PATH, "rb") and pickle.load(handle): one finding
                # a notebook is exploration: a model it loads is not what production serves
                severity = "medium" if module.endswith(".ipynb") else None
                yield self.finding(
                    module, entry.get("line"),
                    f"loads {options[0]}, which is not in the repository, not tracked by DVC or Git LFS, "
                    f"and written by no code or pipeline",
                    anchor=f"missing {raw}", severity=severity,
                    evidence={"path": raw, "resolved": options, "call": call})

    @staticmethod
    def _provided(project, links: Links, tracked: list[str], named_in, options: list[str]) -> bool:
        names = {posixpath.basename(o) for o in options}
        for option in options:
            if option in project.files or any(p.startswith(option + "/") for p in project.files):
                return True
            if option in project.absent:  # tracked by git, not checked out: unknown, not missing
                return True
            if any(option == t or option.startswith(t + "/") for t in tracked):
                return True
            if option in links.written:
                return True
        if names & links.written_names or any(_template_writes(written, name) for written in links.written_names
                                               if "{" in written for name in names):
            return True
        return any(name in (f.text or "") for f in named_in for name in names)


def _documented_downloads(project) -> set[str]:
    """File names the documentation says how to fetch (``wget URL/model.h5`` in a README)."""
    names: set[str] = set()
    for file in project.files.values():
        if file.kind == DOC and file.text:
            for line in file.text.splitlines():
                names |= downloaded_names(line, links_too=True)
    return names


def _template_writes(template: str, name: str) -> bool:
    """Whether a file name written from a template (a Keras checkpoint's
    ``model_{epoch:02d}_{val_accuracy:.3f}.h5``) can be ``name`` (``model_13_0.903.h5``)."""
    pattern = "".join(".+?" if part.startswith("{") else re.escape(part)
                      for part in re.split(r"(\{[^{}]*\})", template) if part)
    return re.fullmatch(pattern, name) is not None


def _is_test(path: str) -> bool:
    parts = path.split("/")
    return any(p in ("tests", "test") for p in parts[:-1]) or parts[-1].startswith("test_") or \
        parts[-1].endswith("_test.py") or parts[-1] == "conftest.py"
