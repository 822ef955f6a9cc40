"""Past commits as plain directories, read from git's objects (``git ls-tree`` and one
``git cat-file --batch``): the work tree, the index and ``.git`` are never written to. ``git
worktree add`` would write into ``.git``, and ``git archive`` drops files marked ``export-ignore``.
Used by ``--since`` and by ``mlaudit history backfill``."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path, PurePosixPath

CHUNK = 1 << 20


class ExportError(Exception):
    pass


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _blobs(root: Path, commit: str) -> list[tuple[str, str]] | None:
    """(object id, path relative to root's directory) of each file at ``commit``; None when the
    directory did not exist then. Symbolic links and submodules are left out."""
    prefix = _git(root, "rev-parse", "--show-prefix")
    if prefix is None:
        raise ExportError(f"cannot read the repository at {root}")
    treeish = f"{commit}:{prefix.rstrip('/')}" if prefix else commit
    try:
        listing = subprocess.run(["git", "-C", str(root), "ls-tree", "-r", "-z", "--full-tree", treeish],
                                 capture_output=True, timeout=120)
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
        if kind == "blob" and mode != "120000" and ".." not in path.parts and not path.is_absolute():
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


def export_tree(root: Path, commit: str, dest: Path, missing: list[str] | None = None) -> int:
    """Write the files of ``commit`` under ``root``'s directory into ``dest``; returns the count.

    Paths are checked to stay inside ``dest``. Blobs absent from the object store (partial
    clones) are skipped and appended to ``missing``."""
    missing = [] if missing is None else missing
    blobs = _blobs(root, commit)
    if not blobs:
        return 0  # nothing there, or the directory did not exist at that commit: all of it is new
    process = subprocess.Popen(["git", "-C", str(root), "cat-file", "--batch"],
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
                missing.append(path)  # a partial or damaged clone: the file is left out, and said so
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
