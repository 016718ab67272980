"""The loader tests' helpers: Singer messages, and the loader run in-process on them.

A module of its own, not conftest.py: `from conftest import ...` resolves to whichever
conftest was imported last when several suites are collected together.
"""

from __future__ import annotations

import io
import json
import typing as t
from contextlib import redirect_stdout
from pathlib import Path

import duckdb

from outreach_target_duckdb import TargetDuckDB

SCHEMA = "tap_test"


class Warehouse:
    """One DuckDB file and the loader runs into it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, messages: t.Iterable[dict], **config: t.Any) -> str:
        """Run the loader on `messages` (as the tap would print them); return its stdout."""
        lines = "".join(
            json.dumps(m, separators=(",", ":"), ensure_ascii=False) + "\n" for m in messages
        )
        target = TargetDuckDB(
            config={"filepath": str(self.path), "default_target_schema": SCHEMA, **config}
        )
        out = io.StringIO()
        try:
            with redirect_stdout(out):
                target.listen(io.StringIO(lines))
        finally:
            target.close()
        return out.getvalue()

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def rows(self, table: str, columns: str = "*", where: str = "true") -> list[tuple]:
        return self.query(f'SELECT {columns} FROM {SCHEMA}."{table}" WHERE {where} ORDER BY ALL')

    def types(self, table: str) -> dict[str, str]:
        return dict(
            self.query(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [SCHEMA, table],
            )
        )


def record(stream: str, data: dict, *, version: int | None = None) -> dict:
    message = {
        "type": "RECORD",
        "stream": stream,
        "record": data,
        "time_extracted": "2026-11-01T10:00:00+00:00",
    }
    if version is not None:
        message["version"] = version
    return message


def schema(stream: str, properties: dict, keys: list[str] | None = None) -> dict:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "key_properties": keys or [],
        "schema": {"type": "object", "properties": properties},
    }


def activate(stream: str, version: int) -> dict:
    return {"type": "ACTIVATE_VERSION", "stream": stream, "version": version}
