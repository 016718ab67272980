"""Turn every timestamp shape the vendors send into one UTC ISO-8601 string.

The vendors send Unix milliseconds (as numbers or numeric strings), .NET timestamps with
seven fractional digits and an offset, and naive ``YYYY-MM-DD HH:MM:SS`` strings in UTC.
Warehouses want one shape: ``YYYY-MM-DDTHH:MM:SS[.fraction]Z``. Fractions are carried over
digit for digit so that no instant is rounded away on the tap's side.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pendulum

_ISO = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:\.(?P<fraction>\d+))?)?\s*(?P<tz>Z|z|[+-]\d{2}:?\d{2})?$"
)
#: Below this an epoch number is seconds, above it milliseconds (year 5138 in seconds).
_MS_THRESHOLD = 100_000_000_000


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
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)):
        return _epoch_to_iso(value)
    if isinstance(value, datetime):
        return _format(value.astimezone(timezone.utc) if value.tzinfo else value, None)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
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
        moment = datetime.fromisoformat(f"{match['date']}T{clock}{tz}").astimezone(timezone.utc)
    except ValueError:
        raise ValueError(f"not a timestamp: {value!r}") from None
    return _format(moment, match["fraction"])


_EPOCH = datetime(1970, 1, 1)


def _epoch_to_iso(value: int | float) -> str:
    if type(value) is int and value >= _MS_THRESHOLD:  # the common case, once per event
        seconds, millis = divmod(value, 1000)
        return f"{(_EPOCH + timedelta(seconds=seconds)).isoformat()}.{millis:03d}Z"
    millis = value if abs(value) >= _MS_THRESHOLD else value * 1000
    whole = int(millis)
    moment = ms_to_datetime(whole)
    fraction = f"{whole % 1000:03d}"
    remainder = millis - whole
    if remainder:
        fraction += f"{remainder:.6f}"[2:].rstrip("0")
    return _format(moment.replace(microsecond=0), fraction)


def _format(moment: datetime, fraction: str | None) -> str:
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction is None and moment.microsecond:
        fraction = f"{moment.microsecond:06d}"
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def parse_setting_datetime(name: str, value: str) -> datetime:
    """Parse a date/time setting, failing with a message that names the setting."""
    try:
        parsed = pendulum.parse(str(value), strict=False)
    except Exception as exc:
        raise ValueError(
            f"Setting '{name}' is not a valid date or date-time: {value!r}. "
            "Use ISO-8601, for example 2024-01-31 or 2024-01-31T00:00:00Z."
        ) from exc
    if not isinstance(parsed, datetime):
        raise ValueError(
            f"Setting '{name}' must be a date or date-time, got {value!r}. "
            "Use ISO-8601, for example 2024-01-31 or 2024-01-31T00:00:00Z."
        )
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
