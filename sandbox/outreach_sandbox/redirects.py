"""The ``redirect`` fault: a 301/302/303/307/308 the way a moved or hijacked API answers.

``location`` is the target, with ``{path}`` (the request path, vendor prefix included) and
``{query}`` (the raw query string, credentials included, as a careless proxy would echo it)
filled in. The default, ``{path}?{query}``, is a same-origin redirect to the same resource;
an absolute URL on another host or port is a cross-origin one.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from outreach_sandbox.http import Reply

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_LOCATION = "{path}?{query}"


def check_redirect_spec(spec: t.Mapping[str, t.Any]) -> None:
    """Raise ValueError for a status that is not a redirect or a location that is not text."""
    status = spec.get("status", 302)
    if status not in REDIRECT_STATUSES:
        raise ValueError(f"redirect status {status!r}; one of {sorted(REDIRECT_STATUSES)}")
    if not isinstance(spec.get("location", DEFAULT_LOCATION), str):
        raise ValueError("redirect location must be a string")


def redirect_reply(spec: t.Mapping[str, t.Any], target: str) -> Reply:
    """The redirect for a request whose request-target (path and query) is ``target``."""
    url = urlsplit(target)
    location = str(spec.get("location") or DEFAULT_LOCATION)
    location = location.replace("{path}", url.path).replace("{query}", url.query)
    if location.endswith("?"):
        location = location[:-1]
    status = int(spec.get("status", 302))
    return Reply(status, {"message": "Moved"}, {"Location": location})
