"""The dbt models on sandbox data in DuckDB and PostgreSQL, reconciled outside dbt too.

dbt's own tests (keys, accepted values, relationships, rates, reconciliations) ran in the
fixture's `meltano run ... dbt-*:build`; here every one of them must have passed in both
warehouses, the marts must agree between warehouses, and the mart totals must equal the
raw tables and the sandbox's ground truth.
"""

from __future__ import annotations

import decimal
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from pipeline import ROOT

#: `long`: how long these tests and test_report.py's (one `warehouses` set-up) run on
#: `make test`'s busy workers (longest start first).
pytestmark = [pytest.mark.e2e, pytest.mark.long(seconds=150)]

WAREHOUSES = ("duckdb", "postgres")
MARTS = ("outreach_activity", "campaign_performance", "contacts", "daily_activity")
DBT_DUCKDB = ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt"
EVENT_FEEDS = {"sent": "sent", "opens": "opened", "clicks": "clicked", "replies": "replied"}


def _query(warehouses, warehouse: str, sql: str) -> list[tuple]:
    con = warehouses.duckdb() if warehouse == "duckdb" else warehouses.postgres()
    with con:
        return con.execute(sql).fetchall()


def _norm(row: tuple) -> tuple:
    out = []
    for value in row:
        if isinstance(value, (float, decimal.Decimal)):
            value = round(float(value), 4)
        elif hasattr(value, "isoformat"):
            value = (
                value.replace(tzinfo=None).isoformat() if hasattr(value, "tzinfo") else str(value)
            )
        out.append(value)
    return tuple(out)


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_every_model_and_test_passed(warehouses, warehouse):
    results = warehouses.run_results(warehouse)
    by_kind: dict[str, list[str]] = {}
    for result in results:
        by_kind.setdefault(result["unique_id"].split(".")[0], []).append(result["status"])
    assert len(by_kind["model"]) == 18, by_kind
    assert set(by_kind["model"]) == {"success"}
    # Keys, accepted values, relationships, rates, reconciliations: all ran, none failed.
    assert len(by_kind["test"]) >= 60
    assert set(by_kind["test"]) == {"pass"}, [
        (r["unique_id"], r["status"], r.get("message")) for r in results if r["status"] != "pass"
    ]
    names = " ".join(r["unique_id"] for r in results)
    for expected in (
        "reconcile_activity_with_raw_tables",
        "reconcile_contacts_with_raw_tables",
        "relationships_outreach_activity_campaign_key",
        "between_campaign_performance_reply_rate",
        "accepted_values_outreach_activity_event_type",
        "unique_combination_contacts_tenant__contact_email",
    ):
        assert expected in names


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_taps_without_tenant_give_the_default_tenant(warehouses, warehouse):
    """The sandbox load ran without the `tenant` setting: no raw `tenant` column, and every
    staging model and mart carries the constant 'default' (transform/macros/tenant.sql)."""
    raw = _query(
        warehouses,
        warehouse,
        "select count(*) from information_schema.columns where column_name = 'tenant' "
        "and table_schema in ('tap_salesblink', 'tap_salesflow', 'tap_salesrocks')",
    )[0][0]
    assert raw == 0
    models = _query(
        warehouses,
        warehouse,
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('outreach_staging', 'analytics')",
    )
    assert len(models) == 18
    for schema, table in models:
        tenants = _query(warehouses, warehouse, f"select distinct tenant from {schema}.{table}")
        assert tenants == [("default",)], (schema, table, tenants)


@pytest.mark.parametrize("mart", MARTS)
def test_marts_are_the_same_in_both_warehouses(warehouses, mart):
    columns = [
        name
        for (name,) in _query(
            warehouses,
            "postgres",
            "select column_name from information_schema.columns where table_schema = 'analytics' "
            f"and table_name = '{mart}' order by ordinal_position",
        )
    ]
    assert columns, f"analytics.{mart} is missing in PostgreSQL"
    select = f"select {', '.join(columns)} from analytics.{mart}"
    duck = sorted((_norm(r) for r in _query(warehouses, "duckdb", select)), key=repr)
    post = sorted((_norm(r) for r in _query(warehouses, "postgres", select)), key=repr)
    assert len(duck) == len(post) > 0
    assert duck == post


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_marts_equal_the_vendors_ground_truth(warehouses, warehouse):
    """Mart totals against what the sandbox holds: nothing lost between vendor and answer."""
    client = warehouses.sandbox.client
    activity = dict(
        _query(
            warehouses,
            warehouse,
            "select source_stream, count(*) from analytics.outreach_activity group by 1",
        )
    )
    for feed in EVENT_FEEDS:
        assert activity[feed] == client.expected("salesblink", feed)["count"], feed
    assert (
        activity["incoming_messages"] == client.expected("salesflow", "incoming_messages")["count"]
    )
    performance = {
        (tool, measure): total
        for tool, *totals in _query(
            warehouses,
            warehouse,
            "select tool, sum(sent), sum(opened), sum(clicked), sum(replied), count(*) "
            "from analytics.campaign_performance group by tool",
        )
        for measure, total in zip(
            ("sent", "opened", "clicked", "replied", "campaigns"), totals, strict=True
        )
    }
    for feed, measure in EVENT_FEEDS.items():
        assert performance[("salesblink", measure)] == client.expected("salesblink", feed)["count"]
    assert (
        performance[("salesflow", "campaigns")]
        == client.expected("salesflow", "campaigns")["count"]
    )
    assert (
        performance[("salesrocks", "campaigns")]
        == client.expected("salesrocks", "campaign_statistics")["count"]
    )
    days = _query(warehouses, warehouse, "select sum(events) from analytics.daily_activity")[0][0]
    assert days == sum(activity.values())


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_campaign_totals_equal_raw_statistics(warehouses, warehouse):
    raw = _query(
        warehouses,
        warehouse,
        'select sum("InvitationsSent" + "MessagesSent"), sum("Replies"), sum("TotalMembers") '
        "from tap_salesflow.campaign_statistics",
    )[0]
    mart = _query(
        warehouses,
        warehouse,
        "select sum(sent), sum(replied), sum(contacts) from analytics.campaign_performance "
        "where tool = 'salesflow'",
    )[0]
    assert tuple(int(v) for v in mart) == tuple(int(v) for v in raw)
    raw_rocks = _query(
        warehouses,
        warehouse,
        "select sum(sent), sum(opened), sum(clicked), sum(replied) from tap_salesrocks.campaign_statistics",
    )[0]
    mart_rocks = _query(
        warehouses,
        warehouse,
        "select sum(sent), sum(opened), sum(clicked), sum(replied) from analytics.campaign_performance "
        "where tool = 'salesrocks'",
    )[0]
    assert tuple(int(v) for v in mart_rocks) == tuple(int(v) for v in raw_rocks)
    bad_rates = _query(
        warehouses,
        warehouse,
        "select count(*) from analytics.campaign_performance where reply_rate is not null "
        "and abs(reply_rate - 1.0 * replied / sent) > 0.0001",
    )[0][0]
    assert bad_rates == 0


@pytest.mark.parametrize("warehouse", WAREHOUSES)
def test_contacts_are_clean_distinct_emails_of_every_tool(warehouses, warehouse):
    raw = {
        email
        for (email,) in _query(
            warehouses,
            warehouse,
            "select nullif(lower(trim(email)), '') from tap_salesblink.sent union "
            "select nullif(lower(trim(email)), '') from tap_salesblink.opens union "
            "select nullif(lower(trim(email)), '') from tap_salesblink.clicks union "
            "select nullif(lower(trim(email)), '') from tap_salesblink.replies union "
            "select nullif(lower(trim(email)), '') from tap_salesblink.list_leads union "
            "select nullif(lower(trim(\"Email\")), '') from tap_salesflow.members union "
            "select nullif(lower(trim(email)), '') from tap_salesrocks.list_data",
        )
        if email
    }
    mart = dict(
        _query(warehouses, warehouse, "select contact_email, tools from analytics.contacts")
    )
    assert set(mart) == raw
    assert all(email == email.strip().lower() for email in mart)
    assert {tool for tools in mart.values() for tool in tools.split(",")} == {
        "salesblink",
        "salesflow",
        "salesrocks",
    }


#: The warehouse copy each dbt call below works on, named relative to the call's directory.
COPY = "warehouse.duckdb"
#: dbt's parse of the project, which it reuses when the profile and files are unchanged.
PARSE = "partial_parse.msgpack"


@pytest.fixture(scope="module")
def dbt_parse(tmp_path_factory) -> Path:
    """Where the dbt calls below hand dbt's parse of the project to the next call: parsing it
    again costs each call about 6 of its 12 CPU-s (whichever test runs first parses)."""
    return tmp_path_factory.mktemp("dbt-parse")


def _copy(warehouses, workdir: Path) -> Path:
    """A copy of the loaded DuckDB warehouse for one test to change and run dbt on."""
    copy = workdir / COPY
    shutil.copy(warehouses.project.duckdb_path, copy)
    return copy


def _dbt_duckdb(warehouses, parse: Path, workdir, *args: str) -> subprocess.CompletedProcess[str]:
    """dbt from the dbt-duckdb utility's venv on `workdir`'s copy (Meltano ran it on the
    original in the fixture), writing to `workdir/target`. The copy is named relative to
    `workdir`, so every call has the same profile and dbt takes up the parse the call
    before left in `parse` (dbt checks the profile, every project file and its own version
    first, and parses again when anything differs)."""
    target = workdir / "target"
    target.mkdir(parents=True, exist_ok=True)
    if (parse / PARSE).exists():
        shutil.copy(parse / PARSE, target / PARSE)
    env = {
        **warehouses.project.env,
        "DBT_PROJECT_DIR": str(ROOT / "transform"),
        "DBT_PROFILES_DIR": str(ROOT / "transform" / "profiles" / "duckdb"),
        "DBT_DUCKDB_PATH": COPY,
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
    }
    result = subprocess.run(
        [str(DBT_DUCKDB), *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=600
    )
    if (target / PARSE).exists():
        shutil.copy(target / PARSE, parse / PARSE)
    return result


def test_retired_rows_are_excluded_when_the_loader_flags_them(warehouses, dbt_parse, tmp_path):
    """A loader with singer-sdk metadata keeps deleted rows with `_sdc_deleted_at` set: the
    same models then leave those rows out (and run unchanged where the column is absent)."""
    copy = _copy(warehouses, tmp_path)
    # The project's loader may already write the column (full-table streams): then only
    # the rows it left live count, and 25 of those are retired here.
    live_sent = "select count(*) from tap_salesblink.sent where _sdc_deleted_at is null"
    with duckdb.connect(str(copy)) as con:
        for table in ("tap_salesblink.sent", "tap_salesflow.members"):
            con.execute(f"alter table {table} add column if not exists _sdc_deleted_at timestamp")
        sent = con.execute(live_sent).fetchone()[0]
        con.execute(
            "update tap_salesblink.sent set _sdc_deleted_at = timestamp '2026-11-01 00:00:00' "
            "where id in (select id from tap_salesblink.sent where _sdc_deleted_at is null "
            "order by id limit 25)"
        )
    result = _dbt_duckdb(warehouses, dbt_parse, tmp_path, "build")
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        live = con.execute(
            "select count(*) from analytics.outreach_activity where source_stream = 'sent'"
        ).fetchone()[0]
        performance = con.execute(
            "select sum(sent) from analytics.campaign_performance where tool = 'salesblink'"
        ).fetchone()[0]
        members = con.execute(
            "select count(*) from outreach_staging.stg_salesflow__members"
        ).fetchone()[0]
        raw_members = con.execute(
            "select count(*) from tap_salesflow.members where _sdc_deleted_at is null"
        ).fetchone()[0]
    assert live == performance == sent - 25
    assert members == raw_members  # every live row, whether or not the loader wrote the column


def test_source_freshness_reads_the_newest_loaded_rows(warehouses, dbt_parse, tmp_path):
    _copy(warehouses, tmp_path)
    result = _dbt_duckdb(warehouses, dbt_parse, tmp_path, "source", "freshness")
    target = tmp_path / "target"
    sources = json.loads((target / "sources.json").read_text())["results"]
    checked = {r["unique_id"].split(".", 2)[2]: r for r in sources}
    assert set(checked) == {
        "tap_salesblink.sent",
        "tap_salesflow.campaign_statistics",
        "tap_salesflow.incoming_messages",
    }
    columns = {
        "tap_salesblink.sent": '"time"',
        "tap_salesflow.campaign_statistics": '"UpdatedAt"',
        "tap_salesflow.incoming_messages": '"ReceivedAt"',
    }
    with warehouses.duckdb() as con:
        newest = {
            name: con.execute(f"select max({column}) from {name}").fetchone()[0]
            for name, column in columns.items()
        }
    statuses = set()
    for name, entry in checked.items():
        loaded = entry["max_loaded_at"][:19].replace("T", " ")
        assert loaded == newest[name].strftime("%Y-%m-%d %H:%M:%S"), name
        hours = entry["max_loaded_at_time_ago_in_s"] / 3600
        expected = "error" if hours > 72 else "warn" if hours > 24 else "pass"
        assert entry["status"] == expected, (name, hours, entry["status"])
        statuses.add(expected)
    # `dbt source freshness` exits non-zero exactly when a source is past its error threshold.
    assert (result.returncode != 0) == ("error" in statuses), result.stdout[-3000:]
    assert os.path.getsize(target / "sources.json") > 0


def test_a_missing_source_table_fails_with_what_to_do(warehouses, dbt_parse, tmp_path):
    """Models run before a tap ever loaded: a clear error naming the table and the fix."""
    copy = _copy(warehouses, tmp_path)
    with duckdb.connect(str(copy)) as con:
        con.execute("drop table tap_salesrocks.list_data")
    result = _dbt_duckdb(
        warehouses, dbt_parse, tmp_path, "run", "--select", "stg_salesrocks__list_data"
    )
    assert result.returncode != 0
    output = " ".join(result.stdout.split())
    assert '"tap_salesrocks"."list_data" does not exist' in output, result.stdout[-3000:]
    assert "meltano run tap-salesrocks <loader>" in output
    assert "salesrocks_schema" in output
