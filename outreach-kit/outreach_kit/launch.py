"""The taps' console scripts, started with less fixed cost.

Importing a tap (singer-sdk, requests, jsonschema, the kit) creates some tens of thousands
of objects that live until the process ends. With the cyclic garbage collector on, the
imports trigger collection after collection that walk them again and again, and the
interpreter's exit walks them once more. So the tap class is imported with the collector
paused, and what the imports created is then frozen (``gc.freeze``: left out of every
later collection); objects the run creates are collected as usual. Measured on
``tap-salesflow --about``: about 0.3 s of CPU less per start, of about 1 s (tests, the
benchmarks and every scheduled run start many tap processes).

Modules only features a tap does not use need are not imported either (see
:mod:`outreach_kit.startup`): joblib, which singer-sdk's target side imports for drains in
parallel, and upath (with fsspec), which its BATCH helpers import. Stand-ins import them
on first use, so BATCH messages still work when configured. About 100 modules and 0.1 s of
CPU less per start.

Nothing here imports singer-sdk: each tap's package ``main`` (its console script) calls
:func:`launch` before anything heavy is imported.
"""

from __future__ import annotations

import importlib
import types
import typing as t

from outreach_kit.startup import deferred_imports


def import_tap(module: str) -> types.ModuleType:
    """Import a tap's module with the collector paused and singer-sdk's unused modules
    deferred, then freeze what the imports created (also the tests' fork server's way,
    scripts/tap_forkserver.py, so that its taps start as the console scripts do)."""
    with deferred_imports():
        return importlib.import_module(module)


def launch(target: str) -> t.NoReturn:
    """Import ``"package.module:TapClass"`` (:func:`import_tap`) and run the tap's console
    script (``TapClass.main``)."""
    module, _, name = target.partition(":")
    getattr(import_tap(module), name).main()


__all__ = ["import_tap", "launch"]
