"""Hostile vendor, activity feeds and bookmarks: sandbox modes that break the taps' assumptions.

Each mode runs the tap process against the sandbox (DEBUG log level) and scores it against the
ground truth: nothing lost, nothing emitted twice in a run, and values compared with a clean
run of the same sandbox (*corrupted*: a record whose values differ from it; an event kept with
the wrong time the API gave counts there). Rows go to the "Hostile vendor" section of
docs/reliability.md. The checkpoint measurement kills a 10,000-event feed at 60%.
"""

from __future__ import annotations

import json

import pytest
from report_tables import HOSTILE
from support import TapRun, run_tap, run_until_killed
from taps import SALESBLINK, SALESFLOW, TapSpec
from test_reliability import DEBUG, _leaks, _score

from outreach_sandbox import SandboxServer
from tap_salesblink.streams import ActivityStream

FEEDS = ("sent", "opens", "clicks", "replies")
#: A window's worth of events: the most a kill may cost beyond what was not yet emitted.
WINDOW = ActivityStream.target_pages_per_window * 100


def _sb(kind: str, path: str = "/sent$", **spec) -> list[dict]:
    return [{"vendor": "salesblink", "path": path, "kind": kind, **spec}]


FUTURE_FEED_STATE = {
    "bookmarks": {
        s: {"replication_key": "time", "replication_key_value": "2099-01-01T00:00:00Z"}
        for s in FEEDS
    }
}

MODES: list[tuple[TapSpec, str, list[dict], str | None]] = [
    (
        SALESBLINK,
        "out-of-order event (20 days older) on the newest page",
        _sb("out_of_order"),
        None,
    ),
    (
        SALESBLINK,
        "out-of-order event (time 0) on the newest page",
        _sb("out_of_order", time=0),
        None,
    ),
    (
        SALESBLINK,
        "out-of-order event on every page of /opens",
        _sb("out_of_order", "/opens$", times=10**6, position=20),
        None,
    ),
    (
        SALESBLINK,
        "exclusive `to` on every feed",
        _sb("exclusive_to", "/(sent|opens|clicks|replies)$", times=10**6),
        None,
    ),
    (SALESBLINK, "future-dated event (2100)", _sb("future_event"), None),
    (SALESBLINK, "far-past event (1970-01-01T00:00:01Z)", _sb("far_past_event"), None),
    (
        SALESBLINK,
        "far-past event on every page of /clicks",
        _sb("far_past_event", "/clicks$", times=10**6),
        None,
    ),
    (SALESBLINK, "state with 2099 bookmarks", [], "future"),
    (
        SALESFLOW,
        "member with LastModifiedAt in 2099",
        [{"vendor": "salesflow", "path": "list-contacts", "kind": "future_event", "position": 1}],
        None,
    ),
    (SALESFLOW, "state with 2099 bookmarks", [], "future"),
]


def _by_key(spec: TapSpec, run: TapRun) -> dict[tuple, dict]:
    return {
        (stream, spec.key(stream, record)): record
        for stream, records in run.by_stream().items()
        if stream in spec.streams
        for record in records
    }


def _future_state(spec: TapSpec, clean: TapRun) -> dict:
    if spec is SALESBLINK:
        return FUTURE_FEED_STATE
    state = json.loads(json.dumps(clean.last_state))
    for entry in state["bookmarks"].values():
        for partition in entry.get("partitions", []):
            if partition.get("replication_key_value"):
                partition["replication_key_value"] = "2099-01-01T00:00:00Z"
    return state


@pytest.fixture(scope="module")
def sandboxes():
    """One sandbox and one clean run per tap, shared by its modes (nothing advances the
    clock, and every mode's faults are cleared after it)."""
    cache: dict[str, tuple[SandboxServer, TapRun]] = {}
    yield lambda spec: cache.get(spec.tap) or cache.setdefault(spec.tap, _start(spec))
    for server, _ in cache.values():
        server.stop()


def _start(spec: TapSpec) -> tuple[SandboxServer, TapRun]:
    server = SandboxServer(seed=61, scale=0.15).start()
    clean = run_tap(spec.tap, spec.config(server.url))
    assert clean.returncode == 0, clean.stderr[-2000:]
    return server, clean


@pytest.mark.parametrize(("spec", "mode", "faults", "state"), MODES, ids=[m[1] for m in MODES])
def test_hostile_feed_mode_loses_nothing(spec, mode, faults, state, sandboxes, reliability_report):
    server, clean = sandboxes(spec)
    truth = _by_key(spec, clean)
    server.control.clear_faults()
    server.control.add_faults(faults)
    given = _future_state(spec, clean) if state else None
    run = run_tap(spec.tap, spec.config(server.url), state=given, env=DEBUG)
    plan = server.control.faults()
    server.control.clear_faults()
    unfired = [f["kind"] for f in plan if f["seen"] == 0]
    assert not unfired, f"{mode}: the run never met the mode {unfired}"
    bent = sum(int(f.get("times", 1)) - f["remaining"] for f in plan)  # replies bent
    runs = [run]
    if state:  # a capped future state reads from now: the data is in the clean run
        runs.append(clean)
    assert run.returncode == 0, (mode, run.stderr[-2000:])
    expected, landed, lost, duplicated = _score(spec, server, runs)
    _, _, _, duplicated = _score(spec, server, [run])
    corrupted = sum(
        1 for k, record in _by_key(spec, run).items() if k in truth and record != truth[k]
    )
    leaks = _leaks(run.stdout + run.stderr, spec.secrets(server))
    outcome = "complete"
    if state:
        outcome = "complete: WARNING, read from now (older data: the run before)"
    elif corrupted:
        outcome = f"complete: {corrupted} kept with the wrong time the API gave, WARNING"
    reliability_report.section(*HOSTILE).add(
        spec.tap, mode, expected, landed, lost, duplicated, corrupted, 0, outcome
    )
    assert (lost, duplicated, leaks) == (0, 0, 0), (mode, lost, duplicated, leaks)
    assert corrupted <= bent, "only events the API itself dated wrongly"


def test_a_feed_of_10000_killed_at_60_percent_resumes_with_one_window_at_most(reliability_report):
    counts = {
        "salesblink.sent": 10_000,
        "salesblink.opens": 0,
        "salesblink.clicks": 0,
        "salesblink.replies": 0,
        "salesblink.lists": 1,
        "salesblink.sequences": 1,
    }
    with SandboxServer(seed=62, scale=0.1, counts=counts) as server:
        config = SALESBLINK.config(server.url)
        seen = {"sent": 0}

        def stop(line: str) -> bool:
            if line.startswith('{"type":"RECORD","stream":"sent"'):
                seen["sent"] += 1
            return seen["sent"] >= 6_000

        killed = run_until_killed(SALESBLINK.tap, config, stop)
        state = next((m["value"] for m in reversed(killed) if m["type"] == "STATE"), None)
        resumed = run_tap(SALESBLINK.tap, config, state=state)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        first = {m["record"]["id"] for m in killed if m.get("stream") == "sent" and "record" in m}
        again = [r["id"] for r in resumed.records("sent")]
        truth = set(server.control.expected("salesblink", "sent")["keys"])
        lost = len(truth - first - set(again))
        reread = len(set(again) & first)
        reliability_report.section(*HOSTILE).add(
            SALESBLINK.tap,
            f"kill at 60% of a 10,000-event feed: resumed run read {len(again)}, "
            f"{reread} of them again (bound: {10_000 - 6_000} + one window of {WINDOW})",
            len(truth),
            len(truth & (first | set(again))),
            lost,
            len(again) - len(set(again)),
            0,
            0,
            "killed, resumed complete",
        )
        assert seen["sent"] >= 6_000 and len(truth) == 10_000
        assert lost == 0
        assert len(again) <= 10_000 - 6_000 + WINDOW
