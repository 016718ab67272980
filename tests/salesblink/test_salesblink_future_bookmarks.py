"""SalesBlink feeds: a future-dated event or state never moves a bookmark past the sync start."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from support import run_tap
from test_tap_salesblink import EVENTS, config, ids

from outreach_sandbox import SandboxServer
from outreach_sandbox.hostile import FUTURE_MS


@pytest.fixture
def fresh():
    with SandboxServer(seed=6, scale=0.2) as server:
        yield server


def _bookmark(run, stream: str) -> datetime:
    value = run.last_state["bookmarks"][stream]["replication_key_value"]
    return datetime.fromisoformat(value)


def test_a_future_event_is_emitted_and_the_next_run_still_gets_new_events(fresh):
    fresh.control.add_faults([{"vendor": "salesblink", "path": "/sent$", "kind": "future_event"}])
    started = datetime.now(timezone.utc)
    first = run_tap("tap-salesblink", config(fresh.url))
    assert first.returncode == 0, first.stderr[-2000:]
    sent = first.records("sent")
    assert ids(sent, "sent") == set(fresh.control.expected("salesblink", "sent")["keys"])
    future = [r for r in sent if r["time_ms"] == FUTURE_MS]
    assert len(future) == 1 and future[0]["time"] == "2100-01-01T00:00:00.000Z"
    assert _bookmark(first, "sent") < started, "the bookmark never passes the sync start"
    assert "record(s) dated after the sync start" in first.stderr
    assert "sent: a record is dated 2100-01-01T00:00:00.000Z" in first.stderr

    before = set(fresh.control.expected("salesblink", "sent")["keys"])
    fresh.control.advance(86_400)
    second = run_tap("tap-salesblink", config(fresh.url), state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    new = set(fresh.control.expected("salesblink", "sent")["keys"]) - before
    assert new and new <= ids(second.records("sent"), "sent")


def test_a_state_in_the_future_is_capped_at_now_with_a_warning(fresh):
    future = {
        "bookmarks": {
            s: {"replication_key": "time", "replication_key_value": "2099-01-01T00:00:00Z"}
            for s in EVENTS
        }
    }
    fresh.control.clear_requests()
    run = run_tap("tap-salesblink", config(fresh.url), state=future)
    finished = datetime.now(timezone.utc)
    assert run.returncode == 0, run.stderr[-2000:]
    for stream in EVENTS:
        assert f"{stream}: the saved bookmark 2099-01-01T00:00:00Z is in the future" in run.stderr
        assert _bookmark(run, stream) <= finished
        asked = [
            int(r["query"]["from"])
            for r in fresh.control.requests()
            if r["path"].endswith(f"/{stream}")
        ]
        assert asked and all(a <= finished.timestamp() * 1000 for a in asked), "asked from now"
