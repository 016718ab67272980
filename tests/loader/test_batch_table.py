"""Each batch file is parsed once: one `read_json` into the batch table that the checks and
the load both read (outreach_target_duckdb/batch.py). The file is read again only for
integers a double cannot hold (2^53 and up), the batch table never outlives its batch, and
the stored-key test that picks MERGE over INSERT stays right on a table of several row
groups."""

from __future__ import annotations

import duckdb
import pytest
from loader_support import SCHEMA, fraction_batch, record, schema

from outreach_target_duckdb.errors import LoaderError
from outreach_target_duckdb.sink import DuckDBSink

PROPS = {"id": {"type": "integer"}, "n": {"type": ["integer", "null"]}}


class _Recording:
    """The load's DuckDB connection, noting every statement it runs."""

    def __init__(self, con: duckdb.DuckDBPyConnection, statements: list[str]) -> None:
        self._con, self._statements = con, statements

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        self._statements.append(sql)
        return self._con.execute(sql, *args)


def _temporary_tables(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0]


@pytest.fixture
def loads(monkeypatch) -> list[dict]:
    """Per batch load: its statements and the temporary tables left once it ended."""
    seen: list[dict] = []
    load = DuckDBSink._load

    def spy(self, con, path, staging):
        entry: dict = {"statements": []}
        seen.append(entry)
        try:
            return load(self, _Recording(con, entry["statements"]), path, staging)
        finally:
            entry["temporary_tables_after"] = _temporary_tables(con)

    monkeypatch.setattr(DuckDBSink, "_load", spy)
    return seen


def _reads(entry: dict) -> int:
    return sum("read_json(" in sql for sql in entry["statements"])


def test_each_batch_is_parsed_once(warehouse, loads):
    messages = [schema("events", PROPS, ["id"])]
    messages += [record("events", {"id": i, "n": i}) for i in range(4)]  # empty table, new
    messages += [record("events", {"id": i, "n": 10 + i}) for i in (3, 4)]  # 3 is stored
    messages += [record("events", {"id": 5, "n": 1}), record("events", {"id": 5, "n": 2})]
    warehouse.load(messages, batch_size_rows=2)
    assert [_reads(entry) for entry in loads] == [1, 1, 1, 1]
    assert [entry["temporary_tables_after"] for entry in loads] == [0, 0, 0, 0]
    assert warehouse.rows("events", "id, n") == [(0, 0), (1, 1), (2, 2), (3, 13), (4, 14), (5, 2)]


def test_integers_a_double_cannot_hold_are_read_again_exactly(warehouse, loads):
    """2^60 + 1 as a double is 2^60: that batch's rows come from the file as BIGINT (and its
    check reads them as DECIMAL); the next batch, small numbers only, is parsed once."""
    big = 2**60 + 1
    messages = [schema("events", PROPS, ["id"])]
    messages += [record("events", {"id": 1, "n": big}), record("events", {"id": big, "n": 2})]
    messages += [record("events", {"id": 2, "n": 3}), record("events", {"id": 3, "n": 4})]
    warehouse.load(messages, batch_size_rows=2)
    assert [_reads(entry) for entry in loads] == [3, 1]
    assert warehouse.rows("events", "id, n") == [(1, big), (2, 3), (3, 4), (big, 2)]


@pytest.mark.parametrize("text", ["2.5", "9007199254740993.5"])
def test_a_failed_batch_leaves_no_batch_table_and_no_rows(warehouse, loads, text):
    warehouse.load([schema("events", PROPS, ["id"]), record("events", {"id": 1, "n": 1})])
    with pytest.raises(LoaderError, match=r"fraction in integer properties 'n' \(1 record"):
        warehouse.load_lines(fraction_batch("events", text))
    assert loads[-1]["temporary_tables_after"] == 0
    assert warehouse.rows("events", "id, n") == [(1, 1)]


def test_a_keyless_record_fails_when_the_table_has_rows(warehouse):
    """The stored-key test compares with `=`, which a NULL key never matches: the keyless
    check must still refuse the batch, not let it through as all new."""
    props = {"id": {"type": ["integer", "null"]}, "name": {"type": "string"}}
    warehouse.load([schema("k", props, ["id"]), record("k", {"id": 1, "name": "a"})])
    with pytest.raises(LoaderError, match="no value for a key property"):
        warehouse.load([schema("k", props, ["id"]), record("k", {"id": None, "name": "b"})])
    assert warehouse.rows("k", "id, name") == [(1, "a")]


def test_stored_keys_are_found_across_row_groups(warehouse, monkeypatch):
    """130,000 stored rows (two DuckDB row groups; even ids only): a batch meeting a key in
    the second row group merges; new keys inside and outside the stored range insert."""
    decisions: list[bool] = []
    check = DuckDBSink._check

    def spy(self, con, path, stored_in):
        plan = check(self, con, path, stored_in)
        decisions.append(plan.merge)
        return plan

    warehouse.load([schema("events", PROPS, ["id"]), record("events", {"id": 0, "n": 0})])
    with duckdb.connect(str(warehouse.path)) as con:
        con.execute(
            f"INSERT INTO {SCHEMA}.events (id, n) SELECT 2 * i, 0 FROM range(1, 130000) AS r(i)"
        )
    monkeypatch.setattr(DuckDBSink, "_check", spy)
    messages = [schema("events", PROPS, ["id"])]
    messages.append(record("events", {"id": 2 * 129_000, "n": 1}))  # stored, 2nd row group
    messages.append(record("events", {"id": 2 * 100_000 + 1, "n": 2}))  # new, inside range
    messages.append(record("events", {"id": 10**9, "n": 3}))  # new, beyond every key
    warehouse.load(messages, batch_size_rows=1)
    assert decisions == [True, False, False]
    assert warehouse.query(f"SELECT count(*), sum(n) FROM {SCHEMA}.events") == [(130_002, 6)]
    assert warehouse.rows("events", "id, n", "n > 0") == [
        (2 * 100_000 + 1, 2),
        (2 * 129_000, 1),
        (10**9, 3),
    ]


@pytest.mark.parametrize("value", [2**63, 2**64, -(2**63) - 1])
def test_an_integer_beyond_bigint_fails_and_loses_nothing(warehouse, value):
    """Past the batch table's doubles (2^53 and up) the file is read again as BIGINT, which
    refuses what does not fit: the value-does-not-fit paragraph, the table unchanged."""
    warehouse.load([schema("events", PROPS, ["id"]), record("events", {"id": 1, "n": 1})])
    bad = [schema("events", PROPS, ["id"]), record("events", {"id": 1, "n": 2})]
    bad.append(record("events", {"id": 2, "n": value}))
    with pytest.raises(LoaderError, match="A value does not fit the type") as caught:
        warehouse.load(bad)
    assert "stream 'events'" in str(caught.value)
    assert warehouse.rows("events", "id, n") == [(1, 1)]
