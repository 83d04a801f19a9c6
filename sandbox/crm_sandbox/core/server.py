"""The sandbox server process: ``python -m crm_sandbox.core.server --data-dir DIR``.

Binds 127.0.0.1 itself (port 0 = any free port) so it can publish the real port in
``runtime.json`` before serving HTTPS with uvicorn.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import socket
import sys
from typing import Any

import uvicorn

from crm_sandbox.core import call_log
from crm_sandbox.core.app import assemble
from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.tls import ensure_tls


class _DropInjectedResets(logging.Filter):
    """Keep the log readable: an injected reset is intended, not an application error."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return type(exc).__name__ != "InjectedConnectionReset"


YOUNG_COLLECTION_EVERY = 20_000
"""New container objects between two young collections (the interpreter's default: 700)."""


def _collect_less_often() -> None:
    """Leave what start-up made out of every collection and collect the young generation
    every 20,000 new objects: a request's objects mostly die by reference count, and with
    the defaults the server spent about 6 % of its CPU in the collector on a 100k forward
    leg (sampled with perf), mostly walking the same live import graph again and again.

    The older generations are collected sooner than by default (a full pass every 200,000
    new objects, cheap once start-up is frozen): requests' garbage caught in reference
    cycles otherwise piles up between full passes. On the forward replay the server's
    peak was 176 MiB with the default ratios after a 20,000 young threshold, 138 MiB
    with these, 111 MiB unfrozen at 700.
    """
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, 5, 2)


def _http_protocol() -> type[asyncio.Protocol] | str:
    """uvicorn's httptools protocol with the wire casing (:mod:`~crm_sandbox.core.cased_http`:
    it parses in C, h11 was ~7 % of the server's CPU); h11 in a venv made before httptools
    became a dependency (``make install`` adds it): the same bytes, more CPU."""
    try:
        from crm_sandbox.core.cased_http import CasedHttpToolsProtocol
    except ImportError:
        return "h11"
    return CasedHttpToolsProtocol


def serve(data_dir: DataDir, port: int, host: str = "127.0.0.1") -> None:
    ensure_tls(data_dir)
    settings = FaultSettings(**(data_dir.read_json("settings.json") or {}))
    sandbox = assemble(data_dir, settings)
    _collect_less_often()
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets of that
    # protocol, and without it Nagle adds ~40 ms to every small reply.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    actual_port = sock.getsockname()[1]
    app: Any = sandbox.asgi_app()
    if os.environ.get(call_log.ENV):  # a benchmark's log of every answered call
        app = call_log.CallLog(app, open(os.environ[call_log.ENV], "a"))  # noqa: SIM115
    config = uvicorn.Config(
        app,
        ssl_certfile=str(data_dir.server_cert),
        ssl_keyfile=str(data_dir.server_cert),
        log_level=os.environ.get("CRM_SANDBOX_LOG_LEVEL", "warning"),
        access_log=False,
        timeout_keep_alive=65,
        timeout_graceful_shutdown=2,
        lifespan="off",
        http=_http_protocol(),
        loop="asyncio",
        # uvicorn would add lower-case `date` / `server`; the call wrapper sends `Date`.
        server_header=False,
        date_header=False,
    )
    server = uvicorn.Server(config)
    logging.getLogger("uvicorn.error").addFilter(_DropInjectedResets())
    data_dir.write_json("runtime.json", {"pid": os.getpid(), "port": actual_port, "host": host})
    try:
        server.run(sockets=[sock])
    finally:
        runtime = data_dir.read_json("runtime.json")
        if runtime and runtime.get("pid") == os.getpid():
            data_dir.remove("runtime.json")
        sandbox.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crm-sandbox-server")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    serve(DataDir(args.data_dir), args.port)


if __name__ == "__main__":
    main(sys.argv[1:])
