"""Deletes per tenant: ACTIVATE_VERSION that names the tenant whose rows it retires.

Tenants share tables, and a loader activates a table version by retiring every row of an
older version: one tenant's activation would retire every other tenant's rows. With
``tenant_deletes`` on, the message carries ``"tenant": <name>`` (an extra key that Singer
targets ignore), and a loader that understands it (this project's target-duckdb) retires
only rows of that tenant. Off (the default), tenant runs send no ACTIVATE_VERSION, since a
loader that ignores the key (meltanolabs target-postgres) would retire the whole table.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from singer_sdk import singerlib as singer
from singer_sdk.mapper import RemoveRecordTransform

from outreach_kit.tenants import TENANT_DELETES, configured_tenant

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


@dataclass
class TenantActivateVersionMessage(singer.ActivateVersionMessage):
    """ACTIVATE_VERSION scoped to one tenant's rows (``tenant`` is written as a key)."""

    tenant: str | None = None


def retiring_tenant(config: t.Mapping[str, t.Any]) -> str | None:
    """The tenant whose rows this run may retire: set only with ``tenant_deletes`` on."""
    tenant = configured_tenant(config)
    return tenant if tenant is not None and config.get(TENANT_DELETES) is True else None


def write_activate_version(stream: Stream, version: int, tenant: str) -> None:
    """The SDK's ``_write_activate_version_message``, naming ``tenant``."""
    for stream_map in stream.stream_maps:
        if isinstance(stream_map, RemoveRecordTransform):
            continue
        message = TenantActivateVersionMessage(
            stream=stream_map.stream_alias, version=version, tenant=tenant
        )
        stream._tap.write_message(message)
