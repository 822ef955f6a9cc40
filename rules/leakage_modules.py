"""Data leakage across modules: rows a fit saw in one file, handed to a function of another file
that scores them (ML608). Each module's row flow (``auditor/analysis/row_flow.py``) records what its
functions score and what it hands to other modules' functions; the project phase joins the two
through the import graph."""

from __future__ import annotations

from auditor.analysis.pymodule import Extractor
from auditor.analysis.row_export import passed_on_facts
from auditor.analysis.row_values import Fit, Value, how_seen, seen_path
from auditor.rule import Invalid, ProjectRule, Valid

ROWS_PASSED_ON = "rows_passed_on"


class RowsPassedOnFacts(Extractor):
    """Each module's functions that score a parameter, and its calls of other modules' functions
    with rows a fit saw (``auditor.analysis.row_flow.passed_on_facts``)."""

    name = ROWS_PASSED_ON

    def extract(self, module) -> dict:
        return passed_on_facts(module)


class LeakageThroughAFunction(ProjectRule):
    """Rows a fit saw handed to a function of another module that scores them.

    ``X = StandardScaler().fit_transform(X)`` in ``train.py``, then ``evaluate(X, y)`` from
    ``evaluation.py``, which splits its arguments and scores the held-out part; or
    ``report(model, X_test_scaled, y_test)`` with a scaler fitted on all rows before the split. The
    row flow of each module records what its functions score and what it hands to other modules'
    functions; the project phase joins them through the import graph. Medium confidence: the
    function's body is read, but not with the caller's values.
    """

    id = "ML608"
    name = "leakage-through-a-function"
    category = "data-leakage"
    severity = "medium"
    confidence = "medium"
    rationale = ("The leak and the evaluation sit in different files, so neither file looks wrong on its own: the "
                 "training script prepares all rows, the shared evaluation helper splits and scores them, and the "
                 "reported number includes rows the preparation learnt from.")
    remediation = ("Fit the step on the training rows only, after the split, or pass a Pipeline holding the step to "
                   "the function so that it is fitted inside the split.")
    examples = (
        Invalid({"evaluation.py": "from sklearn.linear_model import LogisticRegression\n"
                                  "from sklearn.model_selection import train_test_split\n\n\n"
                                  "def evaluate(features, labels):\n"
                                  "    X_train, X_test, y_train, y_test = train_test_split(features, labels)\n"
                                  "    return LogisticRegression().fit(X_train, y_train).score(X_test, y_test)\n",
                 "train.py": "import pandas as pd\nfrom sklearn.preprocessing import StandardScaler\n\n"
                             "from evaluation import evaluate\n\ndf = pd.read_csv('data.csv')\n"
                             "X = StandardScaler().fit_transform(df.drop(columns=['label']))\n"
                             "print(evaluate(X, df['label']))\n"},
                [("train.py", 7)], note="scaled in one file, split and scored in another"),
        Valid({"evaluation.py": "from sklearn.linear_model import LogisticRegression\n"
                                "from sklearn.model_selection import train_test_split\n\n\n"
                                "def evaluate(features, labels):\n"
                                "    X_train, X_test, y_train, y_test = train_test_split(features, labels)\n"
                                "    return LogisticRegression().fit(X_train, y_train).score(X_test, y_test)\n",
               "train.py": "import pandas as pd\nfrom sklearn.preprocessing import StandardScaler\n"
                           "from sklearn.pipeline import make_pipeline\n\nfrom evaluation import evaluate\n\n"
                           "df = pd.read_csv('data.csv')\nprint(evaluate(df.drop(columns=['label']), df['label']))\n"},
              note="the rows are handed over unprepared"),
        Invalid({"metrics.py": "from sklearn.metrics import accuracy_score\n\n\n"
                               "def report(model, rows, labels):\n    return accuracy_score(labels, model.predict(rows))\n",
                 "train.py": "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
                             "from sklearn.model_selection import train_test_split\n"
                             "from sklearn.preprocessing import StandardScaler\n\nfrom metrics import report\n\n"
                             "df = pd.read_csv('data.csv')\nX = StandardScaler().fit_transform(df.drop(columns=['label']))\n"
                             "X_train, X_test, y_train, y_test = train_test_split(X, df['label'])\n"
                             "model = LogisticRegression().fit(X_train, y_train)\nprint(report(model, X_test, y_test))\n"},
                [("train.py", 9)], note="the held-out rows scored by another module's function"),
    )

    def check(self, project):
        facts = project.fact(ROWS_PASSED_ON)
        program = project.program
        for path, module_facts in sorted(facts.items()):
            for call in module_facts.get("calls", ()):
                target = program.resolve_qualified(call["callee"])
                callee_path, _, function = (target or "").partition("::")
                scored = facts.get(callee_path, {}).get("functions", {}).get(function)
                if scored:
                    yield from self._leaks(path, call, function, callee_path, scored)

    def _leaks(self, path: str, call: dict, function: str, callee_path: str, scored: dict):
        reported = set()
        for index, sides in scored["scored"]:
            argument = _argument(call["arguments"], index, scored["parameters"])
            if argument is None:
                continue
            held = tuple(tuple(step) for step in argument["path"]) + tuple((call["line"], side) for side in sides)
            if sides == [] and not (held and held[-1][1] == 1):
                continue  # the function scores what it is given: only held-out rows given to it matter
            for fit_id in argument["fits"]:
                fit = _fit(int(fit_id), call["fits"][str(fit_id)])
                seen = seen_path(fit, Value(family=argument["family"], path=held))
                if seen is None or fit.kind == "labels" or fit.line in reported:
                    continue
                reported.add(fit.line)
                yield self._finding(path, call, function, callee_path, fit, held, "before-split" if sides else
                                    how_seen(fit, seen, held))

    def _finding(self, path, call, function, callee_path, fit: Fit, held: tuple, how: str):
        def where(line):
            shown, cell = call["where"].get(str(line), [line, None])
            return f"cell {cell}:{shown}" if cell is not None else f"line {shown}"

        split_line = held[-1][0]
        split = ("splits them inside it" if split_line == call["line"] else
                 f"gets the held-out rows split off by `{call['splits'].get(str(split_line), '')}` at {where(split_line)}")
        saw = {"before-split": "saw all rows", "after-split": "was fitted on all rows after the split, the held-out ones "
               "included", "held-out": "was fitted on the held-out rows themselves"}[how]
        message = (f"`{fit.text}` at {where(fit.line)} {saw}; `{call['text']}` at {where(call['line'])} hands them to "
                   f"`{function}` ({callee_path}), which {split} and scores them: the score includes rows this step "
                   "learnt from; fit it on the training rows only, or pass a Pipeline that holds it")
        shown, cell = call["where"].get(str(fit.line), [fit.line, None])
        kind = "preprocessing" if fit.kind in ("statistics", "vocabulary", "unknown") else "overlap"
        return self.finding(path, shown, message, cell=cell, confidence="low" if fit.kind in ("vocabulary", "unknown")
                            else None, anchor=f"leak-through {function} {fit.text}",
                            evidence={"fit": f"{where(fit.line)} {fit.text}", "call": f"{where(call['line'])} {call['text']}",
                                      "function": f"{callee_path}::{function}", "kind": kind, "how": how})


def _argument(arguments: dict, index: int, parameters: list) -> dict | None:
    """The caller's argument for the function's parameter ``index``, by position or by name."""
    if str(index) in arguments:
        return arguments[str(index)]
    return arguments.get(parameters[index]) if index < len(parameters) else None


def _fit(fit_id: int, fact: dict) -> Fit:
    return Fit(fit_id, fact["kind"], fact["line"], fact["text"], fact["family"],
               tuple(tuple(tuple(step) for step in path) for path in fact["paths"]), strong=fact["strong"],
               supervised=fact["supervised"])
