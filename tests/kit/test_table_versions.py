"""Full-table streams mark each sync as a table version, activated only after a complete read.

Each tap runs against the sandbox with every stream selected (the legacy SalesBlink ones
too). ACTIVATE_VERSION must come once per full-table stream, after that stream's last record,
with the version every one of its records carries; incremental streams carry none. A run
that fails half-way, or that reads only the partitions a setting chose, activates nothing
it did not read completely.
"""

from __future__ import annotations

import pytest
from support import (
    TapRun,
    catalog_selecting,
    run_tap,
    salesblink_settings,
    salesflow_settings,
    salesrocks_settings,
)

from outreach_sandbox import (
    SandboxServer,
)

COUNTS = {
    "salesblink.lists": 4,
    "salesblink.leads_per_list": 5,
    "salesblink.sequences": 3,
    "salesblink.campaigns": 2,
    "salesflow.campaigns": 3,
    "salesrocks.lists": 3,
    "salesrocks.rows_per_list": 6,
}


def configs(url: str) -> dict[str, dict]:
    return {
        "tap-salesblink": salesblink_settings(url),
        "tap-salesflow": salesflow_settings(url),
        "tap-salesrocks": salesrocks_settings(url, campaign_ids=[101, 102]),
    }


#: The full-table streams of each tap (issue 15), and those that say "this is all of it".
FULL_TABLE = {
    "tap-salesblink": {
        "lists",
        "list_leads",
        "sequences",
        "sequence_stats",
        "users",
        "campaigns",
        "prospects",
        "team_members",
    },
    "tap-salesflow": {"accounts", "campaigns", "webhooks", "campaign_statistics"},
    "tap-salesrocks": {"lists", "list_data", "campaign_statistics"},
}
#: Read only for the ids in `campaign_ids` (the API cannot list campaigns): never activated.
CHOSEN_PARTITIONS = {"tap-salesrocks": {"campaign_statistics"}}
#: Incremental, but read whole without a bookmark: a run without state is a sweep.
SWEPT = {"tap-salesflow": {"members"}}


def activations(run: TapRun) -> dict[str, list[tuple[int, int]]]:
    """stream -> [(message index, version)] of its ACTIVATE_VERSION messages."""
    found: dict[str, list[tuple[int, int]]] = {}
    for index, message in enumerate(run.messages):
        if message["type"] == "ACTIVATE_VERSION":
            found.setdefault(message["stream"], []).append((index, message["version"]))
    return found


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(seed=21, scale=0.2, counts=COUNTS) as server:
        yield server


@pytest.mark.parametrize("tap", sorted(FULL_TABLE))
def test_full_table_streams_activate_their_version_after_their_last_record(sandbox, tap):
    config = configs(sandbox.url)[tap]
    run = run_tap(tap, config, catalog=catalog_selecting(tap, config))  # legacy streams too
    assert run.returncode == 0, run.stderr[-3000:]
    activated = activations(run)
    swept = SWEPT.get(tap, set())
    assert set(activated) == FULL_TABLE[tap] - CHOSEN_PARTITIONS.get(tap, set()) | swept
    versions = {v for found in activated.values() for _, v in found}
    assert len(versions) == 1, "one version for every stream and partition of a run"
    (version,) = versions
    for stream, found in activated.items():
        assert len(found) == 1, f"{stream}: one ACTIVATE_VERSION, not one per partition"
        records = [
            (i, m)
            for i, m in enumerate(run.messages)
            if m["type"] == "RECORD" and m["stream"] == stream
        ]
        assert records, f"{stream} extracted nothing"
        assert all(m.get("version") == version for _, m in records), stream
        assert records[-1][0] < found[0][0], f"{stream}: ACTIVATE_VERSION before a record"
    incremental = [
        m
        for m in run.messages
        if m["type"] == "RECORD" and m["stream"] not in FULL_TABLE[tap] | swept
    ]
    assert all(m.get("version") is None for m in incremental), "incremental: no version"
    for stream in CHOSEN_PARTITIONS.get(tap, ()):
        assert f"{stream}: no ACTIVATE_VERSION: the setting 'campaign_ids'" in run.stderr


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_run_failing_half_way_activates_nothing_it_did_not_finish(sandbox, concurrency):
    """A list's leads fail for good: neither lists nor list_leads (nor anything after) is
    activated; a failure in a later stream leaves the streams finished before it activated."""
    config = {
        **configs(sandbox.url)["tap-salesblink"],
        "max_retries": 0,
        "concurrency": concurrency,
    }
    lists = sorted(sandbox.control.expected("salesblink", "lists")["keys"])
    sandbox.control.clear_faults()
    sandbox.control.add_faults(
        [{"vendor": "salesblink", "path": f"/lists/{lists[2]}/leads", "kind": "500", "times": 9}]
    )
    run = run_tap("tap-salesblink", config)
    sandbox.control.clear_faults()
    assert run.returncode != 0
    assert run.records("list_leads"), "leads of other lists were read before the failure"
    assert activations(run) == {}

    sandbox.control.add_faults(
        [{"vendor": "salesblink", "path": "/public/v1.0.0/users", "kind": "500", "times": 9}]
    )
    run = run_tap("tap-salesblink", config)
    sandbox.control.clear_faults()
    assert run.returncode != 0
    assert set(activations(run)) == {"lists", "list_leads", "sequences", "sequence_stats"}


def test_a_child_never_synced_still_gets_its_schema_then_its_version():
    """No list at all: list_leads is never synced, yet its earlier rows must be retired."""
    with SandboxServer(seed=22, scale=0.2, counts={**COUNTS, "salesblink.lists": 0}) as server:
        run = run_tap("tap-salesblink", configs(server.url)["tap-salesblink"])
    assert run.returncode == 0, run.stderr[-3000:]
    kinds = [m["type"] for m in run.messages if m.get("stream") == "list_leads"]
    assert kinds == ["SCHEMA", "ACTIVATE_VERSION"]
    assert not run.records("lists")


def test_the_sdk_setting_cannot_bring_back_activation_at_the_start(sandbox):
    """`emit_activate_version_messages` (the SDK's, which activates before any record) is
    not a setting of these taps: refused like any unknown setting."""
    config = {**configs(sandbox.url)["tap-salesflow"], "emit_activate_version_messages": True}
    run = run_tap("tap-salesflow", config)
    assert run.returncode != 0
    assert "emit_activate_version_messages" in run.stderr
    assert not [m for m in run.messages if m["type"] == "ACTIVATE_VERSION"]


def test_members_are_swept_on_a_run_without_their_bookmark(sandbox):
    """Without a bookmark (first sync, `--full-refresh`) every member is asked for, even
    with a start_date, and the run is a table version; with one, only changes, no version."""
    config = {**configs(sandbox.url)["tap-salesflow"], "start_date": "2026-10-30"}
    sandbox.control.clear_requests()
    sweep = run_tap("tap-salesflow", config)
    assert sweep.returncode == 0, sweep.stderr[-3000:]
    expected = sandbox.control.expected("salesflow", "members")["count"]
    assert len(sweep.records("members")) == expected
    assert "members" in activations(sweep)
    queries = [r["query"] for r in sandbox.control.requests() if "list-contacts" in r["path"]]
    assert queries and not any("updatedFromDate" in q for q in queries)

    sandbox.control.clear_requests()
    incremental = run_tap("tap-salesflow", config, state=sweep.last_state)
    assert incremental.returncode == 0, incremental.stderr[-3000:]
    assert "members" not in activations(incremental)
    members = [
        m for m in incremental.messages if m["type"] == "RECORD" and m["stream"] == "members"
    ]
    assert all(m.get("version") is None for m in members)
    queries = [r["query"] for r in sandbox.control.requests() if "list-contacts" in r["path"]]
    assert queries and all("updatedFromDate" in q for q in queries)


def test_an_aborted_read_activates_nothing():
    """`--test records` stops every stream after one record (the SDK aborts the sync and,
    for a child, goes on with the next partition): only streams read whole are activated.
    One list with several leads: the list is read whole, its leads are cut short."""
    with SandboxServer(seed=23, scale=0.2, counts={**COUNTS, "salesblink.lists": 1}) as server:
        run = run_tap(
            "tap-salesblink", configs(server.url)["tap-salesblink"], args=("--test", "records")
        )
        expected = {
            s: len(server.control.expected("salesblink", s)["keys"])
            for s in ("lists", "users", "team_members")
        }
    assert run.returncode == 0, run.stderr[-3000:]
    records = run.by_stream()
    for stream in ("list_leads", "sequences", "campaigns", "prospects"):
        assert len(records[stream]) == 1, stream  # cut short: more than one at the source
    assert all(len(records[s]) == n == 1 for s, n in expected.items())  # read whole
    assert set(activations(run)) == set(expected)


@pytest.mark.parametrize(
    ("tap", "vendor", "path", "stream"),
    [
        ("tap-salesrocks", "salesrocks", "getListData", "list_data"),
        ("tap-salesblink", "salesblink", "/leads", "list_leads"),
    ],
)
def test_an_empty_first_page_is_asked_again_before_it_retires_a_partition(
    tap, vendor, path, stream
):
    """A transient empty first page of a list taken as "the list is empty" would retire
    every row of that list at ACTIVATE_VERSION: it is asked again once."""
    with SandboxServer(seed=24, scale=0.2, counts=COUNTS) as server:
        server.control.add_faults([{"vendor": vendor, "path": path, "kind": "empty_page"}])
        run = run_tap(tap, {**configs(server.url)[tap], "concurrency": 1})
        expected = {str(k) for k in server.control.expected(vendor, stream)["keys"]}
        assert all(f["remaining"] == 0 for f in server.control.faults())
    assert run.returncode == 0, run.stderr[-3000:]
    assert {str(r["id"]) for r in run.records(stream)} == expected
    assert stream in activations(run)
    assert "as the first page; asking again" in run.stderr
