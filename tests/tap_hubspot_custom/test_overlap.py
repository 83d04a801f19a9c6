"""The list pull overlaps its calls (the next page is under way while a page's associations
are read), observed by the sandbox's count of calls served at once, and makes no extra
call for it."""

from __future__ import annotations

import pytest

from tests.tap_hubspot_custom.conftest import run_tap_slowed
from tests.tap_hubspot_custom.sandbox_helpers import hubspot_ready, tap_config

pytestmark = pytest.mark.skipif(not hubspot_ready(), reason="HubSpot sandbox not registered")

PROJECTS = 30
PAGE = 10
LIST = "GET /crm/v3/objects/{objectType}"
ASSOCIATIONS = "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read"


def test_next_page_is_in_flight_with_the_association_read(clean_sandbox) -> None:
    clean_sandbox.seed(hubspot={"companies": 2, "project": PROJECTS})
    cfg = tap_config(clean_sandbox.env, objects=["project"], page_size=PAGE, search_walk=False)
    run, stats = run_tap_slowed(clean_sandbox, cfg, latency_ms=200)
    assert sorted(run.ids("project")) == sorted(set(run.ids("project")))
    assert len(run.ids("project")) == PROJECTS
    # Two calls of one tap were served at the same time: the page sent ahead and the
    # association read of the page before it.
    assert stats["peak_in_flight"] >= 2
    # The calls are the ones a serial pull makes: one list call per page of live records
    # (the last page says there is no next), one for the archived list, and one v4
    # association read per page.
    calls = stats["calls"]
    assert calls[LIST] == PROJECTS // PAGE + 1
    assert calls[ASSOCIATIONS] == PROJECTS // PAGE
