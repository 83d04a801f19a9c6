"""The sandbox clock: wall time that tests can freeze or move, shared by both APIs.

Server-maintained timestamps (SystemModstamp, hs_lastmodifieddate) come from here,
so tests can produce same-millisecond modifications or jump a day ahead without sleeping.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Millisecond-precision UTC clock with an adjustable offset and an optional freeze."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta()
        self._frozen_at: datetime | None = None

    def now(self) -> datetime:
        """Current sandbox time, truncated to milliseconds (the precision both APIs store)."""
        with self._lock:
            current = self._frozen_at or (datetime.now(UTC) + self._offset)
        return current.replace(microsecond=current.microsecond // 1000 * 1000)

    @property
    def frozen(self) -> bool:
        """Whether time stands still (every write gets the same instant)."""
        with self._lock:
            return self._frozen_at is not None

    def freeze(self, at: datetime | None = None) -> None:
        """Stop time at ``at`` (default: now) until :meth:`unfreeze` or :meth:`advance`."""
        with self._lock:
            self._frozen_at = (at or datetime.now(UTC) + self._offset).astimezone(UTC)

    def unfreeze(self) -> None:
        """Let time run again from the frozen instant."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - datetime.now(UTC)
            self._frozen_at = None

    def advance(self, delta: timedelta) -> None:
        """Move time forward (or back, with a negative delta), frozen or not."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta

    def reset(self) -> None:
        """Back to real time: no offset, not frozen."""
        with self._lock:
            self._offset = timedelta()
            self._frozen_at = None

    def state(self) -> dict[str, object]:
        """The exact offset and freeze, for :meth:`restore` in another process."""
        with self._lock:
            frozen = self._frozen_at
            offset = self._offset
        return {
            "offset_us": offset // timedelta(microseconds=1),
            "frozen_at": frozen.isoformat() if frozen else None,
        }

    def restore(self, state: dict[str, object]) -> None:
        """Take the state another process's :meth:`state` gave (its HubSpot process, in step)."""
        frozen = state.get("frozen_at")
        with self._lock:
            self._offset = timedelta(microseconds=int(str(state.get("offset_us", 0))))
            self._frozen_at = datetime.fromisoformat(frozen) if isinstance(frozen, str) else None

    def describe(self) -> dict[str, object]:
        """The clock's state for the control API."""
        with self._lock:
            frozen = self._frozen_at
            offset = self._offset
        return {
            "now": self.now().isoformat(),
            "frozen": frozen is not None,
            "offset_ms": int(offset.total_seconds() * 1000),
        }
