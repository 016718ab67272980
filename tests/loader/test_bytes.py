"""The byte path: stdin (or an `--input` file) is read as UTF-8 bytes, never decoded for a
fast RECORD line; other lines are decoded for singer-sdk. What lands must equal the text
path's result, non-ASCII text, a last line without newline and CRLF line ends included."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

from loader_support import SCHEMA, Warehouse, activate, record, schema

from outreach_target_duckdb import TargetDuckDB
from outreach_target_duckdb.reader import FastRecordReader, byte_lines

TEXTS = ["Gerne \u2013 nächste Woche?", "👍", 'Ørjan «quoted» "x"', "plain"]


def _messages() -> list[dict]:
    props = {"id": {"type": "integer"}, "text": {"type": ["string", "null"]}}
    messages: list[dict] = [schema("notes", props, ["id"])]
    messages += [record("notes", {"id": i, "text": t}, version=1) for i, t in enumerate(TEXTS)]
    messages.append({"type": "STATE", "value": {"bookmarks": {"notes": {"n": len(TEXTS)}}}})
    messages.append(record("notes", {"id": 99, "text": "after the state"}, version=1))
    messages.append(activate("notes", 1))
    return messages


def _encode(messages: list[dict], newline: str = "\n") -> bytes:
    lines = [json.dumps(m, separators=(",", ":"), ensure_ascii=False) for m in messages]
    return newline.join(lines).encode("utf-8")  # the last line without its newline


def _load_bytes(warehouse: Warehouse, data: bytes) -> str:
    """Run the loader on a text wrapper over bytes, as stdin is."""
    target = TargetDuckDB(config={"filepath": str(warehouse.path), "default_target_schema": SCHEMA})
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            target.listen(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    finally:
        target.close()
    return out.getvalue()


def test_a_text_wrapper_is_read_as_bytes_and_a_string_input_as_text():
    wrapper = io.TextIOWrapper(io.BytesIO(b"{}\n"), encoding="utf-8")
    assert next(iter(byte_lines(wrapper))) == b"{}\n"
    text = io.StringIO("{}\n")
    assert byte_lines(text) is text


def test_runs_arrive_as_the_bytes_received():
    staged: list[bytes] = []

    class Raw:
        def room(self, stream: str) -> int:
            return 100 if stream == "notes" else 0

        def stage(self, stream: str, lines: list[bytes]) -> None:
            staged.extend(lines)

    data = _encode(_messages())
    reader = FastRecordReader()
    reader.raw = Raw()
    seen: list[str] = []
    callbacks = {
        k: (lambda m: seen.append(m["type"])) for k in ("SCHEMA", "STATE", "ACTIVATE_VERSION")
    }
    stats = reader.process_lines(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"), callbacks)
    assert all(isinstance(line, bytes) for line in staged)
    lines = data.split(b"\n")  # SCHEMA, 4 records, STATE, a record, ACTIVATE_VERSION
    assert staged == [line + b"\n" for line in [*lines[1:5], lines[6]]]
    assert seen == ["SCHEMA", "STATE", "ACTIVATE_VERSION"]
    assert stats["RECORD"] == len(TEXTS) + 1


def test_bytes_and_text_inputs_load_the_same_rows(tmp_path):
    by_text, by_bytes, by_crlf = (Warehouse(tmp_path / f"{n}.duckdb") for n in "tbc")
    messages = _messages()
    state_text = by_text.load(messages)
    state_bytes = _load_bytes(by_bytes, _encode(messages))
    _load_bytes(by_crlf, _encode(messages, newline="\r\n"))
    expected = [(i, t) for i, t in enumerate(TEXTS)] + [(99, "after the state")]
    for warehouse in (by_text, by_bytes, by_crlf):
        assert warehouse.rows("notes", "id, text", "_sdc_deleted_at IS NULL") == expected
    assert state_bytes == state_text
    assert json.loads(state_bytes.splitlines()[-1]) == {"bookmarks": {"notes": {"n": len(TEXTS)}}}
