"""API calls charged to the sink they were made for, with writes overlapping reads.

Batches of one stream are reconciled on the SDK's thread while an earlier batch (maybe
of another stream) is written on the pipeline's thread, so "calls made while this sink
was busy" no longer answers "calls of this sink". Each call is charged to the owner of
the thread making it: the SDK's and the writer's threads name their owner per stage
(:meth:`OwnedCallCounter.charging`), and each sink's worker pool names it once, in its
thread initializer (every sink has its own pool).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from crm_sync.http import CallCounter

_owner = threading.local()


def own_thread(owner: Hashable) -> None:
    """Charge every call of the current thread to ``owner`` (a pool's initializer)."""
    _owner.value = owner


@dataclass
class OwnedCallCounter(CallCounter):
    """A :class:`CallCounter` that also counts calls per owner of the calling thread."""

    by_owner: Counter[Hashable] = field(default_factory=Counter)

    def add(self, method: str) -> None:
        owner = getattr(_owner, "value", None)
        with self._lock:
            self.calls[method.upper()] += 1
            if owner is not None:
                self.by_owner[owner] += 1

    def of(self, owner: Hashable) -> int:
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
