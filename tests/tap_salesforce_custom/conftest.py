"""Fixtures of the tap's unit tests: a fake org behind requests-mock, and a runner."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests_mock
from tap_salesforce_custom.tap import TapSalesforceCustom

from tests.tap_salesforce_custom.fake_salesforce import LOGIN, FakeOrg


@pytest.fixture
def fake() -> Iterator[FakeOrg]:
    with requests_mock.Mocker(case_sensitive=True) as mocker:
        yield FakeOrg().install(mocker)


@pytest.fixture
def config() -> dict[str, Any]:
    return {
        "login_url": LOGIN,
        "client_id": "cid",
        "client_secret": "csecret",
        "objects": ["Project__c", "Account"],
        "api_type": "rest",
        "retry_wait_seconds": 0.01,
        "bulk_poll_seconds": 0.01,
    }


@dataclass
class Run:
    messages: list[dict[str, Any]]
    tap: TapSalesforceCustom
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def state(self) -> dict[str, Any]:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1] if states else {}

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    def ids(self, stream: str) -> list[str]:
        return [r["Id"] for r in self.records.get(stream, [])]


def run_tap(
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
) -> Run:
    """Run a full sync in-process; return the Singer messages it wrote."""
    out = io.StringIO()
    with redirect_stdout(out):
        tap = TapSalesforceCustom(config=config, state=state or {}, catalog=catalog)
        tap.sync_all()
    messages = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    run = Run(messages, tap)
    for m in messages:
        if m["type"] == "RECORD":
            run.records.setdefault(m["stream"], []).append(m["record"])
    return run
