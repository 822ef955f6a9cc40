"""The commands a document tells its reader to run, split as a shell splits them (``shlex``), each
with the folder it runs in, for the stale-doc rules.

Shell code blocks (and unlabelled ones) are read line by line, with ``\\`` continuations joined and
console prompts (``$ ``) honoured; an inline code span is one command. A command is left out when
mlaudit cannot know what it does: shell variables, placeholders (``<path>``, ``{model}``), globs
outside quotes (``'[q_proj,v_proj]'`` is a literal), Windows paths. What runs after ``git clone``
of another repository, or after ``cd`` into a folder this repository does not have, runs somewhere
else: those commands are marked ``elsewhere`` until the next heading or a ``cd`` back into the
repository.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

SHELL_LANGUAGES = frozenset({"", "bash", "sh", "shell", "console", "zsh", "shell-session", "shellsession", "terminal",
                             "cmd", "sh-session", "bash-session"})
_UNKNOWABLE = ("$", "<", ">", "{", "}", "`", "\\", "%", "...", "…")
_GLOBS = ("*", "?", "[")  # unknowable only where the shell expands them: outside quotes
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "(", ")"})
_RUNNERS = (("poetry", "run"), ("uv", "run"), ("pipenv", "run"), ("pdm", "run"), ("hatch", "run"), ("rye", "run"))


@dataclass(frozen=True)
class DocCommand:
    line: int
    text: str  # the command as written (one of a line's commands)
    argv: tuple[str, ...]
    cwd: str  # repository-relative folder it runs in ("" for the root); meaningful only when not elsewhere
    elsewhere: bool  # runs in another repository or a folder this one lacks


# What shlex reads as more than a word break: quotes, escapes, comments and the shell's punctuation.
# A line without any of them is its words between blanks (most commands in documents).
_SHELL_SPECIAL = re.compile(r"""['"\\#();<>|&]""")
_SHELL_BLANKS = re.compile(r"[ \t\r\n]+")


def _split(line: str) -> list[list[str]] | None:
    """A line's commands (split at ``&&``, ``;``, ``|``), or None when the shell would not split it."""
    if not _SHELL_SPECIAL.search(line):
        words = [word for word in _SHELL_BLANKS.split(line) if word]
        return [words] if words else []
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
    except ValueError:
        return None
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token in _SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def _strip_prefix(argv: list[str]) -> list[str]:
    """The command without environment assignments (``CUDA_VISIBLE_DEVICES=0``) and runners
    (``poetry run``, ``uv run``)."""
    while argv and "=" in argv[0] and not argv[0].startswith("-") and argv[0].split("=")[0].isidentifier():
        argv = argv[1:]
    for runner in _RUNNERS:
        if tuple(argv[:2]) == runner:
            return _strip_prefix(argv[2:])
    return argv


def _lines(block_text: str, shell: bool) -> list[tuple[int, str]]:
    """(offset, line) of a block's commands: continuations joined, prompts honoured."""
    raw = block_text.split("\n")
    prompted = any(line.lstrip().startswith(("$ ", "% ")) for line in raw)
    found: list[tuple[int, str]] = []
    index = 0
    while index < len(raw):
        start, line = index, raw[index]
        while line.endswith("\\") and index + 1 < len(raw):
            index += 1
            line = line[:-1] + " " + raw[index].strip()
        index += 1
        stripped = line.strip()
        if prompted:  # a console session: the prompted lines are commands, the others their output
            if not stripped.startswith(("$ ", "% ")):
                continue
            stripped = stripped[2:]
        elif not shell:
            continue
        found.append((start, stripped))
    return found


class _Walk:
    """The folder the reader is in while following a document, section by section."""

    def __init__(self, home: str, folders: set[str], own_name: str, doc_folder: str) -> None:
        self.home, self.folders, self.own_name, self.doc_folder = home, folders, own_name.lower(), doc_folder
        self.cwd, self.elsewhere, self.section = home, False, -1

    def enter(self, section: int) -> None:
        if section != self.section:
            self.cwd, self.elsewhere, self.section = self.home, False, section

    def follow(self, argv: list[str]) -> None:
        """What ``cd`` and ``git clone`` do to where the next commands run."""
        if argv[:2] == ["git", "clone"]:
            url = next((a for a in argv[2:] if not a.startswith("-")), "")
            if posixpath.basename(url.rstrip("/")).removesuffix(".git").lower() != self.own_name:
                self.elsewhere = True
        elif argv[0] == "cd" and len(argv) <= 2:
            target = argv[1] if len(argv) == 2 else "~"
            if target.rstrip("/").lower() == self.own_name:
                self.cwd, self.elsewhere = "", False
                return
            moved = None if self.elsewhere else self._moved(target)  # from somewhere else, a cd stays there
            self.cwd, self.elsewhere = (self.home, True) if moved is None else (moved, False)

    def _moved(self, target: str) -> str | None:
        """The folder ``cd target`` goes to, from where the reader is or (at first) from the
        document's own folder; None when it is not a folder of this repository."""
        if target.startswith(("/", "~")):
            return None
        for base in dict.fromkeys([self.cwd, self.doc_folder] if self.cwd == self.home else [self.cwd]):
            moved = posixpath.normpath(posixpath.join(base, target))
            moved = "" if moved == "." else moved
            if moved == "" or moved in self.folders:
                return moved
        return None


def commands_in(document, home: str, folders: set[str], own_name: str, doc_folder: str = "") -> list[DocCommand]:
    """Every command of a document's shell blocks and inline code, in document order. ``home`` is
    the folder commands start in, ``folders`` the repository's folders, ``own_name`` its name (a
    ``git clone`` of it and ``cd`` into it stay in it), ``doc_folder`` the document's folder (a
    ``cd`` may be written from there)."""
    walk = _Walk(home, folders, own_name, doc_folder)
    found: list[DocCommand] = []
    items = [(b.line, b.section, b.text, b.language in SHELL_LANGUAGES, b.language == "") for b in document.blocks
             if b.language in SHELL_LANGUAGES or b.language in ("text", "txt")]
    items += [(s.line, s.section, s.text, True, False) for s in document.spans]
    for line, section, text, shell, unlabelled in sorted(items, key=lambda item: item[0]):
        walk.enter(section)
        for offset, command_line in _lines(text, shell):
            if command_line.startswith((">>>", "...", "#")):
                continue
            marks = _UNKNOWABLE + (_GLOBS if any(g in _QUOTED.sub("", command_line) for g in _GLOBS) else ())
            for argv in _split(command_line) or []:
                argv = _strip_prefix(argv)
                if not argv:
                    continue
                if argv[0] in ("cd", "git"):
                    walk.follow(argv)
                    continue
                if unlabelled and argv[0] not in ("python", "python3", "make", "dvc"):
                    continue
                known = not any(mark in token for token in argv for mark in marks)
                if known:
                    found.append(DocCommand(line + offset, " ".join(argv), tuple(argv), walk.cwd, walk.elsewhere))
    return found


def make_targets(text: str) -> set[str] | None:
    """The targets a Makefile defines, or None when they cannot all be known (``include``, pattern
    rules, targets named by variables)."""
    targets: set[str] = set()
    for raw in text.splitlines():
        if raw.startswith("\t") or raw.lstrip().startswith("#") or ":" not in raw:
            if raw.split(" ")[0] in ("include", "-include", "sinclude"):
                return None
            continue
        head, _, rest = raw.partition(":")
        if rest.startswith("=") or "=" in head or head.startswith((" ", "\t")):
            continue  # a variable assignment (``X := y``), not a rule
        for target in head.split():
            if "%" in target or "$" in target:
                return None
            targets.add(target)
    return targets
