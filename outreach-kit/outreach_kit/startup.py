"""Imports a process does not pay for until it needs them: the start-up mechanisms of the
project's Singer processes (the taps' :mod:`outreach_kit.launch`, the DuckDB loader's
``outreach_target_duckdb.startup``), which each decide what to defer.

singer-sdk's package initialiser imports everything it has: a tap also loads the target
side (joblib, for drains in parallel), a target the tap side (streams, requests), and both
the BATCH helpers (upath, fsspec). Some 100-200 modules and 0.1-0.3 s of CPU a process, on
every start of every scheduled run.

- :func:`defer_package_init`: a package's submodules import without its ``__init__``; the
  first name only the ``__init__`` defines runs it then.
- :func:`defer_module`: a stand-in whose names import the real module on first use.
- :func:`remember_missing`: an optional module known to be absent fails at once, without
  another search of ``sys.path``.
- :func:`deferred_imports`: a process's imports with those deferrals and the cyclic
  collector paused; what they created is then frozen (``gc.freeze``: left out of every later
  collection). The imports create some tens of thousands of objects that live until the
  process ends; with the collector on they trigger collection after collection that walk
  them again, and the interpreter's exit walks them once more.

Each leaves a module already imported, or not installed, alone; a feature that needs a
deferred module still works, it pays the import when it is first used.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import sys
import threading
import types
import typing as t

#: Modules singer-sdk imports by name for features neither the taps nor the DuckDB loader
#: use (joblib: a target's drains in parallel; upath: BATCH files), and the names it
#: imports from them.
SDK_FEATURE_MODULES: dict[str, tuple[str, ...]] = {
    "joblib": ("Parallel", "delayed", "parallel_config"),
    "upath": ("UPath",),
}


@contextlib.contextmanager
def deferred_imports(
    *,
    packages: t.Iterable[str] = (),
    modules: t.Mapping[str, t.Iterable[str]] = SDK_FEATURE_MODULES,
    missing: t.Iterable[str] = (),
) -> t.Iterator[None]:
    """Run the block (the process's imports) with the collector paused, the ``packages``'
    initialisers and the ``modules`` deferred and the ``missing`` remembered missing; then
    freeze what exists and restore the collector."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for name in packages:
            defer_package_init(name)
        for name, names in modules.items():
            defer_module(name, names)
        for name in missing:
            remember_missing(name)
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def defer_package_init(name: str) -> None:
    """Register package `name` without running its `__init__` (nothing happens if it is
    already imported or is not a package): its submodules import as usual, and the first
    attribute that is not a submodule runs the `__init__` and is then looked up as usual."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader
    lock = threading.RLock()  # two threads asking at once run the __init__ once
    init = {"started": False, "finished": False}

    def complete(attribute: str) -> t.Any:
        try:
            return importlib.import_module(f"{name}.{attribute}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.{attribute}":
                raise
        # A name the package's __init__ defines: run it now, once; then this hook is gone
        # and the package answers as an ordinarily imported one would.
        with lock:
            if not init["started"]:
                init["started"] = True
                try:
                    loader.exec_module(package)
                finally:
                    init["finished"] = True
                    if vars(package).get("__getattr__") is complete:
                        del vars(package)["__getattr__"]
            elif not init["finished"]:  # the __init__ asking for a name it has not set yet
                raise AttributeError(f"partially initialised module {name!r} has no {attribute!r}")
        return getattr(package, attribute)

    package.__getattr__ = complete  # type: ignore[method-assign]  # PEP 562 module hook
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, package)


def defer_module(name: str, names: t.Iterable[str]) -> None:
    """Register a stand-in for module `name` (nothing happens if it is already imported or
    not installed): each of `names` is a function that imports the real module on its first
    call and calls that name, and any other attribute imports the real module too, which
    then takes the stand-in's place in `sys.modules`. The stand-in is no package: a
    submodule can be imported only once the module itself has been used."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    stand_in = types.ModuleType(name, f"Stand-in for {name}: imported on first use.")
    stand_in.__spec__ = spec  # what `importlib.util.find_spec` answers for it
    lock = threading.Lock()

    def real() -> types.ModuleType:
        with lock:
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
            return importlib.import_module(name)

    def forward(attribute: str) -> t.Callable[..., t.Any]:
        def call(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return getattr(real(), attribute)(*args, **kwargs)

        call.__name__ = call.__qualname__ = attribute
        return call

    def other(attribute: str) -> t.Any:
        if attribute == "__path__":  # asked by every `from name import ...`: not a package
            raise AttributeError(attribute)
        return getattr(real(), attribute)

    for attribute in names:
        setattr(stand_in, attribute, forward(attribute))
    stand_in.__getattr__ = other  # type: ignore[method-assign]  # PEP 562 module hook
    sys.modules[name] = stand_in


def remember_missing(name: str) -> None:
    """If module `name` is not installed, record that in `sys.modules` (None there makes
    every later `import name` raise ModuleNotFoundError at once, without a search)."""
    if name not in sys.modules and importlib.util.find_spec(name) is None:
        sys.modules[name] = None  # type: ignore[assignment]


__all__ = [
    "SDK_FEATURE_MODULES",
    "defer_module",
    "defer_package_init",
    "deferred_imports",
    "remember_missing",
]
