"""`make demo`'s per-table summary: live and retired rows, whatever the loader wrote."""

from __future__ import annotations

import datetime as dt

import duckdb
from pipeline import compare_warehouse, print_summary


class FakeSandbox:
    """The two control calls the summary makes, for two tables."""

    def __init__(self, expected: dict[tuple[str, str], int]) -> None:
        self._expected = expected

    def served(self) -> dict:
        served: dict[str, dict[str, int]] = {}
        for (vendor, stream), count in self._expected.items():
            served.setdefault(vendor, {})[stream] = count
        return served

    def expected(self, vendor: str, stream: str) -> dict:
        return {"count": self._expected.get((vendor, stream), 0)}


def _checks(path, client):
    return {
        (c.vendor, c.stream): c
        for c in compare_warehouse(
            path, client, {("salesblink", "lists"): ["id"], ("salesrocks", "lists"): ["uuid"]}
        )
    }


def test_retired_rows_are_counted_apart_from_live_ones(tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    now = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema tap_salesblink")
        con.execute('create table tap_salesblink.lists (id varchar, "_sdc_deleted_at" timestamptz)')
        con.execute(
            "insert into tap_salesblink.lists values ('a', null), ('b', null), ('c', ?)", [now]
        )
    checks = _checks(path, FakeSandbox({("salesblink", "lists"): 2}))
    lists = checks[("salesblink", "lists")]
    assert (lists.landed, lists.retired, lists.distinct) == (2, 1, 2)
    assert lists.ok
    print_summary(list(checks.values()), "t")
    out = capsys.readouterr().out
    assert "live" in out and "retired" in out
    assert "1 retired (deleted at the source)" in out


def test_a_table_without_deleted_at_has_every_row_live(tmp_path):
    """The loader ignores deletes (target-duckdb 0.8.0): no `_sdc_deleted_at`, 0 retired."""
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema tap_salesrocks")
        con.execute("create table tap_salesrocks.lists (uuid varchar)")
        con.execute("insert into tap_salesrocks.lists values ('x'), ('y'), ('z')")
    checks = _checks(path, FakeSandbox({("salesrocks", "lists"): 3}))
    lists = checks[("salesrocks", "lists")]
    assert (lists.landed, lists.retired) == (3, 0)
    assert lists.ok
    assert not checks[("salesblink", "lists")].landed  # no table at all: nothing, no crash
