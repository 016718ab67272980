"""Salesflow: a future-dated member or state never moves a bookmark past the sync start."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support import run_tap
from test_tap_salesflow import config, expected, key

from outreach_sandbox import SandboxServer
from outreach_sandbox.hostile import FUTURE_DOTNET
from tap_salesflow.streams import STREAM_TYPES

#: Streams declaring a replication key (the others inherit the SDK's property, None).
INCREMENTAL = [cls.name for cls in STREAM_TYPES if isinstance(cls.replication_key, str)]


@pytest.fixture
def fresh():
    with SandboxServer(seed=33, scale=0.1) as server:
        yield server


def _bookmarks(run, stream: str) -> list[datetime]:
    partitions = run.last_state["bookmarks"][stream]["partitions"]
    return [datetime.fromisoformat(p["replication_key_value"]) for p in partitions]


def test_a_future_member_is_emitted_and_changes_after_it_still_arrive(fresh):
    fresh.control.add_faults(
        [{"vendor": "salesflow", "path": "list-contacts", "kind": "future_event", "position": 1}]
    )
    started = datetime.now(timezone.utc)
    first = run_tap("tap-salesflow", config(fresh.url))
    assert first.returncode == 0, first.stderr[-2000:]
    members = first.records("members")
    assert {key("members", m) for m in members} == expected(fresh, "members")
    future = [m for m in members if m["LastModifiedAt"] == "2099-01-01T00:00:00.0000000Z"]
    assert len(future) == 1, FUTURE_DOTNET
    assert all(b < started for b in _bookmarks(first, "members"))
    assert "members: 1 record(s) dated after the sync start" in first.stderr

    fresh.control.advance(86_400)  # some members change
    fresh.control.clear_requests()
    second = run_tap("tap-salesflow", config(fresh.url), state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    changed = {key("members", m) for m in second.records("members")}
    since = {
        r["query"]["accountId"]: r["query"]["updatedFromDate"]
        for r in fresh.control.requests()
        if r["path"].endswith("list-contacts-by-accountid")
    }
    assert all(not value.startswith("2099") for value in since.values())
    assert len(changed) > 0, "the changes made after the future-dated member arrive"


def test_a_state_in_the_future_is_capped_at_now_for_every_incremental_stream(fresh):
    first = run_tap("tap-salesflow", config(fresh.url))
    assert first.returncode == 0, first.stderr[-2000:]
    state = first.last_state
    for stream in INCREMENTAL:
        for partition in state["bookmarks"][stream]["partitions"]:
            partition["replication_key_value"] = "2099-01-01T00:00:00Z"
    fresh.control.clear_requests()
    run = run_tap("tap-salesflow", config(fresh.url), state=state)
    finished = datetime.now(timezone.utc)
    assert run.returncode == 0, run.stderr[-2000:]
    for stream in INCREMENTAL:
        assert f"{stream} (partition {{'account_id': '41001'}}): the saved bookmark 2099" in (
            run.stderr
        ), stream
        assert all(b <= finished for b in _bookmarks(run, stream)), stream
    for request in fresh.control.requests():
        for name in ("updatedFromDate", "from"):
            value = request["query"].get(name)
            assert not (value or "").startswith("2099"), (request["path"], value)
