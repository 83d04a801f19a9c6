"""A rolling-window rate limit shared by a run's threads, following HubSpot's headers."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from pyrate_limiter import Duration, Limiter, Rate

if TYPE_CHECKING:
    import requests


class WindowLimiter:
    """A rolling-window limit shared by every thread of a run, paused by the server's word.

    The window itself is pyrate-limiter's; on top, a reply saying the window is spent
    (``X-HubSpot-RateLimit-Remaining: 0``) or a 429 pauses all callers until it has passed.
    """

    def __init__(self, max_calls: int, window_s: float = 10.0, margin: float = 1.0) -> None:
        self.margin = margin
        """Share of the limit to use: the server's window and ours are not aligned, so
        running at 100 % earns 429s whose retries waste calls (HubSpot: 0.95)."""
        self.max_calls = max(1, int(max_calls * margin))
        self.window_s = window_s
        self._limiter = Limiter(Rate(self.max_calls, Duration.SECOND * window_s))
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self.daily_remaining: int | None = None

    def acquire(self) -> None:
        while True:
            with self._lock:
                wait = self._paused_until - time.monotonic()
            if wait <= 0:
                break
            time.sleep(wait)
        self._limiter.try_acquire("calls", blocking=True)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def _lower_to(self, server_max: int) -> None:
        """Follow a server limit below ours (never raise it above the configured one)."""
        wanted = max(1, int(server_max * self.margin))
        with self._lock:
            if wanted >= self.max_calls:
                return
            self.max_calls = wanted
            self._limiter = Limiter(Rate(wanted, Duration.SECOND * self.window_s))

    def observe(self, response: requests.Response) -> None:
        """Learn from the server's rate-limit headers."""
        headers = response.headers
        remaining = headers.get("X-HubSpot-RateLimit-Remaining")
        interval_ms = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        if remaining is not None and remaining.isdigit() and int(remaining) <= 0:
            self.pause(float(interval_ms) / 1000 if interval_ms else self.window_s)
        server_max = headers.get("X-HubSpot-RateLimit-Max")
        if server_max is not None and server_max.isdigit():
            self._lower_to(int(server_max))
        daily = headers.get("X-HubSpot-RateLimit-Daily-Remaining")
        if daily is not None and daily.isdigit():
            self.daily_remaining = int(daily)
