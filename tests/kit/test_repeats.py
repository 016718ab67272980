"""The compact key store answers as a dict of key -> digest would, and stays small."""

from __future__ import annotations

import random
import sys
import tracemalloc

from outreach_kit.repeats import KeyDigests


def test_it_answers_as_a_dict_would():
    rng = random.Random(7)
    store = KeyDigests()
    reference: dict[int, int] = {}
    # Keys that collide in their low bits, zero, negatives, and repeats of both kinds.
    keys = [rng.getrandbits(64) - 2**63 for _ in range(30_000)]
    keys += [k << 20 for k in range(1, 2_000)] + [0, -1, -(2**63), 2**63 - 1]
    for key in keys + rng.sample(keys, 5_000):
        digest = hash((key, rng.random() < 0.5))
        held = store.put(key, digest)
        if key in reference:
            assert held is not None
            assert store.same(held, reference[key]) is True
            assert store.same(held, reference[key] + 1) is False
        else:
            assert held is None
            reference[key] = digest
    assert len(store) == len(reference)


def test_replace_stores_the_new_digest():
    store = KeyDigests()
    store.put(42, 1000)
    store.replace(42, 2000)
    held = store.put(42, 0)
    assert held is not None and store.same(held, 2000)
    store.replace(43, 5)  # a new key is simply stored
    assert store.same(store.put(43, 0), 5)


def test_it_costs_a_fraction_of_a_dict():
    tracemalloc.start()
    store = KeyDigests()
    for i in range(40_000):
        store.put(hash(("acct", i)), hash(str(i)))
    compact = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    as_dict = {hash(("acct", i)): hash(str(i)) for i in range(40_000)}
    dict_bytes = sys.getsizeof(as_dict) + 40_000 * 2 * sys.getsizeof(2**40)
    assert compact < dict_bytes / 3, (compact, dict_bytes)


def test_the_small_dict_answers_exactly_as_the_arrays_and_moves_into_them(monkeypatch):
    """A store starts as a dict (most reads are a page) and moves into the arrays past
    DICT_KEYS keys: before, across and after the move, every answer is the arrays' own
    (0 and 1 share a slot, digests are 32-bit), replace included."""
    from outreach_kit import repeats

    rng = random.Random(11)
    keys = [rng.getrandbits(64) - 2**63 for _ in range(6_000)] + [0, 1, -1, 2**63 - 1]
    operations = []
    for key in keys + rng.sample(keys, 3_000):
        operations.append(("put", key, rng.getrandbits(64) - 2**63))
        if rng.random() < 0.05:
            operations.append(("replace", rng.choice(keys), rng.getrandbits(64)))

    def answers(dict_keys: int) -> list[object]:
        monkeypatch.setattr(repeats, "DICT_KEYS", dict_keys)
        store = KeyDigests()
        out: list[object] = []
        for kind, key, digest in operations:
            if kind == "put":
                held = store.put(key, digest)
                out.append(held if held is None else (store.same(held, digest), held))
            else:
                store.replace(key, digest)
            out.append(len(store))
        return out

    arrays_only = answers(0)
    assert answers(100_000) == arrays_only  # a dict all along
    assert answers(2_048) == arrays_only  # moved part-way
    assert answers(5) == arrays_only


def test_record_key_is_the_tuple_of_the_key_fields_values():
    from outreach_kit.repeats import record_key

    record = {"id": {"$oid": "a"}, "account": 7, "other": 1}
    seen: list[object] = []

    def key_value(value: object) -> object:
        seen.append(value)
        return str(value) if isinstance(value, dict) else value

    assert record_key(("id",), key_value)(record) == ("{'$oid': 'a'}",)
    assert record_key(("account", "id"), key_value)(record) == (7, "{'$oid': 'a'}")
    assert record_key(("missing",), key_value)(record) == (None,)
    assert seen == [{"$oid": "a"}, 7, {"$oid": "a"}, None]
