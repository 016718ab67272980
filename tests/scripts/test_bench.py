"""`make bench`'s machinery at tiny sizes: the raw loops read what the taps read, the runner
reports a process's own cost, the process-tree sampler attributes CPU to the right plugin, the
stream facts come from the taps' catalogs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from bench.pipelines import job_plugins, run_tree
from bench.report import Row, Section
from bench.runs import TapBench, discover, stream_facts
from bench.throughput import throughput
from bench.vendors import VENDORS, config, tap
from pipeline import DEFAULT_STREAMS
from taprun import launch

from outreach_sandbox import SandboxServer

BULK = [(vendor, bulk) for vendor in VENDORS for bulk in vendor.BULK]


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(seed=3, scale=0.01) as server:
        yield server


@pytest.fixture(scope="module")
def catalogs(sandbox):
    return {v.KEY: discover(tap(v), config(v, sandbox.url, sandbox.control)) for v in VENDORS}


@pytest.mark.parametrize(("vendor", "bulk"), BULK, ids=[f"{v.KEY}-{b.stream}" for v, b in BULK])
def test_raw_loop_reads_what_the_tap_reads(sandbox, catalogs, vendor, bulk):
    """`throughput` refuses a run where the tap or the raw loop miss a record of the sizes
    the vendor module asked for; the row then reports both on the same count."""
    settings = config(vendor, sandbox.url, sandbox.control)
    bench = TapBench(sandbox.control, sandbox.url, vendor.KEY, catalogs[vendor.KEY], settings)
    row = throughput(bench, bulk, records=320, pairs=2)
    expected = sandbox.control.expected(vendor.KEY, bulk.stream)["count"]
    assert expected >= 300
    assert row.measure == f"throughput, `{bulk.stream}`, {expected:,} records"
    assert row.target == ">= 0.75x raw"
    assert row.result.startswith(("**met** (", "**not met** ("))
    assert "x, median of 2: " in row.result


@pytest.mark.parametrize("vendor", VENDORS, ids=[v.KEY for v in VENDORS])
def test_stream_facts_come_from_the_catalog(catalogs, vendor):
    streams, incremental = stream_facts(catalogs[vendor.KEY])
    assert set(streams) == set(DEFAULT_STREAMS[vendor.KEY])
    assert incremental <= set(streams)
    if vendor.KEY == "salesblink":
        assert incremental == set(vendor.FEEDS)
    if vendor.KEY == "salesrocks":
        assert incremental == frozenset()


def test_launcher_reports_the_program_not_its_spawner(tmp_path):
    """Peak RSS is the program's own: 200 MB allocated shows, a bare interpreter does not."""
    small = [sys.executable, "-c", "pass"]
    big = [
        sys.executable,
        "-c",
        "x = bytearray(200 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])",
    ]
    out, err = tmp_path / "out", tmp_path / "err"
    _, bare = launch(small, stdout=out, stderr=err)
    code, heavy = launch(big, stdout=out, stderr=err)
    assert code == 0
    assert heavy.rss_mib > 190 > 60 > bare.rss_mib
    assert heavy.cpu_seconds > 0 and heavy.seconds >= heavy.cpu_seconds * 0.5


def test_launcher_timeout_stops_the_program(tmp_path):
    marker = tmp_path / "alive"
    program = f"import time, pathlib\ntime.sleep(1)\npathlib.Path({str(marker)!r}).touch()"
    with pytest.raises(subprocess.TimeoutExpired):
        launch(
            [sys.executable, "-c", program],
            stdout=tmp_path / "out",
            stderr=tmp_path / "err",
            timeout=0.3,
        )
    subprocess.run([sys.executable, "-c", "import time; time.sleep(1.5)"], check=True)
    assert not marker.exists()


def test_process_tree_cpu_goes_to_the_plugin(tmp_path):
    """A child running from `.meltano/extractors/<name>/` is counted as that plugin; the
    parent's own work is not."""
    bin_dir = tmp_path / ".meltano" / "extractors" / "tap-fake" / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    burn = bin_dir / "burn.py"
    burn.write_text(
        "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end:\n    pass\n"
    )
    parent = textwrap.dedent(
        f"""
        import subprocess, sys, time
        subprocess.run([sys.executable, {str(burn)!r}], check=True)
        time.sleep(0.3)
        """
    )
    run = run_tree([sys.executable, "-c", parent], {}, tmp_path / "log")
    assert 0.4 <= run.cpu("tap-fake") <= run.cpu_seconds
    assert run.cpu("meltano") == 0
    assert run.count("tap-fake") == 1
    assert run.alive("tap-fake") > 0.3
    assert run.seconds >= run.alive("tap-fake") + 0.25


def test_report_section_renders_every_row():
    rows = [Row("a", "1", "2", ">= 1", "**met**"), Row("b \\| c", "3", "4")]
    lines = Section("Title", "What it measures.", rows).lines()
    assert lines[:3] == ["## Title", "", "What it measures."]
    assert "| a | 1 | 2 | >= 1 | **met** |" in lines
    assert "| b \\| c | 3 | 4 | - | - |" in lines


def test_job_plugins_follow_meltano_yml():
    """The no-change run times every plugin of the job as meltano.yml defines it."""
    plugins = job_plugins("outreach-to-warehouse")
    assert list(plugins) == [
        "meltano",
        "tap-salesblink",
        "target-duckdb",
        "tap-salesflow",
        "tap-salesrocks",
        "dbt-duckdb",
    ]
    assert plugins["target-duckdb"].name == "outreach-target-duckdb"
    assert plugins["dbt-duckdb"].parts[-5:-3] == ("utilities", "dbt-duckdb")
