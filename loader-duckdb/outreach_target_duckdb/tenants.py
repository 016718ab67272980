"""ACTIVATE_VERSION for one tenant: only that tenant's older rows are retired.

Agencies load many accounts (tenants) into one table, told apart by a `tenant` column. A
tenant's run activates its version with a message naming it (`"tenant": "<name>"`, sent by
the outreach taps with `tenant_deletes`): retiring every older row of the table would
retire the other tenants' rows, read by other runs. So the retire is limited to rows whose
`tenant` is the message's; a table without a `tenant` column has no row of that tenant and
keeps every row. A message without `tenant` retires across the table, as before.
"""

from __future__ import annotations

import typing as t

from outreach_target_duckdb.errors import LoaderError

if t.TYPE_CHECKING:
    from outreach_target_duckdb.connector import DuckDBConnector

#: The message key and the column it scopes (the taps' `tenant` property).
TENANT = "tenant"


def tenant_of(message: t.Mapping[str, t.Any]) -> str | None:
    """The tenant an ACTIVATE_VERSION message is scoped to; None: the whole table."""
    value = message.get(TENANT)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise LoaderError(
            f"ACTIVATE_VERSION for stream '{message.get('stream')}' has a 'tenant' that is "
            f"not a tenant name ({type(value).__name__}). Nothing was retired; check the "
            "tap's `tenant` setting."
        )
    return value


def tenant_column(connector: DuckDBConnector, full_table_name: str) -> str | None:
    """The table's `tenant` column as DuckDB names it (case-insensitive), or None."""
    for name in connector.column_types(full_table_name):
        if name.casefold() == TENANT:
            return name
    return None
