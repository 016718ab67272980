"""The loader process's fixed costs (outreach_target_duckdb/startup.py): the console entry
point imports none of singer-sdk's tap side (nor joblib, upath) and still loads, merges,
retires and fails as the in-process loader does; the collector is paused for the imports
and restored after. The deferring itself is tested in tests/kit/test_deferred_imports.py."""

from __future__ import annotations

import gc
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import duckdb
from loader_support import SCHEMA, Warehouse, activate, record, schema

from outreach_target_duckdb import startup

#: Runs the console entry point, then prints (to stderr, last line) the tap-side and unused
#: modules the process imported, and whether pandas (not installed) was remembered missing.
ENTRY = """import atexit, sys
def report():
    tap_side = ("singer_sdk.streams", "singer_sdk.tap_base", "singer_sdk.sql.tap", "requests")
    unused = ("joblib.", "upath.", "fsspec")  # the real modules' parts
    imported = sorted(m for m in sys.modules if m.startswith(tap_side + unused))
    missing = "pandas" in sys.modules and sys.modules["pandas"] is None
    print(json.dumps({"imported": imported, "pandas remembered missing": missing}),
          file=sys.stderr)
import json
atexit.register(report)
from outreach_target_duckdb.cli import main
main(sys.argv[1:])
"""

PROPS = {"id": {"type": "integer"}, "name": {"type": "string"}}
GROWN = {**PROPS, "score": {"type": "number"}}


def _messages() -> list[dict]:
    """Two versions of a full-table stream (id 2 retired), an upsert, a new column."""
    return [
        schema("people", PROPS, ["id"]),
        record("people", {"id": 1, "name": "Ana"}, version=1),
        record("people", {"id": 2, "name": "Ben"}, version=1),
        activate("people", 1),
        record("people", {"id": 1, "name": "Ana P."}, version=2),
        schema("people", GROWN, ["id"]),
        record("people", {"id": 3, "name": "Cy", "score": 0.5}, version=2),
        activate("people", 2),
        {"type": "STATE", "value": {"bookmarks": {"people": {"n": 3}}}},
    ]


def _entry(tmp_path: Path, messages: list[dict], db: Path) -> subprocess.CompletedProcess:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"filepath": str(db), "default_target_schema": SCHEMA}))
    lines = "".join(json.dumps(m, separators=(",", ":")) + "\n" for m in messages)
    return subprocess.run(
        [sys.executable, "-c", ENTRY, "--config", str(config)],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _rows(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"SELECT id, name, score, _sdc_table_version, _sdc_deleted_at IS NOT NULL"
            f" FROM {SCHEMA}.people ORDER BY id"
        ).fetchall()


def test_entry_point_skips_the_tap_side_and_loads_as_in_process(tmp_path):
    done = _entry(tmp_path, _messages(), tmp_path / "cli.duckdb")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stderr.strip().splitlines()[-1])
    pandas_missing = importlib.util.find_spec("pandas") is None  # true in this project's venv
    assert report == {"imported": [], "pandas remembered missing": pandas_missing}
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"bookmarks": {"people": {"n": 3}}}

    in_process = Warehouse(tmp_path / "in-process.duckdb")
    in_process.load(_messages())
    expected = [(1, "Ana P.", None, 2, False), (2, "Ben", None, 1, True), (3, "Cy", 0.5, 2, False)]
    assert _rows(tmp_path / "cli.duckdb") == _rows(in_process.path) == expected


def test_entry_point_error_is_one_line(tmp_path):
    bad = [schema("people", PROPS, ["id"]), record("people", {"id": "not a number"})]
    done = _entry(tmp_path, bad, tmp_path / "bad.duckdb")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1
    assert errors[0].startswith("outreach-target-duckdb: error: a batch of stream 'people'")


def test_imports_pause_then_restore_the_collector(monkeypatch):
    monkeypatch.setattr(startup, "TAP_SIDE", ())
    monkeypatch.setattr(startup, "UNUSED", {})
    monkeypatch.setattr(startup, "OPTIONAL", ())
    frozen = gc.get_freeze_count()
    try:
        with startup.imports():
            assert not gc.isenabled()
            made = [[] for _ in range(1000)]  # objects created under the pause get frozen
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(made)
    finally:
        gc.unfreeze()
        gc.enable()
