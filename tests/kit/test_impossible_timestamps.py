"""Epoch values are milliseconds; values no vendor can mean land null with the raw kept."""

import logging

import pytest

from outreach_kit.bookmarks import later
from outreach_kit.timestamps import MAX_EPOCH_MS, MIN_EPOCH_MS, ImpossibleTimestamp, to_utc_iso
from tap_salesblink.tap import TapSalesBlink
from tap_salesflow.tap import TapSalesflow


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (MIN_EPOCH_MS, "1970-01-02T00:00:00.000Z"),
        (MAX_EPOCH_MS - 1, "9999-12-31T23:59:59.999Z"),
        (-1_000_000 + 10**11, "1973-03-03T09:30:00.000Z"),  # ms below 10^11: not seconds
        ("0001-01-02T00:00:00", "0001-01-02T00:00:00Z"),  # four digits, not "1-01-02"
        ("9999-12-31T23:59:59.9999999+00:00", "9999-12-31T23:59:59.9999999Z"),
    ],
)
def test_edges_of_the_usable_range(raw, expected):
    assert to_utc_iso(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        0,
        -1,
        86_399_999,
        "-5",
        1.5,
        MAX_EPOCH_MS,
        10**20,
        "253402300800000",
        float("inf"),
        float("nan"),
        "0001-01-01T00:00:00",
        "0001-01-01T00:00:00.0000000+00:00",
        "0001-01-01 00:00:00",
        "0001-01-01",
        "0001-01-01T00:30:00+01:00",
        "9999-12-31T23:30:00-01:00",
    ],
)
def test_impossible_values_raise_impossible_timestamp(raw):
    with pytest.raises(ImpossibleTimestamp):
        to_utc_iso(raw)


def test_a_feed_event_with_an_impossible_time_lands_null_with_the_raw_kept(caplog):
    tap = TapSalesBlink(config={"api_key": "k", "api_url": "https://sandbox.invalid/api"})
    stream = tap.streams["sent"]
    with caplog.at_level(logging.WARNING):
        rows = [
            stream.post_process({"id": str(i), "time": raw, "message": "Sent"})
            for i, raw in enumerate([253_402_300_800_000, -5, 1_793_491_200_000, 5])
        ]
        tap.tally.report(tap.logger)
    assert [r["time"] for r in rows] == [None, None, "2026-11-01T00:00:00.000Z", None]
    assert [r["time_ms"] for r in rows] == [253_402_300_800_000, -5, 1_793_491_200_000, 5]
    assert [r.get("extra") for r in rows] == [
        {"time": 253_402_300_800_000},
        {"time": -5},
        None,
        {"time": 5},
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("is not a usable timestamp" in w for w in warnings) == 1  # the first, then a count
    assert any(
        w.startswith("sent: 3 'time' value(s) that are impossible times: landed null")
        for w in warnings
    )


def test_the_dotnet_no_date_lands_null_not_as_year_1():
    tap = TapSalesflow(
        config={
            "accounts": [{"account_id": "1", "token": "t"}],
            "api_url": "https://sandbox.invalid/api",
        }
    )
    stream = tap.streams["members"]
    row = stream.post_process(
        {
            "MemberId": 1,
            "ConnectedAt": "0001-01-01T00:00:00",
            "LastModifiedAt": "2026-10-01T00:00:00.1234567+02:00",
        },
        {"account_id": "1"},
    )
    assert row["ConnectedAt"] is None
    assert row["extra"]["ConnectedAt"] == "0001-01-01T00:00:00"
    assert row["LastModifiedAt"] == "2026-09-30T22:00:00.1234567Z"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2026-11-01T00:00:01Z", "2026-11-01T00:00:00.999Z", True),
        ("2026-11-01T00:00:00.5Z", "2026-11-01T00:00:00Z", True),  # text order would say no
        ("2026-11-01T00:00:00Z", "2026-11-01T00:00:00.5Z", False),
        ("2099-01-01T00:00:00.0000000Z", "2026-11-27T10:00:00.000000Z", True),
        ("2026-11-01T00:00:00.123Z", "2026-11-01T00:00:00.123000Z", False),
    ],
)
def test_bookmark_comparison_within_and_across_seconds(a, b, expected):
    assert later(a, b) is expected
