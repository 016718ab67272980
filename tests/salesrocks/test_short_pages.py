"""Sales.Rocks documents no maximum `size`: reads end at an empty page, never a short one."""

from __future__ import annotations

import math

import pytest
from support import run_tap, salesrocks_settings

from outreach_sandbox import SandboxServer

LIST_DATA = "salesrocks POST /editable-lists/getListData"
GET_LISTS = "salesrocks POST /editable-lists/getLists"


def config(url: str, **extra) -> dict:
    return salesrocks_settings(url, **{"campaign_ids": [101], **extra})


def truth(server: SandboxServer, stream: str) -> set[str]:
    return {str(k) for k in server.control.expected("salesrocks", stream)["keys"]}


def checks(rows: int, size: int) -> int:
    """One-row requests checking that a page's last row has not moved (rows deleted during
    the read): one per page after the first, and one after the closing empty page when the
    last page was full."""
    return max(math.ceil(rows / size) - 1, 0) + (rows > 0 and rows % size == 0)


def requests_for(rows: int, size: int) -> int:
    """getListData requests for one list of `rows` read `size` at a time: every page, the
    closing empty page, the empty page asked again after a full one (kit guard) and the
    page-end checks."""
    pages = math.ceil(rows / size)
    return pages + 1 + (rows > 0 and rows % size == 0) + checks(rows, size)


def test_a_server_cap_below_page_size_loses_nothing():
    """Seed 49 at scale 1: 5 lists of 66, 162, 60, 50 and 175 rows (513). A server that
    answers at most 50 rows a page made the short-page rule land 50 + 50 + 50 + 50 + 50."""
    with SandboxServer(seed=49, scale=1, modes={"salesrocks_max_size": 50}) as server:
        run = run_tap("tap-salesrocks", config(server.url, page_size=100, concurrency=1))
        assert run.returncode == 0, run.stderr[-2000:]
        landed = [r["id"] for r in run.records("list_data")]
        assert len(truth(server, "list_data")) == 513
        assert set(landed) == truth(server, "list_data")
        assert len(landed) == len(set(landed)), "no row twice"
        assert {r["uuid"] for r in run.records("lists")} == truth(server, "lists")
        assert "answers at most 50 rows per page" in run.stderr


def test_a_cap_on_get_lists_too_loses_no_list_and_no_row():
    counts = {"salesrocks.lists": 7, "salesrocks.rows_per_list": 12}
    with SandboxServer(seed=5, scale=1, counts=counts, modes={"salesrocks_max_size": 3}) as server:
        run = run_tap("tap-salesrocks", config(server.url, page_size=5))
        assert run.returncode == 0, run.stderr[-2000:]
        lists = [r["uuid"] for r in run.records("lists")]
        assert sorted(lists) == sorted(truth(server, "lists")) and len(lists) == 7
        rows = [r["id"] for r in run.records("list_data")]
        assert sorted(rows) == sorted(truth(server, "list_data")) and len(rows) == 84


@pytest.mark.parametrize("concurrency", [1, 4])
def test_without_a_cap_one_extra_request_per_list_at_most(concurrency):
    """Exact requests: against the short-page rule, only lists whose last page is short
    (not empty) cost one more request, the closing empty page."""
    with SandboxServer(seed=49, scale=1) as server:
        sizes = [len(rows) for rows in server.state.vendors["salesrocks"].rows.values()]
        assert sizes == [66, 162, 60, 50, 175]
        run = run_tap("tap-salesrocks", config(server.url, page_size=50, concurrency=concurrency))
        assert run.returncode == 0, run.stderr[-2000:]
        assert {r["id"] for r in run.records("list_data")} == truth(server, "list_data")
        made = server.control.stats()["by_endpoint"]
        assert made[LIST_DATA] == sum(requests_for(n, 50) for n in sizes) == 28
        assert made[GET_LISTS] == 2  # lists are read as before: one page and the empty one
        short_rule = sum(math.floor(n / 50) + 1 + (n % 50 == 0) + checks(n, 50) for n in sizes)
        assert made[LIST_DATA] - short_rule == sum(1 for n in sizes if n % 50) == 4


def test_page_size_at_the_cap_reads_each_list_once():
    with SandboxServer(seed=49, scale=1, modes={"salesrocks_max_size": 50}) as server:
        run = run_tap("tap-salesrocks", config(server.url, page_size=50, concurrency=1))
        assert run.returncode == 0, run.stderr[-2000:]
        assert {r["id"] for r in run.records("list_data")} == truth(server, "list_data")
        sizes = [66, 162, 60, 50, 175]
        assert server.control.stats()["by_endpoint"][LIST_DATA] == sum(
            requests_for(n, 50) for n in sizes
        )
        assert "rows per page" not in run.stderr
