"""Retry waits are bounded one by one and in total; a long Retry-After fails at once."""

from __future__ import annotations

import threading

import pytest

from outreach_kit.errors import ConfigurationError, WaitTooLongError
from outreach_kit.waits import WaitBudget, check_wait_settings

NOW = 1_795_000_000.0  # 2026-11-18 11:06:40 UTC


def test_backoff_waits_are_capped_at_the_single_bound():
    budget = WaitBudget(10, 100, clock=lambda: NOW)
    assert budget.admit(3.5, what="SalesBlink /sent") == 3.5
    assert budget.admit(64, what="SalesBlink /sent") == 10
    assert budget.spent == 13.5


def test_a_retry_after_within_the_bound_is_waited_in_full():
    budget = WaitBudget(600, 1800, clock=lambda: NOW)
    assert budget.admit(120, what="Salesflow /api/members", retry_after=120) == 120


def test_a_retry_after_beyond_the_bound_fails_at_once_saying_when():
    budget = WaitBudget(600, 1800, clock=lambda: NOW)
    with pytest.raises(WaitTooLongError) as failed:
        budget.admit(86_400, what="Salesflow /api/members", retry_after=86_400)
    message = str(failed.value)
    assert "Salesflow /api/members" in message and "86,400 s" in message
    assert "2026-11-19 11:06:40 UTC" in message  # when the vendor asked to come back
    assert "'max_retry_wait_seconds' (600 s)" in message and "resumes" in message
    assert budget.spent == 0


def test_the_total_of_a_run_is_bounded():
    budget = WaitBudget(10, 25, clock=lambda: NOW)
    budget.admit(10, what="x")
    budget.admit(10, what="x")
    with pytest.raises(WaitTooLongError, match="'max_total_retry_wait_seconds' \\(25 s\\)"):
        budget.admit(10, what="Sales.Rocks /getListData")
    assert budget.admit(5, what="x") == 5  # what fits still fits
    assert budget.spent == 25


def test_threads_share_one_total():
    budget = WaitBudget(1, 500)
    admitted: list[float] = []
    failures: list[BaseException] = []

    def spend() -> None:
        for _ in range(100):
            try:
                admitted.append(budget.admit(1, what="x"))
            except WaitTooLongError as exc:
                failures.append(exc)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (sum(admitted), len(failures), budget.spent) == (500, 300, 500)


def test_defaults_and_settings():
    budget = WaitBudget.from_config({})
    assert (budget.max_wait, budget.max_total) == (600, 1800)
    budget = WaitBudget.from_config(
        {"max_retry_wait_seconds": 5, "max_total_retry_wait_seconds": 9}
    )
    assert (budget.max_wait, budget.max_total) == (5, 9)
    check_wait_settings({})
    with pytest.raises(ConfigurationError, match="'max_retry_wait_seconds' must be a positive"):
        check_wait_settings({"max_retry_wait_seconds": 0})
    with pytest.raises(ConfigurationError, match="larger than 'max_total_retry_wait_seconds'"):
        check_wait_settings({"max_retry_wait_seconds": 60, "max_total_retry_wait_seconds": 30})
