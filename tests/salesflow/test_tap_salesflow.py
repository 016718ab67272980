"""tap-salesflow against the sandbox over HTTP: two accounts, each with its own token."""

from __future__ import annotations

import json

import pytest
from project_streams import DEFAULT_STREAMS, primary_keys
from standard_tests import standard_tap_tests
from support import assert_no_secrets, run_tap, run_until_killed, salesflow_settings

from outreach_sandbox import DEFAULT_SALESFLOW_ACCOUNTS, SandboxServer
from tap_salesflow.tap import TapSalesflow

TOKENS = dict(DEFAULT_SALESFLOW_ACCOUNTS)
STREAMS = DEFAULT_STREAMS["salesflow"]
KEY_FIELDS = primary_keys("salesflow")


def config(url: str, **extra) -> dict:
    return salesflow_settings(url, **{"start_date": "2026-08-01", **extra})


def key(stream: str, record: dict) -> tuple[str, ...]:
    return tuple(str(record[f])[:19] for f in KEY_FIELDS[stream])


def expected(server: SandboxServer, stream: str) -> set[tuple[str, ...]]:
    keys = server.control.expected("salesflow", stream)["keys"]
    return {tuple(str(p)[:19] for p in (k if isinstance(k, list) else [k])) for k in keys}


# singer-sdk's standard tap tests, against a sandbox that lives as long as the class.
TestTapSalesflowStandard = standard_tap_tests(TapSalesflow, config, seed=31, scale=0.1)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(seed=32, scale=0.5) as server:
        yield server


@pytest.fixture
def fresh():
    with SandboxServer(seed=33, scale=0.3) as server:
        yield server


def test_two_accounts_land_every_record_of_every_stream(sandbox):
    run = run_tap("tap-salesflow", config(sandbox.url))
    assert run.returncode == 0, run.stderr[-2000:]
    streams = run.by_stream()
    for stream in STREAMS:
        got = [key(stream, r) for r in streams[stream]]
        assert len(got) == len(set(got)), f"{stream}: duplicate keys"
        assert set(got) == expected(sandbox, stream), stream
        assert {r["account_id"] for r in streams[stream]} == set(TOKENS)
    member = streams["members"][0]
    assert member["LastModifiedAt"].endswith("Z")
    assert len(member["LastModifiedAt"].split(".")[1]) == len("1234567Z")  # 7 digits kept
    assert any(k.startswith("Custom") for k in member)


def test_single_account_settings(sandbox):
    cfg = {k: v for k, v in config(sandbox.url).items() if k != "accounts"}
    run = run_tap("tap-salesflow", {**cfg, "account_id": "41002", "token": TOKENS["41002"]})
    assert run.returncode == 0, run.stderr[-2000:]
    assert {r["account_id"] for r in run.records("members")} == {"41002"}


def test_incremental_members_return_exactly_the_changed_ones(fresh):
    first = run_tap("tap-salesflow", config(fresh.url))
    before = {key("members", r): r["LastModifiedAt"] for r in first.records("members")}
    fresh.control.advance(86_400)
    second = run_tap("tap-salesflow", config(fresh.url), state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    changed = {key("members", r) for r in second.records("members")}
    everything = run_tap("tap-salesflow", config(fresh.url)).records("members")
    truly_changed = {
        key("members", r)
        for r in everything
        if before.get(key("members", r)) != r["LastModifiedAt"]
    }
    assert truly_changed
    assert changed == truly_changed
    state_text = json.dumps(second.last_state)
    assert len(state_text) < 4000  # per account, never per campaign or member


def test_analytics_lookback_rereads_trailing_days_without_duplicates(fresh):
    first = run_tap("tap-salesflow", config(fresh.url, analytics_lookback_days=3))
    fresh.control.advance(86_400)
    second = run_tap(
        "tap-salesflow", config(fresh.url, analytics_lookback_days=3), state=first.last_state
    )
    assert second.returncode == 0, second.stderr[-2000:]
    for stream in ("account_analytics", "campaign_analytics"):
        again = [key(stream, r) for r in second.records(stream)]
        assert len(again) == len(set(again))
        days = sorted({r["Date"] for r in second.records(stream)})
        assert 4 <= len(days) <= 6, days  # the lookback days and the new day, not all history
        merged = {key(stream, r): r for r in first.records(stream)}
        merged.update({key(stream, r): r for r in second.records(stream)})
        assert set(merged) == expected(fresh, stream)  # upserts on the key: one row per day
    latest = {
        r["Date"]: r for r in second.records("account_analytics") if r["account_id"] == "41001"
    }
    old = {r["Date"]: r for r in first.records("account_analytics") if r["account_id"] == "41001"}
    assert any(latest[d] != old[d] for d in latest if d in old), "re-read days carry new numbers"


def test_state_in_the_future_returns_nothing_incremental(fresh):
    future = {
        "bookmarks": {
            stream: {
                "partitions": [
                    {
                        "context": {"account_id": a},
                        "replication_key": field,
                        "replication_key_value": "2100-01-01T00:00:00Z",
                    }
                    for a in TOKENS
                ]
            }
            for stream, field in (
                ("members", "LastModifiedAt"),
                ("incoming_messages", "ReceivedAt"),
            )
        }
    }
    run = run_tap("tap-salesflow", config(fresh.url), state=future)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not run.records("members")
    assert not run.records("incoming_messages")


def test_killed_sync_resumes_without_loss():
    with SandboxServer(seed=34, scale=0.5, latency_ms=20) as server:
        cfg = config(server.url)
        killed = run_until_killed(
            "tap-salesflow",
            cfg,
            lambda line: '"stream":"members"' in line.replace(" ", "") and '"RECORD"' in line,
        )
        states = [m["value"] for m in killed if m["type"] == "STATE"]
        resumed = run_tap("tap-salesflow", cfg, state=states[-1] if states else None)
        assert resumed.returncode == 0, resumed.stderr[-1500:]
        for stream in STREAMS:
            union = {
                key(stream, m["record"])
                for m in killed
                if m["type"] == "RECORD" and m["stream"] == stream
            }
            union |= {key(stream, r) for r in resumed.records(stream)}
            assert union == expected(server, stream), stream


def test_rejected_token_names_the_account_not_the_token(fresh):
    bad = "sft_revoked_token_987654"
    cfg = config(fresh.url)
    cfg["accounts"][1]["token"] = bad
    run = run_tap("tap-salesflow", cfg)
    assert run.returncode == 1
    assert "account 41002" in run.stderr
    assert "Traceback" not in run.stderr
    assert_no_secrets(run.stdout + run.stderr, [bad, *TOKENS.values()])
    assert {r["account_id"] for r in run.records()} == {"41001"}  # the good account's records

    assert run.last_state is not None


def test_token_never_leaks_at_debug_level_through_faults(fresh):
    fresh.control.add_faults(
        [
            {"vendor": "salesflow", "path": "list-campaigns", "kind": "reset"},
            {"vendor": "salesflow", "path": "list-contacts", "kind": "timeout", "seconds": 1.5},
            {"vendor": "salesflow", "path": "webhooks", "kind": "429"},
            {"vendor": "salesflow", "path": "analytics", "kind": "500", "times": 2},
            {"vendor": "salesflow", "path": "incoming", "kind": "reset_mid_body"},
            {"vendor": "salesflow", "path": "GetCampaignStatistics", "kind": "502"},
        ]
    )
    run = run_tap("tap-salesflow", config(fresh.url, request_timeout=1), env={"LOGLEVEL": "DEBUG"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert "DEBUG" in run.stderr
    assert "retrying" in run.stderr
    assert_no_secrets(run.stdout + run.stderr, list(TOKENS.values()))
    for stream in STREAMS:
        assert {key(stream, r) for r in run.records(stream)} == expected(fresh, stream), stream
    fresh.control.clear_faults()
    fresh.control.add_faults([{"vendor": "salesflow", "path": "webhooks", "kind": "401"}])
    rejected = run_tap("tap-salesflow", config(fresh.url), env={"LOGLEVEL": "DEBUG"})
    assert rejected.returncode == 1
    assert_no_secrets(rejected.stdout + rejected.stderr, list(TOKENS.values()))
    tested = run_tap(
        "tap-salesflow", config(fresh.url), args=("--test",), env={"LOGLEVEL": "DEBUG"}
    )
    assert_no_secrets(tested.stdout + tested.stderr, list(TOKENS.values()))


@pytest.mark.parametrize(
    ("cfg", "needle"),
    [
        ({"accounts": []}, "No Salesflow account"),
        ({"analytics_window_days": 200}, "'analytics_window_days'"),
        ({"start_date": "someday"}, "'start_date'"),
    ],
)
def test_bad_settings_fail_fast(fresh, cfg, needle):
    run = run_tap("tap-salesflow", {**config(fresh.url), **cfg})
    assert run.returncode != 0
    assert needle in run.stderr
    assert not run.records()
