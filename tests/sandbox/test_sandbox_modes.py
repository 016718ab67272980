"""Sandbox modes: behaviours the vendor documents leave open, switched by `modes`."""

from __future__ import annotations

import pytest
from sandbox_calls import call, sb, sf, sr, sr_token

from outreach_sandbox import DEFAULT_SALESFLOW_ACCOUNTS, SandboxServer
from outreach_sandbox.modes import MEMBER_STATUS_NAMES, RUN_ON_NUMBERS


def test_modes_are_validated_listed_and_kept_across_a_reset():
    with SandboxServer(seed=7, scale=0.1) as s:
        assert s.control.config()["modes"]["salesrocks_max_size"] is None
        s.control.configure(modes={"salesrocks_max_size": 7})
        s.control.configure(modes={"salesflow_undocumented": "404"})  # the others are kept
        s.control.reset(seed=8, scale=0.1)
        modes = s.control.config()["modes"]
        assert modes["salesrocks_max_size"] == 7 and modes["salesflow_undocumented"] == "404"
        for bad in (
            {"nope": 1},
            {"salesrocks_max_size": 0},
            {"salesflow_member_status": "x"},
            {"salesrocks_max_size": True},
        ):
            status, _, body = call(s.url, "/_sandbox/config", method="POST", body={"modes": bad})
            assert status == 400 and "mode" in body["error"], bad


def test_salesrocks_size_cap_pages_in_capped_steps():
    with SandboxServer(
        seed=7,
        scale=0.1,
        counts={"salesrocks.rows_per_list": 23},
        modes={"salesrocks_max_size": 10},
    ) as s:
        token = sr_token(s.url)
        uuid = s.control.expected("salesrocks", "lists")["keys"][0]
        truth = [r["_id"]["$oid"] for r in s.state.vendors["salesrocks"].rows[uuid]]
        pages = []
        for page in range(1, 5):
            body = {"list_id": uuid, "page": page, "size": 100}
            status, _, reply = sr(s.url, "/editable-lists/getListData", body, token)
            assert status == 200
            pages.append([r["_id"]["$oid"] for r in reply["data"]])
        assert [len(p) for p in pages] == [10, 10, 3, 0]  # no error, no hint: just fewer rows
        assert [oid for p in pages for oid in p] == truth
        status, _, reply = sr(s.url, "/editable-lists/getLists", {"page": 1, "size": 100}, token)
        assert status == 200 and len(reply["data"]) == 1


def test_salesrocks_size_cap_may_step_offsets_by_the_size_asked():
    modes = {"salesrocks_max_size": 10, "salesrocks_cap_offsets": "asked"}
    counts = {"salesrocks.lists": 1, "salesrocks.rows_per_list": 45}
    with SandboxServer(seed=7, scale=1, counts=counts, modes=modes) as s:
        token = sr_token(s.url)
        uuid = s.control.expected("salesrocks", "lists")["keys"][0]
        truth = [r["_id"]["$oid"] for r in s.state.vendors["salesrocks"].rows[uuid]]
        pages = []
        for page in (1, 2, 3):
            body = {"list_id": uuid, "page": page, "size": 20}
            pages.append(sr(s.url, "/editable-lists/getListData", body, token)[2]["data"])
        assert [[r["_id"]["$oid"] for r in p] for p in pages] == [
            truth[:10],
            truth[20:30],
            truth[40:],
        ]
        one = sr(
            s.url, "/editable-lists/getListData", {"list_id": uuid, "page": 11, "size": 1}, token
        )
        assert [r["_id"]["$oid"] for r in one[2]["data"]] == [truth[10]]  # below the cap: exact


def test_salesblink_sequences_need_send_all_for_archived_ones():
    with SandboxServer(seed=42, scale=1) as s:
        sequences = s.state.vendors["salesblink"].sequences
        archived = {x["id"] for x in sequences if x["archived"]}
        assert archived, "the seed has archived sequences"
        plain = {x["id"] for x in sb(s.url, "/sequences")[2]["data"]}
        every = {x["id"] for x in sb(s.url, "/sequences?sendAll=true")[2]["data"]}
        assert plain == {x["id"] for x in sequences} - archived
        assert (
            every
            == {x["id"] for x in sequences}
            == set(s.control.expected("salesblink", "sequences")["keys"])
        )
        lists = sb(s.url, "/lists")[2]["data"]
        assert any(x["archived"] for x in lists), "archived lists are listed without a flag"


def test_salesblink_users_empty_for_a_non_admin_key():
    with SandboxServer(seed=7, scale=0.2, modes={"salesblink_key_role": "user"}) as s:
        status, _, body = sb(s.url, "/users")
        assert (status, body) == (200, {"success": True, "data": []})
        assert s.control.expected("salesblink", "users") == {"count": 0, "keys": []}


def test_salesflow_undocumented_paths_answer_404():
    with SandboxServer(seed=7, scale=0.1, modes={"salesflow_undocumented": "404"}) as s:
        token = DEFAULT_SALESFLOW_ACCOUNTS["41001"]
        assert call(s.url, f"/salesflow/api/accounts/list-accounts?token={token}")[0] == 404
        assert sf(s.url, "/webhooks/list")[0] == 404
        assert sf(s.url, "/campaigns/list-campaigns")[0] == 200
        for stream in ("accounts", "webhooks"):
            assert s.control.expected("salesflow", stream)["count"] == 0


def test_salesflow_agency_token_lists_every_account():
    with SandboxServer(seed=7, scale=0.1, modes={"salesflow_token_lists": "all"}) as s:
        token = DEFAULT_SALESFLOW_ACCOUNTS["41001"]
        listed = call(s.url, f"/salesflow/api/accounts/list-accounts?token={token}")[2]
        assert sorted(a["Id"] for a in listed) == [41001, 41002]
        keys = s.control.expected("salesflow", "accounts")["keys"]
        assert sorted(keys) == [
            ["41001", 41001],
            ["41001", 41002],
            ["41002", 41001],
            ["41002", 41002],
        ]


def test_salesflow_status_names_and_run_on_numbers():
    modes = {"salesflow_member_status": "name", "salesflow_webhook_run_on": "number"}
    with SandboxServer(seed=7, scale=0.1, modes=modes) as s:
        truth = s.state.vendors["salesflow"].accounts["41001"]
        members = sf(s.url, "/members/list-contacts-by-accountid")[2]
        assert {m["MemberId"]: m["Status"] for m in members} == {
            m["MemberId"]: MEMBER_STATUS_NAMES[m["Status"]] for m in truth.members.values()
        }
        one = next(iter(truth.members.values()))
        assert (
            sf(s.url, f"/members/{one['MemberId']}")[2]["Status"]
            == MEMBER_STATUS_NAMES[one["Status"]]
        )
        hooks = sf(s.url, "/webhooks/list")[2]
        sent = [c["RunOn"] for h in hooks for c in h["AttachedWebhookCampaigns"]]
        held = [c["RunOn"] for h in truth.webhooks for c in h["AttachedWebhookCampaigns"]]
        assert sent == [RUN_ON_NUMBERS[name] for name in held] and sent
        assert isinstance(one["Status"], int), "the data itself is unchanged"


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("/members/list-contacts-by-accountid?updatedFromDate=2026-10-01 00:00:00", True),
        ("/members/list-contacts-by-accountid?updatedFromDate=2026-10-01T00:00:00.1234567Z", False),
        ("/messaging/incoming-messages-by-accountid?from=2026-10-01", True),
        ("/messaging/incoming-messages-by-accountid?from=2026-10-01T00:00:00Z", False),
        ("/analytics/by-accountid?from=2026-10-01&to=2026-10-02", True),
    ],
)
def test_salesflow_documented_date_shapes_only(path, ok):
    with SandboxServer(seed=7, scale=0.1, modes={"salesflow_date_params": "documented"}) as s:
        status, _, body = sf(s.url, path.replace(" ", "%20"))
        assert (status == 200) is ok, body
        if not ok:
            assert status == 400 and "not a valid date" in body["MessageDetail"]


def test_salesflow_analytics_may_answer_only_the_first_days_of_a_range():
    with SandboxServer(seed=7, scale=0.1, modes={"salesflow_max_window_days": 10}) as s:
        status, _, rows = sf(s.url, "/analytics/by-accountid?from=2026-09-01&to=2026-09-30")
        assert status == 200  # no error, no hint: just fewer days
        assert [r["Date"][:10] for r in rows] == [f"2026-09-{d:02d}" for d in range(1, 11)]
        status, _, rows = sf(s.url, "/analytics/by-accountid?from=2026-09-11&to=2026-09-12")
        assert [r["Date"][:10] for r in rows] == ["2026-09-11", "2026-09-12"]


def test_salesflow_analytics_may_answer_only_the_newest_days_of_a_range():
    modes = {"salesflow_max_window_days": 10, "salesflow_window_keeps": "newest"}
    with SandboxServer(seed=7, scale=0.1, modes=modes) as s:
        status, _, rows = sf(s.url, "/analytics/by-accountid?from=2026-09-01&to=2026-09-30")
        assert status == 200
        assert [r["Date"][:10] for r in rows] == [f"2026-09-{d:02d}" for d in range(21, 31)]
