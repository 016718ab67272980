"""Bounds on the time a run spends waiting to retry, so a scheduled job never hangs for days.

Two settings bound every retry wait of a run (each request's own waits and all of them):

- ``max_retry_wait_seconds`` (default 600) caps one wait. The exponential backoff is capped
  at it; a server's ``Retry-After`` longer than it fails the run at once, saying when the
  vendor asked to come back: state already written is kept and the next scheduled run
  resumes (waiting in-process would only hold the scheduler's slot).
- ``max_total_retry_wait_seconds`` (default 1800) caps the sum of retry waits over the run,
  all streams and worker threads together; the wait that would pass it fails the run.

So a run waits to retry at most ``max_total_retry_wait_seconds`` in all, and no single
wait exceeds ``max_retry_wait_seconds``. Pacing to the documented rate limit is not a retry
wait: it is bounded per request by ``rate_limit_window_seconds``.
"""

from __future__ import annotations

import threading
import time
import typing as t
from datetime import datetime, timezone

from outreach_kit.errors import ConfigurationError, WaitTooLongError

DEFAULT_MAX_WAIT_S = 600.0
DEFAULT_MAX_TOTAL_WAIT_S = 1800.0


class WaitBudget:
    """Admits retry waits against the single and total bounds; shared by a run's threads."""

    def __init__(
        self,
        max_wait: float = DEFAULT_MAX_WAIT_S,
        max_total: float = DEFAULT_MAX_TOTAL_WAIT_S,
        *,
        clock: t.Callable[[], float] = time.time,
    ) -> None:
        self.max_wait = float(max_wait)
        self.max_total = float(max_total)
        self._clock = clock
        self._lock = threading.Lock()
        #: Seconds of retry waits admitted so far in this run.
        self.spent = 0.0

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> WaitBudget:
        """The bounds of a tap's settings (defaults when unset)."""
        return cls(
            _number(config, "max_retry_wait_seconds", DEFAULT_MAX_WAIT_S),
            _number(config, "max_total_retry_wait_seconds", DEFAULT_MAX_TOTAL_WAIT_S),
        )

    def admit(self, wait: float, *, what: str, retry_after: float | None = None) -> float:
        """The seconds to wait before retrying ``what`` ("SalesBlink /sent"), counted
        against the budget; raises :class:`WaitTooLongError` when a bound would be passed.

        ``retry_after`` is the server's own demand: it is never shortened (retrying sooner
        than asked only earns another 429), so one beyond ``max_wait`` fails at once.
        """
        if retry_after is not None and retry_after > self.max_wait:
            when = datetime.fromtimestamp(self._clock() + retry_after, timezone.utc)
            raise WaitTooLongError(
                f"{what} answered HTTP 429 asking to come back in {_seconds(retry_after)}, at "
                f"{when:%Y-%m-%d %H:%M:%S} UTC: longer than 'max_retry_wait_seconds' "
                f"({self.max_wait:g} s). The run stopped instead of waiting; state already "
                "written is kept, so the next scheduled run resumes from it (raise "
                "'max_retry_wait_seconds' to wait that long within a run)."
            )
        wait = max(0.0, min(wait, self.max_wait))
        with self._lock:
            if self.spent + wait > self.max_total:
                raise WaitTooLongError(
                    f"Retries in this run have already waited {_seconds(self.spent)}; waiting "
                    f"{_seconds(wait)} more before retrying {what} would pass "
                    f"'max_total_retry_wait_seconds' ({self.max_total:g} s). The API has been "
                    "failing or throttling for a long time, so the run stopped; state already "
                    "written is kept and the next run resumes from it (raise the setting to "
                    "wait longer)."
                )
            self.spent += wait
        return wait


def check_wait_settings(config: t.Mapping[str, t.Any]) -> None:
    """Both bounds must be positive numbers, the single one no larger than the total."""
    single = _number(config, "max_retry_wait_seconds", DEFAULT_MAX_WAIT_S)
    total = _number(config, "max_total_retry_wait_seconds", DEFAULT_MAX_TOTAL_WAIT_S)
    bounds = {"max_retry_wait_seconds": single, "max_total_retry_wait_seconds": total}
    for name, value in bounds.items():
        if value <= 0:
            raise ConfigurationError(
                f"Setting '{name}' must be a positive number of seconds, got {value:g}."
            )
    if single > total:
        raise ConfigurationError(
            f"Setting 'max_retry_wait_seconds' ({single:g}) is larger than "
            f"'max_total_retry_wait_seconds' ({total:g}): one wait could never be taken. "
            "Lower the first or raise the second."
        )


def _seconds(value: float) -> str:
    """``86,400 s`` or ``0.3 s``: whole seconds once they matter, tenths below ten."""
    return f"{value:,.0f} s" if value >= 10 else f"{value:.1f} s"


def _number(config: t.Mapping[str, t.Any], name: str, default: float) -> float:
    value = config.get(name)
    return default if value is None else float(value)
