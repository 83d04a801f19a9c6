"""The server's second process, seen from the first: where it answers and how to steer it.

The real APIs are two hosts (Salesforce's login/instance URL, ``api.hubapi.com``), and the
sandbox serves them from two processes so a pipeline's Salesforce and HubSpot calls do not
take turns on one interpreter lock (:mod:`crm_sandbox.core.server`). The first process
serves the control API for both: it applies each operation to itself and forwards it to
the second through that process's own control API, so every client of ``/__sandbox``
(the CLI, tests, curl, Node) keeps one address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests


class PeerError(RuntimeError):
    """The second process answered a control call with an error (status, body)."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        super().__init__(f"{status} {body[:200]!r}")
        self.status = status
        self.body = body
        self.content_type = content_type


@dataclass
class Peer:
    """The process serving ``apis`` on ``port`` (same host, same CA)."""

    pid: int
    port: int
    apis: tuple[str, ...]
    ca_bundle: str
    host: str = "127.0.0.1"
    _session: requests.Session = field(default_factory=requests.Session, repr=False)

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def send(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        query: str = "",
    ) -> requests.Response:
        """One call to ``/__sandbox/{path}`` of the peer, as given (no error raised)."""
        url = f"{self.base_url}/__sandbox/{path}" + (f"?{query}" if query else "")
        return self._session.request(
            method, url, data=body, headers=headers, verify=self.ca_bundle, timeout=3600
        )

    def control(self, method: str, path: str, json: Any = None) -> Any:
        """A control call with a JSON body; its JSON answer, or :class:`PeerError`."""
        reply = self._session.request(
            method,
            f"{self.base_url}/__sandbox/{path}",
            json=json,
            verify=self.ca_bundle,
            timeout=3600,
        )
        if reply.status_code >= 400:
            raise PeerError(
                reply.status_code,
                reply.content,
                reply.headers.get("content-type", "application/json"),
            )
        return reply.json()

    def close(self) -> None:
        self._session.close()
