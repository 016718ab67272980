"""What a 2xx response must look like, per stream, and the error when it does not.

A response of the wrong shape must never read as "no data": an empty body, an envelope
that moved (``data: {contacts: [...]}`` becoming ``data: [...]``) or an object where a list
was expected used to yield zero records and end the sync with exit 0. Each stream's
:class:`Shape` comes from its ``records_jsonpath`` (``$.data.contacts[*]``: an object
whose ``data`` is an object whose ``contacts`` is an array) unless the stream declares one.
An empty record list is a valid answer (nothing there); an empty body is accepted only
where paging says the read is over (after a full page, once asked again).
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

from singer_sdk.exceptions import FatalAPIError

from outreach_kit.redaction import SECRETS

_SIMPLE_PATH = re.compile(r"^\$((?:\.[A-Za-z_][A-Za-z0-9_]*)*)(\[\*\])?$")
#: Characters of a body quoted in an error.
QUOTED = 200


def json_type(value: t.Any) -> str:
    """The JSON name of a decoded value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


@dataclass(frozen=True)
class Shape:
    """Where the records are: object keys from the top, then an array of records
    (``many``) or a single record object."""

    keys: tuple[str, ...]
    many: bool

    @classmethod
    def from_jsonpath(cls, path: str) -> Shape | None:
        """The shape a simple JSONPath implies (``$``, ``$[*]``, ``$.a.b[*]``), else None."""
        match = _SIMPLE_PATH.match(path)
        if not match:
            return None
        return cls(tuple(k for k in match[1].split(".") if k), bool(match[2]))

    def describe(self) -> str:
        """E.g. "a JSON object whose 'data' is an object whose 'contacts' is an array"."""
        target = "an array of records" if self.many else "a record object"
        if not self.keys:
            return f"a JSON body that is {target}"
        parts = [f"'{key}' is an object" for key in self.keys[:-1]]
        parts.append(f"'{self.keys[-1]}' is {target}")
        return "a JSON object whose " + " whose ".join(parts)

    def mismatch(self, body: t.Any) -> str | None:
        """What differs from the shape in a decoded, non-empty body, or None when it fits."""
        value = body
        where = "the body"
        for key in self.keys:
            if not isinstance(value, dict):
                return f"{where} is {_a(json_type(value))}"
            if key not in value:
                present = ", ".join(f"'{k}'" for k in list(value)[:10]) or "none"
                return f"{where} has no '{key}' (keys: {present})"
            value = value[key]
            where = f"'{key}'"
        expected = list if self.many else dict
        if not isinstance(value, expected):
            return f"{where} is {_a(json_type(value))}"
        return None


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def quote_body(content: bytes) -> str:
    """The first characters of a body for an error message, secrets masked."""
    if not content:
        return "an empty body (0 bytes)"
    text = content[: QUOTED * 4].decode("utf-8", errors="replace")
    text = SECRETS.redact(" ".join(text.split()))
    cut = "..." if len(text) > QUOTED else ""
    return f"{len(content)} bytes starting {text[:QUOTED]!r}{cut}"


class ResponseShapeError(FatalAPIError):
    """A 2xx response that does not have the shape the stream reads (see module)."""


def shape_error(
    *, vendor: str, stream: str, path: str, status: int, shape: Shape, found: str, content: bytes
) -> ResponseShapeError:
    """One paragraph: vendor, endpoint (path only), expected, what came, state kept."""
    return ResponseShapeError(
        f"{vendor} answered {path} (stream '{stream}') with HTTP {status} but not in the shape "
        f"the tap reads: expected {shape.describe()}, but {found}; the response was "
        f"{quote_body(content)}. Nothing from it was written, and the state saved so far is "
        "kept, so the next sync resumes from there. If this repeats, the API has changed or "
        "is misbehaving: report it to the vendor and to the tap's maintainers with this message."
    )


__all__ = ["QUOTED", "ResponseShapeError", "Shape", "json_type", "quote_body", "shape_error"]
