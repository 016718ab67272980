"""Running the suite on several pytest-xdist workers (`make test`: ``-n 3 --dist loadgroup``).

A module- or session-scoped fixture is built once per worker that uses it, so every test sharing
an expensive fixture instance (a sandbox dataset, a first sync, a ``meltano run``, a dbt build)
is put in one work unit: the set-up then still runs once. Tests that share nothing are spread
one by one; each parameter of a parametrized fixture is an instance of its own
(tests/e2e/test_deletes.py's two warehouses run on two workers). The groups come from the
fixtures each test uses, not from marks, so a new test is grouped right without anyone
remembering to mark it. Units start longest first (`long(seconds=...)` marks, Meltano pipelines,
then the short tests in collection order), so both workers end together. Three session fixtures
are worker-safe instead of grouped: ``postgres_url`` (a server per worker, on its own port and
directory), ``meltano_installed`` (``meltano install`` under a file lock) and
``reliability_report`` (each worker writes its part, and the report is rendered from every part;
see tests/reliability/conftest.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import typing as t
from pathlib import Path

import pytest

#: Session fixtures each worker may build on its own without a cost or a conflict.
PER_WORKER = frozenset({"postgres_url", "meltano_installed", "reliability_report"})
#: The run's shared directory (made by the xdist controller, inherited by the workers): the
#: groups the workers found, the parts of the reliability report.
RUN_DIR = "OUTREACH_XDIST_RUN_DIR"
#: Held while a script may apt-get install (PostgreSQL, Chromium): dpkg allows one at a time.
PACKAGES_LOCK = Path(tempfile.gettempdir()) / "outreach-tests-packages.lock"


@contextlib.contextmanager
def locked(path: Path) -> t.Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing), across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


#: Folders of `.meltano` holding installed plugins (as in outreach_orchestration.runner).
MELTANO_PLUGIN_DIRS = ("extractors", "loaders", "mappers", "utilities", "transformers", "files")


def meltano_sys_dir(root: Path, workdir: Path) -> dict[str, str]:
    """Environment giving a test's Meltano runs a system directory of their own that shares
    the installed plugins: Meltano writes each tap's catalog and state to one file under
    `.meltano/run/<plugin>/`, which two workers running the same tap would both use."""
    own = workdir / "meltano-sys"
    own.mkdir(parents=True, exist_ok=True)
    for name in MELTANO_PLUGIN_DIRS:
        link, shared = own / name, root / ".meltano" / name
        if shared.is_dir() and not link.is_symlink():
            link.symlink_to(shared, target_is_directory=True)
    return {"MELTANO_SYS_DIR_ROOT": str(own)}


def _params(name: str, info: t.Any, indices: dict[str, int]) -> tuple[str, ...]:
    """The parameters fixture `name` is set up for: its own and those of the fixtures it
    depends on (pytest sets a module fixture up again for each parameter of a fixture below
    it), e.g. ``("pipeline=0",)``. Each parameter is an instance of its own."""
    found, todo, seen = set(), [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in indices:
            found.add(f"{current}={indices[current]}")
        definitions = info.name2fixturedefs.get(current)
        if definitions:
            todo += [arg for arg in definitions[-1].argnames if arg != "request"]
    return tuple(sorted(found))


def _shared_keys(item: pytest.Item) -> set[tuple[str, ...]]:
    """The fixture instances `item` shares with other tests (one key per instance)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set()
    callspec = getattr(item, "callspec", None)
    indices: dict[str, int] = dict(callspec.indices) if callspec is not None else {}
    keys: set[tuple[str, ...]] = set()
    for name in info.names_closure:
        definitions = info.name2fixturedefs.get(name)
        if not definitions:
            continue
        fixture = definitions[-1]
        # Plugins' fixtures (tmp_path_factory, ...) have no base id and hold no set-up of ours.
        if fixture.scope == "function" or not fixture.baseid or name in PER_WORKER:
            continue
        params = _params(name, info, indices)
        if fixture.scope == "session":
            keys.add((name, fixture.baseid, *params))
        elif fixture.scope == "package":
            keys.add((name, str(item.path.parent), *params))
        elif fixture.scope == "module":
            keys.add((name, item.nodeid.split("::")[0], *params))
        else:  # class
            keys.add((name, item.nodeid.rsplit("::", 1)[0], *params))
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


#: How long a Meltano work unit is taken to run when none of its tests says (`long`'s
#: `seconds`): more than any unit of plain tests.
MELTANO_SECONDS = 60.0


def _seconds(item: pytest.Item) -> float:
    """About how long the work unit of `item` runs on `make test`'s busy workers: its `long`
    mark's `seconds`, MELTANO_SECONDS for an unmarked `long` test or Meltano pipeline, 0 for
    the rest (short tests, which fill the end of the run)."""
    marker = item.get_closest_marker("long")
    if marker is not None:
        return float(marker.kwargs.get("seconds", MELTANO_SECONDS))
    info = getattr(item, "_fixtureinfo", None)
    meltano = info is not None and "meltano_installed" in info.names_closure
    return MELTANO_SECONDS if meltano else 0.0


def longest_first(items: list[pytest.Item], found: dict[str, str]) -> list[pytest.Item]:
    """`items` with the work units (`found`: nodeid -> group) in order of their longest
    test's `_seconds`, longest first, so the workers end together; a unit's tests, and
    units of the same length, keep their collection order."""
    cost: dict[str, float] = {}
    for item in items:
        unit = found.get(item.nodeid, item.nodeid)
        cost[unit] = max(cost.get(unit, 0.0), _seconds(item))
    return sorted(items, key=lambda item: -cost[found.get(item.nodeid, item.nodeid)])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker: start the longest work units first (Meltano pipelines, tests
    marked `long`), so the short tests fill the end of the run on whichever worker is free,
    and leave the groups where the controller's scheduler reads them (every worker collects
    the same tests, and the scheduler hands units out in the order of their first test)."""
    if not hasattr(config, "workerinput") or RUN_DIR not in os.environ:
        return
    found = groups(items)
    items[:] = longest_first(items, found)
    path = Path(os.environ[RUN_DIR]) / "groups.json"
    partial = path.with_name(f"groups-{config.workerinput['workerid']}.tmp")
    partial.write_text(json.dumps(found), encoding="utf-8")
    partial.replace(path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: t.Any) -> t.Any:
    """``--dist loadgroup`` with the groups found from fixtures, in collection order.

    xdist's own loadgroup reads ``xdist_group`` marks by rewriting each item's nodeid, which
    pytest 9 no longer allows (the rewrite is silently lost), so the scheduler is ours."""
    if config.getoption("dist") != "loadgroup" or RUN_DIR not in os.environ:
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedSetupScheduling(LoadScopeScheduling):
        """One work unit per group (the tests sharing a set-up), one per other test."""

        named: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.named is None:
                path = Path(os.environ[RUN_DIR]) / "groups.json"
                self.named = json.loads(path.read_text(encoding="utf-8"))
            return self.named.get(nodeid, nodeid)

    config.option.loadscopereorder = False
    return SharedSetupScheduling(config, log)


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and bool(config.getoption("numprocesses", None))


def pytest_configure(config: pytest.Config) -> None:
    """The controller makes the run's directory; workers inherit its path."""
    if _is_controller(config) and RUN_DIR not in os.environ:
        os.environ[RUN_DIR] = tempfile.mkdtemp(prefix="outreach-xdist-")
        config.stash[_RUN_DIR_KEY] = os.environ[RUN_DIR]


def pytest_unconfigure(config: pytest.Config) -> None:
    made = config.stash.get(_RUN_DIR_KEY, None)
    if made:
        shutil.rmtree(made, ignore_errors=True)
        os.environ.pop(RUN_DIR, None)


_RUN_DIR_KEY = pytest.StashKey[str]()
