"""What a scan may reuse from an earlier one, and the keys that say when.

Besides the per-file results (a module's facts and findings, keyed by its content), three answers
are cached, each keyed by everything it depends on:

- the whole scan, by every file's content: an unchanged repository the same day;
- each project rule's findings (``ProjectKeys``), by the *facts* it read instead of the modules'
  text: the kinds of facts it asked for when it last ran (and the kinds read by the other rules
  that used the same shared analysis, such as the program graph), each module's digest of each.
  Project rules see modules only through their facts, so an edit that leaves them as they were
  (a comment at the end of a line or after the code, a reworded docstring or message) re-analyses
  one file and nothing project-wide: the build systems' "early cutoff"; and an edit that changes
  some kinds (a function added changes the symbols, seeds and usage of its module, not its
  pipelines or model loads) runs again only the rules that read those. Facts record lines, so a
  line added above code changes them;
- what the readiness score reads from the repository (``auditor.readiness.gathering``), by
  everything but the modules' facts, with the questions its checks asked of the modules' usage
  facts and each module's part of the answers: after an edit, the changed modules alone are asked
  again, and when each gives the part it gave before the stored result holds (an edit that changes
  only findings, or code no check asks about, re-weighs the findings without gathering);
- each module's resolved edges of the program graph (``StoredEdges``), by the module's facts, with
  the questions it asked of other modules: when the project phase runs again, a module whose facts
  and answers are as they were has its edges replayed, not resolved (``ProgramGraph._replay_edges``).

Ages in messages are in days, so the day is part of every key, as is mlaudit's own code.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, NamedTuple

from auditor.model.sources import NOTEBOOK_CELLS
from auditor.scan.cache import KEYS_PER_QUERY

if TYPE_CHECKING:
    from auditor.config import Config
    from auditor.model.gitinfo import GitHistory
    from auditor.model.project import Project, RepoFile
    from auditor.scan.cache import ResultCache

DAY = 86400
# What discovery listed and did not read (``Project.unlisted`` and ``absent``: submodules, links to
# folders, tracked files missing from the work tree): no file's content says they changed, but a
# link into one is judged by them (ML702), so they are part of every key.
Unread = tuple[frozenset[str], frozenset[str]]


def digest_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _state(settings: str, config: "Config", git: "GitHistory", only: str | None, now: float,
           unread: "Unread") -> str:
    config_state = {k: v for k, v in vars(config).items() if k != "source"}
    return json.dumps([settings, config_state, git.head, git.available, git.shallow, only, int(now // DAY),
                       sorted(unread[0]), sorted(unread[1])], sort_keys=True, default=str)


def _other_file_identity(file: "RepoFile") -> str:
    if file.text is not None:
        return digest_text(file.text)
    return f"{file.size}:{file.mtime}:{hashlib.sha256(file.header).hexdigest()}"


def scan_key(settings: str, config: "Config", files: dict[str, "RepoFile"], source_identities: dict[str, str],
             git: "GitHistory", only: str | None, now: float, unread: Unread) -> str:
    """The whole scan: each Python file and notebook by ``source_identities`` (module name, kind
    and content hash), text files by their text, binaries by size, time and first bytes."""
    digest = hashlib.sha256(_state(settings, config, git, only, now, unread).encode())
    for path in sorted(files):
        file = files[path]
        identity = source_identities[path] if path in source_identities else _other_file_identity(file)
        digest.update(f"\0{path}\0{file.kind}\0{identity}".encode())
    return digest.hexdigest()


def project_key(settings: str, config: "Config", files: dict[str, "RepoFile"], facts_digests: dict[str, str],
                module_names: dict[str, str], git: "GitHistory", only: str | None, now: float,
                group: str, file_times: bool, unread: Unread) -> str:
    """One group of the project phase's rules: modules by their module name and facts, other files
    as for the whole scan. ``file_times``: the group reads file times (``ProjectRule.reads_file_times``)
    and they are the artifacts' clock (outside git): every module's file time is an input too."""
    digest = hashlib.sha256(_state(settings, config, git, only, now, unread).encode())
    digest.update(f"\0{group}\0{file_times}".encode())
    for path in sorted(files):
        file = files[path]
        if path in facts_digests:
            identity = f"{module_names.get(path, '')}:{facts_digests[path]}"
            if file_times:
                identity += f":{file.mtime}"
        else:
            identity = _other_file_identity(file)
        digest.update(f"\0{path}\0{file.kind}\0{identity}".encode())
    return digest.hexdigest()


def readiness_identity(kind_digests: dict[str, str] | None) -> str:
    """What readiness reads of a module: its usage facts and notebook cells, by their digests."""
    kinds = kind_digests or {}
    return f"{kinds.get('usage', '')}:{kinds.get(NOTEBOOK_CELLS, '')}"


# Past this many modules whose usage facts changed, the stored gathering is not checked module by
# module: each is asked every question again, and so many changes seldom leave the answers as they were.
MAX_MODULES_ASKED_AGAIN = 40


class StoredGathering(NamedTuple):
    """A stored gathering that still holds, but for its ``stale`` groups (checks to run again)."""

    entry: dict[str, Any]  # as ``gathering.gather_with_questions`` made it, with the modules' facts
    stale: set[str]
    facts_changed: bool  # some module's facts: stored again, so the next scan asks fewer modules again


def reusable_gathering(project: "Project", stored: Any, readiness_facts: dict[str, str]) -> StoredGathering | None:
    """What of the stored readiness gathering holds now, or None. It was made with the same files
    other than modules, configuration and git (the entry's key), and it holds for the same modules
    when each module whose usage facts or cells changed (``readiness_identity``), asked its
    questions again, gives the part of the answers it gave before (``index.module_answers``); a
    group (one check) where one does not is stale."""
    if not isinstance(stored, dict) or not isinstance(stored.get("gathered"), dict):
        return None
    before, parts, questions = stored.get("facts"), stored.get("modules"), stored.get("questions")
    if not isinstance(before, dict) or not isinstance(parts, dict) or not isinstance(questions, dict):
        return None
    if before.keys() != readiness_facts.keys():
        return None
    changed = [path for path, identity in readiness_facts.items() if before[path] != identity]
    if len(changed) > MAX_MODULES_ASKED_AGAIN:
        return None
    stale: set[str] = set()
    if changed:
        from auditor.readiness.index import module_answers  # here: an unchanged repository never needs it

        try:
            for path in changed:
                usage, cells = project.facts.module(path, "usage"), project.facts.module(path, NOTEBOOK_CELLS)
                now, then = module_answers(project, questions, path, usage, cells), parts.get(path, {})
                stale |= {group for group in now.keys() | then.keys() if now.get(group) != then.get(group)}
        except (KeyError, TypeError, ValueError, AttributeError):
            return None  # a damaged entry or a lost fact: gather again
    return StoredGathering(stored, stale, bool(changed))


class ProjectKeys:
    """The project phase's cache keys in one scan. ``readiness``: by everything but the modules'
    facts, which the stored entry records itself (``reusable_gathering``). A rule's
    findings: by ``base`` (everything but the modules' facts: the settings, the configuration,
    git's HEAD, the other files, each module's path and name, and its file time for a rule that
    reads file times where they are the artifacts' clock), and then each module's digest of each
    fact kind the rule read (``rule_key``); which kinds those were is kept under ``reads_key``."""

    def __init__(self, settings: str, config: "Config", files: dict[str, "RepoFile"],
                 kind_digests: dict[str, dict[str, str]], facts_digests: dict[str, str], module_names: dict[str, str],
                 git: "GitHistory", only: str | None, now: float, file_times: bool, unread: Unread) -> None:
        no_facts = dict.fromkeys(facts_digests, "")
        self.readiness = project_key(settings, config, files, no_facts, module_names, git, only, now,
                                     "readiness", False, unread)
        self._bases = {reads_times: project_key(settings, config, files, no_facts, module_names, git, only, now,
                                                "rules", reads_times and file_times, unread)
                       for reads_times in (False, True)}
        self._kind_digests = kind_digests
        self._kinds: dict[str, str] = {}  # kind -> every module's digest of it, in one

    def reads_key(self, rule_id: str, reads_file_times: bool) -> str:
        return hashlib.sha256(f"{self._bases[reads_file_times]}\0reads\0{rule_id}".encode()).hexdigest()

    def rule_key(self, rule_id: str, reads_file_times: bool, kinds: list[str]) -> str:
        digest = hashlib.sha256(f"{self._bases[reads_file_times]}\0findings\0{rule_id}".encode())
        for kind in sorted(kinds):
            digest.update(f"\0{kind}\0{self._kind(kind)}".encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _kind(self, kind: str) -> str:
        found = self._kinds.get(kind)
        if found is None:
            digest = hashlib.sha256()
            for path in sorted(self._kind_digests):
                digest.update(f"{path}\0{self._kind_digests[path].get(kind, '-')}\0".encode("utf-8", "surrogatepass"))
            found = self._kinds[kind] = digest.hexdigest()
        return found


class StoredEdges:
    """The program graph's edge store (``auditor.analysis.program.EdgeStore``) in the result cache:
    one entry per module, keyed by mlaudit's code, the module's path and its facts."""

    def __init__(self, cache: "ResultCache", code: str, facts_digests: dict[str, str],
                 memory: dict[str, Any] | None = None) -> None:
        self.cache, self.code, self.facts_digests = cache, code, facts_digests
        self._keys: dict[str, str | None] = {}
        # a long-lived process's entries of its last scan, decoded (``engine.ScanSession``): those this
        # scan uses are kept for the next, the others dropped
        self.memory, self._previous = memory, dict(memory) if memory is not None else {}
        if memory is not None:
            memory.clear()
        # Entries read ahead of the graph, which asks for every module: a query per few hundred
        # modules instead of one each (at 1,000,000 lines, 0.05 s instead of 0.27 s). Each text
        # leaves this as its module is asked for.
        self._ahead: dict[str, str | None] = {}
        self._unread: dict[str, None] | None = None  # keys not read yet, in the modules' order

    def _key(self, path: str) -> str | None:
        if path not in self._keys:  # asked once to keep every entry and again to read or write it
            digest = self.facts_digests.get(path)
            self._keys[path] = hashlib.sha256(f"{self.code}\0{path}\0{digest}".encode("utf-8", "surrogatepass")
                                              ).hexdigest() if digest else None
        return self._keys[path]

    def get(self, path: str) -> object:
        key = self._key(path)
        if not key:
            return None
        entry = self._previous.get(key)
        if entry is None:
            entry = self._read(key)
        if self.memory is not None and entry is not None:
            self.memory[key] = entry
        return entry

    def _read(self, key: str) -> Any:
        if self._unread is None:
            self._unread = dict.fromkeys(k for k in map(self._key, self.facts_digests) if k and k not in self._previous)
        if key in self._unread:
            wanted = [key]
            for other in self._unread:
                if len(wanted) == KEYS_PER_QUERY:
                    break
                if other != key:
                    wanted.append(other)
            for read in wanted:
                del self._unread[read]
            found = dict(self.cache.get_many_encoded("edges", wanted))
            self._ahead.update((read, found.get(read)) for read in wanted)
        if key not in self._ahead:
            return self.cache.get("edges", key)  # asked for again: as the cache says
        text = self._ahead.pop(key)
        try:
            return json.loads(text) if text is not None else None  # None: no entry (or a damaged one)
        except ValueError:
            return None

    def keep_all(self) -> None:
        """Every module's entry is part of the cache's current state, replayed this scan or not
        (``ResultCache.keep``)."""
        self.cache.keep("edges", [key for key in map(self._key, self.facts_digests) if key])

    def put(self, path: str, entry: dict) -> None:
        key = self._key(path)
        if key:
            self.cache.put("edges", key, entry)
            if self.memory is not None:
                self.memory[key] = entry


class StoredDocuments:
    """Parsed documents (``RepoFile.doc``) in the result cache, by mlaudit's code, the file's suffix
    and its text. ``restore`` hands each document file the parse a scan kept, before the project
    rules run; ``store`` keeps the ones parsed since."""

    def __init__(self, cache: "ResultCache", code: str) -> None:
        self.cache, self.code = cache, code
        self.restored: set[str] = set()

    def _key(self, file: "RepoFile") -> str:
        return hashlib.sha256(f"{self.code}\0{file.suffix}\0".encode() +
                              (file.text or "").encode("utf-8", "surrogatepass")).hexdigest()

    def restore(self, files: dict[str, "RepoFile"]) -> None:
        from auditor.model.docs import document_from_json
        from auditor.model.project import DOC

        keys = {self._key(f): f for f in files.values() if f.kind == DOC and f.text is not None}
        for key, text in self.cache.get_many_encoded("doc", list(keys)):
            try:
                document = document_from_json(json.loads(text))
            except (ValueError, TypeError, KeyError):
                continue  # damaged: parsed again, and stored again
            keys[key].__dict__["doc"] = document  # what the cached property would have parsed
            self.restored.add(keys[key].path)

    def keep_all(self, files: dict[str, "RepoFile"]) -> None:
        """Every document's parse is part of the cache's current state (``ResultCache.keep``)."""
        from auditor.model.project import DOC

        self.cache.keep("doc", [self._key(f) for f in files.values() if f.kind == DOC and f.text is not None])

    def store(self, files: dict[str, "RepoFile"]) -> None:
        from auditor.model.docs import document_to_json

        for path, file in files.items():
            document = file.__dict__.get("doc")
            if document is not None and path not in self.restored:
                self.cache.put("doc", self._key(file), document_to_json(document))
