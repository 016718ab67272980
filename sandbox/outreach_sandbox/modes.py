"""Vendor behaviours the documents leave open, as switchable modes (setting ``modes``).

Each mode is a way a real vendor may behave that its document neither promises nor rules
out; the defaults are the sandbox's usual behaviour. ``POST /_sandbox/config {"modes":
{...}}`` (or ``SandboxServer(modes={...})``) sets some and keeps the others; a data reset
keeps them too, like every other setting.
"""

from __future__ import annotations

import typing as t

#: mode -> (default, allowed values; None: a positive int or null)
MODES: dict[str, tuple[t.Any, tuple[t.Any, ...] | None]] = {
    # Sales.Rocks documents no maximum `size`: the server answers at most this many rows per
    # page without saying so (pages then hold this many, offsets follow the capped size).
    "salesrocks_max_size": (None, None),
    # Where a capped page starts: offsets step by the capped size ("capped": page 2 of size
    # 100 capped at 50 starts at row 50) or by the size asked ("asked": at row 100, so rows
    # 50-99 come on no page), as a server computing the offset before the cap would.
    "salesrocks_cap_offsets": ("capped", ("capped", "asked")),
    # SalesBlink answers at most this many rows per page whatever `limit` (`/lists`, leads,
    # `/sequences`) or `per_page` (activity feeds) asks (documented maximum 100), without
    # saying so; `skip` stays a record offset, feed pages step by the size served.
    "salesblink_max_page": (None, None),
    # SalesBlink `/users` answers an empty list to keys whose role is not admin (spec).
    "salesblink_key_role": ("admin", ("admin", "user")),
    # Salesflow analytics: no longest range is documented; a server may answer only the
    # first n days of a longer one, without saying so (null: every day asked, up to 92).
    "salesflow_max_window_days": (None, None),
    # Which days such a server keeps: the "first" n from `from`, or the "newest" n up to
    # `to` (a `from` clamped to `to` less the longest range).
    "salesflow_window_keeps": ("first", ("first", "newest")),
    # Salesflow paths the doc does not give: "404" answers them as an unknown route.
    "salesflow_undocumented": ("ok", ("ok", "404")),
    # What `accounts/list-accounts` lists for a token: its own account, or "all" accounts
    # the sandbox knows (an agency token; the doc says accounts are listed by the token).
    "salesflow_token_lists": ("own", ("own", "all")),
    # Member `Status` as the GetContact enum's number (4) or, as in the webhook sample, its
    # name ("MEMBER_CONNECTED").
    "salesflow_member_status": ("number", ("number", "name")),
    # Webhook attachments' `RunOn` as documented for List Webhooks ("MEMBER_CONNECTED") or
    # as the number Attach Webhook takes (1).
    "salesflow_webhook_run_on": ("name", ("name", "number")),
    # "documented": `updatedFromDate` only as `yyyy-MM-dd HH:mm:ss` (compared to the second)
    # and `from`/`to` only as `yyyy-MM-dd`, the doc's only examples; anything else is a 400.
    "salesflow_date_params": ("any", ("any", "documented")),
}

#: Salesflow's GetContact `Status` table and Attach Webhook's `runOn` table.
MEMBER_STATUS_NAMES = {
    0: "MEMBER_NOT_SET",
    1: "MEMBER_PENDING",
    2: "MEMBER_INVITATION_SENT",
    4: "MEMBER_CONNECTED",
    8: "MEMBER_DISCONNECTED",
    16: "MEMBER_DELETED",
    32: "MEMBER_IMPORTED",
    64: "MEMBER_INVITATION_WITHDRAWN",
    1024: "MEMBER_ERROR",
    2048: "MEMBER_DUPLICATE",
}
RUN_ON_NUMBERS = {"MEMBER_CONNECTED": 1, "REPLY_DETECTED": 2, "INVITATION_WITHDRAWN": 7}


def defaults() -> dict[str, t.Any]:
    return {name: default for name, (default, _) in MODES.items()}


def merged(current: dict[str, t.Any], changes: t.Any) -> dict[str, t.Any]:
    """``current`` with ``changes`` applied, or ValueError naming the bad mode or value."""
    if not isinstance(changes, dict):
        raise ValueError("modes must be an object of mode -> value")
    out = dict(current)
    for name, value in changes.items():
        if name not in MODES:
            raise ValueError(f"unknown mode {name!r}; one of {sorted(MODES)}")
        allowed = MODES[name][1]
        if allowed is None:
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ValueError(f"mode {name!r} must be a positive integer or null")
        elif value not in allowed:
            raise ValueError(f"mode {name!r} must be one of {list(allowed)}, got {value!r}")
        out[name] = value
    return out
