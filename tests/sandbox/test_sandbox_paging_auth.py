"""Paging boundaries and authentication, as the vendor docs describe them."""

from __future__ import annotations

import time

import pytest
from sandbox_calls import (
    SB_KEY,
    SR_PASS,
    SR_USER,
    call,
    sb,
    sb_legacy,
    sb_pages,
    sr,
    sr_login,
    sr_token,
)

from outreach_sandbox import DEFAULT_SALESFLOW_ACCOUNTS, SandboxServer

BOUNDARIES = {0: [0], 1: [1], 100: [100, 0], 101: [100, 1]}


@pytest.mark.parametrize("n", list(BOUNDARIES))
def test_salesblink_lists_paging(n):
    with SandboxServer(seed=3, scale=0.01, counts={"salesblink.lists": n}) as s:
        sizes, lists = sb_pages(s.url, "/lists")
        assert sizes == BOUNDARIES[n]
        assert [x["id"] for x in lists] == s.control.expected("salesblink", "lists")["keys"]
        created = [x["last_modified"] for x in lists]
        assert created == sorted(created, reverse=True)  # latest first
        assert all({"email", "first_name", "last_name"} <= set(x["fields"]) for x in lists)


@pytest.mark.parametrize("n", list(BOUNDARIES))
def test_salesblink_leads_paging(n):
    counts = {"salesblink.lists": 1, "salesblink.leads_per_list": n}
    with SandboxServer(seed=3, scale=0.01, counts=counts) as s:
        list_id = s.control.expected("salesblink", "lists")["keys"][0]
        status, _, body = sb(s.url, f"/lists/{list_id}/leads?limit=100&skip=0")
        assert body["data"]["total"] == len(body["data"]["contacts"])  # the page, not overall
        sizes, leads = sb_pages(s.url, f"/lists/{list_id}/leads")
        assert sizes == BOUNDARIES[n]
        assert {x["id"] for x in leads} == set(
            s.control.expected("salesblink", "list_leads")["keys"]
        )


@pytest.mark.parametrize("n", list(BOUNDARIES))
@pytest.mark.parametrize("feed", ["sent", "replies"])
def test_salesblink_event_paging_newest_first(n, feed):
    with SandboxServer(seed=3, scale=0.01, counts={f"salesblink.{feed}": n}) as s:
        sizes, events = sb_pages(s.url, f"/{feed}", param="page")
        assert sizes == BOUNDARIES[n]
        keys = [(e["time"], e["id"]) for e in events]
        assert keys == sorted(keys, reverse=True)  # newest first, ties by id descending
        assert [e["id"] for e in events] == sorted(
            s.control.expected("salesblink", feed)["keys"], reverse=True
        )
        if feed == "replies" and events:
            assert "template_name" in events[0]


def test_salesblink_sequences_users_and_bad_params():
    with SandboxServer(seed=3, scale=0.01, counts={"salesblink.sequences": 3}) as s:
        sizes, seqs = sb_pages(s.url, "/sequences", size=2)
        assert sizes == [2, 1]
        status, _, stats = sb(s.url, f"/sequences/{seqs[0]['id']}/stats?from=1&to=2&sender=x")
        assert status == 200 and set(stats["data"]) >= {"leads", "sent", "opens", "link_clicks"}
        assert sb(s.url, "/users?limit=1")[2]["data"]  # limit/skip ignored, no paging
        for bad in ("/lists?limit=101", "/sent?per_page=101", "/lists?skip=abc", "/sent?page=x"):
            status, _, body = sb(s.url, bad)
            assert status == 400 and body["success"] is False, bad
        status, _, body = sb(s.url, "/nope")
        assert status == 404 and body == {"success": False, "message": "Not found"}
        assert sb(s.url, "/sequences/unknown/stats")[0] == 404


def test_salesblink_legacy_endpoints():
    with SandboxServer(seed=3, scale=0.2, counts={"salesblink.campaigns": 4}) as s:
        status, _, body = sb_legacy(s.url, "/campaigns")
        assert status == 200 and body["success"] is True and body["error"] is False
        campaigns = body["data"]
        assert {type(c["created_at"]) for c in campaigns} == {int, str}  # ms, sometimes a string
        prospects = sb_legacy(s.url, f"/prospects/{campaigns[0]['campaignID']}")[2]["data"]
        assert prospects and all("First Name" in p and "Email" in p for p in prospects)
        team = sb_legacy(s.url, "/my-team")[2]["data"]
        assert {m["email"] for m in team} == set(
            s.control.expected("salesblink", "team_members")["keys"]
        )


@pytest.mark.parametrize(("n", "sizes"), [(0, [0]), (1, [1]), (10, [10, 0]), (11, [10, 1])])
def test_salesrocks_get_lists_paging(n, sizes):
    with SandboxServer(seed=3, scale=0.01, counts={"salesrocks.lists": n}) as s:
        token = sr_token(s.url)
        got, seen, page = [], [], 1
        while True:
            status, _, body = sr(
                s.url, "/editable-lists/getLists", {"page": page, "size": 10}, token
            )
            assert status == 200 and body["status"] == "success" and body["status_code"] == 200
            got.append(len(body["data"]))
            seen += [x["uuid"] for x in body["data"]]
            if len(body["data"]) < 10:
                break
            page += 1
        assert got == sizes
        assert seen == s.control.expected("salesrocks", "lists")["keys"]


@pytest.mark.parametrize(("n", "sizes"), [(0, [0]), (1, [1]), (50, [50, 0]), (51, [50, 1])])
def test_salesrocks_get_list_data_paging(n, sizes):
    counts = {"salesrocks.lists": 1, "salesrocks.rows_per_list": n}
    with SandboxServer(seed=3, scale=0.01, counts=counts) as s:
        token = sr_token(s.url)
        uuid = s.control.expected("salesrocks", "lists")["keys"][0]
        got, seen, page = [], [], 1
        while True:
            status, _, body = sr(
                s.url,
                "/editable-lists/getListData",
                {"list_id": uuid, "page": page, "size": 50},
                token,
            )
            assert status == 200 and body["message"] == "List data was successfully read."
            got.append(len(body["data"]))
            seen += [row["_id"]["$oid"] for row in body["data"]]
            if len(body["data"]) < 50:
                break
            page += 1
        assert got == sizes
        assert seen == s.control.expected("salesrocks", "list_data")["keys"]  # insertion order


def test_salesrocks_bad_requests():
    with SandboxServer(seed=3, scale=0.05) as s:
        token = sr_token(s.url)
        status, _, body = sr(s.url, "/editable-lists/getLists", {"page": 1, "size": 1001}, token)
        assert status == 400 and body["error"]["status_code"] == 400
        status, _, body = sr(s.url, "/editable-lists/getListData", {"list_id": "nope"}, token)
        assert status == 404 and body["error"]["status_code"] == 404
        status, _, body = sr(
            s.url, "/drip-campaign/getCampaignStatistics", {"campaign_id": 101}, token
        )
        assert status == 200 and body["data"]["campaign_name"]
        assert (
            sr(s.url, "/drip-campaign/getCampaignStatistics", {"campaign_id": 99}, token)[0] == 404
        )


# -- auth ----------------------------------------------------------------------------------------


def test_salesblink_auth():
    with SandboxServer(seed=3, scale=0.01) as s:
        for key in (None, "wrong", f"Bearer {SB_KEY}"):
            status, _, body = sb(s.url, "/lists", key=key)
            assert status == 401 and body == {"success": False, "message": "Invalid API key"}
        assert sb(s.url, "/lists")[0] == 200
        s.control.configure(salesblink_keys=["another"])
        assert sb(s.url, "/lists")[0] == 401
        assert sb(s.url, "/lists", key="another")[0] == 200


def test_salesflow_auth():
    with SandboxServer(seed=3, scale=0.01) as s:
        own, other = DEFAULT_SALESFLOW_ACCOUNTS["41001"], DEFAULT_SALESFLOW_ACCOUNTS["41002"]
        denied = {"Message": "Authorization has been denied for this request."}
        base = "/salesflow/api/webhooks/list"
        for query in (
            "?accountId=41001",
            f"?accountId=41001&token={own}x",
            f"?accountId=41001&token={other}",
            f"?token={own}",
        ):
            assert call(s.url, base + query)[::2] == (401, denied), query
        assert call(s.url, f"{base}?accountId=41001&token={own}")[0] == 200
        status, _, accounts = call(s.url, f"/salesflow/api/accounts/list-accounts?token={other}")
        assert status == 200 and [a["Id"] for a in accounts] == [41002]
        assert call(s.url, "/salesflow/api/accounts/list-accounts?token=nope")[0] == 401


def test_salesrocks_auth_and_expiry():
    with SandboxServer(seed=3, scale=0.01, token_lifetime_s=0.2) as s:
        status, _, body = sr_login(s.url, password="nope")
        assert status == 401 and body["error"]["message"] == "Invalid username or password"
        assert sr_login(s.url, username="someone@else")[0] == 401
        status, _, body = sr_login(s.url)
        assert body["token_type"] == "Bearer" and body["expires_in"] == 0.2
        token = body["access_token"]
        assert token.count(".") == 2  # a JWT
        assert sr(s.url, "/editable-lists/getLists", {"page": 1, "size": 1}, token)[0] == 200
        no_header = call(
            s.url, "/salesrocks/editable-lists/getLists", method="POST", body={"page": 1, "size": 1}
        )
        assert no_header[0] == 401
        assert sr(s.url, "/editable-lists/getLists", {"page": 1, "size": 1}, "bogus")[0] == 401
        time.sleep(0.25)
        status, _, body = sr(s.url, "/editable-lists/getLists", {"page": 1, "size": 1}, token)
        assert status == 401 and body["error"] == {"status_code": 401, "message": "Token expired"}
        assert (
            sr(s.url, "/editable-lists/getLists", {"page": 1, "size": 1}, sr_token(s.url))[0] == 200
        )
        assert token in s.control.issued_tokens()


def test_salesrocks_token_field_is_configurable():
    with SandboxServer(seed=3, scale=0.01, salesrocks_token_field="AccessToken") as s:
        status, _, body = call(
            s.url,
            "/salesrocks/auth/accessToken",
            method="POST",
            body={"username": SR_USER, "password": SR_PASS},
        )
        assert status == 200 and "AccessToken" in body and "access_token" not in body
