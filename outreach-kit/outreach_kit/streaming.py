"""Large JSON responses in bounded memory: spool the body, check it, then parse it lazily.

Some list endpoints answer with one bare JSON array that holds everything (no paging).
Decoding such a body in one go costs memory in proportion to the data. Instead:

1. :func:`spool_json` copies the body of a ``stream=True`` response to a temporary file
   (in memory up to ``max_memory``, then on disk; gone once closed), then reads the file
   once through an incremental parser that builds no object, to learn whether the body is
   one complete JSON value and what its top level is. A connection that breaks mid-body
   raises the same ``requests`` exceptions as a plain read, so call it where the caller's
   retries apply (e.g. in ``validate_response``, inside the retried request).
2. Only once the body is known complete does :meth:`SpooledJSON.items` yield the elements of
   the top-level array, one at a time (values as ``msgspec``/``json`` decode them: floats,
   not Decimals).

The check costs one parse that builds no records, about 8 ms per MB (1.6 s per million
Salesflow messages); the lazy parse costs about 10 ms per MB, against 7 ms per MB for
decoding the whole body at once with msgspec.
Lone UTF-16 surrogate escapes (which ijson's C backend would turn into ``?``) are replaced
by U+FFFD before parsing and counted in ``replaced``; a body holding any is repaired in
memory, the rare case (:mod:`outreach_kit.text`).
Parsing uses ijson's C backend (``yajl2_c``); :data:`BACKEND` names the backend in use.
"""

from __future__ import annotations

import collections
import tempfile
import typing as t

import ijson

from outreach_kit.text import SURROGATE_ESCAPE, replace_lone_surrogates

if t.TYPE_CHECKING:
    import requests

try:
    _ijson: t.Any = ijson.get_backend("yajl2_c")
except ImportError:  # pragma: no cover - wheels ship the C backend; this is a slow fallback
    _ijson = ijson

#: Name of the ijson backend in use (``yajl2_c`` unless the C extension is missing).
BACKEND: str = _ijson.backend_name
#: Bytes read from the connection (and from the spool file) at a time.
CHUNK_SIZE = 64 * 1024
#: Bytes kept in memory before the spool file moves to disk.
MAX_MEMORY = 1024 * 1024

#: The JSON type of a top level, from its first byte.
_KINDS = {
    ord("["): "array",
    ord("{"): "object",
    ord('"'): "string",
    ord("t"): "boolean",
    ord("f"): "boolean",
    ord("n"): "null",
    ord("-"): "number",
    **{ord(digit): "number" for digit in "0123456789"},
}
#: A prefix no value of a body can have but a top-level key "\0": parsing for it builds no
#: object, yet reads the whole body (ijson's fastest way to just check the syntax).
_NOWHERE = "\x00"
_WHITESPACE = b" \t\r\n"


class SpooledJSON:
    """A response body in a temporary file, with what an incremental parse found in it.

    ``kind`` is the JSON type of the top level (``"array"``, ``"object"``, ``"string"``,
    ``"number"``, ``"boolean"``, ``"null"``), or None when the body does not start with JSON
    (an HTML page, nothing). ``error`` is why the body is not exactly one complete JSON value
    (cut off, trailing garbage, not JSON), or None when it is. Close it (or use ``with``)
    to delete the file.
    """

    def __init__(
        self, file: t.IO[bytes], size: int, kind: str | None, error: str | None, replaced: int = 0
    ):
        self.file = file
        self.size = size
        self.kind = kind
        self.error = error
        #: Lone surrogate escapes replaced by U+FFFD.
        self.replaced = replaced

    @property
    def complete(self) -> bool:
        """True when the body is one complete JSON value."""
        return self.kind is not None and self.error is None

    @property
    def on_disk(self) -> bool:
        """True once the body outgrew ``max_memory`` and moved to a file on disk."""
        return bool(getattr(self.file, "_rolled", True))

    @property
    def closed(self) -> bool:
        return bool(self.file.closed)

    def read(self) -> bytes:
        """The whole body: only for small bodies (error pages, envelopes)."""
        self.file.seek(0)
        return self.file.read()

    def items(self) -> t.Iterator[t.Any]:
        """The elements of the top-level array, one at a time, decoded as ``json`` would."""
        if self.kind != "array" or self.error is not None:
            raise ValueError(f"not a complete JSON array (kind {self.kind}, error {self.error})")
        self.file.seek(0)
        yield from _ijson.items(self.file, "item", use_float=True, buf_size=CHUNK_SIZE)

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> SpooledJSON:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def spool_json(
    response: requests.Response, *, chunk_size: int = CHUNK_SIZE, max_memory: int = MAX_MEMORY
) -> SpooledJSON:
    """Read the body of ``response`` (sent with ``stream=True``) into a :class:`SpooledJSON`.

    Memory use is bounded by ``max_memory`` plus a few chunks, whatever the body's size.
    Exceptions of the connection (``requests.exceptions.ChunkedEncodingError`` when it
    breaks mid-body, timeouts) propagate, and the file is then deleted.
    """
    file = tempfile.SpooledTemporaryFile(max_size=max_memory)  # noqa: SIM115 - returned open
    size = 0
    first = b""
    tail = b""  # the end of the previous chunk: an escape may straddle two chunks
    surrogates = False
    replaced = 0
    try:
        for chunk in response.iter_content(chunk_size):
            file.write(chunk)
            size += len(chunk)
            if not first:
                first = chunk.lstrip(_WHITESPACE)[:1]
            surrogates = surrogates or bool(SURROGATE_ESCAPE.search(tail + chunk))
            tail = chunk[-8:]
        if surrogates:
            file.seek(0)
            content, replaced = replace_lone_surrogates(file.read())
            if replaced:
                file.seek(0)
                file.truncate()
                file.write(content)
                size = len(content)
        file.seek(0)
        kind = _KINDS.get(first[0]) if first else None
        error = _check(file, chunk_size) if kind else "not JSON" if first else "no body"
    except BaseException:
        file.close()
        raise
    return SpooledJSON(file, size, kind, error, replaced)


def _check(file: t.IO[bytes], chunk_size: int) -> str | None:
    """Why the file is not exactly one complete JSON value, or None when it is.

    Only the first line of ijson's message is kept: the rest quotes the body.
    """
    try:
        collections.deque(_ijson.items(file, _NOWHERE, buf_size=chunk_size), maxlen=0)
    except ijson.JSONError as exc:
        return (str(exc).splitlines() or [type(exc).__name__])[0].strip()
    finally:
        file.seek(0)
    return None


__all__ = ["BACKEND", "CHUNK_SIZE", "MAX_MEMORY", "SpooledJSON", "spool_json"]
