"""`tenant_deletes`: a tenant run's ACTIVATE_VERSION names the tenant, and only when asked.

Without the setting a tenant run retires nothing (a whole-table loader would retire the
other tenants' rows); without `tenant` the setting changes nothing."""

from __future__ import annotations

import json

import pytest

from outreach_kit.errors import ConfigurationError
from outreach_kit.tap import CheckpointFlushingWriter
from outreach_kit.tenant_versions import TenantActivateVersionMessage, retiring_tenant


@pytest.mark.parametrize(
    ("config", "tenant"),
    [
        ({"tenant": "acme", "tenant_deletes": True}, "acme"),
        ({"tenant": "acme", "tenant_deletes": False}, None),
        ({"tenant": "acme"}, None),
        ({"tenant_deletes": True}, None),
        ({"tenant": "", "tenant_deletes": True}, None),
    ],
)
def test_the_tenant_whose_rows_a_run_may_retire(config, tenant):
    assert retiring_tenant(config) == tenant


def test_a_bad_tenant_name_still_fails_clearly():
    with pytest.raises(ConfigurationError, match="Setting 'tenant'"):
        retiring_tenant({"tenant": "Acme Corp", "tenant_deletes": True})


def test_the_message_carries_the_tenant_as_written():
    message = TenantActivateVersionMessage(stream="lists", version=7, tenant="acme")
    line = CheckpointFlushingWriter().format_message(message)
    assert json.loads(line) == {
        "type": "ACTIVATE_VERSION",
        "stream": "lists",
        "version": 7,
        "tenant": "acme",
    }
