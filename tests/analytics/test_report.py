"""The report opened in headless Chromium (Debian's package): no console error, no request
leaving the page, every chart drawn as a non-empty SVG showing the marts' numbers."""

from __future__ import annotations

import struct
import subprocess
import sys

import pytest
from parallel import PACKAGES_LOCK, locked
from pipeline import ROOT

pytestmark = pytest.mark.e2e

CHARTS = ("headline", "funnel", "ranking", "daily")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _int(n) -> str:
    return f"{int(n):,}"


def _pct(rate) -> str:
    return f"{float(rate) * 100:.1f}%"


@pytest.fixture(scope="module")
def report(warehouses, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "report.py"),
            "--duckdb",
            str(warehouses.project.duckdb_path),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert str(out / "outreach.html") in result.stdout
    return out


@pytest.fixture(scope="module")
def expected(warehouses) -> dict[str, list[str]]:
    """Numbers each chart must show, read from the marts with SQL of its own."""
    with warehouses.duckdb() as con:
        one = lambda sql: con.execute(sql).fetchone()  # noqa: E731
        contacts, replied_contacts = one(
            "select count(*), count(*) filter (where has_replied) from analytics.contacts"
        )
        campaigns, sent, replied = one(
            "select count(*), sum(sent), sum(replied) from analytics.campaign_performance"
        )
        per_tool = con.execute(
            "select sum(sent), sum(replied) from analytics.campaign_performance group by tool"
        ).fetchall()
        top = con.execute(
            "select reply_rate, replied, sent from analytics.campaign_performance "
            "where reply_rate is not null order by reply_rate desc limit 3"
        ).fetchall()
        events = one("select sum(events) from analytics.daily_activity")[0]
    return {
        "headline": [
            _int(contacts),
            _int(campaigns),
            _int(sent),
            _int(replied),
            _pct(replied / sent),
            _int(replied_contacts),
        ],
        "funnel": [_int(n) for row in per_tool for n in row],
        "ranking": [f"{_pct(r)} ({_int(n)} of {_int(d)})" for r, n, d in top],
        "daily": [f"{_int(events)} events"],
    }


def test_png_is_a_picture_of_the_report(report):
    data = (report / "outreach.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1000 and height >= 1000, (width, height)
    assert len(data) > 50_000


def test_page_is_self_contained(report):
    page = (report / "outreach.html").read_text(encoding="utf-8")
    assert "<script src" not in page.lower() and "<link" not in page.lower()
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page
    assert "vegaEmbed" in page


def test_page_renders_every_chart_with_the_marts_numbers(report, expected, tmp_path):
    from playwright.sync_api import sync_playwright

    with locked(PACKAGES_LOCK):  # the script may apt-get install Chromium
        chromium = subprocess.run(
            [str(ROOT / "scripts" / "chromium.sh")], capture_output=True, text=True, check=True
        ).stdout.strip()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1100, "height": 900},
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto((report / "outreach.html").as_uri())
            page.evaluate("() => window.outreachRendered.then(() => true)")
            drawn = {}
            for chart in CHARTS:
                svg = page.locator(f"#{chart} svg.marks")
                assert svg.count() == 1, f"{chart}: no SVG"
                box = svg.bounding_box()
                marks = page.locator(
                    f"#{chart} svg g.mark-rect path, #{chart} svg g.mark-line path,"
                    f" #{chart} svg g.mark-text text"
                ).count()
                drawn[chart] = (box["width"], box["height"], marks, svg.text_content())
        finally:
            context.close()
    assert not errors, errors
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests
    for chart, (width, height, marks, text) in drawn.items():
        assert width > 300 and height > 50, (chart, width, height)
        assert marks > 0, f"{chart}: no marks drawn"
        missing = [number for number in expected[chart] if number not in text]
        assert not missing, f"{chart} does not show {missing}"


def test_the_report_reads_the_same_numbers_from_postgresql(warehouses):
    from report import read_marts

    with warehouses.duckdb() as con:
        from_duckdb = read_marts(con)
    with warehouses.postgres() as con:
        from_postgres = read_marts(con)
    assert from_duckdb.campaigns and from_duckdb.daily
    assert from_postgres == from_duckdb
