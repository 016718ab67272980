"""Start-up: what a tap process imports before its first request.

Every run of every tap pays for its imports (about 1 s in all, most of it singer-sdk's).
Modules the taps need only now and then are imported when needed, and singer-sdk's modules
for features the taps do not use are stand-ins; this keeps it so, and checks that the
standard library reads date settings as pendulum (the fallback) does.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pendulum
import pytest

from outreach_kit.timestamps import parse_setting_datetime

#: Imported lazily: not on every run's path.
LAZY = ("pendulum",)


def test_taps_start_without_the_lazy_modules() -> None:
    code = (
        "import sys, tap_salesblink.tap, tap_salesflow.tap, tap_salesrocks.tap; "
        f"print(','.join(m for m in {LAZY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("tap", ["salesblink", "salesflow", "salesrocks"])
def test_console_scripts_start_without_the_sdks_unused_features(tap: str) -> None:
    """joblib (a target's drains) and upath with fsspec (BATCH files) stay stand-ins
    (outreach_kit.launch): about 110 modules fewer per start."""
    code = f"""import atexit, json, sys
def report():
    real = sorted(m for m in sys.modules if m.startswith(("joblib.", "upath.", "fsspec")))
    print(json.dumps(real), file=sys.stderr)
atexit.register(report)
sys.argv = ["tap-{tap}", "--version"]
from tap_{tap} import main
main()
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"tap-{tap} v")
    assert out.stderr.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-31",
        "2024-01-31T00:00:00Z",
        "2024-01-31T10:20:30+02:00",
        "2024-01-31T10:20:30.123456-05:30",
        "2024-01-31 10:20:30",
        "2024-01-31T10:20",
        "20240131",
        " 2024-01-31 ",
    ],
)
def test_iso_settings_read_as_pendulum_reads_them(value: str) -> None:
    expected = pendulum.parse(value.strip(), strict=False)
    expected = expected.astimezone(timezone.utc) if expected.tzinfo else expected
    parsed = parse_setting_datetime("start_date", value)
    assert parsed == expected
    assert parsed.tzinfo is not None and parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("value", ["2024/01/31", "31 January 2024"])
def test_other_forms_still_read_by_pendulum(value: str) -> None:
    try:
        expected = pendulum.parse(value, strict=False)
    except Exception:  # whatever pendulum refuses, the setting refuses too
        with pytest.raises(ValueError, match="start_date"):
            parse_setting_datetime("start_date", value)
        return
    assert parse_setting_datetime("start_date", value) == expected.astimezone(timezone.utc)


def test_a_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="must be a date or date-time"):
        parse_setting_datetime("start_date", "P1D")
    assert parse_setting_datetime("start_date", "2024-01-31") == datetime(
        2024, 1, 31, tzinfo=timezone.utc
    )
