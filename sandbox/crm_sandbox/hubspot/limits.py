"""HubSpot's API limits: a 10-second rolling window and a daily count per portal, plus
the search endpoints' own per-second limit (which replies carry no headers for).

Limits come from the fault settings (``hs_ten_second_max``, ``hs_daily_max``,
``hs_search_per_second``; Professional defaults), read on every call.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crm_sandbox.core.clock import Clock
    from crm_sandbox.core.faults import FaultDice

WINDOW_MS = 10_000


@dataclass(frozen=True)
class Verdict:
    policy: str | None
    """None when admitted, else TEN_SECONDLY_ROLLING, DAILY or SECONDLY."""
    headers: list[tuple[str, str]]


class Limits:
    def __init__(self, dice: FaultDice, clock: Clock, portal_id: int) -> None:
        self.dice = dice
        self.clock = clock
        self.portal_id = portal_id
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self._search: deque[float] = deque()
        self._day = ""
        self._daily = 0

    def reset(self) -> None:
        with self._lock:
            self._window.clear()
            self._search.clear()
            self._daily = 0

    def group(self, policy: str) -> str:
        return f"publicapi:private-app-api-{policy.lower()}:{self.portal_id}"

    def admit(self) -> Verdict:
        settings = self.dice.settings
        ten_max, daily_max = settings.hs_ten_second_max, settings.hs_daily_max
        secondly = max(1, ten_max // 10)
        now = time.monotonic()
        with self._lock:
            day = self.clock.now().date().isoformat()
            if day != self._day:
                self._day, self._daily = day, 0
            while self._window and self._window[0] <= now - WINDOW_MS / 1000:
                self._window.popleft()
            policy = None
            if self._daily >= daily_max:
                policy = "DAILY"
            elif len(self._window) >= ten_max:
                policy = "TEN_SECONDLY_ROLLING"
            else:
                self._window.append(now)
                self._daily += 1
            last_second = sum(1 for t in self._window if t > now - 1)
            headers = [
                ("X-HubSpot-RateLimit-Daily", str(daily_max)),
                ("X-HubSpot-RateLimit-Daily-Remaining", str(max(0, daily_max - self._daily))),
                ("X-HubSpot-RateLimit-Interval-Milliseconds", str(WINDOW_MS)),
                ("X-HubSpot-RateLimit-Max", str(ten_max)),
                ("X-HubSpot-RateLimit-Remaining", str(max(0, ten_max - len(self._window)))),
                ("X-HubSpot-RateLimit-Secondly", str(secondly)),
                ("X-HubSpot-RateLimit-Secondly-Remaining", str(max(0, secondly - last_second))),
            ]
        return Verdict(policy, headers)

    def admit_search(self) -> str | None:
        """None when a search call is admitted, else ``SECONDLY``."""
        limit = self.dice.settings.hs_search_per_second
        now = time.monotonic()
        with self._lock:
            while self._search and self._search[0] <= now - 1:
                self._search.popleft()
            if len(self._search) >= limit:
                return "SECONDLY"
            self._search.append(now)
        return None
