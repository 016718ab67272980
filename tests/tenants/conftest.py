"""Tenant pipeline fixtures: the orchestration package importable.

`postgres_url` comes from tests/conftest.py (one PostgreSQL server for the whole suite).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "orchestration"))
