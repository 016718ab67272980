"""Sandbox time: frozen at ``EPOCH`` so data and tests are reproducible; only tests move it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

#: Sandbox time starts here and only moves when a test advances it.
EPOCH = datetime(2026, 11, 1, tzinfo=timezone.utc)
HISTORY_DAYS = 90
HISTORY_START = EPOCH - timedelta(days=HISTORY_DAYS)
MS_PER_DAY = 86_400_000
_UNIX = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_ms(moment: datetime) -> int:
    """Unix milliseconds (SalesBlink's time unit)."""
    return (moment - _UNIX) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return _UNIX + timedelta(milliseconds=ms)


def iso_ms(moment: datetime) -> str:
    """`2026-10-01T12:00:00.123Z`: ISO-8601 UTC with milliseconds, as SalesBlink sends it."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def history_moment(fraction: float, margin: timedelta = timedelta(0)) -> datetime:
    """A moment ``fraction`` (0..1) of the way through the history, never later than
    ``EPOCH - margin``: records must not carry times after the sandbox clock."""
    fraction = min(max(fraction, 0.0), 1.0)
    span = timedelta(days=HISTORY_DAYS) - margin
    return HISTORY_START + span * fraction


class Clock:
    """Frozen time plus whatever the tests advanced it by (no wall clock: reproducible)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return EPOCH + self.offset

    def now_ms(self) -> int:
        return to_ms(self.now())

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.offset += timedelta(seconds=seconds)
