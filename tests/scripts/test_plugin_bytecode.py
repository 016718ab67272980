"""scripts/plugin_bytecode.py: every Meltano plugin venv gets bytecode from its own Python."""

from __future__ import annotations

import sys
from pathlib import Path

from plugin_bytecode import compile_plugin_venvs, plugin_venvs

TAG = sys.implementation.cache_tag


def _venv(root: Path, kind: str, name: str, *, python: bool = True) -> Path:
    venv = root / ".meltano" / kind / name / "venv"
    package = venv / "lib" / "site-packages" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    (package / "broken.py").write_text("def (:\n")  # never imported, left as source
    if python:
        (venv / "bin").mkdir()
        (venv / "bin" / "python").symlink_to(sys.executable)
    return venv


def test_every_plugin_venv_is_compiled_and_others_left_alone(tmp_path):
    loader = _venv(tmp_path, "loaders", "target-x")
    utility = _venv(tmp_path, "utilities", "dbt-x")
    half = _venv(tmp_path, "extractors", "tap-half", python=False)  # an install cut short
    elsewhere = tmp_path / ".meltano" / "run" / "tap-x" / "venv"
    elsewhere.mkdir(parents=True)

    assert plugin_venvs(tmp_path) == [loader, utility]
    assert compile_plugin_venvs(tmp_path) == [loader, utility]
    for venv in (loader, utility):
        cache = venv / "lib" / "site-packages" / "pkg" / "__pycache__"
        assert (cache / f"__init__.{TAG}.pyc").is_file(), venv
        assert not (cache / f"broken.{TAG}.pyc").exists()
    assert not (half / "lib" / "site-packages" / "pkg" / "__pycache__").exists()


def test_no_project_venvs_compiles_nothing(tmp_path):
    assert compile_plugin_venvs(tmp_path) == []
