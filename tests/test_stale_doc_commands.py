"""README commands checked against typer apps and python-fire entry points (ML701, issue 24): the
options and sub-commands each framework derives from signatures, and the scripts whose command line
cannot be read statically, which are never reported."""

from auditor.testing import make_repo, scan_repo


def doc_findings(tmp_path, files, rules="ML701"):
    root = make_repo(tmp_path / "r", files)
    result = scan_repo(root, {"select": [rules], "min-confidence": "low"})
    assert not result.errors, result.errors
    return [(f.path, f.line, f.message) for f in result.findings]


def readme(*commands: str) -> str:
    return "# Use\n\n```bash\n" + "\n".join(commands) + "\n```\n"


# --- typer -------------------------------------------------------------------------------------------

SINGLE = ("import typer\nfrom typing import Annotated\n\n\n"
          "def main(data: str, rate: Annotated[float, typer.Option('--learning-rate', '-r')] = 0.1,\n"
          "         max_steps: int = 5, verbose: bool = False):\n    print(data, rate, max_steps, verbose)\n\n\n"
          "if __name__ == '__main__':\n    typer.run(main)\n")


def test_typer_run_derives_dashed_options_and_bool_negations(tmp_path):
    files = {"README.md": readme("python cli.py d.csv --max-steps 3 --learning-rate 0.2 -r 1 --no-verbose",
                                 "python cli.py d.csv --max_steps 3", "python cli.py d.csv --rate 0.2"),
             "cli.py": SINGLE}
    found = doc_findings(tmp_path, files)
    assert [line for _, line, _ in found] == [5, 6]
    assert "did you mean `--max-steps`?" in found[0][2] and "typer app" in found[0][2]
    assert "has no option --rate" in found[1][2]


def test_a_typer_app_with_one_command_runs_it_without_its_name(tmp_path):
    app = ("import typer\n\napp = typer.Typer()\n\n\n@app.command()\ndef train(data: str, epochs: int = 1):\n"
           "    print(data, epochs)\n\n\napp()\n")
    assert doc_findings(tmp_path, {"README.md": readme("python cli.py data.csv --epochs 2"), "cli.py": app}) == []


def test_a_typer_callback_makes_commands_sub_commands_and_adds_its_options(tmp_path):
    app = ("import typer\n\napp = typer.Typer()\n\n\n@app.callback()\ndef common(debug: bool = False):\n    pass\n\n\n"
           "@app.command('fit')\ndef train_model(epochs: int = 1):\n    print(epochs)\n\n\napp()\n")
    files = {"README.md": readme("python cli.py --debug fit --epochs 2", "python cli.py train-model"), "cli.py": app}
    [(_, line, message)] = doc_findings(tmp_path, files)
    assert line == 5 and "no sub-command train-model (it has fit)" in message


def test_typer_apps_mlaudit_cannot_read_or_that_the_script_does_not_run_are_silent(tmp_path):
    head = "import typer\n\napp = typer.Typer({settings})\n\n\n@app.command()\ndef train(epochs: int = 1):\n    pass\n\n\n"
    files = {
        "README.md": readme("python a.py --lr 1", "python b.py --lr 1", "python c.py --lr 1", "python d.py --lr 1"),
        "a.py": head.format(settings="") + "# the app is run from a console script, not from this file\n",
        "b.py": head.format(settings="context_settings={'ignore_unknown_options': True}") + "app()\n",
        "c.py": head.format(settings="") + "app.add_typer(other_app, name='data')\napp()\n",
        "d.py": "import typer\n\n\ndef main(**options):\n    pass\n\n\ntyper.run(main)\n",
    }
    assert doc_findings(tmp_path, files) == []


# --- fire --------------------------------------------------------------------------------------------

COMMANDS = ("import fire\n\n\ndef train(data, num_epochs=3, fast=False):\n    return data\n\n\n"
            "def evaluate(model_path):\n    return model_path\n\n\nfire.Fire({'train': train, 'eval': evaluate})\n")


def test_a_fire_dict_gives_sub_commands_and_each_function_its_flags(tmp_path):
    files = {"README.md": readme("python run.py train d.csv --num-epochs 2 --nofast --fast", "python run.py eval m.pt",
                                 "python run.py predict m.pt", "python run.py train d.csv --epochs 2"),
             "run.py": COMMANDS}
    found = doc_findings(tmp_path, files)
    assert [line for _, line, _ in found] == [6, 7]
    assert "no sub-command predict" in found[0][2]
    assert "no option --epochs" in found[1][2] and "fire entry point" in found[1][2]


def test_fire_values_short_arguments_and_what_follows_a_separator_are_not_options(tmp_path):
    script = "import fire\n\n\ndef train(data, lr=0.1):\n    return data\n\n\nfire.Fire(train)\n"
    files = {"README.md": readme("python t.py d.csv --lr -1 -v upper", "python t.py d.csv -- --help --trace"),
             "t.py": script}
    assert doc_findings(tmp_path, files) == []


def test_fire_components_mlaudit_cannot_read_are_silent(tmp_path):
    files = {
        "README.md": readme(*(f"python {name}.py run --epochs 2" for name in "abcde")),
        "a.py": "import fire\n\n\nclass A(Base):\n    def fit(self):\n        pass\n\n\nfire.Fire(A)\n",
        "b.py": "import fire\n\n\ndef fit(x=1):\n    pass\n\n\nfire.Fire()\n",
        "c.py": "import fire\nfrom helpers import fit\n\nfire.Fire(fit)\n",
        "d.py": "import fire\nimport functools\n\n\n@functools.lru_cache\ndef fit(x=1):\n    pass\n\n\nfire.Fire(fit)\n",
        "e.py": "import fire\n\n\nclass E:\n    def fit(self, **config):\n        pass\n\n\nfire.Fire(E)\n",
    }
    assert doc_findings(tmp_path, files) == []


# --- console scripts ---------------------------------------------------------------------------------

TYPER_MODULE = ("import typer\n\napp = typer.Typer()\n\n\n@app.command()\ndef fit(num_epochs: int = 1):\n    pass\n\n\n"
                "@app.command()\ndef score(path: str):\n    pass\n")


def test_console_scripts_from_setup_py_setup_cfg_and_pyproject_run_their_modules_command_line(tmp_path):
    files = {
        "README.md": readme("acme fit --epochs 2", "acme-cfg fit --num-epochs 2", "acme-ini predict x",
                            "acme fit --num-epochs 2"),
        "acme/__init__.py": "", "acme/cli.py": TYPER_MODULE,
        "setup.py": "from setuptools import setup\n\nsetup(name='acme', entry_points={'console_scripts': "
                    "['acme = acme.cli:app']})\n",
        "tools/setup.py": "import setuptools\n\nsetuptools.setup(entry_points='''\n[console_scripts]\n"
                          "acme-ini=acme.cli:app\n''')\n",
        "setup.cfg": "[metadata]\nname = acme\n\n[options.entry_points]\nconsole_scripts =\n    acme-cfg = acme.cli:app\n",
    }
    found = doc_findings(tmp_path, files)
    assert [line for _, line, _ in found] == [4, 6]
    assert "did you mean `--num-epochs`?" in found[0][2] and "the console script acme, declared in setup.py" in found[0][2]
    assert "no sub-command predict" in found[1][2] and "declared in tools/setup.py" in found[1][2]


def test_a_program_named_like_the_project_is_reported_only_as_a_missing_alias_of_a_command_it_runs(tmp_path):
    files = {
        "README.md": "# CLI\n\nRun `acme env` or `acme-env`; `acme-config` too.\n\n```bash\nacme-operator --help\n"
                     "acme-test\n```\n",
        "acme/__init__.py": "", "acme/cli.py": "def main():\n    pass\n",
        "pyproject.toml": "[project]\nname = 'acme'\n\n[project.scripts]\nacme = 'acme.cli:main'\nacme-config = 'acme.cli:main'\n",
    }
    [(_, line, message)] = doc_findings(tmp_path, files)
    assert line == 3 and "acme-env is not a console script" in message and "did you mean `acme env`?" in message


def test_glob_characters_inside_quotes_are_literal_and_outside_them_unknown(tmp_path):
    script = "import fire\n\n\ndef train(modules='q', epochs=1):\n    return modules\n\n\nfire.Fire(train)\n"
    files = {"README.md": readme("python t.py --modules '[q,v]' --epoch 2", "python t.py data/*.csv --epoch 2"),
             "t.py": script}
    [(_, line, message)] = doc_findings(tmp_path, files)
    assert line == 4 and "no option --epoch" in message


def test_typer_commands_registered_by_call_are_read_or_make_the_app_unknown(tmp_path):
    local = ("import typer\n\n\ndef train(epochs: int = 1):\n    pass\n\n\napp = typer.Typer()\napp.command()(train)\n"
             "app.command('eval')(train)\n\nif __name__ == '__main__':\n    app()\n")
    imported = "import typer\nimport core\n\napp = typer.Typer()\napp.command()(core.train)\napp.command()(core.score)\napp()\n"
    files = {"README.md": readme("python a.py train --epochs 2", "python a.py predict", "python b.py train --lr 1"),
             "a.py": local, "b.py": imported}
    [(_, line, message)] = doc_findings(tmp_path, files)
    assert line == 5 and "no sub-command predict (it has eval, train)" in message


def test_a_typer_app_other_modules_import_or_add_commands_to_is_unknown(tmp_path):
    main = "import typer\n\napp = typer.Typer()\n\n\n@app.command()\ndef version():\n    pass\n\n\nimport extra\n\napp()\n"
    extra = "from main import app\n\n\n@app.command()\ndef train(epochs: int = 1):\n    pass\n"
    bare = "import typer\n\napp = typer.Typer()\n\nif __name__ == '__main__':\n    app()\n"
    files = {"README.md": readme("python main.py train --epochs 2", "python bare.py train --epochs 2"),
             "main.py": main, "extra.py": extra, "bare.py": bare}
    assert doc_findings(tmp_path, files) == []


def test_a_click_group_another_module_imports_may_gain_commands_there(tmp_path):
    main = ("import click\n\n\n@click.group()\ndef cli():\n    pass\n\n\n@cli.command()\ndef version():\n    pass\n\n\n"
            "import train_cmd\n\ncli()\n")
    extra = "from main import cli\n\n\n@cli.command()\ndef train():\n    pass\n"
    files = {"README.md": readme("python main.py train"), "main.py": main, "train_cmd.py": extra}
    assert doc_findings(tmp_path, files) == []
    del files["train_cmd.py"]
    files["main.py"] = main.replace("import train_cmd\n", "")
    assert [line for _, line, _ in doc_findings(tmp_path / "b", files)] == [4]


def test_a_plain_command_line_is_split_as_the_shell_splits_it():
    """Lines without quotes, escapes, comments or punctuation take a fast path: it must give what
    shlex gives, and every other line still goes through shlex."""
    import shlex

    from auditor.analysis.doc_commands import _SEPARATORS, _split

    def by_shlex(line):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        commands = [[]]
        for token in lexer:
            commands.append([]) if token in _SEPARATORS else commands[-1].append(token)
        return [c for c in commands if c]

    lines = ["python train.py --epochs 3", "  accelerate launch\t--num_processes=2  train.py ", "", "   ",
             "CUDA_VISIBLE_DEVICES=0 python -m pkg.run", "naïve-tool --flag=ü", "a\x0bb", "x\u00a0y",
             "python train.py && echo done", "pip install 'torch>=2'", "make train # comment", "echo a\\ b",
             "cat file | grep x; ls", "(cd sub && make)"]
    for line in lines:
        assert _split(line) == by_shlex(line), line
    assert _split('echo "unterminated') is None
