"""tap-salesrocks against the sandbox over HTTP: login, token refresh, shifting pages."""

from __future__ import annotations

import pytest
from project_streams import primary_keys
from standard_tests import standard_tap_tests
from support import assert_no_secrets, run_tap, salesrocks_settings

from outreach_kit.gone import PARENT_GONE
from outreach_sandbox import DEFAULT_SALESROCKS_USERS, SandboxServer
from tap_salesrocks.tap import TapSalesRocks

USER, PASSWORD = next(iter(DEFAULT_SALESROCKS_USERS.items()))
#: Every Sales.Rocks stream has a one-field key.
KEYS = {stream: key for stream, (key,) in primary_keys("salesrocks").items()}


def config(url: str, **extra) -> dict:
    return salesrocks_settings(url, **{"campaign_ids": [101, 102, 103, 104], **extra})


def ids(run, stream: str) -> set[str]:
    return {str(r[KEYS[stream]]) for r in run.records(stream)}


def expected(server: SandboxServer, stream: str) -> set[str]:
    return {str(k) for k in server.control.expected("salesrocks", stream)["keys"]}


# singer-sdk's standard tap tests, against a sandbox that lives as long as the class.
TestTapSalesRocksStandard = standard_tap_tests(TapSalesRocks, config, seed=41, scale=0.2)


@pytest.fixture
def fresh():
    with SandboxServer(seed=42, scale=0.5) as server:
        yield server


def test_every_stream_lands_completely_with_all_user_columns(fresh):
    run = run_tap("tap-salesrocks", config(fresh.url, page_size=25))
    assert run.returncode == 0, run.stderr[-2000:]
    for stream in KEYS:
        assert ids(run, stream) == expected(fresh, stream), stream
        assert len(run.records(stream)) == len(expected(fresh, stream)), f"{stream}: duplicates"
    rows = run.records("list_data")
    by_list: dict[str, set[str]] = {}
    for row in rows:
        by_list.setdefault(row["list_id"], set()).update(row["columns"])
    column_sets = {frozenset(c) for c in by_list.values()}
    assert len(column_sets) > 1, "lists carry different user-defined columns"
    state = fresh.state.vendors["salesrocks"]
    for list_id, columns in by_list.items():
        assert columns == set(state.columns[list_id]), "every user column lands, none dropped"
    assert all(isinstance(r["id"], str) and len(r["id"]) == 24 for r in rows)  # plain $oid


@pytest.mark.parametrize(("rows", "size"), [(0, 10), (1, 10), (10, 10), (11, 10)])
def test_page_boundaries(rows, size):
    with SandboxServer(seed=43, scale=0.2, counts={"salesrocks.rows_per_list": rows}) as server:
        run = run_tap("tap-salesrocks", config(server.url, page_size=size))
        assert run.returncode == 0, run.stderr[-1500:]
        assert ids(run, "list_data") == expected(server, "list_data")
        assert len(run.records("list_data")) == len(expected(server, "list_data"))


def test_a_sync_longer_than_the_token_lifetime_refreshes_and_loses_nothing():
    with SandboxServer(seed=44, scale=0.5, latency_ms=60, token_lifetime_s=1.0) as server:
        # Over 20 requests of at least 60 ms, one at a time: longer than the 1 s token.
        run = run_tap(
            "tap-salesrocks",
            config(server.url, page_size=10, concurrency=1, token_refresh_margin_seconds=0.05),
        )
        assert run.returncode == 0, run.stderr[-2000:]
        logins = [r for r in server.control.requests() if r["path"] == "/auth/accessToken"]
        assert len(logins) >= 2, "the sync outlived one token"
        assert server.control.stats()["by_status"].get("401", 0) == 0, "refreshed before expiry"
        assert ids(run, "list_data") == expected(server, "list_data")


def test_mid_sync_401_recovers_once_and_a_second_fails_clearly(fresh):
    fresh.control.add_faults(
        [{"vendor": "salesrocks", "path": "getListData", "kind": "expire_token", "after": 3}]
    )
    run = run_tap("tap-salesrocks", config(fresh.url, page_size=20))
    assert run.returncode == 0, run.stderr[-2000:]
    assert ids(run, "list_data") == expected(fresh, "list_data")
    fresh.control.add_faults(
        [{"vendor": "salesrocks", "path": "getLists", "kind": "401", "times": 2}]
    )
    failed = run_tap("tap-salesrocks", config(fresh.url))
    assert failed.returncode == 1
    assert f"user '{USER}'" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_wrong_password_fails_clearly_naming_the_user(fresh):
    wrong = "not-the-password-42"
    run = run_tap("tap-salesrocks", {**config(fresh.url), "password": wrong})
    assert run.returncode == 1
    assert f"rejected the login for user '{USER}'" in run.stderr
    assert "'password'" in run.stderr
    assert "Traceback" not in run.stderr
    assert_no_secrets(run.stdout + run.stderr, [wrong])


def test_shifting_pages_lose_nothing_and_repeat_nothing(fresh):
    fresh.control.add_faults(
        [
            {
                "vendor": "salesrocks",
                "path": "getListData",
                "kind": "shift_insert",
                "count": 3,
                "after": 1,
            },
            {
                "vendor": "salesrocks",
                "path": "getListData",
                "kind": "shift_delete",
                "count": 2,
                "after": 5,
            },
            {
                "vendor": "salesrocks",
                "path": "getListData",
                "kind": "duplicate_boundary",
                "after": 8,
            },
        ]
    )
    run = run_tap("tap-salesrocks", config(fresh.url, page_size=15))
    assert run.returncode == 0, run.stderr[-2000:]
    landed = [r["id"] for r in run.records("list_data")]
    assert len(landed) == len(set(landed)), "no row emitted twice in one sync"
    assert expected(fresh, "list_data") <= set(landed), "no row that still exists was lost"
    assert len(set(landed) - expected(fresh, "list_data")) <= 2  # rows deleted after being read


@pytest.mark.parametrize(
    ("rows", "position", "after"),
    [
        (60, 20, 3),  # mid-list, before page 3 (rows 30-44) is answered: row 30 moves back
        (31, 20, 2),  # before page 3 (the 31st row alone) is answered: it moves back
        (31, 20, 3),  # the same, once page 3 was answered and its end checked
    ],
    ids=["mid-list", "onto-the-last-full-page", "after-the-last-page"],
)
def test_a_row_deleted_behind_the_read_loses_no_other_row(rows, position, after):
    """A deletion before the page being read moves one unread row back onto a page already
    read; a full-table read that missed it would retire a live row."""
    counts = {"salesrocks.lists": 1, "salesrocks.rows_per_list": rows}
    with SandboxServer(seed=43, scale=0.2, counts=counts) as server:
        server.control.add_faults(
            [
                {
                    "vendor": "salesrocks",
                    "path": "getListData",
                    "kind": "shift_delete",
                    "count": 1,
                    "position": position,
                    "after": after,
                }
            ]
        )
        run = run_tap("tap-salesrocks", config(server.url, page_size=15))
        assert run.returncode == 0, run.stderr[-2000:]
        landed = [r["id"] for r in run.records("list_data")]
        assert len(landed) == len(set(landed)), "no row emitted twice in one sync"
        live = expected(server, "list_data")
        assert live <= set(landed), "no row that still exists was lost"
        assert len(set(landed) - live) == 1  # the deleted row, read before it went
        assert "changed while it was read (pass 1)" in run.stderr


def test_a_list_deleted_behind_the_read_of_lists_loses_no_other_list():
    """Lists are paged the same way: a list deleted from a page already read moves the next
    one back onto it, and a missed list would take its rows with it."""
    counts = {"salesrocks.lists": 7, "salesrocks.rows_per_list": 3}
    with SandboxServer(seed=43, scale=0.2, counts=counts) as server:
        fault = {"vendor": "salesrocks", "path": "getLists", "kind": "shift_delete"}
        server.control.add_faults([{**fault, "count": 1, "position": 1, "after": 2}])
        # One list at a time: its rows are read before the next page of lists is asked for.
        run = run_tap("tap-salesrocks", config(server.url, page_size=2, concurrency=1))
        assert run.returncode == 0, run.stderr[-2000:]
        for stream in ("lists", "list_data"):
            landed = [str(r[KEYS[stream]]) for r in run.records(stream)]
            assert len(landed) == len(set(landed)), f"{stream}: no record emitted twice"
            assert expected(server, stream) <= set(landed), f"{stream}: nothing live lost"
        assert "lists: 'lists' changed while it was read (pass 1)" in run.stderr


def test_unknown_campaign_names_the_setting(fresh):
    run = run_tap("tap-salesrocks", config(fresh.url, campaign_ids=[101, 999]))
    assert run.returncode == 1
    assert "999" in run.stderr
    assert "'campaign_ids'" in run.stderr


def test_faults_recover_and_secrets_never_leak_at_debug(fresh):
    fresh.control.add_faults(
        [
            {"vendor": "salesrocks", "path": "getLists", "kind": "500", "times": 2},
            {"vendor": "salesrocks", "path": "getListData", "kind": "reset", "after": 2},
            {"vendor": "salesrocks", "path": "getListData", "kind": "truncated", "after": 4},
            {"vendor": "salesrocks", "path": "getListData", "kind": "html_200", "after": 6},
            {"vendor": "salesrocks", "path": "getListData", "kind": "success_false", "after": 7},
            {"vendor": "salesrocks", "path": "getListData", "kind": "429", "after": 8},
            {"vendor": "salesrocks", "path": "getListData", "kind": "expire_token", "after": 9},
            {"vendor": "salesrocks", "path": "getCampaignStatistics", "kind": "503"},
        ]
    )
    run = run_tap("tap-salesrocks", config(fresh.url, page_size=20), env={"LOGLEVEL": "DEBUG"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert "DEBUG" in run.stderr
    for stream in KEYS:
        assert ids(run, stream) == expected(fresh, stream), stream
    tokens = fresh.control.issued_tokens()
    assert len(tokens) >= 2
    assert_no_secrets(run.stdout + run.stderr, [PASSWORD, *tokens])


@pytest.mark.parametrize(
    ("cfg", "needle"),
    [
        ({"page_size": 5000}, "'page_size'"),
        ({"username": ""}, "'username'"),
        ({"api_url": "api.sales.rocks"}, "'api_url'"),
    ],
)
def test_bad_settings_fail_fast(fresh, cfg, needle):
    run = run_tap("tap-salesrocks", {**config(fresh.url), **cfg})
    assert run.returncode != 0
    assert needle in run.stderr
    assert not run.records()


@pytest.mark.parametrize(
    ("after", "read_first"),
    [(0, 0), (2, 15)],  # page 1 given; page 2 in, but its rows wait for page 1's end check
    ids=["before", "mid-list"],
)
def test_a_list_deleted_before_or_while_its_rows_are_read_is_skipped(after, read_first):
    """getListData answers 404 for a list deleted since getLists listed it; getLists no
    longer lists it either, so its rows are skipped (counted) and the sync goes on."""
    counts = {"salesrocks.lists": 4, "salesrocks.rows_per_list": 60}
    with SandboxServer(seed=43, scale=0.2, counts=counts) as server:
        lists_before = expected(server, "lists")
        fault = {"vendor": "salesrocks", "path": "getListData", "kind": "delete_parent"}
        server.control.add_faults([{**fault, "after": after}])  # of the first list read
        run = run_tap("tap-salesrocks", config(server.url, page_size=15, concurrency=1))
        (gone,) = lists_before - expected(server, "lists")
        live = expected(server, "list_data")
    assert run.returncode == 0, run.stderr[-2000:]
    landed = [r["id"] for r in run.records("list_data")]
    assert len(landed) == len(set(landed))
    assert live <= set(landed), "every row of every other list landed"
    assert len(set(landed) - live) == read_first  # rows read before the list went
    assert f"the parent list {gone} was deleted during the sync" in run.stderr
    assert f"list_data: 1 {PARENT_GONE}" in run.stderr
    assert any(m["type"] == "ACTIVATE_VERSION" and m["stream"] == "list_data" for m in run.messages)


def test_a_404_on_the_rows_of_a_list_still_listed_fails_clearly(fresh):
    fresh.control.add_faults([{"vendor": "salesrocks", "path": "getListData", "kind": "404"}])
    run = run_tap("tap-salesrocks", config(fresh.url))
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert "getListData with HTTP 404" in last, last
    assert "Traceback" not in run.stderr


def test_a_404_on_a_list_that_only_a_resized_paging_finds_still_fails():
    """getLists capped at 3 rows a page, each next page starting at the size asked (5):
    lists 4 and 5 are on no page of 5. A 404 on the rows of list 4 must not be taken for
    a deleted list: getLists is paged again at the size it answers, and finds it."""
    counts = {"salesrocks.lists": 8, "salesrocks.rows_per_list": 2}
    modes = {"salesrocks_max_size": 3, "salesrocks_cap_offsets": "asked"}
    with SandboxServer(seed=43, scale=1, counts=counts, modes=modes) as server:
        # Each list before it costs two requests: its one short page and the row after it.
        fault = {"vendor": "salesrocks", "path": "getListData", "kind": "404", "after": 6}
        server.control.add_faults([fault])
        run = run_tap("tap-salesrocks", config(server.url, page_size=5, concurrency=1))
    assert run.returncode == 1, run.stderr[-2000:]
    assert "getListData with HTTP 404" in run.stderr.strip().splitlines()[-1]
    assert "was deleted during the sync" not in run.stderr
