"""Large JSON responses in bounded memory, their records given out as the body arrives.

Some list endpoints answer with one bare JSON array that holds everything (no paging).
Decoding such a body in one go costs memory in proportion to the data, and waiting for all
of it before the first record leaves the tap idle while the vendor is still sending.
:func:`open_json` reads the first bytes of a ``stream=True`` response:

- a body that starts as an array becomes a :class:`LiveArray`, whose ``items`` parse the
  elements one at a time as the chunks arrive (ijson's push parser); the vendor's time to
  send overlaps the tap's time per record, and memory holds a chunk, not the body. When the
  body breaks off or turns invalid part-way, ``items`` raises :class:`BodyBroken` after the
  complete elements before the break: the caller asks again and skips what it already gave
  (see ``OutreachStream.request_pages``), so nothing is lost and nothing given twice;
- anything else (an error envelope, an HTML page, nothing) is small: it is spooled whole
  (:class:`SpooledJSON`, in memory up to ``max_memory``, then on disk) and checked, to be
  judged as a decoded body is.

Lone UTF-16 surrogate escapes (which ijson's C backend would turn into ``?``) are replaced
by U+FFFD before parsing and counted (:mod:`outreach_kit.text`; the live path repairs chunk
by chunk, exactly as the whole body would be repaired).
Parsing uses ijson's C backend (``yajl2_c``); :data:`BACKEND` names the backend in use.
Values decode as ``json`` would (floats, not Decimals).
"""

from __future__ import annotations

import collections
import itertools
import tempfile
import typing as t

import ijson
import requests

from outreach_kit.text import SURROGATE_ESCAPE, ChunkedRepair, replace_lone_surrogates

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


def open_json(
    response: requests.Response, *, chunk_size: int = CHUNK_SIZE, max_memory: int = MAX_MEMORY
) -> LiveArray | SpooledJSON:
    """The body of ``response`` (sent with ``stream=True``): a :class:`LiveArray` when it
    starts as a JSON array, else the whole body spooled and checked (a :class:`SpooledJSON`).
    Exceptions of the connection before the first byte propagate."""
    chunks = response.iter_content(chunk_size)
    head: list[bytes] = []
    first = b""
    for chunk in chunks:
        head.append(chunk)
        first = chunk.lstrip(_WHITESPACE)[:1]
        if first:
            break
    if first == b"[":
        return LiveArray(response, itertools.chain(head, chunks), chunk_size)
    return spool_json(response, chunks=itertools.chain(head, chunks), max_memory=max_memory)


class BodyBroken(Exception):
    """A live body broke off or turned invalid after ``given`` elements (message: why)."""

    def __init__(self, why: str, given: int) -> None:
        super().__init__(why)
        self.given = given


class LiveArray:
    """A JSON array body whose elements are parsed as its chunks arrive (see the module
    docstring). ``items`` may be iterated once; the response is closed when it ends."""

    def __init__(
        self, response: requests.Response, chunks: t.Iterable[bytes], chunk_size: int
    ) -> None:
        self.response = response
        self.chunks = chunks
        self.chunk_size = chunk_size
        #: Lone surrogate escapes replaced, known once ``items`` is done.
        self.replaced = 0

    def items(self) -> t.Iterator[t.Any]:
        """The elements, one at a time; :class:`BodyBroken` after the last complete one
        when the body breaks off, is not valid JSON, or holds more than the array."""
        repair = ChunkedRepair()
        parsed = ijson.sendable_list()
        parser = _ijson.items_coro(parsed, "item", use_float=True)
        given = 0
        try:
            for chunk in self.chunks:
                data = repair.feed(chunk)
                if data:
                    parser.send(data)
                if parsed:
                    given += len(parsed)
                    yield from parsed
                    del parsed[:]
            tail = repair.close()
            if tail:
                parser.send(tail)
            parser.close()  # raises when the array is not complete
            given += len(parsed)
            yield from parsed
        except ijson.JSONError as exc:
            given += len(parsed)
            yield from parsed  # complete elements parsed before the fault
            raise BodyBroken(_first_line(exc), given) from None
        except requests.exceptions.RequestException as exc:
            given += len(parsed)
            yield from parsed
            raise BodyBroken(f"the connection broke ({type(exc).__name__})", given) from None
        finally:
            self.replaced = repair.replaced
            self.response.close()


def spool_json(
    response: requests.Response,
    *,
    chunk_size: int = CHUNK_SIZE,
    max_memory: int = MAX_MEMORY,
    chunks: t.Iterable[bytes] | None = None,
) -> SpooledJSON:
    """Read the body of ``response`` (sent with ``stream=True``; or ``chunks`` of it
    already begun) into a :class:`SpooledJSON`.

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
        for chunk in chunks if chunks is not None else response.iter_content(chunk_size):
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


def _first_line(exc: BaseException) -> str:
    """Only the first line of ijson's message: the rest quotes the body."""
    return (str(exc).splitlines() or [type(exc).__name__])[0].strip()


def _check(file: t.IO[bytes], chunk_size: int) -> str | None:
    """Why the file is not exactly one complete JSON value, or None when it is.

    Only the first line of ijson's message is kept: the rest quotes the body.
    """
    try:
        collections.deque(_ijson.items(file, _NOWHERE, buf_size=chunk_size), maxlen=0)
    except ijson.JSONError as exc:
        return _first_line(exc)
    finally:
        file.seek(0)
    return None


__all__ = [
    "BACKEND",
    "CHUNK_SIZE",
    "MAX_MEMORY",
    "BodyBroken",
    "LiveArray",
    "SpooledJSON",
    "open_json",
    "spool_json",
]
