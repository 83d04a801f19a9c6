"""singer-sdk's standard tap tests against a small seeded sandbox portal.

The SDK's test factory discovers streams while the module is collected, so this
module starts its own sandbox at import time and stops it when the module is done.
"""

from __future__ import annotations

import atexit
import tempfile
from collections.abc import Iterator

import pytest
from singer_sdk.testing import get_tap_test_class
from tap_hubspot_custom.tap import TapHubSpotCustom

from tests.tap_hubspot_custom.sandbox_helpers import hubspot_ready, tap_config

if not hubspot_ready():  # pragma: no cover - until the HubSpot sandbox is registered
    pytest.skip("HubSpot sandbox not registered yet", allow_module_level=True)

from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.process import start, stop

_DATA_DIR = DataDir(tempfile.mkdtemp(prefix="tap-hs-standard-"))
_HANDLE = start(_DATA_DIR)
# Every xdist worker imports this module while collecting, but only the one that runs
# its tests gets the fixture's teardown: stop the server at interpreter exit as well.
atexit.register(stop, _DATA_DIR)
_HANDLE.seed(hubspot={"companies": 20, "project": 50, "contacts": 10})

TestTapHubSpotStandard = get_tap_test_class(
    TapHubSpotCustom,
    config=tap_config(_HANDLE.env, objects=["project", "companies", "contacts"]),
)


@pytest.fixture(scope="module", autouse=True)
def _stop_sandbox() -> Iterator[None]:
    yield
    stop(_DATA_DIR)
