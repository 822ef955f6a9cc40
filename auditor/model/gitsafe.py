"""The git policy: every git command mlaudit runs goes through this module.

git obeys the configuration of the repository it runs in, and a scanned repository is untrusted:
it may arrive as a tarball or a shared folder with a ``.git/config`` written by an attacker. Left
alone, git would run commands named there: ``core.fsmonitor`` on ``git ls-files``, a
``filter.<driver>.clean`` or ``process`` command (chosen by ``.gitattributes``) when ``git blame``
reads a work-tree file, a ``diff.<driver>.textconv`` command on blame, a pager, a hook, an external
diff, a credential helper or an ssh command. So every run here:

- sets ``core.fsmonitor=false``, ``core.hooksPath=/dev/null``, ``core.attributesFile=/dev/null``,
  ``core.pager=cat``, ``diff.external=`` (none), ``credential.helper=`` (none),
  ``core.sshCommand=false`` and ``protocol.allow=never`` on the command line, which git reads
  after, and over, the repository's own configuration;
- empties ``clean``, ``smudge`` and ``process`` of every filter driver, and ``textconv`` and
  ``command`` of every diff driver, that the repository's configuration defines (read with
  ``git config --get-regexp``, which runs nothing), since a ``.gitattributes`` may name any driver;
- runs with ``--no-pager`` and an environment without the system configuration
  (``GIT_CONFIG_NOSYSTEM``, ``GIT_ATTR_NOSYSTEM``), prompts (``GIT_TERMINAL_PROMPT=0``, no askpass
  program) or an external diff (``GIT_EXTERNAL_DIFF`` removed).

Callers add ``--no-textconv`` to ``git blame``, read blobs with ``git cat-file`` (which applies no
filter), and never run a command that writes (checkout, worktree, fetch, commit). tests/
test_hostile_git.py sets each of these vectors in a repository and asserts that no marker file
appears and that the repository's bytes are unchanged.
"""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from pathlib import Path

# Settings given on every command line: they take precedence over the repository's configuration.
POLICY = (
    "core.fsmonitor=false", "core.hooksPath=/dev/null", "core.attributesFile=/dev/null", "core.pager=cat",
    "diff.external=", "credential.helper=", "core.sshCommand=false", "protocol.allow=never",
)
# Driver settings that name a command, per driver kind.
_DRIVER_COMMANDS = {"filter": ("clean", "smudge", "process"), "diff": ("textconv", "command")}
# Environment variables that would let the caller's environment run something, or prompt.
_DROPPED = ("GIT_EXTERNAL_DIFF", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_PAGER", "PAGER")


def git_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_ATTR_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat",
               PAGER="cat")
    return env


def _config_signature(root: Path) -> tuple:
    """Where the repository's own configuration file is and when it last changed: the driver
    overrides are read again when it changes (a test, or a long-lived caller, may edit it)."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        try:
            if dot_git.is_file():
                text = dot_git.read_text(encoding="utf-8", errors="replace")[:4096]
                gitdir = text.partition("gitdir:")[2].strip()
                dot_git = (folder / gitdir) if gitdir else dot_git
            if dot_git.is_dir():
                stat = (dot_git / "config").stat()
                return (str(dot_git), stat.st_mtime_ns, stat.st_size)
        except OSError:
            return ()
    return ()


def _driver_overrides(root: str) -> tuple[str, ...]:
    return _read_driver_overrides(root, _config_signature(Path(root)))


@lru_cache(maxsize=64)
def _read_driver_overrides(root: str, signature: tuple) -> tuple[str, ...]:
    """``-c`` settings that empty every filter and diff driver command the repository configures."""
    try:
        done = subprocess.run(["git", "--no-pager", *_policy_args(), "-C", root, "config", "--get-regexp",
                               r"^(filter|diff)\..*\.(clean|smudge|process|textconv|command)$"],
                              capture_output=True, timeout=30, env=git_env())
    except (OSError, subprocess.SubprocessError):
        return ()
    drivers = set()
    for line in done.stdout.decode("utf-8", errors="replace").splitlines():
        key = line.split(" ", 1)[0]
        kind, _, rest = key.partition(".")
        name = rest.rpartition(".")[0]
        if kind in _DRIVER_COMMANDS and name:
            drivers.add((kind, name))
    args: list[str] = []
    for kind, name in sorted(drivers):
        for setting in _DRIVER_COMMANDS[kind]:
            args += ["-c", f"{kind}.{name}.{setting}="]
    return tuple(args)


def _policy_args() -> list[str]:
    args: list[str] = []
    for setting in POLICY:
        args += ["-c", setting]
    return args


def git_command(root: Path, *args: str, quote_paths: bool = True) -> list[str]:
    """The command line that runs ``git args`` in ``root`` under the policy above;
    ``quote_paths=False`` prints non-ASCII file names as they are (``core.quotepath=off``)."""
    output = [] if quote_paths else ["-c", "core.quotepath=off"]
    return ["git", "--no-pager", *_policy_args(), *_driver_overrides(str(root)), *output, "-C", str(root), *args]


def run_git(root: Path, *args: str, timeout: float = 60, quote_paths: bool = True,
            extra_env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run`` of ``git args`` in ``root`` under the policy (output captured as bytes).
    ``extra_env``: variables mlaudit sets itself (``auditor.scan.blame``'s object folders).
    Raises what ``subprocess.run`` raises (``OSError`` when git is missing, ``TimeoutExpired``)."""
    return subprocess.run(git_command(root, *args, quote_paths=quote_paths), capture_output=True, timeout=timeout,
                          env=git_env() | (extra_env or {}), **kwargs)


def git_output(root: Path, *args: str, timeout: float = 60) -> str | None:
    """The stripped standard output of ``git args`` in ``root``, or None when git failed or is missing."""
    try:
        done = run_git(root, *args, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", errors="replace").strip()
