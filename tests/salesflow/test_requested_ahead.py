"""Salesflow's unpaged lists ask for the next account's answer while this account's is read
(outreach_kit.ahead): at `concurrency` > 1 the next account is asked for before this one's
records are processed, and the output, the state and the requests (in their order) stay
those of a sequential run, failures of the early request included."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from support import BIN, run_tap, salesflow_settings

from outreach_sandbox import DEFAULT_SALESFLOW_ACCOUNTS, SandboxServer

TOKENS = dict(DEFAULT_SALESFLOW_ACCOUNTS)
STREAMS = ("members", "incoming_messages")
PATHS = {
    "members": "/members/list-contacts-by-accountid",
    "incoming_messages": "/messaging/incoming-messages-by-accountid",
}
COUNTS = {"salesflow.members": 300, "salesflow.messages": 900}
LATENCY_S = 0.05
#: What differs between any two runs: the extraction time, the table version and the
#: SDK's wall-clock signpost.
RUN_BOUND = re.compile(
    r',"time_extracted":"[^"]*"|,"version":\d+|"replication_key_signpost":"[^"]*",?'
)


def config(url: str, concurrency: int) -> dict:
    return salesflow_settings(url, concurrency=concurrency)


def catalog(stream: str) -> dict:
    """The tap's own catalog with only `stream` selected (discovery reads no vendor data)."""
    return json.loads(_catalog(stream))


@functools.cache
def _catalog(stream: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config("http://127.0.0.1:9", 1)))
        found = json.loads(
            subprocess.run(
                [str(BIN / "tap-salesflow"), "--config", str(path), "--discover"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
    for entry in found["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] == stream
    return json.dumps(found)


def sync(server: SandboxServer, stream: str, concurrency: int, state: dict | None = None):
    server.control.clear_requests()
    run = run_tap(
        "tap-salesflow",
        config(server.url, concurrency),
        catalog=catalog(stream),
        state=state,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = [RUN_BOUND.sub("", line) for line in run.stdout.splitlines()]
    asked = [r for r in server.control.requests() if r["path"] == PATHS[stream]]
    return run, lines, asked


def accounts(asked: list[dict]) -> list[str]:
    """The accounts of the requests, in the order they reached the sandbox."""
    return [r["query"]["accountId"] for r in sorted(asked, key=lambda r: r["t"])]


#: The tap in-process, printing when the next account is asked for and when each account's
#: first record is processed.
TRACE = """
import sys
from outreach_kit import ahead
from tap_salesflow import streams
from tap_salesflow.tap import TapSalesflow
start = ahead.RequestedAhead.start
def traced_start(self, partition, url, send):
    print("ASKED AHEAD", partition, file=sys.stderr, flush=True)
    return start(self, partition, url, send)
ahead.RequestedAhead.start = traced_start
seen = set()
for cls in (streams.MembersStream, streams.IncomingMessagesStream):
    post = cls.post_process
    def traced_post(self, row, context=None, post=post):
        if context["account_id"] not in seen:
            seen.add(context["account_id"])
            print("FIRST RECORD", context["account_id"], file=sys.stderr, flush=True)
        return post(self, row, context)
    cls.post_process = traced_post
sys.argv[0] = "tap-salesflow"
TapSalesflow.main()
"""


@pytest.mark.parametrize("stream", STREAMS)
def test_the_next_account_is_asked_for_once_this_ones_answer_is_in(stream):
    first, second = TOKENS
    with SandboxServer(seed=23, scale=0.2, counts=COUNTS) as server:
        events = {}
        for concurrency in (1, 4):
            paths = {
                "config": config(server.url, concurrency),
                "catalog": catalog(stream),
            }
            with tempfile.TemporaryDirectory() as tmp:
                for name, value in paths.items():
                    (Path(tmp) / f"{name}.json").write_text(json.dumps(value))
                args = [a for n in paths for a in (f"--{n}", str(Path(tmp) / f"{n}.json"))]
                done = subprocess.run(
                    [str(BIN / "python"), "-c", TRACE, *args],
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
            assert done.returncode == 0, done.stderr[-2000:]
            events[concurrency] = [
                line for line in done.stderr.splitlines() if line.startswith(("ASKED", "FIRST"))
            ]
        assert events[1] == [f"FIRST RECORD {first}", f"FIRST RECORD {second}"]
        # The second account is asked for before the first one's records are processed.
        assert events[4] == [
            f'ASKED AHEAD {stream}:{{"account_id": "{second}"}}',
            f"FIRST RECORD {first}",
            f"FIRST RECORD {second}",
        ]


@pytest.mark.parametrize("stream", STREAMS)
def test_asking_ahead_changes_no_output_and_no_request(stream):
    with SandboxServer(seed=23, scale=0.2, counts=COUNTS) as server:
        server.control.configure(latency_ms=LATENCY_S * 1000)
        run, sequential, asked_seq = sync(server, stream, 1)
        assert run.records(stream)
        _, overlapped, asked_conc = sync(server, stream, 4)
        assert overlapped == sequential  # every record and STATE, in order
        # the same requests, in the same order: a fault plan hits the same account
        assert accounts(asked_conc) == accounts(asked_seq) == list(TOKENS)

        server.control.advance(86_400)  # incremental: each account's URL from its bookmark
        state = run.last_state
        _, sequential, asked_seq = sync(server, stream, 1, state)
        _, overlapped, asked_conc = sync(server, stream, 4, state)
        assert overlapped == sequential
        assert [r["query"] for r in asked_conc] == [r["query"] for r in asked_seq]


@pytest.mark.parametrize("kind", ["503", "reset", "429"])
def test_a_failed_request_made_ahead_is_retried_like_any_other(kind):
    with SandboxServer(seed=23, scale=0.2, counts=COUNTS) as server:
        expected = {
            (str(a), str(k))
            for a, k in server.control.expected("salesflow", "incoming_messages")["keys"]
        }
        # The second request to arrive is the one made ahead: the first account's answer
        # came first (its success is what sends it).
        server.control.add_faults(
            [{"vendor": "salesflow", "path": "incoming", "kind": kind, "after": 1}]
        )
        run, _, asked = sync(server, "incoming_messages", 4)
        assert all(f["remaining"] == 0 for f in server.control.faults())
        first, second = TOKENS
        assert accounts(asked) == [first, second, second]  # failed, then retried
        assert [r["fault"] for r in sorted(asked, key=lambda r: r["t"])][1] is not None
        keys = [(r["account_id"], str(r["Id"])) for r in run.records("incoming_messages")]
        assert len(keys) == len(set(keys)) and set(keys) == expected
        assert run.stderr.count("retrying") == 1


def test_a_partition_prepared_ahead_leaves_the_state_as_it_was():
    """singer-sdk writes into the state as a partition starts; preparing the next one early
    must read its bookmark without writing anything the sync would show before its turn."""
    from outreach_kit.ahead import state_copy
    from tap_salesflow.tap import TapSalesflow

    first, second = ({"account_id": a} for a in TOKENS)
    state = {
        "bookmarks": {
            "incoming_messages": {
                "partitions": [
                    {
                        "context": second,
                        "replication_key": "ReceivedAt",
                        "replication_key_value": "2026-10-01T00:00:00Z",
                    }
                ]
            }
        }
    }
    tap = TapSalesflow(config=config("http://127.0.0.1:9", 4), state=state, validate_config=False)
    stream = tap.streams["incoming_messages"]
    before = json.dumps(stream.tap_state, sort_keys=True)
    for context, bookmark in ((second, "2026-10-01T00:00:00Z"), (first, None)):
        with state_copy(stream):
            stream._write_starting_replication_value(context)
            assert stream.get_starting_replication_key_value(context) == bookmark
            stream.prepare_partition(context)
        assert json.dumps(stream.tap_state, sort_keys=True) == before
    # Without the copy, the SDK would have left both marks behind.
    stream._write_starting_replication_value(first)
    assert json.dumps(stream.tap_state, sort_keys=True) != before
