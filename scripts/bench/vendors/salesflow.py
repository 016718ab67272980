"""Salesflow: the API's facts as the bench needs them (docs/sandbox-contract.md)."""

from __future__ import annotations

import math
import typing as t
from datetime import date, timedelta

from outreach_sandbox import DEFAULT_SALESFLOW_ACCOUNTS

from .facts import Bulk, Latency, get_json, per_partition, write_lines

if t.TYPE_CHECKING:
    import requests

    from outreach_sandbox import SandboxClient

KEY, TITLE = "salesflow", "Salesflow"
#: The largest analytics window the bench asks for (days per request).
ANALYTICS_DAYS = 92
RATE_LIMIT = None
SETTINGS = {"analytics_window_days": ANALYTICS_DAYS}
MEMORY_STREAM = "incoming_messages"
ACCOUNTS = [{"account_id": a, "token": tok} for a, tok in DEFAULT_SALESFLOW_ACCOUNTS.items()]
ENDPOINTS = {
    "/accounts/list-accounts": "accounts",
    "/campaigns/list-campaigns": "campaigns",
    "/webhooks/list": "webhooks",
    "/members/list-contacts-by-accountid": "members",
    "/statistics/GetCampaignStatistics": "campaign_statistics",
    "/analytics/by-campaignid": "campaign_analytics",
    "/analytics/by-accountid": "account_analytics",
    "/messaging/incoming-messages-by-accountid": "incoming_messages",
}
ECONOMY_COUNTS = {"salesflow.campaigns": 6}
LATENCY = Latency(
    counts={"salesflow.campaigns": 15},
    parents=("campaigns",),
    children=("campaign_statistics", "campaign_analytics"),
    child_paths=r"/statistics/GetCampaignStatistics$|/analytics/by-campaignid$",
    # one analytics window per campaign
    settings={"start_date": (date.today() - timedelta(days=30)).isoformat()},
)


def credentials(url: str, client: SandboxClient) -> dict:
    return {
        "accounts": ACCOUNTS,
        "api_url": f"{url}/salesflow/api",
        "statistics_api_url": f"{url}/salesflow/api",
    }


def minimum(now: dict[str, int], before: dict[str, int] | None) -> dict[str, int]:
    """Fewest requests: lists are unpaged (one per account), analytics in 92-day windows; a
    later sync needs one window for the trailing days that changed (or to see that none did)."""
    accounts, campaigns = now["accounts"], now["campaigns"]
    days = per_partition(now["account_analytics"], accounts)
    windows = math.ceil(days / ANALYTICS_DAYS) if before is None else 1
    return {
        "accounts": accounts,
        "campaigns": accounts,
        "webhooks": accounts,
        "campaign_statistics": campaigns,
        "members": accounts,
        "incoming_messages": accounts,
        "account_analytics": accounts * windows,
        "campaign_analytics": campaigns * windows,
    }


def _per_account(path: str, params: dict) -> t.Callable[..., tuple[int, int]]:
    def raw(session: requests.Session, url: str, sink: t.TextIO) -> tuple[int, int]:
        """One unpaged request per account, as the tap makes them."""
        records = 0
        for account in ACCOUNTS:
            query = {"accountId": account["account_id"], "token": account["token"], **params}
            records += write_lines(sink, get_json(session, "GET", f"{url}{path}", params=query))
        return records, len(ACCOUNTS)

    return raw


BULK = (
    Bulk(
        "members",
        lambda n: {"salesflow.members": n // len(ACCOUNTS)},
        _per_account("/salesflow/api/members/list-contacts-by-accountid", {}),
    ),
    Bulk(
        "incoming_messages",
        lambda n: {"salesflow.messages": n // len(ACCOUNTS)},
        _per_account(
            "/salesflow/api/messaging/incoming-messages-by-accountid",
            {"from": "2000-01-01T00:00:00.000000Z"},
        ),
    ),
)
