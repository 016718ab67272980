"""Sales.Rocks documents no maximum `size`: a short page is the end only if no row follows it
(asked alone); otherwise it shows a cap (or the list grew) and the list is read again."""

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
    """getListData requests for one list of `rows` read `size` at a time: every page, then
    the closing empty page after a full one (asked twice: kit guard) or the row after a
    short one (asked alone), and the page-end checks."""
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
    """Exact requests: against taking a short page for the end, only lists whose last page
    is short (not empty) cost one more request, the row after it."""
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


#: Seed 5, two lists: the rows of each list, and what a 50-row cap leaves.
CAP_CASES = [80, 130, 250]


@pytest.mark.parametrize("offsets", ["capped", "asked"])
@pytest.mark.parametrize("rows", CAP_CASES)
def test_a_cap_loses_nothing_wherever_the_server_starts_its_next_page(offsets, rows):
    """A server capping pages at 50 may start page 2 at row 50 (offsets by the capped size)
    or at row 100 (by the size asked): then rows 50-99 are on no page of 100, and a list
    of 80 or 130 rows showed no two equal short pages. The row after the first short
    page shows the cap either way."""
    counts = {"salesrocks.lists": 2, "salesrocks.rows_per_list": rows}
    modes = {"salesrocks_max_size": 50, "salesrocks_cap_offsets": offsets}
    with SandboxServer(seed=5, scale=1, counts=counts, modes=modes) as server:
        run = run_tap("tap-salesrocks", config(server.url, page_size=100))
        assert run.returncode == 0, run.stderr[-2000:]
        landed = [r["id"] for r in run.records("list_data")]
        assert set(landed) == truth(server, "list_data") and len(landed) == 2 * rows
        assert "answers at most 50 rows per page (asked 100)" in run.stderr


def test_rows_added_after_a_short_last_page_are_read_and_teach_no_cap():
    """Rows appended to a list after its short last page was read, before the row after it
    is asked: the list grew (a larger page was already answered), so it is read again at
    the same size, and no cap is learned."""
    counts = {"salesrocks.lists": 1, "salesrocks.rows_per_list": 130}
    with SandboxServer(seed=5, scale=1, counts=counts) as server:
        grow = {"vendor": "salesrocks", "path": "getListData", "kind": "shift_insert"}
        # Requests: page 1 (100 rows), page 2 (30), the check of page 1's end, then the
        # row after page 2: the rows go in at the end just before that one is answered.
        server.control.add_faults([{**grow, "after": 3, "count": 5, "position": 130}])
        run = run_tap("tap-salesrocks", config(server.url, page_size=100, concurrency=1))
        assert run.returncode == 0, run.stderr[-2000:]
        landed = [r["id"] for r in run.records("list_data")]
        assert set(landed) == truth(server, "list_data") and len(landed) == 135
        assert (
            "grew while it was read (a row came after its short last page) (pass 1)" in run.stderr
        )
        assert "rows per page" not in run.stderr
