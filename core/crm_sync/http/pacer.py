"""Calls spaced evenly in time, shared by every thread of a run."""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class Pacer:
    """One call every ``1 / per_second`` seconds, measured from the previous call's start.

    A rolling-window limiter lets a whole window's calls through at once and then none
    until they age out; a server counting over a shorter or unaligned window sees that
    burst. Paced calls never come closer than the interval, so any window of the server's
    holds at most its length times the rate (plus one call at its edge), and an idle
    spell earns no burst afterwards. The clock and the sleep are injectable for tests.
    """

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not per_second > 0 or math.isinf(per_second):
            raise ValueError(f"a pacer needs a positive finite rate, not {per_second!r}")
        self.per_second = per_second
        self.interval_s = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = -math.inf
        """Earliest start of the next call."""
        self._paused_until = -math.inf

    def acquire(self) -> float:
        """Wait for this call's turn; returns the clock's reading when it was given."""
        while True:
            with self._lock:
                now = self._clock()
                at = max(self._next, self._paused_until)
                if now >= at:
                    self._next = now + self.interval_s
                    return now
            self._sleep(at - now)

    def pause(self, seconds: float) -> None:
        """No call starts in the next ``seconds`` (the server asked for a wait)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
