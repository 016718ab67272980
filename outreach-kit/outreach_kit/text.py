"""Lone UTF-16 surrogates in JSON text: replaced by U+FFFD (counted), never a parse failure.

A truncated emoji leaves half of a surrogate pair behind (``"Zo\\ud83d"``). JSON allows the
escape, but no decoder can turn it into UTF-8 text: msgspec rejects the whole body, ijson's C
backend silently writes ``?``. The body is repaired at the byte level before decoding: only
the lone halves change, valid pairs and escaped backslashes (``\\\\ud800``) are left alone.
Called only after a fast decode failed, or when a quick scan saw a surrogate escape, so the
common path costs nothing.
"""

from __future__ import annotations

import re

#: An escaped backslash (kept, so that what follows it is not read as an escape), a valid
#: high+low pair (kept), or a lone surrogate escape (replaced).
_ESCAPES = re.compile(
    rb"(\\\\)|(\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(\\u[dD][89a-fA-F][0-9a-fA-F]{2})"
)
#: Cheap test whether a body holds any surrogate escape at all.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
REPLACEMENT = rb"\ufffd"


def replace_lone_surrogates(body: bytes) -> tuple[bytes, int]:
    """``body`` with each lone surrogate escape replaced by ``\\ufffd``, and how many."""
    if not SURROGATE_ESCAPE.search(body):
        return body, 0
    count = 0

    def fix(match: re.Match[bytes]) -> bytes:
        nonlocal count
        if match.group(3) is None:
            return match.group(0)
        count += 1
        return REPLACEMENT

    return _ESCAPES.sub(fix, body), count


#: The longest escape sequence the repair matches (a pair: two six-byte escapes).
_LONGEST = 12
_BACKSLASH = 0x5C


class ChunkedRepair:
    """:func:`replace_lone_surrogates` over a body that arrives in chunks: ``feed`` each
    chunk, then ``close``; the bytes given out, joined, are exactly the repaired body.

    Each chunk is given out but for a short tail, cut where no escape of the whole body
    straddles (a pair split across two chunks would otherwise look like two lone halves,
    and a run of backslashes split in two would pair up differently). A chunk with no
    surrogate escape costs one regex search.
    """

    def __init__(self) -> None:
        self._carry = b""
        #: Lone surrogate escapes replaced so far.
        self.replaced = 0

    def feed(self, chunk: bytes) -> bytes:
        data = self._carry + chunk if self._carry else chunk
        cut = len(data) - _LONGEST
        if cut <= 0:
            self._carry = data
            return b""
        if SURROGATE_ESCAPE.search(data) is None:
            # Nothing to replace here; an escape begun in the tail stays whole in the carry,
            # and so does a run of backslashes that reaches the cut.
            while cut > 0 and data[cut - 1] == _BACKSLASH:
                cut -= 1
            self._carry = data[cut:]
            return data[:cut]
        for match in _ESCAPES.finditer(data):
            if match.start() >= cut:
                break
            if match.end() > cut:  # straddles the cut: keep it whole for the next chunk
                cut = match.start()
                break
        self._carry = data[cut:]
        fixed, count = replace_lone_surrogates(data[:cut])
        self.replaced += count
        return fixed

    def close(self) -> bytes:
        """What is left of the body, repaired."""
        fixed, count = replace_lone_surrogates(self._carry)
        self._carry = b""
        self.replaced += count
        return fixed


__all__ = ["REPLACEMENT", "SURROGATE_ESCAPE", "ChunkedRepair", "replace_lone_surrogates"]
