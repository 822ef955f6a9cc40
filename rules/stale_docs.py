"""Documentation out of step with the code (issue 24), the fifth kind of ML debt: links to files
that are gone (ML702), and what the other stale-doc rules share: the documents that describe the
code, close names, where a missing file went. README commands that no longer run (ML701) are in
stale_commands.py, code references that point nowhere (ML707) in stale_references.py, docstrings
that describe another signature in stale_docstrings.py.

Documents are read as the Markdown parser reads them (``RepoFile.doc``, auditor/model/docs.py).
"""

from __future__ import annotations

import difflib
import posixpath
from typing import Iterable
from urllib.parse import unquote

from auditor.model.docs import describes_code
from auditor.model.project import DOC
from auditor.rule import Invalid, ProjectRule, Valid


def _near(name: str, known: Iterable[str], cutoff: float = 0.75) -> str | None:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=cutoff)
    return close[0] if close else None


def _folders(paths: Iterable[str]) -> set[str]:
    folders: set[str] = set()
    for path in paths:
        parent = posixpath.dirname(path)
        while parent and parent not in folders:
            folders.add(parent)
            parent = posixpath.dirname(parent)
    return folders


def _documents(project) -> list:
    return sorted((f for f in project.files.values() if f.kind == DOC and describes_code(f.path) and f.doc),
                  key=lambda f: f.path)


def _link_path(doc_path: str, target: str) -> str | None:
    """The repository path a relative link names, or None for a URL, an anchor, a template or a
    path outside the repository."""
    target = target.strip()
    if not target or target.startswith(("#", "/")) or any(c in target for c in "{}$<>"):
        return None  # an anchor, a path of the docs site (``/guide/``), a template
    scheme = target.split("/")[0]
    if ":" in scheme:
        return None  # https:, mailto:, data:, a Windows drive
    target = unquote(target.split("#")[0].split("?")[0])
    if not target:
        return None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(doc_path), target))
    if path == ".":
        return ""
    return None if path == ".." or path.startswith("../") else path


class BrokenDocLink(ProjectRule):
    """A relative link or image in a README or docs page points at a file or folder the repository
    does not have (links to web pages and anchors are not checked; a path is resolved from the
    document's folder and never followed outside the repository)."""

    id = "ML702"
    name = "broken-doc-link"
    category = "stale-doc"
    severity = "low"
    confidence = "high"
    rationale = ("A link to a moved or deleted file sends the reader to a 404 exactly where the document promised "
                 "the details: the architecture diagram, the data card, the evaluation notebook. It is also the "
                 "mark of a document nobody has read since the code moved.")
    remediation = "Point the link at the file's new place, or remove it together with the text that relies on it."
    examples = (
        Invalid({"README.md": "# Model\n\nSee the [evaluation](notebooks/eval.ipynb) and\n![diagram](docs/arch.png)\n",
                 "notebooks/evaluate.ipynb": "{}", "docs/architecture.png": "png"},
                [("README.md", 3), ("README.md", 4)], note="the notebook and the image were renamed"),
        Valid({"README.md": "# Model\n\nSee [the guide](docs/guide.md#setup), [home](https://example.com), "
                            "[top](#model) and [docs](docs/).\n", "docs/guide.md": "# Guide\n\nBack to [README](../README.md)\n"}),
        Valid({"docs/index.md": "Read [the licence](../../LICENSE).\n"}, note="outside the repository: not checked"),
        Valid({"README.md": "## Posts\n\n* Template: [Post title](Link-to-post) by [Your name](GitHub/Blog/etc)\n"},
              note="a template's placeholders, not paths"),
    )

    def check(self, project):
        folders = _folders(set(project.files) | set(project.absent))
        neighbours = _Neighbours(project.files)
        for file in _documents(project):
            for link in file.doc.links:
                path = _link_path(file.path, link.target)
                if path is None or path == "" or _exists(path, project, folders):
                    continue
                near = neighbours.suggest(path)
                if near is None and _placeholder(link.target):
                    continue
                hint = f"; did you mean {near}?" if near else ""
                kind = "image" if link.image else "link"
                yield self.finding(file.path, link.line, f"{kind} to {link.target}: {path} does not exist in the "
                                   f"repository{hint}", anchor=f"doc-link {link.target}",
                                   evidence={"target": link.target, "path": path, "suggestion": near})


def _placeholder(target: str) -> bool:
    """A template's stand-in for a link, not a path: a bare word naming no file (`link-to-article`),
    or a list of alternatives (`Linkedin/Twitter/Homepage/etc`)."""
    if "/" not in target and "." not in target:
        return True
    return any(part.lower() in ("etc", "...", "\u2026") for part in target.split("#")[0].split("/"))


def _exists(path: str, project, folders: set[str]) -> bool:
    """A file or folder of the repository; a page a docs site serves from ``path.md``, ``path/index.md``
    (``page.html`` from ``page.md`` or Sphinx's ``page.rst``);
    or a path inside one the scan could not list (a submodule): unknown, so taken as there."""
    path = path.rstrip("/")
    parts = path.split("/")
    if any("/".join(parts[:i]) in project.unlisted for i in range(1, len(parts) + 1)):
        return True
    candidates = (path, f"{path}.md", f"{path}/index.md", f"{path}/README.md", path.removesuffix(".html") + ".md",
                  path.removesuffix(".html") + ".rst")  # a Sphinx page's source
    return any(c in project.files or c in project.absent for c in candidates) or path in folders


class _Neighbours:
    """Where a missing file may have gone: files of the same name anywhere, and its folder's files
    (indexed once, so a suggestion never compares a path with every file of a large repository)."""

    def __init__(self, paths) -> None:
        self.by_name: dict[str, list[str]] = {}
        self.by_folder: dict[str, list[str]] = {}
        for path in paths:
            self.by_name.setdefault(posixpath.basename(path), []).append(path)
            self.by_folder.setdefault(posixpath.dirname(path), []).append(path)

    def suggest(self, path: str, cutoff: float = 0.8) -> str | None:
        same = self.by_name.get(posixpath.basename(path), [])
        if len(same) == 1:
            return same[0]
        return _near(path, {*same, *self.by_folder.get(posixpath.dirname(path), [])}, cutoff)
