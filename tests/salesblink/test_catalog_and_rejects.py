"""Conformance follows the catalog; rejected records: kept, fatal on request, and the same
whether child partitions are read ahead on workers or one after another."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from support import assert_no_secrets, run_tap, salesblink_settings

from outreach_sandbox import DEFAULT_SALESBLINK_KEYS, SandboxServer

KEY = DEFAULT_SALESBLINK_KEYS[0]
COUNTS = {
    "salesblink.lists": 3,
    "salesblink.leads_per_list": 5,
    "salesblink.users": 4,
    "salesblink.sequences": 1,
    "salesblink.sent": 2,
    "salesblink.opens": 1,
    "salesblink.clicks": 1,
    "salesblink.replies": 1,
}


@pytest.fixture
def sandbox():
    with SandboxServer(seed=71, scale=0.05, counts=COUNTS) as server:
        yield server


def config(url: str, **extra) -> dict:
    return salesblink_settings(url, start_date="2026-10-01", **extra)


def users_only_catalog(url: str, *, drop_email_from_schema: bool) -> dict:
    """The discovered catalog with only `users` selected and its `email` left out, either
    deselected in the metadata or removed from the schema."""
    found = run_tap("tap-salesblink", config(url), args=("--discover",))
    assert found.returncode == 0, found.stderr[-1500:]
    catalog = json.loads(found.stdout)
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] == "users"
            if entry["tap_stream_id"] == "users" and meta["breadcrumb"] == ["properties", "email"]:
                meta["metadata"]["selected"] = False
        if entry["tap_stream_id"] == "users" and drop_email_from_schema:
            del entry["schema"]["properties"]["email"]
            entry["metadata"] = [
                m for m in entry["metadata"] if m["breadcrumb"] != ["properties", "email"]
            ]
    return catalog


@pytest.mark.parametrize("drop_email_from_schema", [False, True], ids=["metadata", "schema"])
def test_a_deselected_property_never_reaches_a_record(sandbox, drop_email_from_schema):
    catalog = users_only_catalog(sandbox.url, drop_email_from_schema=drop_email_from_schema)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.json"
        path.write_text(json.dumps(catalog))
        run = run_tap("tap-salesblink", config(sandbox.url), args=("--catalog", str(path)))
    assert run.returncode == 0, run.stderr[-1500:]
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    assert "email" not in schemas["users"]["properties"]
    users = run.records("users")
    assert len(users) == COUNTS["salesblink.users"]
    assert all("email" not in user for user in users)
    assert all("email" not in (user.get("extra") or {}) for user in users)
    assert all(user["id"] and user["name"] for user in users)
    assert set(run.by_stream()) == {"users"}
    assert "not found in catalog schema" not in run.stderr


def test_fail_mode_stops_with_one_paragraph(sandbox):
    lists = sandbox.control.expected("salesblink", "lists")["keys"]
    sandbox.control.add_faults(
        [
            {
                "vendor": "salesblink",
                "path": f"/lists/{lists[0]}/leads$",
                "kind": "null_key",
                "index": 1,
            }
        ]
    )
    run = run_tap("tap-salesblink", config(sandbox.url, on_rejected_record="fail"))
    assert run.returncode == 1
    message = run.stderr.strip().splitlines()[-1]
    assert message.startswith("tap-salesblink: error: SalesBlink sent a 'list_leads' record")
    assert "(null primary key id)" in message and "'on_rejected_record' is 'fail'" in message
    assert not run.records("rejected_records")
    assert all(r["id"] for r in run.records("list_leads"))
    assert_no_secrets(run.stdout + run.stderr, [KEY])


def test_an_invalid_mode_is_refused(sandbox):
    run = run_tap("tap-salesblink", config(sandbox.url, on_rejected_record="drop"))
    assert run.returncode != 0
    assert "on_rejected_record" in run.stderr.strip().splitlines()[-1]
    assert not run.messages


def test_rejections_read_ahead_on_workers_match_a_sequential_run(sandbox):
    """Rejected leads of several lists (read on worker threads at concurrency 4) come out in
    the same place among the records as when the lists are read one after another."""
    lists = sandbox.control.expected("salesblink", "lists")["keys"]
    faults = [
        {
            "vendor": "salesblink",
            "path": f"/lists/{list_id}/leads$",
            "kind": kind,
            "times": 2,
            **extra,
        }
        for list_id, kind, extra in [
            (lists[0], "null_element", {}),
            (lists[1], "missing_key", {"index": 3}),
            (lists[2], "duplicate_key", {"index": 0}),
        ]
    ]
    outputs = []
    for concurrency in (1, 4):
        sandbox.control.clear_faults()
        sandbox.control.add_faults(faults)
        run = run_tap("tap-salesblink", config(sandbox.url, concurrency=concurrency))
        assert run.returncode == 0, run.stderr[-1500:]
        outputs.append(
            [
                (m["stream"], {k: v for k, v in m["record"].items() if k != "extracted_at"})
                for m in run.messages
                if m["type"] == "RECORD"
            ]
        )
        rejected = run.records("rejected_records")
        assert sorted(r["reason"] for r in rejected) == [
            "missing primary key id",
            "not a JSON object (null)",
            "primary key repeated in one read with different content",
        ]
        assert "list_leads: 1 record(s) rejected (missing primary key id)" in run.stderr
    assert outputs[0] == outputs[1]


def test_a_child_selected_without_its_parent_or_the_parents_properties_still_lands(sandbox):
    """Deselecting every property of `lists` (its key included) must not stop its leads:
    child contexts come from the whole record, as in the SDK."""
    found = run_tap("tap-salesblink", config(sandbox.url), args=("--discover",))
    catalog = json.loads(found.stdout)
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            meta["metadata"]["selected"] = entry["tap_stream_id"] == "list_leads"
    run = run_tap("tap-salesblink", config(sandbox.url), catalog=catalog)
    assert run.returncode == 0, run.stderr[-1500:]
    assert set(run.by_stream()) == {"list_leads"}
    leads = {r["id"] for r in run.records("list_leads")}
    assert leads == set(sandbox.control.expected("salesblink", "list_leads")["keys"])
    assert len(leads) == COUNTS["salesblink.lists"] * COUNTS["salesblink.leads_per_list"]
