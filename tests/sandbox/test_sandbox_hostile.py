"""Hostile-vendor modes of the sandbox: one event bent per reply, the records served intact."""

from __future__ import annotations

import pytest
from sandbox_calls import sb, sf

from outreach_sandbox import SandboxServer
from outreach_sandbox.hostile import FAR_PAST_MS, FUTURE_DOTNET, FUTURE_MS

DAY = 86_400_000


@pytest.fixture(scope="module")
def server():
    with SandboxServer(seed=11, scale=0.2) as running:
        yield running


def _page(server, query="per_page=100&page=1"):
    status, _, body = sb(server.url, f"/sent?{query}")
    assert status == 200, body
    return body


@pytest.mark.parametrize(
    ("fault", "position", "time"),
    [
        ({"kind": "out_of_order"}, 50, lambda t: t - 20 * DAY),
        ({"kind": "out_of_order", "time": 0, "position": 3}, 3, lambda t: 0),
        ({"kind": "future_event"}, 0, lambda t: FUTURE_MS),
        ({"kind": "far_past_event"}, 50, lambda t: FAR_PAST_MS),
    ],
    ids=["out_of_order", "out_of_order time 0", "future_event", "far_past_event"],
)
def test_feed_modes_bend_one_event_and_serve_the_same_ids(server, fault, position, time):
    server.control.clear_faults()
    truth = _page(server)
    server.control.add_faults([{"vendor": "salesblink", "path": "/sent", **fault}])
    bent = _page(server)
    assert [e["id"] for e in bent] == [e["id"] for e in truth]
    changed = [i for i, (a, b) in enumerate(zip(truth, bent, strict=True)) if a != b]
    assert changed == [position]
    assert bent[position]["time"] == time(truth[position]["time"])
    assert {**bent[position], "time": 0} == {**truth[position], "time": 0}
    assert _page(server) == truth, "one reply bent (times: 1)"


def test_exclusive_to_drops_the_events_of_its_own_millisecond(server):
    server.control.clear_faults()
    newest = _page(server)
    edge = newest[-1]["time"]  # some events share a millisecond: pick one that has them
    query = f"per_page=100&page=1&from={edge - DAY}&to={edge}"
    inclusive = _page(server, query)
    server.control.add_faults([{"vendor": "salesblink", "path": "/sent", "kind": "exclusive_to"}])
    exclusive = _page(server, query)
    assert [e for e in inclusive if e["time"] < edge][:50] == exclusive[:50]
    assert all(e["time"] < edge for e in exclusive)
    assert any(e["time"] == edge for e in inclusive)


def test_salesflow_future_member(server):
    server.control.clear_faults()
    _, _, truth = sf(server.url, "/members/list-contacts-by-accountid")
    server.control.add_faults(
        [{"vendor": "salesflow", "path": "list-contacts", "kind": "future_event", "position": 2}]
    )
    _, _, bent = sf(server.url, "/members/list-contacts-by-accountid")
    assert [m["MemberId"] for m in bent] == [m["MemberId"] for m in truth]
    assert bent[2]["LastModifiedAt"] == FUTURE_DOTNET
    assert [m for i, m in enumerate(bent) if i != 2] == [m for i, m in enumerate(truth) if i != 2]


def test_unknown_mode_is_refused(server):
    with pytest.raises(Exception, match="unknown fault kind"):
        server.control.add_faults([{"vendor": "salesblink", "kind": "sideways"}])
