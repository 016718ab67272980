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
