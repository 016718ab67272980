"""Singer loader into DuckDB built on singer-sdk's SQL target classes.

Records are staged per batch in a newline-JSON file and loaded with DuckDB's own reader
(`read_json`), then merged on the stream's key properties; ACTIVATE_VERSION retires rows of
older table versions (soft or hard delete).
"""

from outreach_target_duckdb.target import TargetDuckDB

__all__ = ["TargetDuckDB"]
