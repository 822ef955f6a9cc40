"""Which files a scan looks at: git's own list in a repository, gitignore rules elsewhere.

Never enters .git, virtual environments, site-packages, node_modules or build output, never
follows a path outside the root, and says why for every file it does not analyse.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.model.gitsafe import git_output, run_git
from auditor.pathnames import posix_path

if TYPE_CHECKING:
    import pathspec

# Directories that hold tooling or installed code, never the project's own sources.
SKIP_DIRS = {
    ".git", ".hg", ".svn", "node_modules", "site-packages", "dist-packages", "__pycache__",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints",
    ".venv", "venv", ".eggs", "build", "dist", ".mlaudit_cache", ".mlaudit", ".dvc",
}


ABSENT_FROM_WORK_TREE = ("tracked by git but absent from the work tree (a sparse checkout, a partial clone or a "
                         "local deletion): its content is unknown")


@dataclass
class Discovery:
    paths: list[str] = field(default_factory=list)  # repository-relative POSIX paths to analyse
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    in_git: bool = False


def _is_venv(directory: Path) -> bool:
    return (directory / "pyvenv.cfg").is_file() or (directory / "conda-meta").is_dir()


def _skipped_dir(parts: tuple[str, ...]) -> bool:
    for part in parts[:-1]:
        if part in SKIP_DIRS or part.endswith(".egg-info"):
            return True
    return False


def git_file_list(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files, relative to root; None outside a work tree."""
    try:
        if git_output(root, "rev-parse", "--is-inside-work-tree", timeout=30) != "true":
            return None
        listing = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate",
                          timeout=120, quote_paths=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if listing.returncode != 0:
        return None
    names = listing.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _gitignore_spec(lines: list[str], where: str, skipped: list[tuple[str, str]]):
    """The rules of one .gitignore; lines git would not accept are left out, and said so."""
    import pathspec

    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        from auditor.config import pattern_problem

        bad = [line for line in lines if pattern_problem(line)]
        skipped.append((where, f"{len(bad)} invalid pattern(s) ignored, e.g. {bad[0][:40]!r}" if bad else
                        "invalid patterns ignored"))
        return pathspec.GitIgnoreSpec.from_lines([line for line in lines if line not in bad])


def _walk(root: Path, skipped: list[tuple[str, str]]) -> list[str]:
    """A walk that applies .gitignore files found on the way (for trees outside git); pathspec is
    imported only when there is one (``_gitignore_spec``)."""
    found: list[str] = []
    specs: list[tuple[str, pathspec.PathSpec]] = []

    def ignored(rel: str, is_dir: bool) -> bool:
        for base, spec in specs:
            if base and not rel.startswith(base + "/"):
                continue
            sub = rel[len(base) + 1:] if base else rel
            if spec.match_file(sub + ("/" if is_dir else "")):
                return True
        return False

    def unreadable(error: OSError) -> None:  # a folder os.walk cannot list is said, not dropped
        where = Path(os.fsdecode(error.filename)) if error.filename else Path("?")
        if where.is_relative_to(root):
            where = where.relative_to(root)
        skipped.append((where.as_posix(), f"unreadable folder: {error.strerror or error}"))

    for current, dirnames, filenames in os.walk(root, followlinks=False, onerror=unreadable):
        current_path = Path(current)
        rel_dir = current_path.relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        gitignore = current_path / ".gitignore"
        if gitignore.is_file():
            where = (f"{rel_dir}/" if rel_dir else "") + ".gitignore"
            try:
                lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError as exc:
                skipped.append((where, f"unreadable: {exc}"))
            else:
                specs.append((rel_dir, _gitignore_spec(lines, where, skipped)))
        keep = []
        for name in sorted(dirnames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            full = current_path / name
            if name in SKIP_DIRS or name.endswith(".egg-info") or _is_venv(full):
                continue
            if full.is_symlink():
                skipped.append((rel, "symbolic link to a directory: not followed"))
                continue
            if ignored(rel, True):
                continue
            keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not ignored(rel, False):
                found.append(rel)
    return found


def _unreadable_kind(rel: str, full: Path) -> str | None:
    """Why a listed path is not read at all: a name that is not UTF-8 (every report and key is
    text), or a FIFO, device or socket (reading one can block forever or never end)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return "file name is not valid UTF-8: not read"
    try:
        mode = full.stat().st_mode
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, device or socket): not read"
    return None


def discover(root: Path, exclude: list[str]) -> Discovery:
    result = Discovery()
    listed = git_file_list(root)
    if listed is not None:
        result.in_git = True
        candidates = listed
    else:
        candidates = _walk(root, result.skipped)
    excluded = _exclude_spec(exclude)
    resolved_root = root.resolve()
    venv_cache: dict[str, bool] = {}
    for rel in candidates:
        parts = posix_path(rel).parts
        if _skipped_dir(parts):
            continue
        if excluded is not None and excluded.match_file(rel):
            continue
        parent = "/".join(parts[:-1])
        if parent and any(_venv_cached(root, "/".join(parts[:i]), venv_cache) for i in range(1, len(parts))):
            continue
        full = root / rel
        if full.is_symlink():
            try:
                target = full.resolve(strict=True)
            except (OSError, RuntimeError):
                result.skipped.append((rel, "broken or looping symbolic link"))
                continue
            if not target.is_relative_to(resolved_root):
                result.skipped.append((rel, "symbolic link to a path outside the scanned root"))
                continue
            if target.is_dir():
                result.skipped.append((rel, "symbolic link to a directory: not followed"))
                continue
        elif not full.exists():
            # In git's index but not on disk: a sparse checkout, a partial clone or a local deletion.
            # Its content is unknown, and it is said so: never taken for a file the repository lacks.
            result.skipped.append((rel, ABSENT_FROM_WORK_TREE))
            continue
        elif full.is_dir():
            continue  # a submodule or nested repository: not part of this project's files
        problem = _unreadable_kind(rel, full)
        if problem:
            # Listed under a printable name (an undecodable byte shows as U+FFFD).
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            result.skipped.append((shown, problem))
            continue
        result.paths.append(rel)
    return result


def _venv_cached(root: Path, rel_dir: str, cache: dict[str, bool]) -> bool:
    if rel_dir not in cache:
        cache[rel_dir] = _is_venv(root / rel_dir)
    return cache[rel_dir]


def _exclude_spec(exclude: list[str]):
    if not exclude:
        return None
    import pathspec  # only for configured excludes

    return pathspec.GitIgnoreSpec.from_lines(exclude)


def unread_paths(skipped: list[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """The ``Project`` fields of what discovery listed and did not read: ``absent`` (tracked, not in
    the work tree) and ``unlisted`` (every path skipped, submodules and links to folders among them)."""
    return {"absent": frozenset(p for p, why in skipped if why == ABSENT_FROM_WORK_TREE),
            "unlisted": frozenset(p for p, _ in skipped)}
