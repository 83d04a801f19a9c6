"""A log of the calls the server answers, to replay them in one process (benchmarks).

With ``CRM_SANDBOX_CALL_LOG=FILE`` in its environment the server appends one JSON line
per answered HTTP call: method, path, query, headers, body (base64) and status, in the
order the answers start. Writes answer under the service's write lock, so that order is
the order their ids were given: replayed one by one on a copy of the same data directory
(same secrets, same ids), each call gets the status it got (``bench/bench_sandbox_calls.py``
counts any that does not). Not for production: bodies hold whatever the clients sent.

Both server processes append to the one file; each line goes out in one ``write`` to a
file opened with ``O_APPEND``, so lines never interleave (the order within each API holds,
which is what a replay needs: the two APIs' ids are independent).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from pathlib import Path

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENV = "CRM_SANDBOX_CALL_LOG"


class CallLog:
    """ASGI middleware writing each answered call to ``out`` (one JSON line)."""

    def __init__(self, app: ASGIApp, fd: int) -> None:
        self.app = app
        self.fd = fd

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body: list[bytes] = []

        async def reading() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
            return message

        async def answering(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                line = json.dumps(entry(scope, b"".join(body), message["status"])) + "\n"
                os.write(self.fd, line.encode())
            await send(message)

        await self.app(scope, reading, answering)


def open_log(path: str) -> int:
    """A descriptor appending to ``path`` (kept open for the server's life)."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def entry(scope: Scope, body: bytes, status: int) -> dict[str, Any]:
    """One call as the log holds it."""
    return {
        "method": scope["method"],
        "path": scope["path"],
        "query": scope.get("query_string", b"").decode("latin-1"),
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
        "body": base64.b64encode(body).decode("ascii"),
        "status": status,
    }


def read(path: Path) -> list[dict[str, Any]]:
    """The API calls of a log (the control API's left out), bodies decoded to bytes."""
    calls = [json.loads(line) for line in path.open()]
    calls = [c for c in calls if not c["path"].startswith("/__sandbox")]
    for call in calls:
        call["body"] = base64.b64decode(call["body"])
    return calls


async def answer(app: ASGIApp, call: dict[str, Any]) -> int:
    """Send one call of :func:`read` through ``app``; the status it answers with."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:  # asked again only to learn of a disconnect: none comes
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": call["body"], "more_body": False}

    status = 0

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope_of(call), receive, send)
    return status


def scope_of(call: dict[str, Any]) -> Scope:
    """The ASGI scope of a logged call (for a replay in process)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": call["method"],
        "scheme": "https",
        "path": call["path"],
        "raw_path": call["path"].encode(),
        "query_string": call["query"].encode("latin-1"),
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in call["headers"]],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 443),
        "state": {},
    }
