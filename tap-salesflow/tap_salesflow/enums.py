"""Salesflow's coded values, accepted as the doc's numbers or as its names.

The GetContact doc gives member `Status` as numbers (`MEMBER_CONNECTED = 4`) while the
webhook sample sends `"Status": "MEMBER_CONNECTED"`; List Webhooks gives `RunOn` as names
while Attach Webhook takes numbers (1, 2, 7). Whichever arrives, a member lands with the
number in `Status` and the name in `StatusName`, and a webhook attachment with the name in
`RunOn`. A name or number outside the doc's tables is kept as it came (`StatusName` holds
an unknown name, `Status` an unknown number) and named in a warning once per run.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    import logging

#: GetContact: "Status property can have the below values".
MEMBER_STATUS = {
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
MEMBER_STATUS_NUMBER = {name: number for number, name in MEMBER_STATUS.items()}
#: Attach Webhook: "The property runOn can have the below values".
RUN_ON = {1: "MEMBER_CONNECTED", 2: "REPLY_DETECTED", 7: "INVITATION_WITHDRAWN"}


class CodeReader:
    """Reads one coded field; remembers the unknown values it warned about."""

    def __init__(self, stream: str, field: str, logger: logging.Logger) -> None:
        self.stream, self.field, self.logger = stream, field, logger
        self._warned: set[str] = set()

    def member_status(self, row: dict) -> None:
        """`Status` to the number and `StatusName` to the name, from either."""
        if "Status" not in row:
            return
        number, name = _number_and_name(row["Status"], MEMBER_STATUS, MEMBER_STATUS_NUMBER)
        if row["Status"] is not None and (number is None or name is None):
            self._unknown(row["Status"])
        row["Status"], row["StatusName"] = number, name

    def run_on(self, attachment: dict) -> None:
        """`RunOn` to the name (a number outside the table stays, as text)."""
        value = attachment.get("RunOn")
        if value is None or (isinstance(value, str) and not value.strip().isdigit()):
            return
        number, name = _number_and_name(value, RUN_ON, {})
        if name is None:
            self._unknown(value)
        attachment["RunOn"] = name if name is not None else str(number)

    def _unknown(self, value: t.Any) -> None:
        text = repr(value)
        if text not in self._warned:
            self._warned.add(text)
            self.logger.warning(
                "%s: %s=%s is not in Salesflow's documented table; kept as it came",
                self.stream,
                self.field,
                text,
            )


def _number_and_name(
    value: t.Any, names: dict[int, str], numbers: dict[str, int]
) -> tuple[int | None, str | None]:
    """(number, name) of a code given as either; None for what the tables cannot tell."""
    if isinstance(value, bool) or value is None:
        return None, None
    if isinstance(value, int):
        return value, names.get(value)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        number = int(text)
        return number, names.get(number)
    return numbers.get(text.upper()), text
