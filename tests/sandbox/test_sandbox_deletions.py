"""Clock advances delete records (the `deletions` setting) and bring them back (`restore`).

A deleted record is gone as the vendor API shows it: missing from its listing, 404 on its
own endpoints, its children gone with it, missing from the ground truth (`expected`) and
listed by `deleted`. A restoring advance brings every one back, served again.
"""

from __future__ import annotations

import pytest
from sandbox_calls import call, sb, sb_pages, sf, sr, sr_token

from outreach_sandbox import SandboxServer

PLAN = {
    "salesblink.lists": 1,
    "salesblink.leads_per_list": 2,
    "salesblink.sequences": 1,
    "salesflow.campaigns": 1,
    "salesflow.webhooks": 1,
    "salesflow.members": 2,
    "salesrocks.lists": 1,
    "salesrocks.rows_per_list": 3,
}
#: Streams whose keys deletions remove.
STREAMS = [
    ("salesblink", "lists"),
    ("salesblink", "list_leads"),
    ("salesblink", "sequences"),
    ("salesblink", "sequence_stats"),
    ("salesflow", "campaigns"),
    ("salesflow", "campaign_statistics"),
    ("salesflow", "webhooks"),
    ("salesflow", "members"),
    ("salesrocks", "lists"),
    ("salesrocks", "list_data"),
]


def keyset(keys: list) -> set:
    return {tuple(k) if isinstance(k, list) else k for k in keys}


def truth(client, action: str) -> dict[tuple[str, str], set]:
    call_ = client.expected if action == "expected" else client.deleted
    return {(v, s): keyset(call_(v, s)["keys"]) for v, s in STREAMS}


@pytest.fixture
def server():
    with SandboxServer(seed=5, scale=0.3) as s:
        yield s


def test_without_the_setting_an_advance_deletes_nothing(server):
    before = truth(server.control, "expected")
    server.control.advance(86_400)
    after = truth(server.control, "expected")
    for stream, keys in before.items():
        assert keys <= after[stream], stream
    assert all(not keys for keys in truth(server.control, "deleted").values())


def test_an_advance_deletes_as_planned_and_the_ground_truth_follows(server):
    control = server.control
    control.configure(deletions=PLAN)
    before = truth(control, "expected")
    control.advance(86_400)
    after, gone = truth(control, "expected"), truth(control, "deleted")
    for stream in STREAMS:
        assert gone[stream], f"{stream}: nothing deleted"
        assert gone[stream] <= before[stream], f"{stream}: deleted keys that never existed"
        assert not gone[stream] & after[stream], f"{stream}: deleted keys still expected"
        assert before[stream] - gone[stream] <= after[stream], f"{stream}: lost live keys"
    assert len(gone["salesblink", "lists"]) == 1
    assert len(gone["salesblink", "sequences"]) == 1
    assert gone["salesblink", "sequence_stats"] == gone["salesblink", "sequences"]
    assert len(gone["salesflow", "campaigns"]) == 2  # one per account
    assert len(gone["salesflow", "webhooks"]) == 2
    assert gone["salesflow", "campaign_statistics"] == gone["salesflow", "campaigns"]
    assert len(gone["salesflow", "members"]) == 4
    assert len(gone["salesrocks", "lists"]) == 1
    lists_left = len(before["salesrocks", "lists"]) - 1
    deleted_list = next(iter(gone["salesrocks", "lists"]))
    assert len(gone["salesrocks", "list_data"]) >= 3 * lists_left
    assert call(server.url, "/_sandbox/config")[2]["deletions"] == PLAN

    # The API shows the same: listings without them, 404 on their own endpoints.
    listed = {x["id"] for x in sb(server.url, "/lists?limit=100")[2]["data"]}
    assert listed == after["salesblink", "lists"]
    (gone_list,) = gone["salesblink", "lists"]
    assert sb(server.url, f"/lists/{gone_list}/leads")[0] == 404
    leads = set()
    for list_id in listed:
        leads |= {x["id"] for x in sb_pages(server.url, f"/lists/{list_id}/leads")[1]}
    assert leads == after["salesblink", "list_leads"]
    (gone_sequence,) = gone["salesblink", "sequences"]
    assert {x["id"] for x in sb(server.url, "/sequences?sendAll=true")[2]["data"]} == after[
        "salesblink", "sequences"
    ]
    assert sb(server.url, f"/sequences/{gone_sequence}/stats")[0] == 404
    account, campaign = sorted(gone["salesflow", "campaigns"])[0]
    campaigns = sf(server.url, "/campaigns/list-campaigns", account)[2]
    assert campaign not in {c["Id"] for c in campaigns}
    status, _, _ = sf(
        server.url,
        f"/statistics/GetCampaignStatistics?campaignId={campaign}&isForceRequest=true",
        account,
    )
    assert status == 404
    hooks = {
        (a, h["Id"]) for a in ("41001", "41002") for h in sf(server.url, "/webhooks/list", a)[2]
    }
    assert hooks == after["salesflow", "webhooks"]
    token = sr_token(server.url)
    lists = sr(server.url, "/editable-lists/getLists", {"page": 1, "size": 1000}, token)[2]
    assert {x["uuid"] for x in lists["data"]} == after["salesrocks", "lists"]
    body = {"list_id": deleted_list, "page": 1, "size": 1000}
    assert sr(server.url, "/editable-lists/getListData", body, token)[0] == 404


def test_a_restoring_advance_brings_every_deleted_record_back(server):
    control = server.control
    control.configure(deletions=PLAN)
    control.advance(3_600)
    control.advance(3_600)
    gone = truth(control, "deleted")
    control.configure(deletions={})
    control.advance(3_600, restore=True)
    back = truth(control, "expected")
    for stream in STREAMS:
        assert gone[stream] and gone[stream] <= back[stream], stream
    assert all(not keys for keys in truth(control, "deleted").values())
    listed = {x["id"] for x in sb(server.url, "/lists?limit=100")[2]["data"]}
    assert gone["salesblink", "lists"] <= listed
    for sequence in gone["salesblink", "sequences"]:
        assert sb(server.url, f"/sequences/{sequence}/stats")[0] == 200
    lists = {x["id"]: x for x in sb(server.url, "/lists?limit=100")[2]["data"]}
    for list_id, lst in lists.items():
        assert lst["contacts_count"] == len(sb_pages(server.url, f"/lists/{list_id}/leads")[1])


def test_deletions_are_reproducible():
    plans = []
    for _ in range(2):
        with SandboxServer(seed=5, scale=0.3) as s:
            s.control.configure(deletions=PLAN)
            s.control.advance(86_400)
            plans.append(truth(s.control, "deleted"))
    assert plans[0] == plans[1]


@pytest.mark.parametrize(
    "plan",
    [{"salesblink.users": 1}, {"salesblink.lists": -1}, [1]],
)
def test_a_bad_deletions_setting_is_refused(server, plan):
    status, _, body = call(server.url, "/_sandbox/config", method="POST", body={"deletions": plan})
    assert status == 400
    assert "deletions" in body["error"]


def test_deleted_of_an_unknown_stream_is_404(server):
    assert call(server.url, "/_sandbox/deleted/salesblink/nope")[0] == 404
