"""A batch of one stream on disk: Singer RECORD messages as newline JSON, in arrival order.

Each line is the tap's RECORD message, written as received (the fast path) or re-encoded
after singer-sdk's stream maps (the mapped path), with `"_sdc_seq"` (its arrival number in
the batch) added in front so the last record of a key wins. DuckDB's `read_json` reads the
file; nothing of the batch is held in memory, so memory stays flat however large the run.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from singer_sdk.singerlib.json import serialize_json


class StagingFile:
    """An open batch file; `close()` hands its path to the loader."""

    def __init__(self, directory: Path, stream: str) -> None:
        handle, name = tempfile.mkstemp(prefix=f"{stream[:40]}-", suffix=".jsonl", dir=directory)
        self.path = Path(name)
        self._file = os.fdopen(handle, "wb", buffering=1 << 20)
        self.count = 0
        #: Wall clock (ns) when the batch's first record arrived: `_sdc_received_at`.
        self.started_ns = time.time_ns()

    def write_messages(self, lines: list[str] | list[bytes]) -> None:
        """Raw RECORD message lines as received from the tap (UTF-8 bytes, or str from a
        text input), each with `_sdc_seq` added."""
        first = self.count + 1
        self.count += len(lines)
        if isinstance(lines[0], bytes):
            seq = [b'{"_sdc_seq":%d,' % n for n in range(first, self.count + 1)]
            blank, newline = b"", b"\n"
        else:
            seq = [f'{{"_sdc_seq":{n},' for n in range(first, self.count + 1)]
            blank, newline = "", "\n"
        parts: list = [blank] * (2 * len(lines))  # prefix, line: faster than one f-string each
        parts[0::2] = seq
        parts[1::2] = [line[1:] for line in lines]
        if not lines[-1].endswith(newline):  # the last line of the input may lack its newline
            parts.append(newline)
        data = blank.join(parts)
        self._file.write(data if isinstance(data, bytes) else data.encode("utf-8"))

    def write_record(self, record: dict, time_extracted: object, version: object) -> None:
        """A record after singer-sdk's mapping/validation, re-encoded as a RECORD message."""
        self.count += 1
        message = {"_sdc_seq": self.count, "record": record}
        if time_extracted is not None:
            message["time_extracted"] = time_extracted
        if version is not None:
            message["version"] = version
        self._file.write(serialize_json(message).encode("utf-8"))
        self._file.write(b"\n")

    def close(self) -> Path:
        self._file.close()
        return self.path

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)
