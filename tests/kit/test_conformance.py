"""The precomputed conformance equals singer-sdk's RECURSIVE conformance on JSON records."""

from __future__ import annotations

import copy
import inspect
import logging
import random

import pytest
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel

from outreach_kit.conformance import Conformance
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
        "open": {"type": "object", "properties": {"a": {"type": "string"}},
                 "additionalProperties": True},
        "tags": {"type": "array", "items": {"type": "string"}},
        "bits": {"type": ["array", "null"], "items": {"type": ["boolean", "null"]}},
        "people": {"type": "array", "items": {"type": "object", "properties": {
            "email": {"type": "string"}, "vip": {"type": ["null", "boolean"]}}}},
        "either": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
}  # fmt: skip


def sdk(record: dict, schema: dict) -> dict:
    return conform_record_data_types(
        "s", copy.deepcopy(record), schema, TypeConformanceLevel.RECURSIVE, LOGGER
    )


def ours(record: dict, schema: dict) -> tuple[dict, list[str]]:
    record = copy.deepcopy(record)
    dropped = Conformance(schema).apply(record)
    return record, dropped


@pytest.mark.parametrize(
    "record",
    [
        {"id": "a", "flag": 1, "strict_flag": 0, "score": 1.5, "count": 3},
        {"id": "b", "flag": None, "strict_flag": "false", "unknown": 1, "other": {"x": 1}},
        {"owner": {"name": "n", "active": 0, "extra": 2}, "free": {"any": [1, 2]}},
        {"open": {"a": "x", "b": "kept"}, "tags": ["x", "y"], "bits": [0, 1, None, True]},
        {"people": [{"email": "e", "vip": 1, "junk": 3}, {"email": "f"}], "either": None},
        {"score": float("inf"), "count": float("-inf"), "flag": float("inf"), "id": "c"},
        {"owner": None, "people": None, "bits": None, "tags": []},
        {"flag": [1], "owner": "not an object", "people": "not a list"},
    ],
)
def test_matches_the_sdk_on_tricky_records(record):
    conformed, _ = ours(record, SCHEMA)
    assert conformed == sdk(record, SCHEMA)
    assert list(conformed) == list(sdk(record, SCHEMA)), "key order kept"


def test_names_what_it_drops():
    _, dropped = ours(
        {"id": "a", "unknown": 1, "owner": {"extra": 1}, "people": [{"junk": 1}]}, SCHEMA
    )
    assert dropped == ["unknown", "owner.extra", "people.junk"]


def _value(schema: dict, rng: random.Random, depth: int = 0):
    """A random JSON value for ``schema``, often of the wrong type on purpose."""
    kinds = schema.get("type") or ["string", "null"]
    kind = rng.choice(kinds if isinstance(kinds, list) else [kinds])
    if depth and rng.random() < 0.15:
        kind = rng.choice(["integer", "string", "boolean", "null"])
    if kind == "object" and depth < 3:
        props = schema.get("properties") or {"k": {"type": "string"}}
        value = {name: _value(sub, rng, depth + 1) for name, sub in props.items()
                 if rng.random() < 0.8}  # fmt: skip
        if rng.random() < 0.3:
            value["undeclared"] = rng.randint(0, 1)
        return value
    if kind == "array" and depth < 3:
        items = schema.get("items") or {"type": "string"}
        return [_value(items, rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {"integer": rng.randint(-1, 2), "number": rng.choice([0.5, 2.0, float("inf")]),
            "boolean": rng.choice([True, False, 0, 1]), "string": rng.choice(["", "x", "0"]),
            "null": None}.get(kind, "x")  # fmt: skip


@pytest.mark.parametrize(
    "stream_type", [*SALESBLINK, *SALESFLOW, *SALESROCKS], ids=lambda s: f"{s.__module__}.{s.name}"
)
def test_matches_the_sdk_on_every_stream_schema(stream_type):
    source = inspect.getattr_static(stream_type, "schema").schema_source
    schema = source.get_schema(stream_type.name, key_properties=stream_type.primary_keys)
    rng = random.Random(stream_type.name)
    for _ in range(200):
        record = _value({**schema, "type": "object"}, rng)
        assert ours(record, schema)[0] == sdk(record, schema)
