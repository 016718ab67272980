"""tap-salesblink against the sandbox over HTTP."""

from __future__ import annotations

import json

import pytest
from project_streams import DEFAULT_STREAMS, primary_keys
from standard_tests import standard_tap_tests
from support import (
    assert_no_secrets,
    catalog_selecting,
    parse_messages,
    run_tap,
    run_until_killed,
    salesblink_settings,
)

from outreach_sandbox import DEFAULT_SALESBLINK_KEYS, SandboxServer
from tap_salesblink.tap import TapSalesBlink

KEY = DEFAULT_SALESBLINK_KEYS[0]
EVENTS = ("sent", "opens", "clicks", "replies")
LEGACY = ("campaigns", "prospects", "team_members")
DEFAULT = DEFAULT_STREAMS["salesblink"]
#: Every SalesBlink stream has a one-field key.
KEYS = {stream: key for stream, (key,) in primary_keys("salesblink").items()}


config = salesblink_settings


def ids(records: list[dict], stream: str) -> set:
    return {r[KEYS[stream]] for r in records}


class TapSalesBlinkAllStreams(TapSalesBlink):
    """The tap with the legacy streams (off by default) selected too, for the standard tests."""

    def discover_streams(self) -> list:
        streams = super().discover_streams()
        for stream in streams:
            stream.selected_by_default = True
        return streams


# singer-sdk's standard tap tests, against a sandbox that lives as long as the class.
TestTapSalesBlinkStandard = standard_tap_tests(TapSalesBlinkAllStreams, config, seed=21, scale=0.2)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(seed=5, scale=0.5) as server:
        yield server


@pytest.fixture
def fresh():
    with SandboxServer(seed=6, scale=0.3) as server:
        yield server


def test_full_sync_lands_every_record_and_is_repeatable(sandbox):
    first = run_tap("tap-salesblink", config(sandbox.url))
    second = run_tap("tap-salesblink", config(sandbox.url))
    assert first.returncode == 0, first.stderr[-2000:]
    streams = first.by_stream()
    for stream in DEFAULT:
        expected = set(sandbox.control.expected("salesblink", stream)["keys"])
        assert ids(streams[stream], stream) == expected, stream
        assert len(streams[stream]) == len(expected), f"{stream}: duplicates"
    assert first.by_stream() == second.by_stream()
    event = streams["sent"][0]
    assert event["time"].endswith("Z") and isinstance(event["time_ms"], int)
    lead_with_custom = [r for r in streams["list_leads"] if r.get("custom_fields")]
    assert lead_with_custom, "list columns must land in custom_fields"


def test_legacy_streams_when_selected(sandbox):
    catalog = catalog_selecting("tap-salesblink", config(sandbox.url), LEGACY)
    result = run_tap("tap-salesblink", config(sandbox.url), catalog=catalog)
    assert result.returncode == 0, result.stderr[-2000:]
    streams = result.by_stream()
    assert set(streams) == {"campaigns", "prospects", "team_members"}
    for stream in streams:
        assert ids(streams[stream], stream) == set(
            sandbox.control.expected("salesblink", stream)["keys"]
        )
    prospect = streams["prospects"][0]
    assert prospect["added_at"].endswith("Z") and "email" in prospect
    assert all(c["created_at"].endswith("Z") for c in streams["campaigns"])  # ms and "ms" strings


def test_incremental_sync_returns_exactly_the_new_events(fresh):
    first = run_tap("tap-salesblink", config(fresh.url))
    before = {s: set(fresh.control.expected("salesblink", s)["keys"]) for s in EVENTS}
    fresh.control.advance(2 * 86_400)
    fresh.control.clear_requests()
    second = run_tap("tap-salesblink", config(fresh.url), state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    by_stream = second.by_stream()
    requests = fresh.control.requests()
    for stream in EVENTS:
        new = set(fresh.control.expected("salesblink", stream)["keys"]) - before[stream]
        got = ids(by_stream[stream], stream)
        assert new and new <= got, stream
        bookmark = first.last_state["bookmarks"][stream]["replication_key_value"]
        repeats = [r for r in by_stream[stream] if r["id"] not in new]
        assert all(r["time"] == bookmark for r in repeats), "only the boundary ms is re-read"
        calls = [r for r in requests if r["path"].endswith(f"/{stream}")]
        assert calls and all(int(r["query"]["from"]) > 0 for r in calls)


def test_state_in_the_future_returns_nothing(fresh):
    future = {
        "bookmarks": {
            s: {"replication_key": "time", "replication_key_value": "2100-01-01T00:00:00Z"}
            for s in EVENTS
        }
    }
    run = run_tap("tap-salesblink", config(fresh.url), state=future)
    assert run.returncode == 0
    assert all(not run.records(s) for s in EVENTS)


def test_no_change_incremental_asks_once_per_feed(fresh):
    first = run_tap("tap-salesblink", config(fresh.url))
    fresh.control.clear_requests()
    run_tap("tap-salesblink", config(fresh.url), state=first.last_state)
    for stream in EVENTS:
        assert len([r for r in fresh.control.requests() if r["path"].endswith(f"/{stream}")]) == 1


@pytest.mark.parametrize("n", [0, 1, 100, 101, 200])
def test_event_page_boundaries(n):
    with SandboxServer(seed=8, scale=0.1, counts={"salesblink.sent": n}) as server:
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-1500:]
        assert ids(run.records("sent"), "sent") == set(
            server.control.expected("salesblink", "sent")["keys"]
        )
        assert len(run.records("sent")) == n


def test_killed_sync_resumes_without_loss():
    """SIGKILL in the middle of `sent`, resume from the last STATE: the union holds every
    event, and the resumed run starts where the killed one stopped, not from the start."""
    with SandboxServer(seed=9, scale=4.0, latency_ms=5) as server:
        cfg = config(server.url)
        bookmarks = []

        def third_sent_checkpoint(line: str) -> bool:
            if line.startswith('{"type":"STATE"'):
                value = json.loads(line)["value"]
                if "replication_key_value" in value["bookmarks"].get("sent", {}):
                    bookmarks.append(line)
            return len(bookmarks) == 3

        killed = run_until_killed("tap-salesblink", cfg, third_sent_checkpoint)
        state = next(m["value"] for m in reversed(killed) if m["type"] == "STATE")
        resumed = run_tap("tap-salesblink", cfg, state=state)
        assert resumed.returncode == 0, resumed.stderr[-1500:]
        first = {}
        for m in killed:
            if m["type"] == "RECORD":
                first.setdefault(m["stream"], []).append(m["record"])
        for stream in EVENTS:
            union = ids(first.get(stream, []), stream) | ids(resumed.records(stream), stream)
            assert union == set(server.control.expected("salesblink", stream)["keys"]), stream
        total = len(server.control.expected("salesblink", "sent")["keys"])
        assert 0 < len(first["sent"]) < total
        assert len(resumed.records("sent")) < total  # resumed, not restarted


def test_full_sync_of_a_feed_costs_close_to_the_minimum():
    """20,100 events: the API's minimum is 202 requests (201 full pages, then an empty one).
    Windows, the probe and the history before the data cost only a few more."""
    with SandboxServer(seed=12, scale=0.05, counts={"salesblink.sent": 20_100}) as server:
        run = run_tap("tap-salesblink", config(server.url))
        assert run.returncode == 0, run.stderr[-1500:]
        assert len(run.records("sent")) == 20_100
        made = [r for r in server.control.requests() if r["path"].endswith("/sent")]
        assert len(made) <= 202 + 3


def test_small_incremental_asks_once_per_feed_and_checks_its_short_page(fresh):
    """The newest page since the bookmark holds everything new: one request, and one more
    to check that short page for a server's silent cap (see test_overlapping_pages)."""
    first = run_tap("tap-salesblink", config(fresh.url))
    before = {s: len(fresh.control.expected("salesblink", s)["keys"]) for s in EVENTS}
    fresh.control.advance(3600)
    fresh.control.clear_requests()
    second = run_tap("tap-salesblink", config(fresh.url), state=first.last_state)
    for stream in EVENTS:
        new = len(fresh.control.expected("salesblink", stream)["keys"]) - before[stream]
        assert new < 90  # the new events (and the bookmark's millisecond) fit in a page
        assert len(second.records(stream)) >= new
        made = [r for r in fresh.control.requests() if r["path"].endswith(f"/{stream}")]
        assert len(made) == (2 if new else 1), stream


def test_pacing_keeps_within_the_rate_limit():
    """30 GET per (time-scaled) minute enforced by the sandbox: the tap never gets a 429.

    The run needs several windows' worth of requests (over 100), so without pacing the sandbox
    answers 429 (checked by running it once with ``rate_limit_requests`` None)."""
    counts = {"salesblink.sent": 8_000}
    with SandboxServer(
        seed=10, scale=0.3, rate_limits=True, time_scale=60, counts=counts
    ) as server:
        window = 60 / 60
        run = run_tap(
            "tap-salesblink",
            config(server.url, rate_limit_requests=30, rate_limit_window_seconds=window),
        )
        assert run.returncode == 0, run.stderr[-1500:]
        stats = server.control.stats()
        requests = stats["requests"]["salesblink"]
        assert requests > 3 * 30, f"{requests} requests fit in too few windows to prove pacing"
        assert stats.get("rate_limited", {}).get("salesblink", 0) == 0


def test_retry_after_is_honoured_in_process(monkeypatch, capsys):
    """A 429 waits what Retry-After says (no real sleep: the sleep is recorded)."""
    import backoff._sync

    from outreach_kit.pacing import RequestPacer

    waits: list[float] = []
    paused: list[float] = []
    monkeypatch.setattr(backoff._sync.time, "sleep", waits.append)
    monkeypatch.setattr(RequestPacer, "pause", lambda self, seconds: paused.append(seconds))
    with SandboxServer(seed=11, scale=0.05) as server:
        server.control.add_faults(
            [{"vendor": "salesblink", "path": "/users", "kind": "429", "retry_after": 7}]
        )
        tap = TapSalesBlink(config=config(server.url))
        tap.sync_all()
        assert 7.0 in waits  # the retry waited exactly Retry-After
        assert 7.0 in paused  # and held every other request of the tap as long
        out = capsys.readouterr().out
        assert sum(
            1 for m in parse_messages(out) if m.get("stream") == "users" and m["type"] == "RECORD"
        ) == len(server.control.expected("salesblink", "users")["keys"])


def test_rejected_key_is_one_clear_error_without_the_key(fresh):
    bad = "sbk_wrong_key_123456"
    run = run_tap("tap-salesblink", {**config(fresh.url), "api_key": bad})
    assert run.returncode == 1
    assert "rejected the API key" in run.stderr
    assert "'api_key'" in run.stderr
    assert "Traceback" not in run.stderr  # the traceback is logged at DEBUG only
    debug = run_tap(
        "tap-salesblink", {**config(fresh.url), "api_key": bad}, env={"LOGLEVEL": "DEBUG"}
    )
    assert debug.returncode == 1
    assert_no_secrets(run.stdout + run.stderr + debug.stdout + debug.stderr, [bad])


@pytest.mark.parametrize(
    ("setting", "value", "needle"),
    [
        ("start_date", "last tuesday", "'start_date'"),
        ("activity_window_days", 0, "'activity_window_days'"),
        ("api_url", "ftp://example.com", "'api_url'"),
    ],
)
def test_bad_settings_fail_fast(fresh, setting, value, needle):
    run = run_tap("tap-salesblink", {**config(fresh.url), setting: value})
    assert run.returncode != 0
    assert needle in run.stderr
    assert not run.records()


def test_key_never_appears_at_debug_level_through_faults(fresh):
    fresh.control.add_faults(
        [
            {"vendor": "salesblink", "path": "/lists", "kind": "500", "times": 2},
            {"vendor": "salesblink", "path": "/sent", "kind": "429"},
            {"vendor": "salesblink", "path": "/opens", "kind": "reset"},
            {"vendor": "salesblink", "path": "/users", "kind": "html_200"},
            {"vendor": "salesblink", "path": "/clicks", "kind": "success_false"},
            {"vendor": "salesblink", "path": "/replies", "kind": "truncated"},
        ]
    )
    run = run_tap("tap-salesblink", config(fresh.url), env={"LOGLEVEL": "DEBUG"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert "DEBUG" in run.stderr and "retrying" in run.stderr
    assert_no_secrets(run.stdout + run.stderr, [KEY])
    for stream in DEFAULT:
        assert ids(run.records(stream), stream) == set(
            fresh.control.expected("salesblink", stream)["keys"]
        )
