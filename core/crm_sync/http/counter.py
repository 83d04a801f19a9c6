"""API calls of one plugin run: by method, by route, retries, and by owner.

One counter per API per run, shared by every thread. The owner of a call is whoever the
calling thread works for (a sink, a stream): threads name it with :func:`own_thread`
(a pool's initializer) or :meth:`CallCounter.charging` (a block), so a run report can
say what each sink cost while writes of one sink overlap reads of another.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_owner = threading.local()


def own_thread(owner: Hashable) -> None:
    """Charge every call of the current thread to ``owner`` (a pool's initializer)."""
    _owner.value = owner


@dataclass
class CallCounter:
    """API calls made, by method and route; shared by the threads of one plugin run."""

    calls: Counter[str] = field(default_factory=Counter)
    """By HTTP method (``GET``, ``POST`` …)."""
    routes: Counter[str] = field(default_factory=Counter)
    """By route label (``POST /crm/v3/objects/{objectType}/search``), when callers give one."""
    by_owner: Counter[Hashable] = field(default_factory=Counter)
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, method: str, route: str | None = None) -> None:
        owner = getattr(_owner, "value", None)
        with self._lock:
            self.calls[method.upper()] += 1
            if route:
                self.routes[route] += 1
            if owner is not None:
                self.by_owner[owner] += 1

    def add_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def of(self, owner: Hashable) -> int:
        """Calls charged to ``owner``."""
        with self._lock:
            return self.by_owner[owner]

    @contextmanager
    def charging(self, owner: Hashable) -> Iterator[None]:
        """Charge the current thread's calls to ``owner`` inside the block."""
        before = getattr(_owner, "value", None)
        _owner.value = owner
        try:
            yield
        finally:
            _owner.value = before
