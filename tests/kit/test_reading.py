"""What a read carries between requests is an explicit object: the paging guard of one
read, and a one-request paginator for a token the stream builds."""

from __future__ import annotations

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

from outreach_kit.reading import OnePage, PageGuard

OPTS = {"page_size": 2, "versioned": False, "vendor": "V", "path": "/x"}


def test_an_empty_page_after_a_full_one_is_asked_again_once_then_ends_the_read():
    guard, response = PageGuard(), requests.Response()
    assert guard.check(response, 2, **OPTS) is False  # a full page: more expected
    with pytest.raises(RetriableAPIError, match="right after a full one"):
        guard.check(response, 0, **OPTS)
    assert guard.check(response, 0, **OPTS) is True  # asked again, still empty: the end


def test_a_short_page_ends_without_a_recheck_and_reads_do_not_share_a_guard():
    guard = PageGuard()
    assert guard.check(requests.Response(), 1, **OPTS) is False
    assert guard.check(requests.Response(), 0, **OPTS) is False  # after a short page
    assert PageGuard().previous_full is False  # a new read starts clean


def test_an_empty_first_page_of_a_full_table_read_is_asked_again():
    opts = {**OPTS, "versioned": True}
    guard = PageGuard()
    with pytest.raises(RetriableAPIError, match="as the first page"):
        guard.check(requests.Response(), 0, **opts)
    assert guard.check(requests.Response(), 0, **opts) is False
    assert PageGuard().check(requests.Response(), None, **opts) is False  # no body: not a page


def test_one_page_asks_for_its_token_once():
    token = ("2026-01-01", "2026-01-30")
    paginator = OnePage(token)
    assert paginator.current_value == token and not paginator.finished
    paginator.advance(requests.Response())
    assert paginator.finished
