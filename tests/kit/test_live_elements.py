"""The live array parser (`streaming.LiveArray`) against `json` itself, on generated bodies
cut into chunks at every position: the same elements for a whole body, the complete
elements and then `BodyBroken` for a body that is cut, invalid or followed by more."""

from __future__ import annotations

import json
import random
import struct

import pytest
from support import Chunked

from outreach_kit import streaming
from outreach_kit.streaming import BodyBroken, LiveArray, open_json

SCALARS = [0, -7, 12, 2**70, 1.5, -0.25, 1e-7, 6.02e23, True, False, None, "", "x"]
TEXTS = ["Gerne \u2013 n\u00e4chste Woche?", "\U0001f44d", 'quote " and \\ slash', "\n\t\u0001"]


def value(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth < 3 and roll < 0.3:
        return {
            rng.choice(["Id", "Text", "a b", "\u00e9"]): value(rng, depth + 1) for _ in range(3)
        }
    if depth < 3 and roll < 0.45:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if roll < 0.7:
        return rng.choice(TEXTS)
    return rng.choice(SCALARS)


def bodies(count: int) -> list[bytes]:
    rng = random.Random(19)
    out = []
    for _ in range(count):
        elements = [value(rng) for _ in range(rng.randrange(1, 6))]
        text = json.dumps(elements, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))
        out.append(text.encode())
    return out


def live(chunks: list[bytes]) -> tuple[list, BodyBroken | None]:
    body = open_json(Chunked(chunks))
    assert isinstance(body, LiveArray)
    got: list = []
    broken: BodyBroken | None = None
    try:
        got.extend(body.items())
    except BodyBroken as exc:
        broken = exc
    if broken is not None:
        assert broken.given == len(got)
        assert "\n" not in str(broken)
    return got, broken


def cuts(body: bytes) -> list[list[bytes]]:
    """The body in two chunks at every position, in single bytes, and whole."""
    return [[body[:at], body[at:]] for at in range(1, len(body))] + [
        [body[i : i + 1] for i in range(len(body))],
        [body],
    ]


@pytest.mark.parametrize("body", bodies(150))
def test_every_cut_of_a_complete_array_gives_what_json_decodes(body):
    expected = json.loads(body)
    for chunks in cuts(body):
        got, broken = live(chunks)
        assert broken is None, (chunks, broken)
        assert got == expected and json.dumps(got) == json.dumps(expected)


@pytest.mark.parametrize("body", bodies(40))
def test_a_body_cut_anywhere_gives_its_complete_elements_then_breaks(body):
    expected = json.loads(body)
    for end in range(1, len(body)):
        got, broken = live([body[:end]] if end < 3 else [body[: end // 2], body[end // 2 : end]])
        assert broken is not None, body[:end]
        assert "premature EOF" in str(broken)
        # complete elements only, in order: a prefix of the array, never an invented value
        assert got == expected[: len(got)]


@pytest.mark.parametrize(
    ("body", "given", "why"),
    [
        (b"[1] [2]", 1, "trailing garbage"),
        (b"[1, 2]x", 2, "trailing garbage"),
        (b"[1,]", 1, "parse error"),
        (b"[01]", 0, "invalid value"),
        (b'[{"a": 1} {"b": 2}]', 1, "',' or ']'"),
        (b"[1, NaN]", 1, "NaN is not JSON"),
        (b"[Infinity]", 0, "Infinity is not JSON"),
        (b'[{"a": 1e999}]', 0, "overflow"),
        (b'[{"a": 1}, {"b": "x\x01"}]', 1, "control character"),
        (b'[{"a": 1}, "\xff"]', 1, "UTF-8"),
        (b'[{"a": tru}, {}, {}, {}]', 0, "parse error"),
    ],
)
def test_invalid_json_breaks_after_the_elements_before_it(body, given, why):
    for chunks in cuts(body):
        got, broken = live(chunks)
        assert broken is not None and broken.given == given, (chunks, got, broken)
        assert why in str(broken) or "premature EOF" in str(broken), str(broken)
    got, broken = live([body])
    assert why in str(broken)  # whole, the cause is named


def test_duplicate_keys_and_whitespace_decode_as_json_does():
    body = b' \n[ {"a": 1, "a": 2} ,\t"s" , 3 ]\r\n '
    for chunks in cuts(body):
        assert live(chunks) == ([{"a": 2}, "s", 3], None)


def test_an_element_spanning_many_chunks_is_decoded_a_few_times_not_once_per_chunk(
    monkeypatch,
):
    calls = []
    decode = streaming._decode
    monkeypatch.setattr(streaming, "_decode", lambda text, at: calls.append(1) or decode(text, at))
    big = {"Text": "x" * 2_000_000}
    body = json.dumps([big, {"a": 1}]).encode()
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]  # about 490 chunks
    assert live(chunks) == ([big, {"a": 1}], None)
    assert len(calls) <= 24  # the held text doubles between attempts


def records(rng: random.Random, count: int) -> list[dict]:
    """Objects as the vendors send them, with the text that could mislead a batch cut:
    `},` and `}, {` inside strings, nested objects and arrays, floats of any bits."""
    tricky = ["a},b", '"}, {"x": 1}', "}", "},", "\\},{", "\u00e9},{\U0001f44d"]
    out = []
    for n in range(count):
        out.append(
            {
                "Id": n,
                "Big": 2**64 + n,
                "Float": struct.unpack("d", struct.pack("Q", rng.getrandbits(62)))[0],
                "Text": rng.choice(tricky + TEXTS),
                "Nested": {"Inner": {"List": [{"k": rng.choice(tricky)}, {}]}},
                "Children": [{"Id": -n, "Text": "},"}, {"Id": n}],  # the records' first key
                "Empty": {},
            }
        )
    return out


def test_runs_of_objects_decode_together_exactly_as_json_decodes_them(monkeypatch):
    rng = random.Random(23)
    elements = records(rng, 400)
    calls = []
    decode = streaming._decode
    monkeypatch.setattr(streaming, "_decode", lambda text, at: calls.append(1) or decode(text, at))
    for separators in ((",", ":"), (", ", ": ")):
        body = json.dumps(elements, ensure_ascii=False, separators=separators).encode()
        for size in (1, 7, 100, 4096, 65_536):
            chunks = [body[i : i + size] for i in range(0, len(body), size)]
            got, broken = live(chunks)
            assert broken is None
            assert json.dumps(got) == json.dumps(elements)  # floats to the last bit, key order
        calls.clear()
        assert live([body[i : i + 65_536] for i in range(0, len(body), 65_536)])[0] == elements
        assert len(calls) < 40  # a few per chunk (the cut element), not one per element


def test_objects_that_start_with_different_keys_still_decode_together(monkeypatch):
    """Where no other element starts as the first does, a run ends at the last `},`."""
    rng = random.Random(29)
    flat = [
        {k: v for k, v in r.items() if k not in ("Nested", "Children")} for r in records(rng, 300)
    ]
    elements = [{k: v for k, v in rng.sample(sorted(r.items()), len(r))} for r in flat]
    elements[0] = {"Only the first": True, **elements[0]}  # its first key starts no other
    body = json.dumps(elements, separators=(",", ":")).encode()
    calls = []
    decode = streaming._decode
    monkeypatch.setattr(streaming, "_decode", lambda text, at: calls.append(1) or decode(text, at))
    got, broken = live([body[i : i + 65_536] for i in range(0, len(body), 65_536)])
    assert broken is None and json.dumps(got) == json.dumps(elements)
    assert len(calls) < 20


def test_a_batch_that_does_not_decode_falls_back_and_names_the_fault():
    elements = [{"a": n} for n in range(50)]
    good = json.dumps(elements).encode()
    bad = good.replace(b'{"a": 30}', b'{"a": 1e999}')
    for size in (9, 64, len(bad)):
        got, broken = live([bad[i : i + size] for i in range(0, len(bad), size)])
        assert got == elements[:30]
        assert broken is not None and "overflow" in str(broken)
