"""Hostile vendor: what the vendor documents leave open or contradict, as sandbox modes.

Each case runs a tap (at DEBUG) against one mode and scores every default stream against the
sandbox's ground truth: nothing lost, nothing twice, no value different from the truth, no
secret in the output. Rows go to the "Hostile vendor" table of docs/reliability.md.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from report_tables import HOSTILE
from support import TapRun, run_tap
from taps import SALESBLINK, SALESFLOW, SALESROCKS, TapSpec
from test_reliability import DEBUG, _leaks, _score

from outreach_sandbox import SandboxServer
from outreach_sandbox.modes import MEMBER_STATUS_NAMES
from outreach_sandbox.salesflow import dotnet
from tap_salesflow.since import instant

Check = t.Callable[[SandboxServer, list[TapRun]], int]


@dataclass
class Case:
    spec: TapSpec
    mode: str
    server: dict
    #: Landed records whose values differ from the sandbox's (the mode's fields).
    corrupted: Check
    config: dict = field(default_factory=dict)
    #: Before the first run.
    prepare: t.Callable[[SandboxServer], None] | None = None
    #: Between a first run and an incremental one (None: a single run).
    change: t.Callable[[SandboxServer], None] | None = None
    #: A line the run must log (the tap saying what it met).
    says: str = ""


def _list_rows_differ(server: SandboxServer, runs: list[TapRun]) -> int:
    rows = server.state.vendors["salesrocks"].rows
    truth = {r["_id"]["$oid"]: r for lst in rows.values() for r in lst}
    bad = 0
    for record in (r for run in runs for r in run.records("list_data")):
        held = {k: v for k, v in truth[record["id"]].items() if k not in ("_id", "list_id")}
        bad += record["columns"] != held or record["list_id"] != truth[record["id"]]["list_id"]
    return bad


def _sequences_differ(server: SandboxServer, runs: list[TapRun]) -> int:
    truth = {s["id"]: s["archived"] for s in server.state.vendors["salesblink"].sequences}
    return sum(r["archived"] != truth[r["id"]] for run in runs for r in run.records("sequences"))


def _nothing(server: SandboxServer, runs: list[TapRun]) -> int:
    return 0


def _accounts_differ(server: SandboxServer, runs: list[TapRun]) -> int:
    truth = {
        str(a.record["Id"]): a.record for a in server.state.vendors["salesflow"].accounts.values()
    }
    return sum(
        r["FirstName"] != truth[str(r["Id"])]["FirstName"]
        for run in runs
        for r in run.records("accounts")
    )


def _codes_differ(server: SandboxServer, runs: list[TapRun]) -> int:
    accounts = server.state.vendors["salesflow"].accounts
    status = {
        (a, m["MemberId"]): m["Status"] for a, x in accounts.items() for m in x.members.values()
    }
    hooks = {
        (a, h["Id"]): [c["RunOn"] for c in h["AttachedWebhookCampaigns"]]
        for a, x in accounts.items()
        for h in x.webhooks
    }
    bad = 0
    for run in runs:
        for r in run.records("members"):
            number = status[(r["account_id"], r["MemberId"])]
            bad += (r["Status"], r["StatusName"]) != (number, MEMBER_STATUS_NAMES[number])
        for r in run.records("webhooks"):
            bad += [c["RunOn"] for c in r["AttachedWebhookCampaigns"]] != hooks[
                (r["account_id"], r["Id"])
            ]
    return bad


def _members_differ(server: SandboxServer, runs: list[TapRun]) -> int:
    """A member's latest landed `LastModifiedAt` must be the sandbox's current one."""
    latest: dict[tuple, str] = {}
    for run in runs:
        for r in run.records("members"):
            latest[(r["account_id"], r["MemberId"])] = r["LastModifiedAt"]
    accounts = server.state.vendors["salesflow"].accounts
    return sum(
        instant(value) != instant(accounts[a].members[m]["LastModifiedAt"])
        for (a, m), value in latest.items()
    )


def _second_of_the_bookmark(server: SandboxServer, *changes: tuple[int, int]) -> None:
    """Members (by position) change at a millisecond of one second S, just after the
    newest change so far: S + .5 and S + .3 before the first run (S + .5 the bookmark),
    S + .7 after it."""
    members = list(server.state.vendors["salesflow"].accounts["41001"].members.values())
    second = max(instant(m["LastModifiedAt"]) for m in members[3:])[0] + timedelta(seconds=1)
    with server.state.lock:
        for index, ms in changes:
            moment = second + timedelta(milliseconds=ms)
            members[index]["LastModifiedAt"] = dotnet(moment, 0, exact=True)


def _row_deleted_mid_list(server: SandboxServer) -> None:
    """One row of page 2 deleted just before page 3 of 4 is answered (the API documents
    only skip/size paging: a row after it moves back onto page 2, already read)."""
    fault = {"vendor": "salesrocks", "path": "getListData", "kind": "shift_delete"}
    server.control.add_faults([{**fault, "count": 1, "position": 20, "after": 3}])


def _lead_moved_to_the_front(server: SandboxServer) -> None:
    """A lead not read yet moves to the front of its list while page 2 is asked (a list
    sorted by last change): rows already read are pushed onto page 2, the lead is missed."""
    fault = {"vendor": "salesblink", "path": "/leads", "kind": "reorder"}
    server.control.add_faults([{**fault, "position": 300, "after": 1}])


def _lead_deleted_mid_list(server: SandboxServer) -> None:
    """One lead of page 1 deleted just before page 3 of 4 is answered (`skip` is a record
    offset: a lead after it moves back onto page 2, already read)."""
    fault = {"vendor": "salesblink", "path": "/leads", "kind": "shift_delete"}
    server.control.add_faults([{**fault, "count": 1, "position": 20, "after": 2}])


def _list_deleted_mid_read(server: SandboxServer) -> None:
    """A list deleted after page 1 of its leads was read: page 2 answers 404."""
    gone = sorted(server.control.expected("salesblink", "lists")["keys"])[1]
    fault = {"vendor": "salesblink", "path": f"/lists/{gone}/leads", "kind": "delete_parent"}
    server.control.add_faults([{**fault, "after": 1}])


def _rows_list_deleted_mid_read(server: SandboxServer) -> None:
    """The first list read is deleted after its page 1 was answered: getListData 404s."""
    fault = {"vendor": "salesrocks", "path": "getListData", "kind": "delete_parent"}
    server.control.add_faults([{**fault, "after": 2}])


def _lead_rows_differ(server: SandboxServer, runs: list[TapRun]) -> int:
    leads = server.state.vendors["salesblink"].leads
    truth = {lead["id"]: lead for rows in leads.values() for lead in rows}
    return sum(
        r["email"] != truth[r["id"]]["email"] or r["list_id"] != truth[r["id"]]["list_id"]
        for run in runs
        for r in run.records("list_leads")
    )


#: One SalesBlink list read in four pages (limit/skip), for faults between its pages.
ONE_LIST_OF_350_LEADS = {
    "seed": 93,
    "scale": 0.05,
    "counts": {"salesblink.lists": 1, "salesblink.leads_per_list": 350},
}

CASES = [
    Case(
        SALESBLINK,
        "every page at most 40 rows, whatever limit / per_page (100) asks",
        {
            "seed": 97,
            "scale": 0.05,
            "counts": {
                "salesblink.lists": 45,
                "salesblink.leads_per_list": 130,
                "salesblink.sequences": 50,
            },
            "modes": {"salesblink_max_page": 40},
        },
        _lead_rows_differ,
        says="answers at most 40 rows per page",
    ),
    Case(
        SALESROCKS,
        "a list deleted while its rows are read (404, and gone from getLists)",
        {
            "seed": 43,
            "scale": 0.2,
            "counts": {"salesrocks.lists": 4, "salesrocks.rows_per_list": 60},
        },
        _nothing,
        {"page_size": 15, "concurrency": 1},
        prepare=_rows_list_deleted_mid_read,
        says="was deleted during the sync",
    ),
    Case(
        SALESBLINK,
        "a list deleted while its leads are read (404 on them, and on the list)",
        {
            "seed": 95,
            "scale": 0.05,
            "counts": {"salesblink.lists": 4, "salesblink.leads_per_list": 250},
        },
        _nothing,
        prepare=_list_deleted_mid_read,
        says="was deleted during the sync",
    ),
    Case(
        SALESBLINK,
        "a lead not read yet moves to the front mid-read (a list sorted by last change)",
        ONE_LIST_OF_350_LEADS,
        _nothing,
        prepare=_lead_moved_to_the_front,
        says="changed while it was read (pass 1)",
    ),
    Case(
        SALESBLINK,
        "a lead deleted before the page being read (limit/skip paging shifts)",
        ONE_LIST_OF_350_LEADS,
        _nothing,
        prepare=_lead_deleted_mid_list,
        says="changed while it was read (pass 1)",
    ),
    Case(
        SALESROCKS,
        "a row deleted before the page being read (skip/size paging shifts)",
        {
            "seed": 43,
            "scale": 0.2,
            "counts": {"salesrocks.lists": 1, "salesrocks.rows_per_list": 60},
        },
        _nothing,
        {"page_size": 15},
        prepare=_row_deleted_mid_list,
        says="changed while it was read (pass 1)",
    ),
    Case(
        SALESFLOW,
        "analytics answer only the first 10 days of the 92 asked",
        {"seed": 44, "scale": 0.2, "modes": {"salesflow_max_window_days": 10}},
        _nothing,
        says="at most 10 days per answer",
    ),
    Case(
        SALESFLOW,
        "analytics answer only the newest 10 days of the 92 asked (`from` clamped to `to`)",
        {
            "seed": 44,
            "scale": 0.2,
            "modes": {"salesflow_max_window_days": 10, "salesflow_window_keeps": "newest"},
        },
        _nothing,
        says="at most 10 days per answer",
    ),
    Case(
        SALESROCKS,
        "getListData / getLists answer at most 50 rows a page (page_size 100)",
        {"seed": 49, "scale": 1, "modes": {"salesrocks_max_size": 50}},
        _list_rows_differ,
        {"page_size": 100},
        says="answers at most 50 rows per page",
    ),
    Case(
        SALESROCKS,
        "pages capped at 50 rows, the next one starting at row 100 (the size asked)",
        {
            "seed": 49,
            "scale": 1,
            "modes": {"salesrocks_max_size": 50, "salesrocks_cap_offsets": "asked"},
        },
        _list_rows_differ,
        {"page_size": 100},
        says="answers at most 50 rows per page",
    ),
    Case(
        SALESBLINK,
        "archived sequences listed only with sendAll",
        {"seed": 42, "scale": 0.3, "counts": {"salesblink.sequences": 8}},
        _sequences_differ,
    ),
    Case(
        SALESBLINK,
        "/users empty: the key's role is not admin",
        {"seed": 42, "scale": 0.3, "modes": {"salesblink_key_role": "user"}},
        _nothing,
        says="listed no users",
    ),
    Case(
        SALESFLOW,
        "404 on the undocumented accounts and webhooks paths",
        {"seed": 61, "scale": 0.3, "modes": {"salesflow_undocumented": "404"}},
        _nothing,
        says="not in Salesflow's API documentation",
    ),
    Case(
        SALESFLOW,
        "one token lists every account (agency)",
        {"seed": 62, "scale": 0.3, "modes": {"salesflow_token_lists": "all"}},
        _accounts_differ,
    ),
    Case(
        SALESFLOW,
        "Status as names, RunOn as numbers",
        {
            "seed": 63,
            "scale": 0.3,
            "modes": {"salesflow_member_status": "name", "salesflow_webhook_run_on": "number"},
        },
        _codes_differ,
    ),
    Case(
        SALESFLOW,
        "only the documented date shapes; changes within the bookmark's second",
        {"seed": 64, "scale": 0.3, "modes": {"salesflow_date_params": "documented"}},
        _members_differ,
        prepare=lambda s: _second_of_the_bookmark(s, (0, 500), (1, 300)),
        change=lambda s: _second_of_the_bookmark(s, (2, 700)),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.spec.tap}: {c.mode}")
def test_hostile_vendor_documents(case, reliability_report):
    section = reliability_report.section(*HOSTILE)
    options = dict(case.server)
    with SandboxServer(options.pop("seed"), options.pop("scale"), **options) as server:
        config = case.spec.config(server.url, **case.config)
        if case.prepare is not None:
            case.prepare(server)
        runs = [run_tap(case.spec.tap, config, env=DEBUG)]
        assert runs[0].returncode == 0, runs[0].stderr[-2000:]
        if case.change is not None:
            case.change(server)
            runs.append(run_tap(case.spec.tap, config, state=runs[0].last_state, env=DEBUG))
            assert runs[-1].returncode == 0, runs[-1].stderr[-2000:]
        expected, landed, lost, duplicated = _score(case.spec, server, runs)
        corrupted = case.corrupted(server, runs)
        leaks = _leaks("".join(r.stdout + r.stderr for r in runs), case.spec.secrets(server))
        outcome = "complete" if len(runs) == 1 else "complete, then incremental complete"
        section.add(
            case.spec.tap, case.mode, expected, landed, lost, duplicated, corrupted, 0, outcome
        )
        assert (lost, duplicated, corrupted, leaks) == (0, 0, 0, 0)
        assert case.says in "".join(r.stderr for r in runs)
