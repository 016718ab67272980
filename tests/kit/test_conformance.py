"""The precomputed conformance: equal to singer-sdk's RECURSIVE conformance on records whose
values fit their types, and the kit's own rules (booleans from text, values that do not fit
nulled and kept raw, JSON text in string columns) where they do not."""

from __future__ import annotations

import copy
import inspect
import logging
import random

import pytest
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel

from outreach_kit.conformance import Conformance, selected_schema
from tap_salesblink.streams import STREAM_TYPES as SALESBLINK
from tap_salesflow.streams import STREAM_TYPES as SALESFLOW
from tap_salesrocks.streams import STREAM_TYPES as SALESROCKS

LOGGER = logging.getLogger("test")

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "flag": {"type": ["boolean", "null"]},
        "strict_flag": {"type": "boolean"},
        "score": {"type": ["number", "null"]},
        "count": {"type": "integer"},
        "owner": {
            "type": ["object", "null"],
            "properties": {"name": {"type": "string"}, "active": {"type": "boolean"}},
        },
        "free": {"type": ["object", "null"]},
        "open": {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "additionalProperties": True,
        },
        "tags": {"type": "array", "items": {"type": "string"}},
        "bits": {"type": ["array", "null"], "items": {"type": ["boolean", "null"]}},
        "people": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"email": {"type": "string"}, "vip": {"type": ["null", "boolean"]}},
            },
        },
        "either": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
}


def sdk(record: dict, schema: dict) -> dict:
    return conform_record_data_types(
        "s", copy.deepcopy(record), schema, TypeConformanceLevel.RECURSIVE, LOGGER
    )


def ours(record: dict, schema: dict, extra: str | None = None) -> tuple[dict, list[str]]:
    record = copy.deepcopy(record)
    dropped, _ = Conformance(schema).apply(record, extra)
    return record, dropped


@pytest.mark.parametrize(
    "record",
    [
        {"id": "a", "flag": True, "strict_flag": False, "score": 1.5, "count": 3},
        {"id": "b", "flag": None, "strict_flag": True, "unknown": 1, "other": {"x": 1}},
        {"owner": {"name": "n", "active": False, "extra": 2}, "free": {"any": [1, 2]}},
        {"open": {"a": "x", "b": "kept"}, "tags": ["x", "y"], "bits": [False, True, None, True]},
        {"people": [{"email": "e", "vip": True, "junk": 3}, {"email": "f"}], "either": None},
        {"score": float("inf"), "id": "c", "either": "x"},
        {"owner": None, "people": None, "bits": None, "tags": []},
        {"score": 2, "count": 0, "either": 5},
    ],
)
def test_matches_the_sdk_where_values_fit(record):
    conformed, _ = ours(record, SCHEMA)
    assert conformed == sdk(record, SCHEMA)
    assert list(conformed) == list(sdk(record, SCHEMA)), "key order kept"


def test_names_what_it_drops():
    _, dropped = ours(
        {"id": "a", "unknown": 1, "owner": {"extra": 1}, "people": [{"junk": 1}]}, SCHEMA
    )
    assert dropped == ["unknown", "owner.extra", "people.junk"]


BOOLEANS = {
    "type": "object",
    "properties": {"b": {"type": ["boolean", "null"]}, "extra": {"type": ["object", "null"]}},
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        ("TRUE ", True),
        (1, True),
        (0, False),
        (1.0, True),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("No", False),
    ],
)
def test_booleans_parse_right(raw, expected):
    record, _ = ours({"b": raw}, BOOLEANS, "extra")
    assert record == {"b": expected}


@pytest.mark.parametrize("raw", ["maybe", 2, -1, "", [True], {"v": 1}])
def test_a_boolean_that_is_none_of_those_is_nulled_and_kept_raw(raw):
    record = {"b": raw, "extra": {"vendor_key": 1}}
    dropped, nulled = Conformance(BOOLEANS).apply(record, "extra")
    assert record == {"b": None, "extra": {"vendor_key": 1, "b": raw}}
    assert (dropped, nulled) == ([], ["b"])


def test_values_that_do_not_fit_are_nulled_kept_raw_and_named():
    record = {
        "id": {"first": "a@example.com"},
        "count": "many",
        "score": "1.5e2",
        "owner": {"name": ["a", "b"], "active": "nope"},
        "tags": ["x", {"y": 1}, 3],
        "people": "not a list",
        "free": [1],
        "strict_flag": "0",
    }
    schema = {**SCHEMA, "properties": {**SCHEMA["properties"], "extra": {"type": "object"}}}
    dropped, nulled = Conformance(schema).apply(record, "extra")
    assert record == {
        "id": '{"first":"a@example.com"}',
        "count": None,
        "score": 150.0,
        "owner": {"name": '["a","b"]', "active": None},
        "tags": ["x", '{"y":1}', "3"],
        "people": None,
        "free": None,
        "strict_flag": False,
        "extra": {"count": "many", "owner.active": "nope", "people": "not a list", "free": [1]},
    }
    assert dropped == []
    assert sorted(nulled) == ["count", "free", "owner.active", "people"]


def test_text_numbers_and_lists_in_string_columns():
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer"},
            "x": {"type": "number"},
            "s": {"type": ["string", "null"]},
            "when": {"type": ["string", "null"], "format": "date-time"},
            "extra": {"type": "object"},
        },
    }
    record = {"n": " 42 ", "x": "3", "s": ["a@example.com", "b@example.com"], "when": 17}
    _, nulled = Conformance(schema).apply(record, "extra")
    assert record == {
        "n": 42,
        "x": 3.0,
        "s": '["a@example.com","b@example.com"]',
        "when": None,
        "extra": {"when": 17},
    }
    assert nulled == ["when"]


def test_no_extra_column_still_nulls_and_counts():
    record = {"b": "perhaps"}
    schema = {"type": "object", "properties": {"b": {"type": "boolean"}}}
    assert Conformance(schema).apply(record, "extra") == ([], ["b"])
    assert record == {"b": None}


def test_selected_schema_prunes_deselected_properties():
    mask = {
        (): True,
        ("properties", "id"): True,
        ("properties", "owner"): True,
        ("properties", "owner", "properties", "name"): False,
        ("properties", "tags"): False,
    }
    pruned = selected_schema(SCHEMA, mask)
    assert "tags" not in pruned["properties"]
    assert list(pruned["properties"]["owner"]["properties"]) == ["active"]
    assert "tags" in SCHEMA["properties"], "the original is left alone"


def _value(schema: dict, rng: random.Random, depth: int = 0):
    """A random JSON value that fits ``schema`` (undeclared keys included)."""
    kinds = schema.get("type") or ["string", "null"]
    kind = rng.choice(kinds if isinstance(kinds, list) else [kinds])
    if kind == "object" and depth < 3:
        props = schema.get("properties") or {"k": {"type": "string"}}
        value = {
            name: _value(sub, rng, depth + 1) for name, sub in props.items() if rng.random() < 0.8
        }
        if rng.random() < 0.3:
            value["undeclared"] = rng.randint(0, 1)
        return value
    if kind == "array" and depth < 3:
        items = schema.get("items") or {"type": "string"}
        return [_value(items, rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {
        "integer": rng.randint(-1, 2),
        "number": rng.choice([0.5, 2.0, float("inf")]),
        "boolean": rng.choice([True, False]),
        "string": rng.choice(["", "x", "0"]),
        "null": None,
    }.get(kind, "x")


@pytest.mark.parametrize(
    "stream_type", [*SALESBLINK, *SALESFLOW, *SALESROCKS], ids=lambda s: f"{s.__module__}.{s.name}"
)
def test_matches_the_sdk_on_every_stream_schema_where_values_fit(stream_type):
    source = inspect.getattr_static(stream_type, "schema").schema_source
    schema = source.get_schema(stream_type.name, key_properties=stream_type.primary_keys)
    rng = random.Random(stream_type.name)
    for _ in range(200):
        record = _value({**schema, "type": "object"}, rng)
        assert ours(record, schema)[0] == sdk(record, schema)
