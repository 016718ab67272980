"""The columns of the report's extra tables (see conftest.Report.section).

A module of its own, not conftest: with several conftest.py files in the suite, `from
conftest import` would find whichever was imported first.
"""

from __future__ import annotations

#: The "hostile vendor" table, shared by the feed and response suites: one row per sandbox
#: mode and tap; *corrupted* counts landed records whose values differ from the truth,
#: *rejected* those kept in `rejected_records`; *outcome* says "complete" or
#: "failed clearly, resumed complete".
HOSTILE = (
    "Hostile vendor",
    "Sandbox modes that bend responses the way real vendors do. Each row is a tap run (and, "
    "where it fails clearly, the resumed run) against one mode, scored against the sandbox's "
    "ground truth.",
    ["tap", "mode", "expected", "landed", "lost", "duplicated", "corrupted", "rejected", "outcome"],
)
#: The credentials table: redirects, plain HTTP and long waits; *sent elsewhere* counts
#: credentials (raw or encoded, in URL, headers or body) that reached the second host.
CREDENTIALS = (
    "Credentials and waits",
    "Each case runs a tap against the sandbox with a second loopback host that records every "
    "request reaching it.",
    ["tap", "case", "outcome", "credentials sent elsewhere", "leaks"],
)
