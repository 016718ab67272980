"""The sandbox follows the vendor docs: paging, auth, rate limits, faults, clock, determinism."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request

import pytest

from outreach_sandbox import (
    DEFAULT_SALESBLINK_KEYS,
    DEFAULT_SALESFLOW_ACCOUNTS,
    DEFAULT_SALESROCKS_USERS,
    SandboxServer,
)

SB_KEY = DEFAULT_SALESBLINK_KEYS[0]
SR_USER, SR_PASS = next(iter(DEFAULT_SALESROCKS_USERS.items()))
PUBLIC = "/salesblink/api/public/v1.0.0"


def call(url, path, *, method="GET", headers=None, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def sb(url, path):
    return call(url, PUBLIC + path, headers={"Authorization": SB_KEY})


def sf(url, path, account="41001"):
    token = DEFAULT_SALESFLOW_ACCOUNTS[account]
    sep = "&" if "?" in path else "?"
    return call(url, f"/salesflow/api{path}{sep}accountId={account}&token={token}")


def sr_token(url):
    _, _, body = call(url, "/salesrocks/auth/accessToken", method="POST",
                      body={"username": SR_USER, "password": SR_PASS})  # fmt: skip
    return body["access_token"]


def sr(url, path, body, token):
    return call(url, "/salesrocks" + path, method="POST", body=body,
                headers={"Authorization": f"Bearer {token}"})  # fmt: skip


@pytest.fixture
def server():
    with SandboxServer(seed=3, scale=1.0) as s:
        yield s


@pytest.mark.parametrize("n", [0, 1, 100, 101])
def test_salesblink_list_paging_boundaries(n):
    with SandboxServer(
        seed=3, counts={"salesblink.lists": n or 1, "salesblink.leads_per_list": n}
    ) as s:
        list_id = s.control.expected("salesblink", "lists")["keys"][0]
        pages = []
        skip = 0
        while True:
            status, _, body = sb(s.url, f"/lists/{list_id}/leads?limit=100&skip={skip}")
            assert status == 200
            contacts = body["data"]["contacts"]
            assert body["data"]["total"] == len(contacts)  # the page size, not the overall count
            pages.append(len(contacts))
            if len(contacts) < 100:
                break
            skip += 100
        assert sum(pages) == n
        assert pages == {0: [0], 1: [1], 100: [100, 0], 101: [100, 1]}[n]


@pytest.mark.parametrize("n", [0, 1, 100, 101])
def test_salesblink_event_paging_boundaries_newest_first(n):
    with SandboxServer(seed=3, counts={"salesblink.sent": n}) as s:
        seen = []
        page = 1
        while True:
            status, _, events = sb(s.url, f"/sent?per_page=100&page={page}")
            assert status == 200 and isinstance(events, list)
            seen += events
            if len(events) < 100:
                break
            page += 1
        times = [e["time"] for e in seen]
        assert times == sorted(times, reverse=True)
        assert (
            len({e["id"] for e in seen})
            == len(seen)
            == s.control.expected("salesblink", "sent")["count"]
        )


def test_salesblink_time_filters(server):
    _, _, events = sb(server.url, "/sent?per_page=100")
    newest, oldest = events[0]["time"], events[-1]["time"]
    _, _, since = sb(server.url, f"/sent?per_page=100&since={oldest}")
    assert all(e["time"] > oldest for e in since)
    _, _, window = sb(server.url, f"/sent?per_page=100&from={oldest}&to={newest}")
    assert {e["id"] for e in window} == {e["id"] for e in events}
    status, _, body = sb(server.url, "/sent?per_page=101")
    assert status == 400 and body["success"] is False


def test_salesrocks_paging_boundaries():
    for n, sizes in {0: [0], 1: [1], 50: [50, 0], 51: [50, 1]}.items():
        with SandboxServer(seed=3, counts={"salesrocks.rows_per_list": n}) as s:
            token = sr_token(s.url)
            _, _, lists = sr(s.url, "/editable-lists/getLists", {"page": 1, "size": 50}, token)
            uuid = lists["data"][0]["uuid"]
            got, page = [], 1
            while True:
                _, _, body = sr(s.url, "/editable-lists/getListData",
                                {"list_id": uuid, "page": page, "size": 50}, token)  # fmt: skip
                got.append(len(body["data"]))
                if len(body["data"]) < 50:
                    break
                page += 1
            assert got == sizes


def test_auth_failures(server):
    url = server.url
    assert call(url, PUBLIC + "/lists")[0] == 401
    assert call(url, PUBLIC + "/lists", headers={"Authorization": "wrong"})[0] == 401
    assert call(url, PUBLIC + "/lists", headers={"Authorization": f"Bearer {SB_KEY}"})[0] == 401
    other = DEFAULT_SALESFLOW_ACCOUNTS["41002"]
    status, _, body = call(
        url, f"/salesflow/api/campaigns/list-campaigns?accountId=41001&token={other}"
    )
    assert status == 401 and "denied" in body["Message"]
    status, _, body = call(url, "/salesrocks/auth/accessToken", method="POST",
                           body={"username": SR_USER, "password": "nope"})  # fmt: skip
    assert status == 401 and body["error"]["message"] == "Invalid username or password"
    assert sr(url, "/editable-lists/getLists", {"page": 1, "size": 1}, "bogus")[0] == 401


def test_salesrocks_tokens_expire_and_field_name_is_configurable():
    with SandboxServer(seed=3, token_lifetime_s=0.3, salesrocks_token_field="AccessToken") as s:
        _, _, body = call(s.url, "/salesrocks/auth/accessToken", method="POST",
                          body={"username": SR_USER, "password": SR_PASS})  # fmt: skip
        token = body["AccessToken"]
        assert sr(s.url, "/editable-lists/getLists", {"page": 1, "size": 1}, token)[0] == 200
        time.sleep(0.4)
        status, _, body = sr(s.url, "/editable-lists/getLists", {"page": 1, "size": 1}, token)
        assert status == 401 and body["error"]["message"] == "Token expired"


def test_salesblink_rate_limit_with_retry_after():
    with SandboxServer(seed=3, rate_limits=True, time_scale=120) as s:  # a minute is 0.5 s
        statuses = [sb(s.url, "/users") for _ in range(31)]
        assert [st for st, _, _ in statuses[:30]] == [200] * 30
        status, headers, body = statuses[30]
        assert status == 429 and int(headers["Retry-After"]) >= 1
        assert body["success"] is False
        time.sleep(0.55)
        assert sb(s.url, "/users")[0] == 200
        assert s.control.stats()["rate_limited"]["salesblink"] == 1


@pytest.mark.parametrize("kind", ["500", "502", "503", "401", "429", "429_no_retry_after"])
def test_status_faults(server, kind):
    server.control.add_faults([{"vendor": "salesblink", "path": "/users", "kind": kind}])
    status, headers, body = sb(server.url, "/users")
    assert status == int(kind[:3])
    assert ("Retry-After" in headers) == (kind == "429")
    assert sb(server.url, "/users")[0] == 200  # one fault, then normal service


def test_body_faults(server):
    server.control.add_faults([
        {"vendor": "salesblink", "path": "/users", "kind": "html_200"},
        {"vendor": "salesblink", "path": "/users", "kind": "success_false"},
        {"vendor": "salesblink", "path": "/users", "kind": "truncated"},
    ])  # fmt: skip
    request = urllib.request.Request(
        server.url + PUBLIC + "/users", headers={"Authorization": SB_KEY}
    )
    with urllib.request.urlopen(request) as response:
        assert response.read().startswith(b"<!DOCTYPE html>")
    status, _, body = sb(server.url, "/users")
    assert status == 200 and body["success"] is False
    with urllib.request.urlopen(request) as response, pytest.raises(ValueError):
        json.loads(response.read())


def test_connection_faults(server):
    server.control.add_faults([
        {"vendor": "salesblink", "path": "/users", "kind": "reset"},
        {"vendor": "salesblink", "path": "/users", "kind": "reset_mid_body"},
        {"vendor": "salesblink", "path": "/users", "kind": "timeout", "seconds": 1.0},
    ])  # fmt: skip
    for _ in range(2):
        with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
            sb(server.url, "/users")
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        call(server.url, PUBLIC + "/users", headers={"Authorization": SB_KEY}, timeout=0.3)
    assert sb(server.url, "/users")[0] == 200


def test_paging_faults(server):
    _, _, page2 = sb(server.url, "/sent?per_page=100&page=2")
    _, _, page1 = sb(server.url, "/sent?per_page=100&page=1")
    server.control.add_faults([
        {"vendor": "salesblink", "path": "/sent", "kind": "empty_page"},
        {"vendor": "salesblink", "path": "/sent", "kind": "duplicate_boundary"},
    ])  # fmt: skip
    assert sb(server.url, "/sent?per_page=100&page=2")[2] == []
    duplicated = sb(server.url, "/sent?per_page=100&page=2")[2]
    assert duplicated[0] == page1[-1] and duplicated[1:] == page2


def test_salesrocks_expire_token_and_shift_faults(server):
    token = sr_token(server.url)
    _, _, lists = sr(server.url, "/editable-lists/getLists", {"page": 1, "size": 5}, token)
    uuid = lists["data"][0]["uuid"]
    _, _, before = sr(
        server.url, "/editable-lists/getListData", {"list_id": uuid, "page": 1, "size": 5}, token
    )
    server.control.add_faults([
        {"vendor": "salesrocks", "path": "getListData", "kind": "shift_insert", "count": 2},
        {"vendor": "salesrocks", "path": "getListData", "kind": "expire_token"},
    ])  # fmt: skip
    _, _, shifted = sr(
        server.url, "/editable-lists/getListData", {"list_id": uuid, "page": 1, "size": 5}, token
    )
    assert shifted["data"][2:] == before["data"][:3]
    assert sr(server.url, "/editable-lists/getLists", {"page": 1, "size": 1}, token)[0] == 200
    assert (
        sr(
            server.url,
            "/editable-lists/getListData",
            {"list_id": uuid, "page": 1, "size": 5},
            token,
        )[0]
        == 401
    )
    assert sr(server.url, "/editable-lists/getLists", {"page": 1, "size": 1}, token)[0] == 401


def test_clock_advance_adds_and_changes_records(server):
    ctl = server.control
    sent_before = set(ctl.expected("salesblink", "sent")["keys"])
    _, _, members = sf(server.url, "/members/list-contacts-by-accountid")
    ctl.advance(86_400)
    sent_after = set(ctl.expected("salesblink", "sent")["keys"])
    assert sent_before < sent_after
    _, _, events = sb(server.url, "/sent?per_page=100")
    assert {e["id"] for e in events} & (sent_after - sent_before)
    _, _, changed = sf(server.url, "/members/list-contacts-by-accountid?updatedFromDate=2026-11-01")
    old = {m["MemberId"]: m["LastModifiedAt"] for m in members}
    modified = [m for m in changed if old.get(m["MemberId"]) != m["LastModifiedAt"]]
    assert len(modified) >= len(members) // 20  # changed and new members are all there
    assert len(changed) < len(members)
    _, _, none = sf(server.url, "/members/list-contacts-by-accountid?updatedFromDate=2030-01-01")
    assert none == []


def test_salesflow_timestamps_are_dotnet_with_offsets(server):
    _, _, members = sf(server.url, "/members/list-contacts-by-accountid")
    stamps = [m["LastModifiedAt"] for m in members]
    assert all(len(s.split(".")[1]) == len("5905705+00:00") for s in stamps)
    assert {s[-6:] for s in stamps} >= {"+00:00", "+02:00", "-05:00"}
    assert sf(server.url, "/statistics/GetCampaignStatistics?campaignId=1")[2] is None
    assert (
        sf(server.url, "/statistics/GetCampaignStatistics?campaignId=1&isForceRequest=true")[2][
            "CampaignId"
        ]
        == 1
    )


def test_same_seed_same_data():
    with SandboxServer(seed=9) as a, SandboxServer(seed=9) as b, SandboxServer(seed=10) as c:
        assert sb(a.url, "/sent?per_page=50") == sb(b.url, "/sent?per_page=50")
        assert sf(a.url, "/members/list-contacts-by-accountid") == sf(
            b.url, "/members/list-contacts-by-accountid"
        )
        assert sb(a.url, "/lists")[2] != sb(c.url, "/lists")[2]


def test_request_log_masks_secrets(server):
    sf(server.url, "/webhooks/list")
    sr_token(server.url)
    log = json.dumps(server.control.requests())
    assert DEFAULT_SALESFLOW_ACCOUNTS["41001"] not in log
    assert SR_PASS not in log
    assert server.control.served()["salesflow"]["webhooks"] == 3
