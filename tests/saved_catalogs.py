"""A test project's later `meltano run`s reuse the catalog its first run discovered.

Meltano never caches the catalog of an editable extractor (our `-e` pip_urls): each block of
each `meltano run` starts the tap once more with `--discover` and applies the `select` rules
again. The taps' discovery reads settings only, never the vendor, so once a project's first
run has discovered and selected as production does, the catalog Meltano wrote
(`<sys dir>/run/<tap>/tap.properties.json`) is what every later run of the same settings
would discover. It is handed to them through the `catalog` extra (`TAP_X__CATALOG`), which
Meltano copies instead of discovering (and with which it applies no `select` rules: a run
selecting other streams must drop the variable and discover).
"""

from __future__ import annotations

import shutil
import typing as t
from pathlib import Path


def catalog_variable(tap: str) -> str:
    """The environment variable of the tap's `catalog` extra, e.g. TAP_SALESBLINK__CATALOG."""
    return f"{tap.upper().replace('-', '_')}__CATALOG"


def keep_catalogs(env: dict[str, str], taps: t.Iterable[str], label: str = "") -> dict[str, str]:
    """Save the catalog each of `taps` was last run with (in the project of `env`, whose
    `MELTANO_SYS_DIR_ROOT` is the test's own) and point `env` at it; return the variables
    set. `label` keeps catalogs of different selections apart."""
    system = Path(env["MELTANO_SYS_DIR_ROOT"])
    saved: dict[str, str] = {}
    for tap in taps:
        found = system / "run" / tap / "tap.properties.json"
        assert found.is_file(), f"{tap} has not run in this project: no catalog to keep"
        kept = system.parent / "saved-catalogs" / f"{tap}{label}.json"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, kept)
        saved[catalog_variable(tap)] = str(kept)
    env.update(saved)
    return saved
