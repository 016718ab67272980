"""Every record lands, exactly as sent: 1, 2,500 and 10,001 rows, nulls, unicode, wide rows,
across batch boundaries, on the fast path and on singer-sdk's mapped path alike."""

from __future__ import annotations

import datetime as dt

import pytest
from loader_support import record, schema

TEXTS = [
    "plain",
    "Gerne \u2013 nächste Woche?",
    "👍",
    "Łukasz 雷",
    'quote " and \\ backslash',
    "line\nbreak",
    "",
    None,
]


def _messages(n: int, *, wide: int = 0) -> tuple[list[dict], list[tuple]]:
    properties = {
        "id": {"type": "integer"},
        "name": {"type": ["string", "null"]},
        "score": {"type": ["number", "null"]},
        "seen": {"type": ["boolean", "null"]},
        "happened_at": {"type": ["string", "null"], "format": "date-time"},
        **{f"c{i}": {"type": ["string", "null"]} for i in range(wide)},
    }
    messages = [schema("events", properties, ["id"])]
    expected = []
    base = dt.datetime(2026, 8, 1, tzinfo=dt.timezone.utc)
    for i in range(n):
        text = TEXTS[i % len(TEXTS)]
        score = None if i % 5 == 0 else i / 4
        seen = None if i % 7 == 0 else i % 2 == 0
        at = None if i % 11 == 0 else base + dt.timedelta(seconds=i, microseconds=i % 1000)
        data = {
            "id": i,
            "name": text,
            "score": score,
            "seen": seen,
            "happened_at": at.isoformat().replace("+00:00", "Z") if at else None,
            **{f"c{c}": f"{c}-{i}" if (i + c) % 3 else None for c in range(wide)},
        }
        messages.append(record("events", data))
        expected.append(
            (
                i,
                text,
                score,
                seen,
                at.replace(tzinfo=None) if at else None,
                *[data[f"c{c}"] for c in range(wide)],
            )
        )
    return messages, expected


@pytest.mark.parametrize("n", [1, 2_500, 10_001])
def test_every_row_lands_exactly(warehouse, n):
    messages, expected = _messages(n)
    warehouse.load(messages, batch_size_rows=1_000)
    assert warehouse.rows("events", "id, name, score, seen, happened_at") == expected


def test_wide_rows_land_whole(warehouse):
    messages, expected = _messages(300, wide=150)
    warehouse.load(messages, batch_size_rows=128)
    columns = ", ".join(
        ["id", "name", "score", "seen", "happened_at", *[f"c{c}" for c in range(150)]]
    )
    assert warehouse.rows("events", columns) == expected


def test_mapped_path_lands_what_the_fast_path_lands(warehouse, tmp_path):
    """validate_records sends records through singer-sdk's validation and stream maps: the
    table must be the same, metadata columns aside."""
    from loader_support import Warehouse

    messages, expected = _messages(777)
    warehouse.load(messages, batch_size_rows=100)
    mapped = Warehouse(tmp_path / "mapped.duckdb")
    mapped.load(messages, batch_size_rows=100, validate_records=True)
    columns = (
        "id, name, score, seen, happened_at, _sdc_extracted_at, _sdc_table_version, _sdc_deleted_at"
    )
    assert mapped.rows("events", columns) == warehouse.rows("events", columns)
    assert warehouse.rows("events", "id, name, score, seen, happened_at") == expected


def test_stream_maps_apply(warehouse):
    """A stream map (here: drop a property, add one) takes singer-sdk's mapped path."""
    messages, _ = _messages(50)
    maps = {"events": {"name": None, "double": "id * 2"}}
    warehouse.load(messages, stream_maps=maps)
    assert "name" not in warehouse.types("events")
    # singer-sdk types an untyped map expression as a string
    assert warehouse.rows("events", "id, double::BIGINT") == [(i, i * 2) for i in range(50)]


def test_last_line_without_newline_still_lands(warehouse, tmp_path):
    import io
    import json

    from outreach_target_duckdb import TargetDuckDB

    messages, expected = _messages(3)
    text = "\n".join(json.dumps(m, separators=(",", ":")) for m in messages)  # no final \n
    target = TargetDuckDB(
        config={"filepath": str(warehouse.path), "default_target_schema": "tap_test"}
    )
    target.listen(io.StringIO(text))
    assert warehouse.rows("events", "id, name, score, seen, happened_at") == expected
