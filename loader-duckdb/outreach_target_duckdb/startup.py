"""What a loader process pays before its first line and after its last.

Two fixed costs that do not depend on the rows, cut here without changing what runs: a run
with no input took 1.1 s of CPU on a shared 2-core machine at load 3 (1.6 s at load 5), and
takes 0.7 s (1.0 s) without them:

- **The cyclic GC.** Importing singer-sdk, SQLAlchemy, jsonschema and DuckDB creates some
  70,000 objects that live until the process ends. With the collector on, the imports
  trigger about 190 collections that traverse them again and again, and the interpreter's
  exit traverses them once more while it tears the modules down. So the collector is paused
  during the imports and what they created is then frozen (`gc.freeze`: kept out of every
  later collection). Objects created by the run itself are collected as usual (a failed
  run's DuckDB connection is still released at exit as before); reference counting, which
  frees almost everything, is unaffected.
- **singer-sdk's tap side.** `singer_sdk/__init__.py` imports its streams (REST, GraphQL:
  requests, urllib3, the paginators and authenticators) and its Tap, and
  `singer_sdk/sql/__init__.py` the SQL tap and stream: some 200 modules a target never
  uses. `defer_package_init` lets the loader import the submodules it needs
  (`singer_sdk.sql.target`, ...) without running those two package initialisers; the first
  use of a name only a package initialiser defines (e.g. `singer_sdk.Target`) runs it then,
  so any code still finds everything where singer-sdk puts it.
- **Modules only unused features need.** `singer_sdk.target_base` imports joblib for drains
  in parallel (this loader drains with one writer: `max_parallelism` 1) and
  `singer_sdk.helpers._batch` imports upath for BATCH files: some 70 modules (fsspec,
  loky, ...) and about 0.1 s of CPU. `defer_module` puts a stand-in in their place whose
  names import the real module on first use, so those features still work when asked for.

And one cost per statement: DuckDB's Python client tries `import pandas` at every `execute`
with parameters. Without pandas installed (the loader does not need it), each try searches
every folder of `sys.path` again: about 1.7 ms a statement, 0.7 s of a run with nothing new
to load. `remember_missing` records the absence once, so each try fails at once, as it would
anyway.
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

#: Packages whose `__init__` imports what a loader never uses (singer-sdk's tap side).
TAP_SIDE = ("singer_sdk", "singer_sdk.sql")
#: Modules singer-sdk's target side imports by name for features this loader does not use,
#: and the names it imports from them.
UNUSED = {"joblib": ("Parallel", "delayed", "parallel_config"), "upath": ("UPath",)}
#: Optional modules DuckDB's client tries to import again at every statement.
OPTIONAL = ("pandas",)


@contextlib.contextmanager
def imports() -> t.Iterator[None]:
    """Run the block (the process's imports) with the collector paused and singer-sdk's
    package initialisers deferred; then freeze what exists and restore the collector."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for name in TAP_SIDE:
            defer_package_init(name)
        for name, names in UNUSED.items():
            defer_module(name, names)
        for name in OPTIONAL:
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
