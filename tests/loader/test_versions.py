"""ACTIVATE_VERSION as meltanolabs-target-postgres does it: rows of older table versions are
retired (soft delete by default, removed with `hard_delete`); a key back in a newer version
is live again; nothing is retired before the new version's records are in."""

from __future__ import annotations

from loader_support import activate, record, schema

PROPS = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}


def _sync(version: int, ids: list[int]) -> list[dict]:
    """A full-table sync as singer-sdk taps emit it: records of the version, then activation."""
    return [
        schema("lists", PROPS, ["id"]),
        *[record("lists", {"id": i, "name": f"v{version}-{i}"}, version=version) for i in ids],
        activate("lists", version),
    ]


def _live_and_retired(warehouse) -> tuple[list[int], list[int]]:
    live = [r[0] for r in warehouse.rows("lists", "id", "_sdc_deleted_at IS NULL")]
    retired = [r[0] for r in warehouse.rows("lists", "id", "_sdc_deleted_at IS NOT NULL")]
    return live, retired


def test_soft_delete_marks_rows_missing_from_the_new_version(warehouse):
    warehouse.load(_sync(1, [1, 2, 3, 4]))
    assert _live_and_retired(warehouse) == ([1, 2, 3, 4], [])
    warehouse.load(_sync(2, [1, 2]))
    assert _live_and_retired(warehouse) == ([1, 2], [3, 4])
    assert warehouse.rows("lists", "id, name, _sdc_table_version") == [
        (1, "v2-1", 2),
        (2, "v2-2", 2),
        (3, "v1-3", 1),
        (4, "v1-4", 1),
    ]


def test_hard_delete_removes_them(warehouse):
    warehouse.load(_sync(1, [1, 2, 3, 4]), hard_delete=True)
    warehouse.load(_sync(2, [2, 4]), hard_delete=True)
    assert warehouse.rows("lists", "id, name, _sdc_deleted_at") == [
        (2, "v2-2", None),
        (4, "v2-4", None),
    ]


def test_a_row_back_in_a_newer_version_is_live_again(warehouse):
    warehouse.load(_sync(1, [1, 2, 3]))
    warehouse.load(_sync(2, [1]))
    assert _live_and_retired(warehouse) == ([1], [2, 3])
    warehouse.load(_sync(3, [1, 3]))
    assert _live_and_retired(warehouse) == ([1, 3], [2])
    assert warehouse.rows("lists", "id, name", "id = 3") == [(3, "v3-3")]


def test_records_still_batched_load_before_retiring(warehouse):
    """The activation arrives while the version's records are still in the batch file: they
    are loaded first, so no live row is ever retired."""
    warehouse.load(_sync(1, list(range(10))), batch_size_rows=1_000_000)
    warehouse.load(_sync(2, list(range(10))), batch_size_rows=1_000_000)
    assert _live_and_retired(warehouse) == (list(range(10)), [])


def test_rows_loaded_without_a_version_are_retired_by_the_first_activation(warehouse):
    warehouse.load(
        [
            schema("lists", PROPS, ["id"]),
            *[record("lists", {"id": i, "name": "old"}) for i in (1, 2)],
        ]
    )
    warehouse.load(_sync(5, [2]))
    assert _live_and_retired(warehouse) == ([2], [1])


def test_a_run_that_stops_before_activation_retires_nothing(warehouse):
    warehouse.load(_sync(1, [1, 2, 3]))
    warehouse.load(_sync(2, [1])[:-1])  # records of version 2, no ACTIVATE_VERSION
    assert _live_and_retired(warehouse) == ([1, 2, 3], [])


def test_activate_version_off_ignores_the_message(warehouse):
    warehouse.load(_sync(1, [1, 2]), activate_version=False)
    warehouse.load(_sync(2, [1]), activate_version=False)
    assert warehouse.rows("lists", "id") == [(1,), (2,)]
    assert "_sdc_deleted_at" in warehouse.types("lists")  # add_record_metadata (default)


def test_version_columns_come_even_without_record_metadata(warehouse):
    warehouse.load(_sync(1, [1, 2]), add_record_metadata=False)
    warehouse.load(_sync(2, [2]), add_record_metadata=False)
    assert list(warehouse.types("lists")) == ["id", "name", "_sdc_deleted_at", "_sdc_table_version"]
    assert _live_and_retired(warehouse) == ([2], [1])


def test_activation_before_any_table_is_a_no_op(warehouse):
    warehouse.load([schema("lists", PROPS, ["id"]), activate("lists", 7)])
    assert warehouse.rows("lists", "id") == []
