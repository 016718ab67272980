"""The loader process's fixed costs (outreach_target_duckdb/startup.py): the console entry
point imports none of singer-sdk's tap side (nor joblib, upath) and still loads, merges,
retires and fails as the in-process loader does; a deferred package initialiser runs on the
first name only it defines; a deferred module is imported on the first use of a name; the
collector is paused for the imports and restored after."""

from __future__ import annotations

import gc
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from loader_support import SCHEMA, Warehouse, activate, record, schema

from outreach_target_duckdb import startup

#: Runs the console entry point, then prints (to stderr, last line) the tap-side and unused
#: modules the process imported, and whether pandas (not installed) was remembered missing.
ENTRY = """import atexit, sys
def report():
    tap_side = ("singer_sdk.streams", "singer_sdk.tap_base", "singer_sdk.sql.tap", "requests")
    unused = ("joblib.", "upath.", "fsspec")  # the real modules' parts
    imported = sorted(m for m in sys.modules if m.startswith(tap_side + unused))
    missing = "pandas" in sys.modules and sys.modules["pandas"] is None
    print(json.dumps({"imported": imported, "pandas remembered missing": missing}),
          file=sys.stderr)
import json
atexit.register(report)
from outreach_target_duckdb.cli import main
main(sys.argv[1:])
"""

PROPS = {"id": {"type": "integer"}, "name": {"type": "string"}}
GROWN = {**PROPS, "score": {"type": "number"}}


def _messages() -> list[dict]:
    """Two versions of a full-table stream (id 2 retired), an upsert, a new column."""
    return [
        schema("people", PROPS, ["id"]),
        record("people", {"id": 1, "name": "Ana"}, version=1),
        record("people", {"id": 2, "name": "Ben"}, version=1),
        activate("people", 1),
        record("people", {"id": 1, "name": "Ana P."}, version=2),
        schema("people", GROWN, ["id"]),
        record("people", {"id": 3, "name": "Cy", "score": 0.5}, version=2),
        activate("people", 2),
        {"type": "STATE", "value": {"bookmarks": {"people": {"n": 3}}}},
    ]


def _entry(tmp_path: Path, messages: list[dict], db: Path) -> subprocess.CompletedProcess:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"filepath": str(db), "default_target_schema": SCHEMA}))
    lines = "".join(json.dumps(m, separators=(",", ":")) + "\n" for m in messages)
    return subprocess.run(
        [sys.executable, "-c", ENTRY, "--config", str(config)],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _rows(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"SELECT id, name, score, _sdc_table_version, _sdc_deleted_at IS NOT NULL"
            f" FROM {SCHEMA}.people ORDER BY id"
        ).fetchall()


def test_entry_point_skips_the_tap_side_and_loads_as_in_process(tmp_path):
    done = _entry(tmp_path, _messages(), tmp_path / "cli.duckdb")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stderr.strip().splitlines()[-1])
    pandas_missing = importlib.util.find_spec("pandas") is None  # true in this project's venv
    assert report == {"imported": [], "pandas remembered missing": pandas_missing}
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"bookmarks": {"people": {"n": 3}}}

    in_process = Warehouse(tmp_path / "in-process.duckdb")
    in_process.load(_messages())
    expected = [(1, "Ana P.", None, 2, False), (2, "Ben", None, 1, True), (3, "Cy", 0.5, 2, False)]
    assert _rows(tmp_path / "cli.duckdb") == _rows(in_process.path) == expected


def test_entry_point_error_is_one_line(tmp_path):
    bad = [schema("people", PROPS, ["id"]), record("people", {"id": "not a number"})]
    done = _entry(tmp_path, bad, tmp_path / "bad.duckdb")
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1
    assert errors[0].startswith("outreach-target-duckdb: error: a batch of stream 'people'")


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package `deferme` whose __init__ counts its runs, asks for one of its own names
    before setting it, and defines VALUE; `deferme.sub` is a submodule."""
    root = tmp_path / "deferme"
    root.mkdir()
    (root / "__init__.py").write_text(
        textwrap.dedent(
            """
            import builtins
            import sys
            builtins.deferme_runs = getattr(builtins, "deferme_runs", 0) + 1
            EARLY = hasattr(sys.modules[__name__], "LATER")  # asks for its own later name
            LATER = VALUE = 42
            """
        )
    )
    (root / "sub.py").write_text("SUB = 'sub'\n")
    (tmp_path / "deferme_plain.py").write_text("PLAIN = 1\n")
    (tmp_path / "deferme_module.py").write_text(
        textwrap.dedent(
            """
            import builtins
            builtins.deferme_runs = getattr(builtins, "deferme_runs", 0) + 1
            CONSTANT = 7
            def double(x, *, times=2):
                return x * times
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "deferme"
    for name in ("deferme", "deferme.sub", "deferme_plain", "deferme_module"):
        sys.modules.pop(name, None)
    import builtins

    vars(builtins).pop("deferme_runs", None)


def test_deferred_init_runs_on_first_name_it_defines(package):
    import builtins

    startup.defer_package_init(package)
    from deferme import sub  # a submodule: the __init__ does not run

    assert sub.SUB == "sub"
    assert getattr(builtins, "deferme_runs", 0) == 0
    deferme = sys.modules[package]
    assert deferme.VALUE == 42  # a name only the __init__ defines: it runs, once
    assert deferme.VALUE == 42
    assert builtins.deferme_runs == 1
    assert deferme.EARLY is False  # a name asked mid-way is missing, as in any import
    assert deferme.LATER == 42
    assert deferme.sub is sub
    with pytest.raises(AttributeError):
        _ = deferme.missing


def test_defer_leaves_an_imported_package_alone(package):
    import importlib

    imported = importlib.import_module(package)
    startup.defer_package_init(package)
    assert sys.modules[package] is imported
    startup.defer_package_init("deferme_plain")  # a module, not a package: not deferred
    assert "deferme_plain" not in sys.modules


def test_deferred_module_is_imported_on_first_use(package):
    import builtins

    startup.defer_module("deferme_module", ["double"])
    from deferme_module import double  # the stand-in's name: nothing imported yet

    stand_in = sys.modules["deferme_module"]
    assert getattr(builtins, "deferme_runs", 0) == 0
    assert double(3, times=3) == 9  # the first call imports the module and calls its name
    assert builtins.deferme_runs == 1
    real = sys.modules["deferme_module"]
    assert real is not stand_in
    assert double(4) == 8
    assert stand_in.CONSTANT == 7  # any other name goes to the real module
    assert builtins.deferme_runs == 1


def test_deferred_module_other_name_imports_it(package):
    import builtins

    startup.defer_module("deferme_module", ["double"])
    stand_in = sys.modules["deferme_module"]
    assert stand_in.CONSTANT == 7
    assert builtins.deferme_runs == 1
    assert sys.modules["deferme_module"] is not stand_in
    with pytest.raises(AttributeError):
        _ = stand_in.missing


def test_defer_module_leaves_imported_and_missing_modules_alone(package):
    import importlib

    imported = importlib.import_module("deferme_plain")
    startup.defer_module("deferme_plain", ["PLAIN"])
    assert sys.modules["deferme_plain"] is imported
    startup.defer_module("deferme_not_installed", ["anything"])
    assert "deferme_not_installed" not in sys.modules


def test_imports_pause_then_restore_the_collector(monkeypatch):
    monkeypatch.setattr(startup, "TAP_SIDE", ())
    monkeypatch.setattr(startup, "UNUSED", {})
    monkeypatch.setattr(startup, "OPTIONAL", ())
    frozen = gc.get_freeze_count()
    try:
        with startup.imports():
            assert not gc.isenabled()
            made = [[] for _ in range(1000)]  # objects created under the pause get frozen
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(made)
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_missing_module_is_remembered_an_installed_one_left_alone(package, monkeypatch):
    monkeypatch.delitem(sys.modules, "deferme_not_installed", raising=False)
    startup.remember_missing("deferme_not_installed")
    assert sys.modules["deferme_not_installed"] is None
    with pytest.raises(ModuleNotFoundError):
        import deferme_not_installed  # noqa: F401
    startup.remember_missing("deferme_plain")  # installed: importable as before
    assert "deferme_plain" not in sys.modules
    import deferme_plain

    assert deferme_plain.PLAIN == 1
