"""singer-sdk's standard tap tests against a sandbox that lives only as long as the tests.

`get_tap_test_class` wants a config when the module is imported; a sandbox started there
would never be stopped. The class below is built with a config pointing nowhere (building it
reads only the catalog) and its runner fixture starts the sandbox, syncs, and stops it after
the class's tests.
"""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.testing import SuiteConfig, TapTestRunner, get_tap_test_class

from outreach_sandbox import SandboxServer

#: Nothing listens here (port 9, discard): building the class must not make a request.
_NOWHERE = "http://127.0.0.1:9"
#: The sandbox's data is clean, so the rejects stream stays empty.
SUITE = SuiteConfig(ignore_no_records_for_streams=["rejected_records"])


def standard_tap_tests(
    tap_class: type, make_config: t.Callable[[str], dict], *, seed: int, scale: float
) -> type:
    """The SDK's test class for `tap_class`, run against a `SandboxServer(seed, scale)`."""
    base = get_tap_test_class(tap_class, config=make_config(_NOWHERE), suite_config=SUITE)

    class StandardTests(base):  # type: ignore[misc, valid-type]
        @pytest.fixture(scope="class")
        def runner(self) -> t.Iterator[TapTestRunner]:
            with SandboxServer(seed=seed, scale=scale) as server:
                runner = TapTestRunner(
                    tap_class=tap_class,
                    config=make_config(server.url),
                    suite_config=SUITE,
                    parse_env_config=True,
                )
                runner.sync_all()
                yield runner

    return StandardTests
