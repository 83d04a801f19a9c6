"""A rolling-window rate limit shared by a run's threads, following HubSpot's headers."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from pyrate_limiter import Duration, Limiter, Rate

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests


class WindowLimiter:
    """A rolling-window limit shared by every thread of a run, paused by the server's word.

    The window itself is pyrate-limiter's; on top, a 429 pauses all callers for the wait
    it asks, and a reply saying the server's window is spent
    (``X-HubSpot-RateLimit-Remaining: 0``) pauses them until that window has surely freed
    a call: until the oldest of this run's replies still inside it leaves it (the server
    counted that call before its reply came; other apps' calls in the window can only be
    older, and leave sooner).
    """

    def __init__(
        self,
        max_calls: int,
        window_s: float = 10.0,
        margin: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.margin = margin
        """Share of the limit to use: the server's window and ours are not aligned, so
        running at 100 % earns 429s whose retries waste calls (HubSpot: 0.95)."""
        self.max_calls = max(1, int(max_calls * margin))
        self.window_s = window_s
        self._clock = clock
        self._limiter = Limiter(Rate(self.max_calls, Duration.SECOND * window_s))
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._replies: deque[float] = deque()
        """When this run's counted calls came back, within the last window (oldest first)."""
        self.daily_remaining: int | None = None

    @property
    def resume_at(self) -> float:
        """The clock's time before which no call starts (a pause the server asked for)."""
        with self._lock:
            return self._paused_until

    def acquire(self) -> None:
        while True:
            with self._lock:
                wait = self._paused_until - self._clock()
            if wait <= 0:
                break
            time.sleep(wait)
        self._limiter.try_acquire("calls", blocking=True)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _lower_to(self, server_max: int) -> None:
        """Follow a server limit below ours (never raise it above the configured one)."""
        wanted = max(1, int(server_max * self.margin))
        with self._lock:
            if wanted >= self.max_calls:
                return
            self.max_calls = wanted
            self._limiter = Limiter(Rate(wanted, Duration.SECOND * self.window_s))

    def _counted(self, window_s: float, spent: bool) -> None:
        """A reply to a call the server's window counted; ``spent``: it said the window
        has no call left, so every caller waits until it has surely freed one."""
        with self._lock:
            now = self._clock()
            replies = self._replies
            replies.append(now)
            while replies[0] <= now - max(window_s, self.window_s):
                replies.popleft()
            if spent:
                oldest = next((t for t in replies if t > now - window_s), now)
                self._paused_until = max(self._paused_until, oldest + window_s)

    def observe(self, response: requests.Response) -> None:
        """Learn from the server's rate-limit headers."""
        headers = response.headers
        remaining = headers.get("X-HubSpot-RateLimit-Remaining")
        interval_ms = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        if remaining is not None and remaining.isdigit():
            window_s = float(interval_ms) / 1000 if interval_ms else self.window_s
            self._counted(window_s, spent=int(remaining) <= 0)
        server_max = headers.get("X-HubSpot-RateLimit-Max")
        if server_max is not None and server_max.isdigit():
            self._lower_to(int(server_max))
        daily = headers.get("X-HubSpot-RateLimit-Daily-Remaining")
        if daily is not None and daily.isdigit():
            self.daily_remaining = int(daily)
