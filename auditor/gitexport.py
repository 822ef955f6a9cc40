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


def export_tree(root: Path, commit: str, dest: Path, missing: list[str] | None = None) -> int:
    """Write the files of ``commit`` under ``root``'s directory into ``dest``; returns the count.

    Symbolic links and submodules are left out; paths are checked to stay inside ``dest``. Blobs
    absent from the object store (partial clones) are skipped and appended to ``missing``."""
    missing = [] if missing is None else missing
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
            return 0  # the directory did not exist at that commit: everything in it is new
        raise ExportError(f"git ls-tree failed: {listing.stderr.decode(errors='replace').strip()}")
    blobs: list[tuple[str, str]] = []
    for record in listing.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, obj = meta.decode().split(" ")
        path = name.decode("utf-8", errors="surrogateescape")
        parts = PurePosixPath(path).parts
        if kind != "blob" or mode == "120000" or ".." in parts or PurePosixPath(path).is_absolute():
            continue
        blobs.append((obj, path))
    if not blobs:
        return 0
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
        for obj, path in blobs:
            header = process.stdout.readline().split()
            if len(header) == 2 and header[1] == b"missing":
                missing.append(path)  # a partial or damaged clone: the file is left out, and said so
                continue
            if len(header) != 3 or header[1] != b"blob":
                raise ExportError(f"git cat-file gave no content for {path}")
            remaining = int(header[2])
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                while remaining:
                    chunk = process.stdout.read(min(CHUNK, remaining))
                    if not chunk:
                        raise ExportError("git cat-file stopped early")
                    handle.write(chunk)
                    remaining -= len(chunk)
            process.stdout.read(1)  # the newline after each object
            written += 1
    finally:
        writer.join(timeout=5)
        process.stdout.close()
        process.wait(timeout=30)
    return written
