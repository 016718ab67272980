"""singer-sdk's message reader with a fast path for RECORD lines.

A RECORD line of a stream the target loads as received (no stream map, no flattening, no
JSON Schema validation) is handed over as text: DuckDB parses it when the batch is loaded,
so Python never decodes and re-encodes it. Every other line, and every RECORD the handler
declines, takes singer-sdk's own path.
"""

from __future__ import annotations

import typing as t
from collections import Counter

from singer_sdk.singerlib.encoding import SimpleSingerReader, SingerMessageType

#: How singer-sdk taps (simplejson and msgspec writers alike) start a RECORD message.
RECORD_PREFIX = '{"type":"RECORD","stream":"'


class FastRecordReader(SimpleSingerReader):
    """Reads lines like singer-sdk's reader; `raw_handler(line)` may take a RECORD line."""

    raw_handler: t.Callable[[str], bool] | None = None

    def process_lines(
        self,
        file_input: t.IO[str] | None,
        callbacks: dict[str, t.Callable[[dict], None]],
    ) -> t.Counter[str]:
        stats: Counter[str] = Counter()
        handler = self.raw_handler
        for line in file_input or self.default_input:
            if handler is not None and line.startswith(RECORD_PREFIX) and handler(line):
                stats[SingerMessageType.RECORD] += 1
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
        return stats
