"""Every setting the code reads is declared in the tap's config schema: an undeclared one
is rejected by ``check_settings`` as unknown, so the code reading it could never see it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tap_salesblink.tap import TapSalesBlink
from tap_salesflow.tap import TapSalesflow
from tap_salesrocks.tap import TapSalesRocks

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "outreach-kit" / "outreach_kit"
TAPS = {
    "tap-salesblink": TapSalesBlink,
    "tap-salesflow": TapSalesflow,
    "tap-salesrocks": TapSalesRocks,
}
#: `config.get("x")`, `config["x"]`, `self.config.get('x', ...)`, `_number(config, "x", ...)`.
READ = re.compile(r"""config(?:\.get\(|\[|,\s*)\s*["']([A-Za-z_][A-Za-z0-9_]*)["']""")


def settings_read(package: Path) -> dict[str, str]:
    """Setting name -> the first file:line that reads it."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for name in READ.findall(line):
                found.setdefault(name, f"{path.relative_to(ROOT)}:{number}")
    return found


def test_the_scan_finds_the_reads_it_is_meant_to_find():
    kit = settings_read(KIT)
    # One read of each form: `.get(`, `[...]` and `_number(config, ...)`.
    assert {"max_retries", "api_url", "max_total_retry_wait_seconds"} <= set(kit)


@pytest.mark.parametrize("tap_dir", sorted(TAPS))
def test_every_setting_read_is_declared(tap_dir):
    declared = set(TAPS[tap_dir].config_jsonschema["properties"])
    package = next((ROOT / tap_dir).glob("tap_*"))
    reads = {**settings_read(KIT), **settings_read(package)}
    undeclared = {name: where for name, where in reads.items() if name not in declared}
    assert not undeclared, f"read but not declared in {tap_dir}'s config schema: {undeclared}"
