"""uvicorn's httptools protocol, writing response header names with the casing given.

The server spent about 7 % of its CPU in h11, uvicorn's pure-Python HTTP/1.1 protocol.
uvicorn's httptools protocol parses requests in C but lower-cases every response header
name it writes, and the call wrapper sends each API's wire casing (``Content-Type``,
``Sforce-Limit-Info``, see :mod:`crm_sandbox.core.headers`): this protocol gives each
request's response cycle a transport that writes the head's names back as the
application gave them, and the framing headers uvicorn adds itself (``Connection:
close``, ``Transfer-Encoding: chunked``) in the title case h11 wrote them in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httptools  # noqa: F401  (the C parser HttpToolsProtocol drives: a dependency of ours)
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

if TYPE_CHECKING:
    import asyncio

    from uvicorn._types import ASGISendEvent

_FRAMING = {b"connection": b"Connection", b"transfer-encoding": b"Transfer-Encoding"}
"""The names h11 gave the framing headers it set (title case, ``set_comma_header``)."""


class _HeadCasing:
    """A transport whose ``write`` of a response head restores the header names' casing."""

    def __init__(self, transport: asyncio.Transport, cased: dict[bytes, bytes]) -> None:
        self._transport = transport
        self._cased = cased

    def write(self, data: bytes) -> None:
        lines = data.split(b"\r\n")
        for index in range(1, len(lines)):
            name, sep, rest = lines[index].partition(b": ")
            original = self._cased.get(name)
            if sep and original is not None:
                lines[index] = original + sep + rest
        self._transport.write(b"\r\n".join(lines))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CasedCycle(RequestResponseCycle):
    """One request's response: the head's names as the application sent them."""

    async def send(self, message: ASGISendEvent) -> None:
        if message["type"] != "http.response.start" or self.response_started:
            await super().send(message)
            return
        cased = dict(_FRAMING)
        for name, _ in message.get("headers", ()):
            cased[name.lower()] = name
        plain = self.transport
        # the start message writes the whole head in one transport.write
        self.transport = _HeadCasing(plain, cased)  # type: ignore[assignment]
        try:
            await super().send(message)
        finally:
            self.transport = plain


class CasedHttpToolsProtocol(HttpToolsProtocol):
    """httptools parsing; each response cycle is a :class:`CasedCycle`."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        # The cycle just made (started as a task, or queued behind a pipelined one) has
        # not run yet: it sends as a CasedCycle.
        if type(self.cycle) is RequestResponseCycle:
            self.cycle.__class__ = CasedCycle
