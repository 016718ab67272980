"""Mongo's `{"$oid": ...}` ids are a Sales.Rocks fact: the tap unwraps them, the kit does not."""

from __future__ import annotations

from tap_salesblink.tap import TapSalesBlink
from tap_salesrocks.client import plain_id
from tap_salesrocks.tap import TapSalesRocks

URL = "https://sandbox.invalid"


def test_salesrocks_keys_a_wrapped_id_by_the_id_inside():
    tap = TapSalesRocks(config={"username": "u", "password": "p", "api_url": URL})
    stream = tap.streams["lists"]
    assert stream.key_value({"$oid": "65a1f0c2e4b0a1b2c3d4e5f6"}) == "65a1f0c2e4b0a1b2c3d4e5f6"
    assert stream.key_value("plain") == "plain"
    assert stream.key_value({"other": 1}) == "{'other': 1}"


def test_the_kit_keys_any_container_as_text():
    stream = TapSalesBlink(config={"api_key": "k", "api_url": URL}).streams["lists"]
    assert stream.key_value({"$oid": "abc"}) == "{'$oid': 'abc'}"
    assert stream.key_value([1, 2]) == "[1, 2]"
    assert stream.key_value(7) == 7


def test_a_list_row_id_is_plain_text_or_none():
    assert plain_id({"$oid": "abc"}) == "abc"
    assert plain_id("abc") == "abc"
    assert [plain_id(v) for v in (None, "", {}, {"id": "x"})] == [None, None, None, None]


def test_a_row_lands_with_the_same_id_as_sent_or_as_read_records_passes_it_on():
    """`read_records` hands the SDK rows whose `_id` it already made plain; `post_process`
    reads an `_id` as sent too (wrapped, plain, empty, missing) exactly as before."""
    tap = TapSalesRocks(config={"username": "u", "password": "p", "api_url": URL})
    stream = tap.streams["list_data"]
    rejected: list[tuple[str, object]] = []
    stream.reject = lambda row, reason, key=None: rejected.append((reason, row["id"]))  # type: ignore[method-assign]
    for sent, landed in (
        ({"$oid": "65a1f0c2e4b0a1b2c3d4e5f6"}, "65a1f0c2e4b0a1b2c3d4e5f6"),
        ("65a1f0c2e4b0a1b2c3d4e5f6", "65a1f0c2e4b0a1b2c3d4e5f6"),
        (12, "12"),
    ):
        row = stream.post_process({"_id": sent, "name": "A", "Phone": "1"}, {"list_id": "L1"})
        assert row is not None
        assert row["id"] == landed
        assert row["columns"] == {"name": "A", "Phone": "1"}
    for sent in ("", None, {"id": "x"}):
        assert stream.post_process({"_id": sent, "name": "A"}, {"list_id": "L1"}) is None
    assert stream.post_process({"name": "A"}, {"list_id": "L1"}) is None
    assert rejected == [("null primary key id", None)] * 4
