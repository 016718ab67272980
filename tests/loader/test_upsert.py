"""One row per key (the last record wins, within a batch and across runs); no key appends."""

from __future__ import annotations

from loader_support import record, schema

PROPS = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}


def test_upsert_keeps_one_row_per_key_last_wins(warehouse):
    warehouse.load(
        [
            schema("lists", PROPS, ["id"]),
            *[record("lists", {"id": i, "name": f"v1-{i}"}) for i in range(5)],
            record("lists", {"id": 2, "name": "v1-2 again"}),
        ],  # same batch
    )
    assert warehouse.rows("lists", "id, name") == [
        (0, "v1-0"),
        (1, "v1-1"),
        (2, "v1-2 again"),
        (3, "v1-3"),
        (4, "v1-4"),
    ]
    warehouse.load(
        [
            schema("lists", PROPS, ["id"]),
            record("lists", {"id": 3, "name": "v2-3"}),
            record("lists", {"id": 9, "name": "v2-9"}),
        ]
    )
    assert warehouse.rows("lists", "id, name") == [
        (0, "v1-0"),
        (1, "v1-1"),
        (2, "v1-2 again"),
        (3, "v2-3"),
        (4, "v1-4"),
        (9, "v2-9"),
    ]


def test_last_record_of_a_key_wins_across_batches_of_one_run(warehouse):
    messages = [schema("lists", PROPS, ["id"])]
    messages += [record("lists", {"id": i % 7, "name": f"n{i}"}) for i in range(100)]
    warehouse.load(messages, batch_size_rows=9)
    last = {i % 7: i for i in range(100)}
    assert warehouse.rows("lists", "id, name") == [(k, f"n{last[k]}") for k in range(7)]


def test_composite_key(warehouse):
    props = {
        "account_id": {"type": "string"},
        "Id": {"type": "integer"},
        "Text": {"type": ["string", "null"]},
    }
    messages = [schema("messages", props, ["account_id", "Id"])]
    messages += [
        record("messages", {"account_id": a, "Id": i, "Text": f"{a}{i}"})
        for a in ("41001", "41002")
        for i in range(3)
    ]
    messages.append(record("messages", {"account_id": "41002", "Id": 1, "Text": "edited"}))
    warehouse.load(messages)
    warehouse.load(messages[:2])
    assert warehouse.rows("messages", "account_id, id, text") == [
        ("41001", 0, "410010"),
        ("41001", 1, "410011"),
        ("41001", 2, "410012"),
        ("41002", 0, "410020"),
        ("41002", 1, "edited"),
        ("41002", 2, "410022"),
    ]


def test_stream_without_keys_appends(warehouse):
    messages = [schema("log", PROPS), *[record("log", {"id": 1, "name": "same"})] * 3]
    warehouse.load(messages)
    warehouse.load(messages)
    assert warehouse.rows("log", "id, name") == [(1, "same")] * 6


def test_append_only_setting_keeps_every_record(warehouse):
    messages = [schema("lists", PROPS, ["id"]), *[record("lists", {"id": 1, "name": "x"})] * 2]
    warehouse.load(messages, load_method="append-only")
    assert warehouse.rows("lists", "id, name") == [(1, "x"), (1, "x")]


def test_overwrite_replaces_the_table_each_run(warehouse):
    first = [schema("lists", PROPS, ["id"]), *[record("lists", {"id": i}) for i in (1, 2, 3)]]
    warehouse.load(first, load_method="overwrite")
    second = [schema("lists", PROPS, ["id"]), record("lists", {"id": 9, "name": "only"})]
    warehouse.load(second, load_method="overwrite")
    assert warehouse.rows("lists", "id, name") == [(9, "only")]
