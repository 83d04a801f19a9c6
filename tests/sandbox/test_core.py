"""The sandbox core on its own: a test-double API served over TLS by the real wrapper."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar, Literal

import pytest
import requests
import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crm_sandbox.core.app import Sandbox, assemble
from crm_sandbox.core.clock import Clock
from crm_sandbox.core.datadir import DataDir
from crm_sandbox.core.faults import FaultDice, FaultSettings
from crm_sandbox.core.ids import normalize_salesforce_id, salesforce_checksum, salesforce_id
from crm_sandbox.core.service import ApiService, CallInfo
from crm_sandbox.core.tls import ensure_tls


class EchoService(ApiService):
    """A minimal API: one item resource, a daily limit, and its own error body."""

    name: ClassVar[str] = "echo"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.items: dict[str, int] = {}
        self.calls = 0

    def routes(self) -> list[BaseRoute]:
        async def get_item(request: Request) -> JSONResponse:
            return JSONResponse(
                {"id": request.path_params["item_id"], "now": str(self.ctx.clock.now())}
            )

        async def batch(request: Request) -> JSONResponse:
            body = await request.json()
            results = [
                {"id": i, "ok": not self.ctx.dice.refuse_record(self.name)} for i in body["ids"]
            ]
            return JSONResponse({"results": results})

        return [
            Route("/echo/v1/items/{item_id}", get_item, methods=["GET"]),
            Route("/echo/v1/batch", batch, methods=["POST"]),
        ]

    def owns(self, path: str) -> bool:
        return path.startswith("/echo/")

    def fault_response(self, kind: Literal["http429", "http500", "http503"]) -> Response:
        status = int(kind.removeprefix("http"))
        return JSONResponse({"echoError": kind}, status_code=status)

    def admit(self, call: CallInfo) -> Response | None:
        self.calls += 1
        if self.calls > self.ctx.dice.settings.sf_daily_max:
            return JSONResponse({"echoError": "limit"}, status_code=403)
        return None

    def response_headers(self, call: CallInfo) -> list[tuple[str, str]]:
        return [("X-Echo-Usage", f"{self.calls}/{self.ctx.dice.settings.sf_daily_max}")]

    def reset(self) -> None:
        self.items.clear()
        self.calls = 0

    def seed(self, counts: dict[str, int], seed: int) -> dict[str, int]:
        for name, n in counts.items():
            self.items[name] = self.items.get(name, 0) + n
        return counts

    def record_counts(self) -> dict[str, int]:
        return dict(self.items)


class ThreadedServer:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        data_dir = sandbox.ctx.data_dir
        ensure_tls(data_dir)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            sandbox.asgi_app(),
            ssl_certfile=str(data_dir.server_cert),
            ssl_keyfile=str(data_dir.server_cert),
            log_level="critical",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sandbox.close()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(
            self.url(path), verify=str(self.sandbox.ctx.data_dir.ca_bundle), **kwargs
        )

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method, self.url(path), verify=str(self.sandbox.ctx.data_dir.ca_bundle), **kwargs
        )


@pytest.fixture
def server(tmp_path) -> Iterator[ThreadedServer]:
    sandbox = assemble(DataDir(tmp_path), service_classes=[EchoService])
    with ThreadedServer(sandbox) as srv:
        yield srv


def test_tls_is_verified_against_the_sandbox_ca(server: ThreadedServer) -> None:
    assert server.get("/echo/v1/items/1").json()["id"] == "1"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.url("/echo/v1/items/1"), timeout=5)  # system CAs don't know it


def test_calls_are_counted_by_route_template(server: ThreadedServer) -> None:
    for item in ("a", "b", "c"):
        server.get(f"/echo/v1/items/{item}")
    server.request("POST", "/echo/v1/batch", json={"ids": [1, 2]})
    stats = server.request("GET", "/__sandbox/stats").json()
    assert stats["echo"]["calls"] == {
        "GET /echo/v1/items/{item_id}": 3,
        "POST /echo/v1/batch": 1,
    }
    assert stats["echo"]["total"] == 4
    server.request("DELETE", "/__sandbox/stats")
    assert server.request("GET", "/__sandbox/stats").json()["echo"]["total"] == 0


def test_service_headers_and_limits_apply(server: ThreadedServer) -> None:
    server.request("PATCH", "/__sandbox/faults", json={"sf_daily_max": 2})
    first = server.get("/echo/v1/items/1")
    assert first.headers["X-Echo-Usage"] == "1/2"
    server.get("/echo/v1/items/1")
    refused = server.get("/echo/v1/items/1")
    assert refused.status_code == 403
    assert refused.json() == {"echoError": "limit"}


@pytest.mark.parametrize("kind,status", [("http429", 429), ("http500", 500), ("http503", 503)])
def test_injected_errors_use_the_service_body(server: ThreadedServer, kind, status) -> None:
    server.request("PUT", "/__sandbox/faults", json={kind: 1.0})
    reply = server.get("/echo/v1/items/1")
    assert reply.status_code == status
    assert reply.json() == {"echoError": kind}
    stats = server.request("GET", "/__sandbox/stats").json()
    assert stats["echo"]["statuses"]["GET /echo/v1/items/{item_id}"] == {str(status): 1}


def test_injected_reset_drops_the_connection(server: ThreadedServer) -> None:
    server.request("PUT", "/__sandbox/faults", json={"reset": 1.0})
    with pytest.raises(
        (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)
    ):
        server.get("/echo/v1/items/1", timeout=5)
    server.request("PUT", "/__sandbox/faults", json={})
    assert server.get("/echo/v1/items/1").status_code == 200


def test_slow_responses_outlast_a_client_timeout(server: ThreadedServer) -> None:
    server.request("PUT", "/__sandbox/faults", json={"slow": 1.0, "slow_ms": 1500})
    with pytest.raises(requests.exceptions.ReadTimeout):
        server.get("/echo/v1/items/1", timeout=0.3)


def test_latency_is_added_to_every_call(server: ThreadedServer) -> None:
    server.request("PUT", "/__sandbox/faults", json={"latency_ms": 200})
    started = time.monotonic()
    server.get("/echo/v1/items/1")
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    server.get("/__sandbox/health")  # the control API is never delayed
    assert time.monotonic() - started < 0.2


def test_per_record_refusals_are_seeded_and_reproducible(server: ThreadedServer) -> None:
    def refused() -> list[int]:
        server.request("PUT", "/__sandbox/faults", json={"refuse": 0.3, "seed": 7})
        reply = server.request("POST", "/echo/v1/batch", json={"ids": list(range(50))})
        return [r["id"] for r in reply.json()["results"] if not r["ok"]]

    first = refused()
    assert 0 < len(first) < 50
    assert refused() == first


def test_bad_fault_settings_are_refused_with_a_reason(server: ThreadedServer) -> None:
    reply = server.request("PATCH", "/__sandbox/faults", json={"http500": 3})
    assert reply.status_code == 400
    assert "http500" in reply.json()["error"]
    with pytest.raises(ValueError, match="bogus"):
        FaultSettings.parse("bogus=1")
    parsed = FaultSettings.parse("http429=0.05,reset=0.01,hs_ten_second_max=50,seed=3")
    assert (parsed.http429, parsed.reset, parsed.hs_ten_second_max, parsed.seed) == (
        0.05,
        0.01,
        50,
        3,
    )


def test_seed_reset_and_record_counts_through_the_control_api(server: ThreadedServer) -> None:
    server.request("POST", "/__sandbox/seed", json={"echo": {"widgets": 5}, "seed": 1})
    assert server.request("GET", "/__sandbox/stats").json()["echo"]["records"] == {"widgets": 5}
    server.request("POST", "/__sandbox/reset", json={})
    assert server.request("GET", "/__sandbox/stats").json()["echo"]["records"] == {}
    bad = server.request("POST", "/__sandbox/seed", json={"nope": {"x": 1}})
    assert bad.status_code == 400


def test_clock_can_be_frozen_and_advanced(server: ThreadedServer) -> None:
    at = "2024-01-01T00:00:00+00:00"
    server.request("POST", "/__sandbox/clock", json={"freeze": at})
    assert server.get("/echo/v1/items/1").json()["now"].startswith("2024-01-01 00:00:00")
    state = server.request("POST", "/__sandbox/clock", json={"advance_ms": 1500}).json()
    assert state["now"].startswith("2024-01-01T00:00:01.500")


def test_clock_unfreezes_where_it_stopped() -> None:
    clock = Clock()
    clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    clock.unfreeze()
    assert clock.now().year == 2030


def test_fault_dice_only_targets_the_named_api() -> None:
    dice = FaultDice(FaultSettings(http500=1.0, only="hubspot"))
    assert dice.draw_call_fault("salesforce") is None
    assert dice.draw_call_fault("hubspot") == "http500"


def test_salesforce_ids_have_prefix_and_checksum() -> None:
    # A widely published example pair of a 15- and 18-character id.
    assert salesforce_checksum("a0D30000001n7Pi") == "EAI"
    assert normalize_salesforce_id("a0D30000001n7Pi") == "a0D30000001n7PiEAI"
    assert normalize_salesforce_id("a0D30000001n7PiEAI".lower()[:15] + "EAI") is None
    new_id = salesforce_id("001", 12345)
    assert len(new_id) == 18 and new_id.startswith("001")
    assert normalize_salesforce_id(new_id) == new_id
    assert len({salesforce_id("a0X", n) for n in range(1000)}) == 1000


def test_clock_reset_returns_to_real_time() -> None:
    clock = Clock()
    clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    clock.unfreeze()
    clock.reset()
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 1
