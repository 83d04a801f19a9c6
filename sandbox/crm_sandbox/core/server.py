"""The sandbox server process: ``python -m crm_sandbox.core.server --data-dir DIR``.

Binds 127.0.0.1 itself (port 0 = any free port) so it can publish the real port in
``runtime.json`` before serving HTTPS with uvicorn.

The real APIs are two hosts, and the server is two processes: this one serves Salesforce
and the control API, and starts ``... --api hubspot`` (:mod:`crm_sandbox.core.child`)
on a port of its own, so the two APIs' calls do not take turns on one interpreter lock.
It publishes ``runtime.json`` (both ports) once that child answers, passes control calls
on to it (:class:`~crm_sandbox.core.peer.Peer`) and stops it on its way out; the child
ends itself when this process dies. ``--one-process`` (or ``CRM_SANDBOX_ONE_PROCESS=1``)
serves both APIs here, on one port, as before.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import socket
import sys
from typing import Any

import uvicorn

from crm_sandbox.core import call_log
from crm_sandbox.core.app import Sandbox, assemble
from crm_sandbox.core.child import ChildServer, die_with_parent
from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultSettings
from crm_sandbox.core.registry import service_classes
from crm_sandbox.core.tls import ensure_tls

ONE_PROCESS_ENV = "CRM_SANDBOX_ONE_PROCESS"
SPLIT_API = "hubspot"
"""The API the server's second process serves."""


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


def _listen(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets of that
    # protocol, and without it Nagle adds ~40 ms to every small reply.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def _uvicorn(sandbox: Sandbox, data_dir: DataDir) -> uvicorn.Server:
    app: Any = sandbox.asgi_app()
    if os.environ.get(call_log.ENV):  # a benchmark's log of every answered call
        app = call_log.CallLog(app, call_log.open_log(os.environ[call_log.ENV]))
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
    logging.getLogger("uvicorn.error").addFilter(_DropInjectedResets())
    return uvicorn.Server(config)


def _exit_on_sigterm() -> None:
    """Make SIGTERM unwind the stack (``finally`` blocks run) once uvicorn hands it back.

    uvicorn catches SIGTERM to shut down gracefully, then raises it again with the
    handler found before it started: by default that kills the process at once, before
    the server stops its HubSpot process and closes its databases.
    """

    def leave(signum: int, _: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


def _settings(data_dir: DataDir) -> FaultSettings:
    return FaultSettings(**(data_dir.read_json("settings.json") or {}))


def serve(
    data_dir: DataDir,
    port: int,
    host: str = "127.0.0.1",
    one_process: bool = False,
    hs_port: int = 0,
) -> None:
    """Serve the sandbox; with a second process for HubSpot (on ``hs_port``, 0: any free
    port) unless ``one_process``."""
    ensure_tls(data_dir)
    data_dir.credentials()  # made once, here, before a second process reads them
    classes = service_classes()
    split = not one_process and any(cls.name == SPLIT_API for cls in classes)
    child = ChildServer.start(data_dir, SPLIT_API, host, hs_port) if split else None
    try:
        mine = [cls for cls in classes if cls.name != SPLIT_API] if split else classes
        sandbox = assemble(data_dir, _settings(data_dir), mine)
        _collect_less_often()
        sock = _listen(host, port)
        if child is not None:
            sandbox.control.peer = child.wait_until_answering()
        server = _uvicorn(sandbox, data_dir)
        runtime: dict[str, Any] = {"pid": os.getpid(), "port": sock.getsockname()[1], "host": host}
        if child is not None:
            runtime.update(hs_pid=child.pid, hs_port=child.port)
        data_dir.write_json("runtime.json", runtime)
        _exit_on_sigterm()
        try:
            server.run(sockets=[sock])
        finally:
            published = data_dir.read_json("runtime.json")
            if published and published.get("pid") == os.getpid():
                data_dir.remove("runtime.json")
            sandbox.close()
    finally:
        if child is not None:
            child.stop()


def serve_one_api(
    data_dir: DataDir, api: str, host: str, port: int, parent_pid: int, ready_fd: int
) -> None:
    """The second process: serve ``api`` alone; write its port to ``ready_fd`` once listening."""
    die_with_parent(parent_pid)
    classes = [cls for cls in service_classes() if cls.name == api]
    sandbox = assemble(data_dir, _settings(data_dir), classes)
    _collect_less_often()
    sock = _listen(host, port)
    server = _uvicorn(sandbox, data_dir)
    # Connections wait in the backlog until uvicorn accepts them: the parent may call now.
    os.write(ready_fd, f"{sock.getsockname()[1]}\n".encode())
    os.close(ready_fd)
    _exit_on_sigterm()
    try:
        server.run(sockets=[sock])
    finally:
        sandbox.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crm-sandbox-server")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--hs-port", type=int, default=0, help="the HubSpot process's port")
    parser.add_argument(
        "--one-process",
        action="store_true",
        default=os.environ.get(ONE_PROCESS_ENV, "") not in ("", "0"),
        help=f"serve both APIs from this process, on one port (or {ONE_PROCESS_ENV}=1)",
    )
    # The second process's arguments (set by ChildServer.start, not by hand).
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data_dir = DataDir(args.data_dir)
    if args.api:
        serve_one_api(data_dir, args.api, "127.0.0.1", args.port, args.parent_pid, args.ready_fd)
    else:
        serve(data_dir, args.port, one_process=args.one_process, hs_port=args.hs_port)


if __name__ == "__main__":
    main(sys.argv[1:])
