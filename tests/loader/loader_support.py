"""Singer messages and a DuckDB warehouse for the loader tests (a module of its own:
`from conftest import` is ambiguous with several conftest.py files in one run)."""

from __future__ import annotations

import io
import json
import typing as t
from contextlib import redirect_stdout
from pathlib import Path

import duckdb

from outreach_target_duckdb import TargetDuckDB

SCHEMA = "tap_test"


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


def fraction_batch(stream: str, text: str) -> list[str]:
    """Raw lines of a batch whose second record has the number `text` (written as given,
    e.g. a fraction) in the integer column `n`; the first record is `{"id": 1, "n": 2}`."""
    return [
        f'{{"type":"SCHEMA","stream":"{stream}","schema":{{"type":"object","properties":'
        '{"id":{"type":"integer"},"n":{"type":["integer","null"]}}},"key_properties":["id"]}',
        f'{{"type":"RECORD","stream":"{stream}","record":{{"id":1,"n":2}}}}',
        f'{{"type":"RECORD","stream":"{stream}","record":{{"id":2,"n":{text}}}}}',
    ]


def activate(stream: str, version: int) -> dict:
    return {"type": "ACTIVATE_VERSION", "stream": stream, "version": version}


class Warehouse:
    """One DuckDB file and the loader runs into it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, messages: t.Iterable[dict], **config: t.Any) -> str:
        """Run the loader on `messages` (as the tap would print them); return its stdout."""
        return self.load_lines(
            [json.dumps(m, separators=(",", ":"), ensure_ascii=False) for m in messages], **config
        )

    def load_lines(self, lines: t.Iterable[str], **config: t.Any) -> str:
        """Run the loader on raw input lines (numbers written exactly as given)."""
        text = "".join(line + "\n" for line in lines)
        target = TargetDuckDB(
            config={"filepath": str(self.path), "default_target_schema": SCHEMA, **config}
        )
        out = io.StringIO()
        try:
            with redirect_stdout(out):
                target.listen(io.StringIO(text))
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
