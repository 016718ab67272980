"""Real `meltano run` pipelines from the sandbox into DuckDB and PostgreSQL.

For every default stream of every tap and both warehouses: the table holds exactly the
records the sandbox holds (count and primary-key set), one row per key, timestamps land in
timestamp columns. Then the sandbox clock advances and a second run (Meltano's stored
state) brings the tables to the new truth, asking only for new records; a third run with
no change adds nothing. The first run discovers each tap's catalog as production does; the
later runs reuse the catalog Meltano made of it (tests/saved_catalogs.py).
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import psycopg
import pytest
from pipeline import DEFAULT_STREAMS, TAPS
from saved_catalogs import keep_catalogs

#: `long`: how long the module runs on `make test`'s busy workers (longest start first).
pytestmark = [pytest.mark.e2e, pytest.mark.long(seconds=190)]

WAREHOUSES = ("duckdb", "postgres")
#: Streams read incrementally from a bookmark (a run without changes must not re-read them).
EVENT_STREAMS = {("salesblink", s) for s in ("sent", "opens", "clicks", "replies")} | {
    ("salesflow", "incoming_messages")
}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _norm(value: object) -> str:
    """One text form for a key component, whichever side (warehouse or sandbox) it came from."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.timezone.utc) if value.tzinfo else value
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if _ISO.match(text):
        text = text.replace(" ", "T")
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return _norm(moment if len(text) > 10 else moment.date())
    return text


def _key(parts) -> tuple[str, ...]:
    parts = parts if isinstance(parts, (list, tuple)) else [parts]
    return tuple(sorted(_norm(p) for p in parts))


def _connect(warehouse: str, project):
    """A connection to either warehouse, and its query parameter marker."""
    if warehouse == "duckdb":
        return duckdb.connect(str(project.duckdb_path), read_only=True), "?"
    return psycopg.connect(project.postgres_url), "%s"


def _rows(warehouse: str, project, vendor: str, stream: str, keys: list[str]):
    table = f'"tap_{vendor}"."{stream}"'
    cols = ", ".join(f'"{k}"' for k in keys)
    con, mark = _connect(warehouse, project)
    with con:
        rows = con.execute(f"select {cols} from {table}").fetchall()
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                f"where table_schema = {mark} and table_name = {mark}",
                [f"tap_{vendor}", stream],
            ).fetchall()
        )
    return rows, {k: v.lower() for k, v in types.items()}


def _date_boundary_rereads(project) -> int:
    """Salesflow messages a run re-reads by design: `from` is documented as a date, so the
    tap asks from the day before its bookmark's UTC day (and drops what it already has)."""
    with duckdb.connect(str(project.duckdb_path), read_only=True) as con:
        return con.execute(
            'select count(*) from "tap_salesflow"."incoming_messages" m join ('
            '  select account_id, max("ReceivedAt") as newest'
            '  from "tap_salesflow"."incoming_messages" group by account_id'
            ") b using (account_id)"
            " where m.\"ReceivedAt\" >= date_trunc('day', b.newest) - interval 1 day"
        ).fetchone()[0]


def _allowed_rereads(vendor: str, stream: str, boundary: int) -> int:
    """Records a run may serve again at its bookmark (events sharing its millisecond)."""
    return 2 + (boundary if (vendor, stream) == ("salesflow", "incoming_messages") else 0)


def _run_all(project) -> None:
    tasks: list[str] = []
    for tap in TAPS:
        tasks += [tap, "target-duckdb", tap, "target-postgres"]
    project.run("run", *tasks)


def _check_tables(project, client, catalogs) -> dict[tuple[str, str, str], int]:
    counts = {}
    problems = []
    for vendor, streams in DEFAULT_STREAMS.items():
        for stream in streams:
            keys = catalogs[(vendor, stream)]["keys"]
            timestamps = catalogs[(vendor, stream)]["timestamps"]
            expected = {_key(k) for k in client.expected(vendor, stream)["keys"]}
            for warehouse in WAREHOUSES:
                rows, types = _rows(warehouse, project, vendor, stream, keys)
                landed = [_key(r) for r in rows]
                counts[(warehouse, vendor, stream)] = len(landed)
                if len(landed) != len(set(landed)):
                    problems.append(f"{warehouse} {vendor}.{stream}: duplicate primary keys")
                if set(landed) != expected:
                    missing, extra = expected - set(landed), set(landed) - expected
                    problems.append(
                        f"{warehouse} {vendor}.{stream}: {len(landed)} rows, expected "
                        f"{len(expected)}; missing {sorted(missing)[:3]}, extra {sorted(extra)[:3]}"
                    )
                for column in timestamps:
                    if "timestamp" not in types.get(column.lower(), types.get(column, "")):
                        problems.append(
                            f"{warehouse} {vendor}.{stream}.{column}: "
                            f"{types.get(column)} is not a timestamp column"
                        )
    assert not problems, "\n".join(problems)
    return counts


@pytest.fixture(scope="module")
def first_run(project, sandbox, catalogs):
    sandbox.client.clear_served()
    _run_all(project)
    keep_catalogs(project.env, TAPS)  # the later runs select and read the same
    return _check_tables(project, sandbox.client, catalogs)


def test_full_sync_lands_every_record_in_both_warehouses(first_run):
    assert all(count > 0 for count in first_run.values())


def test_custom_fields_and_list_columns_land(project, first_run):
    with duckdb.connect(str(project.duckdb_path), read_only=True) as con:
        columns = {
            (s, t, c)
            for s, t, c in con.execute(
                "select table_schema, table_name, column_name from information_schema.columns"
            ).fetchall()
        }
    leads = {c for s, t, c in columns if (s, t) == ("tap_salesblink", "list_leads")}
    rows = {c for s, t, c in columns if (s, t) == ("tap_salesrocks", "list_data")}
    members = {c for s, t, c in columns if (s, t) == ("tap_salesflow", "members")}
    assert any("custom" in c.lower() for c in leads), leads
    assert len(rows) > 3, rows
    assert any("custom1" in c.lower() for c in members), members


@pytest.fixture(scope="module")
def incremental_run(project, sandbox, catalogs, first_run):
    """The clock advances a day and both pipelines run again: (new keys, served, counts,
    the Salesflow messages a run re-reads at its date boundary)."""
    client = sandbox.client
    before = {(v, s): {_key(k) for k in client.expected(v, s)["keys"]} for v, s in EVENT_STREAMS}
    boundary = _date_boundary_rereads(project)
    client.advance(seconds=86_400)
    client.clear_served()
    _run_all(project)
    counts = _check_tables(project, client, catalogs)
    new = {
        (v, s): {_key(k) for k in client.expected(v, s)["keys"]} - before[(v, s)]
        for v, s in EVENT_STREAMS
    }
    return new, client.served(), counts, boundary


def test_incremental_run_after_clock_advance(first_run, incremental_run):
    new_keys, served, counts, boundary = incremental_run
    for vendor, stream in EVENT_STREAMS:
        new = new_keys[(vendor, stream)]
        assert new, f"the clock advance should add {vendor}.{stream} records"
        # Each of the two pipelines asks only for what is new, plus the bookmark's boundary.
        allowed = len(new) + _allowed_rereads(vendor, stream, boundary)
        assert len(new) <= served[vendor][stream] <= allowed, (vendor, stream)
    assert all(counts[k] >= first_run[k] for k in first_run)


def test_run_without_changes_adds_nothing(project, sandbox, catalogs, incremental_run):
    # After the first and the incremental run (fixtures), however this test is selected;
    # the tables as the incremental run left them (checked and counted there).
    client = sandbox.client
    before = incremental_run[2]
    boundary = _date_boundary_rereads(project)
    client.clear_served()
    _run_all(project)
    after = _check_tables(project, client, catalogs)
    assert after == before
    served = client.served()
    for vendor, stream in EVENT_STREAMS:
        allowed = _allowed_rereads(vendor, stream, boundary)
        assert served.get(vendor, {}).get(stream, 0) <= allowed, (vendor, stream)
