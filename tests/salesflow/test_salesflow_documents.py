"""tap-salesflow against what Salesflow's doc says, leaves open or contradicts (issue 13):
undocumented paths, accounts listed by a token, `Status` as number or name, the doc's date
shapes with no record lost at the bookmark's second, numeric account ids."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from support import run_tap
from test_tap_salesflow import KEY_FIELDS, TOKENS, config  # one source for keys and config

from outreach_sandbox import SandboxServer
from outreach_sandbox.modes import MEMBER_STATUS_NAMES
from outreach_sandbox.salesflow import dotnet
from tap_salesflow import since
from tap_salesflow.enums import CodeReader

KEYS = KEY_FIELDS


def landed(run, stream: str) -> list[tuple[str, ...]]:
    return [tuple(str(r[f])[:19] for f in KEYS[stream]) for r in run.records(stream)]


def expected(server: SandboxServer, stream: str) -> set[tuple[str, ...]]:
    keys = server.control.expected("salesflow", stream)["keys"]
    return {tuple(str(p)[:19] for p in (k if isinstance(k, list) else [k])) for k in keys}


def assert_exact(run, server: SandboxServer, streams=tuple(KEYS)) -> None:
    for stream in streams:
        got = landed(run, stream)
        assert len(got) == len(set(got)), f"{stream}: a key twice"
        assert set(got) == expected(server, stream), stream


def test_404_on_undocumented_paths_skips_those_streams_only():
    with SandboxServer(seed=61, scale=0.2, modes={"salesflow_undocumented": "404"}) as server:
        run = run_tap("tap-salesflow", config(server.url))
        assert run.returncode == 0, run.stderr[-2000:]
        assert not run.records("accounts") and not run.records("webhooks")
        assert_exact(run, server)  # accounts and webhooks: expected empty, the rest complete
        warnings = [line for line in run.stderr.splitlines() if "HTTP 404" in line]
        assert len(warnings) == 4  # two streams, two accounts
        assert all("WARNING" in w and "not in Salesflow's API documentation" in w for w in warnings)
        assert "Traceback" not in run.stderr


def test_accounts_listed_by_one_token_do_not_collapse():
    with SandboxServer(seed=62, scale=0.1, modes={"salesflow_token_lists": "all"}) as server:
        run = run_tap("tap-salesflow", config(server.url))
        assert run.returncode == 0, run.stderr[-2000:]
        assert sorted(landed(run, "accounts")) == [
            ("41001", "41001"),
            ("41001", "41002"),
            ("41002", "41001"),
            ("41002", "41002"),
        ]
        assert_exact(run, server, ("accounts",))


def test_status_as_names_and_run_on_as_numbers_land_as_documented():
    modes = {"salesflow_member_status": "name", "salesflow_webhook_run_on": "number"}
    with SandboxServer(seed=63, scale=0.2, modes=modes) as server:
        run = run_tap("tap-salesflow", config(server.url))
        assert run.returncode == 0, run.stderr[-2000:]
        assert_exact(run, server, ("members", "webhooks"))
        sf = server.state.vendors["salesflow"]
        truth = {
            (a, str(m["MemberId"])): m["Status"]
            for a, acct in sf.accounts.items()
            for m in acct.members.values()
        }
        got = {
            (r["account_id"], str(r["MemberId"])): (r["Status"], r["StatusName"])
            for r in run.records("members")
        }
        assert got == {k: (v, MEMBER_STATUS_NAMES[v]) for k, v in truth.items()}
        hooks = {
            (a, h["Id"]): [c["RunOn"] for c in h["AttachedWebhookCampaigns"]]
            for a, acct in sf.accounts.items()
            for h in acct.webhooks
        }
        assert {
            (r["account_id"], r["Id"]): [c["RunOn"] for c in r["AttachedWebhookCampaigns"]]
            for r in run.records("webhooks")
        } == hooks
        assert "WARNING" not in "".join(x for x in run.stderr.splitlines() if "Status" in x)


def test_numbers_land_the_same_without_modes():
    with SandboxServer(seed=63, scale=0.1) as server:
        run = run_tap("tap-salesflow", config(server.url))
        assert run.returncode == 0, run.stderr[-2000:]
        member = run.records("members")[0]
        assert isinstance(member["Status"], int)
        assert member["StatusName"] == MEMBER_STATUS_NAMES[member["Status"]]


def test_unknown_codes_are_kept_and_named_once():
    logger = logging.getLogger("test-codes")
    reader = CodeReader("members", "Status", logger)
    rows = [
        {"Status": "MEMBER_SNOOZED"},
        {"Status": "MEMBER_SNOOZED"},
        {"Status": 4096},
        {"Status": "4"},
        {"Status": " member_connected "},
        {"Status": None},
        {},
    ]
    warned: list[str] = []
    logger.warning = lambda msg, *args: warned.append(msg % args)  # type: ignore[method-assign]
    for row in rows:
        reader.member_status(row)
    assert rows[0] == {"Status": None, "StatusName": "MEMBER_SNOOZED"}
    assert rows[2] == {"Status": 4096, "StatusName": None}
    assert rows[3] == {"Status": 4, "StatusName": "MEMBER_CONNECTED"}
    assert rows[4] == {"Status": 4, "StatusName": "member_connected"}
    assert rows[5] == {"Status": None, "StatusName": None} and rows[6] == {}
    assert len(warned) == 2 and "'MEMBER_SNOOZED'" in warned[0] and "4096" in warned[1]
    hooks = [{"RunOn": 1}, {"RunOn": "7"}, {"RunOn": 9}, {"RunOn": "FOLLOW_UP"}]
    runs = CodeReader("webhooks", "RunOn", logger)
    for hook in hooks:
        runs.run_on(hook)
    assert [h["RunOn"] for h in hooks] == [
        "MEMBER_CONNECTED",
        "INVITATION_WITHDRAWN",
        "9",
        "FOLLOW_UP",
    ]


def test_bounds_are_sent_in_the_documented_shapes_rounded_down():
    bookmark = since.instant("2026-10-31T23:59:59.0000001Z")
    assert bookmark == (datetime(2026, 10, 31, 23, 59, 59, tzinfo=timezone.utc), 100)
    assert since.updated_from_date(bookmark) == "2026-10-31 23:59:58"
    assert since.from_date(bookmark) == "2026-10-30"
    assert since.instant("2026-10-31T23:59:59.1+02:00") < since.instant("2026-10-31T22:00:00Z")
    assert since.instant("2026-10-31T21:59:59.9Z") > since.instant("2026-10-31T21:59:59.1234567Z")
    assert since.instant("not a time") is None and since.instant(None) is None


def test_documented_date_shapes_lose_nothing_at_the_bookmark_second():
    """Bookmark at second S + .5: a member changed at S + .7 lands, the ones at S + .5 (the
    bookmark) and S + .3 (landed before it) do not come again, no request has a fraction."""
    modes = {"salesflow_date_params": "documented"}
    with SandboxServer(seed=64, scale=0.2, modes=modes) as server:
        members = list(server.state.vendors["salesflow"].accounts["41001"].members.values())
        newest = max(since.instant(m["LastModifiedAt"]) for m in members)[0]
        second = newest + timedelta(seconds=10)
        with server.state.lock:  # the account's newest change, at S + .5 ...
            members[0]["LastModifiedAt"] = dotnet(second + timedelta(milliseconds=500), 0, True)
            members[2]["LastModifiedAt"] = dotnet(second + timedelta(milliseconds=300), 0, True)
        first = run_tap("tap-salesflow", config(server.url))
        assert first.returncode == 0, first.stderr[-2000:]
        assert_exact(first, server, ("members", "incoming_messages"))
        state = first.last_state
        mark = next(
            p
            for p in state["bookmarks"]["members"]["partitions"]
            if p["context"] == {"account_id": "41001"}
        )["replication_key_value"]
        assert mark == f"{second:%Y-%m-%dT%H:%M:%S}.5000000Z"
        with server.state.lock:  # ... then another changes within that same second
            members[1]["LastModifiedAt"] = dotnet(second + timedelta(milliseconds=700), 0, True)
        server.control.clear_requests()
        again = run_tap("tap-salesflow", config(server.url), state=state)
        assert again.returncode == 0, again.stderr[-2000:]
        got = [r["MemberId"] for r in again.records("members")]
        assert got == [members[1]["MemberId"]], "S + .7 lands; S + .5 and S + .3 not again"
        assert "2 record(s) of account 41001 with LastModifiedAt at or before" in again.stderr
        sent = [
            r["query"]
            for r in server.control.requests()
            if r["path"].startswith(("/members/", "/messaging/"))
        ]
        assert f"{second - timedelta(seconds=1):%Y-%m-%d %H:%M:%S}" in {
            q.get("updatedFromDate") for q in sent
        }
        assert all(len(q["from"]) == 10 for q in sent if "from" in q)
        messages = again.records("incoming_messages")
        marks = {
            p["context"]["account_id"]: p["replication_key_value"]
            for p in state["bookmarks"]["incoming_messages"]["partitions"]
        }
        assert {(r["account_id"], r["ReceivedAt"]) for r in messages} == set(marks.items()), (
            "only the newest message of each account comes again (from is inclusive)"
        )


@pytest.mark.parametrize("ids", ["numbers", "strings"])
def test_account_ids_as_numbers_or_text(ids):
    accounts = [
        {"account_id": int(a) if ids == "numbers" else a, "token": t} for a, t in TOKENS.items()
    ]
    with SandboxServer(seed=65, scale=0.1) as server:
        run = run_tap("tap-salesflow", {**config(server.url), "accounts": accounts})
        assert run.returncode == 0, run.stderr[-2000:]
        assert_exact(run, server, ("accounts", "campaigns", "members"))
        single = {k: v for k, v in config(server.url).items() if k != "accounts"}
        one = run_tap("tap-salesflow", {**single, "account_id": 41001, "token": TOKENS["41001"]})
        assert one.returncode == 0, one.stderr[-2000:]
        assert {r["account_id"] for r in one.records("campaigns")} == {"41001"}
