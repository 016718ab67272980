"""A staged batch parsed once: one `read_json` per batch into a temporary table.

Parsing the JSON is most of what loading a batch costs. The checks (keys, fractions in
integer columns, keys already stored) and the `INSERT` or `MERGE` all read this table, so
each batch file is parsed once instead of once per statement. The table lives in DuckDB's
temporary catalog (in memory, spilled to the database's `.tmp` folder beyond
`memory_limit`) and is created inside the batch's transaction: a batch that fails is rolled
back with it, one that loads drops it before its commit. Nothing of it reaches the WAL or
the database file.
"""

from __future__ import annotations

import typing as t

from outreach_target_duckdb.connector import quote

if t.TYPE_CHECKING:
    import duckdb

_NAME = "_outreach_batch"
#: The batch table, qualified: a table of that name in the target schema is never meant.
BATCH = f'temp.main."{_NAME}"'


def read_once(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Parse the batch: every row of `source` (a typed `read_json`) into the batch table."""
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{_NAME}" AS SELECT * FROM {source}')


def drop(con: duckdb.DuckDBPyConnection) -> None:
    """Free the batch table (before the commit, so its memory is not held to the next)."""
    con.execute(f"DROP TABLE IF EXISTS {BATCH}")


def any_stored(table: str, keys: dict[str, str], batch_keys: str) -> str:
    """SQL giving 1 if a key of the batch is stored in `table`, else 0.

    `keys` maps each key column of `table` to its value in the batch as the load stores it
    (an expression over `batch_keys`, a query of the batch). A semi join with the batch as
    its build side: DuckDB pushes the batch's key range into the scan of `table` (its zone
    maps skip row groups outside it), and `LIMIT 1` stops at the first key found, so the
    cost follows the batch, not the table. Keys are compared with `=`: a batch with a NULL
    key is refused anyway, and NULL never equals a stored key.
    """
    match = " AND ".join(f"t.{quote(column)} = b.k{n}" for n, column in enumerate(keys))
    values = ", ".join(f"{value} AS k{n}" for n, value in enumerate(keys.values()))
    return (
        f"(SELECT count(*) FROM (SELECT 1 FROM {table} AS t SEMI JOIN"
        f" (SELECT {values} FROM ({batch_keys})) AS b ON {match} LIMIT 1))"
    )
