"""The fact store: facts decoded a kind at a time, from workers' text or the cache, and a lost
cache entry made good by analysing the module again."""

import json

from auditor.model.factstore import FactStore, digest, encode_facts


def test_a_kind_is_decoded_for_every_module_in_the_order_they_were_added():
    store = FactStore()
    store.add("b.py", encode_facts({"symbols": {"defs": ["f"]}, "seeds": []}))
    store.add("a.py", encode_facts({"symbols": {"defs": ["g"]}}))
    assert list(store.kind("symbols").items()) == [("b.py", {"defs": ["f"]}), ("a.py", {"defs": ["g"]})]
    assert store.kind("seeds") == {"b.py": []}
    assert store.kind("nothing") == {}
    assert store.kind("symbols") == store.kind("symbols")  # decoded once, asked for often


def test_cached_modules_are_loaded_only_for_the_kinds_asked_for():
    asked = []

    def loader(name):
        asked.append(name)
        return {"from": "cache", "kind": name}

    store = FactStore()
    store.add("a.py", values={"notebook-cells": [[1, 1]]}, names=["notebook-cells", "symbols", "usage"], loader=loader)
    assert store.kind("notebook-cells") == {"a.py": [[1, 1]]} and asked == []
    assert store.kind("usage") == {"a.py": {"from": "cache", "kind": "usage"}}
    assert asked == ["usage"]


def test_a_lost_cache_entry_has_its_module_analysed_again():
    fresh = {"symbols": {"defs": ["new"]}, "usage": {"imports": {}}}
    analysed = []

    def reanalyse(path):
        analysed.append(path)
        return encode_facts(fresh)

    def loader(name):
        if name == "symbols":
            raise KeyError(name)
        return {"stale": True}

    store = FactStore(reanalyse)
    store.add("a.py", names=["symbols", "usage"], loader=loader)
    store.add("b.py", encode_facts({"symbols": {"defs": ["b"]}}))
    assert store.kind("usage") == {"a.py": {"stale": True}}
    assert store.kind("symbols") == {"a.py": {"defs": ["new"]}, "b.py": {"defs": ["b"]}}
    # the kind decoded before the loss now agrees with the fresh analysis
    assert store.kind("usage") == {"a.py": {"imports": {}}}
    assert analysed == ["a.py"]


def test_the_digest_sees_every_kind_and_nothing_else():
    texts = encode_facts({"symbols": {"defs": ["f"]}, "seeds": [1]})
    assert digest(texts) == digest(dict(reversed(list(texts.items()))))
    assert digest(texts) != digest({**texts, "seeds": json.dumps([2])})
    assert digest(texts) != digest({"symbols": texts["symbols"]})
