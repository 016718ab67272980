"""Tenant pipeline fixtures: the orchestration package importable, PostgreSQL reused.

`postgres_url` is the e2e suite's fixture (scripts/postgres.sh on a free loopback port).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "orchestration"))

from e2e.conftest import postgres_url  # noqa: E402

__all__ = ["postgres_url"]
