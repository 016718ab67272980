"""`make demo`: the main job end to end, against the sandbox, into DuckDB.

Starts the vendor sandbox on loopback, installs the Meltano plugins, runs all three taps
through `meltano run` into a fresh DuckDB file with their logs streaming by, then the dbt
models and their tests (`dbt-duckdb:build`), prints a per-table summary of rows live and
retired (deleted at the source) against rows the sandbox served, stops the sandbox and
writes the report from the marts (reports/outreach.html and reports/outreach.png). Exit
code 1 if any table's live rows differ from what the sandbox served.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report
from pipeline import (
    MELTANO,
    ROOT,
    TAPS,
    SandboxProcess,
    compare_warehouse,
    meltano_env,
    print_summary,
)
from plugin_bytecode import install_plugins

WAREHOUSE = ROOT / "warehouse" / "outreach.duckdb"


def main() -> int:
    print("==> Installing Meltano plugins (taps, loaders, dbt utilities)", flush=True)
    install_plugins(ROOT, MELTANO)  # and their bytecode: see scripts/plugin_bytecode.py
    WAREHOUSE.parent.mkdir(parents=True, exist_ok=True)
    for stale in (WAREHOUSE, WAREHOUSE.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    with SandboxProcess(seed=7, scale=1.0, time_scale=60.0, rate_limits=True) as sandbox:
        print(f"==> Sandbox serving the three vendor APIs at {sandbox.url}", flush=True)
        env = meltano_env(sandbox.url)
        tasks: list[str] = []
        for tap in TAPS:
            tasks += [tap, "target-duckdb"]
        tasks.append("dbt-duckdb:build")  # the models and their tests, on what was just loaded
        command = [str(MELTANO), "--environment=dev", "run", "--full-refresh", *tasks]
        print(f"==> {' '.join(['meltano', *command[1:]])}", flush=True)
        result = subprocess.run(command, cwd=ROOT, env={**os.environ, **env})
        if result.returncode != 0:
            print(f"meltano run failed with exit code {result.returncode}", file=sys.stderr)
            return result.returncode
        rows = compare_warehouse(WAREHOUSE, sandbox.client)
    ok = print_summary(rows, title=f"Rows landed in {WAREHOUSE.relative_to(ROOT)}")
    if not ok:
        return 1
    print("\n==> Writing the report from the marts in `analytics`", flush=True)
    return report.main(["--duckdb", str(WAREHOUSE), "--out", str(ROOT / "reports")])


if __name__ == "__main__":
    sys.exit(main())
