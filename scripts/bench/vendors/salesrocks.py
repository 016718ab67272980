"""Sales.Rocks: the API's facts as the bench needs them (docs/sandbox-contract.md)."""

from __future__ import annotations

import typing as t

from outreach_sandbox import DEFAULT_SALESROCKS_USERS

from .facts import Bulk, Latency, get_json, pages_until_empty, per_partition, write_lines

if t.TYPE_CHECKING:
    import requests

    from outreach_sandbox import SandboxClient

KEY, TITLE = "salesrocks", "Sales.Rocks"
#: The largest page the API takes (`page_size` 1-1000).
PAGE = 1000
RATE_LIMIT = None
SETTINGS = {"page_size": PAGE}
MEMORY_STREAM = "list_data"
ENDPOINTS = {
    "/auth/accessToken": "auth",
    "/editable-lists/getLists": "lists",
    "/editable-lists/getListData": "list_data",
    "/drip-campaign/getCampaignStatistics": "campaign_statistics",
}
ECONOMY_COUNTS = {"salesrocks.lists": 5, "salesrocks.rows_per_list": 1500}
LATENCY = Latency(
    counts={"salesrocks.lists": 60, "salesrocks.rows_per_list": 20},
    parents=("lists",),
    children=("list_data",),
    child_paths=r"/editable-lists/getListData$",
    settings={},
)
#: Lists of the bulk data set: n / 16 rows each, not a multiple of the page, as real lists.
BULK_LISTS = 16
USERNAME, PASSWORD = next(iter(DEFAULT_SALESROCKS_USERS.items()))


def credentials(url: str, client: SandboxClient) -> dict:
    """Login and the campaign ids the sandbox knows (the API cannot list campaigns)."""
    return {
        "username": USERNAME,
        "password": PASSWORD,
        "api_url": f"{url}/salesrocks",
        "campaign_ids": client.expected(KEY, "campaign_statistics")["keys"],
    }


def minimum(now: dict[str, int], before: dict[str, int] | None) -> dict[str, int]:
    """Fewest requests: one login, pages of 1000 up to an empty one (no maximum `size` is
    documented); everything is full table, so every run alike."""
    lists = now["lists"]
    rows = per_partition(now["list_data"], lists)
    return {
        "auth": 1,
        "lists": pages_until_empty(lists, PAGE),
        "list_data": lists * pages_until_empty(rows, PAGE),
        "campaign_statistics": now["campaign_statistics"],
    }


def _pages(session: requests.Session, url: str, body: dict, sink: t.TextIO | None = None):
    """Every item of a page/size endpoint (written to `sink` if given, else returned)."""
    items: list[dict] = []
    written = page = 0
    while True:
        page += 1
        data = {**body, "page": page, "size": PAGE}
        batch = get_json(session, "POST", url, json=data)["data"]
        if sink is None:
            items += batch
        else:
            written += write_lines(sink, batch)
        if len(batch) < PAGE:
            return items, written, page


def _list_data(session: requests.Session, url: str, sink: t.TextIO) -> tuple[int, int]:
    """Log in, page the lists, then page each list's rows, 1000 a page."""
    login = {"username": USERNAME, "password": PASSWORD}
    token = get_json(session, "POST", f"{url}/salesrocks/auth/accessToken", json=login)
    session.headers["Authorization"] = f"Bearer {token['access_token']}"
    lists, _, made = _pages(session, f"{url}/salesrocks/editable-lists/getLists", {})
    records = 0
    for item in lists:
        body = {"list_id": item["uuid"]}
        _, n, pages = _pages(session, f"{url}/salesrocks/editable-lists/getListData", body, sink)
        records, made = records + n, made + pages
    return records, made + 1


BULK = (
    Bulk(
        "list_data",
        lambda n: {"salesrocks.lists": BULK_LISTS, "salesrocks.rows_per_list": n // BULK_LISTS},
        _list_data,
    ),
)
