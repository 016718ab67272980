"""outreach_kit.startup: a deferred package initialiser runs on the first name only it
defines; a deferred module is imported on the first use of a name; a missing module is
remembered missing; modules already imported, or not installed, are left alone."""

from __future__ import annotations

import sys
import textwrap

import pytest

from outreach_kit import startup


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
