"""Lone UTF-16 surrogates: replaced by U+FFFD and counted, in decoded and in spooled bodies."""

from __future__ import annotations

import msgspec
import pytest
from support import Chunked

from outreach_kit.streaming import open_json, spool_json
from outreach_kit.text import replace_lone_surrogates


@pytest.mark.parametrize(
    ("body", "decoded", "count"),
    [
        (rb'["Zo\ud83d"]', ["Zo\ufffd"], 1),
        (rb'["\ud83d\ude00 ok"]', ["\U0001f600 ok"], 0),
        (rb'["x\udc00y", "\ud800\ud800\udc00"]', ["x\ufffdy", "\ufffd\U00010000"], 2),
        (rb'["\\ud800", "\\\ud800"]', ["\\ud800", "\\\ufffd"], 1),  # escaped backslashes
        (rb'{"k\uDBFF": "\uDFFF"}', {"k\ufffd": "\ufffd"}, 2),  # upper case, keys too
        (b'["plain"]', ["plain"], 0),
    ],
)
def test_only_lone_halves_are_replaced(body, decoded, count):
    fixed, replaced = replace_lone_surrogates(body)
    assert replaced == count
    assert msgspec.json.decode(fixed) == decoded


def test_a_clean_body_is_returned_as_is():
    body = b'["a", "\\u00e9"]'
    assert replace_lone_surrogates(body)[0] is body


@pytest.mark.parametrize("cut", [1, 3, 5, 8, 11])
def test_spooled_bodies_are_repaired_even_when_the_escape_straddles_chunks(cut):
    body = rb'[{"FirstName": "Ana\ud83d"}, {"FirstName": "\ud83d\ude00"}]'
    at = body.index(rb"\ud83d") + cut - 1
    with spool_json(Chunked([body[:at], body[at:]])) as spooled:
        assert spooled.complete and spooled.replaced == 1
        assert list(spooled.items()) == [{"FirstName": "Ana\ufffd"}, {"FirstName": "\U0001f600"}]


def test_spooled_bodies_without_surrogates_are_untouched():
    with spool_json(Chunked([b'[{"a": "\\u00e9"}]'])) as spooled:
        assert spooled.replaced == 0 and list(spooled.items()) == [{"a": "\u00e9"}]


@pytest.mark.parametrize("cut", [1, 3, 5, 8, 11])
def test_live_bodies_are_repaired_even_when_the_escape_straddles_chunks(cut):
    body = rb'[{"FirstName": "Ana\ud83d"}, {"FirstName": "\ud83d\ude00"}]'
    at = body.index(rb"\ud83d") + cut - 1
    live = open_json(Chunked([body[:at], body[at:]]))
    assert list(live.items()) == [{"FirstName": "Ana\ufffd"}, {"FirstName": "\U0001f600"}]
    assert live.replaced == 1
