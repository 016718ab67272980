"""The `tenant` setting: every record of every stream carries it and it leads the keys.

Each tap runs against one sandbox with and without `tenant`: the tenant run must be the
plain run plus a `tenant` value on every record, a `tenant` property in every schema and
`tenant` first in every stream's key properties; state is the same. A catalog discovered
without the setting cannot take `tenant` out of the keys, and a bad name fails clearly.
"""

from __future__ import annotations

import pytest
from support import (
    catalog_selecting,
    run_tap,
    salesblink_settings,
    salesflow_settings,
    salesrocks_settings,
)

from outreach_sandbox import (
    SandboxServer,
)

COUNTS = {
    "salesblink.lists": 3,
    "salesblink.leads_per_list": 4,
    "salesblink.sequences": 3,
    "salesblink.users": 2,
    "salesblink.sent": 20,
    "salesblink.opens": 10,
    "salesblink.clicks": 5,
    "salesblink.replies": 5,
    "salesflow.campaigns": 2,
    "salesflow.members": 5,
    "salesflow.webhooks": 2,
    "salesflow.messages": 10,
    "salesrocks.lists": 2,
    "salesrocks.rows_per_list": 5,
}


def configs(url: str) -> dict[str, dict]:
    return {
        "tap-salesblink": salesblink_settings(url, start_date="2026-08-01"),
        "tap-salesflow": salesflow_settings(url, start_date="2026-10-20"),
        "tap-salesrocks": salesrocks_settings(url, campaign_ids=[101]),
    }


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(seed=5, counts=COUNTS) as server:
        yield server


def _without_time(message: dict) -> dict:
    return {k: v for k, v in message.items() if k != "time_extracted"}


@pytest.mark.parametrize("tap", ["tap-salesblink", "tap-salesflow", "tap-salesrocks"])
def test_tenant_tags_every_record_and_leads_the_keys(sandbox, tap):
    config = configs(sandbox.url)[tap]
    plain = run_tap(tap, config)
    tagged = run_tap(tap, {**config, "tenant": "acme-eu_1"})
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert tagged.returncode == 0, tagged.stderr[-3000:]

    plain_records = plain.by_stream()
    tagged_records = tagged.by_stream()
    assert plain_records and set(plain_records) == set(tagged_records)
    for stream, records in plain_records.items():
        assert records, stream
        assert all("tenant" not in r for r in records), stream  # unset: today's output
        assert all(r.pop("tenant") == "acme-eu_1" for r in tagged_records[stream]), stream
        assert tagged_records[stream] == records, stream

    plain_schemas = {m["stream"]: m for m in plain.messages if m["type"] == "SCHEMA"}
    tagged_schemas = {m["stream"]: m for m in tagged.messages if m["type"] == "SCHEMA"}
    assert set(plain_schemas) == set(tagged_schemas)
    for stream, message in tagged_schemas.items():
        before = plain_schemas[stream]
        assert "tenant" not in before["schema"]["properties"]
        assert message["schema"]["properties"]["tenant"] == {"type": ["string"]}
        keys = before["key_properties"]  # a keyless (append-only) stream stays keyless
        assert message["key_properties"] == (["tenant", *keys] if keys else []), stream
    assert tagged.last_state == plain.last_state


def test_catalog_without_tenant_keeps_it_in_the_keys(sandbox):
    config = configs(sandbox.url)["tap-salesrocks"]
    catalog = catalog_selecting("tap-salesrocks", config)
    for entry in catalog["streams"]:
        assert "tenant" not in entry["schema"]["properties"]
    run = run_tap("tap-salesrocks", {**config, "tenant": "beta"}, catalog=catalog)
    assert run.returncode == 0, run.stderr[-3000:]
    schemas = [m for m in run.messages if m["type"] == "SCHEMA"]
    keyed = [m for m in schemas if m["stream"] != "rejected_records"]  # append-only: no key
    assert keyed and all(m["key_properties"][0] == "tenant" for m in keyed)
    assert all("tenant" in m["schema"]["properties"] for m in schemas)
    records = run.records()
    assert records and all(r["tenant"] == "beta" for r in records)


@pytest.mark.parametrize("bad", ["Acme", "a b", "../x", "x" * 64, "-lead"])
def test_bad_tenant_name_fails_in_one_line(bad):
    config = {"api_key": "k", "api_url": "http://127.0.0.1:9/salesblink/api", "tenant": bad}
    run = run_tap("tap-salesblink", config)
    assert run.returncode != 0
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("tap-salesblink: error: Setting 'tenant'"), run.stderr[-2000:]
    assert not run.messages
