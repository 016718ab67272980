"""Turn every timestamp shape the vendors send into one UTC ISO-8601 string.

The vendors send Unix milliseconds (as numbers or numeric strings), .NET timestamps with
seven fractional digits and an offset, and naive ``YYYY-MM-DD HH:MM:SS`` strings in UTC.
Warehouses want one shape: ``YYYY-MM-DDTHH:MM:SS[.fraction]Z``. Fractions are carried over
digit for digit so that no instant is rounded away on the tap's side.

One rule for epoch numbers: the APIs document milliseconds, so every number is milliseconds
(no guessing seconds from the magnitude, which read a pre-1970 millisecond value as 1967).
A value no vendor can mean is not a timestamp (:class:`ImpossibleTimestamp`): an epoch value
before 1970-01-02 (zero, negatives, a seconds value sent by mistake) or after year 9999, a
date outside 0001-9999, and .NET's "no date" ``0001-01-01T00:00:00``. Callers keep the raw
value and land null; nothing here crashes on a number.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime, timedelta, timezone

_ISO = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:\.(?P<fraction>\d+))?)?\s*(?P<tz>Z|z|[+-]\d{2}:?\d{2})?$"
)
#: Epoch milliseconds below this are not a time any event had: 1970-01-02T00:00:00Z.
MIN_EPOCH_MS = 86_400_000
#: The first millisecond of year 10000: at and above it, not representable.
MAX_EPOCH_MS = 253_402_300_800_000
#: .NET's DateTime.MinValue, what .NET APIs send for "no date".
_DOTNET_MIN = re.compile(r"^0001-01-01(?:[T ]00:00(?::00(?:\.0+)?)?)?\s*(?:Z|z|[+-]00:?00)?$")


class ImpossibleTimestamp(ValueError):
    """A value shaped like a timestamp that names no usable instant (see module docstring)."""


def ms_to_datetime(value: int | float) -> datetime:
    """Unix milliseconds to an aware UTC datetime."""
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=value)


def datetime_to_ms(value: datetime) -> int:
    """Aware datetime to Unix milliseconds (floor)."""
    delta = value.astimezone(timezone.utc) - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def to_utc_iso(value: object) -> str | None:
    """Normalise a vendor timestamp to ``YYYY-MM-DDTHH:MM:SS[.f]Z``; ``None`` stays ``None``.

    Raises:
        ValueError: when the value is not a timestamp in any known shape.
        ImpossibleTimestamp: when it is shaped like one but names no usable instant.
    """
    kind = type(value)
    if kind is int and MIN_EPOCH_MS <= value < MAX_EPOCH_MS:  # type: ignore[operator]
        return _epoch_int_to_iso(value)  # type: ignore[arg-type]
    if kind is str:
        fast = _exact_iso(value)  # type: ignore[arg-type]
        if fast is not None:
            return fast
    return _general_iso(value)


def _general_iso(value: object) -> str | None:
    """``to_utc_iso`` of any value, every shape (the fast path's reference)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return _epoch_to_iso(value)
    if isinstance(value, datetime):
        return _format(value.astimezone(timezone.utc) if value.tzinfo else value, None)
    text = str(value).strip()
    if _DOTNET_MIN.match(text):
        raise ImpossibleTimestamp(f"the .NET 'no date' value: {value!r}")
    if _EPOCH_TEXT.fullmatch(text):
        return _epoch_to_iso(float(text) if "." in text else int(text))
    match = _ISO.match(text)
    if not match:
        raise ValueError(f"not a timestamp: {value!r}")
    clock = match["time"] or "00:00:00"
    if len(clock) == 5:
        clock += ":00"
    tz = match["tz"] or "+00:00"
    if tz in {"Z", "z"}:
        tz = "+00:00"
    elif ":" not in tz:
        tz = f"{tz[:3]}:{tz[3:]}"
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{clock}{tz}")
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r}") from None
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:  # an offset that moves it out of 0001-9999
        raise ImpossibleTimestamp(f"outside years 0001-9999 in UTC: {value!r}") from None
    return _format(moment, match["fraction"])


_EPOCH_TEXT = re.compile(r"-?\d+(\.\d+)?")
#: The shapes the vendors send, exactly: ``YYYY-MM-DDTHH:MM:SS[.fraction]`` and ``Z`` or a
#: ``+HH:MM`` offset (.NET's seven digits and offset, ISO UTC). Anything else, or anything
#: this does not settle, takes the general path; both give the same result.
_EXACT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")
#: UTC offsets seen (``+02:00`` -> 2 h), made once each: at most 2 x 24 x 60 valid ones.
_OFFSETS: dict[str, timedelta] = {"Z": timedelta(0)}


def _exact_iso(text: str) -> str | None:
    """``to_utc_iso`` of a string in one of the vendors' exact shapes (a per-record cost:
    one regex and one or two datetime operations), or None to let the general path decide."""
    match = _EXACT.fullmatch(text)
    if match is None or text.startswith("0001-01-01"):  # .NET's "no date": general path
        return None
    fraction, zone = match.groups()
    shift = _OFFSETS.get(zone)
    if shift is None:
        shift = _offset(zone)
        if shift is None:
            return None
    try:
        moment = datetime.fromisoformat(text[:19])  # validates the date and the clock
        base = (moment - shift).isoformat() if shift else text[:19]
    except (ValueError, OverflowError):
        return None
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def _offset(zone: str) -> timedelta | None:
    """A ``+HH:MM`` offset as a timedelta (kept in ``_OFFSETS``), None when out of range."""
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if hours > 23 or minutes > 59:
        return None
    shift = timedelta(hours=hours, minutes=minutes)
    _OFFSETS[zone] = shift = shift if zone[0] == "+" else -shift
    return shift


def _epoch_to_iso(value: int | float) -> str:
    if not MIN_EPOCH_MS <= value < MAX_EPOCH_MS:  # NaN fails this too
        raise ImpossibleTimestamp(
            f"epoch milliseconds {value!r} are outside 1970-01-02 to 9999-12-31"
        )
    if type(value) is int:  # the common case, once per event
        return _epoch_int_to_iso(value)
    millis = value
    whole = int(millis)
    moment = ms_to_datetime(whole)
    fraction = f"{whole % 1000:03d}"
    remainder = millis - whole
    if remainder:
        fraction += f"{remainder:.6f}"[2:].rstrip("0")
    return _format(moment.replace(microsecond=0), fraction)


def _epoch_int_to_iso(value: int) -> str:
    """Epoch milliseconds within range as ``YYYY-MM-DDTHH:MM:SS.mmmZ``.

    Every record of an activity feed carries one, so this is arithmetic and table lookups
    (a datetime, a timedelta and ``isoformat`` cost about 3 us a value): the date is made
    once per day seen (:data:`_DAYS`), the clock from precomputed digits."""
    seconds, millis = divmod(value, 1000)
    days, clock = divmod(seconds, 86_400)
    day = _DAYS.get(days)
    if day is None:
        if len(_DAYS) >= _DAYS_KEPT:  # bounded: a long history never grows it further
            _DAYS.clear()
        day = _DAYS[days] = date.fromordinal(_EPOCH_ORDINAL + days).isoformat()
    hours, clock = divmod(clock, 3600)
    minutes, secs = divmod(clock, 60)
    return f"{day}T{_DIGITS2[hours]}:{_DIGITS2[minutes]}:{_DIGITS2[secs]}.{_DIGITS3[millis]}Z"


#: Proleptic Gregorian day number of 1970-01-01.
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: "00".."59" and "000".."999", by value.
_DIGITS2 = tuple(f"{n:02d}" for n in range(60))
_DIGITS3 = tuple(f"{n:03d}" for n in range(1000))
#: Days since the epoch -> "YYYY-MM-DD", for the days seen lately (emptied when full).
_DAYS: dict[int, str] = {}
_DAYS_KEPT = 4096


def _format(moment: datetime, fraction: str | None) -> str:
    # isoformat, not strftime (whose %Y drops zeros: "1-01-01"), and faster
    base = moment.replace(microsecond=0, tzinfo=None).isoformat()
    if fraction is None and moment.microsecond:
        fraction = f"{moment.microsecond:06d}"
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


#: Where the standard library reads a setting: calendar dates, `YYYY-MM-DD...`.
_ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|[T ])")


def parse_setting_datetime(name: str, value: str) -> datetime:
    """Parse a date/time setting, failing with a message that names the setting.

    ISO-8601 (what settings hold) is read by the standard library; pendulum, imported only
    for anything else, keeps reading every looser form it always read (an import that costs
    every tap process about 0.1 s of start-up otherwise)."""
    text = str(value).strip()
    parsed: object = None
    if _ISO_DATE_START.match(text):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(text)
    if parsed is None:
        parsed = _parse_leniently(name, value)
    if not isinstance(parsed, datetime):
        raise ValueError(
            f"Setting '{name}' must be a date or date-time, got {value!r}. "
            "Use ISO-8601, for example 2024-01-31 or 2024-01-31T00:00:00Z."
        )
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _parse_leniently(name: str, value: str) -> object:
    """pendulum's reading of a setting that is not ISO-8601 as the standard library reads it."""
    import pendulum  # here, not at the top: see parse_setting_datetime

    try:
        return pendulum.parse(str(value), strict=False)
    except Exception as exc:
        raise ValueError(
            f"Setting '{name}' is not a valid date or date-time: {value!r}. "
            "Use ISO-8601, for example 2024-01-31 or 2024-01-31T00:00:00Z."
        ) from exc
