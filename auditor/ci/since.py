"""``--since REF``: report only findings that are not already present at a git ref.

The ref's tree is exported from git's object store (``git ls-tree`` + one ``git cat-file --batch``)
into a temporary directory outside the repository: the working tree, the index and ``.git`` are
never written to (``git worktree add`` would write into ``.git``; ``git archive`` drops files marked
``export-ignore``). That tree is scanned with the same configuration, the same scan time and the
repository's history as of the ref, so a file untouched since the ref has the same age in both
scans and age-based findings do not turn up as new. The per-file cache makes unchanged files free.

The ref is compared through its merge base with HEAD (what this branch introduced, not what the
target branch fixed meanwhile). ``auto`` takes the base from the CI environment: GitHub Actions
pull requests (``GITHUB_BASE_REF``) and GitLab merge requests (``CI_MERGE_REQUEST_DIFF_BASE_SHA``
or ``CI_MERGE_REQUEST_TARGET_BRANCH_NAME``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from auditor.ci.baseline import compare, from_findings
from auditor.model.gitexport import GIT_METADATA, MISSING_BLOB, ExportError, export_tree
from auditor.model.gitsafe import git_output


class SinceError(Exception):
    """The ref cannot be resolved or exported; the CLI exits with code 2."""


@dataclass
class Base:
    ref: str  # what the user (or CI) named
    commit: str  # the commit compared against (the merge base)
    origin: str  # "argument", "GITHUB_BASE_REF", ...


def _git(root: Path, *args: str) -> str | None:
    return git_output(root, *args)


def _commit(root: Path, ref: str) -> str | None:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")


def _with_merge_base(root: Path, ref: str, origin: str) -> Base:
    commit = _commit(root, ref)
    if commit is None:
        shallow = _git(root, "rev-parse", "--is-shallow-repository") == "true"
        hint = (" (this is a shallow clone: fetch the base branch, e.g. actions/checkout with fetch-depth: 0, "
                "or GIT_DEPTH: 0 in GitLab CI)" if shallow else "")
        raise SinceError(f"--since: cannot resolve '{ref}' to a commit{hint}")
    base = _git(root, "merge-base", commit, "HEAD")
    return Base(ref, base or commit, origin)


def ci_base_candidates(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(ref, variable) pairs to try, best first, from the CI environment."""
    candidates = []
    if env.get("GITHUB_BASE_REF"):
        name = env["GITHUB_BASE_REF"]
        candidates += [(f"origin/{name}", "GITHUB_BASE_REF"), (name, "GITHUB_BASE_REF")]
    if env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
        candidates.append((env["CI_MERGE_REQUEST_DIFF_BASE_SHA"], "CI_MERGE_REQUEST_DIFF_BASE_SHA"))
    if env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
        name = env["CI_MERGE_REQUEST_TARGET_BRANCH_NAME"]
        candidates += [(f"origin/{name}", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
                       (name, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")]
    return candidates


def resolve(root: Path, ref: str, env: Mapping[str, str] | None = None) -> Base | None:
    """The commit to compare with; None for ``auto`` outside a pull/merge request."""
    if _git(root, "rev-parse", "--is-inside-work-tree") != "true":
        raise SinceError(f"--since needs a git repository; {root} is not in one")
    if ref != "auto":
        return _with_merge_base(root, ref, "argument")
    candidates = ci_base_candidates(os.environ if env is None else env)
    for candidate, origin in candidates:
        if _commit(root, candidate) is not None:
            return _with_merge_base(root, candidate, origin)
    if candidates:
        return _with_merge_base(root, candidates[0][0], candidates[0][1])  # raises with the hint
    return None


def scan_at(root: Path, base: Base, config, *, now: float, cache_dir: Path | None = None):
    """Scan the tree of ``base.commit`` with ``config`` as if it were checked out at ``root``."""
    import shutil
    import tempfile

    from auditor.model.gitinfo import read_history
    from auditor.scan.engine import scan

    history = read_history(root, rev=base.commit)
    temp = Path(tempfile.mkdtemp(prefix="mlaudit-since-"))
    skipped: list[tuple[str, str]] = []
    try:
        try:
            export_tree(root, base.commit, temp, skipped)
        except ExportError as exc:
            raise SinceError(f"--since: {exc}") from None
        result = scan(temp, config, now=now, cache_dir=cache_dir, history=history)
        result.skipped.extend(skipped)
        return result
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def apply(result, base: Base, before) -> None:
    """Leave only findings of ``result`` that were not present in ``before`` (the scan at the base)."""
    comparison = compare(result.findings, from_findings(before.findings))
    result.findings = comparison.new
    result.since = {"ref": base.ref, "commit": base.commit, "origin": base.origin,
                    "known": len(comparison.known), "new": len(comparison.new), "fixed": comparison.fixed,
                    "missing": [path for path, reason in before.skipped if reason == MISSING_BLOB],
                    "refused": [path for path, reason in before.skipped if reason == GIT_METADATA]}


def describe(info: dict[str, Any]) -> str:
    text = (f"only new since {info['ref']} ({info['commit'][:12]}, from {info['origin']}): "
            f"{info['new']} new, {info['known']} already there, {info['fixed']} fixed")
    if info.get("missing"):
        text += (f"; {len(info['missing'])} file(s) at that commit are not in the local clone, so their "
                 "findings may show as new")
    if info.get("refused"):
        text += (f"; {len(info['refused'])} file(s) inside a .git folder of that commit were not written out "
                 "(git would obey them)")
    return text
