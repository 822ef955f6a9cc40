"""Past commits as plain directories, read from git's objects (``git ls-tree`` and one
``git cat-file --batch``): the work tree, the index and ``.git`` are never written to. ``git
worktree add`` would write into ``.git``, and ``git archive`` drops files marked ``export-ignore``.
Used by ``--since`` and by ``mlaudit history backfill``."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path, PurePosixPath

from auditor.model.gitsafe import git_command, git_env, git_output, run_git

CHUNK = 1 << 20
# Why a file of a commit is not written out (the reasons go into the scan's skipped files).
MISSING_BLOB = "not in the local object store"
GIT_METADATA = "a .git file or folder inside a commit is never written out: git would obey it as a repository"


class ExportError(Exception):
    pass


def _blobs(root: Path, commit: str, skipped: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """(object id, path relative to root's directory) of each file at ``commit``; None when the
    directory did not exist then. Symbolic links and submodules are left out; a path through a
    ``.git`` part (any case) is refused and added to ``skipped``."""
    prefix = git_output(root, "rev-parse", "--show-prefix")
    if prefix is None:
        raise ExportError(f"cannot read the repository at {root}")
    treeish = f"{commit}:{prefix.rstrip('/')}" if prefix else commit
    try:
        listing = run_git(root, "ls-tree", "-r", "-z", "--full-tree", treeish, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ExportError(f"git ls-tree failed: {exc}") from None
    if listing.returncode != 0:
        if prefix:
            return None
        raise ExportError(f"git ls-tree failed: {listing.stderr.decode(errors='replace').strip()}")
    blobs = []
    for record in filter(None, listing.stdout.split(b"\0")):
        meta, _, name = record.partition(b"\t")
        mode, kind, obj = meta.decode().split(" ")
        path = PurePosixPath(name.decode("utf-8", errors="surrogateescape"))
        if kind != "blob" or mode == "120000" or ".." in path.parts or path.is_absolute():
            continue
        if any(part.lower() == ".git" for part in path.parts):
            skipped.append((path.as_posix(), GIT_METADATA))
            continue
        blobs.append((obj, path.as_posix()))
    return blobs


def _copy_object(stream, size: int, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as handle:
        while size:
            chunk = stream.read(min(CHUNK, size))
            if not chunk:
                raise ExportError("git cat-file stopped early")
            handle.write(chunk)
            size -= len(chunk)
    stream.read(1)  # the newline after each object


def export_tree(root: Path, commit: str, dest: Path, skipped: list[tuple[str, str]] | None = None) -> int:
    """Write the files of ``commit`` under ``root``'s directory into ``dest``; returns the count.

    Paths are checked to stay inside ``dest``. Files not written are appended to ``skipped`` with
    the reason: blobs absent from the object store (partial clones), and any path through ``.git``."""
    skipped = [] if skipped is None else skipped
    blobs = _blobs(root, commit, skipped)
    if not blobs:
        return 0  # nothing there, or the directory did not exist at that commit: all of it is new
    process = subprocess.Popen(git_command(root, "cat-file", "--batch"), env=git_env(),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def feed() -> None:  # in a thread: git's output pipe would otherwise fill up and block both
        try:
            for obj, _ in blobs:
                process.stdin.write(obj.encode() + b"\n")
            process.stdin.close()
        except OSError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    written = 0
    try:
        for _obj, path in blobs:
            header = process.stdout.readline().split()
            if len(header) == 2 and header[1] == b"missing":
                skipped.append((path, MISSING_BLOB))  # a partial or damaged clone: left out, and said so
                continue
            if len(header) != 3 or header[1] != b"blob":
                raise ExportError(f"git cat-file gave no content for {path}")
            _copy_object(process.stdout, int(header[2]), dest / path)
            written += 1
    finally:
        writer.join(timeout=5)
        process.stdout.close()
        process.wait(timeout=30)
    return written
