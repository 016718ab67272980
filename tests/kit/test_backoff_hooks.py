"""Retry waits go through singer-sdk's backoff hooks: the wait generator honours
Retry-After, caps the backoff and is admitted by the run's budget; the log line names the
path only; the give-up error is one clean paragraph."""

from __future__ import annotations

import logging

import pytest
import requests

from outreach_kit.errors import (
    PageRecheckError,
    RateLimitedError,
    RetriesExhaustedError,
    WaitTooLongError,
)
from tap_salesflow.tap import TapSalesflow

TOKEN = "tok-secret-0123456789"


def stream(**settings):
    config = {"accounts": [{"account_id": "a1", "token": TOKEN}], **settings}
    return TapSalesflow(config=config).streams["campaigns"]


def limited(retry_after: float | None) -> RateLimitedError:
    response = requests.Response()
    response.status_code = 429
    response.url = f"https://api.example.invalid/api/campaigns?token={TOKEN}"
    return RateLimitedError("rate limit", response, retry_after)


def waits(campaigns, failures) -> list[float]:
    gen = campaigns.backoff_wait_generator()
    next(gen)  # primed as backoff primes it
    return [campaigns.backoff_jitter(gen.send(exc)) for exc in failures]


def test_retry_after_is_waited_as_asked_and_counted():
    campaigns = stream()
    assert waits(campaigns, [limited(7.0), limited(3.0)]) == [7.0, 3.0]
    assert campaigns.wait_budget.spent == 10.0


def test_backoff_doubles_per_attempt_and_is_capped_per_wait():
    campaigns = stream(retry_base_seconds=1.0, max_retry_wait_seconds=3)
    got = waits(campaigns, [limited(None)] * 4)
    assert 0.8 <= got[0] <= 1.2 and 1.6 <= got[1] <= 2.4  # 1 s, 2 s, +-20 %
    assert all(wait <= 3.0 for wait in got[2:])  # 4 s and 8 s capped at the bound
    assert campaigns.wait_budget.spent == pytest.approx(sum(got))


def test_each_request_counts_its_attempts_from_one():
    campaigns = stream(retry_base_seconds=1.0)
    waits(campaigns, [limited(None)] * 3)
    assert waits(campaigns, [limited(None)])[0] <= 1.2  # a new request starts again


def test_an_empty_page_is_asked_again_at_once_outside_the_budget():
    """An empty page after a full one ends most reads whose last page was full (a list of
    exactly 100 leads): asking again must cost no backoff wait, or every such list would
    cost a second (list_leads in the bench ran at 0.21x of the raw loop for that)."""
    campaigns = stream(retry_base_seconds=1.0)
    recheck = PageRecheckError("empty page; asking again", None)
    assert waits(campaigns, [recheck] * 3) == [0.0, 0.0, 0.0]
    assert campaigns.wait_budget.spent == 0.0
    assert 0.8 <= waits(campaigns, [limited(None)])[0] <= 1.2  # other failures still back off


def test_the_run_budget_stops_the_waits():
    campaigns = stream(max_retry_wait_seconds=5, max_total_retry_wait_seconds=8)
    with pytest.raises(WaitTooLongError, match="max_total_retry_wait_seconds"):
        waits(campaigns, [limited(5.0), limited(5.0)])


def test_the_backoff_log_line_names_the_path_only(caplog):
    campaigns = stream()
    request = requests.Request("GET", limited(None).response.url).prepare()
    with caplog.at_level(logging.WARNING):
        campaigns.backoff_handler(
            {"exception": limited(2.0), "wait": 2.0, "tries": 1, "args": (request, None)}
        )
    assert "retrying /api/campaigns in 2.00s (attempt 1 of 6)" in caplog.text
    assert TOKEN not in caplog.text and "token=" not in caplog.text


def test_giving_up_is_one_paragraph_without_the_url():
    campaigns = stream(max_retries=1)
    request = requests.Request("GET", limited(None).response.url).prepare()
    calls = []

    def fail(prepared, context):
        calls.append(prepared)
        raise requests.exceptions.ConnectionError(f"cannot reach {prepared.url}")

    campaigns.backoff_wait_generator = lambda: iter_zero()  # type: ignore[method-assign]
    with pytest.raises(RetriesExhaustedError) as failed:
        campaigns.request_decorator(fail)(request, None)
    assert len(calls) == 2  # max_retries + 1 attempts
    message = str(failed.value)
    assert "failed 2 times" in message and "/api/campaigns" in message
    assert TOKEN not in message and failed.value.__cause__ is None


def iter_zero():
    yield  # primed
    while True:
        yield 0.0
