"""The xdist grouping (tests/parallel.py): shared set-up stays on one worker, the rest spreads."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from parallel import MELTANO_SECONDS, RUN_DIR, groups, longest_first

TESTS = Path(__file__).resolve().parent
#: A suite of its own: six tests share a module fixture that counts its set-ups.
INNER = """
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def shared():
    with Path(os.environ["SETUPS"]).open("a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")


@pytest.mark.parametrize("n", range(6))
def test_shared(shared, n):
    pass


@pytest.mark.parametrize("n", range(6))
def test_alone(n):
    pass
"""


@dataclass
class Fixture:
    scope: str
    baseid: str = "tests/area"
    argnames: tuple[str, ...] = ()


@dataclass
class Info:
    name2fixturedefs: dict[str, list[Fixture]]
    names_closure: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.names_closure = ["request", *self.name2fixturedefs]


@dataclass
class CallSpec:
    indices: dict[str, int]


@dataclass
class Item:
    nodeid: str
    _fixtureinfo: Info
    callspec: CallSpec | None = None
    marks: tuple[pytest.Mark, ...] = ()

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return next((mark for mark in self.marks if mark.name == name), None)

    @property
    def path(self) -> Path:
        return Path(self.nodeid.split("::")[0])


def _item(nodeid: str, **fixtures: Fixture) -> Item:
    return Item(nodeid, Info({name: [fixture] for name, fixture in fixtures.items()}))


def test_tests_sharing_a_fixture_instance_share_a_group():
    module, session = Fixture("module"), Fixture("session")
    items = [
        _item("tests/a/test_x.py::test_1", sandbox=module),
        _item("tests/a/test_x.py::test_2", sandbox=module, tmp_path=Fixture("function")),
        _item("tests/a/test_y.py::test_1", sandbox=module),  # another module: another instance
        _item("tests/b/test_z.py::test_1", warehouses=session),
        _item("tests/b/test_w.py::test_1", warehouses=session, report=module),
        _item("tests/b/test_w.py::test_2", report=module),  # joins through `report`
    ]
    found = groups(items)
    assert found["tests/a/test_x.py::test_1"] == found["tests/a/test_x.py::test_2"]
    assert found["tests/a/test_x.py::test_1"] != found["tests/a/test_y.py::test_1"]
    b = {found[i.nodeid] for i in items[3:]}
    assert len(b) == 1
    assert b.isdisjoint({found[i.nodeid] for i in items[:3]})


def test_class_scope_groups_the_class_only():
    runner = Fixture("class")
    items = [
        _item("tests/t.py::TestA::test_1", runner=runner),
        _item("tests/t.py::TestA::test_2", runner=runner),
        _item("tests/t.py::TestB::test_1", runner=runner),
    ]
    found = groups(items)
    assert found[items[0].nodeid] == found[items[1].nodeid] != found[items[2].nodeid]


def test_each_parameter_of_a_module_fixture_is_a_group_of_its_own():
    """`pipeline` (module scope, two params) and `synced` (module scope, on top of it): pytest
    sets both up once per param, so the params' tests share nothing and may run apart."""
    pipeline = Fixture("module", argnames=("request", "tmp_path_factory"))
    synced = Fixture("module", argnames=("pipeline",))
    fixtures = {"pipeline": pipeline, "synced": synced}

    def item(test: str, param: int) -> Item:
        nodeid = f"tests/e2e/test_d.py::{test}[{param}]"
        definitions = {name: [fixture] for name, fixture in fixtures.items()}
        return Item(nodeid, Info(definitions), CallSpec({"pipeline": param}))

    items = [item("test_1", 0), item("test_2", 0), item("test_1", 1), item("test_2", 1)]
    found = groups(items)
    assert found[items[0].nodeid] == found[items[1].nodeid]
    assert found[items[2].nodeid] == found[items[3].nodeid]
    assert found[items[0].nodeid] != found[items[2].nodeid]


def test_worker_safe_and_plugin_fixtures_do_not_group():
    items = [
        _item(
            "tests/e2e/test_a.py::test_1",
            postgres_url=Fixture("session", "tests"),
            meltano_installed=Fixture("session", "tests"),
            reliability_report=Fixture("session", "tests/reliability"),
            tmp_path_factory=Fixture("session", ""),
        ),
        _item("tests/e2e/test_b.py::test_1", postgres_url=Fixture("session", "tests")),
        _item("tests/e2e/test_c.py::test_1", monkeypatch=Fixture("function", "")),
    ]
    assert groups(items) == {}


def test_longest_units_start_first_and_keep_their_tests_together():
    """Units in order of their longest test's `long(seconds=...)` (a Meltano pipeline
    without one counts MELTANO_SECONDS); a unit's tests and the short tests keep their
    collection order, after every long unit."""
    module, installed = Fixture("module"), Fixture("session", "tests")

    def item(nodeid: str, seconds: float | None = None, **fixtures: Fixture) -> Item:
        found = _item(nodeid, **fixtures)
        kwargs = {} if seconds is None else {"seconds": seconds}
        found.marks = (pytest.mark.long(**kwargs).mark,)
        return found

    items = [
        _item("tests/a/test_short.py::test_1"),
        item("tests/b/test_mid.py::test_1", 100, deployment=module),
        _item("tests/b/test_mid.py::test_2", deployment=module),  # its unit's mark counts
        _item("tests/c/test_meltano.py::test_1", meltano_installed=installed),
        _item("tests/a/test_short.py::test_2"),
        item("tests/d/test_long.py::test_1", 200),
        item("tests/e/test_unmarked_long.py::test_1"),
    ]
    found = groups(items)
    assert MELTANO_SECONDS < 100
    assert [i.nodeid for i in longest_first(items, found)] == [
        "tests/d/test_long.py::test_1",
        "tests/b/test_mid.py::test_1",
        "tests/b/test_mid.py::test_2",
        "tests/c/test_meltano.py::test_1",
        "tests/e/test_unmarked_long.py::test_1",
        "tests/a/test_short.py::test_1",
        "tests/a/test_short.py::test_2",
    ]


def test_two_workers_set_a_shared_fixture_up_once(tmp_path):
    """Through pytest-xdist itself: the grouping must reach its scheduler (xdist's own
    loadgroup loses it under pytest 9, and the fixture is then set up on both workers)."""
    (tmp_path / "test_inner.py").write_text(INNER)
    setups = tmp_path / "setups.txt"
    env = {k: v for k, v in os.environ.items() if k != RUN_DIR and not k.startswith("PYTEST_")}
    env.update({"PYTHONPATH": str(TESTS), "SETUPS": str(setups)})
    command = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-p"]
    command += ["parallel", "-p", "no:cacheprovider", "-q", str(tmp_path)]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "12 passed" in result.stdout
    assert len(setups.read_text().split()) == 1
