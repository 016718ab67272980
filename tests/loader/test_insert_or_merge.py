"""A batch whose keys are all new is INSERTed, one that meets a stored key is MERGEd: the
check pass tells them apart by comparing each key as the load stores it (integers read
inexactly or exactly, date-times with any UTC offset, decimals), and both give one row per
key with the last record winning."""

from __future__ import annotations

import pytest
from loader_support import record, schema

from outreach_target_duckdb.sink import DuckDBSink


@pytest.fixture
def decisions(monkeypatch) -> list[tuple[bool, bool]]:
    """(needs dedupe, needs MERGE) of every non-empty-table batch the loader checks."""
    seen: list[tuple[bool, bool]] = []
    check = DuckDBSink._check

    def spy(self, con, path, stored_in):
        plan = check(self, con, path, stored_in)
        if stored_in is not None:
            seen.append((plan.dedupe, plan.merge))
        return plan

    monkeypatch.setattr(DuckDBSink, "_check", spy)
    return seen


PROPS = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}


def test_new_keys_insert_a_stored_key_merges(warehouse, decisions):
    messages = [schema("lists", PROPS, ["id"])]
    messages += [record("lists", {"id": i, "name": f"a{i}"}) for i in (1, 2)]  # empty table
    messages += [record("lists", {"id": i, "name": f"b{i}"}) for i in (3, 4)]  # all new
    messages += [record("lists", {"id": i, "name": f"c{i}"}) for i in (5, 2)]  # 2 is stored
    messages += [record("lists", {"id": i, "name": f"d{i}"}) for i in (6, 6)]  # new, twice
    warehouse.load(messages, batch_size_rows=2)
    assert decisions == [(False, False), (False, True), (True, False)]
    assert warehouse.rows("lists", "id, name") == [
        (1, "a1"),
        (2, "c2"),
        (3, "b3"),
        (4, "b4"),
        (5, "c5"),
        (6, "d6"),
    ]


@pytest.mark.parametrize(
    ("prop", "first", "again", "other"),
    [
        ({"type": "integer"}, 7, 7, 8),
        # 2^60 + 1: a double cannot hold it, so the exact (DECIMAL) pass decides
        ({"type": "integer"}, 2**60 + 1, 2**60 + 1, 2**60),
        (
            {"type": "string", "format": "date-time"},
            "2026-03-01T10:00:00+02:00",
            "2026-03-01T08:00:00Z",  # the same instant, stored as the same UTC time
            "2026-03-01T10:00:00Z",
        ),
        ({"type": "string", "format": "date"}, "2026-03-01", "2026-03-01", "2026-03-02"),
        (
            {"type": "string", "format": "x-singer.decimal", "precision": 12, "scale": 2},
            "12.50",
            "12.5",
            "12.51",
        ),
        ({"type": "string"}, "k", "k", "K"),
    ],
    ids=["integer", "integer-2^60", "date-time", "date", "decimal", "string"],
)
def test_a_stored_key_is_recognised_in_every_key_type(
    warehouse, decisions, prop, first, again, other
):
    props = {"account": {"type": "string"}, "key": prop, "n": {"type": "integer"}}
    warehouse.load(
        [
            schema("items", props, ["account", "key"]),
            record("items", {"account": "a", "key": first, "n": 1}),
        ]
    )
    warehouse.load(
        [
            schema("items", props, ["account", "key"]),
            record("items", {"account": "b", "key": first, "n": 2}),  # other account: new
            record("items", {"account": "a", "key": other, "n": 3}),  # new
        ]
    )
    warehouse.load(
        [
            schema("items", props, ["account", "key"]),
            record("items", {"account": "a", "key": again, "n": 4}),
        ]
    )
    assert decisions == [(False, False), (False, True)]
    rows = warehouse.rows("items", "account, n")
    assert rows == [("a", 3), ("a", 4), ("b", 2)]
