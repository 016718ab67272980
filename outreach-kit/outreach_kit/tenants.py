"""The ``tenant`` setting: one account's rows tagged so that many accounts share one table.

An agency runs one pipeline per client workspace (tenants.yml) into the same warehouse
tables. With ``tenant`` set, every stream's schema gains a ``tenant`` string property,
every record carries the setting's value and ``tenant`` leads the primary keys, so two
accounts with the same vendor ids never overwrite each other's rows. Unset, nothing
changes: schemas, keys and records are exactly those of a single-account tap.
"""

from __future__ import annotations

import copy
import re
import typing as t

from singer_sdk import typing as th

from outreach_kit.errors import ConfigurationError

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

#: The property added to every record and schema, and the setting that fills it.
TENANT = "tenant"
#: The setting that lets a tenant's complete reads retire its deleted rows (see
#: ``tenant_deletes_property``).
TENANT_DELETES = "tenant_deletes"
#: What a tenant name may look like: it becomes part of Meltano's state id and of file
#: names, so it is kept to a portable slug.
TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def tenant_property() -> th.Property:
    """The ``tenant`` setting, offered by every tap (see ``common_properties``)."""
    return th.Property(
        TENANT,
        th.StringType,
        description="Name of the account this run reads (e.g. the agency's client). When "
        "set, every record carries it in a `tenant` column that joins the primary key, so "
        "several accounts load into the same tables without collisions. Lower-case letters, "
        "digits, '-' and '_'. Empty: single-account output, no `tenant` column.",
    )


def tenant_deletes_property() -> th.Property:
    """The ``tenant_deletes`` setting, offered by every tap (see ``common_properties``)."""
    return th.Property(
        TENANT_DELETES,
        th.BooleanType,
        default=False,
        description="With `tenant` set: after a complete read of a full-table stream, send "
        "ACTIVATE_VERSION naming the tenant, so a loader that retires per tenant (this "
        "project's target-duckdb) marks this tenant's deleted rows and no other tenant's. "
        "Leave off with a loader that retires across the whole table (meltanolabs "
        "target-postgres): it would retire the other tenants' rows of the shared table.",
    )


def configured_tenant(config: t.Mapping[str, t.Any]) -> str | None:
    """The ``tenant`` setting, checked; None when unset or empty."""
    value = config.get(TENANT)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not TENANT_NAME.match(value):
        raise ConfigurationError(
            f"Setting 'tenant' must be a short name of lower-case letters, digits, '-' and "
            f"'_' (at most 63, starting with a letter or digit), got {value!r}. It tags every "
            "record and names the tenant's Meltano state, so it must stay the same across runs."
        )
    return value


def apply_to_stream(stream: Stream, tenant: str | None) -> None:
    """Give ``stream`` (as discovered) the tenant's schema property and leading key."""
    if tenant is None:
        return
    schema = stream.schema
    if TENANT not in schema.get("properties", {}):
        # StreamSchema is a non-data descriptor: an instance attribute takes precedence.
        stream.__dict__["schema"] = with_tenant(schema)
    keys = list(stream.primary_keys or [])
    if keys and TENANT not in keys:
        stream.primary_keys = [TENANT, *keys]


def catalog_with_tenant(catalog: t.Any, tenant: str | None) -> t.Any:
    """A copy of a given catalog in which every stream has ``tenant`` (property, leading key,
    automatic inclusion), so a catalog discovered before the setting was added cannot load
    two tenants' rows onto one key. Anything that is not a catalog is returned as is."""
    if tenant is None or not isinstance(catalog, dict):
        return catalog
    catalog = copy.deepcopy(catalog)
    for entry in catalog.get("streams") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("schema"), dict):
            continue
        if TENANT not in entry["schema"].get("properties", {}):
            entry["schema"] = with_tenant(entry["schema"])
        entry["key_properties"] = _with_key(entry.get("key_properties"))
        metadata = entry.setdefault("metadata", [])
        for item in metadata:
            if isinstance(item, dict) and item.get("breadcrumb") == []:
                meta = item.setdefault("metadata", {})
                meta["table-key-properties"] = _with_key(meta.get("table-key-properties"))
        crumb = ["properties", TENANT]
        if not any(isinstance(i, dict) and i.get("breadcrumb") == crumb for i in metadata):
            metadata.append(
                {"breadcrumb": ["properties", TENANT], "metadata": {"inclusion": "automatic"}}
            )
    return catalog


def _with_key(keys: t.Any) -> t.Any:
    if isinstance(keys, list) and keys and TENANT not in keys:
        return [TENANT, *keys]
    return keys


def with_tenant(schema: dict) -> dict:
    """A copy of ``schema`` with a ``tenant`` string property first."""
    copied = copy.deepcopy(schema)
    copied["properties"] = {TENANT: {"type": ["string"]}, **copied.get("properties", {})}
    return copied


def source_keys(keys: t.Sequence[str]) -> tuple[str, ...]:
    """The primary keys a raw API record carries (``tenant`` is added later)."""
    return tuple(k for k in keys if k != TENANT)
