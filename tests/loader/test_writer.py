"""The loader as a process: one writer per DuckDB file (a second gets a clear error at once,
not a hang), errors as one line, no record contents in the log at INFO."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from loader_support import record, schema

LOADER = Path(sys.executable).parent / "outreach-target-duckdb"
SECRET_ISH = "Zq7-private-note-of-a-lead"
#: Holds the DuckDB file open for writing until its stdin closes.
HOLDER = """import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
sys.stdin.read()
"""


def _run(config: dict, messages: list[dict], tmp_path: Path, timeout: float = 60):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    lines = "".join(json.dumps(m, separators=(",", ":")) + "\n" for m in messages)
    return subprocess.run(
        [str(LOADER), "--config", str(path)],
        input=lines,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _messages() -> list[dict]:
    props = {"id": {"type": "integer"}, "note": {"type": "string"}}
    return [
        schema("notes", props, ["id"]),
        record("notes", {"id": 1, "note": SECRET_ISH}),
        {"type": "STATE", "value": {"bookmarks": {"notes": {"n": 1}}}},
    ]


def test_second_writer_gets_a_clear_error_at_once(tmp_path):
    db = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = _run({"filepath": str(db)}, _messages(), tmp_path)
        still_held = holder.poll() is None  # it failed while the lock was held: no waiting
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("outreach-target-duckdb: error: the DuckDB file")
    assert f"open for writing by process {holder.pid}" in last
    assert "`filepath`" in last
    assert still_held
    assert result.stdout == ""  # no state confirmed


def test_one_run_after_another_both_write(tmp_path):
    db = tmp_path / "w.duckdb"
    for _ in range(2):
        result = _run({"filepath": str(db), "default_target_schema": "s"}, _messages(), tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT id, note FROM s.notes").fetchall() == [(1, SECRET_ISH)]


def test_state_is_confirmed_and_no_record_content_is_logged(tmp_path):
    result = _run({"filepath": str(tmp_path / "w.duckdb")}, _messages(), tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"bookmarks": {"notes": {"n": 1}}}
    assert SECRET_ISH not in result.stderr
    assert "Loaded 1 records of 'notes'" in result.stderr


def test_bad_input_is_one_error_line_and_no_state(tmp_path):
    messages = _messages()
    messages.insert(2, record("notes", {"id": "x1", "note": "bad"}))
    result = _run({"filepath": str(tmp_path / "w.duckdb")}, messages, tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("outreach-target-duckdb: error: a batch of stream 'notes'")
    assert result.stdout == ""


def test_bad_setting_names_it(tmp_path):
    result = _run({"filepath": str(tmp_path / "w.duckdb"), "load_method": "merge"}, [], tmp_path)
    assert result.returncode == 1
    assert (
        "'merge' is not one of ['upsert', 'append-only', 'overwrite'] in config['load_method']"
        in (result.stderr)
    )
