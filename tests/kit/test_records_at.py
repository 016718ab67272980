"""The direct walk of simple JSONPaths yields exactly what singer-sdk's extract_jsonpath does."""

from __future__ import annotations

import pytest
from singer_sdk.helpers.jsonpath import extract_jsonpath

from outreach_kit.client import records_at

BODIES = [
    [{"id": 1}, {"id": 2}],
    [],
    {"data": [{"id": 1}], "success": True},
    {"data": {"contacts": [{"id": "a"}, {"id": "b"}], "total": 2}},
    {"data": {"contacts": []}},
    {"data": {"sent": 3}},
    {"data": None},
    {"data": []},
    {"other": 1},
    {"Id": 5, "Name": "x"},
    None,
    "text",
    7,
]
PATHS = ["$", "$[*]", "$.data", "$.data[*]", "$.data.contacts[*]", "$.data.total", "$..id"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("body", BODIES, ids=repr)
def test_same_matches_as_the_sdk(path, body):
    assert records_at(path, body) == list(extract_jsonpath(path, body))
