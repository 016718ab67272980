"""DuckDB's threads and memory cap: defaults that keep peak memory flat, settings honoured.

Peak memory itself is measured by `make bench` (scripts/bench/loader.py, 1x against
10x rows); these tests pin what it rests on: one thread (one 32MB JSON read buffer) and a cap
that grows with columns and threads, never with rows.
"""

from __future__ import annotations

import pytest
from loader_support import SCHEMA, record, schema

from outreach_target_duckdb import TargetDuckDB


def _settings(tmp_path, **config) -> tuple[int, int]:
    """DuckDB's (threads, memory_limit in MB) after loading a 10-column stream."""
    props = {"id": {"type": "integer"}, **{f"c{i}": {"type": "string"} for i in range(9)}}
    target = TargetDuckDB(
        config={"filepath": str(tmp_path / "w.duckdb"), "default_target_schema": SCHEMA, **config}
    )
    try:
        sink = target.get_sink("wide", schema=schema("wide", props, ["id"])["schema"])
        sink.setup()
        con = target.target_connector.raw()
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        limit = con.execute(
            "SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'"
        ).fetchone()[0]
    finally:
        target.close()
    return int(threads), limit


def _megabytes(shown: str) -> float:
    """DuckDB shows its limit like '61.9 MiB'; in MB (10^6 bytes), as the setting is given."""
    number, unit = shown.split()
    return float(number) * {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit] / 1e6


@pytest.mark.parametrize(
    ("config", "threads", "megabytes"),
    [
        ({}, 1, 32 + 16 + 17),  # 10 columns + 7 metadata columns
        ({"threads": 2}, 2, 64 + 16 + 17),
        ({"add_record_metadata": False, "activate_version": False}, 1, 32 + 16 + 10),
    ],
)
def test_default_cap_follows_threads_and_columns(tmp_path, config, threads, megabytes):
    got_threads, limit = _settings(tmp_path, **config)
    assert got_threads == threads
    assert abs(_megabytes(limit) - megabytes) < 0.2, limit


def test_memory_limit_setting_wins(tmp_path):
    _, limit = _settings(tmp_path, memory_limit="300MB", threads=2)
    assert abs(_megabytes(limit) - 300) < 0.2, limit


def test_one_thread_loads_a_batch_larger_than_the_cap_needs(warehouse):
    """20,000 rows of text in one batch, under the default cap: DuckDB spills, never fails."""
    messages = [schema("notes", {"id": {"type": "integer"}, "t": {"type": "string"}}, ["id"])]
    messages += [record("notes", {"id": i % 15_000, "t": f"{i:08d}" * 40}) for i in range(20_000)]
    warehouse.load(messages)
    warehouse.load(messages)  # the second run merges into a full table
    last = "CASE WHEN id < 5000 THEN id + 15000 ELSE id END"  # the last record of each key
    assert warehouse.query(
        f"SELECT count(*), count(*) FILTER (WHERE t = repeat(lpad(({last})::VARCHAR, 8, '0'), 40))"
        f" FROM {SCHEMA}.notes"
    ) == [(15_000, 15_000)]


def _list_rows(n: int) -> list[dict]:
    """Rows shaped like Sales.Rocks `list_data`: ids, two typed copies, and every user column
    kept whole in one JSON object."""
    properties = {
        "id": {"type": "string"},
        "list_id": {"type": "string"},
        "name": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
        "columns": {"type": "object"},
    }
    messages = [schema("list_data", properties, ["id"])]
    for i in range(n):
        columns = {f"field_{k}": f"value {i} of field {k} in list {i % 16}" for k in range(8)}
        columns |= {"name": f"Name {i}", "email": f"person{i}@example.com"}
        row = {"id": f"{i:024x}", "list_id": f"list{i % 16}", "name": f"Name {i}"}
        messages.append(
            record("list_data", {**row, "email": f"person{i}@example.com", "columns": columns})
        )
    return messages


def test_a_second_run_merges_full_batches_of_wide_rows_under_the_default_cap(warehouse):
    """Every run of a full-table stream merges into the rows the first one stored: a MERGE
    holds the batch and the rows' old and new versions, which do not spill. With the cap of
    an insert (32 + 16 + 1MB a column) the second run of 60,000 such rows failed with
    DuckDB's Out of Memory; the cap now grows with the staged batch when it merges."""
    messages = _list_rows(60_000)
    warehouse.load(messages)
    warehouse.load(messages)  # 20,000-row batches merged into the 60,000 stored
    assert warehouse.query(f"SELECT count(*) FROM {SCHEMA}.list_data") == [(60_000,)]
