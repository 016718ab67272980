"""singer-sdk's recursive type conformance, worked out once per schema instead of per value.

The SDK's default conformance inspects every value of every record (datetime? bytes?
Decimal? boolean schema?) and was about half of a tap's time per record in the benchmark.
Records decoded from JSON and post-processed into strings hold none of the Python types it
converts, so of its rules only these can change a record, and this plan applies just them:

- a property the schema does not declare is dropped (unless ``additionalProperties``) and
  named in a warning;
- a property whose schema is exclusively boolean becomes ``value != 0`` (null stays null);
- a non-finite float (``1e400`` decodes to infinity) becomes null;
- the same, recursively, inside objects with declared properties and uniform arrays.

The result equals the SDK's ``TypeConformanceLevel.RECURSIVE`` for such records (tested
against it on every stream's records); streams use it with the SDK's level set to NONE.
"""

from __future__ import annotations

import math
import typing as t


def _types(schema: dict) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    return set(kind) if isinstance(kind, list) else set()


def _exclusive_boolean(schema: dict) -> bool:
    return bool(_types(schema)) and _types(schema) <= {"boolean", "null"}


def _is_object(schema: dict) -> bool:
    return any("object" in _types(s) for s in schema.get("anyOf", [schema]))


def _is_uniform_list(schema: dict) -> bool:
    return (
        any("array" in _types(s) for s in schema.get("anyOf", [schema]))
        and isinstance(schema.get("items"), dict)
        and "prefixItems" not in schema
    )


class Conformance:
    """The conformance rules of one (object) schema, precomputed."""

    def __init__(self, schema: dict) -> None:
        properties: dict[str, dict] = schema.get("properties") or {}
        self.declared = frozenset(properties)
        self.keeps_undeclared = bool(schema.get("additionalProperties"))
        self.booleans = tuple(n for n, s in properties.items() if _exclusive_boolean(s))
        self.objects: dict[str, Conformance] = {}
        self.lists: dict[str, tuple[Conformance | None, bool]] = {}
        for name, sub in properties.items():
            if _is_uniform_list(sub):
                items = sub["items"]
                plan = Conformance(items) if _is_object(items) and "properties" in items else None
                self.lists[name] = (plan, _exclusive_boolean(items))
            elif _is_object(sub) and "properties" in sub:
                self.objects[name] = Conformance(sub)

    def apply(self, record: dict[str, t.Any], path: str = "") -> list[str]:
        """Conform ``record`` in place; return the paths of the properties dropped."""
        dropped: list[str] = []
        if not self.keeps_undeclared and not record.keys() <= self.declared:
            for name in [n for n in record if n not in self.declared]:
                del record[name]
                dropped.append(path + name)
        for name, value in record.items():
            if type(value) is float and not math.isfinite(value):
                record[name] = None
        for name in self.booleans:
            value = record.get(name)
            if value is not None:
                record[name] = value != 0
        for name, plan in self.objects.items():
            value = record.get(name)
            if isinstance(value, dict):
                dropped += plan.apply(value, f"{path}{name}.")
        for name, (plan, boolean) in self.lists.items():
            value = record.get(name)
            if isinstance(value, list):
                dropped += _apply_items(value, plan, boolean, f"{path}{name}.")
        return dropped


def _apply_items(items: list, plan: Conformance | None, boolean: bool, path: str) -> list[str]:
    dropped: list[str] = []
    for index, item in enumerate(items):
        if plan is not None and isinstance(item, dict):
            dropped += plan.apply(item, path)
        elif type(item) is float and not math.isfinite(item):
            items[index] = None
        elif boolean and item is not None:
            items[index] = item != 0
    return dropped
