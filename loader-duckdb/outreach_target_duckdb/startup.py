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

The mechanisms (`deferred_imports` with `defer_package_init`, `defer_module` and
`remember_missing`) live in `outreach_kit.startup`, which the taps use too; this module says
what the loader defers.
"""

from __future__ import annotations

import contextlib
import typing as t

from outreach_kit.startup import SDK_FEATURE_MODULES, deferred_imports

#: Packages whose `__init__` imports what a loader never uses (singer-sdk's tap side).
TAP_SIDE = ("singer_sdk", "singer_sdk.sql")
#: Modules singer-sdk's target side imports by name for features this loader does not use,
#: and the names it imports from them.
UNUSED = SDK_FEATURE_MODULES
#: Optional modules DuckDB's client tries to import again at every statement.
OPTIONAL = ("pandas",)


@contextlib.contextmanager
def imports() -> t.Iterator[None]:
    """Run the block (the process's imports) with the collector paused and singer-sdk's
    package initialisers deferred; then freeze what exists and restore the collector."""
    with deferred_imports(packages=TAP_SIDE, modules=UNUSED, missing=OPTIONAL):
        yield


__all__ = ["imports"]
