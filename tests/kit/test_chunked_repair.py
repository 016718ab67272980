"""The chunked surrogate repair gives exactly the whole-body repair, wherever the chunks
are cut (differential test on generated bodies dense in escapes and backslashes)."""

from __future__ import annotations

import random

from outreach_kit.text import ChunkedRepair, replace_lone_surrogates

#: Pieces that make escapes, pairs, lone halves and backslash runs likely.
PIECES = [
    b"\\",
    b"\\\\",
    b"\\ud83d",
    b"\\uDE00",
    b"\\ude00",
    b"\\uD800",
    b"\\u00e9",
    b"\\n",
    b'"',
    b"u",
    b"d8",
    b"abc",
    b"\\u4e2d",
    b" ",
]


def chunked(body: bytes, sizes: random.Random) -> tuple[bytes, int]:
    repair = ChunkedRepair()
    out = []
    at = 0
    while at < len(body):
        step = sizes.randint(1, 40)
        out.append(repair.feed(body[at : at + step]))
        at += step
    out.append(repair.close())
    return b"".join(out), repair.replaced


def test_chunked_repair_equals_the_whole_body_repair():
    rng = random.Random(20261127)
    changed = 0
    for _ in range(4000):
        body = b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 60)))
        expected = replace_lone_surrogates(body)
        assert chunked(body, rng) == expected, body
        changed += expected[1] > 0
    assert changed > 1000  # the bodies did exercise the repair


def test_a_pair_split_across_chunks_is_kept():
    repair = ChunkedRepair()
    body = b'["Zo\\ud83d' + b"\\ude00" + b' ok", "x\\ud83d"]'
    out = (
        repair.feed(body[:10]) + repair.feed(body[10:16]) + repair.feed(body[16:]) + repair.close()
    )
    assert out == b'["Zo\\ud83d\\ude00 ok", "x\\ufffd"]'
    assert repair.replaced == 1


def test_plain_chunks_pass_through_whole_but_for_a_short_tail():
    repair = ChunkedRepair()
    chunk = b"x" * 1000
    assert repair.feed(chunk) == b"x" * 988
    assert repair.close() == b"x" * 12


def test_long_backslash_runs_keep_their_pairing_across_any_cut():
    """A run of backslashes longer than the tail, cut anywhere, still pairs from its start:
    an odd run makes the escape after it real, an even one makes it text."""
    for run in range(10, 31):
        body = b'"' + b"\\" * run + b'ud800 tail"'
        expected = replace_lone_surrogates(body)
        for size in range(1, 41):
            repair = ChunkedRepair()
            parts = [repair.feed(body[at : at + size]) for at in range(0, len(body), size)]
            assert (b"".join(parts) + repair.close(), repair.replaced) == expected, (run, size)
