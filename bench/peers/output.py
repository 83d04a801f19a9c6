"""Read what an extractor wrote to stdout: Singer messages or Airbyte protocol messages.

Counts the records of one stream, their distinct ids and the deletions among them, and
keeps the state to hand to the next run (Singer: the last STATE value; Airbyte: the
latest per-stream state messages, which ``read --state`` takes back as a list).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Record = dict[str, Any]


@dataclass
class Extracted:
    """Totals of one run's output for the stream under test."""

    records: int = 0
    ids: set[str] = field(default_factory=set)
    deletes: int = 0
    state: Any = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Reading:
    """How to read one extractor's records: its protocol, stream, id and delete marker."""

    protocol: str  # "singer" | "airbyte"
    stream: str
    id_of: Callable[[Record], Any]
    is_delete: Callable[[Record], bool]


def read(path: Path, reading: Reading) -> Extracted:
    result = Extracted()
    airbyte_states: dict[str, Any] = {}
    with path.open("rb") as lines:
        for line in lines:
            if not line.startswith(b"{"):
                continue
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = message.get("type")
            if reading.protocol == "singer":
                if kind == "RECORD" and message.get("stream") == reading.stream:
                    _count(result, message["record"], reading)
                elif kind == "STATE":
                    result.state = message.get("value")
            elif kind == "RECORD":
                record = message.get("record") or {}
                if record.get("stream") == reading.stream:
                    _count(result, record.get("data") or {}, reading)
            elif kind == "STATE":
                state = message.get("state") or {}
                stream = (state.get("stream") or {}).get("stream_descriptor", {}).get("name", "")
                airbyte_states[stream] = state
            elif kind == "TRACE":
                error = (message.get("trace") or {}).get("error") or {}
                if error:
                    result.errors.append(str(error.get("message") or error))
    if reading.protocol == "airbyte":
        result.state = list(airbyte_states.values()) or None
    return result


def _count(result: Extracted, record: Record, reading: Reading) -> None:
    result.records += 1
    ident = reading.id_of(record)
    if ident is not None:
        result.ids.add(str(ident))
    if reading.is_delete(record):
        result.deletes += 1
