"""STATE reaches singer-sdk only once every record read before it is durable."""

from __future__ import annotations

import io
import json
from typing import Any

from crm_sync.sync.state import DurableStateWriter, GatedReader, StateGate


def lines(*messages: dict[str, Any]) -> io.StringIO:
    return io.StringIO("".join(json.dumps(m) + "\n" for m in messages))


def record(i: int) -> dict[str, Any]:
    return {"type": "RECORD", "stream": "s", "record": {"id": i}}


def state(n: int) -> dict[str, Any]:
    return {"type": "STATE", "value": {"upto": n}}


class Sink:
    """Buffers records in the gate like SyncSink; drains every ``size`` records."""

    def __init__(self, gate: StateGate, size: int) -> None:
        self.gate, self.size, self.buffer = gate, size, 0
        self.tickets: list[Any] = []

    def on_record(self, _message: dict[str, Any]) -> None:
        self.gate.buffered(self)
        self.buffer += 1
        if self.buffer == self.size:
            self.tickets.append(self.gate.drained(self))  # handed to a writer, not durable
            self.buffer = 0


def run(gate: StateGate, sink: Sink, *messages: dict[str, Any]) -> list[int]:
    delivered: list[int] = []
    callbacks = {
        "RECORD": sink.on_record,
        "STATE": lambda m: delivered.append(m["value"]["upto"]),
        "SCHEMA": lambda m: None,
    }
    GatedReader(gate).process_lines(lines(*messages), callbacks)
    return delivered


def test_state_waits_for_buffered_and_in_flight_records() -> None:
    gate = StateGate()
    sink = Sink(gate, size=2)
    out = run(gate, sink, record(0), state(1), record(1), state(2), record(2), state(3))
    assert out == []  # record 0-1 in flight, record 2 buffered
    assert gate.holding == 3
    sink.tickets.pop(0).close()  # records 0 and 1 are durable now
    gate.release()
    assert out == [2]  # the newest STATE whose records are all durable
    gate.drained(sink).close()  # record 2 written and committed
    gate.release()
    assert out == [2, 3]
    assert gate.holding == 0


def test_dry_run_hands_no_state_on() -> None:
    gate = StateGate(withhold=True)
    sink = Sink(gate, size=1)
    out = run(gate, sink, record(0), state(1))
    for ticket in sink.tickets:
        ticket.close()
    gate.release()
    assert out == [] and gate.holding == 0


def test_state_with_nothing_pending_passes_at_once() -> None:
    gate = StateGate()
    sink = Sink(gate, size=1)
    delivered: list[int] = []
    callbacks = {
        "RECORD": lambda m: (sink.on_record(m), sink.tickets.pop().close()),
        "STATE": lambda m: delivered.append(m["value"]["upto"]),
    }
    GatedReader(gate).process_lines(lines(record(0), state(1), record(1), state(2)), callbacks)
    assert delivered == [1, 2]


def test_released_state_is_written_at_once_once_durable() -> None:
    """Each STATE the gate releases mid-run goes to stdout then, not at the end's drain."""
    out = io.StringIO()
    gate = StateGate(on_release=DurableStateWriter(stream=out))
    sink = Sink(gate, size=2)
    run(gate, sink, record(0), record(1), state(2), record(2))
    assert out.getvalue() == ""  # records 0-1 are in flight: nothing durable yet
    sink.tickets.pop(0).close()
    gate.record_read()  # the next record read after the batch became durable
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [{"upto": 2}]


def test_writer_skips_repeats_and_values_inside_its_interval() -> None:
    out = io.StringIO()
    now = [100.0]
    writer = DurableStateWriter(30, stream=out, clock=lambda: now[0])
    writer({"upto": 1})
    writer({"upto": 1})  # the same value again
    now[0] = 110.0
    writer({"upto": 2})  # 10 s after the last write: a later one covers it
    now[0] = 131.0
    writer({"upto": 3})
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        {"upto": 1},
        {"upto": 3},
    ]
    assert writer.written == 2
