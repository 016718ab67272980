"""singer-sdk's SQL connector for one DuckDB file, held open (and locked) for the whole run.

DuckDB lets one process write a file. The connector opens it once, before any input is read,
so a second writer fails at start with a message naming the file, never half-way. Table
shapes are read from `information_schema` rather than SQLAlchemy reflection, which
duckdb-engine only partly supports.
"""

from __future__ import annotations

import contextlib
import re
import typing as t
from pathlib import Path

import duckdb
import sqlalchemy as sa
from duckdb_engine import ConnectionWrapper
from singer_sdk.sql.connector import FullyQualifiedName, JSONSchemaToSQL, SQLConnector
from sqlalchemy.pool import StaticPool

from outreach_target_duckdb.errors import LoaderError
from outreach_target_duckdb.overlap import OneLoadInFlight
from outreach_target_duckdb.types import duckdb_type, sql_type, widen

_LOCK_HOLDER = re.compile(r"PID (\d+)")
#: DuckDB's JSON reader holds one 32 MiB read buffer per thread, whatever the record size.
_READ_BUFFER_MB = 32
#: Beyond the read buffers: a batch's join/dedupe state and the blocks a load touches.
_BASE_MEMORY_MB = 16
#: A `MERGE` into stored rows holds more than an insert: the batch as the join's build side
#: and the updated rows' old and new versions until the commit, which cannot spill. Measured
#: on 20,000-row batches of Sales.Rocks `list_data` (8 MB staged): 57 MB failed, 70 MB
#: loaded; this many MB per staged MB leaves room above that.
_MERGE_MB_PER_BATCH_MB = 3


def quote(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


class DuckDBTypes(JSONSchemaToSQL):
    """singer-sdk's type mapper answering with `types.duckdb_type`."""

    def to_sql_type(self, schema: dict) -> sa.types.TypeEngine:
        return sql_type(duckdb_type(schema))


class DuckDBConnector(SQLConnector):
    """Connector to the DuckDB file of the `filepath` setting."""

    allow_column_add = True
    allow_column_alter = True
    allow_merge_upsert = True
    allow_temp_tables = True
    jsonschema_to_sql_converter = DuckDBTypes

    def __init__(self, config: dict | None = None, sqlalchemy_url: str | None = None) -> None:
        super().__init__(config, sqlalchemy_url)
        self._raw: duckdb.DuckDBPyConnection | None = None
        self._memory_mb = 0
        #: Batch loads on a worker thread; every other use of the database settles it first.
        self.loads = OneLoadInFlight()
        #: Column types and columns per table read while `prepare_table` runs (None: not
        #: preparing).
        self._columns_read: dict[str, tuple[dict[str, str], dict[str, sa.Column]]] | None = None

    @property
    def filepath(self) -> Path:
        return Path(self.config["filepath"]).expanduser()

    def get_sqlalchemy_url(self, config: dict[str, t.Any]) -> str:
        return f"duckdb:///{Path(config['filepath']).expanduser()}"

    def create_engine(self) -> sa.Engine:
        """SQLAlchemy on a cursor of the held connection: the SDK's DDL and the bulk loads
        share one open database (and its lock)."""
        return sa.create_engine(
            self.sqlalchemy_url,
            creator=lambda: ConnectionWrapper(self.raw().cursor()),
            poolclass=StaticPool,
        )

    def open(self) -> None:
        """Open (and lock) the file now, or raise a `LoaderError` naming who holds it."""
        if self._raw is not None:
            return
        self.filepath.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._raw = duckdb.connect(str(self.filepath))
        except duckdb.Error as exc:
            raise self._open_error(exc) from None
        self._raw.execute("SET TimeZone = 'UTC'")
        self._raw.execute(f"SET threads = {self.threads}")
        if self.config.get("memory_limit"):
            self._raw.execute("SET memory_limit = ?", [self.config["memory_limit"]])
        else:
            self.fit_memory(0)

    @property
    def threads(self) -> int:
        """DuckDB's threads (setting `threads`, default 1)."""
        return int(self.config.get("threads") or 1)

    def fit_memory(
        self,
        columns: int,
        merge_bytes: int = 0,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        """Without a `memory_limit` setting: 32MB per thread (JSON read buffers) plus 16MB
        plus 1MB per column of the widest table, plus, for a batch merged into stored rows,
        3MB per MB of it staged. DuckDB's buffers grow with the columns, threads and batch
        size of a load, not with the table's rows; a cap near what a run needs anyway keeps
        peak memory flat as the table grows (scanned table blocks are evicted, not kept).
        `con`: the load thread's connection (``raw()`` would wait for that very load)."""
        if self.config.get("memory_limit"):
            return
        merge_mb = -(-merge_bytes * _MERGE_MB_PER_BATCH_MB // 2**20)
        wanted = _READ_BUFFER_MB * self.threads + _BASE_MEMORY_MB + columns + merge_mb
        if wanted > self._memory_mb:
            (con or self.raw()).execute(f"SET memory_limit = '{wanted}MB'")
            self._memory_mb = wanted

    def _open_error(self, exc: Exception) -> LoaderError:
        text = str(exc).strip()
        if "lock" in text.lower():
            holder = _LOCK_HOLDER.search(text)
            who = f"process {holder.group(1)}" if holder else "another process"
            return LoaderError(
                f"the DuckDB file {self.filepath} (setting `filepath`) is open for writing by "
                f"{who}; DuckDB allows one writer per file. Wait until that run ends (e.g. "
                "another `meltano run` into the same warehouse, or a client holding it open), "
                "or point `filepath` at another file. Nothing was loaded."
            )
        return LoaderError(
            f"cannot open the DuckDB file {self.filepath} (setting `filepath`): {text}"
        )

    def raw(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection itself, for bulk statements SQLAlchemy has no words for,
        once the batch load in flight (if any) has finished."""
        self.loads.settle()
        self.open()
        assert self._raw is not None
        return self._raw

    @property
    def _engine(self) -> sa.Engine:
        """singer-sdk's engine (its DDL), once the batch load in flight has finished."""
        self.loads.settle()
        return super()._engine

    @property
    def _dialect(self) -> sa.Dialect:
        """Quoting rules only (table names): no database use, so no wait for a load."""
        return super()._engine.dialect

    def close(self) -> None:
        """Finish the load in flight (raising its error), checkpoint, release the file."""
        if self._raw is None:
            self.loads.shutdown()
            return
        try:
            self.loads.shutdown()
        finally:
            self._checkpoint_and_release()

    def _checkpoint_and_release(self) -> None:
        assert self._raw is not None
        try:
            self._raw.execute("CHECKPOINT")
        finally:
            self._engine.dispose()
            self._raw.close()
            self._raw = None

    def table_ref(self, full_table_name: str | FullyQualifiedName) -> str:
        """`"schema"."table"`, quoted for raw SQL."""
        _, schema_name, table_name = self.parse_full_table_name(full_table_name)
        return f"{quote(schema_name or 'main')}.{quote(table_name)}"

    # -- reading the catalog (information_schema, not reflection) ---------------------------

    def schema_exists(self, schema_name: str) -> bool:
        found = self.raw().execute(
            "SELECT 1 FROM information_schema.schemata WHERE catalog_name = current_database()"
            " AND schema_name = ?",
            [schema_name],
        )
        return found.fetchone() is not None

    def table_exists(self, full_table_name: str | FullyQualifiedName) -> bool:
        _, schema_name, table_name = self.parse_full_table_name(full_table_name)
        found = self.raw().execute(
            "SELECT 1 FROM information_schema.tables WHERE table_catalog = current_database()"
            " AND table_schema = ? AND table_name = ?",
            [schema_name or "main", table_name],
        )
        return found.fetchone() is not None

    def column_types(self, full_table_name: str | FullyQualifiedName) -> dict[str, str]:
        """Column name -> DuckDB type name, in table order."""
        return dict(self._columns(full_table_name)[0])

    def _columns(
        self, full_table_name: str | FullyQualifiedName
    ) -> tuple[dict[str, str], dict[str, sa.Column]]:
        """The table's column types and their SQLAlchemy columns (built once), from
        `information_schema` or, while `prepare_table` runs, from what it read."""
        read = self._columns_read
        if read is not None and str(full_table_name) in read:
            return read[str(full_table_name)]
        _, schema_name, table_name = self.parse_full_table_name(full_table_name)
        rows = self.raw().execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?"
            " ORDER BY ordinal_position",
            [schema_name or "main", table_name],
        )
        types = {name: kind.upper() for name, kind in rows.fetchall()}
        columns = (types, {name: sa.Column(name, sql_type(kind)) for name, kind in types.items()})
        if read is not None:
            read[str(full_table_name)] = columns
        return columns

    def prepare_table(
        self,
        full_table_name: str | FullyQualifiedName,
        schema: dict,
        primary_keys: t.Sequence[str],
        partition_keys: list[str] | None = None,
        as_temp_table: bool = False,
    ) -> None:
        """singer-sdk's, reading the table's columns once: its `prepare_column` asks for
        them twice per property, an `information_schema` query each (172 properties: 344
        queries, about 3 s of a run with nothing new). Any DDL forgets what was read."""
        self._columns_read = {}
        try:
            super().prepare_table(
                full_table_name, schema, primary_keys, partition_keys, as_temp_table
            )
        finally:
            self._columns_read = None

    @contextlib.contextmanager
    def _connect(self) -> t.Iterator[sa.Connection]:
        """singer-sdk's connection, used for its DDL (new and altered columns): the columns
        read for `prepare_table` are forgotten."""
        self._forget_columns()
        with super()._connect() as connection:
            yield connection

    def _forget_columns(self) -> None:
        if self._columns_read:
            self._columns_read = {}

    def get_table_columns(
        self,
        full_table_name: str | FullyQualifiedName,
        column_names: list[str] | None = None,
    ) -> dict[str, sa.Column]:
        wanted = {c.casefold() for c in column_names or []}
        return {
            name: column
            for name, column in self._columns(full_table_name)[1].items()
            if not wanted or name.casefold() in wanted
        }

    # -- changing the catalog ---------------------------------------------------------------

    def create_schema(self, schema_name: str) -> None:
        self._forget_columns()
        self.raw().execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema_name)}")

    def create_empty_table(
        self,
        full_table_name: str | FullyQualifiedName,
        schema: dict,
        primary_keys: t.Sequence[str] | None = None,
        partition_keys: list[str] | None = None,
        as_temp_table: bool = False,
    ) -> None:
        """Tables get no PRIMARY KEY constraint: its in-memory index grows with the table,
        and the merge already keeps one row per key."""
        del primary_keys, partition_keys, as_temp_table
        columns = ", ".join(
            f"{quote(name)} {duckdb_type(prop)}" for name, prop in schema["properties"].items()
        )
        target = self.table_ref(full_table_name)
        self._forget_columns()
        self.raw().execute(f"CREATE TABLE IF NOT EXISTS {target} ({columns})")

    def merge_sql_types(self, sql_types: t.Sequence[sa.types.TypeEngine]) -> sa.types.TypeEngine:
        """Widen only (integer -> double, date -> timestamp, anything else -> text), so no
        stored value is ever cut."""
        merged = str(sql_types[0])
        for other in sql_types[1:]:
            merged = widen(merged, str(other))
        return sql_type(merged)

    @staticmethod
    def get_column_alter_ddl(
        table_name: str | FullyQualifiedName,
        column_name: str,
        column_type: sa.types.TypeEngine,
    ) -> sa.DDL:
        return sa.DDL(
            "ALTER TABLE %(table)s ALTER COLUMN %(column)s TYPE %(type)s",
            {"table": str(table_name), "column": quote(column_name), "type": str(column_type)},
        )

    def add_column(self, full_table_name: str | FullyQualifiedName, name: str, kind: str) -> None:
        table = self.table_ref(full_table_name)
        self._forget_columns()
        self.raw().execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {quote(name)} {kind}")
