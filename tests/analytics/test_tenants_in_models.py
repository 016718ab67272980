"""Two tenants with the same vendor ids land as separate rows in every mart.

The taps' `tenant` setting tags each record; the models carry it as `tenant` and lead every
key with it. This test builds the raw tables of two tenants (acme, globex) itself, each
reusing the other's ids (SalesBlink sequence 1, Salesflow account 7 campaign 1, Sales.Rocks
campaign 101, the same contact email), so no Meltano run or sandbox is needed: only `dbt
build` from the dbt-duckdb utility Meltano installed.
"""

from __future__ import annotations

import json
import subprocess

import duckdb
import pytest
from pipeline import ROOT

DBT_DUCKDB = ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt"
TENANTS = ("acme", "globex")
SHARED_EMAIL = "pat@example.com"

#: Raw tables as the taps load them with `tenant` set: (schema.table, columns, rows per tenant).
#: Row values are functions of the tenant index i (0, 1), so the tenants differ in counts
#: while sharing every id.
TABLES = {
    "tap_salesblink.sequences": "tenant varchar, id bigint, owned_by varchar, name varchar, "
    "archived boolean, paused boolean",
    "tap_salesblink.sequence_stats": "tenant varchar, sequence_id bigint, leads bigint, "
    "sent bigint, opens bigint, link_clicks bigint, replies bigint, bounced bigint, "
    "unsubscribed bigint",
    "tap_salesblink.list_leads": "tenant varchar, id bigint, list_id bigint, owned_by varchar, "
    "email varchar, archived boolean",
    "tap_salesflow.campaigns": 'tenant varchar, account_id bigint, "Id" bigint, "Name" varchar, '
    '"Status" varchar, "CreatedAt" timestamp, "LastModifiedAt" timestamp',
    "tap_salesflow.members": 'tenant varchar, account_id bigint, "MemberId" bigint, '
    '"CampaignId" bigint, "Email" varchar, "HasReply" boolean, "AddedAt" timestamp, '
    '"ConnectedAt" timestamp, "LastModifiedAt" timestamp',
    "tap_salesflow.campaign_statistics": 'tenant varchar, account_id bigint, "CampaignId" bigint, '
    '"CampaignName" varchar, "TotalMembers" bigint, "InvitationsSent" bigint, '
    '"InvitationsAccepted" bigint, "MessagesSent" bigint, "Replies" bigint, "Withdrawn" bigint, '
    '"UpdatedAt" timestamp',
    "tap_salesflow.incoming_messages": 'tenant varchar, account_id bigint, "Id" bigint, '
    '"CampaignId" bigint, "MemberId" bigint, "ReceivedAt" timestamp',
    "tap_salesrocks.campaign_statistics": "tenant varchar, sender_email varchar, "
    "campaign_id bigint, campaign_name varchar, campaign_status varchar, total_scheduled bigint, "
    "to_send bigint, sent bigint, opened bigint, clicked bigint, replied bigint, bounced bigint, "
    "opted_out bigint, campaign_created_at timestamp",
    "tap_salesrocks.lists": "tenant varchar, uuid varchar, name varchar",
    "tap_salesrocks.list_data": "tenant varchar, id bigint, list_id varchar, email varchar",
}
FEEDS = ("sent", "opens", "clicks", "replies")
EVENT_COLUMNS = "tenant varchar, id bigint, sequence bigint, sequence_name varchar, email varchar, "
EVENT_COLUMNS += '"time" timestamp'


def _sent_events(i: int) -> int:
    """acme sends 2 emails in sequence 1, globex 3: the same event ids 1..n in both."""
    return 2 + i


def _build_raw_tables(path) -> None:
    with duckdb.connect(str(path)) as con:
        for schema in ("tap_salesblink", "tap_salesflow", "tap_salesrocks"):
            con.execute(f"create schema {schema}")
        for name, columns in TABLES.items():
            con.execute(f"create table {name} ({columns})")
        for feed in FEEDS:
            con.execute(f"create table tap_salesblink.{feed} ({EVENT_COLUMNS})")
        for i, tenant in enumerate(TENANTS):
            sent = _sent_events(i)
            con.execute(
                "insert into tap_salesblink.sequences values (?, 1, 'owner@agency.test', ?, "
                "false, false)",
                [tenant, f"{tenant} welcome"],
            )
            con.execute(
                "insert into tap_salesblink.sequence_stats values (?, 1, ?, ?, 1, 1, 1, 0, 0)",
                [tenant, sent, sent],
            )
            con.execute(
                "insert into tap_salesblink.list_leads values (?, 1, 5, 'owner@agency.test', ?, "
                "false)",
                [tenant, f" {SHARED_EMAIL.upper()} "],
            )
            for event_id in range(1, sent + 1):
                email = SHARED_EMAIL if event_id == 1 else f"lead{event_id}@{tenant}.test"
                con.execute(
                    "insert into tap_salesblink.sent values (?, ?, 1, ?, ?, "
                    "timestamp '2026-10-01 09:00:00' + to_days(?))",
                    [tenant, event_id, f"{tenant} welcome", email, event_id],
                )
            for feed in ("opens", "clicks", "replies"):
                con.execute(
                    f"insert into tap_salesblink.{feed} values (?, 1, 1, ?, ?, "
                    "timestamp '2026-10-02 10:00:00')",
                    [tenant, f"{tenant} welcome", SHARED_EMAIL],
                )
            con.execute(
                "insert into tap_salesflow.campaigns values (?, 7, 1, ?, 'Active', "
                "timestamp '2026-09-01', timestamp '2026-10-01')",
                [tenant, f"{tenant} linkedin"],
            )
            con.execute(
                "insert into tap_salesflow.members values (?, 7, 1, 1, ?, ?, "
                "timestamp '2026-09-02', null, timestamp '2026-10-01')",
                [tenant, SHARED_EMAIL, i == 1],
            )
            con.execute(
                "insert into tap_salesflow.campaign_statistics values (?, 7, 1, ?, 1, ?, 1, 1, "
                "?, 0, timestamp '2026-10-31')",
                [tenant, f"{tenant} linkedin", 10 + i, i],
            )
            con.execute(
                "insert into tap_salesflow.incoming_messages values (?, 7, 1, 1, 1, "
                "timestamp '2026-10-03 12:00:00')",
                [tenant],
            )
            con.execute(
                "insert into tap_salesrocks.campaign_statistics values (?, 'drip@agency.test', "
                "101, ?, 'ACTIVE', 10, 0, ?, 2, 1, 1, 0, 0, timestamp '2026-09-01')",
                [tenant, f"{tenant} drip", 5 + i],
            )
            con.execute("insert into tap_salesrocks.lists values (?, 'l-1', ?)", [tenant, tenant])
            con.execute(
                "insert into tap_salesrocks.list_data values (?, 1, 'l-1', ?)",
                [tenant, SHARED_EMAIL],
            )


@pytest.fixture(scope="module")
def built(meltano_installed, tmp_path_factory):
    """The two tenants' raw tables and `dbt build` on them (models and every dbt test)."""
    workdir = tmp_path_factory.mktemp("tenant-models")
    path, target = workdir / "tenants.duckdb", workdir / "target"
    _build_raw_tables(path)
    env = {
        "PATH": str(DBT_DUCKDB.parent),
        "HOME": str(workdir),
        "DBT_PROJECT_DIR": str(ROOT / "transform"),
        "DBT_PROFILES_DIR": str(ROOT / "transform" / "profiles" / "duckdb"),
        "DBT_DUCKDB_PATH": str(path),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    result = subprocess.run(
        [str(DBT_DUCKDB), "build"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    return path, result, results


def _rows(path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_model_and_test_passes_on_two_tenants(built):
    _, result, results = built
    failed = [(r["unique_id"], r["status"], r.get("message")) for r in results]
    failed = [r for r in failed if r[1] not in ("success", "pass")]
    assert result.returncode == 0, (failed, result.stdout[-3000:])
    assert not failed
    names = " ".join(r["unique_id"] for r in results)
    # The keys that would collide without the tenant are tested with it.
    assert "unique_combination_contacts_tenant__contact_email" in names
    assert "unique_campaign_performance_campaign_key" in names
    assert "reconcile_campaign_performance_with_raw_tables" in names


def test_same_campaign_ids_are_one_row_per_tenant(built):
    path, _, _ = built
    rows = _rows(
        path,
        "select tenant, tool, campaign_id, campaign_name, sent, replied, campaign_key "
        "from analytics.campaign_performance order by tool, tenant",
    )
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("acme", "salesblink", "1", "acme welcome", 2, 1),
        ("globex", "salesblink", "1", "globex welcome", 3, 1),
        ("acme", "salesflow", "1", "acme linkedin", 11, 0),
        ("globex", "salesflow", "1", "globex linkedin", 12, 1),
        ("acme", "salesrocks", "101", "acme drip", 5, 1),
        ("globex", "salesrocks", "101", "globex drip", 6, 1),
    ]
    assert len({r[6] for r in rows}) == 6
    assert all(r[6].startswith(f"{r[0]}:{r[1]}:") for r in rows)


def test_events_and_days_keep_each_tenants_own_campaign(built):
    path, _, _ = built
    activity = _rows(
        path,
        "select a.tenant, count(*), count(distinct a.activity_id), "
        "count(*) filter (where c.tenant <> a.tenant) "
        "from analytics.outreach_activity a "
        "left join analytics.campaign_performance c on c.campaign_key = a.campaign_key "
        "group by a.tenant order by a.tenant",
    )
    # acme: 2 sent + open + click + reply + 1 LinkedIn message; globex: one more sent.
    assert activity == [("acme", 6, 6, 0), ("globex", 7, 7, 0)]
    days = _rows(
        path,
        "select tenant, sum(events) from analytics.daily_activity group by tenant order by tenant",
    )
    assert days == [("acme", 6), ("globex", 7)]


def test_a_contact_is_per_tenant_and_email(built):
    path, _, _ = built
    contacts = _rows(
        path,
        "select tenant, tools, campaigns_count, has_replied from analytics.contacts "
        f"where contact_email = '{SHARED_EMAIL}' order by tenant",
    )
    assert contacts == [
        ("acme", "salesblink,salesflow,salesrocks", 2, True),
        ("globex", "salesblink,salesflow,salesrocks", 2, True),
    ]
    per_tenant = _rows(
        path, "select tenant, count(*) from analytics.contacts group by tenant order by tenant"
    )
    assert per_tenant == [("acme", 2), ("globex", 3)]
