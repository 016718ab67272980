"""JSON Schema property -> DuckDB column type, and how a column type widens.

One mapping serves both the table DDL (through singer-sdk's connector) and the typed
`read_json` that loads each batch, so a value that does not fit its column is rejected by
DuckDB's reader instead of being stored as something else.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy.types import UserDefinedType

#: Column type of a property whose type cannot be told (no type, or mixed scalar types).
FALLBACK = "VARCHAR"
#: Widening allowed when a stream's schema changes the type of an existing column.
_WIDER: dict[tuple[str, str], str] = {
    ("BIGINT", "DOUBLE"): "DOUBLE",
    ("DOUBLE", "BIGINT"): "DOUBLE",
    ("DATE", "TIMESTAMP"): "TIMESTAMP",
    ("TIMESTAMP", "DATE"): "TIMESTAMP",
}


class DuckDBType(UserDefinedType):
    """A column type known by its DuckDB name (compiles to exactly that name)."""

    cache_ok = True

    def __init__(self, name: str) -> None:
        self.name = name.upper()

    def get_col_spec(self, **_: t.Any) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name

    @property
    def python_type(self) -> type:
        return str


def _types(schema: dict) -> list[str]:
    declared = schema.get("type")
    if declared is None and "anyOf" in schema:
        found: list[str] = []
        for option in schema["anyOf"]:
            found += [x for x in _types(option) if x not in found]
        return found
    names = declared if isinstance(declared, list) else [declared] if declared else []
    return [n for n in names if n != "null"]


def _format(schema: dict) -> str | None:
    if "format" in schema:
        return schema["format"]
    for option in schema.get("anyOf", []):
        if option.get("format"):
            return option["format"]
    return None


def duckdb_type(schema: dict) -> str:
    """The DuckDB column type of one JSON Schema property."""
    kinds = set(_types(schema))
    if not kinds:
        return "JSON" if not schema else FALLBACK
    if kinds <= {"object", "array"}:
        return "JSON"
    if kinds == {"integer"}:
        return "BIGINT"
    if kinds <= {"integer", "number"}:
        return "DOUBLE"
    if kinds == {"boolean"}:
        return "BOOLEAN"
    if kinds == {"string"}:
        fmt = _format(schema)
        if fmt == "date-time":
            return "TIMESTAMP"
        if fmt == "date":
            return "DATE"
        if fmt == "time":
            return "TIME"
        if fmt == "x-singer.decimal":
            precision, scale = schema.get("precision"), schema.get("scale")
            if isinstance(precision, int) and precision <= 38:
                return f"DECIMAL({precision},{scale or 0})"
        return "VARCHAR"
    return FALLBACK


def read_type(column_type: str) -> str:
    """The type `read_json` reads a value as, before it is converted to `column_type`.

    Date-times are read with their UTC offset (TIMESTAMPTZ) and stored as UTC TIMESTAMP:
    a plain TIMESTAMP cast would drop the offset.
    Integers are read as DECIMAL(38,9): read as BIGINT, 1.5 would be rounded to 2 without a
    word; `sink` rejects a fraction instead (see `_integer`).
    """
    if column_type == "TIMESTAMP":
        return "TIMESTAMPTZ"
    if column_type == "BIGINT":
        return "DECIMAL(38,9)"
    return column_type


def widen(current: str, wanted: str) -> str:
    """The type an existing column of type `current` needs to also hold `wanted` values."""
    if current == wanted:
        return current
    if current in {"VARCHAR", "JSON"} and wanted in {"VARCHAR", "JSON"}:
        return "VARCHAR" if "VARCHAR" in (current, wanted) else "JSON"
    return _WIDER.get((current, wanted), "VARCHAR")


def sql_type(column_type: str) -> sa.types.TypeEngine:
    """The SQLAlchemy type singer-sdk's connector uses for `column_type`."""
    return DuckDBType(column_type)
