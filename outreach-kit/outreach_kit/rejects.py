"""Records that cannot be used are kept in a ``rejected_records`` stream, never dropped.

A record that is not an object, lacks its primary key (or has it null), or repeats a key
already read in the same read with different content cannot be loaded: the target would
refuse it, or merge two different records into one. Each goes, with a reason and its raw
JSON text, to the tap's ``rejected_records`` stream (setting ``on_rejected_record: keep``),
or stops the sync with one paragraph (``fail``). The :class:`Ledger` counts them, and the
values conformance had to null and the lone surrogates replaced, in the tap's
:class:`~outreach_kit.tally.WarningTally`, which sums them up in WARNING lines at the end of
the run.

Only the main thread writes messages. :func:`reject` on a worker thread (a child partition
read ahead, see :mod:`outreach_kit.concurrency`) hands the rejected record to the
partition's queue through :func:`diverted`, in its place among the records, and the main
thread delivers it when the sync reaches it; on the main thread it is delivered at once.
"""

from __future__ import annotations

import contextlib
import threading
import typing as t
from dataclasses import dataclass
from datetime import datetime, timezone

import msgspec
from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.exceptions import FatalAPIError

from outreach_kit.redaction import SECRETS
from outreach_kit.tally import WarningTally
from outreach_kit.tenants import TENANT, apply_to_stream, configured_tenant

if t.TYPE_CHECKING:
    from singer_sdk import Tap

#: Name of the stream every tap keeps rejected records in.
STREAM_NAME = "rejected_records"
#: Values of the ``on_rejected_record`` setting.
KEEP, FAIL = "keep", "fail"
_encode = msgspec.json.Encoder(decimal_format="number").encode
_local = threading.local()


def raw_json(value: t.Any) -> str:
    """A decoded JSON value as compact JSON text again."""
    try:
        return _encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return repr(value)


@dataclass
class Rejected:
    """One record that cannot be used, on its way to the main thread."""

    ledger: Ledger
    vendor: str
    stream: str
    reason: str
    key: dict[str, t.Any] | None
    raw: str

    def row(self) -> dict[str, t.Any]:
        return {
            "stream": self.stream,
            "reason": self.reason,
            "primary_key": raw_json(self.key) if self.key else None,
            "raw_json": self.raw,
            "extracted_at": datetime.now(timezone.utc).isoformat(),
        }


class RejectedRecordError(FatalAPIError):
    """A record could not be used and ``on_rejected_record`` is ``fail``."""


class Ledger:
    """Delivers rejected records and counts what a run could not use as sent; owned by the
    tap. The counts go to one :class:`~outreach_kit.tally.WarningTally` (the tap's)."""

    def __init__(self, tap: Tap, mode: str = KEEP, tally: WarningTally | None = None) -> None:
        self.tap = tap
        self.mode = mode
        self.tally = WarningTally() if tally is None else tally
        self._schema_written = False

    def deliver(self, rejected: Rejected) -> None:
        """On the main thread: count it, then write it, or stop the sync (``fail``)."""
        stream = self.tap.streams.get(STREAM_NAME)
        kept = stream is not None and stream.selected
        self.tally.add(rejected.stream, _rejected(rejected.reason, self.mode, kept))
        if self.mode == FAIL:
            raise RejectedRecordError(
                f"{rejected.vendor} sent a '{rejected.stream}' record that cannot be used "
                f"({rejected.reason}): {SECRETS.redact(rejected.raw[:200])}. Setting "
                "'on_rejected_record' is 'fail', so the sync stopped here; the state saved so "
                "far is kept. Set it to 'keep' (the default) to land such records in the "
                f"'{STREAM_NAME}' stream and carry on."
            )
        if not kept:
            return
        if not self._schema_written:
            stream._write_schema_message()
            self._schema_written = True
        row = rejected.row()
        tenant = getattr(stream, "tenant", None)
        if tenant is not None:
            row[TENANT] = tenant
        stream._write_record_message(row)

    def count_nulled(self, stream: str, paths: t.Iterable[str]) -> None:
        for path in paths:
            self.tally.add(
                stream,
                f"value(s) of '{path}' did not fit the declared type: null in the column, raw "
                "value kept in the record's extra object",
            )

    def count_surrogates(self, stream: str, count: int) -> None:
        self.tally.add(
            stream, "lone UTF-16 surrogate(s) in the API's text replaced by U+FFFD", count
        )


def _rejected(reason: str, mode: str, kept: bool) -> str:
    """The tally's words for a rejected record: why, and where it went."""
    if mode == FAIL:
        where = "stopped the sync"
    elif kept:
        where = f"kept in '{STREAM_NAME}'"
    else:
        where = f"not written: the catalog deselects '{STREAM_NAME}'"
    return f"record(s) rejected ({reason}), {where}"


def reject(
    ledger: Ledger,
    vendor: str,
    stream: str,
    value: t.Any,
    reason: str,
    key: dict[str, t.Any] | None = None,
) -> None:
    """Send one unusable record to ``rejected_records`` (see the module docstring)."""
    rejected = Rejected(ledger, vendor, stream, reason, key, raw_json(value))
    sink = getattr(_local, "sink", None)
    if sink is not None:
        sink(rejected)
    else:
        ledger.deliver(rejected)


@contextlib.contextmanager
def diverted(sink: t.Callable[[Rejected], None]) -> t.Iterator[None]:
    """On a worker thread: rejected records go to ``sink`` instead of being written."""
    _local.sink = sink
    try:
        yield
    finally:
        _local.sink = None


class RejectedRecordsStream(Stream):
    """Records the tap could not use, with why and their raw JSON (append-only: no key)."""

    name = STREAM_NAME
    primary_keys: t.ClassVar[list[str]] = []
    selected_by_default = True
    schema = th.PropertiesList(
        th.Property(
            "stream", th.StringType, required=True, description="Stream the record was read for."
        ),
        th.Property(
            "reason", th.StringType, required=True, description="Why it could not be used."
        ),
        th.Property(
            "primary_key",
            th.StringType,
            description="Its primary key as a JSON object, when it has one.",
        ),
        th.Property(
            "raw_json",
            th.StringType,
            required=True,
            description="The record as the API sent it (JSON text).",
        ),
        th.Property("extracted_at", th.DateTimeType, required=True),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: The ``tenant`` setting: its rows carry it like every other stream's.
        self.tenant = configured_tenant(self.config)
        apply_to_stream(self, self.tenant)

    @property
    def emit_activate_version_messages(self) -> bool:
        """Never: its rows are written while other streams sync, before its own turn."""
        return False

    def get_records(self, context: t.Any) -> t.Iterable[dict]:
        """Nothing of its own: rows arrive through :class:`Ledger` as other streams sync."""
        return iter(())


__all__ = [
    "FAIL",
    "KEEP",
    "STREAM_NAME",
    "Ledger",
    "Rejected",
    "RejectedRecordError",
    "RejectedRecordsStream",
    "diverted",
    "raw_json",
    "reject",
]
