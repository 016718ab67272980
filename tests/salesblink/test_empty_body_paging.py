"""An empty 200 body never ends a paged read unseen: after a full page it is asked again,
and if still empty the list is read again (pages overlap by one row, so that page had to
hold at least the previous page's last row); on a first page it is a failure, never "no
lists"."""

from __future__ import annotations

import pytest
from support import SALESBLINK_NO_EVENTS, run_tap, salesblink_settings

from outreach_sandbox import SandboxServer

QUIET = {**SALESBLINK_NO_EVENTS, "salesblink.leads_per_list": 0, "salesblink.sequences": 0}
config = salesblink_settings


@pytest.mark.parametrize(
    ("lists", "times", "landed"),
    [
        (150, 1, 150),  # page 2 comes empty once: asked again, it has the other 50
        (100, 2, 100),  # after a full page, empty twice: the list is read again, all there
    ],
)
def test_an_empty_body_after_a_full_page_is_asked_again_then_the_list_read_again(
    lists, times, landed
):
    with SandboxServer(seed=91, scale=0.05, counts={"salesblink.lists": lists, **QUIET}) as server:
        server.control.add_faults(
            [
                {
                    "vendor": "salesblink",
                    "path": "/lists$",
                    "kind": "empty_body",
                    "after": 1,
                    "times": times,
                }
            ]
        )
        run = run_tap("tap-salesblink", config(server.url))
        truth = set(server.control.expected("salesblink", "lists")["keys"])
        remaining = [f["remaining"] for f in server.control.faults()]
    assert run.returncode == 0, run.stderr[-1500:]
    assert remaining == [0]
    ids = [r["id"] for r in run.records("lists")]
    assert len(ids) == len(set(ids)) == landed
    assert set(ids) == truth
    assert ("'lists' changed while it was read (pass 1)" in run.stderr) == (times == 2)


def test_an_empty_first_page_fails():
    with SandboxServer(seed=91, scale=0.05, counts={"salesblink.lists": 150, **QUIET}) as server:
        server.control.add_faults(
            [{"vendor": "salesblink", "path": "/lists$", "kind": "empty_body"}]
        )
        run = run_tap("tap-salesblink", config(server.url))
    assert run.returncode == 1
    assert "the body is empty" in run.stderr.strip().splitlines()[-1]
    assert not run.records("lists")
