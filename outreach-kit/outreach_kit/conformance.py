"""Type conformance worked out once per schema, then applied to each record.

singer-sdk's recursive conformance walks the schema again for every value of every record
and reads booleans as ``value != 0`` (``"false"`` becomes true). Here each property's
rule is precomputed once per (effective) schema:

- a value of the declared type passes unchanged (on such records the result equals the
  SDK's; tested on every stream's schema);
- booleans also come from ``"true"/"false"``, ``1/0``, ``"1"/"0"``, ``"yes"/"no"``;
  integers and numbers from numeric text; lists, objects, numbers and booleans in a
  (format-less) string column become JSON text;
- anything else does not fit: the typed column becomes null and the raw value is kept in
  the record's extra object under its path (``apply`` returns those paths for counting);
- non-finite floats become null, as the SDK does; undeclared keys are dropped and named.

The schema is the effective one (the catalog's, deselected properties removed, see
:func:`selected_schema`), so a deselected property never reaches a RECORD.
"""

from __future__ import annotations

import json
import math
import re
import typing as t

#: A value that fits no rule of its column.
_BAD = object()
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_INTEGER_TEXT = re.compile(r"^\s*[-+]?\d+\s*$")
_NUMBER_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_to_json_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _types(schema: dict) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    return set(kind) if isinstance(kind, list) else set()


def _to_boolean(value: t.Any) -> t.Any:
    kind = type(value)
    if kind is bool:
        return value
    if kind is int or kind is float:
        return True if value == 1 else False if value == 0 else _BAD
    if kind is str:
        text = value.strip().lower()
        return True if text in _TRUE else False if text in _FALSE else _BAD
    return _BAD


def _to_integer(value: t.Any) -> t.Any:
    kind = type(value)
    if kind is int:
        return value
    if kind is float:
        return int(value) if math.isfinite(value) and value.is_integer() else _BAD
    if kind is str and _INTEGER_TEXT.match(value):
        return int(value)
    return _BAD


def _to_number(value: t.Any) -> t.Any:
    kind = type(value)
    if kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is str and _NUMBER_TEXT.match(value):
        number = float(value)
        return number if math.isfinite(number) else _BAD
    return _BAD


def _to_text(value: t.Any) -> t.Any:
    if type(value) is str:
        return value
    if type(value) is float and not math.isfinite(value):
        return _BAD
    try:
        return _to_json_text(value)
    except (TypeError, ValueError):
        return _BAD


def _formatted_text(value: t.Any) -> t.Any:
    return value if type(value) is str else _BAD


def _free_object(value: t.Any) -> t.Any:
    return value if type(value) is dict else _BAD


def _non_finite_to_null(value: t.Any) -> t.Any:
    return None if type(value) is float and not math.isfinite(value) else value


_SCALARS: dict[str, t.Callable[[t.Any], t.Any]] = {
    "boolean": _to_boolean,
    "integer": _to_integer,
    "number": _to_number,
}


#: Types that pass a rule unchanged, by rule kind: checked first, so the common case costs
#: one set lookup and no call.
_ANY_BUT_FLOAT = frozenset({str, int, bool, dict, list})
_PASSING_SCALARS = {
    "boolean": frozenset({bool}),
    "integer": frozenset({int}),
    "number": frozenset({int}),  # a float is checked: non-finite becomes null
    "string": frozenset({str}),
}


def _passing(schema: dict) -> frozenset[type]:
    """The value types ``_rule(schema)`` would return unchanged without looking further."""
    types = _types(schema) - {"null"}
    if "anyOf" in schema or len(types) != 1:
        return _ANY_BUT_FLOAT
    (kind,) = types
    if kind == "object" and "properties" not in schema:
        return frozenset({dict})
    if kind == "array" and (not isinstance(schema.get("items"), dict) or "prefixItems" in schema):
        return frozenset({list})
    return _PASSING_SCALARS.get(kind, frozenset())


def _rule(schema: dict) -> t.Callable[[t.Any, str, list, list | None], t.Any]:
    """How one value of ``schema`` is conformed: returns the value, or _BAD."""
    types = _types(schema) - {"null"}
    if "anyOf" in schema or len(types) != 1:
        return lambda value, path, bad, dropped: _non_finite_to_null(value)
    (kind,) = types
    if kind in _SCALARS:
        scalar = _SCALARS[kind]
        return lambda value, path, bad, dropped: scalar(value)
    if kind == "string":
        text = _formatted_text if schema.get("format") else _to_text
        return lambda value, path, bad, dropped: text(value)
    if kind == "object":
        if "properties" not in schema:
            return lambda value, path, bad, dropped: _free_object(value)
        plan = Conformance(schema)
        return lambda value, path, bad, dropped: (
            plan.conform(value, path, bad, dropped) if type(value) is dict else _BAD
        )
    if kind == "array":
        items = schema.get("items")
        if not isinstance(items, dict) or "prefixItems" in schema:
            return lambda value, path, bad, dropped: value if type(value) is list else _BAD
        item_rule = _rule(items)

        def array(value: t.Any, path: str, bad: list, dropped: list | None) -> t.Any:
            if type(value) is not list:
                return _BAD
            out = []
            for item in value:
                if item is None:
                    out.append(None)
                    continue
                fitted = item_rule(item, path, bad, dropped)
                if fitted is _BAD:
                    return _BAD  # one item that does not fit: the whole list is kept raw
                out.append(fitted)
            return out

        return array
    return lambda value, path, bad, dropped: _non_finite_to_null(value)


class Conformance:
    """The conformance rules of one (object) schema, precomputed."""

    def __init__(self, schema: dict) -> None:
        properties: dict[str, dict] = schema.get("properties") or {}
        self.declared = frozenset(properties)
        self.keeps_undeclared = bool(schema.get("additionalProperties"))
        self.rules = {name: _rule(sub) for name, sub in properties.items()}
        self.passing = {name: _passing(sub) for name, sub in properties.items()}

    def apply(
        self, record: dict[str, t.Any], extra: str | None = None
    ) -> tuple[list[str], list[str]]:
        """Conform ``record`` in place. Returns the paths of the undeclared properties
        dropped and of the values that did not fit (each kept raw in ``record[extra]``
        when ``extra`` is a declared property)."""
        dropped: list[str] = []
        bad: list[tuple[str, t.Any]] = []
        self.conform(record, "", bad, dropped)
        if not bad:  # the common record: no list of paths to build
            return dropped, []
        if extra in self.declared:
            kept = record.get(extra)
            kept = dict(kept) if isinstance(kept, dict) else {}
            kept.update(bad)
            record[extra] = kept
        return dropped, [path for path, _ in bad]

    def conform(
        self, record: dict[str, t.Any], path: str, bad: list, dropped: list | None = None
    ) -> dict[str, t.Any]:
        """Conform one object (in place) at ``path``; values that do not fit go to ``bad``
        as (path, raw value) and become null."""
        if not self.keeps_undeclared and not record.keys() <= self.declared:
            for name in [n for n in record if n not in self.declared]:
                del record[name]
                if dropped is not None:
                    dropped.append(path + name)
        rules = self.rules
        passing = self.passing
        for name, value in record.items():
            if value is None or type(value) in passing.get(name, _ANY_BUT_FLOAT):
                continue
            rule = rules.get(name)
            if rule is None:
                record[name] = _non_finite_to_null(value)
                continue
            fitted = rule(value, f"{path}{name}.", bad, dropped)
            if fitted is _BAD:
                bad.append((path + name, value))
                record[name] = None
            elif fitted is not value:
                record[name] = fitted
        return record


def selected_schema(schema: dict, mask: t.Mapping[tuple[str, ...], bool]) -> dict:
    """``schema`` without the properties the catalog deselects (at any depth)."""

    def prune(node: dict, breadcrumb: tuple[str, ...]) -> dict:
        properties = node.get("properties")
        if not isinstance(properties, dict):
            return node
        kept = {}
        for name, sub in properties.items():
            crumb = (*breadcrumb, "properties", name)
            if not mask.get(crumb, True):
                continue
            kept[name] = prune(sub, crumb) if isinstance(sub, dict) else sub
        return {**node, "properties": kept}

    return prune(schema, ())


__all__ = ["Conformance", "selected_schema"]
