"""The request and reply shapes the vendor emulators exchange with the HTTP server."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field


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
    #: (stream, primary key) of every record in the body, for the `served` counters.
    served: list[tuple[str, t.Any]] = field(default_factory=list)
    raw: bytes | None = None
    content_type: str = "application/json; charset=utf-8"


class ApiError(Exception):
    """Raised by an emulator to answer with a vendor-shaped error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def int_param(query: dict[str, str], name: str, default: int | None = None,
              maximum: int | None = None, minimum: int = 0) -> int | None:  # fmt: skip
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
