"""Every vendor timestamp shape becomes one UTC ISO-8601 form, without losing the instant."""

import random
from datetime import datetime, timezone

import pytest

from outreach_kit.timestamps import (
    _format,
    datetime_to_ms,
    ms_to_datetime,
    parse_setting_datetime,
    to_utc_iso,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-02-18T15:33:44.5905705+00:00", "2021-02-18T15:33:44.5905705Z"),
        ("2021-02-18T15:33:44.5905705+02:00", "2021-02-18T13:33:44.5905705Z"),
        ("2021-02-18T23:33:44.1-05:30", "2021-02-19T05:03:44.1Z"),
        ("2021-02-18T15:33:44+0000", "2021-02-18T15:33:44Z"),
        (1715000000123, "2024-05-06T12:53:20.123Z"),
        ("1715000000123", "2024-05-06T12:53:20.123Z"),
        (1715000000, "1970-01-20T20:23:20.000Z"),  # ms, as documented: never seconds
        ("2021-05-07 10:28:26", "2021-05-07T10:28:26Z"),
        ("2026-10-01T00:00:00", "2026-10-01T00:00:00Z"),
        ("2026-10-01", "2026-10-01T00:00:00Z"),
        ("2026-10-01T00:00:00.123456Z", "2026-10-01T00:00:00.123456Z"),
        (None, None),
        ("", None),
    ],
)
def test_to_utc_iso(raw, expected):
    assert to_utc_iso(raw) == expected


@pytest.mark.parametrize("raw", ["yesterday", "2021-13-45", True, "12:00"])
def test_to_utc_iso_rejects_non_timestamps(raw):
    with pytest.raises(ValueError, match="timestamp"):
        to_utc_iso(raw)


def test_ms_roundtrip():
    moment = datetime(2026, 11, 1, 12, 30, 5, 123000, tzinfo=timezone.utc)
    assert ms_to_datetime(datetime_to_ms(moment)) == moment


def test_setting_errors_name_the_setting():
    assert parse_setting_datetime("start_date", "2024-01-31") == datetime(
        2024, 1, 31, tzinfo=timezone.utc
    )
    with pytest.raises(ValueError, match="'start_date'"):
        parse_setting_datetime("start_date", "last tuesday-ish")


def test_the_fast_millisecond_path_matches_the_general_one():
    rng = random.Random(3)
    values = [100_000_000_000, 1_795_552_429_000, 253_402_300_799_999]
    values += [rng.randint(100_000_000_000, 4_000_000_000_000) for _ in range(2000)]
    for value in values:
        general = _format(ms_to_datetime(value).replace(microsecond=0), f"{value % 1000:03d}")
        assert to_utc_iso(value) == general
