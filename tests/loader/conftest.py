"""Fixtures for the DuckDB loader: run it in-process on Singer messages, read what landed.

The helpers live in loader_support.py (importable from the tests; conftest is not)."""

from __future__ import annotations

from pathlib import Path

import pytest
from loader_support import Warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse.duckdb")
