"""singer-sdk's message reader with a fast path for runs of RECORD lines.

RECORD lines of a stream the target loads as received (no stream map, no flattening, no
JSON Schema validation) are handed over as text, a run of consecutive lines at a time:
DuckDB parses them when the batch is loaded, so Python never decodes and re-encodes them,
and the per-line work is one `startswith`. Every other line, and every RECORD of a stream
the target declines, takes singer-sdk's own path; a run is handed over before any other
line is processed, so the order of records, STATE and other messages is kept.
"""

from __future__ import annotations

import typing as t
from collections import Counter

from singer_sdk.singerlib.encoding import SimpleSingerReader, SingerMessageType

#: How singer-sdk taps (simplejson and msgspec writers alike) start a RECORD message.
RECORD_PREFIX = '{"type":"RECORD","stream":"'
_STREAM_AT = len(RECORD_PREFIX)


class RawRecords(t.Protocol):
    """What the target offers the reader for raw RECORD lines."""

    def room(self, stream: str) -> int:
        """How many raw lines of `stream` to collect before `stage` (0: none, parse them)."""

    def stage(self, stream: str, lines: list[str]) -> None:
        """Take a run of raw RECORD lines of `stream`, in arrival order."""


def stream_of(line: str) -> str:
    """The stream name of a line starting with `RECORD_PREFIX` (as written, unescaped)."""
    return line[_STREAM_AT : line.find('"', _STREAM_AT)]


class FastRecordReader(SimpleSingerReader):
    """Reads lines like singer-sdk's reader; `raw` (if set) may take runs of RECORD lines."""

    raw: RawRecords | None = None

    def process_lines(
        self,
        file_input: t.IO[str] | None,
        callbacks: dict[str, t.Callable[[dict], None]],
    ) -> t.Counter[str]:
        stats: Counter[str] = Counter()
        raw = self.raw
        run: list[str] = []
        stream, prefix, room = "", "", 0  # the run's stream, its line prefix, lines left
        for line in file_input or self.default_input:
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
            if raw is not None and line.startswith(RECORD_PREFIX):
                stream = stream_of(line)
                prefix = f'{RECORD_PREFIX}{stream}",'
                room = raw.room(stream) if line.startswith(prefix) else 0
                if room:
                    run.append(line)
                    room -= 1
                    if not room:
                        stats[SingerMessageType.RECORD] += self._hand_over(stream, run)
                        run = []
                    continue
            self._current_message = line
            message = self.deserialize_json(line)
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

    def _hand_over(self, stream: str, run: list[str]) -> int:
        assert self.raw is not None
        self.raw.stage(stream, run)
        return len(run)
