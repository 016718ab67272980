"""Column types, column evolution when a stream's schema grows, and bad input failing clearly
with nothing already loaded lost."""

from __future__ import annotations

import datetime as dt

import pytest
from loader_support import record, schema

from outreach_target_duckdb.errors import LoaderError

TYPED = {
    "id": {"type": "integer"},
    "big": {"type": ["integer", "null"]},
    "ratio": {"type": ["number", "null"]},
    "flag": {"type": ["boolean", "null"]},
    "at": {"type": ["string", "null"], "format": "date-time"},
    "day": {"type": ["string", "null"], "format": "date"},
    "meta": {"type": ["object", "null"], "properties": {}},
    "tags": {"type": ["array", "null"], "items": {"type": "string"}},
    "note": {"type": ["string", "null"]},
    "mixed": {"type": ["string", "integer", "null"]},
}


def test_types_are_sensible(warehouse):
    warehouse.load([schema("typed", TYPED, ["id"]), record("typed", {"id": 1})])
    types = warehouse.types("typed")
    assert {k: types[k] for k in TYPED} == {
        "id": "BIGINT",
        "big": "BIGINT",
        "ratio": "DOUBLE",
        "flag": "BOOLEAN",
        "at": "TIMESTAMP",
        "day": "DATE",
        "meta": "JSON",
        "tags": "JSON",
        "note": "VARCHAR",
        "mixed": "VARCHAR",
    }
    assert types["_sdc_extracted_at"] == "TIMESTAMP"
    assert types["_sdc_table_version"] == "BIGINT"


def test_values_round_trip(warehouse):
    data = {
        "id": 1,
        "big": 9_007_199_254_740_993,
        "ratio": 0.1,
        "flag": False,
        "at": "2026-08-03T02:02:35.5191000+02:00",
        "day": "2026-08-03",
        "meta": {"a": [1, {"b": None}], "ü": "✓"},
        "tags": ["x", "y"],
        "note": "n",
        "mixed": 42,
    }
    warehouse.load([schema("typed", TYPED, ["id"]), record("typed", data)])
    row = warehouse.query(
        'SELECT big, ratio, flag, "at", day, meta::VARCHAR, tags::VARCHAR, note, mixed'
        " FROM tap_test.typed"
    )[0]
    assert row[:5] == (
        9_007_199_254_740_993,
        0.1,
        False,
        dt.datetime(2026, 8, 3, 0, 2, 35, 519100),  # the offset applied: UTC
        dt.date(2026, 8, 3),
    )
    import json

    assert json.loads(row[5]) == data["meta"]
    assert json.loads(row[6]) == ["x", "y"]
    assert row[7:] == ("n", "42")


def test_schema_growth_adds_columns_and_old_rows_stay_null(warehouse):
    v1 = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}
    warehouse.load([schema("leads", v1, ["id"]), record("leads", {"id": 1, "name": "a"})])
    v2 = {
        **v1,
        "score": {"type": ["number", "null"]},
        "seen_at": {"type": ["string", "null"], "format": "date-time"},
    }
    warehouse.load(
        [
            schema("leads", v2, ["id"]),
            record(
                "leads", {"id": 2, "name": "b", "score": 1.5, "seen_at": "2026-08-01T00:00:00Z"}
            ),
        ]
    )
    assert warehouse.types("leads")["score"] == "DOUBLE"
    assert warehouse.types("leads")["seen_at"] == "TIMESTAMP"
    assert warehouse.rows("leads", "id, name, score, seen_at") == [
        (1, "a", None, None),
        (2, "b", 1.5, dt.datetime(2026, 8, 1)),
    ]


def test_schema_change_mid_run_keeps_order(warehouse):
    """A new SCHEMA mid-stream: the records before it land first, then the newer ones."""
    v1 = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}
    v2 = {**v1, "extra": {"type": ["string", "null"]}}
    warehouse.load(
        [
            schema("leads", v1, ["id"]),
            record("leads", {"id": 1, "name": "old"}),
            schema("leads", v2, ["id"]),
            record("leads", {"id": 1, "name": "new", "extra": "x"}),
        ]
    )
    assert warehouse.rows("leads", "id, name, extra") == [(1, "new", "x")]


def test_integer_column_widens_to_double_never_truncates(warehouse):
    warehouse.load(
        [
            schema("m", {"id": {"type": "integer"}, "v": {"type": "integer"}}, ["id"]),
            record("m", {"id": 1, "v": 3}),
        ]
    )
    warehouse.load(
        [
            schema("m", {"id": {"type": "integer"}, "v": {"type": "number"}}, ["id"]),
            record("m", {"id": 2, "v": 2.75}),
        ]
    )
    assert warehouse.types("m")["v"] == "DOUBLE"
    assert warehouse.rows("m", "id, v") == [(1, 3.0), (2, 2.75)]


@pytest.mark.parametrize(
    ("value", "column"),
    [("not a number", "big"), ("yesterday", "at"), (1.5, "big"), ("maybe", "flag")],
)
def test_a_value_that_does_not_fit_fails_and_loses_nothing(warehouse, value, column):
    warehouse.load([schema("typed", TYPED, ["id"]), record("typed", {"id": 1, "note": "kept"})])
    bad = [
        schema("typed", TYPED, ["id"]),
        record("typed", {"id": 1, "note": "changed"}),
        record("typed", {"id": 2, column: value}),
    ]
    with pytest.raises(LoaderError, match="stream 'typed'") as caught:
        warehouse.load(bad)
    assert "was not loaded" in str(caught.value)
    assert warehouse.rows("typed", "id, note") == [(1, "kept")]


def test_a_record_without_its_key_fails(warehouse):
    props = {"id": {"type": ["integer", "null"]}, "name": {"type": "string"}}
    with pytest.raises(LoaderError, match="no value for a key property"):
        warehouse.load([schema("k", props, ["id"]), record("k", {"name": "no id"})])


def test_key_property_missing_from_the_schema_fails(warehouse):
    with pytest.raises(LoaderError, match="does not declare"):
        warehouse.load([schema("k", {"name": {"type": "string"}}, ["id"])])
