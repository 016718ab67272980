"""Running the suite on several pytest-xdist workers (`make test`: ``-n 2 --dist loadgroup``).

A module- or session-scoped fixture is built once per worker that uses it, so every test
sharing an expensive fixture instance (a sandbox dataset, a first sync, a ``meltano run``, a
dbt build) is put in one xdist group: the set-up then still runs once. Tests that share
nothing are spread one by one. Three session fixtures are worker-safe instead of grouped:
``postgres_url`` (a server per worker, on its own port and directory), ``meltano_installed``
(``meltano install`` under a file lock) and ``reliability_report`` (each worker writes its
part, and the report is rendered from every part; see tests/reliability/conftest.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import typing as t
from pathlib import Path

import pytest

#: Session fixtures each worker may build on its own without a cost or a conflict.
PER_WORKER = frozenset({"postgres_url", "meltano_installed", "reliability_report"})
#: Where workers leave their parts of the reliability report (set by the controller).
REPORT_PARTS = "OUTREACH_RELIABILITY_PARTS"
#: Held while a script may apt-get install (PostgreSQL, Chromium): dpkg allows one at a time.
PACKAGES_LOCK = Path(tempfile.gettempdir()) / "outreach-tests-packages.lock"


@contextlib.contextmanager
def locked(path: Path) -> t.Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing), across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _shared_keys(item: pytest.Item) -> set[tuple[str, ...]]:
    """The fixture instances `item` shares with other tests (one key per instance)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set()
    keys: set[tuple[str, ...]] = set()
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if not definitions:
            continue
        fixture = definitions[-1]
        # Plugins' fixtures (tmp_path_factory, ...) have no base id and hold no set-up of ours.
        if fixture.scope == "function" or not fixture.baseid or name in PER_WORKER:
            continue
        if fixture.scope == "session":
            keys.add((name, fixture.baseid))
        elif fixture.scope == "package":
            keys.add((name, str(item.path.parent)))
        elif fixture.scope == "module":
            keys.add((name, item.nodeid.split("::")[0]))
        else:  # class
            keys.add((name, item.nodeid.rsplit("::", 1)[0]))
    return keys


def groups(items: list[pytest.Item]) -> dict[str, str]:
    """nodeid -> group name, for the tests that share a fixture instance (transitively)."""
    parent: dict[tuple[str, ...], tuple[str, ...]] = {}

    def find(key: tuple[str, ...]) -> tuple[str, ...]:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    found = {item.nodeid: sorted(_shared_keys(item)) for item in items}
    for keys in found.values():
        for other in keys[1:]:
            parent[find(other)] = find(keys[0])
    return {
        nodeid: ":".join(find(keys[0])).replace("/", ".") for nodeid, keys in found.items() if keys
    }


def _runs_meltano(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    return info is not None and "meltano_installed" in info.names_closure


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker, mark each test's group before xdist reads the marks, and put the
    Meltano pipelines (minutes of set-up each) first, so the short tests fill the end of the
    run on whichever worker is free (with ``--no-loadscope-reorder``, xdist hands out work in
    this order)."""
    if not hasattr(config, "workerinput"):
        return
    items.sort(key=lambda item: not _runs_meltano(item))
    named = groups(items)
    for item in items:
        if item.nodeid in named:
            item.add_marker(pytest.mark.xdist_group(named[item.nodeid]))


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and bool(config.getoption("numprocesses", None))


def pytest_configure(config: pytest.Config) -> None:
    """The controller makes the directory for the report's parts; workers inherit its path."""
    if _is_controller(config) and REPORT_PARTS not in os.environ:
        os.environ[REPORT_PARTS] = tempfile.mkdtemp(prefix="outreach-reliability-")
        config.stash[_PARTS_KEY] = os.environ[REPORT_PARTS]


def pytest_unconfigure(config: pytest.Config) -> None:
    parts = config.stash.get(_PARTS_KEY, None)
    if parts:
        shutil.rmtree(parts, ignore_errors=True)
        os.environ.pop(REPORT_PARTS, None)


_PARTS_KEY = pytest.StashKey[str]()
