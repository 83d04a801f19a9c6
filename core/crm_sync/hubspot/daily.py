"""This sync's share of the portal's daily API limit (HubSpot's ``max_daily_share``).

A private app's replies carry the portal's daily limit and what is left of it today
(``X-HubSpot-RateLimit-Daily`` / ``X-HubSpot-RateLimit-Daily-Remaining``); the limit is
the portal's, shared with every other app. Once this sync has seen the portal's usage
reach its share, it makes no further call: :meth:`DailyShare.check` raises
:class:`~crm_sync.http.QuotaExhausted` (exit 3, the state saved so far is resumable),
as ``max_api_share`` does for the Salesforce org. OAuth apps' replies carry no daily
headers (API notes: "private apps add -Daily"), so the share is not checked for them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crm_sync.http import QuotaExhausted

if TYPE_CHECKING:
    import requests

__all__ = ["DAILY", "DAILY_REMAINING", "DEFAULT_MAX_DAILY_SHARE", "DailyShare"]

LOGGER = logging.getLogger("crm_sync.hubspot")

DAILY = "X-HubSpot-RateLimit-Daily"
DAILY_REMAINING = "X-HubSpot-RateLimit-Daily-Remaining"
DEFAULT_MAX_DAILY_SHARE = 0.8
"""The plugins' default: leave a fifth of the portal's day to its other apps."""


def _count(response: requests.Response, header: str) -> int | None:
    value = response.headers.get(header)
    return int(value) if value is not None and value.strip().isdigit() else None


@dataclass
class DailyShare:
    """The portal's daily usage as last reported, and whether this sync must stop."""

    share: float | None = None
    """Stop once ``used / limit`` reaches it (None: only HubSpot's own limit stops)."""
    setting: str = "max_daily_share"
    """The plugin setting that gave :attr:`share`, named in the stop's message."""
    used: int | None = None
    limit: int | None = None
    message: str | None = None
    """Why no further call is made, once the share is reached."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, response: requests.Response) -> None:
        """Read the daily headers of a reply; past the share, stop further calls."""
        limit, remaining = _count(response, DAILY), _count(response, DAILY_REMAINING)
        if limit is None or remaining is None or limit <= 0:
            return
        with self._lock:
            self.limit, self.used = limit, max(0, limit - remaining)
            if self.share is None or self.message is not None:
                return
            used_share = self.used / limit
            if used_share < self.share:
                return
            self.message = (
                f"HubSpot API quota share reached: {self.used} of {limit} daily requests "
                f"used ({used_share:.1%}) >= {self.setting} {self.share:.0%}; stopping, "
                "the state is resumable"
            )
        LOGGER.warning(self.message)

    def check(self) -> None:
        """Raise :class:`QuotaExhausted` once the share is reached (before a call)."""
        if self.message is not None:
            raise QuotaExhausted(self.message)

    @property
    def left(self) -> int | None:
        """Daily calls the portal has left, as last reported."""
        return None if self.used is None or self.limit is None else self.limit - self.used
