"""Project-wide fixtures; helpers live in `support.py` (importable from every test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def meltano_installed() -> Path:
    """Install every Meltano plugin once (fast when already installed); return the root."""
    meltano = ROOT / ".venv-meltano" / "bin" / "meltano"
    if not meltano.exists():
        pytest.fail("Meltano is not installed: run `make test`, which installs it first.")
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [str(meltano), "install"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return ROOT
