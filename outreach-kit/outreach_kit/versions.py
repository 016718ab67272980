"""Table versions: a full-table stream retires rows only after a complete read.

singer-sdk 0.54 (``emit_activate_version_messages``) writes ACTIVATE_VERSION when a stream's
``sync`` *starts*, before its first record, and again at the start of every child partition.
A target activates version V by retiring (``_sdc_deleted_at``) or deleting every row of an
older version, so the whole table is retired before the run has read anything: a run that
fails half-way leaves retired every row it did not reach again, though the source still
has it; the next complete run brings them back, but a warehouse read in between is wrong.

Here instead:
- every record of a full-table stream carries the run's version (the tap's start time in
  Unix ms, one value for every partition and child of the run), so a row read again is
  upserted with the new version and is live (``_sdc_deleted_at`` null) again;
- an incremental stream whose API returns everything when asked without a bookmark
  (``full_read_without_bookmark``) is versioned the same way on a run without its bookmark
  (first sync, ``meltano run --full-refresh``): a periodic sweep that retires deletes;
- ACTIVATE_VERSION is written once per stream, after the *top-level* stream's ``sync``
  returned: its records, and every partition of every descendant, were read;
- a run that fails writes none (the exception leaves ``sync``); nor does a stream one of
  whose partitions was aborted, nor one whose partitions a setting narrowed to a chosen
  subset (``partition_filter_settings``): the rows of the other partitions still exist.

All of it runs on the main thread: ``sync`` is the SDK's, never a prefetch worker's
(:mod:`outreach_kit.concurrency`), so the messages are the same at any concurrency.
"""

from __future__ import annotations

import typing as t

from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE

from outreach_kit.tenant_versions import retiring_tenant, write_activate_version

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams import Stream


class TableVersions:
    """Stream mixin (before the SDK stream class): version stamps and ACTIVATE_VERSION."""

    #: Settings that narrow this stream's partitions to a user-chosen subset (for example
    #: ``campaign_ids``); when one is set the run reads only some partitions and retires
    #: nothing.
    partition_filter_settings: tuple[str, ...] = ()
    #: An incremental stream whose API answers every record when asked without a bookmark
    #: (not only changes): a run without its bookmark (first sync, ``--full-refresh``) is
    #: then a complete read, a sweep that retires what the source deleted.
    full_read_without_bookmark: bool = False

    @property
    def emit_activate_version_messages(self) -> bool:
        """Never the SDK's way (at the start of ``sync``): see the module docstring."""
        return False

    @property
    def versioned(self) -> bool:
        """Whether this run of the stream is a table version: full-table streams, and a
        sweep (``full_read_without_bookmark``). Decided once, before the state changes."""
        decided = getattr(self, "_versioned_run", None)
        if decided is None:
            stream = t.cast("Stream", self)
            decided = stream.replication_method == REPLICATION_FULL_TABLE or (
                self.full_read_without_bookmark and not self.has_bookmark()
            )
            self._versioned_run = decided
        return decided

    @property
    def sweeping(self) -> bool:
        """An incremental stream read whole this run (see ``full_read_without_bookmark``):
        it must ask for every record, not those since a start date."""
        stream = t.cast("Stream", self)
        return self.versioned and stream.replication_method != REPLICATION_FULL_TABLE

    def has_bookmark(self) -> bool:
        """Whether the state given to the tap holds a bookmark of this stream."""
        stream = t.cast("Stream", self)
        entry = ((stream._tap.state or {}).get("bookmarks") or {}).get(stream.name) or {}
        entries = [entry, *(entry.get("partitions") or [])]
        return any(e.get("replication_key_value") is not None for e in entries)

    @property
    def table_version(self) -> int:
        """This run's version: the tap's start time in Unix ms (as Singer taps use)."""
        return t.cast("Stream", self)._tap.initialized_at

    def sync(self, context: Context | None = None) -> None:
        """The SDK's ``sync`` with version-stamped records; after a top-level stream's
        complete sync, ACTIVATE_VERSION for it and its descendants."""
        stream = t.cast("Stream", self)
        if self.versioned:
            stream._stream_version = self.table_version
        self._version_partitions = getattr(self, "_version_partitions", 0) + 1
        try:
            super().sync(context)  # type: ignore[misc]
        except BaseException:
            # The SDK swallows a child's aborted sync and goes on with the next partition.
            self._version_incomplete = True
            raise
        if context is None:  # the top-level call from Tap.sync_all: everything below is read
            for each in [stream, *stream.descendent_streams]:
                if isinstance(each, TableVersions):
                    each.activate_version()

    def activate_version(self) -> None:
        """Write ACTIVATE_VERSION if this stream was selected and read completely."""
        stream = t.cast("Stream", self)
        if not (stream.selected and self.versioned):
            return
        narrowing = [name for name in self.partition_filter_settings if stream.config.get(name)]
        # Tenants share tables, and a loader retires by table version across the whole table:
        # one tenant's activation would retire every other tenant's rows, unless the message
        # names the tenant for a loader that retires per tenant (tenant_versions.py).
        tenant = retiring_tenant(stream.config)
        shared = bool(stream.config.get("tenant")) and tenant is None
        if getattr(self, "_version_incomplete", False) or narrowing or shared:
            if shared:
                why = "'tenant' is set without 'tenant_deletes' and tenants share this table"
            elif narrowing:
                why = (
                    f"the setting {', '.join(repr(n) for n in narrowing)} chose the partitions read"
                )
            else:
                why = "a partition was not read completely"
            stream.logger.info(
                "%s: no ACTIVATE_VERSION: %s, so rows this run did not read are kept live.",
                stream.name,
                why,
            )
            return
        if not getattr(self, "_version_partitions", 0):
            # A child whose parent had no record was never synced: the target needs its
            # SCHEMA before it can retire the rows of earlier runs.
            stream._write_schema_message()
        if tenant is not None:
            write_activate_version(stream, self.table_version, tenant)
        else:
            stream._write_activate_version_message(self.table_version)
