"""Check a stream's saved bookmark before a tap trusts it.

A bookmark in the future (hand-edited state, a clock gone wrong) would make every run
read nothing, silently and forever; one that is not a timestamp at all would fail deep
in singer-sdk (``InvalidStreamSortException``). Both stop the run up front with one
line naming the stream and the value, and saying how to fix the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_sync.stops import BookmarkError

__all__ = ["CLOCK_SKEW", "check_bookmark"]

CLOCK_SKEW = timedelta(hours=1)
"""How far ahead of this machine's clock a bookmark may be (servers' clocks drift a little)."""

_FIX = (
    "fix it with `meltano state edit <state id>` "
    "(or `meltano state clear <state id>` to read everything again)"
)


def check_bookmark(
    stream: str, state: Mapping[str, Any], *, now: datetime | None = None
) -> datetime | None:
    """The stream's bookmark as a UTC time (``None`` if it has none); raise if unusable.

    Raises:
        BookmarkError: the bookmark is not a timestamp, or lies more than
            :data:`CLOCK_SKEW` in the future.
    """
    value = state.get("replication_key_value")
    if value is None:
        return None
    key = state.get("replication_key") or "bookmark"
    where = f"stream {stream}: bookmark {key}={value!r}"
    try:
        stamp = datetime.fromisoformat(str(value))
    except ValueError:
        raise BookmarkError(f"{where} is not a timestamp; {_FIX}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    if stamp > current + CLOCK_SKEW:
        raise BookmarkError(
            f"{where} is in the future (now {current.isoformat(timespec='seconds')}), "
            f"so no record would ever be read; {_FIX}"
        )
    return stamp
