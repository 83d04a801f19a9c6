"""The search walk at HubSpot's own search limit (the sandbox's 5 a second, counted over a
rolling second): with the tap's default setting its searches start evenly spaced, at 95 %
of the limit. The server counts arrivals, not starts: on a loaded machine a call delayed by
more than the margin (about 50 ms) can still bring six into one of its seconds, and that
search is retried; the tap's benches report the 429s of a quiet run (none)."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest
from tap_hubspot_custom.tap import HUBSPOT_SEARCH_PER_SECOND, SEARCH_MARGIN

from crm_sync.http import pacer
from tests.tap_hubspot_custom.conftest import run_tap_slowed
from tests.tap_hubspot_custom.sandbox_helpers import hubspot_ready, tap_config

pytestmark = pytest.mark.skipif(not hubspot_ready(), reason="HubSpot sandbox not registered")

SEARCH = "POST /crm/v3/objects/{objectType}/search"


def test_the_walk_searches_at_the_limit_spaced_evenly(
    clean_sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts: list[float] = []
    acquire = pacer.Pacer.acquire

    def recorded(self: pacer.Pacer) -> float:
        started = acquire(self)
        starts.append(started)
        return started

    monkeypatch.setattr(pacer.Pacer, "acquire", recorded)
    clean_sandbox.seed(hubspot={"project": 1_500})
    config = tap_config(
        clean_sandbox.env,
        objects=["project"],
        include_associations=[],
        page_size=10,
        search_page_size=10,  # many short searches: the walk is bound by the search limit
        max_requests_per_10s=190,
        search_index_lag_seconds=0,
    )
    assert "search_requests_per_second" not in config  # the tap's default: HubSpot's 5
    started = time.monotonic()
    run, stats = run_tap_slowed(clean_sandbox, config, latency_ms=20)
    elapsed = time.monotonic() - started

    ids = run.ids("project")
    assert len(ids) == len(set(ids)) == 1_500
    statuses = stats["statuses"]
    searches = statuses[SEARCH].get("200", 0)
    assert searches >= 15  # the walk read its part (a 20 ms call could do 40 a second)
    refused = statuses[SEARCH].get("429", 0)
    assert all("429" not in by for route, by in statuses.items() if route != SEARCH), statuses
    # Every search (retries included) started one interval after the one before it.
    interval = 1 / (HUBSPOT_SEARCH_PER_SECOND * SEARCH_MARGIN)
    assert len(starts) == searches + refused
    assert all(b - a >= interval * (1 - 1e-9) for a, b in pairwise(starts))
    assert elapsed >= (searches - 1) * interval
