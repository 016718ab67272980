"""The request and reply shapes the vendor emulators exchange with the HTTP server."""

from __future__ import annotations

import io
import itertools
import json
import typing as t
from collections.abc import Iterator
from dataclasses import dataclass, field

_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: Items per encoded piece of a long JSON array (see ``to_json``).
CHUNK = 1000


@dataclass
class Request:
    vendor: str
    method: str
    path: str  # path below the vendor prefix, e.g. "/public/v1.0.0/lists"
    query: dict[str, str]
    headers: dict[str, str]
    body: t.Any = None
    #: Fault kinds the handler itself must apply ("empty_page", "duplicate_boundary", ...).
    flags: dict[str, dict] = field(default_factory=dict)


@dataclass
class Reply:
    status: int
    body: t.Any = None
    headers: dict[str, str] = field(default_factory=dict)
    #: (stream, primary key) of every record in the body, for the `served` sets (hashable:
    #: composite keys are tuples).
    served: list[tuple[str, t.Any]] = field(default_factory=list)
    raw: bytes | None = None
    content_type: str = "application/json; charset=utf-8"


def to_json(body: t.Any) -> bytes:
    """Compact UTF-8 JSON, the bytes of one ``json.dumps``. A list or iterator is encoded
    ``CHUNK`` items at a time, so a 100,000-item body never exists as one str (4 bytes a
    character once it holds an emoji) nor, when generated, as 100,000 dicts at once."""
    if not isinstance(body, (list, Iterator)):
        return _DUMPS(body).encode()
    items = iter(body)
    out = io.BytesIO()
    out.write(b"[")
    while chunk := list(itertools.islice(items, CHUNK)):
        if out.tell() > 1:
            out.write(b",")
        out.write(_DUMPS(chunk)[1:-1].encode())
    out.write(b"]")
    return out.getvalue()


class ApiError(Exception):
    """Raised by an emulator to answer with a vendor-shaped error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def int_param(
    query: dict[str, str],
    name: str,
    default: int | None = None,
    maximum: int | None = None,
    minimum: int = 0,
) -> int | None:
    """An integer query parameter, or ApiError(400) naming it."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"'{name}' must be an integer") from None
    if value < minimum:
        raise ApiError(400, f"'{name}' must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ApiError(400, f"'{name}' must be <= {maximum}")
    return value
