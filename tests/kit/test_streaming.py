"""outreach_kit.streaming against a local HTTP server: spooling, checking, lazy parsing."""

from __future__ import annotations

import json
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from outreach_kit import streaming
from outreach_kit.streaming import spool_json

RECORDS = [
    {
        "Id": i,
        "Text": "Gerne \u2013 n\u00e4chste Woche? \U0001f44d",
        "Score": i / 4,
        "Whole": 2.0,
        "Big": 10**15 + i,
        "Exp": 1e-7,
        "Seen": i % 2 == 0,
        "None": None,
        "Nested": {"List": [1, 2.5, "x", None, {"deep": []}]},
    }
    for i in range(200)
]
ARRAY = json.dumps(RECORDS).encode()
#: name -> (status, content type, body, bytes actually sent or None for all)
BODIES: dict[str, tuple[int, str, bytes, int | None]] = {
    "/array": (200, "application/json", ARRAY, None),
    "/spaced": (200, "application/json", b"  \n[1, 2.5 ,\n {}]\n ", None),
    "/empty-array": (200, "application/json", b"[]", None),
    "/truncated": (200, "application/json", ARRAY[: len(ARRAY) // 2], None),
    "/garbage": (200, "application/json", b"[1] [2]", None),
    "/html": (200, "text/html", b"<!DOCTYPE html><html><body>Bad Gateway</body></html>", None),
    "/envelope": (200, "application/json", b'{"Message": "An error has occurred."}', None),
    "/nothing": (200, "application/json", b"", None),
    "/broken": (200, "application/json", ARRAY, len(ARRAY) // 3),
}


#: Records of /big: about 24 MB in all.
BIG_RECORDS = 6_000


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/big":
            return self._big()
        status, content_type, body, sent = BODIES[self.path]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body if sent is None else body[:sent])
        if sent is not None:  # the connection breaks mid-body
            self.close_connection = True
        return None

    def _big(self) -> None:
        """~24 MB of records, chunked: never held whole by the server either."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for first in range(0, BIG_RECORDS, 20):  # HTTP chunks of 20 records, about 80 KB
            piece = b"".join(
                (b"[" if i == 0 else b",")
                + json.dumps({"Id": i, "Text": "x" * 4000, "Score": i / 8}).encode()
                for i in range(first, first + 20)
            )
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"1\r\n]\r\n0\r\n\r\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fetch(server: str, path: str, **kwargs) -> streaming.SpooledJSON:
    response = requests.get(server + path, stream=True, timeout=10)
    return spool_json(response, **kwargs)


def test_the_c_backend_is_in_use():
    assert streaming.BACKEND == "yajl2_c"


@pytest.mark.parametrize("chunk_size", [1, 7, 64 * 1024])
def test_a_complete_array_yields_exactly_what_json_decodes(server, chunk_size):
    with fetch(server, "/array", chunk_size=chunk_size) as body:
        assert (body.kind, body.error, body.complete) == ("array", None, True)
        assert body.size == len(ARRAY)
        items = list(body.items())
    assert items == RECORDS
    # Same types too (2.0 stays a float, ints stay ints, no Decimal): same JSON text.
    assert json.dumps(items) == json.dumps(json.loads(ARRAY))
    assert body.closed


def test_whitespace_and_an_empty_array(server):
    with fetch(server, "/spaced", chunk_size=1) as body:  # leading blanks over several chunks
        assert body.complete
        assert list(body.items()) == [1, 2.5, {}]
    with fetch(server, "/empty-array") as body:
        assert body.complete
        assert list(body.items()) == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/truncated", "premature EOF"),
        ("/garbage", "trailing garbage"),
    ],
)
def test_an_array_that_is_not_one_complete_value_is_flagged_not_parsed(server, path, reason):
    with fetch(server, path) as body:
        assert body.kind == "array"
        assert not body.complete
        assert reason in (body.error or "")
        assert "\n" not in (body.error or "")  # ijson's quote of the body is left out
        with pytest.raises(ValueError, match="not a complete JSON array"):
            next(body.items())


@pytest.mark.parametrize(
    ("path", "kind", "complete"),
    [
        ("/html", None, False),
        ("/envelope", "object", True),
        ("/nothing", None, False),
    ],
)
def test_other_bodies_are_described_and_kept_whole(server, path, kind, complete):
    with fetch(server, path) as body:
        assert (body.kind, body.complete) == (kind, complete)
        assert body.read() == BODIES[path][2]


def test_a_connection_broken_mid_body_raises_and_deletes_the_file(server, monkeypatch):
    files = []
    real = streaming.tempfile.SpooledTemporaryFile

    def recording(*args, **kwargs):
        files.append(real(*args, **kwargs))
        return files[-1]

    monkeypatch.setattr(streaming.tempfile, "SpooledTemporaryFile", recording)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        fetch(server, "/broken")
    assert len(files) == 1
    assert files[0].closed


def read_big_in_bounded_memory(items) -> None:
    """Read the items of /big (24 MB) with memory traced: the peak must stay at a few
    chunks, never the body."""
    tracemalloc.start()
    try:
        count = 0
        for count, item in enumerate(items, start=1):
            assert item["Id"] == count - 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == BIG_RECORDS
    assert peak < 4 * 1024 * 1024, peak


def test_a_large_body_goes_to_disk_and_is_read_in_bounded_memory(server):
    with fetch(server, "/big", max_memory=256 * 1024) as body:
        assert body.complete
        assert body.on_disk
        assert body.size > 20_000_000
        read_big_in_bounded_memory(body.items())
    assert body.closed


# -- the live path (open_json): what Salesflow's unpaged streams read arrays with ----------


def open_live(server: str, path: str, **kwargs):
    response = requests.get(server + path, stream=True, timeout=10)
    return streaming.open_json(response, **kwargs)


@pytest.mark.parametrize("chunk_size", [1, 7, 64 * 1024])
def test_a_live_array_yields_exactly_what_json_decodes(server, chunk_size):
    body = open_live(server, "/array", chunk_size=chunk_size)
    assert isinstance(body, streaming.LiveArray)
    items = list(body.items())
    assert items == RECORDS
    assert json.dumps(items) == json.dumps(json.loads(ARRAY))
    assert body.replaced == 0


def test_a_live_array_with_blanks_or_nothing_in_it(server):
    assert list(open_live(server, "/spaced", chunk_size=1).items()) == [1, 2.5, {}]
    assert list(open_live(server, "/empty-array").items()) == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/truncated", "premature EOF"),
        ("/garbage", "trailing garbage"),
        ("/broken", "the connection broke"),
    ],
)
def test_a_live_array_that_breaks_gives_its_complete_elements_then_raises(server, path, reason):
    items: list = []
    # Small chunks, so that elements arrive before the break (a break within the first
    # chunk raises from open_json, inside the retried request, as any connection error).
    live = open_live(server, path, chunk_size=1024).items()
    with pytest.raises(streaming.BodyBroken) as broken:
        items.extend(live)
    assert reason in str(broken.value) and "\n" not in str(broken.value)
    assert broken.value.given == len(items)
    expected = [1] if path == "/garbage" else RECORDS[: len(items)]
    assert items == expected  # complete elements only, in order, none invented
    assert path == "/garbage" or 0 < len(items) < len(RECORDS)


@pytest.mark.parametrize("path", ["/html", "/envelope", "/nothing"])
def test_anything_but_an_array_is_spooled_whole(server, path):
    with open_live(server, path) as body:
        assert isinstance(body, streaming.SpooledJSON)
        assert body.read() == BODIES[path][2]


def test_a_large_live_array_is_read_in_bounded_memory(server):
    read_big_in_bounded_memory(open_live(server, "/big").items())
