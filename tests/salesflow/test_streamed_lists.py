"""Members and incoming messages are read in bounded memory, as their bodies arrive.

The output must be the one the decoded-body path gives, byte for byte and in order. A body
that breaks off part-way is asked again: the records before the break are given once, the
rest come from the next answer; a body that stays bad fails the run without a bookmark.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from support import BIN, assert_no_secrets, run_tap, salesflow_settings

from outreach_sandbox import DEFAULT_SALESFLOW_ACCOUNTS, SandboxServer
from tap_salesflow.streams import IncomingMessagesStream, MembersStream

TOKENS = dict(DEFAULT_SALESFLOW_ACCOUNTS)
STREAMED = ("members", "incoming_messages")
#: Bodies over the kit's 1 MiB in-memory limit, so the spool file moves to disk.
COUNTS = {"salesflow.members": 1500, "salesflow.messages": 8000}
#: The same tap with the bounded-memory path switched off: the kit's one-pass decode.
DECODED_PATH = (
    "import sys\n"
    "from tap_salesflow import streams\n"
    "streams.MembersStream.stream_body = False\n"
    "streams.IncomingMessagesStream.stream_body = False\n"
    "from tap_salesflow.tap import TapSalesflow\n"
    "sys.argv[0] = 'tap-salesflow'\n"
    "TapSalesflow.main()\n"
)
#: What differs between any two runs: the extraction time and the table version (the tap's
#: start; members are versioned on a run without their bookmark, see outreach_kit.versions).
TIME_EXTRACTED = re.compile(r',"time_extracted":"[^"]*"|,"version":\d+')


config = salesflow_settings


def record_lines(
    command: list[str], cfg: dict, state: dict | None = None
) -> tuple[list[str], dict]:
    """RECORD lines of the streamed streams as written (time_extracted left out), last STATE."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"config": cfg}
        discovered = run_tap("tap-salesflow", cfg, args=("--discover",))
        assert discovered.returncode == 0, discovered.stderr[-2000:]
        catalog = json.loads(discovered.stdout)
        for entry in catalog["streams"]:
            for meta in entry["metadata"]:
                if meta["breadcrumb"] == []:
                    meta["metadata"]["selected"] = entry["tap_stream_id"] in STREAMED
        paths["catalog"] = catalog
        if state is not None:
            paths["state"] = state
        args = [a for name, value in paths.items() for a in (f"--{name}", _write(tmp, name, value))]
        result = subprocess.run(
            command + args, capture_output=True, text=True, timeout=300, env=dict(os.environ)
        )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    states = [json.loads(line)["value"] for line in lines if line.startswith('{"type":"STATE"')]
    return [
        TIME_EXTRACTED.sub("", line) for line in lines if line.startswith('{"type":"RECORD"')
    ], states[-1]


def _write(tmp: str, name: str, value: dict) -> str:
    path = Path(tmp) / f"{name}.json"
    path.write_text(json.dumps(value))
    return str(path)


def test_the_unpaged_lists_are_the_streamed_ones():
    assert MembersStream.stream_body
    assert IncomingMessagesStream.stream_body


def test_streamed_output_is_identical_to_the_decoded_path():
    with SandboxServer(seed=35, scale=0.1, counts=COUNTS) as server:
        cfg = config(server.url)
        streamed, state = record_lines([str(BIN / "tap-salesflow")], cfg)
        decoded, _ = record_lines([str(BIN / "python"), "-c", DECODED_PATH], cfg)
        for stream in STREAMED:
            mine = [line for line in streamed if f'"stream":"{stream}"' in line]
            theirs = [line for line in decoded if f'"stream":"{stream}"' in line]
            assert len(mine) == server.control.expected("salesflow", stream)["count"], stream
            assert mine == theirs, stream  # same values, same types, same order
        # Incremental reads (`updatedFromDate`, `from`) too.
        server.control.advance(86_400)
        again, _ = record_lines([str(BIN / "tap-salesflow")], cfg, state)
        assert 0 < len(again) < len(streamed)
        assert again == record_lines([str(BIN / "python"), "-c", DECODED_PATH], cfg, state)[0]


@pytest.mark.parametrize("path", ["list-contacts", "incoming"])
def test_bad_bodies_are_retried_and_no_record_is_given_twice(path):
    with SandboxServer(seed=36, scale=0.1, counts=COUNTS) as server:
        server.control.add_faults(
            [
                {"vendor": "salesflow", "path": path, "kind": kind}
                for kind in ("truncated", "html_200", "reset_mid_body", "success_false", "503")
            ]
        )
        run = run_tap("tap-salesflow", config(server.url), env={"LOGLEVEL": "DEBUG"})
        assert run.returncode == 0, run.stderr[-3000:]
        assert all(f["remaining"] == 0 for f in server.control.faults())
        assert run.stderr.count("retrying") >= 5
        for stream in STREAMED:
            keys = [
                (r["account_id"], r["MemberId" if stream == "members" else "Id"])
                for r in run.records(stream)
            ]
            assert len(keys) == len(set(keys)), f"{stream}: a record was given twice"
            expected = {
                tuple(map(str, k)) for k in server.control.expected("salesflow", stream)["keys"]
            }
            assert {tuple(map(str, k)) for k in keys} == expected, stream
        assert_no_secrets(run.stdout + run.stderr, list(TOKENS.values()))


def test_a_body_that_stays_bad_fails_with_one_clean_paragraph():
    with SandboxServer(seed=37, scale=0.1) as server:
        server.control.add_faults(
            [{"vendor": "salesflow", "path": "incoming", "kind": "truncated", "times": 10}]
        )
        run = run_tap("tap-salesflow", config(server.url, max_retries=2))
        assert run.returncode == 1
        last = run.stderr.strip().splitlines()[-1]
        assert last.startswith("tap-salesflow: error: "), last
        assert "invalid JSON" in last
        assert "/messaging/incoming-messages-by-accountid" in last
        assert "token=" not in run.stderr
        assert_no_secrets(run.stdout + run.stderr, list(TOKENS.values()))
        # The complete records before the break were given, once each, and they are real;
        # no bookmark moved for the messages (the read never finished).
        given = [(r["account_id"], r["Id"]) for r in run.records("incoming_messages")]
        expected = {
            tuple(map(str, k))
            for k in server.control.expected("salesflow", "incoming_messages")["keys"]
        }
        assert len(given) == len(set(given))
        assert {tuple(map(str, k)) for k in given} <= expected
        bookmarks = (run.last_state or {}).get("bookmarks", {}).get("incoming_messages", {})
        assert not any(p.get("replication_key_value") for p in bookmarks.get("partitions", [])), (
            bookmarks
        )
