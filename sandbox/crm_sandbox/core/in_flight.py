"""How many API calls the sandbox serves at once, per API: now and at the peak.

Tests observe a client's overlap through it (``peak_in_flight`` in ``crm-sandbox stats``):
two calls of one client served at the same time prove the client did not wait for one
reply before sending the next, without timing anything. In memory only: a restart or
``DELETE /__sandbox/stats`` starts the peaks again.
"""

from __future__ import annotations

import threading
from collections import Counter


class InFlight:
    """Calls being served, per API, and the most served at once since the last clear."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()

    def enter(self, api: str) -> None:
        with self._lock:
            self._now[api] += 1
            self._peak[api] = max(self._peak[api], self._now[api])

    def leave(self, api: str) -> None:
        with self._lock:
            self._now[api] -= 1

    def peak(self, api: str) -> int:
        with self._lock:
            return self._peak[api]

    def clear(self) -> None:
        """Forget the peaks (calls still being served count again from now)."""
        with self._lock:
            self._peak = Counter(self._now)
