"""An activity event's `time` is read the same way wherever the feed needs it (paging
order, window edges, `time_ms`): ints as they are, numeric text as its number, anything
else as no time."""

from __future__ import annotations

import pytest

from tap_salesblink.streams import _time
from tap_salesblink.tap import TapSalesBlink

VALUES = [
    1_700_000_000_123,
    0,
    -5,
    "1700000000123",
    "-12",
    " 12",
    "12.5",
    12.0,
    True,
    False,
    None,
    "",
    "abc",
    "١٢٣",  # Arabic-Indic digits: text that str.isdigit and int() both read
    [1],
    {"ms": 1},
]


def reference(raw: object) -> int | None:
    """The reading by text, as the feed always did it."""
    text = str(raw)
    return int(text) if text.lstrip("-").isdigit() else None


@pytest.mark.parametrize("raw", VALUES, ids=repr)
def test_time_reads_every_value_as_the_text_reading_does(raw):
    got = _time({"time": raw})
    assert got == reference(raw)
    assert type(got) is type(reference(raw))  # True is no time, not 1


@pytest.mark.parametrize("raw", VALUES, ids=repr)
def test_time_ms_lands_as_the_time_read(raw):
    stream = TapSalesBlink(config={"api_key": "k", "api_url": "https://x.invalid"}).streams["sent"]
    stream._tap.tally.add = lambda *args: False  # type: ignore[method-assign]
    row = stream.post_process({"id": "e1", "time": raw, "email": "a@b.c"}, None)
    assert row is not None
    assert row["time_ms"] == reference(raw)
