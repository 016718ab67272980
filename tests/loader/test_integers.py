"""Integer columns: a fraction fails the batch with the column named, never rounds, at any
size. The check reads integers as DOUBLE first and re-reads as DECIMAL only when a double
cannot tell (2^53 and up), so the large cases below exercise both passes."""

from __future__ import annotations

import pytest
from loader_support import SCHEMA, fraction_batch, record, schema

from outreach_target_duckdb.errors import LoaderError

PROPS = {"id": {"type": "integer"}, "n": {"type": ["integer", "null"]}}
BIG = 2**53 + 1  # 9007199254740993: no double holds it


@pytest.mark.parametrize("value", [0, -7, 2**53 - 1, BIG, -BIG, 2**63 - 1, -(2**63)])
def test_whole_numbers_land_exactly(warehouse, value):
    warehouse.load([schema("ints", PROPS, ["id"]), record("ints", {"id": 1, "n": value})])
    assert warehouse.rows("ints", "id, n") == [(1, value)]


@pytest.mark.parametrize("text", ["1.5", "-0.25", "9007199254740993.5", "123456789012345678.5"])
def test_a_fraction_fails_with_the_column_named_and_nothing_changes(warehouse, tmp_path, text):
    warehouse.load([schema("ints", PROPS, ["id"]), record("ints", {"id": 1, "n": 1})])
    with pytest.raises(LoaderError, match=r"fraction in integer properties 'n' \(1 record"):
        warehouse.load_lines(fraction_batch("ints", text))
    assert warehouse.rows("ints", "id, n") == [(1, 1)]
    assert warehouse.query(f"SELECT count(*) FROM {SCHEMA}.ints") == [(1,)]


def test_large_whole_numbers_and_keys_merge_on_the_exact_value(warehouse):
    """Keys a double cannot tell apart are still two rows."""
    messages = [schema("ints", PROPS, ["id"])]
    messages += [record("ints", {"id": BIG + i, "n": i}) for i in (-1, 0, 1)]
    messages += [record("ints", {"id": BIG, "n": 9})]
    warehouse.load(messages)
    assert warehouse.rows("ints", "id, n") == [(BIG - 1, -1), (BIG, 9), (BIG + 1, 1)]
