"""The xdist grouping (tests/parallel.py): shared set-up stays on one worker, the rest spreads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from parallel import groups


@dataclass
class Fixture:
    scope: str
    baseid: str = "tests/area"


@dataclass
class Info:
    name2fixturedefs: dict[str, list[Fixture]]
    names_closure: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.names_closure = ["request", *self.name2fixturedefs]


@dataclass
class Item:
    nodeid: str
    _fixtureinfo: Info

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
