"""Singer messages in and out through msgspec (crm_sync.wire), as the SDK's own codec reads them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal

import pytest
from singer_sdk.singerlib import RecordMessage, StateMessage

from crm_sync.wire import MessageReader, MessageWriter


def pipe_as_stdout(monkeypatch: pytest.MonkeyPatch) -> Callable[[], bytes]:
    """An unbuffered sys.stdout (as with PYTHONUNBUFFERED=1) writing into a pipe; returns a
    non-blocking read of the other end.

    Called in the test body: pytest's output capture puts its own sys.stdout back between
    a fixture's setup and the test.
    """
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    raw = io.FileIO(write_fd, "w")
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, write_through=True))

    def arrived() -> bytes:
        try:
            return os.read(read_fd, 1 << 16)
        except BlockingIOError:
            return b""

    return arrived


def test_records_wait_in_the_buffer_and_a_state_sends_them_first(monkeypatch):
    piped_stdout = pipe_as_stdout(monkeypatch)
    writer = MessageWriter()
    writer.BLOCK_BYTES = 1024  # a small block, so a full one fits the pipe
    writer.write_message(RecordMessage(stream="project", record={"Id": "a1", "n": Decimal("1.5")}))
    assert piped_stdout() == b""  # no system call per record
    # ...until a block is full: then the records go out without waiting for a STATE
    writer.write_message(RecordMessage(stream="project", record={"Id": "a2", "text": "x" * 1024}))
    assert [json.loads(line)["record"]["Id"] for line in piped_stdout().splitlines()] == [
        "a1",
        "a2",
    ]
    writer.write_message(RecordMessage(stream="project", record={"Id": "a3"}))
    assert piped_stdout() == b""
    writer.write_message(StateMessage(value={"bookmarks": {"project": {"at": "2026"}}}))
    lines = piped_stdout().decode().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["RECORD", "STATE"]
    assert json.loads(lines[0])["record"] == {"Id": "a3"}


def test_the_reader_keeps_fractions_exact():
    message = MessageReader().deserialize_json(
        '{"type":"RECORD","stream":"s","record":{"amount":1200.10,"n":3}}'
    )
    assert message["record"] == {"amount": Decimal("1200.10"), "n": 3}


def test_records_after_the_last_state_go_out_at_exit():
    script = (
        "from singer_sdk.singerlib import RecordMessage\n"
        "from crm_sync.wire import MessageWriter\n"
        "MessageWriter().write_message(RecordMessage(stream='s', record={'Id': 'last'}))\n"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, env=env, check=True
    ).stdout
    assert json.loads(out)["record"] == {"Id": "last"}


def test_reader_takes_stdin_as_bytes_and_decodes_utf8_itself():
    """Standard input is read as bytes (msgspec decodes UTF-8 itself): a record with
    non-ASCII text and a number with a fraction comes out as the SDK's own reader gives it."""
    line = '{"type":"RECORD","stream":"s","record":{"name":"Zoë Ångström 東京","n":1.10}}\n'
    probe = (
        "import sys\n"
        "from crm_sync.wire import MessageReader\n"
        "reader = MessageReader()\n"
        "assert reader.default_input is sys.stdin.buffer\n"
        "reader.process_lines(None, {'RECORD': lambda m: print(repr(m['record']))})\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        input=line.encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert out.strip() == repr({"name": "Zoë Ångström 東京", "n": Decimal("1.10")})
