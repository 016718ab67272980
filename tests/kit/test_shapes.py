"""Response shapes: derived from records_jsonpath, described, compared, and reported."""

from __future__ import annotations

import pytest

from outreach_kit.redaction import SECRETS
from outreach_kit.shapes import QUOTED, ResponseShapeError, Shape, quote_body, shape_error

LEADS = Shape.from_jsonpath("$.data.contacts[*]")


def test_shapes_come_from_simple_jsonpaths():
    assert Shape(("data", "contacts"), True) == LEADS
    assert Shape.from_jsonpath("$[*]") == Shape((), True)
    assert Shape.from_jsonpath("$") == Shape((), False)
    assert Shape.from_jsonpath("$.data") == Shape(("data",), False)
    assert Shape.from_jsonpath("$..id") is None  # not a simple path: not checked


def test_descriptions_read_as_sentences():
    assert LEADS.describe() == (
        "a JSON object whose 'data' is an object whose 'contacts' is an array of records"
    )
    assert Shape((), True).describe() == "a JSON body that is an array of records"


@pytest.mark.parametrize(
    ("shape", "body", "found"),
    [
        (LEADS, {"data": {"contacts": []}}, None),
        (LEADS, {"data": {"contacts": [1, None]}}, None),  # elements are judged one by one
        (LEADS, {"success": True, "data": [{"id": 1}]}, "'data' is an array"),
        (LEADS, {"success": True}, "the body has no 'data' (keys: 'success')"),
        (LEADS, {"data": {"contacts": {"id": 1}}}, "'contacts' is an object"),
        (LEADS, [], "the body is an array"),
        (Shape((), True), {"Message": "x"}, "the body is an object"),
        (Shape((), True), "text", "the body is a string"),
        (Shape(("data",), False), {"data": None}, "'data' is a null"),
        (Shape(("data",), False), {"data": {}}, None),
    ],
)
def test_mismatches_name_what_differs(shape, body, found):
    assert shape.mismatch(body) == found


def test_the_quoted_body_is_cut_and_masked():
    SECRETS.add("sekret-token-123")
    quoted = quote_body(b'{"token": "sekret-token-123", "x": "' + b"y" * 500 + b'"}')
    assert "sekret-token-123" not in quoted and "***" in quoted
    assert quoted.endswith("...") and len(quoted) < QUOTED + 60
    assert quote_body(b"") == "an empty body (0 bytes)"
    assert quote_body(b"\xff\xfe[").startswith("3 bytes starting")


def test_the_error_is_one_paragraph_naming_endpoint_expectation_and_state():
    error = shape_error(
        vendor="SalesBlink",
        stream="list_leads",
        path="/public/v1.0.0/lists/1/leads",
        status=200,
        shape=LEADS,
        found="'data' is an array",
        content=b'{"data": []}',
    )
    assert isinstance(error, ResponseShapeError)
    text = str(error)
    assert "\n" not in text
    assert text.startswith(
        "SalesBlink answered /public/v1.0.0/lists/1/leads (stream 'list_leads') with HTTP 200"
    )
    assert "expected a JSON object whose 'data' is an object" in text
    assert "but 'data' is an array" in text and "'{\"data\": []}'" in text
    assert "state saved so far is kept" in text
