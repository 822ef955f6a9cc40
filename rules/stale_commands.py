"""README commands that no longer run against this repository (issue 24, stale-doc): ML701.

Documents are read as the Markdown parser reads them (``RepoFile.doc``, auditor/model/docs.py) and
their commands as the shell splits them (auditor/analysis/doc_commands.py); what a script accepts is
its argparse parser, click decorators, typer app or fire component read from the syntax tree
(auditor/analysis/cli_parsers.py, cli_frameworks.py), and what a console script runs is read from the
packaging files (auditor/analysis/console_scripts.py), never by running anything. Unknown is
silent: a script whose parser cannot be read, a command with shell variables, a command run in
another repository are not reported.
"""

from __future__ import annotations

import posixpath
from typing import Any

from auditor.analysis.cli_parsers import command_line
from auditor.analysis.console_scripts import console_scripts, setup_py_scripts
from auditor.analysis.doc_commands import DocCommand, commands_in, make_targets
from auditor.analysis.hydra_config import choose, compose, has_key, key_paths
from auditor.model.project import PYTHON
from auditor.rule import Extractor, Invalid, ProjectRule, Valid
from auditor.rules.stale_docs import _documents, _exists, _folders, _near, _Neighbours

CLI_FACTS = "command_line"


class CommandLineFacts(Extractor):
    """Each module's argparse options and sub-commands, or why they cannot be known."""

    name = CLI_FACTS

    def extract(self, module) -> dict[str, Any]:
        facts = command_line(module)
        if posixpath.basename(module.path) == "setup.py":
            facts = {**facts, "console_scripts": setup_py_scripts(module)}
        return facts


_PYTHON = ("python", "python3", "py")
_PYTHON_VALUE_OPTIONS = ("-W", "-X", "-Q")
# Programs that run a Python script given after their own options, passing it the rest.
_LAUNCHERS = (("accelerate", "launch"), ("torchrun",), ("deepspeed",), ("python", "-m", "torch.distributed.run"),
              ("python", "-m", "torch.distributed.launch"), ("python3", "-m", "torch.distributed.run"))
_HYDRA_TRAIN = ("import hydra\n\n\n@hydra.main(config_path='conf', config_name='config', version_base=None)\n"
                "def main(cfg):\n    print(cfg)\n\n\nmain()\n")
_README = "# Training\n\n```bash\n{command}\n```\n"
_TYPER_CLI = ("import typer\n\napp = typer.Typer()\n\n\n@app.command()\n"
              "def train(data: str, num_epochs: int = 10, lr: float = typer.Option(0.01, '--learning-rate', '-l'),\n"
              "          fast: bool = False):\n    print(data, num_epochs, lr, fast)\n\n\n@app.command()\n"
              "def evaluate(model_path: str):\n    print(model_path)\n\n\nif __name__ == '__main__':\n    app()\n")
_FIRE_TRAIN = ("import fire\n\n\ndef train(data, num_epochs=10, lr=0.01):\n    return data, num_epochs, lr\n\n\n"
               "if __name__ == '__main__':\n    fire.Fire(train)\n")
_FIRE_PIPELINE = ("import fire\n\n\nclass Pipeline:\n    def __init__(self, data='train.csv'):\n        self.data = data\n\n"
                  "    def prepare(self, sample=1.0):\n        return self.data, sample\n\n"
                  "    def train(self, num_epochs=10):\n        return num_epochs\n\n\nfire.Fire(Pipeline)\n")
_TRAIN = ("import argparse\n\nparser = argparse.ArgumentParser()\nparser.add_argument('--num-epochs', type=int)\n"
          "parser.add_argument('--lr', type=float)\nargs = parser.parse_args()\n")


class _Repository:
    """What the commands are checked against: files, folders, modules and each script's parser."""

    def __init__(self, project) -> None:
        self.files = set(project.files)
        self.absent = set(project.absent)
        self.folders = _folders(self.files | self.absent)
        self.scripts = _Neighbours(p for p, f in project.files.items() if f.kind == PYTHON)
        self.modules = {name: path for path, name in project.module_names.items()}
        self.cli = project.fact(CLI_FACTS)
        self.project = project
        self._imported: set[str] | None = None  # every module's imports, read when a typer app is checked
        self.console_scripts = console_scripts(project, {path: facts["console_scripts"] for path, facts in self.cli.items()
                                                         if isinstance(facts, dict) and facts.get("console_scripts")})

    def imported_elsewhere(self, path: str, names: list[str]) -> bool:
        if self._imported is None:
            self._imported = {row[1] for facts in self.project.fact("symbols").values() if isinstance(facts, dict)
                              for row in facts.get("imports", ()) if len(row) > 1}
        module = self.project.module_names.get(path, "")
        return any(f"{module}.{name}" in self._imported for name in names)

    def resolve(self, command: DocCommand, home: str, target: str) -> tuple[str | None, list[str]]:
        """(the repository path ``target`` names from where the command runs, or None; the folders tried)."""
        bases = [command.cwd] if command.cwd else ["", home]
        tried = []
        for base in dict.fromkeys(bases):
            path = posixpath.normpath(posixpath.join(base, target))
            if path.startswith("../") or path == "..":
                continue
            tried.append(path)
            if path in self.files or path in self.absent or path in self.folders:
                return path, tried
        return None, tried


class StaleDocCommand(ProjectRule):
    """A command in a README or docs page no longer runs against this repository: `python path/to/script.py
    --flag` (or the script started by `accelerate launch`, `torchrun`, `deepspeed`) where the script is
    gone or its argparse parser, click decorators, typer app or fire.Fire component (parameters read as
    typer and fire derive them) declare no such option or sub-command (or its Hydra config no such key
    or config group option); a console script the project declares (pyproject, setup.cfg, setup.py)
    checked the same way against the module its entry point names; a dashed alias (`tool-env`) the
    project does not declare beside the `tool env` the same page runs; `python -m pkg.module` for a
    module the package lacks; `make target` that the Makefile does not define; `dvc repro stage` for a
    stage dvc.yaml lacks. A close existing name is suggested."""

    id = "ML701"
    name = "stale-doc-command"
    category = "stale-doc"
    severity = "medium"
    confidence = "high"
    rationale = ("The README's commands are the first thing a new teammate, an on-call engineer or a CI recipe "
                 "copies. When the script's flag was renamed (`--epochs` became `--num-epochs`) or the Makefile "
                 "target removed, the documented way to retrain the model fails, and every reader rediscovers "
                 "the current command by reading the code.")
    remediation = ("Update the command in the document to the current script, option or target (the finding names "
                   "the code that disagrees), or restore what the document promises.")
    examples = (
        Invalid({"README.md": _README.format(command="python train.py --epochs 10 --lr 0.01"), "train.py": _TRAIN},
                [("README.md", 4)], note="`--epochs` was renamed `--num-epochs`: did you mean `--num-epochs`?"),
        Valid({"README.md": _README.format(command="python train.py --num-epochs 10 --lr=0.01"), "train.py": _TRAIN}),
        Valid({"README.md": _README.format(command="python train.py --num 10"), "train.py": _TRAIN},
              note="argparse accepts an unambiguous prefix of an option"),
        Invalid({"README.md": _README.format(command="python train.py optimizer.lr=0.01 model=resnet"),
                 "train.py": _HYDRA_TRAIN, "conf/config.yaml": "defaults:\n  - model: resnet\n  - _self_\n"
                                                              "training:\n  lr: 0.1\n  epochs: 3\n",
                 "conf/model/resnet.yaml": "depth: 50\n"},
                [("README.md", 4)], note="the learning rate moved from optimizer.lr to training.lr: did you mean it?"),
        Valid({"README.md": _README.format(command="python train.py training.lr=0.01 model=resnet +seed=1"),
               "train.py": _HYDRA_TRAIN, "conf/config.yaml": "defaults:\n  - model: resnet\n  - _self_\n"
                                                            "training:\n  lr: 0.1\n",
               "conf/model/resnet.yaml": "depth: 50\n"}),
        Invalid({"README.md": _README.format(command="make train"), "Makefile": "test:\n\tpytest\n"},
                [("README.md", 4)], note="the Makefile's `train` target was removed"),
        Valid({"README.md": _README.format(command="make train"), "Makefile": "train:\n\tpython train.py\n"}),
        Valid({"README.md": _README.format(command="python train.py --epochs 10"),
               "train.py": "import argparse\n\nparser = argparse.ArgumentParser()\nparser.add_argument('--lr')\n"
                           "args, rest = parser.parse_known_args()\n"},
              note="parse_known_args passes unknown options on: what the script accepts is unknown"),
        Invalid({"README.md": _README.format(command="accelerate launch --num_processes 2 train.py --epochs 3"),
                 "train.py": _TRAIN}, [("README.md", 4)], note="the options after the launched script are the script's"),
        Valid({"README.md": _README.format(command="torchrun --nproc_per_node=2 train.py --num-epochs 3"),
               "train.py": _TRAIN}),
        Invalid({"README.md": _README.format(command="python cli.py train data.csv --epochs 3"), "cli.py": _TYPER_CLI},
                [("README.md", 4)], note="typer derives `--num-epochs` from num_epochs: did you mean it?"),
        Invalid({"README.md": _README.format(command="python cli.py predict model.pt"), "cli.py": _TYPER_CLI},
                [("README.md", 4)], note="the typer app's commands are train and evaluate"),
        Valid({"README.md": _README.format(command="python cli.py train data.csv --num-epochs 3 -l 0.1 --no-fast\n"
                                                   "python cli.py evaluate model.pt"), "cli.py": _TYPER_CLI}),
        Invalid({"README.md": _README.format(command="python train.py data.csv --epochs 3"), "train.py": _FIRE_TRAIN},
                [("README.md", 4)], note="fire's flags are the parameters: did you mean `--num_epochs`?"),
        Valid({"README.md": _README.format(command="python train.py data.csv --num_epochs 3 --num-epochs=4 --lr 0.1"),
               "train.py": _FIRE_TRAIN}, note="fire accepts a parameter with underscores or dashes"),
        Invalid({"README.md": _README.format(command="python pipeline.py --data d.csv fit --num_epochs 3"),
                 "pipeline.py": _FIRE_PIPELINE}, [("README.md", 4)], note="fire.Fire(Pipeline): no member fit"),
        Valid({"README.md": _README.format(command="python pipeline.py --data d.csv prepare --sample 0.1"),
               "pipeline.py": _FIRE_PIPELINE}),
        Valid({"README.md": _README.format(command="python train.py --epochs 3"),
               "train.py": "import fire\n\n\ndef train(**config):\n    return config\n\n\nfire.Fire(train)\n"},
              note="**kwargs takes any flag: what the script accepts is unknown"),
        Invalid({"README.md": _README.format(command="acme-train --epochs 3"), "acme/__init__.py": "",
                 "acme/cli.py": _TRAIN.replace("args = parser.parse_args()", "\n\ndef main():\n    parser.parse_args()"),
                 "pyproject.toml": "[project]\nname = 'acme'\n\n[project.scripts]\nacme-train = 'acme.cli:main'\n"},
                [("README.md", 4)], note="the console script acme-train runs acme.cli:main, whose parser has --num-epochs"),
        Valid({"README.md": _README.format(command="acme-train --num-epochs 3"), "acme/__init__.py": "",
               "acme/cli.py": _TRAIN.replace("args = parser.parse_args()", "\n\ndef main():\n    parser.parse_args()"),
               "pyproject.toml": "[project]\nname = 'acme'\n\n[project.scripts]\nacme-train = 'acme.cli:main'\n"}),
        Invalid({"README.md": "# Commands\n\n`acme env` or `acme-env` prints the environment.\n\n"
                              "`acme config` or `acme-config` writes the config.\n",
                 "acme/__init__.py": "", "acme/cli.py": "def main():\n    pass\n",
                 "pyproject.toml": "[project]\nname = 'acme'\n\n[project.scripts]\nacme = 'acme.cli:main'\n"
                                   "acme-config = 'acme.cli:main'\n"},
                [("README.md", 3)], note="acme-config is declared, acme-env is not: only `acme env` is installed"),
        Valid({"README.md": "# Deploy\n\n```bash\nacme-operator --namespace prod\n```\n",
               "acme/__init__.py": "", "acme/cli.py": "def main():\n    pass\n",
               "pyproject.toml": "[project]\nname = 'acme'\n\n[project.scripts]\nacme = 'acme.cli:main'\n"
                                 "acme-config = 'acme.cli:main'\n"},
              note="a program named after the project may be a binary or image it builds: not reported"),
        Valid({"README.md": "# Try it\n\nSave the request above as `test.py`, then run `python test.py`.\n"},
              note="a bare script name is as often a placeholder or a file the reader writes: not reported"),
        Valid({"README.md": "# Try the other project\n\n```bash\ngit clone https://github.com/acme/other\ncd other\n"
                            "python train.py --epochs 3\n```\n", "train.py": _TRAIN},
              note="commands after cloning another repository run there"),
        Invalid({"README.md": _README.format(command="dvc repro evaluate"),
                 "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n  evaluation:\n    cmd: python eval.py\n"},
                [("README.md", 4)], note="no stage `evaluate`: did you mean `evaluation`?"),
        Invalid({"README.md": _README.format(command="python -m churn.trainer"), "churn/__init__.py": "",
                 "churn/train.py": "print('train')\n"},
                [("README.md", 4)], note="the package has no module trainer"),
        Valid({"README.md": _README.format(command="python -m churn.train && python -m pip install ."),
               "churn/__init__.py": "", "churn/train.py": "print('train')\n"}),
    )

    def check(self, project):
        repo = _Repository(project)
        own_name = project.root.name
        for file in _documents(project):
            home = posixpath.dirname(file.path)
            commands = [c for c in commands_in(file.doc, "", repo.folders, own_name, home) if not c.elsewhere]
            spaced = {c.argv[:2] for c in commands}
            for command in commands:
                found = self._command(repo, command, home) or _undeclared_alias(repo, command.argv[0], spaced)
                if found is not None:
                    message, confidence, evidence = found
                    yield self.finding(file.path, command.line, f"`{command.text}`: {message}", confidence=confidence,
                                       anchor=f"doc-command {command.text}", evidence=evidence)

    def _command(self, repo: _Repository, command: DocCommand, home: str):
        program = command.argv[0]
        launcher = next((len(x) for x in _LAUNCHERS if command.argv[:len(x)] == x), 0)
        if launcher:
            return self._launched(repo, command, home, list(command.argv[launcher:]))
        if program in _PYTHON or (program.startswith("python3.") and program[8:].isdigit()):
            return self._python(repo, command, home)
        if program == "make":
            return self._make(repo, command, home)
        if command.argv[:2] == ("dvc", "repro"):
            return self._dvc(repo, command, home)
        if program in repo.console_scripts:
            return self._console_script(repo, program, command.argv[1:])
        return None

    def _launched(self, repo, command, home, args):
        """``accelerate launch [its options] train.py --lr 1``: the script's own options follow it."""
        at = next((i for i, a in enumerate(args) if a.endswith(".py") and not a.startswith("-") and "=" not in a), None)
        if at is None:
            return None
        path, tried = repo.resolve(command, home, args[at])
        if path is None:
            return self._missing_script(repo, args[at], tried)
        return self._options(repo, path, args[at + 1:])

    def _console_script(self, repo, program: str, args):
        """A command this repository installs: checked against the command line of the module its
        entry point names (``pkg.cli:main``), as the module declares it."""
        target, declared_in = repo.console_scripts[program]
        path = repo.modules.get(target.split(":")[0])
        found = self._options(repo, path, list(args), as_script=False) if path else None
        if found is None:
            return None
        message, confidence, evidence = found
        return (f"{message} (the console script {program}, declared in {declared_in}, runs {target})", confidence,
                {**evidence, "console_script": program, "entry_point": target})

    def _python(self, repo, command, home):
        args = list(command.argv[1:])
        while args and args[0].startswith("-") and args[0] not in ("-m", "-c"):
            args = args[2:] if args[0] in _PYTHON_VALUE_OPTIONS else args[1:]
        if not args or args[0] == "-c":
            return None
        if args[0] == "-m":
            return self._module(repo, command, home, args[1:])
        if not args[0].endswith(".py"):
            return None
        path, tried = repo.resolve(command, home, args[0])
        if path is None:
            return self._missing_script(repo, args[0], tried)
        return self._options(repo, path, args[1:])

    def _missing_script(self, repo, script: str, tried: list[str]):
        folder = posixpath.dirname(tried[0]) if tried else None
        if folder is None or (folder and folder not in repo.folders) or _exists(tried[0], repo.project, repo.folders):
            return None  # a folder this repository does not have (made by a step mlaudit cannot see), or cannot list
        if "/" not in script:
            # A bare name (`python test.py`) is far more often a placeholder (`my_script.py`), a file the
            # tutorial has the reader write, or one in a folder the text says to go to, than a script
            # that was renamed: 3 of 32 were stale on eight repositories (bench/eval/stale_docs.md).
            return None
        near = repo.scripts.suggest(tried[0], 0.7)
        hint = f"; did you mean `{near}`?" if near else ""
        return (f"{script} does not exist in the repository{hint}", "medium", {"script": script, "suggestion": near})

    def _module(self, repo, command, home, args):
        if not args or not all(part.isidentifier() for part in args[0].split(".")):
            return None
        name = args[0]
        path = repo.modules.get(name) or repo.modules.get(f"{name}.__main__")
        if path is None:
            for base in dict.fromkeys([command.cwd, home, ""]):
                candidate = posixpath.join(base, name.replace(".", "/"))
                for suffix in (".py", "/__main__.py"):
                    if candidate + suffix in repo.files:
                        path = candidate + suffix
        if path is not None:
            return self._options(repo, path, args[1:])
        top, parent = name.split(".")[0], name.rpartition(".")[0]
        if not parent or parent not in repo.modules:
            return None  # not a package of this repository (an installed one), or a sub-package an alias may provide
        siblings = [m for m in repo.modules if m.startswith(name.rsplit(".", 1)[0] + ".")]
        near = _near(name, siblings, 0.7)
        hint = f"; did you mean `{near}`?" if near else ""
        return (f"the package {top} ({repo.modules[top]}) has no module {name}{hint}", "medium",
                {"module": name, "suggestion": near})

    def _options(self, repo, path, args, as_script: bool = True):
        facts = repo.cli.get(path)
        if isinstance(facts, dict) and isinstance(facts.get("hydra"), dict):
            return _hydra_overrides(repo, path, facts["hydra"], args)
        if not isinstance(facts, dict) or not facts.get("readable") or (as_script and facts.get("runs") is False):
            return None  # unknown, or a typer app the script defines but does not run
        if facts.get("apps") and repo.imported_elsewhere(path, facts["apps"]):
            return None  # another module imports the app and may add commands to it
        known = set(facts.get("options", []))
        if facts.get("help", True):
            known |= {"-h", "--help"}
        option = self._unknown_option(facts, known, args)
        if option is not None:
            near = _near(option, known, 0.6)
            hint = f"; did you mean `{near}`?" if near else ""
            line = facts["parsers"][0]
            return (f"{path} has no option {option} (its {facts.get('framework', 'argparse parser')} at {path}:{line} defines "
                    f"{', '.join(sorted(known - {'-h', '--help'})[:8]) or 'none'}){hint}", None,
                    {"script": path, "parser_line": line, "option": option, "suggestion": near})
        return self._subcommand(path, facts, args)

    def _unknown_option(self, facts: dict, known: set[str], args) -> str | None:
        """The first option the command gives that the script does not accept (up to ``--``)."""
        for arg in args:
            if arg == "--":
                break
            if not arg.startswith("-") or len(arg) < 2 or arg[1].isdigit() or arg[1] == ".":
                continue
            if not arg.startswith("--") and not facts.get("short_options", True):
                continue  # fire reads `-x` as a value, not an option
            option = arg.split("=", 1)[0]
            if not self._accepted(option, known, facts.get("abbrev", True)):
                return option
        return None

    @staticmethod
    def _accepted(option: str, known: set[str], abbrev: bool) -> bool:
        if option in known:
            return True
        if option.startswith("--"):
            return abbrev and any(k.startswith(option) for k in known if k.startswith("--"))
        # a short option with its value attached (-n5) or several flags together (-vq)
        return any(option.startswith(k) for k in known if not k.startswith("--") and len(k) == 2)

    @staticmethod
    def _subcommand(path, facts, args):
        if facts.get("framework") == "fire entry point":
            args = _after_fire_flags(args)
        commands = set(facts.get("subcommands", []))
        if not commands or facts.get("positionals", 0) > len(commands) or not args or args[0].startswith("-"):
            return None
        if args[0] in commands:
            return None
        near = _near(args[0], commands, 0.6)
        hint = f"; did you mean `{near}`?" if near else ""
        return (f"{path} has no sub-command {args[0]} (it has {', '.join(sorted(commands))}){hint}", None,
                {"script": path, "subcommand": args[0], "suggestion": near})

    def _make(self, repo, command, home):
        invocation = _make_invocation(command, home)
        if invocation is None:
            return None
        bases, targets = invocation
        makefile = next((f"{b}/{n}".lstrip("/") for b in bases for n in ("GNUmakefile", "makefile", "Makefile")
                         if f"{b}/{n}".lstrip("/") in repo.files), None)
        text = repo.project.files[makefile].text if makefile else None
        defined = make_targets(text) if text is not None else None
        missing = [t for t in targets if t not in defined] if defined is not None else []
        if not missing:
            return None
        near = _near(missing[0], [t for t in defined if not t.startswith(".")], 0.6)
        hint = f"; did you mean `make {near}`?" if near else ""
        return (f"{makefile} has no target {missing[0]}{hint}", None,
                {"makefile": makefile, "target": missing[0], "suggestion": near})

    def _dvc(self, repo, command, home):
        args = [a for a in command.argv[2:]]
        if any(a in ("--glob", "-R", "--recursive") for a in args):
            return None
        targets = [a for a in args if not a.startswith("-")]
        bases = [command.cwd] if command.cwd else list(dict.fromkeys(["", home]))
        dvc_yaml = next((f"{b}/dvc.yaml".lstrip("/") for b in bases if f"{b}/dvc.yaml".lstrip("/") in repo.files), None)
        if dvc_yaml is None or not targets:
            return None
        data = repo.project.files[dvc_yaml].data
        stages = data.get("stages") if isinstance(data, dict) else None
        if not isinstance(stages, dict):
            return None
        for target in targets:
            if ":" in target or "/" in target or target.endswith((".yaml", ".yml", ".dvc")):
                continue
            if target.split("@")[0] in stages:
                continue
            near = _near(target, map(str, stages), 0.6)
            hint = f"; did you mean `{near}`?" if near else ""
            return (f"{dvc_yaml} has no stage {target}{hint}", None,
                    {"dvc_yaml": dvc_yaml, "stage": target, "suggestion": near})
        return None


def _undeclared_alias(repo: _Repository, program: str, spaced: set[tuple[str, ...]]):
    """``tool-env`` where the project declares ``tool`` and dashed aliases of its sub-commands
    (``tool-config``) but not this one, and the same document runs ``tool env``: the alias the
    document promises is not installed. Any other undeclared name is silent: a repository also
    builds binaries, images and charts named after itself (``tool-operator``)."""
    if program in repo.console_scripts or "-" not in program:
        return None
    declared = set(repo.console_scripts)
    for tool in declared:
        sub = program[len(tool) + 1:] if program.startswith(tool + "-") else ""
        if sub and (tool, sub) in spaced and any(d.startswith(tool + "-") for d in declared):
            aliases = sorted(d for d in declared if d.startswith(tool + "-"))
            where = repo.console_scripts[tool][1]
            return (f"{program} is not a console script of this project ({where} declares {tool}, "
                    f"{', '.join(aliases)}): did you mean `{tool} {sub}`?", None,
                    {"console_script": program, "declared_in": where, "suggestion": f"{tool} {sub}"})
    return None


def _after_fire_flags(args: list[str]) -> list[str]:
    """The arguments after the leading flags, consumed as fire consumes them: ``--x=v``, ``--x v``,
    or ``--x`` alone (a bool) when the next argument is a flag too."""
    index = 0
    while index < len(args) and args[index].startswith("--") and args[index] != "--":
        takes_next = "=" not in args[index] and index + 1 < len(args) and not args[index + 1].startswith("--")
        index += 2 if takes_next else 1
    return args[index:]


def _hydra_overrides(repo: _Repository, script: str, entry: dict, args: list[str]):
    """The first ``key=value`` override a Hydra application's composed config has no key for, or a
    config group option its folder lacks; None when all are there or the composition is unknown."""
    if not entry.get("readable") or any(a.startswith("-") and a not in ("-m", "--multirun") for a in args):
        return None  # --config-name, --config-dir and the like change what is composed
    config_dir = posixpath.normpath(posixpath.join(posixpath.dirname(script), entry["config_path"]))

    def lookup(path: str):
        file = repo.project.files.get(path)
        return (file.data, file.text) if file is not None and file.parses and file.parse_error is None else None

    composed = compose(lookup, repo.files, config_dir, entry["config_name"])
    if composed is None:
        return None
    overrides = [arg.partition("=")[::2] for arg in args if "=" in arg]
    overrides = [(k, v) for k, v in overrides if k and not k.startswith(("+", "~", "hydra.", "hydra/")) and "$" not in v]
    problem = _hydra_groups(composed, lookup, config_dir, script, overrides)
    return _hydra_keys(composed, script, overrides) if problem is False else problem


def _hydra_groups(composed, lookup, config_dir: str, script: str, overrides):
    """Group choices (``model=vit``) composed in; a finding for an option the group lacks, None when
    the composition cannot be read, False when all are there."""
    for key, value in overrides:
        if key not in composed.groups:
            continue
        if value in composed.groups[key]:
            if not choose(composed, lookup, config_dir, key, value):
                return None
            continue
        if "," in value:
            return None  # a sweep: several compositions
        near = _near(value, composed.groups[key], 0.6)
        hint = f"; did you mean `{key}={near}`?" if near else ""
        return (f"{script}'s config group {key} has no option {value} ({config_dir}/{key}/ offers "
                f"{', '.join(sorted(composed.groups[key])[:8])}){hint}", None,
                {"script": script, "group": key, "option": value, "suggestion": near})
    return False


def _hydra_keys(composed, script: str, overrides):
    for key, _ in overrides:
        if key in composed.groups or has_key(composed.config, key) is not False:
            continue
        leaf = key.rsplit(".", 1)[-1]
        keys = key_paths(composed.config)
        moved = [k for k in keys if k.rsplit(".", 1)[-1] == leaf]
        near = moved[0] if len(moved) == 1 else _near(key, keys, 0.75)
        hint = f"; did you mean `{near}`?" if near else ""
        return (f"{script}'s Hydra config ({composed.primary} and its defaults) has no key {key}{hint}", None,
                {"script": script, "key": key, "suggestion": near, "config": composed.primary})
    return None


def _make_invocation(command: DocCommand, home: str) -> tuple[list[str], list[str]] | None:
    """(the folders the Makefile may be in, the targets) of a ``make`` command; None when another
    file is named (``-f``) or no target is."""
    args = list(command.argv[1:])
    if any(a.startswith(("-f", "--file", "--makefile", "-I", "--include")) for a in args):
        return None
    bases = [command.cwd] if command.cwd else list(dict.fromkeys(["", home]))
    if "-C" in args:
        index = args.index("-C")
        if index + 1 >= len(args):
            return None
        folder = posixpath.normpath(posixpath.join(command.cwd, args[index + 1]))
        bases = ["" if folder == "." else folder]
        del args[index:index + 2]
    targets = [a for a in args if not a.startswith("-") and "=" not in a]
    return (bases, targets) if targets else None
