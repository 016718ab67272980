"""The DuckDB loader: singer-sdk's SQLTarget with bulk batches and one writer per file."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import typing as t
from pathlib import Path

from singer_sdk import typing as th
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.sql.target import SQLTarget

from outreach_target_duckdb.reader import FastRecordReader
from outreach_target_duckdb.sink import DuckDBSink
from outreach_target_duckdb.tenants import tenant_of

if t.TYPE_CHECKING:
    from singer_sdk.sinks import Sink

#: Raw RECORD lines handed over at most at once: the max-record-age check runs per run.
RUN_LINES = 1024


class TargetDuckDB(SQLTarget):
    """Singer target for DuckDB (one file, one schema per tap)."""

    name = "outreach-target-duckdb"
    default_sink_class = DuckDBSink
    message_reader_class = FastRecordReader

    config_jsonschema = th.PropertiesList(
        th.Property(
            "filepath",
            th.StringType,
            required=True,
            description="DuckDB database file (created if missing).",
        ),
        th.Property(
            "default_target_schema",
            th.StringType,
            description="Schema of the tables (default: `main`, or the stream name's "
            "prefix for `schema-table` stream names).",
        ),
        th.Property(
            "load_method",
            th.StringType,
            default="upsert",
            allowed_values=["upsert", "append-only", "overwrite"],
            description="upsert: one row per key (streams without keys append); "
            "append-only: every record a row; overwrite: tables replaced each run.",
        ),
        th.Property(
            "add_record_metadata",
            th.BooleanType,
            default=True,
            description="Add the _sdc_* metadata columns (extracted, received, batched "
            "and deleted times, sequence, table version, sync start).",
        ),
        th.Property(
            "activate_version",
            th.BooleanType,
            default=True,
            description="Honour ACTIVATE_VERSION: rows of older table versions are "
            "retired (needs _sdc_table_version and _sdc_deleted_at, always added).",
        ),
        th.Property(
            "hard_delete",
            th.BooleanType,
            default=False,
            description="Retired rows are deleted; off, they keep a _sdc_deleted_at "
            "time (soft delete).",
        ),
        th.Property(
            "validate_records",
            th.BooleanType,
            default=False,
            description="Validate each record against its JSON Schema in Python first "
            "(several times slower). Off, DuckDB's typed reader still rejects a value "
            "that does not fit its column.",
        ),
        th.Property(
            "batch_size_rows",
            th.IntegerType,
            default=20_000,
            description="Records per batch file (one transaction each).",
        ),
        th.Property(
            "memory_limit",
            th.StringType,
            description="DuckDB's memory limit (e.g. 512MB, 2GB); beyond it DuckDB spills to "
            "disk. Default: 32MB per thread plus 16MB plus 1MB per column of the widest table "
            "loaded plus 3MB per MB of a staged batch merged into stored rows, so memory "
            "stays flat however many rows a table holds.",
        ),
        th.Property(
            "threads",
            th.IntegerType(minimum=1),
            default=1,
            description="DuckDB threads per load. 1 costs the least CPU and memory (each "
            "thread adds a 32MB JSON read buffer); more load large batches faster on idle "
            "cores.",
        ),
        th.Property(
            "staging_dir",
            th.StringType,
            description="Folder for the batch files (default: the system temp folder).",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_parallelism = 1  # one DuckDB writer; DuckDB parallelises each load itself
        self._fast_sinks: dict[str, DuckDBSink] = {}
        self._staging_dir: Path | None = None
        self.activating_tenant: str | None = None  # of the ACTIVATE_VERSION in hand
        if isinstance(self.message_reader, FastRecordReader):
            self.message_reader.raw = self
        self.target_connector.open()  # lock the file before reading any input

    @property
    def staging_dir(self) -> Path:
        if self._staging_dir is None:
            base = self.config.get("staging_dir")
            if base:
                Path(base).mkdir(parents=True, exist_ok=True)
            self._staging_dir = Path(tempfile.mkdtemp(prefix="outreach-target-duckdb-", dir=base))
            atexit.register(shutil.rmtree, self._staging_dir, ignore_errors=True)  # failed runs
        return self._staging_dir

    # -- the fast path --------------------------------------------------------------------

    def room(self, stream: str) -> int:
        """Raw RECORD lines of `stream` to take before the next `stage`: none if the stream
        does not load records as received, else up to its batch's free room (so a batch
        ends exactly at `batch_size_rows`), at most `RUN_LINES`."""
        sink = self._fast_sinks.get(stream)
        if sink is None:
            return 0
        return max(1, min(RUN_LINES, sink.room()))

    def stage(self, stream: str, lines: list[str] | list[bytes]) -> None:
        """Stage a run of raw RECORD lines of a stream that loads records as received."""
        sink = self._fast_sinks[stream]
        if sink.stage_messages(lines):
            self.logger.info(
                "Target sink for '%s' is full. Current size is '%s'. Draining...",
                sink.stream_name,
                sink.current_size,
            )
            self.drain_one(sink)
        self._handle_max_record_age()  # once per run: a clock read per record costs more

    def _loads_as_received(self, stream_name: str) -> bool:
        if self.config.get("validate_records") or "\\" in stream_name:
            return False
        maps = self.mapper.stream_maps.get(stream_name, [])
        return (
            len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and maps[0].stream_alias == stream_name
            and not maps[0].flattening_enabled
        )

    def get_sink(
        self,
        stream_name: str,
        *,
        record: dict | None = None,
        schema: dict | None = None,
        key_properties: t.Sequence[str] | None = None,
    ) -> Sink:
        """singer-sdk's sink lookup; a sink replaced by a new schema is loaded at once, so
        its (older) records land before the new sink's."""
        retired = len(self._sinks_to_clear)
        sink = super().get_sink(
            stream_name, record=record, schema=schema, key_properties=key_properties
        )
        for old in self._sinks_to_clear[retired:]:
            self.drain_one(old)
        if schema is not None:
            if isinstance(sink, DuckDBSink) and self._loads_as_received(stream_name):
                self._fast_sinks[stream_name] = sink
            else:
                self._fast_sinks.pop(stream_name, None)
        return sink

    def _process_activate_version_message(self, message_dict: dict) -> None:
        """singer-sdk's, with the message's `tenant` (if any) for the sinks (tenants.py)."""
        self.activating_tenant = tenant_of(message_dict)
        try:
            super()._process_activate_version_message(message_dict)
        finally:
            self.activating_tenant = None

    def _write_state_message(self, state: dict) -> None:
        """STATE is confirmed only once every batch before it is committed."""
        self.target_connector.loads.settle()
        super()._write_state_message(state)

    # -- the end --------------------------------------------------------------------------

    def process_endofpipe(self) -> None:
        try:
            super().process_endofpipe()
        finally:
            self.close()

    def close(self) -> None:
        """Release the DuckDB file and remove the batch files."""
        self.target_connector.close()
        if self._staging_dir is not None:
            shutil.rmtree(self._staging_dir, ignore_errors=True)
            self._staging_dir = None
