"""SalesBlink `limit`/`skip` lists read with pages that overlap by one row: rows deleted or
inserted while a list is read lose no live row and give none twice (the table version of
a full-table read would retire a live row the read missed)."""

from __future__ import annotations

import pytest
from support import SALESBLINK_NO_EVENTS, run_tap, salesblink_settings

from outreach_sandbox import SandboxServer

QUIET = {**SALESBLINK_NO_EVENTS, "salesblink.sequences": 0}
config = salesblink_settings


def one_list(leads: int) -> SandboxServer:
    counts = {**QUIET, "salesblink.lists": 1, "salesblink.leads_per_list": leads}
    return SandboxServer(seed=93, scale=0.05, counts=counts)


def truth(server: SandboxServer, stream: str) -> set[str]:
    return set(server.control.expected("salesblink", stream)["keys"])


def landed(run, stream: str) -> list[str]:
    return [r["id"] for r in run.records(stream)]


def leads_requests(server: SandboxServer) -> int:
    stats = server.control.stats()["by_endpoint"]
    return sum(n for name, n in stats.items() if name.endswith("/leads"))


@pytest.mark.parametrize(
    ("leads", "requests"),
    [(0, 2), (1, 1), (99, 1), (100, 2), (199, 3), (297, 3), (298, 4)],
)
def test_pages_overlap_by_one_row_at_no_extra_request(leads, requests):
    """Pages start at skip 0, 99, 198, ...: (R - 100) // 99 + 2 requests for R >= 100
    (no empty page after a full one, which the old paging asked twice). An empty list's
    one empty page is asked twice: taken for "no leads", it would retire every lead. A
    short page is not checked for a cap: the list said it holds that many leads."""
    with one_list(leads) as server:
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-1500:]
        got = landed(run, "list_leads")
        assert len(got) == len(set(got)) == leads
        assert set(got) == truth(server, "list_leads")
        assert leads_requests(server) == requests
        assert "changed while it was read" not in run.stderr


@pytest.mark.parametrize(
    ("position", "count", "after"),
    [
        (20, 1, 2),  # before page 3 (skip 198) is answered: lead 199 moves back to 198
        (150, 2, 2),  # two leads of page 2, already read: 199 and 200 move back past skip 198
        (0, 1, 1),  # the first lead, before page 2: lead 100 is what skip 99 answers first
    ],
    ids=["one-lead-two-pages-back", "two-leads-of-the-last-page-read", "the-first-lead"],
)
def test_leads_deleted_behind_the_read_lose_no_live_lead(position, count, after):
    with one_list(350) as server:
        list_id = next(iter(truth(server, "lists")))
        fault = {"vendor": "salesblink", "path": f"/lists/{list_id}/leads", "after": after}
        server.control.add_faults(
            [{**fault, "kind": "shift_delete", "count": count, "position": position}]
        )
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-2000:]
        got = landed(run, "list_leads")
        assert len(got) == len(set(got)), "no lead emitted twice in one sync"
        live = truth(server, "list_leads")
        assert live <= set(got), f"live leads lost: {sorted(live - set(got))[:5]}"
        assert len(set(got) - live) == count  # the deleted ones, read before they went
        assert f"list {list_id} changed while it was read (pass 1)" in run.stderr


@pytest.mark.parametrize(
    ("kind", "position"),
    [("shift_insert", 0), ("reorder", 300), ("reorder", 150)],
    ids=["new-leads-at-the-front", "an-unread-lead-moved-to-the-front", "a-read-lead-moved"],
)
def test_leads_that_come_before_the_read_are_read_again_and_repeat_nothing(kind, position):
    """Rows that come in before the read position push rows already read onto the next
    page. New ones would wait for the next sync, but the API's order is not documented: a
    lead moved up from beyond the read (a list sorted by last change) would be missed and
    retired. So the list is read again; every lead lands once, those moved included."""
    with one_list(350) as server:
        list_id = next(iter(truth(server, "lists")))
        fault = {"vendor": "salesblink", "path": f"/lists/{list_id}/leads", "after": 1}
        server.control.add_faults([{**fault, "kind": kind, "count": 5, "position": position}])
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-2000:]
        got = landed(run, "list_leads")
        assert len(got) == len(set(got)), "no lead emitted twice in one sync"
        assert set(got) == truth(server, "list_leads"), "every lead, moved or new, landed"
        assert f"list {list_id} changed while it was read (pass 1)" in run.stderr


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_list_deleted_behind_the_read_of_lists_loses_no_other_list(concurrency):
    """A list deleted from page 1 of `/lists` while page 2 is asked moves the next one back
    onto page 1; a missed list would take its leads with it. (With leads read ahead, the
    deleted list's leads may be asked after it went: skipped, see test_deleted_parents.)"""
    counts = {**QUIET, "salesblink.lists": 150, "salesblink.leads_per_list": 2}
    with SandboxServer(seed=94, scale=0.05, counts=counts) as server:
        fault = {"vendor": "salesblink", "path": "/lists$", "kind": "shift_delete"}
        server.control.add_faults([{**fault, "count": 1, "position": 10, "after": 1}])
        run = run_tap("tap-salesblink", config(server.url, concurrency=concurrency))
        assert run.returncode == 0, run.stderr[-2000:]
        for stream in ("lists", "list_leads"):
            got = landed(run, stream)
            assert len(got) == len(set(got)), f"{stream}: no record emitted twice"
            assert truth(server, stream) <= set(got), f"{stream}: nothing live lost"
        assert "lists: 'lists' changed while it was read (pass 1)" in run.stderr


def test_a_list_that_keeps_moving_fails_clearly_and_retires_nothing():
    """A lead deleted before every page: no pass reads the list still, so the run fails
    (exit 1, one paragraph) and sends no ACTIVATE_VERSION that would retire live leads."""
    with one_list(350) as server:
        list_id = next(iter(truth(server, "lists")))
        fault = {"vendor": "salesblink", "path": f"/lists/{list_id}/leads", "after": 1}
        server.control.add_faults([{**fault, "kind": "shift_delete", "times": 100}])
        run = run_tap("tap-salesblink", config(server.url))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert f"list {list_id} kept changing during 5 consecutive reads" in last
    assert "Traceback" not in run.stderr
    versions = [m for m in run.messages if m.get("type") == "ACTIVATE_VERSION"]
    assert all(m["stream"] != "list_leads" for m in versions)


@pytest.mark.parametrize(("leads", "per_list"), [(5, 1), (150, 2)])
def test_short_pages_are_checked_only_where_a_cap_could_hide_rows(leads, per_list):
    """A list's leads are as many as its `contacts_count`: none of their short pages is
    checked. `/lists` has no count: its one short page is (2 requests)."""
    counts = {**QUIET, "salesblink.lists": 12, "salesblink.leads_per_list": leads}
    with SandboxServer(seed=96, scale=0.05, counts=counts) as server:
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-1500:]
        stats = server.control.stats()["by_endpoint"]
        assert leads_requests(server) == 12 * per_list
        assert next(n for name, n in stats.items() if name.endswith("/lists")) == 2
        assert "answers at most" not in run.stderr


def test_leads_fewer_than_the_list_says_are_checked_once():
    """Leads deleted after the list was read: its first page is short of the count, so
    the next page is asked (it holds the last lead alone) and the read ends."""
    with one_list(60) as server:
        list_id = next(iter(truth(server, "lists")))
        fault = {"vendor": "salesblink", "path": f"/lists/{list_id}/leads", "position": 5}
        server.control.add_faults([{**fault, "kind": "shift_delete", "count": 3}])
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-1500:]
        assert set(landed(run, "list_leads")) == truth(server, "list_leads")
        assert leads_requests(server) == 2
        assert "answers at most" not in run.stderr


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_server_that_caps_pages_loses_nothing(concurrency):
    """A server answering at most 40 rows whatever `limit` asks (100, the documented
    maximum): the first short page is checked, the cap shows, and 40 counts as full."""
    counts = {**QUIET, "salesblink.lists": 45, "salesblink.leads_per_list": 130}
    modes = {"salesblink_max_page": 40}
    with SandboxServer(seed=97, scale=0.05, counts=counts, modes=modes) as server:
        run = run_tap("tap-salesblink", config(server.url, concurrency=concurrency))
        assert run.returncode == 0, run.stderr[-2000:]
        for stream in ("lists", "list_leads"):
            got = landed(run, stream)
            assert len(got) == len(set(got)), f"{stream}: no record emitted twice"
            assert set(got) == truth(server, stream), f"{stream}: every record landed"
        assert "lists: the server answers at most 40 rows per page (asked 100)" in run.stderr
        assert "changed while it was read" not in run.stderr


@pytest.mark.parametrize("kind", ["reset_mid_body", "truncated", "500"])
def test_a_later_page_asked_again_after_a_failure_still_drops_its_overlap_row(kind):
    with one_list(250) as server:
        list_id = next(iter(truth(server, "lists")))
        fault = {"vendor": "salesblink", "path": f"/lists/{list_id}/leads", "after": 1}
        server.control.add_faults([{**fault, "kind": kind}])
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-1500:]
        got = landed(run, "list_leads")
        assert len(got) == len(set(got)) == 250
        assert "changed while it was read" not in run.stderr
        assert "repeated across a page boundary" not in run.stderr
        assert [f["remaining"] for f in server.control.faults()] == [0]


@pytest.mark.parametrize("concurrency", [1, 4])
def test_activity_feeds_capped_below_per_page_lose_nothing(concurrency):
    """Feeds answering at most 40 events whatever `per_page` asks: the first short page is
    checked, the cap shows, and the range is read again 40 a page."""
    counts = {
        "salesblink.lists": 1,
        "salesblink.leads_per_list": 5,
        "salesblink.sequences": 2,
        "salesblink.users": 1,
        "salesblink.sent": 900,
        "salesblink.opens": 300,
        "salesblink.clicks": 0,
        "salesblink.replies": 1,
    }
    modes = {"salesblink_max_page": 40}
    with SandboxServer(seed=98, scale=1, counts=counts, modes=modes) as server:
        run = run_tap("tap-salesblink", config(server.url, concurrency=concurrency))
        assert run.returncode == 0, run.stderr[-2000:]
        for stream in ("sent", "opens", "clicks", "replies"):
            got = landed(run, stream)
            assert len(got) == len(set(got)), f"{stream}: no event emitted twice"
            assert set(got) == truth(server, stream), f"{stream}: every event landed"
        assert "sent: the server answers at most 40 rows per page (asked 100)" in run.stderr


def test_uncapped_feeds_check_at_most_one_short_first_page_each():
    """Without a cap, a feed's short first page is checked once per run at most (none once
    a page of 100 came): the request counts stay at the minimum plus one a feed."""
    counts = {
        "salesblink.lists": 1,
        "salesblink.leads_per_list": 5,
        "salesblink.sequences": 2,
        "salesblink.users": 1,
        "salesblink.sent": 40,
        "salesblink.opens": 250,
        "salesblink.clicks": 1,
        "salesblink.replies": 0,
    }
    with SandboxServer(seed=98, scale=1, counts=counts) as server:
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-2000:]
        stats = server.control.stats()["by_endpoint"]
        feeds = ("sent", "opens", "clicks", "replies")
        for stream in feeds:
            assert set(landed(run, stream)) == truth(server, stream)
        assert "answers at most" not in run.stderr
    made = {f: next(n for k, n in stats.items() if k.endswith(f"/{f}")) for f in feeds}
    # sent: its 40 events and the check; opens: a full first page, no check (as before);
    # clicks: one event cannot show a cap; replies: none.
    assert made == {"sent": 2, "opens": 4, "clicks": 1, "replies": 1}
