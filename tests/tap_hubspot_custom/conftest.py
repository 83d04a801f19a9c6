"""Fixtures of the tap's unit tests: a fake portal behind requests-mock, and a runner."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests_mock
from tap_hubspot_custom.tap import TapHubSpotCustom

from tests.tap_hubspot_custom.fake_hubspot import BASE, TOKEN, FakePortal


@pytest.fixture
def fake() -> Iterator[FakePortal]:
    with requests_mock.Mocker() as mocker:
        yield FakePortal().install(mocker)


def fake_config() -> dict[str, Any]:
    """A tap config for the fake portal (limits lifted, retries quick)."""
    return {
        "base_url": BASE,
        "access_token": TOKEN,
        "objects": ["project"],
        "retry_wait_seconds": 0.01,
        "search_requests_per_second": 1000,
        "max_requests_per_10s": 100_000,
    }


@pytest.fixture
def config() -> dict[str, Any]:
    return fake_config()


@dataclass
class Run:
    messages: list[dict[str, Any]]
    tap: TapHubSpotCustom
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def state(self) -> dict[str, Any]:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else {}

    def ids(self, stream: str = "project") -> list[str]:
        return [r["id"] for r in self.records.get(stream, [])]

    def schema(self, stream: str = "project") -> dict[str, Any]:
        return next(
            m["schema"] for m in self.messages if m["type"] == "SCHEMA" and m["stream"] == stream
        )


def run_tap(config: dict[str, Any], state: dict[str, Any] | None = None) -> Run:
    """Run a full sync in-process; return the Singer messages it wrote."""
    out = io.StringIO()
    with redirect_stdout(out):
        tap = TapHubSpotCustom(config=config, state=state or {})
        tap.sync_all()
    messages = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    run = Run(messages, tap)
    for m in messages:
        if m["type"] == "RECORD":
            run.records.setdefault(m["stream"], []).append(m["record"])
    return run


def run_tap_slowed(sandbox: Any, config: dict[str, Any], latency_ms: int) -> tuple[Run, dict]:
    """``run_tap`` with ``latency_ms`` added to every sandbox call; the run and the HubSpot
    call stats of that run alone (faults cleared after, whatever happens)."""
    sandbox.set_faults(latency_ms=latency_ms)
    sandbox.clear_stats()
    try:
        run = run_tap(config)
        return run, sandbox.stats()["hubspot"]
    finally:
        sandbox.set_faults()
