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


__all__ = ["REPLACEMENT", "SURROGATE_ESCAPE", "replace_lone_surrogates"]
