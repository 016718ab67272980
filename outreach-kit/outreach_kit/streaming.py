"""Large JSON responses in bounded memory, their records given out as the body arrives.

Some list endpoints answer with one bare JSON array that holds everything (no paging).
Decoding such a body in one go costs memory in proportion to the data, and waiting for all
of it before the first record leaves the tap idle while the vendor is still sending.
:func:`open_json` reads the first bytes of a ``stream=True`` response:

- a body that starts as an array becomes a :class:`LiveArray`, whose ``items`` parse the
  elements as the chunks arrive: the whole objects of each chunk by msgspec in one call
  (:func:`_batch`), any other element by the standard library's C scanner,
  ``json.JSONDecoder.raw_decode``, once its text is in (both several times faster than
  ijson's push parser building the same objects); the vendor's time to
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
Spooled bodies are checked and parsed by ijson's C backend (``yajl2_c``); :data:`BACKEND`
names the backend in use. Both paths decode values as ``json`` would (floats, not
Decimals) and refuse what is not strict JSON (``NaN``, a float overflowing to infinity).
"""

from __future__ import annotations

import codecs
import collections
import itertools
import json
import math
import re
import tempfile
import typing as t

import ijson
import msgspec
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
        text = codecs.getincrementaldecoder("utf-8")()
        elements = _ArrayElements()
        try:
            for chunk in self.chunks:
                data = repair.feed(chunk)
                if data:
                    yield from elements.feed(_decoded(text, data, final=False))
            yield from elements.feed(_decoded(text, repair.close(), final=True), final=True)
            elements.close()
        except _InvalidText as exc:
            yield from elements.feed(exc.valid, final=True)  # the elements before the bad bytes
            if exc.cut:
                elements.close()  # the body ended inside a character: cut, not invalid
            raise BodyBroken("invalid bytes in UTF-8 text", elements.given) from None
        except requests.exceptions.RequestException as exc:
            why = f"the connection broke ({type(exc).__name__})"
            raise BodyBroken(why, elements.given) from None
        finally:
            self.replaced = repair.replaced
            self.response.close()


class _InvalidText(Exception):
    """Bytes that are not UTF-8; ``valid`` is the text before them."""

    def __init__(self, valid: str, cut: bool) -> None:
        super().__init__()
        self.valid = valid
        #: The body ended inside a character (rather than holding an invalid one).
        self.cut = cut


def _decoded(text: codecs.IncrementalDecoder, data: bytes, *, final: bool) -> str:
    try:
        return text.decode(data, final=final)
    except UnicodeDecodeError as exc:
        valid = exc.object[: exc.start].decode("utf-8")
        raise _InvalidText(valid, cut=exc.reason == "unexpected end of data") from None


def _finite(text: str) -> float:
    """A JSON number with a fraction or exponent, refused when a float cannot hold it (as
    ijson refuses it: the value would otherwise turn into infinity)."""
    number = float(text)
    if math.isinf(number):
        raise _Invalid("numeric (floating point) overflow")
    return number


def _constant(name: str) -> t.NoReturn:
    raise _Invalid(f"{name} is not JSON")


class _Invalid(ValueError):
    """The text is not JSON, whatever follows."""


#: The standard library's C scanner decodes each element (three times faster than ijson's
#: push parser building the same objects), strict JSON only.
_decode = json.JSONDecoder(parse_float=_finite, parse_constant=_constant).raw_decode
_BLANKS = re.compile(r"[ \t\n\r]*")
#: Where a number or a literal ends: at the first blank, "," or "]".
_TOKEN = re.compile(r"[^ \t\n\r,\]]*")
#: An error this near the end of the text may be an element cut by the chunk boundary.
_NEAR_END = 8
#: Where the array is: before "[", expecting an element or "]", after an element, after ",".
_START, _FIRST, _AFTER, _NEXT, _DONE = range(5)


class _ArrayElements:
    """The elements of one top-level JSON array, from its text fed in pieces.

    Objects, arrays and strings end where they close, so each is decoded once it is whole:
    an error at the end of the text (or an unterminated string) means the piece ended
    inside it, and it is decoded again once its text has at least doubled (so an element
    spanning many chunks costs a few decodes, not one per chunk) or the body has ended. A
    number or a literal ends only where the text after it begins, so it is decoded once
    that is in. Any other error is the body's.
    """

    def __init__(self) -> None:
        self._text = ""
        #: Text fed since the last attempt, and the held text's length before the next one.
        self._pieces: list[str] = []
        self._held = 0
        self._need = 0
        self._state = _START
        #: Elements given so far.
        self.given = 0

    def feed(self, piece: str, *, final: bool = False) -> t.Iterator[t.Any]:
        self._pieces.append(piece)
        self._held += len(piece)
        if self._held < self._need and not final:
            return
        text = self._text + "".join(self._pieces)
        self._pieces.clear()
        at, end, state = 0, len(text), self._state
        batch = True  # one attempt per piece: see _batch
        try:
            while True:
                at = _BLANKS.match(text, at).end()  # type: ignore[union-attr]
                if at == end:
                    break
                char = text[at]
                if batch and state in (_FIRST, _NEXT):
                    batch = False
                    values, after = _batch(text, at)
                    if values:
                        self.given += len(values)
                        yield from values
                        state, at = _AFTER, after
                        continue
                if state == _AFTER:
                    if char not in ",]":
                        raise _Invalid("after an array element, ',' or ']' was expected")
                    state, at = (_NEXT if char == "," else _DONE), at + 1
                elif state == _START:
                    if char != "[":
                        raise _Invalid("the body is not an array")
                    state, at = _FIRST, at + 1
                elif state == _DONE:
                    raise _Invalid("trailing garbage")
                elif char == "]" and state == _FIRST:
                    state, at = _DONE, at + 1
                else:
                    value, after = self._element(text, at)
                    if after < 0:  # cut by the end of this piece: wait for more
                        self._need = 2 * (end - at)
                        break
                    self.given += 1
                    yield value
                    state, at = _AFTER, after
        except _Invalid as exc:
            raise BodyBroken(f"parse error: {exc}", self.given) from None
        if at == end:
            self._need = 0
        self._text, self._state = text[at:], state
        self._held = len(self._text)

    @staticmethod
    def _element(text: str, at: int) -> tuple[t.Any, int]:
        """The element starting at ``at`` and where it ends; ``(None, -1)`` if the text may
        end inside it."""
        token = -1
        if text[at] not in '{["':  # a number or a literal: "12" may go on as "12.5"
            token = _TOKEN.match(text, at).end()  # type: ignore[union-attr]
            if token == len(text):
                return None, -1
        try:
            value, after = _decode(text, at)
        except json.JSONDecodeError as exc:
            if token < 0 and (
                exc.pos >= len(text) - _NEAR_END or exc.msg.startswith("Unterminated string")
            ):
                return None, -1
            raise _Invalid(exc.msg) from None
        if 0 <= token != after:
            raise _Invalid(f"invalid value {text[at:token][:20]!r}")
        return value, after

    def close(self) -> None:
        """The body has ended: the array must have too. An element left waiting for more
        text is named by its own error when it has one that no more text could mend."""
        rest = self._text.strip(" \t\n\r")
        if self._state == _DONE:
            if rest:
                raise BodyBroken("parse error: trailing garbage", self.given)
            return
        why = "premature EOF"
        if rest and self._state != _AFTER:
            try:
                _decode(rest, 0)
            except json.JSONDecodeError as exc:
                cut = exc.msg.startswith(("Unterminated", "Expecting")) or (
                    "escape" in exc.msg and exc.pos >= len(rest) - _NEAR_END
                )
                if not cut:
                    why = exc.msg  # an invalid character, or an escape no text could mend
            except _Invalid as exc:
                why = str(exc)
        raise BodyBroken(f"parse error: {why}", self.given)


def _batch(text: str, at: int) -> tuple[list[t.Any], int]:
    """The whole elements from ``at`` on, decoded by msgspec in one call, and where they
    end; ``([], at)`` when no run of them decodes. Records are objects, and msgspec decodes
    a page of them about half again as fast as one ``raw_decode`` per element.

    A run ends at the array's ``]`` when the text holds it, or else at the ``}`` before the
    last place an element may start: before the last occurrence of the first element's first
    key (records of one endpoint start alike), or at the last ``},``. No tokenizer is needed:
    ``[`` + the run + ``]`` decodes only if the run is whole elements (a brace inside a
    string, or one that closes a nested object, leaves a string or a bracket open, and the
    place before is tried). msgspec decodes strict JSON to the same values as ``_decode``
    and refuses the same things (NaN, a float overflowing to infinity); when no run decodes,
    the per-element path decodes the text and names any fault.
    """
    for end in itertools.islice(_run_ends(text, at), _TRIES):
        try:
            return _decode_array("[" + text[at:end] + "]"), end
        except (msgspec.DecodeError, RecursionError):
            continue
    return [], at


def _run_ends(text: str, at: int) -> t.Iterator[int]:
    """Where a run of whole elements from ``at`` may end, the longest first (see _batch)."""
    tail = len(text.rstrip(" \t\n\r"))
    if tail > at and text[tail - 1] == "]":
        yield tail - 1
    head = ""
    if text.startswith('{"', at):
        colon = text.find(":", at, at + _HEAD_MAX)
        head = text[at : colon + 1] if colon > 0 else ""
    if head and text.find(head, at + 1) < 0:
        head = ""  # the elements do not start alike (or one fills the text): look for "},"
    start = len(text)
    while True:
        if head:
            start = text.rfind(head, at + 1, start)
            last = text.rfind("}", at, start) if start > 0 else -1
        else:
            last = start = text.rfind("},", at, start)
        if last < 0:
            return
        yield last + 1


_decode_array = msgspec.json.Decoder(list).decode
#: The longest first key looked for (with its quotes and colon) to find where records start.
_HEAD_MAX = 64
#: Runs tried per piece of text before its elements are decoded one by one.
_TRIES = 3


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
