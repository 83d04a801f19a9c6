"""STATE only once the records before it are durable, through singer-sdk's public hooks.

singer-sdk writes the latest STATE it was given after every drain (``Target.drain_all``).
A target whose sinks hand batches to a writer thread, or that plans without writing (dry
run), must not let a STATE reach the SDK before the records read before it are written
to the destination and committed to the ledger: meltano would save the tap's bookmark
and the next run would start after records that were never written.

So the STATE messages themselves are held back. :class:`GatedReader` (the target's
``message_reader``, a public constructor argument of ``Target``) counts the RECORD
messages it reads and gives each STATE to :class:`StateGate` with that position instead
of to the SDK. Sinks tell the gate which records are not durable yet: the position of
the first record in their buffer (:meth:`StateGate.buffered`), and a :class:`Ticket` per
drained batch until its writes are committed (:meth:`StateGate.drained`,
:meth:`Ticket.close`). A STATE read after ``N`` records is handed to the SDK as soon as
every record before ``N`` is durable; a dry run's gate hands over none.

singer-sdk writes the STATE it holds only when it drains *every* sink (at the end of the
input, or when a record has waited ``_MAX_RECORD_AGE_IN_MINUTES``), not when one full
sink drains, so a killed first import would leave meltano no bookmark at all. The gate
therefore also hands each STATE it releases during the run to a :class:`DurableStateWriter`,
which writes it to stdout at once (at most every ``state_interval_seconds``): meltano
saves every STATE line a target prints as it comes, and a killed run resumes there.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import IO, Any

from singer_sdk import typing as th
from singer_sdk.io_base import SingerMessageType

from crm_sync.wire import MessageReader

__all__ = ["STATE_INTERVAL_SETTING", "DurableStateWriter", "GatedReader", "StateGate", "Ticket"]

log = logging.getLogger(__name__)

Callback = Callable[[dict[str, Any]], None]

STATE_INTERVAL_SETTING = th.Property(
    "state_interval_seconds",
    th.IntegerType,
    default=0,
    description="Least seconds between two STATE messages written during a run, each "
    "only once the records it covers are written and committed to the ledger (0: after "
    "every such batch). Meltano saves each one, so a killed run resumes from the last; "
    "raise it when each save is costly (a remote state backend).",
)
"""Both targets' setting for :class:`DurableStateWriter`'s ``interval``."""


class DurableStateWriter:
    """Writes released STATE values to the target's stdout during the run, throttled.

    What singer-sdk's own end-of-drain write does (one JSON line, flushed), for the STATE
    the gate releases between full drains. A value equal to the last one written, or one
    that comes sooner than ``interval`` seconds after it, is not written (a later one, or
    the SDK's write at the end of the input, covers it).
    """

    def __init__(
        self,
        interval: float = 0.0,
        *,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.stream = stream
        self.clock = clock
        self.written = 0
        """STATE lines written so far."""
        self._last: dict[str, Any] | None = None
        self._last_at: float | None = None

    def __call__(self, value: dict[str, Any]) -> None:
        if value == self._last:
            return
        now = self.clock()
        if self._last_at is not None and now - self._last_at < self.interval:
            return
        stream = self.stream or sys.stdout  # looked up late: tests and the SDK swap it
        stream.write(json.dumps(value) + "\n")
        stream.flush()
        self._last, self._last_at = value, now
        self.written += 1


class Ticket:
    """One drained batch whose writes are not durable yet."""

    def __init__(self, gate: StateGate, start: int) -> None:
        self.gate = gate
        self.start = start

    def close(self) -> None:
        """The batch is written and committed: STATE may now cover it."""
        self.gate.finished(self)


class StateGate:
    """Holds STATE messages until the records read before each one are durable."""

    def __init__(self, *, withhold: bool = False, on_release: Callback | None = None) -> None:
        self.withhold = withhold
        """Never pass STATE on (a dry run plans; the next real run must re-read)."""
        self.on_release = on_release
        """Also given each released STATE's value (a :class:`DurableStateWriter`)."""
        self.position = 0
        """RECORD messages read so far (the position of the record being processed)."""
        self._held: deque[tuple[int, dict[str, Any]]] = deque()
        self._buffers: dict[Hashable, int] = {}
        self._open: set[Ticket] = set()
        self._lock = threading.Lock()
        self._deliver: Callback | None = None
        self._warned = False
        self._settled = False
        """A batch became durable since the last look (only then can a held STATE go)."""

    # ------------------------------------------------------------------ sinks
    def buffered(self, owner: Hashable) -> None:
        """``owner`` buffered the current record (only the first one since a drain counts)."""
        with self._lock:
            self._buffers.setdefault(owner, self.position)

    def drained(self, owner: Hashable) -> Ticket:
        """``owner``'s buffer became a batch being written; close the ticket once durable."""
        with self._lock:
            start = self._buffers.pop(owner, self.position)
            ticket = Ticket(self, start)
            self._open.add(ticket)
            return ticket

    def finished(self, ticket: Ticket) -> None:
        """``ticket``'s batch is durable."""
        with self._lock:
            self._open.discard(ticket)
            self._settled = True

    def safe_position(self) -> int | None:
        """Every record before this position is durable (None: every record read)."""
        with self._lock:
            starts = [*self._buffers.values(), *(t.start for t in self._open)]
        return min(starts) if starts else None

    # ------------------------------------------------------------------ reader
    def record_read(self) -> None:
        """A RECORD message was processed; pass on what became safe meanwhile."""
        self.position += 1
        if self._held and self._settled:
            self.release()

    def offer(self, message: dict[str, Any], deliver: Callback) -> None:
        """A STATE message read after :attr:`position` records: hold it, pass it when safe."""
        self._deliver = deliver
        if self.withhold:
            if not self._warned:
                log.info("dry run: STATE withheld so the next real run re-reads these records")
                self._warned = True
            return
        self._held.append((self.position, message))
        self.release()

    def release(self) -> None:
        """Hand the SDK the newest held STATE whose records are all durable."""
        if not self._held or self._deliver is None:
            return
        self._settled = False
        safe = self.safe_position()
        newest: dict[str, Any] | None = None
        while self._held and (safe is None or self._held[0][0] <= safe):
            newest = self._held.popleft()[1]
        if newest is not None:
            self._deliver(newest)
            if self.on_release is not None and isinstance(newest.get("value"), dict):
                self.on_release(newest["value"])

    @property
    def holding(self) -> int:
        """How many STATE messages wait for their records."""
        return len(self._held)


class GatedReader(MessageReader):
    """Our line reader (msgspec, :mod:`crm_sync.wire`), with STATE routed through a gate."""

    def __init__(self, gate: StateGate) -> None:
        super().__init__()
        self.gate = gate

    def process_lines(
        self, file_input: IO[str] | None, callbacks: dict[str, Callable[[dict], None]]
    ) -> Any:
        on_record = callbacks[SingerMessageType.RECORD]
        on_state = callbacks[SingerMessageType.STATE]

        def record(message: dict) -> None:
            on_record(message)
            self.gate.record_read()

        def state(message: dict) -> None:
            self.gate.offer(message, on_state)

        routed = {
            **callbacks,
            SingerMessageType.RECORD: record,
            SingerMessageType.STATE: state,
        }
        return super().process_lines(file_input, routed)
