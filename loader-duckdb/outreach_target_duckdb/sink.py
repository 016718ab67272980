"""One stream's table: batches staged on disk, loaded by DuckDB, merged on the stream's keys.

A batch is one transaction: the staged file is parsed once by `read_json` into a temporary
table (typed by the table's columns, so a value that does not fit fails the load with the
stream and column named; `batch.py`), checked there, deduplicated on the key (the last
record wins), then merged into the table (upsert) or appended (no key properties, or
`load_method: append-only`).
"""

from __future__ import annotations

import datetime as dt
import typing as t

import duckdb
from singer_sdk.helpers.capabilities import TargetLoadMethods
from singer_sdk.sql.sink import SQLSink

from outreach_target_duckdb import batch
from outreach_target_duckdb.batch import BATCH
from outreach_target_duckdb.connector import DuckDBConnector, quote
from outreach_target_duckdb.errors import LoaderError
from outreach_target_duckdb.staging import StagingFile
from outreach_target_duckdb.tenants import tenant_column
from outreach_target_duckdb.types import duckdb_type, read_type

if t.TYPE_CHECKING:
    from pathlib import Path

    from singer_sdk.target_base import Target

#: singer-sdk's record metadata columns, in its order, with their DuckDB types.
METADATA: dict[str, str] = {
    "_sdc_extracted_at": "TIMESTAMP",
    "_sdc_received_at": "TIMESTAMP",
    "_sdc_batched_at": "TIMESTAMP",
    "_sdc_deleted_at": "TIMESTAMP",
    "_sdc_sequence": "BIGINT",
    "_sdc_table_version": "BIGINT",
    "_sdc_sync_started_at": "BIGINT",
}
#: The columns ACTIVATE_VERSION needs even with `add_record_metadata` off.
VERSION_COLUMNS = ("_sdc_deleted_at", "_sdc_table_version")


class Plan(t.NamedTuple):
    """How a batch that passed its checks is loaded."""

    #: A key comes more than once: only its last arrival is loaded.
    dedupe: bool
    #: A key of the batch is stored already: `MERGE` (else `INSERT`, the same rows for less).
    merge: bool
    #: An integer of 2^53 or more, which the batch table's doubles cannot hold exactly: the
    #: rows are read again from the file with integers as BIGINT.
    reread: bool


def _utc(tz_value: str) -> str:
    """UTC wall time of a TIMESTAMPTZ expression as a plain TIMESTAMP (no ICU involved)."""
    return f"make_timestamp(epoch_us({tz_value}))"


def _literal(moment: dt.datetime) -> str:
    return f"TIMESTAMP '{moment.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat()}'"


class DuckDBSink(SQLSink[DuckDBConnector]):
    """A stream's table in DuckDB."""

    connector_class = DuckDBConnector

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
        connector: DuckDBConnector | None = None,
    ) -> None:
        self._target = target
        self._staging: StagingFile | None = None
        self._fast_records = 0  # counted into singer-sdk's record_count metric per batch
        super().__init__(target, stream_name, schema, key_properties, connector)
        self._check_conformed_names_not_duplicated(
            {name: self.conform_name(name, "column") for name in self.schema["properties"]}
        )
        #: column -> (record property it comes from, DuckDB type); metadata columns last.
        self.columns: dict[str, tuple[str | None, str]] = {}
        for name, prop in self.schema["properties"].items():
            if name not in METADATA:
                self.columns[self.conform_name(name, "column")] = (name, duckdb_type(prop))
        self._max_rows = self.max_size
        unknown = [k for k in self.key_properties if k not in self.columns]
        if unknown:
            raise LoaderError(
                f"stream '{stream_name}' names key properties {unknown} that its SCHEMA "
                "message does not declare; fix the tap's catalog (key_properties)."
            )
        for name, kind in METADATA.items():
            if self.config.get("add_record_metadata") or (
                self.process_activate_version_messages and name in VERSION_COLUMNS
            ):
                self.columns[name] = (None, kind)

    # -- settings -------------------------------------------------------------------------

    @property
    def include_sdc_metadata_properties(self) -> bool:
        """Always: the mapped path takes `time_extracted` and `version` from them; which
        metadata columns the table gets is decided by `columns`."""
        return True

    @property
    def validate_schema(self) -> bool:
        return bool(self.config.get("validate_records", False))

    @property
    def process_activate_version_messages(self) -> bool:
        return bool(
            self.config.get("activate_version", True)
            and self.config.get("process_activate_version_messages", True)
        )

    @property
    def upsert(self) -> bool:
        return bool(self.key_properties) and (
            self.config.get("load_method", TargetLoadMethods.UPSERT)
            != TargetLoadMethods.APPEND_ONLY
        )

    # -- table ----------------------------------------------------------------------------

    def table_schema(self) -> dict:
        """The JSON Schema of the table's columns (properties conformed, metadata chosen)."""
        properties = {}
        for column, (source, kind) in self.columns.items():
            properties[column] = (
                self.schema["properties"][source]
                if source
                else (
                    {"type": ["integer", "null"]}
                    if kind == "BIGINT"
                    else {"type": ["string", "null"], "format": "date-time"}
                )
            )
        return {"type": "object", "properties": properties}

    def setup(self) -> None:
        self.connector.fit_memory(len(self.columns))
        if self.schema_name:
            self.connector.prepare_schema(self.schema_name)
        self.connector.prepare_table(
            full_table_name=self.full_table_name,
            schema=self.table_schema(),
            primary_keys=self.key_properties,
            as_temp_table=False,
        )

    # -- receiving records --------------------------------------------------------------

    def _staging_file(self) -> StagingFile:
        if self._staging is None:
            self._staging = StagingFile(self._target.staging_dir, self.stream_name)
        return self._staging

    def room(self) -> int:
        """Records this batch still takes before it is full."""
        return self._max_rows - self._batch_records_read

    def stage_messages(self, lines: list[str] | list[bytes]) -> bool:
        """The fast path: raw RECORD lines of this stream, identity-mapped; True when the
        batch is full."""
        (self._staging or self._staging_file()).write_messages(lines)
        self.tally_record_read(len(lines))
        self._fast_records += len(lines)
        return self._batch_records_read >= self._max_rows

    def process_record(self, record: dict, context: dict) -> None:
        """The mapped path: a record after singer-sdk's maps, validation and metadata."""
        time_extracted = record.pop("_sdc_extracted_at", None)
        version = record.pop("_sdc_table_version", None)
        for name in METADATA:
            if name != "_sdc_deleted_at":
                record.pop(name, None)
        self._staging_file().write_record(record, time_extracted, version)

    # -- loading ------------------------------------------------------------------------

    def _source(self, path: Path, fields: dict[str, str]) -> str:
        """`read_json` of the staged file, record properties typed as `fields`."""
        record = ", ".join(f"{quote(name)} {kind}" for name, kind in fields.items())
        columns = {
            "_sdc_seq": "BIGINT",
            "record": f"STRUCT({record})",
            "time_extracted": "TIMESTAMPTZ",
            "version": "BIGINT",
        }
        return (
            f"read_json('{str(path).replace(chr(39), chr(39) * 2)}', format = 'newline_delimited',"
            f" columns = {columns!r}, maximum_object_size = 8388608)"
        )

    def _fields(self, whole: str) -> dict[str, str]:
        """Record property -> the type a load reads it as, integers as `whole`: DOUBLE for
        the batch table (a fraction stays visible to the check), BIGINT when the file is
        read again for integers a double cannot hold."""
        fields = {
            source: whole if kind == "BIGINT" else read_type(kind)
            for source, kind in self.columns.values()
            if source
        }
        fields.setdefault("_sdc_deleted_at", "TIMESTAMPTZ")
        return fields

    def _expressions(self, staging: StagingFile, batched_at: dt.datetime) -> dict[str, str]:
        """Column -> SQL expression over one staged line (`r` is its record)."""
        received = dt.datetime.fromtimestamp(staging.started_ns / 1e9, tz=dt.timezone.utc)
        metadata = {
            "_sdc_extracted_at": _utc("time_extracted"),
            "_sdc_received_at": _literal(received),
            "_sdc_batched_at": _literal(batched_at),
            "_sdc_deleted_at": _utc('r."_sdc_deleted_at"'),
            "_sdc_sequence": f"{staging.started_ns} + _sdc_seq",
            "_sdc_table_version": "version",
            "_sdc_sync_started_at": str(int(self.sync_started_at)),
        }
        out = {}
        for column, (source, kind) in self.columns.items():
            if source is None:
                out[column] = metadata[column]
            elif kind == "TIMESTAMP":
                out[column] = _utc(f"r.{quote(source)}")
            elif kind == "BIGINT":  # exact: `_check` refused fractions and kept >= 2^53 apart
                out[column] = f"CAST(r.{quote(source)} AS BIGINT)"
            else:
                out[column] = f"r.{quote(source)}"
        return out

    def load_query(
        self, source: str, staging: StagingFile, batched_at: dt.datetime, *, dedupe: bool
    ) -> str:
        """SELECT of the batch's rows from `source` (the batch table, or the file read with
        `_fields`), typed as the table's columns; with `dedupe`, the last arrival of a key
        only. `_check` has already refused fractions in integer columns."""
        columns = ",\n  ".join(
            f"{expr} AS {quote(col)}"
            for col, expr in self._expressions(staging, batched_at).items()
        )
        query = f"SELECT\n  {columns}\nFROM (SELECT record AS r, * FROM {source})"
        if dedupe:
            keys = ", ".join(f"r.{quote(self.columns[k][0] or k)}" for k in self.key_properties)
            query += f"\nQUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _sdc_seq DESC) = 1"
        return query

    def _check(self, con: duckdb.DuckDBPyConnection, path: Path, stored_in: str | None) -> Plan:
        """Keys and integers of the batch table: refuse rows without a key, or with a
        fraction in an integer column. The plan says whether a key comes more than once
        (the batch needs dedupe) and, with `stored_in` (the table, when upserting into a
        non-empty one), whether a key of the batch is already stored there (the batch needs
        a MERGE; else a plain INSERT does the same for much less).

        The batch table holds integers as DOUBLE (several times cheaper than DECIMAL); only
        if one has a fraction or is too large for a double to tell (2^53 and up) is the file
        at `path` read again as DECIMAL(38,9) for the exact answer, and the rows are then
        loaded from the file (`reread`).
        """
        keys = [self.columns[k][0] or k for k in self.key_properties]
        integers = [src for src, kind in self.columns.values() if src and kind == "BIGINT"]
        counts = self._check_pass(con, None, integers, stored_in)
        if counts is None:
            return Plan(dedupe=False, merge=False, reread=False)
        total, distinct, keyless, stored, *fractions = counts
        reread = any(fractions)
        if reread:
            total, distinct, keyless, stored, *fractions = self._check_pass(
                con, path, integers, stored_in
            )
        if keyless:
            raise LoaderError(
                f"{keyless} record(s) of stream '{self.stream_name}' have no value for a key "
                f"property ({', '.join(keys)}); a row without its key cannot be merged. Fix the "
                "tap's output (or its key properties in the catalog); this batch was not loaded "
                "and nothing already loaded changed."
            )
        counts = zip(integers, fractions, strict=True)
        bad = [f"'{name}' ({n} record(s))" for name, n in counts if n]
        if bad:
            raise LoaderError(
                f"a batch of stream '{self.stream_name}' has numbers with a fraction in integer "
                f"properties {', '.join(bad)}; storing them would round them. Fix the tap's "
                "schema (type number) or output; this batch was not loaded and nothing already "
                "loaded changed."
            )
        return Plan(dedupe=bool(keys) and distinct < total, merge=stored > 0, reread=reread)

    def _check_pass(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path | None,
        integers: list[str],
        stored_in: str | None,
    ) -> tuple[int, ...] | None:
        """(records, distinct keys, records without a key, whether (batch table: 0 or 1) or
        how many (file) records have a key stored in `stored_in`, then per integer column
        the records with a fraction); None if nothing to check.

        Without `path`, the batch table (integers as doubles: a value of 2^53 or more counts
        as a fraction, a double cannot tell); with it, the file read exactly (DECIMAL)."""
        exact = path is not None
        whole = read_type("BIGINT") if exact else "DOUBLE"
        fields = {name: whole for name in integers}
        for key in self.key_properties:
            fields.setdefault(self.columns[key][0] or key, read_type(self.columns[key][1]))
        if not fields:
            return None
        ref = {name: f"r.{quote(name)}" for name in fields}
        keys = {k: ref[self.columns[k][0] or k] for k in self.key_properties}
        parts = ["count(*)", "0", "0", "0"]
        if keys:
            parts[1] = f"count(DISTINCT ({', '.join(keys.values())}))"
            keyless = " OR ".join(f"{value} IS NULL" for value in keys.values())
            parts[2] = f"count(*) FILTER (WHERE {keyless})"
        if keys and stored_in and not exact:
            # Each key as the load stores it; one stored key is enough to need the MERGE.
            stored = {column: self._stored_key(column, value) for column, value in keys.items()}
            parts[3] = batch.any_stored(stored_in, stored, f"SELECT record AS r FROM {BATCH}")
        elif keys and stored_in:
            # Each key as the load stores it, compared as the MERGE compares it.
            match = " AND ".join(
                f"t.{quote(column)} IS NOT DISTINCT FROM {self._stored_key(column, value)}"
                for column, value in keys.items()
            )
            stored = f"EXISTS (SELECT 1 FROM {stored_in} AS t WHERE {match})"
            parts[3] = f"count(*) FILTER (WHERE {stored})"
        for name in integers:
            test = f"{ref[name]} <> trunc({ref[name]})"
            if not exact:  # a double cannot tell a fraction of a value this large
                test += f" OR abs({ref[name]}) >= {2**53}"
            parts.append(f"count(*) FILTER (WHERE {test})")
        source = self._source(path, fields) if path is not None else BATCH
        row = con.execute(f"SELECT {', '.join(parts)} FROM (SELECT record AS r FROM {source})")
        return row.fetchone()

    def _stored_key(self, column: str, value: str) -> str:
        """A key value of a check pass (integers read as DOUBLE or DECIMAL, date-times with
        their offset) as the load stores it: BIGINT, UTC TIMESTAMP, else as read. A value
        that does not fit (a fraction, too large) fails the batch in `_check` or the load."""
        kind = self.columns[column][1]
        if kind == "BIGINT":
            return f"TRY_CAST({value} AS BIGINT)"
        if kind == "TIMESTAMP":
            return _utc(value)
        return value

    def process_batch(self, context: dict) -> None:
        """Hand the batch to the load thread (after the load before it has finished), so
        the next batch is read while DuckDB loads this one."""
        staging, self._staging = self._staging, None
        if staging is None or staging.count == 0:
            return
        path = staging.close()
        con = self.connector.raw()  # settles the load in flight: one at a time, in order

        def load() -> None:
            try:
                self._load(con, path, staging)
            finally:
                staging.discard()

        self.connector.loads.submit(load)
        if self._fast_records:
            self.record_counter_metric.increment(self._fast_records)
            self._fast_records = 0

    def _load(self, con: duckdb.DuckDBPyConnection, path: Path, staging: StagingFile) -> None:
        """One batch in one transaction (on the load thread: no state, no messages)."""
        table = self.connector.table_ref(self.full_table_name)
        names = ", ".join(quote(c) for c in self.columns)
        con.execute("BEGIN TRANSACTION")  # the check sees the table the load changes
        try:
            empty = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
            stored_in = table if self.upsert and not empty else None
            batch.read_once(con, self._source(path, self._fields("DOUBLE")))  # the one parse
            plan = self._check(con, path, stored_in)
            source = self._source(path, self._fields("BIGINT")) if plan.reread else BATCH
            now = dt.datetime.now(dt.timezone.utc)
            query = self.load_query(source, staging, now, dedupe=self.upsert and plan.dedupe)
            if plan.merge:  # holds more than an insert: room for it (see `fit_memory`)
                self.connector.fit_memory(len(self.columns), path.stat().st_size, con)
                match = " AND ".join(
                    f"t.{quote(k)} IS NOT DISTINCT FROM b.{quote(k)}" for k in self.key_properties
                )
                updates = ", ".join(f"{quote(c)} = b.{quote(c)}" for c in self.columns)
                values = ", ".join(f"b.{quote(c)}" for c in self.columns)
                statement = (
                    f"MERGE INTO {table} AS t USING ({query}) AS b ON ({match})"
                    f" WHEN MATCHED THEN UPDATE SET {updates}"
                    f" WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({values})"
                )
            else:
                statement = f"INSERT INTO {table} ({names}) {query}"
            loaded = con.execute(statement).fetchone()[0]
            batch.drop(con)
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise self._load_error(exc) from None
        except BaseException:
            con.execute("ROLLBACK")
            raise
        if loaded < staging.count:
            self.tally_duplicate_merged(staging.count - loaded)
        self.logger.info(
            "Loaded %d records of '%s' into %s (%d rows after merging duplicate keys).",
            staging.count,
            self.stream_name,
            table,
            loaded,
        )

    def _load_error(self, exc: duckdb.Error) -> LoaderError:
        text = str(exc).split("\n")[0]
        where = (
            f"a batch of stream '{self.stream_name}' could not be loaded into "
            f"{self.connector.table_ref(self.full_table_name)}: {text}."
        )
        if isinstance(exc, duckdb.OutOfMemoryException):
            return LoaderError(
                f"{where} Raise the `memory_limit` setting or lower `batch_size_rows`; this "
                "batch was not loaded and nothing already loaded changed."
            )
        columns = ", ".join(f"{c} {k}" for c, (_, k) in self.columns.items())
        return LoaderError(
            f"{where} A value does not fit the type its SCHEMA message declares (columns: "
            f"{columns}). Fix the tap's schema or output; this batch was not loaded and nothing "
            "already loaded changed."
        )

    # -- ACTIVATE_VERSION -----------------------------------------------------------------

    def activate_version(self, new_version: int) -> None:
        """Retire rows of versions older than `new_version` (soft delete by default).

        Records of this stream still in the batch are loaded first, so the new version's rows
        are in the table before older ones are retired.
        """
        if self.current_size:
            self._target.drain_one(self)
        if not self.connector.table_exists(self.full_table_name):
            return
        for column in VERSION_COLUMNS:
            self.connector.add_column(self.full_table_name, column, METADATA[column])
        table = self.connector.table_ref(self.full_table_name)
        older = f"(_sdc_table_version IS NULL OR _sdc_table_version < {int(new_version)})"
        # A version naming a tenant retires that tenant's rows only (tenants.py).
        tenant, params = getattr(self._target, "activating_tenant", None), []
        if tenant is not None:
            column = tenant_column(self.connector, self.full_table_name)
            if column is None:
                self.logger.info("'%s' has no tenant column: nothing retired.", self.stream_name)
                return
            older, params = f"{older} AND {quote(column)} = ?", [tenant]
        con = self.connector.raw()
        if self.config.get("hard_delete"):
            done = con.execute(f"DELETE FROM {table} WHERE {older}", params).fetchone()[0]
            how = "deleted (hard_delete)"
        else:
            now = _literal(dt.datetime.now(dt.timezone.utc))
            done = con.execute(
                f"UPDATE {table} SET _sdc_deleted_at = {now}"
                f" WHERE {older} AND _sdc_deleted_at IS NULL",
                params,
            ).fetchone()[0]
            how = "marked deleted (_sdc_deleted_at)"
        if tenant is not None:
            how += f" for tenant {tenant!r}"
        self.logger.info(
            "Version %d of '%s' activated: %d row(s) of older versions %s.",
            new_version,
            self.stream_name,
            done,
            how,
        )

    def clean_up(self) -> None:
        self.connector.loads.settle()
        if self._staging is not None:
            self._staging.discard()
            self._staging = None
        super().clean_up()
