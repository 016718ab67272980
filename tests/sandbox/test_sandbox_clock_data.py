"""Clock advance, time filters, Salesflow specifics, ground truth, determinism, data variety."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import pytest
from sandbox_calls import PUBLIC, call, sb, sb_legacy, sb_pages, sf, sr, sr_token

from outreach_sandbox import SandboxServer

EPOCH_MS = int(datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp() * 1000)
DOTNET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}[+-]\d\d:\d\d$")


def parse_dotnet(text: str) -> datetime:
    return datetime.fromisoformat(text[:26] + text[27:])  # drop the 7th digit for Python


@pytest.fixture
def server():
    with SandboxServer(seed=3, scale=0.5) as s:
        yield s


def test_since_from_to_semantics_with_ties(server):
    _, events = sb_pages(server.url, "/sent", param="page")
    times = [e["time"] for e in events]
    tie = next(t for t in times if times.count(t) > 1)  # some events share one millisecond
    at_tie = {e["id"] for e in events if e["time"] == tie}

    def ids(query):
        return {e["id"] for e in sb_pages(server.url, f"/sent?{query}", param="page")[1]}

    assert ids(f"since={tie}") == {e["id"] for e in events if e["time"] > tie}
    assert ids(f"from={tie}") == {e["id"] for e in events if e["time"] >= tie}
    assert ids(f"to={tie}") == {e["id"] for e in events if e["time"] <= tie}
    assert ids(f"from={tie}&to={tie}") == at_tie and len(at_tie) > 1
    seq = events[0]["sequence"]
    assert ids(f"sequence_id={seq}") == {e["id"] for e in events if e["sequence"] == seq}
    email = events[3]["email"]
    assert ids(f"recipient_email_address={email}") == {
        e["id"] for e in events if e["email"] == email
    }
    assert max(times) <= EPOCH_MS  # never after the sandbox clock


def test_advance_adds_events_at_the_historical_rate(server):
    ctl = server.control
    before = set(ctl.expected("salesblink", "sent")["keys"])
    _, _, newest = sb(server.url, "/sent?per_page=1")
    ctl.advance(86_400)
    after = set(ctl.expected("salesblink", "sent")["keys"])
    new = after - before
    assert before < after and abs(len(new) - len(before) / 90) <= 2  # one day of 90
    _, fresh = sb_pages(server.url, f"/sent?since={newest[0]['time']}", param="page")
    assert {e["id"] for e in fresh} == new
    assert all(EPOCH_MS < e["time"] <= EPOCH_MS + 86_400_000 for e in fresh)
    assert call(server.url, "/_sandbox/health")[2]["now"].startswith("2026-11-02T00:00:00")


def test_advance_changes_salesflow_members_and_campaigns_exactly(server):
    ctl = server.control
    old = {m["MemberId"]: m for m in sf(server.url, "/members/list-contacts-by-accountid")[2]}
    newest = max((m["LastModifiedAt"] for m in old.values()), key=parse_dotnet)
    assert parse_dotnet(newest) <= datetime(2026, 11, 1, tzinfo=timezone.utc)
    campaigns = sf(server.url, "/campaigns/list-campaigns")[2]
    ctl.advance(3_600)
    now = {m["MemberId"]: m for m in sf(server.url, "/members/list-contacts-by-accountid")[2]}
    changed = {k for k, m in now.items() if k not in old or old[k] != m}
    assert len(changed) > len(set(now) - set(old)) > 0  # new and changed members
    for key in changed & set(old):
        assert parse_dotnet(now[key]["LastModifiedAt"]) > parse_dotnet(old[key]["LastModifiedAt"])
    for form in (
        "2026-11-01 00:00:00",
        "2026-11-01T00:00:00.0000000+00:00",
        "2026-11-01T02:00:00+02:00",
        newest,
    ):
        query = f"/members/list-contacts-by-accountid?updatedFromDate={quote(form)}"
        assert {m["MemberId"] for m in sf(server.url, query)[2]} == changed, form
    assert sf(server.url, "/members/list-contacts-by-accountid?updatedFromDate=2030-01-01")[2] == []
    later = sf(server.url, "/campaigns/list-campaigns?updatedFromDate=2026-11-01%2000:00:00")[2]
    assert 1 <= len(later) < len(campaigns)
    keys = {tuple(k) for k in ctl.expected("salesflow", "members")["keys"]}
    assert {("41001", k) for k in now} <= keys


def test_advance_changes_salesblink_leads_and_salesrocks_rows(server):
    ctl = server.control
    before_leads = set(ctl.expected("salesblink", "list_leads")["keys"])
    before_rows = set(ctl.expected("salesrocks", "list_data")["keys"])
    token = sr_token(server.url)
    lists = sr(server.url, "/editable-lists/getLists", {"page": 1, "size": 100}, token)[2]["data"]
    ctl.advance(86_400)
    assert before_leads < set(ctl.expected("salesblink", "list_leads")["keys"])
    assert before_rows < set(ctl.expected("salesrocks", "list_data")["keys"])
    after = sr(server.url, "/editable-lists/getLists", {"page": 1, "size": 100}, token)[2]["data"]
    moved = [b for a, b in zip(lists, after, strict=True) if a["updated_at"] != b["updated_at"]]
    assert moved and all(x["updated_at"] == "2026-11-02 00:00:00" for x in moved)


def test_analytics_days_recent_ones_settle_later(server):
    query = "/analytics/by-accountid?from=2026-10-20&to=2026-11-30"
    rows = sf(server.url, query)[2]
    assert [r["Date"] for r in rows][-1] == "2026-11-01T00:00:00"  # no day after the clock
    server.control.advance(2 * 86_400)
    again = {r["Date"]: r for r in sf(server.url, query)[2]}
    assert "2026-11-03T00:00:00" in again
    for row in rows:
        if row["Date"] < "2026-10-29":
            assert again[row["Date"]] == row  # settled
    assert any(again[r["Date"]] != r for r in rows[-3:])  # late-arriving activity
    assert sf(server.url, "/analytics/by-accountid?from=2026-01-01&to=2026-11-01")[0] == 400
    campaign = sf(server.url, "/campaigns/list-campaigns")[2][0]["Id"]
    per_campaign = sf(
        server.url, f"/analytics/by-campaignid?campaignId={campaign}&from=2026-10-01&to=2026-10-02"
    )[2]
    assert [r["CampaignId"] for r in per_campaign] == [campaign, campaign]


def test_salesflow_shapes(server):
    members = sf(server.url, "/members/list-contacts-by-accountid")[2]
    stamps = [m["LastModifiedAt"] for m in members] + [m["AddedAt"] for m in members]
    assert all(DOTNET.match(s) for s in stamps)
    assert {s[-6:] for s in stamps} >= {"+00:00", "+02:00", "-05:00", "+05:30"}
    assert any("Custom3" not in m for m in members) and any(
        m.get("Custom1") is None for m in members
    )
    assert any(not m["FirstName"].isascii() for m in members)
    one = sf(server.url, f"/members/{members[0]['MemberId']}")[2]
    assert one == members[0]
    campaign = sf(server.url, "/campaigns/list-campaigns")[2][0]
    by_campaign = sf(
        server.url, f"/members/list-contacts-by-campaignid?campaignId={campaign['Id']}"
    )[2]
    assert len(by_campaign) == campaign["MembersCount"]
    stats = f"/statistics/GetCampaignStatistics?campaignId={campaign['Id']}"
    assert sf(server.url, stats)[2] is None  # without isForceRequest=true
    assert sf(server.url, stats + "&isForceRequest=true")[2]["CampaignId"] == campaign["Id"]
    messages = sf(server.url, "/messaging/incoming-messages-by-accountid?from=2026-10-15")[2]
    received = [parse_dotnet(m["ReceivedAt"]) for m in messages]
    assert len(set(received)) == len(received)  # ticks keep same-ms messages apart
    assert received == sorted(received) and min(received) >= datetime(
        2026, 10, 15, tzinfo=timezone.utc
    )
    status, _, body = sf(server.url, "/members/list-contacts-by-campaignid?campaignId=abc")
    assert status == 400 and body["Message"] == "The request is invalid."
    hooks = sf(server.url, "/webhooks/list")[2]
    assert all(h["AttachedWebhookCampaigns"] is not None for h in hooks)


def test_full_sync_serves_exactly_the_expected_keys():
    with SandboxServer(seed=4, scale=0.2) as s:
        ctl = s.control
        lists = sb_pages(s.url, "/lists")[1]
        for lst in lists:
            sb_pages(s.url, f"/lists/{lst['id']}/leads")
        for seq in sb_pages(s.url, "/sequences?sendAll=true")[1]:
            sb(s.url, f"/sequences/{seq['id']}/stats")
        sb(s.url, "/users")
        for feed in ("sent", "opens", "clicks", "replies"):
            sb_pages(s.url, f"/{feed}", param="page")
        for c in sb_legacy(s.url, "/campaigns")[2]["data"]:
            sb_legacy(s.url, f"/prospects/{c['campaignID']}")
        sb_legacy(s.url, "/my-team")
        served = ctl.served()["salesblink"]
        for stream in (
            "lists",
            "list_leads",
            "sequences",
            "sequence_stats",
            "users",
            "sent",
            "opens",
            "clicks",
            "replies",
            "campaigns",
            "prospects",
            "team_members",
        ):
            assert served.get(stream, 0) == ctl.expected("salesblink", stream)["count"], stream
        ctl.clear_served()
        assert ctl.served() == {}
        for stream in (
            "accounts",
            "campaigns",
            "members",
            "campaign_statistics",
            "campaign_analytics",
            "account_analytics",
            "incoming_messages",
            "webhooks",
        ):
            keys = ctl.expected("salesflow", stream)["keys"]
            assert keys and all(isinstance(k, (int, list)) for k in keys), stream
        assert ctl.expected("salesrocks", "campaign_statistics")["keys"] == [101, 102, 103, 104]
        assert call(s.url, "/_sandbox/expected/salesblink/nope")[0] == 404


def _dateless(reply: tuple) -> tuple:
    """A reply without its Date header, which changes with the wall-clock second."""
    status, headers, body = reply
    return status, {k: v for k, v in headers.items() if k != "Date"}, body


def test_same_seed_same_data_and_reset():
    with SandboxServer(seed=9, scale=0.3) as a, SandboxServer(seed=9, scale=0.3) as b:
        with SandboxServer(seed=10, scale=0.3) as c:
            for path in ("/sent?per_page=50", "/lists", "/users"):
                assert _dateless(sb(a.url, path)) == _dateless(sb(b.url, path))
            assert sb(a.url, "/lists")[2] != sb(c.url, "/lists")[2]
        paths = (
            "/members/list-contacts-by-accountid",
            "/campaigns/list-campaigns",
            "/messaging/incoming-messages-by-accountid?from=2026-08-01",
        )
        for path in paths:
            assert _dateless(sf(a.url, path)) == _dateless(sf(b.url, path))
        ta, tb = sr_token(a.url), sr_token(b.url)
        uuid = a.control.expected("salesrocks", "lists")["keys"][0]
        body = {"list_id": uuid, "page": 1, "size": 20}
        assert (
            sr(a.url, "/editable-lists/getListData", body, ta)[2]
            == sr(b.url, "/editable-lists/getListData", body, tb)[2]
        )
        a.control.advance(7_200)
        b.control.advance(7_200)
        assert _dateless(sf(a.url, paths[0])) == _dateless(sf(b.url, paths[0]))
        first = _dateless(sf(a.url, paths[0]))
        a.control.reset(seed=9, scale=0.3)
        assert _dateless(sf(a.url, paths[0])) != first  # the clock and the changes are gone
        with SandboxServer(seed=9, scale=0.3) as fresh:
            assert _dateless(sf(a.url, paths[0])) == _dateless(sf(fresh.url, paths[0]))
        assert sr(a.url, "/editable-lists/getLists", {"page": 1}, ta)[0] == 200  # logins survive


def test_small_and_large_scales_are_cheap():
    with SandboxServer(seed=1, scale=0.01) as s:
        for vendor, stream in (
            ("salesblink", "list_leads"),
            ("salesrocks", "list_data"),
            ("salesflow", "members"),
            ("salesblink", "prospects"),
        ):
            assert 1 <= s.control.expected(vendor, stream)["count"] <= 20, stream
    with SandboxServer(seed=1, scale=0.01, counts={"salesblink.sent": 250_000}) as s:
        assert s.control.expected("salesblink", "sent")["count"] == 250_000
        status, _, page = sb(s.url, "/sent?per_page=100&page=2501")
        assert status == 200 and len(page) == 0
        # Index-generated: the last page costs what the first does. Compared as a ratio (best
        # of five each), not against a wall-clock limit; generating up to it would be ~2,500x.
        first = min(_page_seconds(s.url, 1) for _ in range(5))
        last = min(_page_seconds(s.url, 2500) for _ in range(5))
        assert last < 3 * first, (last, first)


def _page_seconds(url: str, page: int) -> float:
    start = time.perf_counter()
    assert len(sb(url, f"/sent?per_page=100&page={page}")[2]) == 100
    return time.perf_counter() - start


def test_data_variety():
    with SandboxServer(seed=3, scale=1.0) as s:
        lists = sb(s.url, "/lists")[2]["data"]
        assert len({tuple(x["fields"]) for x in lists}) > 1  # per-list custom fields
        leads = [
            c for x in lists for c in sb(s.url, f"/lists/{x['id']}/leads")[2]["data"]["contacts"]
        ]
        assert any("phone" not in c for c in leads) and any("phone" in c for c in leads)
        assert any(not (c["first_name"] or "").isascii() for c in leads)
        assert any(c["accuracy"] is None for c in leads)
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", lists[0]["last_modified"])
        token = sr_token(s.url)
        columns = set()
        for x in sr(s.url, "/editable-lists/getLists", {"page": 1, "size": 50}, token)[2]["data"]:
            rows = sr(
                s.url,
                "/editable-lists/getListData",
                {"list_id": x["uuid"], "page": 1, "size": 1000},
                token,
            )[2]["data"]
            columns.add(frozenset(k for row in rows for k in row))
            assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", x["updated_at"])
        assert len(columns) > 1
        assert call(s.url, PUBLIC + "/lists")[0] == 401


def test_the_date_header_follows_the_sandbox_clock():
    """A vendor's server dates its answers by the clock its data follows."""
    with SandboxServer(seed=7, scale=0.1) as s:
        before = parsedate_to_datetime(sf(s.url, "/campaigns/list-campaigns")[1]["Date"])
        assert abs((before - s.state.clock.now()).total_seconds()) < 5
        s.control.advance(3 * 86_400)
        after = parsedate_to_datetime(sf(s.url, "/campaigns/list-campaigns")[1]["Date"])
        assert 3 * 86_400 - 5 < (after - before).total_seconds() < 3 * 86_400 + 5
