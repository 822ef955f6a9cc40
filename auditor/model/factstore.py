"""Every module's facts, kept as JSON text until a rule asks for one kind of them.

Workers send each extractor's facts as the JSON text the cache stores anyway, and cached modules
leave theirs in the cache. ``Project.fact(name)`` decodes one kind for every module the first
time it is asked for, and frees the text. Facts as Python objects take several times the memory
of their text, and many scans need only some kinds (a scan whose project phase is reused needs
none but the small ones post-processing reads), so the main process holds far less.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

Loader = Callable[[str], Any]  # a fact kind's value for one module, or KeyError when it cannot be had
# A fact kind's values for many modules at once: (path, value) of each it could load, the others left
# to their own ``Loader``
LoadMany = Callable[[str, list[str]], Iterable[tuple[str, Any]]]
Reanalyse = Callable[[str], dict[str, str]]  # path -> fresh {kind: JSON text} of that module


def encode_facts(facts: dict[str, Any]) -> dict[str, str]:
    """Each kind's facts as compact JSON. Extractors build them in a deterministic order, so
    equal facts give equal text."""
    return {name: json.dumps(value, separators=(",", ":")) for name, value in facts.items()}


def kind_digests(texts: dict[str, str]) -> dict[str, str]:
    """Each fact kind's digest: what the cache key of a project rule sees of a module, for the
    kinds the rule read (auditor/scan/incremental.py)."""
    return {name: hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
            for name, text in texts.items()}


def digest(kinds: dict[str, str]) -> str:
    """All of a module's facts, from ``kind_digests``: what the graph's edge store and the
    readiness cache see of a module."""
    return hashlib.sha256("".join(f"{name}\0{kinds[name]}\0" for name in sorted(kinds)).encode()).hexdigest()


class FactStore:
    """Module path -> fact kind -> value, decoded a kind at a time on demand.

    A module is added with the text of each kind (fresh from a worker) or with the names of its
    kinds and a loader (cached); values already decoded (the small kinds kept with the cached
    findings) can be given too. A cached kind that cannot be loaded (a damaged or evicted entry)
    has its module analysed again through ``reanalyse``."""

    def __init__(self, reanalyse: Reanalyse | None = None, load_many: LoadMany | None = None,
                 memo: "dict[tuple[str, str], tuple[str, Any]] | None" = None) -> None:
        self._load_many = load_many
        # A long-lived process's values decoded by its earlier scans: (path, kind) -> (the kind's
        # digest, value). A value is taken from it when its digest is the module's now, and every
        # value decoded is put in it. Values handed out are shared with later scans, so no reader
        # may change them (the program graph, which releases its inputs as it goes, does not here).
        self._memo = memo
        self._digests: dict[str, dict[str, str]] = {}  # path -> kind -> digest, for the memo
        self._texts: dict[str, dict[str, str]] = {}
        self._loaders: dict[str, tuple[Loader, set[str]]] = {}  # cached modules: loader, kinds not yet loaded
        self._values: dict[str, dict[str, Any]] = {}  # kind -> path -> value, in the order modules were added
        self._order: list[str] = []
        self._reanalyse = reanalyse
        self._released: set[str] = set()
        # What the project rule now running reads (``recording``): the kinds it asks for, and the
        # shared analyses it uses (``touch``), whose state other rules' reads made.
        self._reads: set[str] | None = None
        self._touched: set[str] | None = None

    @contextmanager
    def recording(self) -> Iterator[tuple[set[str], set[str]]]:
        """(kinds read, shared analyses used) while the block runs."""
        outer = self._reads, self._touched
        self._reads, self._touched = set(), set()
        try:
            yield self._reads, self._touched
        finally:
            self._reads, self._touched = outer

    def touch(self, analysis: str) -> None:
        """A shared analysis (the program graph, the dead-code analysis) is used."""
        if self._touched is not None:
            self._touched.add(analysis)

    def release(self, keep: Iterable[str]) -> None:
        """Drop every kind but ``keep``, decoded or not: the steps after the project rules read
        few kinds, and the rest was a third of the memory of a scan with 400,000 findings. A kind
        asked for after its release is an error, never an empty answer."""
        kept = set(keep)
        for name in list(self._values):
            if name not in kept:
                self._released.add(name)
                del self._values[name]
        for texts in self._texts.values():
            for name in [n for n in texts if n not in kept]:
                self._released.add(name)
                del texts[name]
        for _loader, pending in self._loaders.values():
            self._released |= pending - kept
            pending &= kept

    def add(self, path: str, texts: dict[str, str] | None = None, *, values: dict[str, Any] | None = None,
            names: Iterable[str] = (), loader: Loader | None = None, digests: dict[str, str] | None = None) -> None:
        """``digests``: each kind's digest (``kind_digests``), which lets the memo answer."""
        if path not in self._texts:
            self._order.append(path)
        if digests:
            self._digests[path] = digests
        self._texts[path] = dict(texts or {})
        for name, value in (values or {}).items():
            self._values.setdefault(name, {})[path] = value
        pending = set(names) - set(values or {}) - set(self._texts[path])
        if loader is not None and pending:
            self._loaders[path] = (loader, pending)

    def loads_from_cache(self, name: str) -> bool:
        """Whether decoding ``name`` would read the cache (some cached module still has it there)."""
        return any(name in pending for _, pending in self._loaders.values())

    def paths(self) -> list[str]:
        return list(self._order)

    def kind(self, name: str) -> dict[str, Any]:
        """One fact kind for every module that has it, in the order modules were added."""
        if self._reads is not None:
            self._reads.add(name)
        if name in self._released:
            raise RuntimeError(f"fact kind {name!r} was released when the project rules were done; "
                               "a later step that reads it must be kept in FactStore.release")
        self._decode(name)
        found = self._values[name]
        return {path: found[path] for path in self._order if path in found}

    def module(self, path: str, name: str) -> Any:
        """One module's value of a kind, decoding nothing else (None where it has none); KeyError
        when a cached value cannot be loaded. Nothing is kept: ``kind`` decodes it again."""
        if name in self._released:
            raise RuntimeError(f"fact kind {name!r} was released when the project rules were done")
        values = self._values.get(name, {})
        if path in values:
            return values[path]
        digest = self._digests.get(path, {}).get(name)
        kept = self._memo.get((path, name)) if self._memo is not None else None
        if kept is not None and digest is not None and kept[0] == digest:
            return kept[1]
        text = self._texts.get(path, {}).get(name)
        if text is not None:
            return json.loads(text)
        loader, pending = self._loaders.get(path, (None, set()))
        return loader(name) if loader is not None and name in pending else None

    def read_module(self, path: str, name: str) -> Any:
        """One module's value of a kind, decoding nothing else and keeping nothing (the program
        graph reads each module's uses once, for the modules whose edges it resolves). A cached
        value that cannot be loaded is made again by analysing the module again. None where the
        module has none. The running rule depends on the kind (``recording``)."""
        self.depends_on(name)
        try:
            return self.module(path, name)
        except KeyError:
            self._refresh(path)
            return self.module(path, name)

    def depends_on(self, name: str) -> None:
        """The running rule depends on a kind it may decode none of: the program graph replays
        each unchanged module's stored edges, which were made from its uses."""
        if self._reads is not None:
            self._reads.add(name)

    def _decode(self, name: str) -> None:
        values = self._values.setdefault(name, {})
        remembered = self._decode_from_memo(name, values) if self._memo is not None else set()
        # the cached modules' values, read together where the store can (``load_many``)
        to_load = [path for path in self._order if name in self._loaders.get(path, (None, ()))[1]]
        loaded = dict(self._load_many(name, to_load)) if self._load_many is not None and to_load else {}
        for path in self._order:
            texts = self._texts[path]
            if name in texts:
                values[path] = json.loads(texts.pop(name))
                continue
            loader, pending = self._loaders.get(path, (None, set()))
            if name not in pending:
                continue
            pending.discard(name)
            if path in loaded:
                values[path] = loaded.pop(path)
                continue
            try:
                values[path] = loader(name)
            except KeyError:
                self._refresh(path)
                if name in self._texts[path]:
                    values[path] = json.loads(self._texts[path].pop(name))
        if self._memo is not None:  # what was decoded now, for the next scan
            for path, value in values.items():
                digest = self._digests.get(path, {}).get(name)
                if digest is not None and path not in remembered:
                    self._memo[(path, name)] = (digest, value)

    def _decode_from_memo(self, name: str, values: dict[str, Any]) -> set[str]:
        """The values of ``name`` the memo has for the module's facts as they are now; returns
        the modules it had."""
        assert self._memo is not None
        remembered = set()
        for path in self._order:
            digest = self._digests.get(path, {}).get(name)
            kept = self._memo.get((path, name))
            if digest is None or kept is None or kept[0] != digest or path in values:
                continue
            values[path] = kept[1]
            remembered.add(path)
            self._texts[path].pop(name, None)
            pending = self._loaders.get(path, (None, set()))[1]
            pending.discard(name)
        return remembered

    def forget_others(self) -> None:
        """Drop from the memo the modules this store does not have (deleted or moved since)."""
        if self._memo is not None:
            present = set(self._texts)
            for key in [key for key in self._memo if key[0] not in present]:
                del self._memo[key]

    def _refresh(self, path: str) -> None:
        """Analyse a module again when a cached kind of its facts is lost: all its kinds come back
        as text, and the ones already decoded are replaced so that they agree."""
        self._loaders.pop(path, None)
        texts = self._reanalyse(path) if self._reanalyse is not None else {}
        for name, values in self._values.items():
            if name in texts:
                values[path] = json.loads(texts.pop(name))
        self._texts[path] = texts


class FactsView:
    """A ``FactStore`` seen through a set of paths: one unit's modules (``Project.restricted_to``)."""

    def __init__(self, store: "FactStore | FactsView", paths: set[str]) -> None:
        self._store, self._paths = store, paths

    def loads_from_cache(self, name: str) -> bool:
        return self._store.loads_from_cache(name)

    def touch(self, analysis: str) -> None:
        self._store.touch(analysis)

    def paths(self) -> list[str]:
        return [p for p in self._store.paths() if p in self._paths]

    def kind(self, name: str) -> dict[str, Any]:
        return {path: value for path, value in self._store.kind(name).items() if path in self._paths}

    def read_module(self, path: str, name: str) -> Any:
        return self._store.read_module(path, name) if path in self._paths else None

    def depends_on(self, name: str) -> None:
        self._store.depends_on(name)
