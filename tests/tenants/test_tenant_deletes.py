"""Deletes per tenant: one tenant's complete read retires its deleted rows, no one else's.

Two SalesBlink tenants (two keys, so two sandbox workspaces) load `lists` (full-table) into
one DuckDB table through this project's loader. The source deletes a list in the first
tenant's workspace; re-running that tenant without `tenant_deletes` retires nothing (tenant
runs send no ACTIVATE_VERSION: a whole-table loader would retire every tenant), with it the
tap names the tenant in ACTIVATE_VERSION and the loader retires exactly the deleted key of
that tenant, while the other tenant's rows stay exactly as they were.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import duckdb
import pytest
from support import TapRun, catalog_selecting, run_tap

from outreach_sandbox import DEFAULT_SALESBLINK_KEYS, SandboxServer
from outreach_target_duckdb import TargetDuckDB

KEYS = {"blink-a": DEFAULT_SALESBLINK_KEYS[0], "blink-b": "sbk_sandbox_tenant_b_1"}
WORKSPACE = {"blink-a": 0, "blink-b": 1}
TABLE = 'tap_salesblink."lists"'


def _config(url: str, tenant: str, *, deletes: bool) -> dict:
    return {
        "api_key": KEYS[tenant],
        "api_url": f"{url}/salesblink/api",
        "rate_limit_requests": None,
        "retry_base_seconds": 0.01,
        "tenant": tenant,
        "tenant_deletes": deletes,
    }


class Tenants:
    def __init__(self, server: SandboxServer, workdir: Path) -> None:
        self.url, self.control = server.url, server.control
        self.duckdb = workdir / "tenants.duckdb"
        self.catalog = workdir / "catalog.json"
        config = _config(self.url, "blink-a", deletes=True)
        self.catalog.write_text(json.dumps(catalog_selecting("tap-salesblink", config, {"lists"})))

    def sync(self, tenant: str, *, deletes: bool = True) -> TapRun:
        """The tenant's tap run piped into the loader."""
        run = run_tap(
            "tap-salesblink",
            _config(self.url, tenant, deletes=deletes),
            args=("--catalog", str(self.catalog)),
        )
        assert run.returncode == 0, run.stderr[-3000:]
        target = TargetDuckDB(
            config={"filepath": str(self.duckdb), "default_target_schema": "tap_salesblink"}
        )
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                target.listen(io.StringIO(run.stdout))
        finally:
            target.close()
        return run

    def truth(self, tenant: str) -> set[str]:
        return {
            str(k) for k in self.control.expected("salesblink", "lists", WORKSPACE[tenant])["keys"]
        }

    def rows(self, tenant: str) -> list[tuple]:
        with duckdb.connect(str(self.duckdb), read_only=True) as con:
            return con.execute(
                f"SELECT id::VARCHAR, _sdc_deleted_at, _sdc_table_version, name FROM {TABLE}"
                " WHERE tenant = ? ORDER BY ALL",
                [tenant],
            ).fetchall()

    def live(self, tenant: str) -> set[str]:
        return {r[0] for r in self.rows(tenant) if r[1] is None}

    def retired(self, tenant: str) -> set[str]:
        return {r[0] for r in self.rows(tenant) if r[1] is not None}


@pytest.fixture
def tenants(tmp_path):
    counts = {"salesblink.lists": 4, "salesblink.leads_per_list": 1, "salesblink.sequences": 1}
    with SandboxServer(seed=31, scale=0.2, counts=counts) as server:
        server.control.configure(salesblink_keys=list(KEYS.values()))
        yield Tenants(server, tmp_path)


def _activations(run: TapRun) -> list[dict]:
    return [m for m in run.messages if m["type"] == "ACTIVATE_VERSION"]


def test_a_tenants_deletes_retire_its_rows_only(tenants):
    for name in KEYS:
        tenants.sync(name)
        assert tenants.live(name) == tenants.truth(name), name
    assert tenants.live("blink-a").isdisjoint(tenants.live("blink-b"))  # two workspaces
    other = tenants.rows("blink-b")

    before = tenants.truth("blink-a")
    tenants.control.configure(deletions={"salesblink.lists": 1})
    tenants.control.advance(86_400)
    gone = before - tenants.truth("blink-a")
    assert len(gone) == 1, gone

    # Without tenant_deletes: no ACTIVATE_VERSION, nothing retired.
    run = tenants.sync("blink-a", deletes=False)
    assert _activations(run) == []
    assert tenants.retired("blink-a") == set()

    # With it: the activation names the tenant; its deleted key, and only that, is retired.
    run = tenants.sync("blink-a")
    assert [(m["stream"], m.get("tenant")) for m in _activations(run)] == [("lists", "blink-a")]
    assert tenants.retired("blink-a") == gone
    assert tenants.live("blink-a") == tenants.truth("blink-a")
    assert tenants.rows("blink-b") == other  # untouched: live, same versions, same values
