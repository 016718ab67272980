"""The fast path of `to_utc_iso` (the vendors' exact shapes) against the general one.

Per record the taps convert .NET strings (`2024-05-01T10:20:30.1234567+02:00`), ISO UTC
strings and epoch milliseconds; those take a shortcut. Whatever the value, the result, or
the exception and its message, must be the general path's.
"""

from __future__ import annotations

import random

import pytest

from outreach_kit import timestamps
from outreach_kit.timestamps import ImpossibleTimestamp, to_utc_iso


def outcome(convert, value):
    try:
        return "ok", convert(value)
    except ImpossibleTimestamp as exc:
        return "impossible", str(exc)
    except ValueError as exc:
        return "invalid", str(exc)


def shaped(rng: random.Random) -> str:
    """A string in (or just beside) the exact shapes: valid and invalid dates, clocks,
    fractions of 0-9 digits, offsets in and out of range, the first and last years."""
    year = rng.choice([1, 2, 999, 1970, 2024, 2026, 9999, rng.randint(1, 9999)])
    month = rng.choice([1, 2, 12, 13, 0, rng.randint(1, 12)])
    day = rng.choice([1, 28, 29, 30, 31, 32, rng.randint(1, 28)])
    clock = rng.choice(
        ["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60"]
        + [f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"] * 5
    )
    fraction = rng.choice(["", "." + "".join(rng.choices("0123456789", k=rng.randint(1, 9)))])
    fraction = rng.choice([fraction, fraction, ".0000000", ".0"])
    offset = rng.choice(
        ["Z", "z", "+00:00", "-00:00", "+02:00", "-05:00", "+05:30", "+14:00", "-12:00"]
        + ["+23:59", "-23:59", "+24:00", "+05:60", "+0530", ""]
        + [f"{rng.choice('+-')}{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"] * 4
    )
    text = f"{year:04d}-{month:02d}-{day:02d}T{clock}{fraction}{offset}"
    return rng.choice([text, text, text, f" {text}", text.replace("T", " ")])


def test_exact_shapes_match_the_general_path() -> None:
    rng = random.Random(19)
    values = [shaped(rng) for _ in range(20_000)]
    values += [
        "2024-05-01T10:20:30.1234567+02:00",
        "2021-02-18T15:33:44.5905705+00:00",
        "0001-01-01T00:00:00",
        "0001-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00.0000000+00:00",
        "0001-01-01T00:30:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
        "9999-12-31T23:59:59.9999999Z",
    ]
    for value in values:
        assert outcome(to_utc_iso, value) == outcome(timestamps._general_iso, value), value


def test_epoch_milliseconds_match_the_general_path() -> None:
    rng = random.Random(19)
    edges = [timestamps.MIN_EPOCH_MS, timestamps.MAX_EPOCH_MS]
    values = [e + d for e in edges for d in (-1, 0, 1)]
    values += [0, -1, 1793489256000, *(rng.randint(-(10**15), 10**15) for _ in range(5000))]
    for value in values:
        assert outcome(to_utc_iso, value) == outcome(timestamps._general_iso, value), value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T10:20:30.1234567+02:00", "2024-05-01T08:20:30.1234567Z"),
        ("2024-05-01T01:20:30.1234567+05:30", "2024-04-30T19:50:30.1234567Z"),
        ("2024-12-31T22:00:00.5-05:00", "2025-01-01T03:00:00.5Z"),
        ("2024-05-01T10:20:30Z", "2024-05-01T10:20:30Z"),
        ("0999-05-01T10:20:30+00:00", "0999-05-01T10:20:30Z"),
    ],
)
def test_fast_path_results(value: str, expected: str) -> None:
    assert timestamps._exact_iso(value) == expected
    assert to_utc_iso(value) == expected


def test_epoch_milliseconds_across_many_days_and_every_clock_edge() -> None:
    """The fast path keeps each day's date text for later values (bounded, emptied when
    full): past the bound, back to earlier days, and at the clock's edges it still agrees."""
    rng = random.Random(20)
    day = 86_400_000
    start = 1_600_000_000_000 - 1_600_000_000_000 % day
    values = [start + n * day + rng.randrange(day) for n in range(6000)]  # past the bound
    values += [start + n * day + rng.randrange(day) for n in range(0, 6000, 7)]  # back again
    for base in (timestamps.MIN_EPOCH_MS, start, timestamps.MAX_EPOCH_MS - day):
        values += [base + ms for ms in (0, 1, 999, 1000, 59_999, 60_000, 3_599_999, day - 1)]
    for value in values:
        assert outcome(to_utc_iso, value) == outcome(timestamps._general_iso, value), value
