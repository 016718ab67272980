"""Small records the vendor modules fill in, and what their raw loops share."""

from __future__ import annotations

import json
import math
import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:
    import requests

#: A raw loop: (session, sandbox url, sink) -> (records written, requests made).
RawLoop = t.Callable[["requests.Session", str, t.TextIO], tuple[int, int]]


@dataclass(frozen=True)
class Bulk:
    """A stream that carries volume: sandbox sizes for n records, and the plain loop that
    fetches the same records with `requests` at the largest page, one JSON line each."""

    stream: str
    counts: t.Callable[[int], dict[str, int]]
    raw: RawLoop


@dataclass(frozen=True)
class Latency:
    """Child streams timed with latency on every request: the data and which paths to time."""

    counts: dict[str, int]
    parents: tuple[str, ...]
    children: tuple[str, ...]
    #: Regex on request paths of the child streams.
    child_paths: str
    settings: dict


def pages(records: int, size: int) -> int:
    """Requests to read `records` at `size` per page: with no total, a short page ends it."""
    return records // size + 1


def pages_until_empty(records: int, size: int) -> int:
    """Requests where no maximum page is documented: only an empty page ends a read."""
    return math.ceil(records / size) + 1


def per_partition(total: int, partitions: int) -> int:
    """Records of one partition: the bench sizes containers equally, so the mean (rounded up)."""
    return math.ceil(total / partitions) if partitions else 0


def get_json(session: requests.Session, method: str, url: str, **kwargs: t.Any) -> t.Any:
    response = session.request(method, url, timeout=120, **kwargs)
    response.raise_for_status()
    return response.json()


def write_lines(sink: t.TextIO, records: list[dict]) -> int:
    for record in records:
        sink.write(json.dumps(record) + "\n")
    return len(records)
