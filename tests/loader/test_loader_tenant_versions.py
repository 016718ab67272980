"""ACTIVATE_VERSION naming a tenant retires that tenant's older rows only (tenants share
tables); without a `tenant` it retires across the table as before."""

from __future__ import annotations

import pytest
from loader_support import activate, record, schema

from outreach_target_duckdb.errors import LoaderError

PROPS = {"tenant": {"type": "string"}, "id": {"type": "integer"}}


def _sync(tenant: str, version: int, ids: list[int], *, scoped: bool = True) -> list[dict]:
    done = activate("lists", version)
    if scoped:
        done["tenant"] = tenant
    return [
        schema("lists", PROPS, ["tenant", "id"]),
        *[record("lists", {"tenant": tenant, "id": i}, version=version) for i in ids],
        done,
    ]


def _live(warehouse) -> list[tuple]:
    return warehouse.rows("lists", "tenant, id", "_sdc_deleted_at IS NULL")


@pytest.mark.parametrize("hard_delete", [False, True])
def test_a_tenant_version_retires_that_tenants_rows_only(warehouse, hard_delete):
    warehouse.load(_sync("a", 1, [1, 2, 3]), hard_delete=hard_delete)
    warehouse.load(_sync("b", 2, [1, 2]), hard_delete=hard_delete)
    warehouse.load(_sync("a", 3, [1]), hard_delete=hard_delete)
    assert _live(warehouse) == [("a", 1), ("b", 1), ("b", 2)]
    gone = warehouse.rows("lists", "tenant, id", "_sdc_deleted_at IS NOT NULL")
    assert gone == ([] if hard_delete else [("a", 2), ("a", 3)])


def test_a_tenant_with_no_rows_left_retires_all_of_its_own(warehouse):
    warehouse.load(_sync("a", 1, [1, 2]))
    warehouse.load(_sync("b", 1, [7]))
    warehouse.load(_sync("a", 2, []))
    assert _live(warehouse) == [("b", 7)]


def test_a_version_without_tenant_still_retires_across_the_table(warehouse):
    warehouse.load(_sync("a", 1, [1]))
    warehouse.load(_sync("b", 2, [2], scoped=False))
    assert _live(warehouse) == [("b", 2)]


def test_a_table_without_a_tenant_column_keeps_every_row(warehouse):
    warehouse.load(
        [
            schema("lists", {"id": {"type": "integer"}}, ["id"]),
            record("lists", {"id": 1}, version=1),
            {**activate("lists", 2), "tenant": "a"},
        ]
    )
    assert warehouse.rows("lists", "id", "_sdc_deleted_at IS NULL") == [(1,)]


def test_a_tenant_that_is_not_a_name_fails_and_retires_nothing(warehouse):
    warehouse.load(_sync("a", 1, [1, 2]))
    with pytest.raises(LoaderError, match="'tenant' that is not a tenant name"):
        warehouse.load(
            [schema("lists", PROPS, ["tenant", "id"]), {**activate("lists", 2), "tenant": 5}]
        )
    assert _live(warehouse) == [("a", 1), ("a", 2)]
