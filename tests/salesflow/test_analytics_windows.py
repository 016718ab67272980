"""Salesflow analytics windows: no longest range is documented, and a server answering only
the first (or the newest) days of a longer one must not lose the rest. The days after a
window's last row and before its first are asked again; rows there show the cap, which then
sizes the windows."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

import pytest
from support import run_tap, salesflow_settings

from outreach_sandbox import SandboxServer

ANALYTICS = ("account_analytics", "campaign_analytics")
ENDPOINTS = ("salesflow GET /analytics/by-accountid", "salesflow GET /analytics/by-campaignid")


def truth(server: SandboxServer, stream: str) -> list[str]:
    keys = server.control.expected("salesflow", stream)["keys"]
    return sorted(str(k) for k in keys)


def landed(run, stream: str) -> list[str]:
    fields = (
        ("account_id", "Date")
        if stream == "account_analytics"
        else ("account_id", "CampaignId", "Date")
    )
    return sorted(
        str([r[f] if f != "Date" else r[f][:19] for f in fields]) for r in run.records(stream)
    )


@pytest.mark.parametrize("keeps", ["first", "newest"])
@pytest.mark.parametrize(
    "start_date",
    ["2026-07-15", "2026-06-01"],  # sandbox history begins 2026-08-03: whole windows empty
    ids=["history", "empty-windows-first"],
)
def test_a_server_answering_only_ten_days_loses_no_day(start_date, keeps):
    modes = {"salesflow_max_window_days": 10, "salesflow_window_keeps": keeps}
    with SandboxServer(seed=33, scale=0.3, modes=modes) as server:
        run = run_tap("tap-salesflow", salesflow_settings(server.url, start_date=start_date))
        assert run.returncode == 0, run.stderr[-2000:]
        for stream in ANALYTICS:
            got = [r["Date"] for r in run.records(stream)]
            assert len(got) == len(truth(server, stream)), stream
            assert landed(run, stream) == truth(server, stream), stream
            assert f"{stream}: the server answers at most 10 days per answer" in run.stderr


def analytics_requests(start: date) -> tuple[list[int], int, int]:
    """A first sync from ``start`` with no cap: analytics requests per endpoint, campaigns,
    and the 30-day windows up to today (the last one ends today)."""
    with SandboxServer(seed=33, scale=0.3) as server:
        server.control.clear_requests()
        run = run_tap("tap-salesflow", salesflow_settings(server.url, start_date=str(start)))
        assert run.returncode == 0, run.stderr[-2000:]
        assert "days per answer" not in run.stderr
        made = server.control.stats()["by_endpoint"]
        campaigns = len(server.control.expected("salesflow", "campaigns")["keys"])
    windows = math.ceil(((datetime.now(timezone.utc).date() - start).days + 1) / 30)
    return [made[e] for e in ENDPOINTS], campaigns, windows


def test_without_a_cap_each_window_is_one_request():
    """Plus one per partition: history begins 2026-08-03, inside the first window, whose
    days before it are asked again (a server keeping the newest days would show there)."""
    made, campaigns, windows = analytics_requests(date(2026, 7, 15))
    assert made == [2 * (windows + 1), campaigns * (windows + 1)]


def test_windows_that_start_with_history_cost_nothing_more():
    """A start on the first day of history: every window answers from its first day."""
    made, campaigns, windows = analytics_requests(date(2026, 8, 3))
    assert made == [2 * windows, campaigns * windows]
