"""Each tap's console script imports the tap with the garbage collector paused, freezes
what the imports created, restores the collector and runs the tap's CLI."""

from __future__ import annotations

import gc
import subprocess
import sys
import types

import pytest
from support import BIN

from outreach_kit import launch as launching


def test_launch_imports_with_the_collector_paused_then_frozen(monkeypatch):
    seen = {}

    class FakeTap:
        @staticmethod
        def main():
            seen["enabled_when_run"] = gc.isenabled()
            seen["frozen_when_run"] = gc.get_freeze_count()
            raise SystemExit(0)

    def import_module(name):
        seen["module"] = name
        seen["enabled_while_importing"] = gc.isenabled()
        return types.SimpleNamespace(FakeTap=FakeTap)

    monkeypatch.setattr(launching.importlib, "import_module", import_module)
    assert gc.isenabled()
    try:
        with pytest.raises(SystemExit):
            launching.launch("tap_fake.tap:FakeTap")
        assert seen == {
            "module": "tap_fake.tap",
            "enabled_while_importing": False,
            "enabled_when_run": True,
            "frozen_when_run": seen["frozen_when_run"],
        }
        assert seen["frozen_when_run"] > 0
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_failing_import_restores_the_collector(monkeypatch):
    def import_module(name):
        raise ImportError(f"no module {name}")

    monkeypatch.setattr(launching.importlib, "import_module", import_module)
    try:
        with pytest.raises(ImportError):
            launching.launch("tap_missing.tap:Tap")
        assert gc.isenabled()
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("tap", ["tap-salesblink", "tap-salesflow", "tap-salesrocks"])
def test_the_console_scripts_start_through_launch(tap):
    """The installed scripts run `tap_<vendor>:main` (pyproject), which goes through launch."""
    script = (BIN / tap).read_text()
    package = tap.replace("-", "_")
    assert f"from {package} import main" in script, script
    about = subprocess.run([str(BIN / tap), "--about", "--format=json"], capture_output=True)
    assert about.returncode == 0 and b'"name"' in about.stdout, about.stderr[-500:]
    run = [
        sys.executable,
        "-c",
        f"import {package}, inspect; print(inspect.getsource({package}.main))",
    ]
    assert f'launch("{package}.tap:' in subprocess.run(run, capture_output=True, text=True).stdout
