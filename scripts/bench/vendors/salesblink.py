"""SalesBlink: the public API's facts as the bench needs them (docs/sandbox-contract.md)."""

from __future__ import annotations

import typing as t

from outreach_sandbox import DEFAULT_SALESBLINK_KEYS

from .facts import Bulk, Latency, get_json, pages, per_partition, write_lines

if t.TYPE_CHECKING:
    import requests

    from outreach_sandbox import SandboxClient

KEY, TITLE = "salesblink", "SalesBlink"
PAGE = 100
#: Documented: 30 GET requests per minute per API key.
RATE_LIMIT = 30
FEEDS = ("sent", "opens", "clicks", "replies")
PUBLIC = "/public/v1.0.0"
#: Settings beyond URLs and credentials, the same in every run.
SETTINGS: dict = {}
MEMORY_STREAM = "sent"
ENDPOINTS = {
    f"{PUBLIC}/lists": "lists",
    f"{PUBLIC}/lists/{{id}}/leads": "list_leads",
    f"{PUBLIC}/sequences": "sequences",
    f"{PUBLIC}/sequences/{{id}}/stats": "sequence_stats",
    f"{PUBLIC}/users": "users",
    **{f"{PUBLIC}/{feed}": feed for feed in FEEDS},
}
ECONOMY_COUNTS = {
    "salesblink.lists": 6,
    "salesblink.leads_per_list": 150,
    "salesblink.sequences": 8,
    "salesblink.users": 5,
}
LATENCY = Latency(
    counts={"salesblink.lists": 30, "salesblink.leads_per_list": 20, "salesblink.sequences": 30},
    parents=("lists", "sequences"),
    children=("list_leads", "sequence_stats"),
    child_paths=r"/lists/[^/]+/leads$|/sequences/[^/]+/stats$",
    settings={},
)
LEAD_LISTS = 20


def credentials(url: str, client: SandboxClient) -> dict:
    return {"api_key": DEFAULT_SALESBLINK_KEYS[0], "api_url": f"{url}/salesblink/api"}


def minimum(now: dict[str, int], before: dict[str, int] | None) -> dict[str, int]:
    """Fewest requests: full pages of 100, feeds read `since` the last sync (new events only)."""
    lists, sequences = now["lists"], now["sequences"]
    least = {
        "lists": pages(lists, PAGE),
        "list_leads": lists * pages(per_partition(now["list_leads"], lists), PAGE),
        "sequences": pages(sequences, PAGE),
        "sequence_stats": sequences,
        "users": 1,
    }
    for feed in FEEDS:
        least[feed] = pages(now[feed] - (before or {}).get(feed, 0), PAGE)
    return least


def _session(session: requests.Session) -> str:
    session.headers["Authorization"] = DEFAULT_SALESBLINK_KEYS[0]
    return PUBLIC


def _feed(feed: str) -> t.Callable[[requests.Session, str, t.TextIO], tuple[int, int]]:
    def raw(session: requests.Session, url: str, sink: t.TextIO) -> tuple[int, int]:
        """Page through the feed newest first, 100 a page, until a short page."""
        base = f"{url}/salesblink/api{_session(session)}/{feed}"
        records = page = 0
        while True:
            page += 1
            batch = get_json(session, "GET", base, params={"per_page": PAGE, "page": page})
            records += write_lines(sink, batch)
            if len(batch) < PAGE:
                return records, page

    return raw


def _skip_pages(session: requests.Session, url: str, pick: t.Callable[[t.Any], list]):
    """Every page of a limit/skip endpoint until a short one: (items, requests)."""
    items: list[dict] = []
    made = 0
    while True:
        made += 1
        body = get_json(session, "GET", url, params={"limit": PAGE, "skip": len(items)})
        batch = pick(body["data"])
        items += batch
        if len(batch) < PAGE:
            return items, made


def _list_leads(session: requests.Session, url: str, sink: t.TextIO) -> tuple[int, int]:
    """The lists, then each list's leads, 100 a page."""
    base = f"{url}/salesblink/api{_session(session)}"
    lists, made = _skip_pages(session, f"{base}/lists", lambda data: data)
    records = 0
    for item in lists:
        leads, n = _skip_pages(session, f"{base}/lists/{item['id']}/leads", lambda d: d["contacts"])
        records, made = records + write_lines(sink, leads), made + n
    return records, made


BULK = (
    *(Bulk(feed, lambda n, feed=feed: {f"salesblink.{feed}": n}, _feed(feed)) for feed in FEEDS),
    Bulk(
        "list_leads",
        lambda n: {"salesblink.lists": LEAD_LISTS, "salesblink.leads_per_list": n // LEAD_LISTS},
        _list_leads,
    ),
)
