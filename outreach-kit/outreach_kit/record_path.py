"""singer-sdk's per-record steps, skipped where they would do nothing.

The SDK runs the same steps for every record of every stream (``_sync_records``), whether
or not a stream has anything for them to do. On a bulk stream these do-nothing calls are a
measurable share of the tap's time per record (docs/profiling.md, round five). Each
override here returns early only in the case where the SDK's own method provably changes
nothing, and otherwise runs the SDK's method unchanged.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class LeanRecordPath:
    """Mixin for a singer-sdk ``Stream`` (put before it in the bases)."""

    def _process_record(
        self,
        record: dict,
        child_context: Context | None = None,
        partition_context: Context | None = None,
    ) -> None:
        """The SDK's step that adds the partition's keys to the record and syncs the
        child streams of each of its child contexts: nothing to do, so not a call and a
        generator per record, when the state partition adds no key and the stream has no
        child stream (``OutreachStream.generate_child_contexts`` yields none then)."""
        if not partition_context and not self.child_streams:  # type: ignore[attr-defined]
            return
        super()._process_record(  # type: ignore[misc]
            record, child_context=child_context, partition_context=partition_context
        )


__all__ = ["LeanRecordPath"]
