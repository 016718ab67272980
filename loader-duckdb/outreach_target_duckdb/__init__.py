"""Singer loader into DuckDB built on singer-sdk's SQL target classes.

Records are staged per batch in a newline-JSON file and loaded with DuckDB's own reader
(`read_json`), then merged on the stream's key properties; ACTIVATE_VERSION retires rows of
older table versions (soft or hard delete).

`TargetDuckDB` is imported on first use, so the console entry point (`cli.main`) can import
singer-sdk and DuckDB itself, under `startup.imports`.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from outreach_target_duckdb.target import TargetDuckDB

__all__ = ["TargetDuckDB"]


def __getattr__(name: str) -> t.Any:
    if name == "TargetDuckDB":
        from outreach_target_duckdb.target import TargetDuckDB

        return TargetDuckDB
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
