"""outreach_kit.ahead: a response requested ahead is handed over once, to its URL only;
one never used is closed; a failure surfaces where the response is taken."""

from __future__ import annotations

import threading

import pytest
import requests

from outreach_kit.ahead import RequestedAhead, next_partition


class Answer:
    def __init__(self) -> None:
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()


def test_a_response_goes_to_its_url_once():
    ahead, answer = RequestedAhead(), Answer()
    ahead.start("p:b", "https://x/list?account=b", lambda: answer)
    assert ahead.holds("https://x/list?account=b") and not ahead.holds("https://x/list?a=c")
    assert ahead.take("https://x/list?account=c") is None
    assert ahead.take("https://x/list?account=b").result(timeout=5) is answer
    assert ahead.take("https://x/list?account=b") is None
    assert not answer.closed.is_set()


def test_responses_not_used_are_closed():
    ahead, kept, stale = RequestedAhead(), Answer(), Answer()
    ahead.start("p:b", "https://x/b", lambda: stale)
    ahead.start("p:c", "https://x/c", lambda: kept)
    ahead.keep_only("p:c")  # partition c starts: b's answer was never asked for
    assert stale.closed.wait(5)
    assert ahead.holds("https://x/c") and not kept.closed.is_set()
    ahead.keep_only(None)  # the sync stops
    assert kept.closed.wait(5) and not ahead.holds("https://x/c")


def test_a_failure_is_raised_where_the_response_is_taken():
    ahead = RequestedAhead()

    def send() -> requests.Response:
        raise requests.exceptions.ConnectionError("reset")

    ahead.start("p:b", "https://x/b", send)
    answer = ahead.take("https://x/b")
    with pytest.raises(requests.exceptions.ConnectionError):
        answer.result(timeout=5)


def test_the_next_partition_is_the_one_the_sync_reads_next():
    partitions = [{"account_id": "1"}, {"account_id": "2"}, {"account_id": "3"}]
    assert next_partition(partitions, {"account_id": "1"}) == {"account_id": "2"}
    assert next_partition(partitions, {"account_id": "3"}) is None
    assert next_partition(partitions, {"account_id": "9"}) is None
    assert next_partition(None, {"account_id": "1"}) is None
    assert next_partition(partitions, None) is None
