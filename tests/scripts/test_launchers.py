"""scripts/launchers.py: console scripts that import their program with the collector paused
run the same program, arguments and exit code; anything else is left as it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from launchers import MARKER, rewrite, rewrite_venv
from pipeline import MELTANO, ROOT

#: A console script exactly as pip and uv write one.
GENERATED = """#!{python}
# -*- coding: utf-8 -*-
import sys
from entry_mod import main
if __name__ == "__main__":
    if sys.argv[0].endswith("-script.pyw"):
        sys.argv[0] = sys.argv[0][:-11]
    elif sys.argv[0].endswith(".exe"):
        sys.argv[0] = sys.argv[0][:-4]
    sys.exit(main())
"""
#: The program: says what it sees and exits 3.
ENTRY = """import gc, json, sys
def main():
    print(json.dumps({"gc": gc.isenabled(), "frozen": gc.get_freeze_count(), "argv": sys.argv}))
    return 3
"""


def _run(script: Path) -> tuple[int, dict]:
    env = {**os.environ, "PYTHONPATH": str(script.parent.parent)}  # entry_mod.py
    done = subprocess.run(
        [str(script), "--flag", "value"], capture_output=True, text=True, env=env, check=False
    )
    assert done.stderr == ""
    return done.returncode, json.loads(done.stdout)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    (tmp_path / "entry_mod.py").write_text(ENTRY)
    path = tmp_path / "bin" / "some-tool"
    path.parent.mkdir()
    path.write_text(GENERATED.format(python=sys.executable))
    path.chmod(0o755)
    return path


def test_a_generated_script_runs_the_same_program_with_its_imports_frozen(script):
    code, before = _run(script)
    assert rewrite(script)
    assert MARKER in script.read_text()
    assert os.access(script, os.X_OK)
    again, after = _run(script)
    assert (code, again) == (3, 3)
    assert after["argv"] == before["argv"] == [str(script), "--flag", "value"]
    assert before["frozen"] == 0
    assert after["frozen"] > 0, "what the import created is frozen"
    assert after["gc"] is True, "the collector runs again once the import is done"
    assert not rewrite(script), "a second rewrite changes nothing"


@pytest.mark.parametrize(
    "text",
    [
        '#!/bin/sh\nexec python -m tool "$@"\n',  # not Python
        GENERATED.replace("import sys\n", "import sys\nfrom other import thing\n"),  # two imports
        GENERATED.replace("sys.exit(main())", "main()"),  # not the generated form
        "\x7fELF\x00\x01binary",
    ],
    ids=["shell", "two-imports", "hand-written", "binary"],
)
def test_anything_else_is_left_as_it_is(tmp_path, text):
    path = tmp_path / "tool"
    path.write_text(text.replace("{python}", sys.executable))
    assert not rewrite(path)
    assert path.read_text() == text.replace("{python}", sys.executable)


def test_a_venv_has_each_generated_script_rewritten_once(tmp_path, script):
    venv = script.parent.parent
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / "bin" / "activate").write_text("# shell\n")
    assert rewrite_venv(venv) == [script]
    assert rewrite_venv(venv) == []


def test_the_installed_meltano_and_plugins_start_this_way(meltano_installed):
    assert MARKER in MELTANO.read_text()
    dbt = ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt"
    postgres = ROOT / ".meltano" / "loaders" / "target-postgres" / "venv" / "bin"
    assert MARKER in dbt.read_text()
    assert MARKER in (postgres / "target-postgres").read_text()
