"""Hostile responses: each sandbox bend (outreach_sandbox.bends) against each tap it fits.

Every case runs the tap's console script against a small sandbox with one bend planned,
and compares what landed with a clean run of the same data (same seed and sizes):
- a response of the wrong shape fails the run with one paragraph naming the endpoint, and
  the run resumed from its last STATE completes: nothing lost;
- a record that cannot be used lands in `rejected_records` (exact rows asserted), the rest
  lands exactly as in the clean run;
- values that do not fit land as null with the raw value in the record's extra object;
  string booleans, lone surrogates and lists in text columns land as the rules say.
Rows go to the "hostile vendor" table of docs/reliability.md.
"""

from __future__ import annotations

import copy
import json
import typing as t
from dataclasses import dataclass, field

import pytest
from report_tables import HOSTILE
from support import TapRun, run_tap, secret_forms
from taps import SALESBLINK, SALESFLOW, SALESROCKS, TapSpec

from outreach_sandbox import SandboxServer
from outreach_sandbox.bends import LIST_VALUE

SEED = 61
COUNTS = {
    "salesblink": {
        "salesblink.lists": 3,
        "salesblink.leads_per_list": 4,
        "salesblink.sequences": 2,
        "salesblink.users": 3,
        "salesblink.sent": 6,
        "salesblink.opens": 4,
        "salesblink.clicks": 3,
        "salesblink.replies": 2,
    },
    "salesflow": {
        "salesflow.campaigns": 2,
        "salesflow.members": 5,
        "salesflow.webhooks": 1,
        "salesflow.messages": 4,
    },
    "salesrocks": {"salesrocks.lists": 2, "salesrocks.rows_per_list": 5},
}
#: Settings per tap. Sales.Rocks names the list in the request body, which a bend cannot
#: match, so its lists are read one after another to make the first request the first list's.
SETTINGS = {"tap-salesrocks": {"concurrency": 1}}
REJECTED = "rejected_records"
Records = dict[str, dict[tuple, dict]]


@dataclass
class Expect:
    """What a bent run must give: the landed records and the rejected rows."""

    fault: dict
    landed: Records
    #: (stream, reason, primary key object or None), in output order.
    rejected: list[tuple[str, str, dict | None]] = field(default_factory=list)
    #: Checks of each rejected row's raw JSON (parsed), in the same order.
    raw: list[t.Callable[[t.Any], bool]] = field(default_factory=list)
    fails: bool = False
    #: Text the one-paragraph error must contain (shape failures).
    error: tuple[str, ...] = ()
    #: Text stderr must contain (WARNING counts).
    warnings: tuple[str, ...] = ()


Case = t.Callable[[Records, dict[str, list[dict]]], Expect]


def _keyed(spec: TapSpec, run: TapRun) -> tuple[Records, int]:
    """Records per default stream by key (a later run's record wins), and duplicates."""
    out: Records = {s: {} for s in spec.streams}
    duplicated = 0
    for stream, records in run.by_stream().items():
        if stream in spec.streams:
            keys = [spec.key(stream, r) for r in records]
            duplicated += len(keys) - len(set(keys))
            out[stream].update(zip(keys, records, strict=True))
    return out, duplicated


def _rejected_rows(runs: list[TapRun]) -> list[dict]:
    return [r for run in runs for r in run.records(REJECTED)]


@pytest.fixture(scope="module")
def baselines() -> dict[str, tuple[Records, dict[str, list[dict]]]]:
    """A clean run of each tap: records by key, and in output order."""
    out = {}
    for spec in (SALESBLINK, SALESFLOW, SALESROCKS):
        with SandboxServer(seed=SEED, scale=0.05, counts=COUNTS[spec.vendor]) as server:
            run = run_tap(spec.tap, spec.config(server.url, **SETTINGS.get(spec.tap, {})))
        assert run.returncode == 0, run.stderr[-2000:]
        assert not run.records(REJECTED)
        out[spec.tap] = (_keyed(spec, run)[0], run.by_stream())
    return out


def _without(records: Records, stream: str, *keys: tuple) -> Records:
    out = copy.deepcopy(records)
    for key in keys:
        del out[stream][key]
    return out


def _fail(fault: dict, *error: str) -> Case:
    return lambda keyed, ordered: Expect(fault, keyed, fails=True, error=error)


# -- SalesBlink -------------------------------------------------------------------------------


def _sb_first_list(ordered: dict[str, list[dict]]) -> tuple[str, list[dict]]:
    list_id = ordered["lists"][0]["id"]
    return list_id, [r for r in ordered["list_leads"] if r["list_id"] == list_id]


def _sb_null_element(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    return Expect(
        {"path": "/lists$", "kind": "null_element", "index": 1},
        keyed,
        [("lists", "not a JSON object (null)", None)],
        [lambda raw: raw is None],
        warnings=("lists: 1 record(s) rejected (not a JSON object (null))",),
    )


def _sb_string_element(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    list_id, _ = _sb_first_list(ordered)
    return Expect(
        {"path": f"/lists/{list_id}/leads$", "kind": "string_element"},
        keyed,
        [("list_leads", "not a JSON object (string)", None)],
        [lambda raw: raw == "oops"],
    )


def _sb_missing_key(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    user = ordered["users"][0]
    return Expect(
        {"path": "/users$", "kind": "missing_key", "index": 0},
        _without(keyed, "users", (user["id"],)),
        [("users", "missing primary key id", None)],
        [lambda raw: "id" not in raw and raw["email"] == user["email"]],
    )


def _sb_null_key(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    list_id, leads = _sb_first_list(ordered)
    lead = leads[2]
    return Expect(
        {"path": f"/lists/{list_id}/leads$", "kind": "null_key", "index": 2},
        _without(keyed, "list_leads", (lead["id"],)),
        [("list_leads", "null primary key id", None)],
        [lambda raw: raw["id"] is None and raw["email"] == lead["email"]],
    )


def _sb_duplicate_key(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    list_id, leads = _sb_first_list(ordered)
    first, second = leads[0], leads[1]
    return Expect(
        {"path": f"/lists/{list_id}/leads$", "kind": "duplicate_key", "index": 0},
        _without(keyed, "list_leads", (second["id"],)),
        [
            (
                "list_leads",
                "primary key repeated in one read with different content",
                {"id": first["id"]},
            )
        ],
        [lambda raw: raw["id"] == first["id"] and raw["email"] == second["email"]],
    )


def _sb_string_booleans(style: str) -> Case:
    def case(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
        return Expect({"path": "/lists$", "kind": "string_booleans", "style": style}, keyed)

    return case


def _sb_wrong_type(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    landed = copy.deepcopy(keyed)
    first = landed["lists"][(ordered["lists"][0]["id"],)]
    first["contacts_count"] = None
    first["extra"] = {**(first.get("extra") or {}), "contacts_count": "many"}
    return Expect(
        {"path": "/lists$", "kind": "wrong_type", "index": 0, "field": "contacts_count"},
        landed,
        warnings=("lists: 1 value(s) of 'contacts_count' did not fit",),
    )


def _sb_lone_surrogate(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    list_id, leads = _sb_first_list(ordered)
    landed = copy.deepcopy(keyed)
    lead = landed["list_leads"][(leads[0]["id"],)]
    lead["first_name"] = f"{lead['first_name'] or ''}\ufffd"
    return Expect(
        {
            "path": f"/lists/{list_id}/leads$",
            "kind": "lone_surrogate",
            "index": 0,
            "field": "first_name",
        },
        landed,
        warnings=("list_leads: 1 lone UTF-16 surrogate(s)",),
    )


def _sb_list_in_string(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    list_id, leads = _sb_first_list(ordered)
    landed = copy.deepcopy(keyed)
    landed["list_leads"][(leads[1]["id"],)]["phone"] = json.dumps(LIST_VALUE, separators=(",", ":"))
    return Expect(
        {"path": f"/lists/{list_id}/leads$", "kind": "list_in_string", "field": "phone"}, landed
    )


def _sb_envelope(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    list_id, _ = _sb_first_list(ordered)
    return Expect(
        {"path": f"/lists/{list_id}/leads$", "kind": "envelope_changed"},
        keyed,
        fails=True,
        error=(f"/lists/{list_id}/leads", "'contacts' is an array", "'data' is an array"),
    )


SALESBLINK_CASES: dict[str, Case] = {
    "empty 200 body on /lists": _fail(
        {"path": "/lists$", "kind": "empty_body"}, "/public/v1.0.0/lists", "the body is empty"
    ),
    "empty 200 body on /users": _fail(
        {"path": "/users$", "kind": "empty_body"}, "/public/v1.0.0/users", "the body is empty"
    ),
    "leads envelope changed to data: [...]": _sb_envelope,
    "object instead of array (/lists)": _fail(
        {"path": "/lists$", "kind": "object_for_array"}, "'data' is an object"
    ),
    "null element in a page": _sb_null_element,
    "string element in a page": _sb_string_element,
    "record without its key": _sb_missing_key,
    "record with a null key": _sb_null_key,
    "two records sharing a key": _sb_duplicate_key,
    'booleans as "true"/"false"': _sb_string_booleans("text"),
    'booleans as "1"/"0"': _sb_string_booleans("digit"),
    'booleans as "yes"/"no"': _sb_string_booleans("yesno"),
    "value of the wrong type": _sb_wrong_type,
    "lone UTF-16 surrogate": _sb_lone_surrogate,
    "list in a string column": _sb_list_in_string,
}

# -- Salesflow --------------------------------------------------------------------------------

MEMBERS = "list-contacts-by-accountid"


def _sf_first_members(ordered: dict[str, list[dict]]) -> list[dict]:
    account = ordered["members"][0]["account_id"]
    return [m for m in ordered["members"] if m["account_id"] == account]


def _sf_key(member: dict) -> tuple:
    return (str(member["account_id"]), str(member["MemberId"]))


def _sf_null_element(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    return Expect(
        {"path": MEMBERS, "kind": "null_element", "index": 2},
        keyed,
        [("members", "not a JSON object (null)", None)],
        [lambda raw: raw is None],
    )


def _sf_missing_key(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    member = _sf_first_members(ordered)[1]
    return Expect(
        {"path": MEMBERS, "kind": "missing_key", "field": "MemberId"},
        _without(keyed, "members", _sf_key(member)),
        [("members", "missing primary key MemberId", None)],
        [
            lambda raw: (
                "MemberId" not in raw and raw["PublicIdentifier"] == member["PublicIdentifier"]
            )
        ],
    )


def _sf_duplicate_key(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    first, second = _sf_first_members(ordered)[:2]
    return Expect(
        {"path": MEMBERS, "kind": "duplicate_key", "index": 0, "field": "MemberId"},
        _without(keyed, "members", _sf_key(second)),
        [
            (
                "members",
                "primary key repeated in one read with different content",
                {"MemberId": first["MemberId"]},
            )
        ],
        [lambda raw: raw["PublicIdentifier"] == second["PublicIdentifier"]],
    )


def _sf_string_booleans(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    return Expect({"path": MEMBERS, "kind": "string_booleans", "style": "digit"}, keyed)


def _sf_wrong_type(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    landed = copy.deepcopy(keyed)
    campaign = ordered["campaigns"][0]
    row = landed["campaigns"][(str(campaign["account_id"]), str(campaign["Id"]))]
    row["MembersCount"] = None
    row["extra"] = {**(row.get("extra") or {}), "MembersCount": "many"}
    return Expect(
        {"path": "list-campaigns", "kind": "wrong_type", "index": 0, "field": "MembersCount"},
        landed,
        warnings=("campaigns: 1 value(s) of 'MembersCount' did not fit",),
    )


def _sf_lone_surrogate(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    member = _sf_first_members(ordered)[0]
    landed = copy.deepcopy(keyed)
    row = landed["members"][_sf_key(member)]
    row["FirstName"] = f"{row['FirstName'] or ''}\ufffd"
    return Expect(
        {"path": MEMBERS, "kind": "lone_surrogate", "index": 0, "field": "FirstName"},
        landed,
        warnings=("members: 1 lone UTF-16 surrogate(s)",),
    )


def _sf_list_in_string(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    member = _sf_first_members(ordered)[1]
    landed = copy.deepcopy(keyed)
    landed["members"][_sf_key(member)]["Email"] = json.dumps(LIST_VALUE, separators=(",", ":"))
    return Expect({"path": MEMBERS, "kind": "list_in_string", "field": "Email"}, landed)


SALESFLOW_CASES: dict[str, Case] = {
    "empty 200 body on members": _fail(
        {"path": MEMBERS, "kind": "empty_body"}, f"/members/{MEMBERS}", "the body is empty"
    ),
    "empty 200 body on statistics": _fail(
        {"path": "GetCampaignStatistics", "kind": "empty_body"}, "GetCampaignStatistics"
    ),
    "members envelope changed to {data: [...]}": _fail(
        {"path": MEMBERS, "kind": "envelope_changed"}, "the body is an object"
    ),
    "object instead of array (campaigns)": _fail(
        {"path": "list-campaigns", "kind": "object_for_array"}, "list-campaigns"
    ),
    "null element in a list": _sf_null_element,
    "record without its key": _sf_missing_key,
    "two records sharing a key": _sf_duplicate_key,
    'booleans as "1"/"0"': _sf_string_booleans,
    "value of the wrong type": _sf_wrong_type,
    "lone UTF-16 surrogate (streamed body)": _sf_lone_surrogate,
    "list in a string column": _sf_list_in_string,
}

# -- Sales.Rocks ------------------------------------------------------------------------------

DATA = "getListData"


def _sr_first_rows(ordered: dict[str, list[dict]]) -> list[dict]:
    list_id = ordered["list_data"][0]["list_id"]
    return [r for r in ordered["list_data"] if r["list_id"] == list_id]


def _sr_missing_key(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    row = _sr_first_rows(ordered)[1]
    return Expect(
        {"path": DATA, "kind": "missing_key", "field": "_id"},
        _without(keyed, "list_data", (row["id"],)),
        [("list_data", "missing primary key _id", None)],
        [lambda raw: "_id" not in raw and raw["email"] == row["email"]],
    )


def _sr_duplicate_key(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    first, second = _sr_first_rows(ordered)[:2]
    return Expect(
        {"path": DATA, "kind": "duplicate_key", "index": 0, "field": "_id"},
        _without(keyed, "list_data", (second["id"],)),
        [
            (
                "list_data",
                "primary key repeated in one read with different content",
                {"_id": first["id"]},
            )
        ],
        [lambda raw: raw["email"] == second["email"]],
    )


def _sr_null_element(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    return Expect(
        {"path": DATA, "kind": "null_element", "index": 3},
        keyed,
        [("list_data", "not a JSON object (null)", None)],
        [lambda raw: raw is None],
    )


def _sr_lone_surrogate(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    row = _sr_first_rows(ordered)[0]
    landed = copy.deepcopy(keyed)
    out = landed["list_data"][(row["id"],)]
    out["name"] = f"{out['name'] or ''}\ufffd"
    out["columns"]["name"] = out["name"]
    return Expect(
        {"path": DATA, "kind": "lone_surrogate", "index": 0, "field": "name"},
        landed,
        warnings=("list_data: 1 lone UTF-16 surrogate(s)",),
    )


def _sr_list_in_string(keyed: Records, ordered: dict[str, list[dict]]) -> Expect:
    row = _sr_first_rows(ordered)[1]
    landed = copy.deepcopy(keyed)
    out = landed["list_data"][(row["id"],)]
    out["email"] = json.dumps(LIST_VALUE, separators=(",", ":"))
    out["columns"]["email"] = list(LIST_VALUE)  # the raw row, kept as sent
    return Expect({"path": DATA, "kind": "list_in_string", "field": "email"}, landed)


SALESROCKS_CASES: dict[str, Case] = {
    "empty 200 body on getListData": _fail(
        {"path": DATA, "kind": "empty_body"}, "/editable-lists/getListData", "the body is empty"
    ),
    "rows envelope changed": _fail(
        {"path": DATA, "kind": "envelope_changed"}, "'data' is an object"
    ),
    "object instead of array (getLists)": _fail(
        {"path": "getLists$", "kind": "object_for_array"}, "/editable-lists/getLists"
    ),
    "null element in a page": _sr_null_element,
    "row without _id": _sr_missing_key,
    "two rows sharing an _id": _sr_duplicate_key,
    "lone UTF-16 surrogate": _sr_lone_surrogate,
    "list in a string column": _sr_list_in_string,
}

CASES = [
    *((SALESBLINK, name, case) for name, case in SALESBLINK_CASES.items()),
    *((SALESFLOW, name, case) for name, case in SALESFLOW_CASES.items()),
    *((SALESROCKS, name, case) for name, case in SALESROCKS_CASES.items()),
]


def _leaks(text: str, secrets: list[str]) -> int:
    return sum(1 for s in secrets for form in secret_forms(s) if form in text)


@pytest.mark.parametrize(
    ("spec", "name", "case"), CASES, ids=[f"{s.tap}: {n}" for s, n, _ in CASES]
)
def test_hostile_response(spec, name, case, baselines, reliability_report):
    keyed, ordered = baselines[spec.tap]
    expect = case(keyed, ordered)
    with SandboxServer(seed=SEED, scale=0.05, counts=COUNTS[spec.vendor]) as server:
        server.control.add_faults([{"vendor": spec.vendor, **expect.fault}])
        config = spec.config(server.url, **SETTINGS.get(spec.tap, {}))
        runs = [run_tap(spec.tap, config)]
        assert not [f for f in server.control.faults() if f["remaining"] > 0], "bend not met"
        if runs[0].returncode != 0:
            runs.append(run_tap(spec.tap, config, state=runs[0].last_state))
        secrets = spec.secrets(server)
    stderr = "".join(run.stderr for run in runs)
    landed: Records = {s: {} for s in spec.streams}
    duplicated = 0
    for run in runs:
        records, dup = _keyed(spec, run)
        duplicated += dup
        for stream in spec.streams:
            landed[stream].update(records[stream])
    lost = sum(len(expect.landed[s].keys() - landed[s].keys()) for s in spec.streams)
    unexpected = sum(len(landed[s].keys() - expect.landed[s].keys()) for s in spec.streams)
    corrupted = sum(
        1
        for s in spec.streams
        for k, r in landed[s].items()
        if k in expect.landed[s] and r != expect.landed[s][k]
    )
    rejected = _rejected_rows(runs)
    expected_count = sum(len(v) for v in keyed.values())
    landed_count = sum(len(landed[s].keys() & keyed[s].keys()) for s in spec.streams)
    outcome = "complete" if len(runs) == 1 else "failed clearly, resumed complete"
    reliability_report.section(*HOSTILE).add(
        spec.tap,
        name,
        expected_count,
        landed_count,
        lost,
        duplicated,
        corrupted,
        len(rejected),
        outcome,
    )

    assert (runs[0].returncode != 0) == expect.fails, runs[0].stderr[-1500:]
    if expect.fails:
        message = runs[0].stderr.strip().splitlines()[-1]
        assert message.startswith(f"{spec.tap}: error: "), message
        assert "state saved so far is kept" in message
        for text in expect.error:
            assert text in message, (text, message)
        assert runs[1].returncode == 0, runs[1].stderr[-1500:]
    assert (lost, unexpected, duplicated, corrupted) == (0, 0, 0, 0), [
        (s, k, r, expect.landed[s].get(k))
        for s in spec.streams
        for k, r in landed[s].items()
        if r != expect.landed[s].get(k)
    ][:3]
    assert [(r["stream"], r["reason"], r["primary_key"]) for r in rejected] == [
        (s, reason, json.dumps(key, separators=(",", ":")) if key else None)
        for s, reason, key in expect.rejected
    ]
    for row, check in zip(rejected, expect.raw, strict=True):
        assert check(json.loads(row["raw_json"])), row["raw_json"]
        assert row["extracted_at"]
    for text in expect.warnings:
        assert text in stderr, text
    assert _leaks(stderr + "".join(run.stdout for run in runs), secrets) == 0
