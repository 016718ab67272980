"""Child partitions fetched concurrently give exactly the output and state of a sequential run.

Each tap runs twice against the same sandbox, with `concurrency: 1` and `concurrency: 4`,
first as a full sync, then incrementally after the sandbox clock moved. The Singer messages
must be identical but for what differs between any two runs (`time_extracted`, the SDK's
wall-clock replication signpost), and so must the requests made. Latency makes the workers
finish out of order, so an ordering bug would show. Each run is its own exec'd process
(not forked from the tests' tap server), so the two runs compared also differ in hash seed,
as any two production runs do: output that hangs on set or dict-of-hash order would show.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest
from support import TapRun, run_tap, salesblink_settings, salesflow_settings, salesrocks_settings

from outreach_sandbox import (
    SandboxServer,
)


@pytest.fixture(autouse=True)
def exec_each_run(monkeypatch):
    """Every tap process exec'd, with a hash seed of its own (see the module docstring)."""
    monkeypatch.setenv("OUTREACH_TAPS_PRELOADED", "0")


LATENCY_S = 0.015
SIGNPOST = re.compile(r'"replication_key_signpost": "[^"]*"')


salesblink = salesblink_settings
salesflow = salesflow_settings


def salesrocks(url: str) -> dict:
    return salesrocks_settings(url, campaign_ids=[101, 102], page_size=20)


#: Enough parents that several child partitions are in flight at once.
COUNTS = {
    "salesblink.lists": 12,
    "salesblink.leads_per_list": 7,
    "salesblink.sequences": 9,
    "salesflow.campaigns": 6,
    "salesrocks.lists": 9,
    "salesrocks.rows_per_list": 30,
}
TAPS = {"tap-salesblink": salesblink, "tap-salesflow": salesflow, "tap-salesrocks": salesrocks}
#: Child streams per tap: the test fails if a run did not extract them.
CHILDREN = {
    "tap-salesblink": ("list_leads", "sequence_stats"),
    "tap-salesflow": ("campaign_statistics", "campaign_analytics"),
    "tap-salesrocks": ("list_data",),
}


def comparable(run: TapRun, *, check_exit: bool = True) -> list[str]:
    """The messages as JSON, without what differs between any two runs (the time
    extracted, the signpost, the table version)."""
    if check_exit:
        assert run.returncode == 0, run.stderr[-3000:]
    lines = []
    versions = {m["version"] for m in run.messages if m.get("version") is not None}
    assert len(versions) <= 1, f"one table version per run, got {sorted(versions)}"
    for message in run.messages:
        message = {k: v for k, v in message.items() if k != "time_extracted"}
        if message.get("version") is not None:  # the tap's start time, in every run its own
            message["version"] = "-"
        lines.append(SIGNPOST.sub('"replication_key_signpost": "-"', json.dumps(message)))
    return lines


def sync(server: SandboxServer, tap: str, concurrency: int, state: dict | None):
    server.control.clear_stats()
    server.control.clear_requests()
    run = run_tap(tap, {**TAPS[tap](server.url), "concurrency": concurrency}, state=state)
    return run, comparable(run), server.control.stats()["by_endpoint"]


def overlapping(server: SandboxServer) -> int:
    """Requests that reached the sandbox less than one latency after the one before: only
    requests in flight at the same time can (a sequential client waits for each reply)."""
    times = sorted(entry["t"] for entry in server.control.requests())
    return sum(1 for a, b in itertools.pairwise(times) if b - a < LATENCY_S)


@pytest.mark.parametrize("tap", sorted(TAPS))
def test_concurrent_children_match_a_sequential_run(tap):
    with SandboxServer(seed=11, scale=0.3, counts=COUNTS) as server:
        server.control.configure(latency_ms=LATENCY_S * 1000)
        full_seq = sync(server, tap, 1, None)
        assert overlapping(server) == 0
        full_conc = sync(server, tap, 4, None)
        assert overlapping(server) > 0, "no child partitions were fetched concurrently"
        assert full_conc[1] == full_seq[1]
        assert full_conc[2] == full_seq[2], "the same requests, none repeated or extra"
        for stream in CHILDREN[tap]:
            assert full_seq[0].records(stream), f"{stream} extracted nothing"

        server.control.advance(86_400)
        state = full_seq[0].last_state
        incremental_seq = sync(server, tap, 1, state)
        incremental_conc = sync(server, tap, 4, state)
        assert incremental_conc[1] == incremental_seq[1]
        assert incremental_conc[2] == incremental_seq[2]


def test_a_failing_child_partition_fails_the_same_way():
    """A fatal error in the middle of the children: same messages up to it, same exit."""
    with SandboxServer(seed=12, scale=0.3, counts=COUNTS) as server:
        lists = sorted(server.control.expected("salesblink", "lists")["keys"])
        fault = {"vendor": "salesblink", "path": f"/lists/{lists[3]}/leads", "kind": "401"}
        config = {**salesblink(server.url), "max_retries": 0}
        outputs = []
        for concurrency in (1, 4):
            server.control.clear_faults()
            server.control.add_faults([{**fault, "times": 5}])
            run = run_tap("tap-salesblink", {**config, "concurrency": concurrency})
            assert run.returncode != 0
            assert "Check the 'api_key' setting" in run.stderr
            outputs.append(comparable(run, check_exit=False))
        assert outputs[0] == outputs[1]
        assert any('"list_leads"' in line for line in outputs[0]), "children before the fault"


def test_concurrent_requests_refused_with_one_expired_token_log_in_once():
    """Workers holding the same expired token all get 401: one login, no false 'fatal'."""
    with SandboxServer(seed=13, scale=0.3, counts=COUNTS) as server:
        server.control.configure(latency_ms=LATENCY_S * 1000)
        server.control.add_faults(
            [{"vendor": "salesrocks", "path": "getListData", "kind": "expire_token", "after": 2}]
        )
        server.control.clear_stats()
        run = run_tap("tap-salesrocks", {**salesrocks(server.url), "concurrency": 4})
        assert run.returncode == 0, run.stderr[-3000:]
        expected = {str(k) for k in server.control.expected("salesrocks", "list_data")["keys"]}
        assert {r["id"] for r in run.records("list_data")} == expected
        logins = server.control.stats()["by_endpoint"].get("salesrocks POST /auth/accessToken")
        assert logins == 2
