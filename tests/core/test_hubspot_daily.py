"""This sync's share of the portal's daily limit, from HubSpot's daily headers."""

from __future__ import annotations

import pytest
import requests

from crm_sync.http import QuotaExhausted
from crm_sync.hubspot.daily import DAILY, DAILY_REMAINING, DailyShare


def reply(limit: int | None, remaining: int | None) -> requests.Response:
    response = requests.Response()
    if limit is not None and remaining is not None:
        response.headers[DAILY] = str(limit)
        response.headers[DAILY_REMAINING] = str(remaining)
    return response


def test_share_stops_further_calls_once_the_portal_has_used_it() -> None:
    share = DailyShare(0.5)
    share.observe(reply(1000, 600))
    share.check()  # 40 % used: go on
    assert share.left == 600
    share.observe(reply(1000, 500))
    with pytest.raises(QuotaExhausted) as stop:
        share.check()
    assert str(stop.value) == (
        "HubSpot API quota share reached: 500 of 1000 daily requests used (50.0%) >= "
        "max_daily_share 50%; stopping, the state is resumable"
    )
    share.observe(reply(1000, 900))  # a later reply (another day) does not lift the stop
    with pytest.raises(QuotaExhausted):
        share.check()


def test_without_daily_headers_or_share_nothing_stops() -> None:
    oauth = DailyShare(0.1)
    oauth.observe(reply(None, None))  # OAuth apps get no daily headers
    oauth.check()
    assert oauth.left is None
    unlimited = DailyShare(None)
    unlimited.observe(reply(1000, 0))
    unlimited.check()  # HubSpot's own 429 DAILY stops it, not this
