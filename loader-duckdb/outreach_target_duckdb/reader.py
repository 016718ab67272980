"""singer-sdk's message reader with a fast path for runs of RECORD lines.

RECORD lines of a stream the target loads as received (no stream map, no flattening, no
JSON Schema validation) are handed over as they came, a run of consecutive lines at a time:
DuckDB parses them when the batch is loaded, so Python never decodes and re-encodes them,
and the per-line work is one `startswith`. Standard input (or an `--input` file) is read as
bytes: a fast line is never decoded from UTF-8 nor encoded again (that was most of Python's
cost per row); the few other lines are decoded. Every other line, and every RECORD of a
stream the target declines, takes singer-sdk's own path; a run is handed over before any
other line is processed, so the order of records, STATE and other messages is kept.
"""

from __future__ import annotations

import io
import typing as t
from collections import Counter

from singer_sdk.singerlib.encoding import SimpleSingerReader, SingerMessageType

#: How singer-sdk taps (simplejson and msgspec writers alike) start a RECORD message.
RECORD_PREFIX = '{"type":"RECORD","stream":"'
_STREAM_AT = len(RECORD_PREFIX)
_PREFIXES = {str: RECORD_PREFIX, bytes: RECORD_PREFIX.encode()}

Line = t.TypeVar("Line", str, bytes)


class RawRecords(t.Protocol):
    """What the target offers the reader for raw RECORD lines."""

    def room(self, stream: str) -> int:
        """How many raw lines of `stream` to collect before `stage` (0: none, parse them)."""

    def stage(self, stream: str, lines: list[str] | list[bytes]) -> None:
        """Take a run of raw RECORD lines of `stream` (all str or all UTF-8 bytes), in
        arrival order."""


def stream_of(line: str | bytes) -> str:
    """The stream name of a line starting with `RECORD_PREFIX` (as written, unescaped)."""
    if isinstance(line, bytes):
        return line[_STREAM_AT : line.find(b'"', _STREAM_AT)].decode("utf-8")
    return line[_STREAM_AT : line.find('"', _STREAM_AT)]


def byte_lines(source: t.IO[str]) -> t.Iterable[str] | t.Iterable[bytes]:
    """The bytes under a text input (stdin, an `--input` file), else the input itself (e.g.
    a `StringIO`). The reader is the input's only consumer, so nothing has been read through
    the text layer; Singer messages are UTF-8 JSON whatever the locale says."""
    buffer = getattr(source, "buffer", None) if isinstance(source, io.TextIOWrapper) else None
    return buffer if buffer is not None else source


class FastRecordReader(SimpleSingerReader):
    """Reads lines like singer-sdk's reader; `raw` (if set) may take runs of RECORD lines."""

    raw: RawRecords | None = None

    def process_lines(
        self,
        file_input: t.IO[str] | None,
        callbacks: dict[str, t.Callable[[dict], None]],
    ) -> t.Counter[str]:
        source = file_input or self.default_input
        lines = byte_lines(source) if self.raw is not None else source
        return self._read(lines, callbacks)

    def _read(
        self, lines: t.Iterable[Line], callbacks: dict[str, t.Callable[[dict], None]]
    ) -> t.Counter[str]:
        stats: Counter[str] = Counter()
        raw = self.raw
        run: list[Line] = []
        stream, prefix, room = "", None, 0  # the run's stream, its line prefix, lines left
        record_prefix: t.Any = None  # RECORD_PREFIX as str or bytes, as the lines come
        for line in lines:
            if room and line.startswith(prefix):
                run.append(line)
                room -= 1
                if not room:
                    stats[SingerMessageType.RECORD] += self._hand_over(stream, run)
                    run = []
                continue
            if run:
                stats[SingerMessageType.RECORD] += self._hand_over(stream, run)
                run, room = [], 0
            if record_prefix is None:
                record_prefix = _PREFIXES[type(line)]
            if raw is not None and line.startswith(record_prefix):
                stream = stream_of(line)
                prefix = f'{RECORD_PREFIX}{stream}",'
                if isinstance(line, bytes):
                    prefix = prefix.encode("utf-8")
                room = raw.room(stream) if line.startswith(prefix) else 0
                if room:
                    run.append(line)
                    room -= 1
                    if not room:
                        stats[SingerMessageType.RECORD] += self._hand_over(stream, run)
                        run = []
                    continue
            text = line.decode("utf-8") if isinstance(line, bytes) else line
            self._current_message = text
            message = self.deserialize_json(text)
            self.assert_line_requires(message, requires={"type"})
            kind = message["type"]
            if callback := callbacks.get(kind):
                callback(message)
            else:
                self._process_unknown_message(message)
            stats[kind] += 1
        if run:
            stats[SingerMessageType.RECORD] += self._hand_over(stream, run)
        return stats

    def _hand_over(self, stream: str, run: list[str] | list[bytes]) -> int:
        assert self.raw is not None
        self.raw.stage(stream, run)
        return len(run)
