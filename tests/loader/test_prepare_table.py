"""Preparing an existing table (outreach_target_duckdb/connector.py `prepare_table`): the
table's columns are read once, not twice per property, and a run that adds and widens
columns in the same preparation still sees each change."""

from __future__ import annotations

from loader_support import Warehouse, record, schema

from outreach_target_duckdb.connector import DuckDBConnector

WIDE = {f"c{i}": {"type": ["string", "null"]} for i in range(30)}


def _count_reads(monkeypatch) -> list[str]:
    """Each `information_schema.columns` read of the connector, by table."""
    reads: list[str] = []
    original = DuckDBConnector._columns

    def counted(self, full_table_name):
        read = self._columns_read
        if read is None or str(full_table_name) not in read:
            reads.append(str(full_table_name))
        return original(self, full_table_name)

    monkeypatch.setattr(DuckDBConnector, "_columns", counted)
    return reads


def test_an_existing_wide_table_is_read_once_per_preparation(tmp_path, monkeypatch):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    props = {"id": {"type": "integer"}, **WIDE}
    warehouse.load([schema("wide", props, ["id"]), record("wide", {"id": 1, "c0": "a"})])

    reads = _count_reads(monkeypatch)
    warehouse.load([schema("wide", props, ["id"]), record("wide", {"id": 2, "c1": "b"})])
    # Before: two reads per property (31 properties + the metadata columns), 60+ in all.
    assert len(reads) <= 3, reads
    assert warehouse.rows("wide", "id, c0, c1") == [(1, "a", None), (2, None, "b")]


def test_added_and_widened_columns_in_one_preparation(tmp_path, monkeypatch):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    first = {"id": {"type": "integer"}, "n": {"type": ["integer", "null"]}}
    warehouse.load([schema("grow", first, ["id"]), record("grow", {"id": 1, "n": 2})])

    grown = {
        "id": {"type": "integer"},
        "n": {"type": ["number", "null"]},  # widened: BIGINT -> DOUBLE
        "new": {"type": ["string", "null"]},  # added
        "later": {"type": ["boolean", "null"]},  # added after another addition
    }
    reads = _count_reads(monkeypatch)
    warehouse.load(
        [
            schema("grow", grown, ["id"]),
            record("grow", {"id": 2, "n": 2.5, "new": "x", "later": True}),
        ]
    )
    assert len(reads) >= 2  # each DDL made the next property read the table again
    types = warehouse.types("grow")
    assert (types["n"], types["new"], types["later"]) == ("DOUBLE", "VARCHAR", "BOOLEAN")
    assert warehouse.rows("grow", "id, n, new, later") == [
        (1, 2.0, None, None),
        (2, 2.5, "x", True),
    ]
