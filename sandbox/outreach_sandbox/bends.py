"""Response bends: a genuine reply changed the way a misbehaving vendor changes it.

Each kind is a fault (``{"vendor", "path", "kind", "after", "times"}`` as in the fault plan)
applied to the handler's own 200 reply, so what is bent is real data. The records are found
where each API keeps them: a bare array (Salesflow lists), ``data`` as an array
(SalesBlink, Sales.Rocks), ``data.contacts`` (SalesBlink leads), or one record object
(``data`` of SalesBlink stats, a Salesflow statistics body).

Shape bends (the whole response): ``empty_body`` (200, zero bytes), ``envelope_changed``
(``data: {contacts: [...]}`` becomes ``data: [...]``; a bare array is wrapped in
``{"data": [...]}``; ``data: [...]`` becomes ``data: {"items": [...]}``),
``object_for_array`` (the first record object where the array was).

Record bends (record ``index``, default 1; ``field`` names the column): ``null_element``,
``string_element`` (a null / a string inserted at ``index``), ``missing_key`` (``field``
removed), ``null_key`` (``field`` null), ``duplicate_key`` (record ``index`` + 1 takes
record ``index``'s ``field``), ``string_booleans`` (every boolean of every record as text,
``style`` "text" true/false, "digit" 1/0 or "yesno"), ``wrong_type`` (``field`` set to
``value``, default "many"), ``lone_surrogate`` (``field`` ends in a lone ``\\ud800``, sent
as that JSON escape), ``list_in_string`` (``field`` set to a list of two e-mail addresses).
"""

from __future__ import annotations

import copy
import json
import typing as t

from outreach_sandbox.http import Reply

SHAPE_BENDS = frozenset({"empty_body", "envelope_changed", "object_for_array"})
RECORD_BENDS = frozenset(
    {
        "null_element",
        "string_element",
        "missing_key",
        "null_key",
        "duplicate_key",
        "string_booleans",
        "wrong_type",
        "lone_surrogate",
        "list_in_string",
    }
)
BEND_KINDS = SHAPE_BENDS | RECORD_BENDS
#: The list ``list_in_string`` puts in a text column.
LIST_VALUE = ["a@example.com", "b@example.com"]
_BOOLEAN_TEXT = {
    "text": ("true", "false"),
    "digit": ("1", "0"),
    "yesno": ("yes", "no"),
}


def _records(body: t.Any) -> tuple[t.Any, t.Any]:
    """(container, key) where the records are: ``container[key]`` is the array or the
    single record object; container None means the body itself."""
    if isinstance(body, list):
        return None, None
    if isinstance(body, dict) and "data" in body:
        data = body["data"]
        if isinstance(data, dict) and isinstance(data.get("contacts"), list):
            return data, "contacts"
        return body, "data"
    return None, None


def bend(reply: Reply, spec: dict) -> Reply:
    """``reply`` bent as ``spec["kind"]`` says; other than 200 replies pass unchanged."""
    if reply.status != 200 or reply.raw is not None:
        return reply
    kind = spec["kind"]
    if kind == "empty_body":
        return Reply(200, raw=b"", headers=reply.headers)
    body = copy.deepcopy(list(reply.body) if isinstance(reply.body, t.Iterator) else reply.body)
    container, key = _records(body)
    records = body if container is None else container[key]
    if kind == "envelope_changed":
        if container is None and isinstance(body, list):
            body = {"data": body}
        elif key == "contacts":
            body["data"] = records
        elif isinstance(records, list):
            container[key] = {"items": records}
    elif kind == "object_for_array":
        first = records[0] if isinstance(records, list) and records else {}
        if container is None:
            body = first
        else:
            container[key] = first
    else:
        _bend_records(records, spec)
    if kind == "lone_surrogate":  # the escape survives only in ASCII-escaped JSON
        return Reply(200, raw=json.dumps(body, ensure_ascii=True).encode(), headers=reply.headers)
    return Reply(200, body, reply.headers)


def _bend_records(records: t.Any, spec: dict) -> None:
    """Record bends, in place, on the array (or the single record object)."""
    kind = spec["kind"]
    index = int(spec.get("index", 1))
    field = spec.get("field", "id")
    many = records if isinstance(records, list) else [records]
    if kind == "string_booleans":
        true, false = _BOOLEAN_TEXT[spec.get("style", "text")]
        for record in many:
            if isinstance(record, dict):
                for name, value in record.items():
                    if isinstance(value, bool):
                        record[name] = true if value else false
        return
    if kind in ("null_element", "string_element"):
        if isinstance(records, list):
            records.insert(min(index, len(records)), None if kind == "null_element" else "oops")
        return
    index = min(index, len(many) - 1)
    if index < 0:
        return
    record = many[index]
    if kind == "missing_key":
        record.pop(field, None)
    elif kind == "null_key":
        record[field] = None
    elif kind == "duplicate_key" and index + 1 < len(many):
        many[index + 1][field] = record.get(field)
    elif kind == "wrong_type":
        record[field] = spec.get("value", "many")
    elif kind == "lone_surrogate":
        record[field] = f"{record.get(field) or ''}\ud800"
    elif kind == "list_in_string":
        record[field] = list(LIST_VALUE)


__all__ = ["BEND_KINDS", "LIST_VALUE", "RECORD_BENDS", "SHAPE_BENDS", "bend"]
